"""Cases: the list, a case's page (summary, tasks, history, diagram), referrals and identifications, and the
small forms that change a case between steps (early review, release date, transfer, lead, agreed action)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.cases import forms as case_forms
from app.formfields import check_submission, form_fields, raw_values
from app.routing import query_id
from app.security import requires, signed_in_user
from app.templating import london_date
from services import case_search, clock, critical_cases, disclosures, forms, lifecycle, rso, settings_admin, sfo
from services import cases as case_service
from services.access import case_access_log, load_case, load_case_for
from services.errors import Conflict, FieldError, ValidationFailed
from services.models import MappaCase, User
from services.permissions import has_permission, may_on_case
from services.tasks import due_status
from workflows.lanes import role_name

bp = Blueprint("cases", __name__, template_folder="templates")

Outcome = tuple[str, str]  # the flash message and where to go after a change


@bp.get("/cases")
@requires("cases:view")
def case_list() -> ResponseReturnValue:
    q = request.args.get("q", "")
    status = request.args.get("status") or None
    no_meeting = request.args.get("no_meeting") == "true"  # the overdue dashboard's "no meeting booked" count
    critical = request.args.get("critical") == "true"
    listing: case_search.CaseListing | None = None
    errors: list[FieldError] = []
    try:
        listing = case_search.find_cases(signed_in_user(), case_search.case_filter(q, status, no_meeting, critical))
    except ValidationFailed as failed:
        errors = failed.errors
    return render_template("cases/list.html", page_title="Cases", active_nav="cases", listing=listing, q=q.strip(),
                           status=status, statuses=case_service.STATUSES, no_meeting=no_meeting, critical=critical,
                           errors=errors,
                           today=clock.today(), review_overdue=case_search.review_overdue, closed=lifecycle.CLOSED)


@bp.get("/cases/<int:case_id>")
@requires("cases:view")
def case_page(case_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    view = case_service.view_case(user, case_id)
    instance_id = query_id("instance")
    diagram = case_service.diagram(user, case_id, instance_id)
    return render_template("cases/case.html", page_title=f"{view.case.offender_name}", active_nav="cases",
                           view=view, diagram=diagram, due_status=due_status, actions=_case_actions(user, view.case),
                           category_code=case_service.CATEGORY_CODES.get(view.case.category, "X9"),
                           disclosure_decisions=disclosures.decisions_of(user, view.case),
                           may_see_disclosures=may_on_case(user, "disclosures:view", view.case),
                           may_record_disclosure=may_on_case(user, "disclosures:record", view.case),
                           decisions=disclosures.DECISIONS, powers=disclosures.POWERS,
                           disclosure_statuses=disclosures.STATUSES, critical=_critical(user, view.case),
                           may_see_sfo=may_on_case(user, "sfo:view", view.case),
                           **_rso_section(user, view.case))


def _rso_section(user: User, case: MappaCase) -> dict[str, Any]:
    """The case page's "Sex offender notification" section (category 1 cases, for those who may see it)."""
    shown = case.category == 1 and may_on_case(user, "rso:view", case)
    return {"rso": rso.view(case) if shown else None, "may_record_rso": shown and may_on_case(user, "rso:record", case),
            "rso_kinds": rso.KINDS, "rso_changes": rso.CHANGES, "rso_disposals": rso.DISPOSALS,
            "rso_period": rso.period_text}


def _critical(user: User, case: MappaCase) -> dict[str, Any]:
    """The case's critical public protection case flags and their history (read with the case, already logged), for
    those who may see them (critical:view)."""
    flags = critical_cases.flags_of(case.id) if may_on_case(user, "critical:view", case) else []
    return {"flags": flags, "history": critical_cases.history(case.id) if flags else [],
            "is_critical": any(f.status in critical_cases.CRITICAL_STATUSES for f in flags),
            "statuses": critical_cases.STATUSES}


@bp.get("/cases/<int:case_id>/access-log")
@requires("audit:view")
def access_log(case_id: int) -> ResponseReturnValue:
    case, rows = case_access_log(signed_in_user(), case_id)
    return render_template("cases/access_log.html", page_title="Who has seen this case", active_nav="cases",
                           rows=rows, case=case)


