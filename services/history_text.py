"""The case history as people read it: each event a sentence naming who did what, from its kind and details.

Rows keep the summary written when they were recorded; the sentence is worked out when it is shown, so old rows
read as well as new ones. Kinds not known here show their summary with dates and quotes tidied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services import vocabulary
from services.auth import user_by_username
from services.dates import long_date_text
from services.models import CaseEvent, User
from workflows.lanes import ROLE_NAMES, ROLES

_ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_QUOTED = re.compile(r"'([^']+)'")
_ACTION = re.compile(r"^Action for (?P<owner>.+?) due (?P<due>[^:]+): (?P<description>.*)$", re.DOTALL)
# Summaries that start with what the actor did ("Claimed 'Write minutes'", "Transferred from ... to ...").
_DONE_BY_ACTOR = ("Claimed ", "Released ", "Transferred ", "Completed ")


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    text: str  # one sentence: who did what
    byline: str | None  # who, when the sentence does not say


def lines(events: Iterable[CaseEvent]) -> list[HistoryLine]:
    return [line(event) for event in events]


def line(event: CaseEvent) -> HistoryLine:
    who = actor_name(event.actor)
    writer = _WRITERS.get(event.kind)
    text = writer(event, who) if writer is not None else None
    if text is not None:
        return HistoryLine(event.at, text, None)
    summary = tidy(event.summary)
    if event.actor is not None and event.summary.startswith(_DONE_BY_ACTOR):
        return HistoryLine(event.at, f"{who} {summary[0].lower()}{summary[1:]}", None)
    return HistoryLine(event.at, summary, who if event.actor is not None else None)


def actor_name(actor: User | None) -> str:
    """Jane Smith (MAPPA Coordinator): the person and the first role they hold."""
    if actor is None:
        return "The system"
    role = next((r.name for r in ROLES if r.key in actor.roles), None)
    return f"{actor.display_name} ({role})" if role else actor.display_name


def tidy(text: str) -> str:
    """ISO dates as dates people read, 'names' in curly quotes."""
    text = _ISO_DAY.sub(lambda m: long_date_text(m.group(0)), text)
    return _QUOTED.sub(lambda m: f"\u2018{m.group(1)}\u2019", text)


def _step_name(event: CaseEvent) -> str:
    found = _QUOTED.search(event.summary)
    return f"\u2018{found.group(1)}\u2019" if found else "a step"


def _task_completed(event: CaseEvent, who: str) -> str:
    data = event.detail.get("data") if isinstance(event.detail, dict) else None
    decisions = _decisions(data if isinstance(data, dict) else {})
    return f"{who} completed {_step_name(event)}" + (f": {decisions}" if decisions else "")


def _decisions(data: dict[str, Any]) -> str:
    """The coded answers of a form (outcomes, levels, categories), not its free text."""
    answers = [vocabulary.label_for(key, value) for key, value in data.items()
               if not isinstance(value, bool) and vocabulary.is_coded(key, value)]
    return "; ".join(answers)


def _case_updated(event: CaseEvent, who: str) -> str | None:
    changes = event.detail.get("changes") if isinstance(event.detail, dict) else None
    if not isinstance(changes, dict) or not changes:
        return None
    new = {key: pair[1] for key, pair in changes.items() if isinstance(pair, list) and len(pair) == 2}
    if "level" in new and str(new.get("status")) == f"level {new['level']}":
        del new["status"]  # "Status: Level 2; Level: Level 2" says it twice
    said = "; ".join(f"{vocabulary.field_label(key)}: {_value(key, value)}" for key, value in new.items())
    reason = event.detail.get("reason")
    subject = f"{who} changed the case" if event.actor is not None else "The case changed"
    return f"{subject}: {said}" + (f" (reason: {reason})" if reason else "")


def _value(key: str, value: Any) -> str:
    if value in (None, "None", ""):
        return "none"
    if key == "lead_officer":
        return _display_name(str(value))
    return vocabulary.label_for(key, value)


def _display_name(username: str) -> str:
    user = user_by_username(username)
    return user.display_name if user else username


def _phase_started(event: CaseEvent, who: str) -> str:
    name = event.summary.removesuffix(" started")
    if event.actor is None:
        return f"The \u2018{name}\u2019 phase started"
    return f"{who} started the \u2018{name}\u2019 phase"


def _phase_completed(event: CaseEvent, who: str) -> str:
    return f"The \u2018{event.summary.removesuffix(' completed')}\u2019 phase finished"


def _phase_cancelled(event: CaseEvent, who: str) -> str:
    name, _, why = event.summary.partition(" ended")
    return f"The \u2018{name}\u2019 phase ended early{tidy(why)}"


def _referral_submitted(event: CaseEvent, who: str) -> str | None:
    referral = event.detail.get("referral") if isinstance(event.detail, dict) else None
    if not isinstance(referral, dict) or "level_requested" not in referral:
        return None
    return f"{who} referred the case for Level {referral['level_requested']} management"


def _offender_identified(event: CaseEvent, who: str) -> str | None:
    facts = event.detail.get("facts") if isinstance(event.detail, dict) else None
    if not isinstance(facts, dict) or "category" not in facts:
        return None
    return f"{who} identified the offender as MAPPA eligible ({vocabulary.label_for('category', facts['category'])})"


def _early_review(event: CaseEvent, who: str) -> str | None:
    reason = event.detail.get("early_review_reason") if isinstance(event.detail, dict) else None
    if not reason:
        return None
    subject = f"{who} asked for an early review" if event.actor is not None else "An early review was asked for"
    return f"{subject}: {reason}"


def _action_agreed(event: CaseEvent, who: str) -> str | None:
    detail = event.detail if isinstance(event.detail, dict) else {}
    found = _ACTION.match(event.summary)
    if "owner_role" in detail:
        owner, due, description = detail["owner_role"], str(detail.get("due") or ""), detail.get("description", "")
    elif found is not None:  # rows recorded before the details were kept: "Action for police due 2026-12-02: ..."
        owner, due, description = found["owner"].strip().replace(" ", "_"), found["due"].strip(), found["description"]
    else:
        return None
    owner_name = ROLE_NAMES.get(owner, owner.replace("_", " "))
    return f"{who} agreed an action for {owner_name}, due {long_date_text(due)}: {description}"


def _incident_raised(event: CaseEvent, who: str) -> str:
    return f"{tidy(event.summary)}; the process owner has been told"


def _incident_retried(event: CaseEvent, who: str) -> str:
    return f"{who} retried the step that failed"


def _timer_fired(event: CaseEvent, who: str) -> str:
    name = event.summary.removesuffix(": timer fired")
    return f"The \u2018{name}\u2019 phase moved on at its due time"


def _outcome(event: CaseEvent, who: str) -> str:
    return f"{who} recorded: {tidy(event.summary)}"


_WRITERS = {
    "task_completed": _task_completed, "case_updated": _case_updated, "phase_started": _phase_started,
    "phase_completed": _phase_completed, "phase_cancelled": _phase_cancelled,
    "referral_submitted": _referral_submitted, "offender_identified": _offender_identified,
    "early_review_requested": _early_review, "action_agreed": _action_agreed, "incident_raised": _incident_raised,
    "incident_retried": _incident_retried, "timer_fired": _timer_fired,
    "returned_to_custody": _outcome, "notification_breach": _outcome, "serious_further_offence": _outcome,
    "serious_case_review": _outcome,
}
