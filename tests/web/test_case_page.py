"""Reading a case: the phase with open work shown by default, its steps listed as text, history as sentences, and
no raw values (ISO dates, booleans, codes, role keys, "Case 8") anywhere on the page."""

from __future__ import annotations

import re
from datetime import date

import lxml.html
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.db import db
from services.lifecycle import agree_action
from services.models import CaseEvent, MappaCase, ProcessInstance, User
from services.tasks import complete
from tests.factories import create_case, ready_task, seeded, sign_in
from tests.pages import get_page
from workflows.lanes import ROLES

RAW = {
    "ISO date": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    "boolean or None": re.compile(r"\bTrue\b|\bFalse\b|\bNone\b"),
    "role key or code": re.compile(r"\b[a-z]+_[a-z_]+\b"),
    "case id": re.compile(r"\bCase \d+\b"),
    "instance status": re.compile(r"\b(?:running|cancelled)\b|\u2013 completed\b"),
    "short month": re.compile(r"\b\d{1,2} (?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b"),
}
DUE = date(2026, 12, 2)
ROLE_KEYS = re.compile(r"\b(?:" + "|".join(r.key for r in ROLES if "_" in r.key) + r")\b")


def text_of(page: lxml.html.HtmlElement, element_id: str | None = None) -> str:
    element = page.get_element_by_id(element_id) if element_id else page.body
    for script in element.xpath(".//script"):
        script.getparent().remove(script)
    return " ".join(element.text_content().split())


def items(page: lxml.html.HtmlElement, list_id: str) -> list[str]:
    return [" ".join(li.text_content().split()) for li in page.get_element_by_id(list_id).xpath("./li")]


def screened(users: dict[str, User], **overrides: object) -> MappaCase:
    """Referred by probation, checked and screened at Level 2 by the coordinator; ViSOR work open for the police."""
    case = create_case(users["probation"], **overrides)
    complete(users["coordinator"], ready_task(case.id, "check_referral").id, {"referral_complete": "yes"})
    complete(users["coordinator"], ready_task(case.id, "screening_decision").id, {
        "screening_outcome": "accepted_level_2", "screening_rationale": "Needs multi-agency management.",
        "first_review_due": "2026-12-15"})
    db.session.commit()
    return case


def test_the_case_page_lists_current_and_completed_steps_as_text(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case = create_case(users["probation"])
    complete(users["coordinator"], ready_task(case.id, "check_referral").id, {"referral_complete": "yes"})
    db.session.commit()
    sign_in(client, "coordinator")
    page = get_page(client, f"/cases/{case.id}")
    assert text_of(page, "shown-phase") == "Referral and screening (version 1): In progress"
    assert items(page, "current-steps") == ["Screening decision \u2013 Unclaimed (MAPPA Coordinator), "
                                            "due 9 December 2026"]
    assert items(page, "completed-steps") == ["Check referral is complete \u2013 Cora Ordinator, "
                                              "25 November 2026 at 10:00am"]
    diagram = page.get_element_by_id("diagram")
    assert "steps are listed as text" in diagram.get("aria-label")


def test_the_phase_with_open_work_is_shown_not_the_latest(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case = screened(users)  # referral (ViSOR step open), then the review period waiting for its date
    db.session.expire_all()
    phases = [i.model.name for i in db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.case_id == case.id).order_by(ProcessInstance.sequence))]
    assert phases == ["Referral and screening", "Review period"]
    sign_in(client, "coordinator")
    page = get_page(client, f"/cases/{case.id}")
    assert text_of(page, "shown-phase").startswith("Referral and screening")
    assert items(page, "current-steps") == ["Create or link ViSOR record \u2013 Unclaimed (Police Public Protection), "
                                            "due 28 November 2026"]
    shown = page.xpath("//ol[@id='phases']//a[@aria-current='true']")
    assert [a.text_content() for a in shown] == ["Referral and screening"]

    review = page.xpath("//ol[@id='phases']//a[normalize-space()='Review period']")[0].get("href")
    other = get_page(client, review)
    assert text_of(other, "shown-phase") == "Review period (version 1): In progress"
    assert items(other, "current-steps") == ["Waiting for: Early review requested or Review or exit date coming"]

    complete(users["police"], ready_task(case.id, "visor_record").id, {"visor_reference": "VS12345"})
    agree_action(users["coordinator"], case.id, "Home visit", "childrens_social_care", DUE)
    db.session.commit()
    page = get_page(client, f"/cases/{case.id}")
    assert text_of(page, "shown-phase") == "Agreed action (version 1): In progress"
    assert "Referral and screening \u2013 Finished" in text_of(page, "phases")


