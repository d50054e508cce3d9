"""Bar charts as inline SVG (no JavaScript): geometry worked out here, drawn by templates/statistics/_chart.html.
Each chart is an image with a title and a description naming every value; its table sits beside it."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, AXIS, TOP = 640, 240, 40, 16


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: float | None

    @property
    def text(self) -> str:
        if self.value is None:
            return "none"
        return f"{self.value:g}"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    top: float
    bars: list[Bar]

    @property
    def description(self) -> str:
        return "; ".join(f"{bar.label}: {bar.text}" for bar in self.bars)


def bar_chart(points: list[tuple[str, float | None]], maximum: float | None = None) -> Chart:
    """One bar per point, scaled to ``maximum`` (default: the largest value, at least 1)."""
    top = maximum or max([v for _, v in points if v is not None] + [1.0])
    slot = (WIDTH - AXIS) / max(len(points), 1)
    plot = HEIGHT - AXIS - TOP
    bars = []
    for index, (label, value) in enumerate(points):
        height = plot * max(value or 0, 0) / top  # a negative value has no bar (SVG refuses a negative height)
        bars.append(Bar(AXIS + index * slot + slot * 0.15, TOP + plot - height, slot * 0.7, height, label, value))
    return Chart(WIDTH, HEIGHT, TOP + plot, top, bars)