def _case_actions(user: User, case: MappaCase) -> list[dict[str, str]]:
    """Links to the forms that change the case; a closed case only changes at the coordinator's hand."""
    if case.status in lifecycle.CLOSED and "coordinator" not in user.roles:
        return []
    links = [("Request an early review", "cases.early_review")]
    if case.custody and may_on_case(user, "cases:change_release_date", case):
        links.append(("Change release date", "cases.release_date"))
    if case.status not in lifecycle.CLOSED and may_on_case(user, "cases:change_address", case):
        links.append(("Record a change of address", "cases.address"))
    open_case = case.status not in lifecycle.CLOSED  # a case that has left MAPPA starts no new work
    if open_case and may_on_case(user, "cases:transfer", case):
        links.append(("Transfer to another MAPPA area", "cases.transfer"))
    if may_on_case(user, "cases:change_lead", case):
        links.append(("Change lead agency or officer", "cases.lead"))
    if open_case and has_permission(user, "actions:agree"):
        links.append(("Record an agreed action", "cases.agreed_action"))
    if may_on_case(user, "sfo:notify", case):
        links.append(("Notify a serious further offence", "cases.sfo_notify"))
    if may_on_case(user, "critical:flag", case) and critical_cases.refusal(case) is None:
        links.append(("Flag as a critical public protection case", "cases.critical_flag"))
    return [{"text": text, "href": url_for(endpoint, case_id=case.id)} for text, endpoint in links]


# --- opening a case --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OpeningPage:
    form_key: str
    title: str
    caption: str
    intro: str
    button: str
    nav: str


REFERRAL = OpeningPage("referral", "New MAPPA referral", "MAPPA A",
                       "Refer an offender for Level 2 or Level 3 management. The MAPPA coordinator for your area "
                       "checks and screens the referral.", "Submit referral", "referrals")
IDENTIFICATION = OpeningPage("identification", "Identify a MAPPA offender", "MAPPA identification",
                             "Record an offender who is MAPPA eligible by their offence and sentence. Most are "
                             "managed at Level 1 by the lead agency; refer the case separately if it needs Level 2 "
                             "or Level 3 management.", "Record identification", "identify")


def _opening_page(page: OpeningPage, open_case: Callable[[User, dict[str, Any]], MappaCase]) -> ResponseReturnValue:
    form_key = page.form_key
    schema = forms.load_form(form_key)
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    if request.method == "POST":
        submitted = request.form.to_dict(flat=False)
        data, errors = check_submission(schema, submitted)
        if not errors:
            try:
                case = open_case(signed_in_user(), data)
            except ValidationFailed as failed:
                errors = failed.errors
            else:
                return redirect(url_for("cases.case_page", case_id=case.id))
        values = raw_values(schema, submitted)
    return render_template("cases/open_case.html", page_title=page.title, active_nav=page.nav, page=page,
                           fields=form_fields(schema, values, errors), errors=errors)


@bp.route("/referrals/new", methods=["GET", "POST"])
@requires("cases:refer")
def new_referral() -> ResponseReturnValue:
    return _opening_page(REFERRAL, case_service.create_referral)


@bp.route("/cases/identify", methods=["GET", "POST"])
@requires("cases:refer")
def identify_offender() -> ResponseReturnValue:
    return _opening_page(IDENTIFICATION, case_service.identify_offender)


# --- changing a case between steps -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ActionForm:
    title: str
    schema: dict[str, Any]
    button: str
    intro: str


def _action_page(case: MappaCase, page: ActionForm, apply: Callable[[dict[str, Any]], Outcome],
                 initial: dict[str, Any]) -> ResponseReturnValue:
    """GET shows the form; POST checks it and applies it, or shows it again with the problems."""
    errors: list[FieldError] = []
    values, status = initial, 200
    if request.method == "POST":
        submitted = request.form.to_dict(flat=False)
        data, errors = check_submission(page.schema, submitted)
        if not errors:
            try:
                message, target = apply(data)
            except ValidationFailed as failed:
                errors = failed.errors
            except Conflict as conflict:
                errors, status = [FieldError("", conflict.message)], 409
            else:
                flash(message, "success")
                return redirect(target)
        values = raw_values(page.schema, submitted)
    return render_template("cases/action.html", page_title=page.title, active_nav="cases", case=case, page=page,
                           fields=form_fields(page.schema, values, errors), errors=errors), status


def _case(case_id: int, permission: str | None = None) -> MappaCase:
    """The case a form changes; a form that needs a permission on the case is not even shown without it."""
    if permission is None:
        return load_case(signed_in_user(), case_id, event="case_viewed")
    return load_case_for(signed_in_user(), case_id, permission, event="case_viewed")


def _back(case_id: int) -> str:
    return url_for("cases.case_page", case_id=case_id)


