"""The agenda, minutes and executive summary PDFs: markings, page numbers, content, and a page rendered to PNG.

Text is read back with poppler's pdftotext; page 1 is rasterised with pdftoppm. Without poppler-utils the tests skip,
unless MAPPA_REQUIRE_BROWSER=1 (CI), where they fail.
"""

from __future__ import annotations

import logging
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
import weasyprint
from flask import Flask

from services.documents.pdf import (
    BASE_URL,
    STATIC_ROOT,
    StaticOnlyFetcher,
    agenda_pdf,
    executive_summary_pdf,
    minutes_pdf,
    static_path,
)
from services.minutes_sections import ALL_SECTIONS
from tests.documents import (
    DASH,
    FIRST_NAME,
    RISK_TEXT,
    SECOND_NAME,
    VICTIM_TEXT,
    full_sections,
    make_meeting,
    make_minutes,
)

MARKING = "OFFICIAL-SENSITIVE"


def poppler(tool: str) -> str:
    path = shutil.which(tool) or (f"/usr/bin/{tool}" if Path(f"/usr/bin/{tool}").exists() else None)
    if path:
        return path
    reason = f"{tool} not found: install poppler-utils to check the PDFs"
    if os.environ.get("MAPPA_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    print(reason)
    pytest.skip(reason)


def pdf_pages(pdf: bytes, tmp_path: Path, name: str = "document") -> list[str]:
    """The text of each page, laid out as printed."""
    target = tmp_path / f"{name}.pdf"
    target.write_bytes(pdf)
    result = subprocess.run([poppler("pdftotext"), "-layout", str(target), "-"],  # noqa: S603 - fixed tool, our file
                            capture_output=True, text=True, check=True, timeout=60)
    return result.stdout.split("\f")[:-1]  # every page ends with a form feed


def flat(pages: list[str]) -> str:
    return " ".join(" ".join(pages).split())


def assert_marked(pages: list[str]) -> None:
    """OFFICIAL-SENSITIVE is the first and the last line of every page, and the last line numbers the page."""
    assert pages
    for number, page in enumerate(pages, start=1):
        lines = [line for line in page.splitlines() if line.strip()]
        assert MARKING in lines[0], f"page {number} top: {lines[0]!r}"
        assert MARKING in lines[-1], f"page {number} bottom: {lines[-1]!r}"
        assert f"Page {number} of {len(pages)}" in lines[-1]


def assert_png_page(pdf: bytes, tmp_path: Path, name: str) -> Path:
    """Rasterise page 1 at 50 dpi: an A4 page is about 413 x 585 pixels."""
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run([poppler("pdftoppm"), "-png", "-r", "50", "-f", "1", "-l", "1", str(source),  # noqa: S603
                    str(tmp_path / name)], check=True, timeout=60)
    [png] = tmp_path.glob(f"{name}*.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (410, 580) <= (width, height) <= (416, 590)
    assert len(data) > 5_000  # a blank page compresses to well under this
    return png


def test_agenda_pdf_lists_items_in_order_with_times_and_invitees(app: Flask, tmp_path: Path) -> None:
    data = make_meeting()
    pdf = agenda_pdf(data.meeting)
    assert pdf.startswith(b"%PDF")
    pages = pdf_pages(pdf, tmp_path)
    assert_marked(pages)
    text = flat(pages)
    assert f"MAPPA Level 2 meeting agenda {DASH} Northshire" in text
    assert "Wednesday 9 June 2027, 10:00 to 12:00" in text  # 09:00 UTC shown in London summer time
    assert "Northshire HQ, Room 2 & 3; ground floor" in text  # escaped in HTML, plain in the PDF
    assert "https://meet.example.org/j/123?pwd=a,b" in text
    assert "Charles Chair (Probation)" in text
    assert "Confidentiality and diversity statement (MAPPA D)" in text
    first, second = text.index(f"10:00 1. {FIRST_NAME}"), text.index(f"10:30 2. {SECOND_NAME}")
    assert first < second
    item1, item2 = text[first:second], text[second:]
    for expected in (data.first.reference, "M2", "Level 2", "Review", "30 minutes", "Police PC Pat Rolman Present",
                     "Probation Petra Obation Invited", "To be confirmed Report received"):
        assert expected in item1
    for expected in (data.second.reference, "M1", "Not set", "Initial", "20 minutes", "Housing Hugo Using Apologies"):
        assert expected in item2
    assert "MAPPA Unit Adam Ministrator Invited" in text[:first]
    assert_png_page(pdf, tmp_path, "agenda")


def test_minutes_pdf_shows_every_section_in_order(app: Flask, tmp_path: Path) -> None:
    data = make_meeting()
    minutes = make_minutes(data, full_sections())
    pdf = minutes_pdf(minutes)
    assert pdf.startswith(b"%PDF")
    pages = pdf_pages(pdf, tmp_path)
    assert_marked(pages)
    text = flat(pages)
    assert f"MAPPA minutes {DASH} {FIRST_NAME}" in text
    assert data.first.reference in text
    assert "APPROVED (approved 11 June 2027)" in text
    positions = [text.index(heading) for heading in ALL_SECTIONS.values()]
    assert positions == sorted(positions)
    assert RISK_TEXT in text and VICTIM_TEXT in text
    assert "He is complying with supervision." in text
    assert "Complete a home visit Offender manager, Probation 23 June 2027" in text
    assert "Decision: Level 2 Risk remains high but is being managed." in text
    assert "1 September 2027" in text
    filled = {"summary", "attendees", "risk_assessment", "victim_issues", "actions", "level_decision",
              "next_review_date"}
    assert text.count("None recorded") == len(ALL_SECTIONS) - len(filled)
    assert_png_page(pdf, tmp_path, "minutes")


def test_empty_draft_minutes_say_none_recorded_under_every_heading(app: Flask, tmp_path: Path) -> None:
    data = make_meeting()
    minutes = make_minutes(data, {"actions": [], "level_decision": {}, "summary": "  "}, status="draft")
    pages = pdf_pages(minutes_pdf(minutes), tmp_path)
    assert_marked(pages)
    text = flat(pages)
    assert f"DRAFT {DASH} not yet approved by the chair" in text
    assert text.count("None recorded") == len(ALL_SECTIONS)


def test_executive_summary_is_one_page_without_risk_or_victim_detail(app: Flask, tmp_path: Path) -> None:
    data = make_meeting()
    pdf = executive_summary_pdf(make_minutes(data, full_sections()))
    assert pdf.startswith(b"%PDF")
    pages = pdf_pages(pdf, tmp_path)
    assert len(pages) == 1
    assert_marked(pages)
    text = flat(pages)
    for expected in (FIRST_NAME, data.first.reference, "9 June 2027", "Level 2", "1 September 2027",
                     "He is complying with supervision.", "Share exclusion zone map with Housing PPU officer, Police",
                     "16 June 2027"):
        assert expected in text
    for withheld in (RISK_TEXT, VICTIM_TEXT, "Risk remains high", "Petra Obation", "Victim"):
        assert withheld not in text
    assert_png_page(pdf, tmp_path, "summary")


@pytest.fixture
def weasyprint_log(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> pytest.LogCaptureFixture:
    """WeasyPrint's log, where it reports resources it could not fetch.

    Alembic's ``fileConfig`` (run by the migrations when the test database is built) disables loggers that already
    exist, and WeasyPrint's does by then; switch it back on for the test.
    """
    monkeypatch.setattr(logging.getLogger("weasyprint"), "disabled", False)
    caplog.set_level(logging.WARNING, logger="weasyprint")
    return caplog


def test_names_are_escaped_not_rendered_as_html(app: Flask, tmp_path: Path,
                                                weasyprint_log: pytest.LogCaptureFixture) -> None:
    data = make_meeting()
    data.first.offender_name = 'Evil <img src="http://example.com/x.png"> Name'
    pages = pdf_pages(agenda_pdf(data.meeting), tmp_path)
    assert 'Evil <img src="http://example.com/x.png"> Name' in flat(pages)
    assert weasyprint_log.text == ""  # text, so never even offered to the fetcher; and nothing else went wrong


class RecordingFetcher(StaticOnlyFetcher):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str]] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> weasyprint.urls.URLFetcherResponse:
        try:
            response = super().fetch(url, headers)
        except ValueError:
            self.calls.append((url, "refused"))
            raise
        self.calls.append((url, "served"))
        return response


def test_weasyprint_asks_our_fetcher_which_refuses_everything_outside_static(
        app: Flask, tmp_path: Path, weasyprint_log: pytest.LogCaptureFixture) -> None:
    html = ('<link rel="stylesheet" href="src/app.scss"><p>Still renders</p>'
            '<img src="http://example.com/x.png"><img src="file:///etc/passwd"><img src="static:/../../pyproject.toml">'
            '<img src="https://example.com/y.png">')
    fetcher = RecordingFetcher()
    pdf = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf()
    assert fetcher.calls == [(f"{BASE_URL}src/app.scss", "served"), ("http://example.com/x.png", "refused"),
                             ("file:///etc/passwd", "refused"), ("static:/../../pyproject.toml", "refused"),
                             ("https://example.com/y.png", "refused")]
    assert "only our own static files are fetched, not http://example.com/x.png" in weasyprint_log.text
    assert "only our own static files are fetched, not file:///etc/passwd" in weasyprint_log.text
    assert "Still renders" in flat(pdf_pages(pdf, tmp_path))


def test_static_path_serves_only_files_under_app_static() -> None:
    script = STATIC_ROOT / "js" / "diagram.mjs"
    assert static_path("static:/js/diagram.mjs") == script.resolve()
    assert static_path(script.as_uri()) == script.resolve()
    assert StaticOnlyFetcher().fetch("static:/js/diagram.mjs").read() == script.read_bytes()
    assert StaticOnlyFetcher().fetch("data:text/plain,hello").read() == b"hello"
    for refused in ("file:///etc/passwd", "http://example.com/x.png", "https://example.com/", "ftp://example.com/",
                    "static:/../../pyproject.toml", "static:/js", "static:/missing.png",
                    (STATIC_ROOT.parent / "__init__.py").as_uri()):
        assert static_path(refused) is None, refused
        with pytest.raises(ValueError, match="only our own static files"):
            StaticOnlyFetcher().fetch(refused)
