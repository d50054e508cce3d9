"""PDFs for MAPP meetings: the agenda, the minutes for one offender and the executive summary for external requests.

Templates are rendered with a plain Jinja environment (no Flask) and WeasyPrint is given a URL fetcher that serves
only files under ``app/static``: nothing is fetched from the network or from elsewhere on disk.
"""

from __future__ import annotations

import mimetypes
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from jinja2 import Environment, FileSystemLoader
from sqlalchemy import select
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from services.clock import LONDON
from services.db import db
from services.meeting_words import AGENDA_KINDS, offender_labels, word
from services.minutes_sections import ALL_SECTIONS, LEVEL_DECISIONS, TEXT_SECTIONS
from services.models import AgendaItem, Attendance, MappMeeting, Minutes
from workflows.lanes import role_name

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC_ROOT = Path(__file__).resolve().parents[2] / "app" / "static"
BASE_URL = STATIC_ROOT.as_uri() + "/"
STATIC_SCHEME = "static:"
NONE_RECORDED = "None recorded"


class StaticOnlyFetcher(URLFetcher):
    """Serves ``static:/path`` and ``file:`` URLs inside app/static, and ``data:`` URLs; refuses everything else.

    WeasyPrint logs the refusal and renders the document without the resource.
    """

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            response: URLFetcherResponse = super().fetch(url, headers)
            return response
        path = static_path(url)
        if path is None:
            raise ValueError(f"only our own static files are fetched, not {url}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})


def static_path(url: str) -> Path | None:
    """The file under app/static that ``url`` names, or None if it names anything else."""
    if url.startswith(STATIC_SCHEME):
        relative = unquote(urlsplit(url).path).lstrip("/")
    elif url.startswith("file:"):
        relative = url2pathname(urlsplit(url).path)
    else:
        return None
    root = STATIC_ROOT.resolve()
    candidate = (root / relative).resolve()
    return candidate if candidate.is_relative_to(root) and candidate.is_file() else None


def render_pdf(template: str, **context: Any) -> bytes:
    html = _environment().get_template(template).render(**context)
    pdf: bytes = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).write_pdf()
    return pdf


@cache
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    env.filters.update(london_datetime=london_datetime, london_time=london_time, long_date=long_date)
    return env


# --- formatting --------------------------------------------------------------------------------------------------


def london_time(value: datetime) -> str:
    """14:30"""
    return f"{_to_london(value):%H:%M}"


def london_datetime(value: datetime) -> str:
    """Wednesday 25 November 2026, 14:30"""
    local = _to_london(value)
    return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M}"


def long_date(value: date | datetime | str | None) -> str:
    """25 November 2026, from a date, an aware datetime (London day) or an ISO date string."""
    if isinstance(value, str):
        try:
            return long_date(date.fromisoformat(value)) if value else ""
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = _to_london(value).date()
    return f"{value.day} {value:%B %Y}" if value else ""


def _to_london(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(LONDON)


# --- agenda ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaRow:
    item: AgendaItem
    starts_at: datetime
    invitees: dict[str, list[Attendance]]


def agenda_pdf(meeting: MappMeeting) -> bytes:
    attendance = _attendance_by_item(meeting.id)
    return render_pdf("agenda.html", meeting=meeting, rows=agenda_rows(meeting, attendance),
                      whole_meeting=_by_agency(attendance.get(None, [])), labels=offender_labels(meeting.items),
                      agenda_kinds=AGENDA_KINDS, word=word)


def agenda_rows(meeting: MappMeeting, attendance: dict[int | None, list[Attendance]]) -> list[AgendaRow]:
    """Items in order, each starting when the previous one's allotted time runs out."""
    rows: list[AgendaRow] = []
    start = meeting.starts_at
    for item in sorted(meeting.items, key=lambda i: i.position):
        rows.append(AgendaRow(item, start, _by_agency(attendance.get(item.id, []))))
        start += timedelta(minutes=item.minutes_allotted)
    return rows


def _attendance_by_item(meeting_id: int) -> dict[int | None, list[Attendance]]:
    grouped: dict[int | None, list[Attendance]] = defaultdict(list)
    query = select(Attendance).where(Attendance.meeting_id == meeting_id).order_by(Attendance.agency, Attendance.id)
    for row in db.session.scalars(query):
        grouped[row.agenda_item_id].append(row)
    return grouped


def _by_agency(rows: list[Attendance]) -> dict[str, list[Attendance]]:
    grouped: dict[str, list[Attendance]] = defaultdict(list)
    for row in rows:
        grouped[row.agency].append(row)
    return dict(grouped)


# --- minutes -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionRow:
    description: str
    owner: str
    due: str


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    paragraphs: list[str]  # text, or the one-line value of a structured section; empty means "None recorded"
    actions: list[ActionRow]


def minutes_pdf(minutes: Minutes) -> bytes:
    return render_pdf("minutes.html", minutes=minutes, meeting=minutes.meeting, case=minutes.case,
                      sections=minutes_sections(minutes.sections or {}), none_recorded=NONE_RECORDED)


def executive_summary_pdf(minutes: Minutes) -> bytes:
    """One page for external requests: the decision, the summary and the actions, without risk or victim detail."""
    sections = minutes.sections or {}
    return render_pdf("executive_summary.html", minutes=minutes, meeting=minutes.meeting, case=minutes.case,
                      summary=paragraphs(sections.get("summary")), actions=action_rows(sections.get("actions")),
                      decision=level_decision_label(sections.get("level_decision")),
                      next_review=long_date(_text(sections.get("next_review_date"))), none_recorded=NONE_RECORDED)


def minutes_sections(sections: dict[str, Any]) -> list[Section]:
    """Every MAPPA C section in order, whether or not anything was written in it."""
    return [_section(key, heading, sections.get(key)) for key, heading in ALL_SECTIONS.items()]


def _section(key: str, heading: str, value: Any) -> Section:
    if key in TEXT_SECTIONS:
        return Section(key, heading, paragraphs(value), [])
    if key == "actions":
        return Section(key, heading, [], action_rows(value))
    if key == "level_decision":
        decision = level_decision_label(value)
        rationale = paragraphs(value.get("rationale")) if isinstance(value, dict) else []
        return Section(key, heading, [f"Decision: {decision}", *rationale] if decision else rationale, [])
    next_review = long_date(_text(value))
    return Section(key, heading, [next_review] if next_review else [], [])


def paragraphs(value: Any) -> list[str]:
    """Plain text split at blank lines (line breaks inside a paragraph are kept by the stylesheet)."""
    return [p.strip() for p in re.split(r"\n\s*\n", _text(value)) if p.strip()]


def action_rows(value: Any) -> list[ActionRow]:
    rows = [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
    return [ActionRow(description=_text(r.get("description")), owner=_owner(r),
                      due=long_date(_text(r.get("due")))) for r in rows]


def _owner(row: dict[str, Any]) -> str:
    """'Police Public Protection, Police': the owning role in words, then the agency recorded with it."""
    return ", ".join(p for p in (role_name(_text(row.get("owner_role"))), _text(row.get("owner_agency"))) if p)


def level_decision_label(value: Any) -> str:
    decision = _text(value.get("decision")) if isinstance(value, dict) else ""
    return LEVEL_DECISIONS.get(decision, decision)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