@bp.route("/cases/<int:case_id>/early-review", methods=["GET", "POST"])
@requires("cases:contribute")
def early_review(case_id: int) -> ResponseReturnValue:
    case = _case(case_id)
    page = ActionForm("Request an early review", case_forms.early_review(), "Request early review",
                      "Any agency on the case can ask for the next review to be held early. The review is then due "
                      "within the area's early review period.")

    def apply(data: dict[str, Any]) -> Outcome:
        lifecycle.request_early_review(signed_in_user(), case_id, data["reason"], data["detail"])
        return f"Early review requested for {case.reference}", _back(case_id)

    return _action_page(case, page, apply, {})


@bp.route("/cases/<int:case_id>/release-date", methods=["GET", "POST"])
@requires("cases:change_release_date")
def release_date(case_id: int) -> ResponseReturnValue:
    case = _case(case_id, "cases:change_release_date")
    if not case.custody:
        raise Conflict("The offender is not in custody, so there is no release date to change")
    page = ActionForm("Change release date", case_forms.release_date(), "Change release date",
                      "Steps counted back from the release date are planned again; work already done is kept.")

    def apply(data: dict[str, Any]) -> Outcome:
        new_date = date.fromisoformat(data["release_date"])
        lifecycle.change_release_date(signed_in_user(), case_id, new_date, data["reason"])
        return f"Earliest release date changed to {london_date(new_date)}", _back(case_id)

    return _action_page(case, page, apply, {"release_date": case.release_date.isoformat() if case.release_date
                                            else None})


@bp.route("/cases/<int:case_id>/address", methods=["GET", "POST"])
@requires("cases:change_address")
def address(case_id: int) -> ResponseReturnValue:
    case = _case(case_id, "cases:change_address")
    page = ActionForm("Record a change of address", case_forms.address(), "Record change of address",
                      "The case's ViSOR user is given the new address to record. For a registered sex offender's own "
                      "notification of a new address, use the sex offender notification instead.")

    def apply(data: dict[str, Any]) -> Outcome:
        moved_on = date.fromisoformat(data["moved_on"])
        lifecycle.change_address(signed_in_user(), case_id, data["address"], moved_on, data["reason"])
        return f"Change of address recorded for {case.reference}: ViSOR is to be told", _back(case_id)

    return _action_page(case, page, apply, {})


@bp.route("/cases/<int:case_id>/transfer", methods=["GET", "POST"])
@requires("cases:transfer")
def transfer(case_id: int) -> ResponseReturnValue:
    case = _case(case_id, "cases:transfer")
    areas = settings_admin.other_areas(signed_in_user())
    page = ActionForm("Transfer to another MAPPA area", case_forms.transfer(areas), "Transfer case",
                      "The receiving area re-screens the level. The history and documents go with the case, and "
                      "your area will no longer see it.")

    def apply(data: dict[str, Any]) -> Outcome:
        moved = lifecycle.transfer(signed_in_user(), case_id, data["to_area"], data["reason"])
        return f"{moved.reference} transferred to {moved.area.name}", url_for("cases.case_list")

    return _action_page(case, page, apply, {})


@bp.route("/cases/<int:case_id>/lead", methods=["GET", "POST"])
@requires("cases:change_lead")
def lead(case_id: int) -> ResponseReturnValue:
    case = _case(case_id, "cases:change_lead")
    page = ActionForm("Change lead agency or officer", case_forms.lead(settings_admin.area_officers(case.area_id)),
                      "Change lead", "The lead agency co-ordinates the risk management plan.")

    def apply(data: dict[str, Any]) -> Outcome:
        changed = lifecycle.change_lead(signed_in_user(), case_id, data["lead_agency"], data.get("lead_officer"),
                                        data["reason"])
        officer = f" ({changed.lead_officer.display_name})" if changed.lead_officer else ""
        return f"Lead changed to {changed.lead_agency}{officer}", _back(case_id)

    current = {"lead_agency": case.lead_agency,
               "lead_officer": case.lead_officer.username if case.lead_officer else None}
    return _action_page(case, page, apply, current)


@bp.route("/cases/<int:case_id>/actions/new", methods=["GET", "POST"])
@requires("actions:agree")
def agreed_action(case_id: int) -> ResponseReturnValue:
    case = _case(case_id)
    page = ActionForm("Record an agreed action", case_forms.agreed_action(), "Record action",
                      "The action becomes a task for the owning agency. If it is not done by its due date, the "
                      "chair and the MAPPA coordinator are told.")

    def apply(data: dict[str, Any]) -> Outcome:
        due = date.fromisoformat(data["due"])
        lifecycle.agree_action(signed_in_user(), case_id, data["description"], data["owner_role"], due)
        return f"Action recorded for {role_name(data['owner_role'])}, due {london_date(due)}", _back(case_id)

    return _action_page(case, page, apply, {})


