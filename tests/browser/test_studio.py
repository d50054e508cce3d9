"""The studio in a real browser: a process owner adds a user task to the referral model in the bpmn-js modeler, sets
its form and due rule in our properties panel, saves, sees a check fail and then pass, publishes, and a new case
reaches the new task while the draft's local copy and the sign-out clearing keep working."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from services.db import db
from tests.factories import TEST_PASSWORD, create_case, ready_task, seeded


def open_editor(page: Page, base: str) -> str:
    page.goto(f"{base}/studio/mappa_referral/versions/1")
    page.get_by_role("button", name="Start a draft from this version").click()
    expect(page).to_have_url(re.compile(r"/studio/mappa_referral/drafts/\d+$"))
    expect(page.locator('#studio-editor[data-ready="true"]')).to_be_attached()
    return page.url


def add_user_task(page: Page) -> str:
    """Palette 'Create task', placed in the coordinator lane, changed into a user task from the context pad."""
    lane = page.locator('[data-element-id="Lane_MappaCoordinator"]').bounding_box()
    assert lane is not None
    x, y = lane["x"] + lane["width"] - 40, lane["y"] + lane["height"] / 2  # free space at the lane's right end
    page.locator('.djs-palette .entry[data-action="create.task"]').click()
    page.mouse.move(x - 10, y - 10)
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    # pan left (as dragging the canvas would), so the context pad beside the new task is inside the editor
    page.evaluate('() => document.getElementById("studio-editor").studio.modeler.get("canvas")'
                  '.scroll({dx: -250, dy: 0})')
    page.locator('.djs-context-pad .entry[data-action="replace"]').click()
    page.locator('[data-id="replace-with-user-task"]').click()
    panel = page.locator("#studio-properties")
    expect(panel).to_have_attribute("data-element", re.compile(r"^Activity_"))
    task_id = panel.get_attribute("data-element") or ""
    # wire it in: "Suggest level" -> new task -> "Check referral is complete" (modeling commands, undoable)
    page.evaluate("""(id) => {
      const m = document.getElementById("studio-editor").studio.modeler;
      const reg = m.get("elementRegistry"), modeling = m.get("modeling");
      const task = reg.get(id), flow = reg.get("f_to_check");
      modeling.reconnectEnd(flow, task, { x: task.x, y: task.y + task.height / 2 });
      modeling.connect(task, reg.get("check_referral"));
      m.get("selection").select(task);
    }""", task_id)
    return task_id


def save(page: Page) -> None:
    before = page.locator("#studio-editor").get_attribute("data-version")
    page.locator("#studio-save").click()
    expect(page.locator("#studio-editor")).not_to_have_attribute("data-version", before or "")
    expect(page.locator("#studio-save-status")).to_have_text(re.compile("Saved at"))


@pytest.mark.browser
def test_a_process_owner_adds_a_task_publishes_and_a_new_case_reaches_it(app, live_server, page: Page) -> None:
    referrer = seeded()["probation"]
    db.session.commit()  # release SQLite before the server handles the browser's requests
    sign_in_owner(page, live_server)
    open_editor(page, live_server)

    task_id = add_user_task(page)
    page.locator('#studio-properties input[data-property="name"]').fill("Triage referral")
    page.locator('#studio-properties input[data-property="name"]').press("Tab")
    save(page)
    failing = page.locator(f'#studio-checks li[data-element="{task_id}"]')
    expect(failing.first).to_contain_text("names no form")
    expect(page.locator("#studio-publish")).to_be_disabled()
    failing.first.locator("a").click()  # the check selects its element
    expect(page.locator("#studio-properties")).to_have_attribute("data-element", task_id)
    expect(page.locator(f'.djs-overlays[data-container-id="{task_id}"] .app-check-marker')).to_be_visible()

    page.locator('#studio-properties select[data-property="formKey"]').select_option("referral_check")
    page.locator('#studio-properties select[data-property="dueRule"]').select_option("working_days")
    due = page.locator('#studio-properties input[data-property="dueValue"]')
    due.fill("5WD")
    due.press("Tab")
    save(page)
    expect(page.locator(f'#studio-checks li[data-element="{task_id}"]')).to_have_count(0)
    expect(page.locator("#studio-checks-summary")).to_have_attribute("data-errors", "0")

    page.locator("#studio-compare").click()  # the draft against the version it started from
    expect(page.locator(f'tr[data-element="{task_id}"]')).to_have_attribute("data-change", "added")
    expect(page.locator('#diagram[data-ready="true"]')).to_be_attached()
    page.go_back()
    expect(page.locator('#studio-editor[data-ready="true"]')).to_be_attached()
    expect(page.locator("#studio-publish")).to_be_enabled()
    page.get_by_role("button", name="Publish").click()
    expect(page).to_have_url(re.compile(r"/studio/mappa_referral/versions/2$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Version 2")

    case = create_case(referrer)
    task = ready_task(case.id, task_id)
    assert (task.name, task.role, task.form_key) == ("Triage referral", "coordinator", "referral_check")
    assert task.due_date is not None
    db.session.commit()


def sign_in_owner(page: Page, base: str) -> None:
    """Process owners land on the studio (the journey's sign_in expects /tasks)."""
    page.goto(f"{base}/sign-in")
    page.locator("#field-username").fill("owner")
    page.locator("#field-password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/studio")


def owner_in_a_new_draft(page: Page, base: str) -> str:
    seeded()
    db.session.commit()  # release SQLite before the server handles the browser's requests
    sign_in_owner(page, base)
    return open_editor(page, base)


@pytest.mark.browser
def test_a_closed_tab_keeps_the_draft_and_sign_out_clears_it(app, live_server, page: Page) -> None:
    editor = owner_in_a_new_draft(page, live_server)
    page.evaluate("""() => {
      const m = document.getElementById("studio-editor").studio.modeler;
      const reg = m.get("elementRegistry");
      m.get("modeling").updateProperties(reg.get("check_referral"), { name: "Check the referral" });
    }""")
    page.wait_for_function('() => Object.keys(localStorage).some((k) => k.startsWith("mappa-studio:"))')
    context = page.context
    page.close()  # before the autosave ran

    again = context.new_page()
    again.goto(editor)
    expect(again.locator('#studio-editor[data-restored="true"]')).to_be_attached()
    expect(again.locator("#studio-save-status")).to_have_text(re.compile("Saved at"))
    again.reload()
    expect(again.locator('#studio-editor[data-ready="true"]')).to_be_attached()
    assert "Check the referral" in again.evaluate("""async () => {
      const { xml } = await document.getElementById("studio-editor").studio.modeler.saveXML();
      return xml;
    }""")
    again.get_by_role("button", name="Sign out").click()
    expect(again).to_have_url(re.compile("/sign-in"))
    assert not [k for k in again.evaluate("() => Object.keys(localStorage)") if k.startswith("mappa-")]
    again.close()


@pytest.mark.browser
def test_a_decision_table_opens_in_dmn_js(app, live_server, page: Page) -> None:
    editor = owner_in_a_new_draft(page, live_server)
    page.goto(f"{editor}?file=level_suggestion.dmn")
    expect(page.locator('#studio-editor[data-ready="true"]')).to_be_attached()
    expect(page.locator("#studio-canvas .dmn-drd-container, #studio-canvas .tjs-container").first).to_be_visible()