def test_history_reads_as_sentences(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case = screened(users)
    agree_action(users["coordinator"], case.id, "Check the children are safe", "childrens_social_care", DUE)
    # rows recorded before this wording existed read as well
    db.session.add(CaseEvent(case_id=case.id, at=app.extensions["mappa.clock"].now(), actor_id=users["chair"].id,
                             kind="action_agreed", summary="Action for police due 2026-12-05: Joint home visit",
                             detail={}))
    db.session.add(CaseEvent(case_id=case.id, at=app.extensions["mappa.clock"].now(), actor_id=None,
                             kind="task_overdue", summary="'Write minutes' is overdue (due 2026-11-20)", detail={}))
    db.session.commit()
    sign_in(client, "coordinator")
    page = get_page(client, f"/cases/{case.id}")
    history = [" ".join(h.text_content().split()) for h in page.xpath("//div[@class='moj-timeline']//h3")]
    for sentence in [
        "Petra Obation (Offender Manager) referred the case for Level 2 management",
        "Cora Ordinator (MAPPA Coordinator) completed \u2018Check referral is complete\u2019: Yes",
        "Cora Ordinator (MAPPA Coordinator) completed \u2018Screening decision\u2019: Accepted - Level 2",
        "Cora Ordinator (MAPPA Coordinator) changed the case: Level: Level 2; Next review due: 15 December 2026",
        "Cora Ordinator (MAPPA Coordinator) started the \u2018Review period\u2019 phase",
        "Cora Ordinator (MAPPA Coordinator) agreed an action for Children's Social Care, due 2 December 2026: "
        "Check the children are safe",
        "Charles Chair (MAPP Meeting Chair) agreed an action for Police Public Protection, due 5 December 2026: "
        "Joint home visit",
        "\u2018Write minutes\u2019 is overdue (due 20 November 2026)",
    ]:
        assert sentence in history, f"{sentence!r} not in {history}"


def test_no_raw_values_on_the_demo_case_pages(app: Flask, client: FlaskClient) -> None:
    result = app.test_cli_runner().invoke(args=["mappa", "seed-demo", "--cases", "15"])
    assert result.exit_code == 0, result.output
    password = next(line.split()[1] for line in result.output.splitlines() if line.split()[:1] == ["coordinator"])
    from tests.factories import csrf_token

    client.post("/sign-in", data={"username": "coordinator", "password": password, "csrf_token": csrf_token(client)})
    db.session.expire_all()
    coordinator = db.session.scalars(select(User).where(User.username == "coordinator")).one()
    cases = list(db.session.scalars(select(MappaCase).where(MappaCase.area_id == coordinator.area_id)
                                    .order_by(MappaCase.id)))
    problems = []
    for case in cases:
        page = get_page(client, f"/cases/{case.id}")
        text = text_of(page)
        for name, pattern in [*RAW.items(), ("role key", ROLE_KEYS)]:
            problems += [f"{case.reference}: {name} {m.group(0)!r} in …{text[max(0, m.start() - 50):m.end() + 30]}…"
                         for m in pattern.finditer(text)]
        instances = db.session.scalars(select(ProcessInstance.id).where(ProcessInstance.case_id == case.id))
        for instance_id in instances:
            text = text_of(get_page(client, f"/cases/{case.id}?instance={instance_id}"), "phase-steps")
            problems += [f"{case.reference} phase {instance_id}: {name} {m.group(0)!r}"
                         for name, pattern in RAW.items() for m in pattern.finditer(text)]
    assert not problems, "\n".join(problems)
    assert len(cases) >= 10


def test_the_access_log_names_the_case(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case = create_case(users["probation"])
    sign_in(client, "manager")
    page = get_page(client, f"/cases/{case.id}/access-log")
    caption = text_of(page).split("Who has seen this case")[0]
    assert f"{case.reference} · John Smith · access log" in caption
    assert not RAW["case id"].search(text_of(page))