@bp.route("/cases/<int:case_id>/disclosures/new", methods=["GET", "POST"])
@requires("disclosures:record")
def disclosure_decision(case_id: int) -> ResponseReturnValue:
    case = _case(case_id, "disclosures:record")
    minutes_id = query_id("minutes")  # recorded from the minutes of a MAPP meeting review
    disclosures.review_minutes(case, minutes_id)  # the case's own minutes, or none
    page = ActionForm("Record a disclosure decision", disclosures.decision_schema(disclosures.officers(case.area_id)),
                      "Record decision",
                      "Whether to tell a third party about the offender, and why. A decision to disclose becomes a "
                      "task for the agency delivering it, due on the date you set; the disclosure is then kept in "
                      "the case's access log (DPA 2018 s.62).")

    def apply(data: dict[str, Any]) -> Outcome:
        row = disclosures.record_decision(signed_in_user(), case_id, data, minutes_id)
        back = _back(case_id) if row.minutes is None else url_for(
            "meetings.minutes_page", meeting_id=row.minutes.meeting_id, case_id=case_id)
        if row.decision == "disclose":
            return (f"Disclosure to {row.recipient} recorded: {role_name(row.deliverer_role or '')} to deliver it by "
                    f"{london_date(row.deliver_by)}", back)
        return "Decision not to disclose recorded", back

    return _action_page(case, page, apply, {})


@bp.route("/cases/<int:case_id>/rso/new", methods=["GET", "POST"])
@requires("rso:record")
def rso_event(case_id: int) -> ResponseReturnValue:
    case = _case(case_id, "rso:record")
    page = ActionForm("Record a sex offender notification event", rso.event_schema(), "Record event",
                      "What the registered sex offender notified in person, a home visit, or a breach. An initial or "
                      "periodic notification or a home visit completes the task due for it, and the next one is "
                      "set from it; a change of details resets the annual date.")

    def apply(data: dict[str, Any]) -> Outcome:
        row = rso.record_event(signed_in_user(), case_id, data)
        return f"{rso.KINDS[row.kind]} recorded" + (" (late)" if row.late else ""), _back(case_id) + "#rso"

    return _action_page(case, page, apply, {})
# --- serious further offences (services.sfo) -------------------------------------------------------------------

@bp.route("/cases/<int:case_id>/sfo/new", methods=["GET", "POST"])
@requires("sfo:notify")
def sfo_notify(case_id: int) -> ResponseReturnValue:
    case = _case(case_id, "sfo:notify")
    page = ActionForm("Notify a serious further offence", sfo.charge_schema(), "Notify serious further offence",
                      "The offender has been charged with a serious further offence. The lead agency then sends the "
                      "MAPPA N to the SMB chair and the MAPPA coordinator, and the Strategic Management Board decides "
                      "whether to hold a MAPPA serious case review.")

    def apply(data: dict[str, Any]) -> Outcome:
        row = sfo.notify(signed_in_user(), case_id, data)
        [mappa_n] = sfo.reviews_steps(row)
        return (f"Serious further offence notified: the MAPPA N is due by {london_date(mappa_n.due_date)}",
                url_for("cases.sfo_record", case_id=case_id))

    return _action_page(case, page, apply, {})


@bp.get("/cases/<int:case_id>/sfo")
@requires("sfo:view")
def sfo_record(case_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    case, reviews = sfo.reviews_of(user, case_id)
    return render_template("cases/sfo.html", page_title="Serious further offences", active_nav="cases", case=case,
                           reviews=reviews, statuses=sfo.STATUSES, offences=sfo.offences(), today=clock.today(),
                           due_status=due_status, may_notify=may_on_case(user, "sfo:notify", case),
                           may_see_case=has_permission(user, "cases:view"))
@bp.route("/cases/<int:case_id>/critical", methods=["GET", "POST"])
@requires("critical:flag")
def critical_flag(case_id: int) -> ResponseReturnValue:
    case = _case(case_id, "critical:flag")
    page = ActionForm("Flag as a critical public protection case", forms.load_form(critical_cases.FLAG_FORM),
                      "Flag and start the CPPC referral",
                      "Only a Level 3 case can be a critical public protection case. Flagging it gives you the task "
                      "of preparing the CPPC referral; the senior manager then approves or declines it, and an "
                      "approved case is notified to HMPPS Public Protection Group.")

    def apply(data: dict[str, Any]) -> Outcome:
        critical_cases.flag_case(signed_in_user(), case_id, data)
        return f"{case.reference} flagged: prepare the CPPC referral", _back(case_id)

    return _action_page(case, page, apply, {})
