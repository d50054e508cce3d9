"""Every page each demo user can reach, in a real browser over the seeded demo world: axe-core finds no WCAG 2.2 A or
AA violation, nothing scrolls sideways at 320 px (WCAG 1.4.10 reflow), and the forms' error pages pass too.

Pages are found by crawling same-origin GET links from the landing page (the navigation first), one URL per page
(Flask endpoint) per user (``/cases/12`` and ``/cases/13?tab=history`` are one page), at most ``PAGES_PER_USER``.
Each role sees different content, so pages are not shared between users. Screenshots of the main pages at 1280 and
375 px go to ``test-artifacts/screenshots/`` (git-ignored, kept by CI) as ``<user>-<page>-<width>.png``.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from playwright.sync_api import Page, expect
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter

from services import demo
from services.db import db
from tests.browser.axe import run_axe
from tests.browser.conftest import CSP_LISTENER
from tests.factories import TEST_PASSWORD, create_case, seeded

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PAGES_PER_USER = 40
NARROW = 320
SKIP = re.compile(r"(\.(pdf|ics|csv|json|bpmn|dmn|png|svg)$)|/download$|^/(api|static|sign-out)(/|$)")
# The main pages a reviewer looks at: page (Flask endpoint) -> screenshot name, shot for the first user (in
# demo.USERS order) who reaches each.
MAIN_PAGES = {
    "inbox.my_tasks": "my-tasks",
    "inbox.task_page": "task",
    "cases.case_list": "case-list",
    "cases.case_page": "case",
    "meetings.meeting_page": "meeting",
    "statistics.overview": "statistics",
    "studio.library": "studio-library",
}
SCREENSHOT_WIDTHS = (1280, 375)
# Forms submitted with their text fields emptied, so the error page is checked too: page -> submit button. All but
# a task form (some tasks have no required field) must answer with an error summary.
EMPTY_SUBMIT = {
    "cases.new_referral": "Submit referral",
    "inbox.task_page": "Complete task",
    "meetings.schedule": "Schedule meeting",
    "settings.area_settings_page": "Save settings",
}
_CLEAR_FIELDS = """(form) => form.querySelectorAll(
  'input[type=text], input[type=number], input[type=date], input[type=email], input:not([type]), textarea'
).forEach((input) => { input.value = ""; })"""
_LINKS = "() => [...document.querySelectorAll('a[href]')].map((a) => a.href)"
_WIDE = """() => {
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const wide = [...document.body.querySelectorAll("*")].filter(
    (el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !clipped(el));
  return wide.filter((el) => !wide.includes(el.parentElement)).slice(0, 4).map((el) =>
    el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\\s+/).join(".") : ""));
}"""
_SCROLL = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def page_kind(urls: MapAdapter, local: str) -> str:
    """The Flask endpoint a URL opens (``/cases/12?tab=history`` -> ``cases.case_page``), so filters, paging and ids
    of one page are visited once; the path itself if no page route matches."""
    path = urlsplit(local).path
    try:
        endpoint, _args = urls.match(path, method="GET")
    except HTTPException:  # NotFound, MethodNotAllowed, or a redirect to the canonical URL
        return path
    return str(endpoint)


class Crawl:
    """One user's walk through the site in one browser context; problems are collected, not raised."""

    def __init__(self, page: Page, base: str, username: str, urls: MapAdapter, shot: set[str]) -> None:
        self.page, self.base, self.username, self.urls, self.shot = page, base, username, urls, shot
        self.problems: list[str] = []
        self.seen: set[str] = set()

    def links(self) -> Iterator[str]:
        for href in self.page.evaluate(_LINKS):
            url, _fragment = urldefrag(href)
            if not url.startswith(self.base + "/"):
                continue
            local = url[len(self.base):]
            if not SKIP.search(urlsplit(local).path) and page_kind(self.urls, local) not in self.seen:
                yield local

    def check(self, label: str) -> None:
        for violation in run_axe(self.page):
            self.problems.append(f"{label}: {violation}")
        viewport = self.page.viewport_size
        self.page.set_viewport_size({"width": NARROW, "height": 800})
        width, inner = self.page.evaluate(_SCROLL)
        if width > inner + 1:
            self.problems.append(f"{label}: scrolls sideways at {NARROW} px ({width} px wide): {self.wide()}")
        self.page.set_viewport_size(viewport)

    def wide(self) -> str:
        """The outermost elements that stick out past the viewport with nothing clipping them: what to fix."""
        return ", ".join(self.page.evaluate(_WIDE))

    def screenshot(self, name: str) -> None:
        viewport = self.page.viewport_size
        for width in SCREENSHOT_WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 900})
            self.page.screenshot(path=str(SCREENSHOTS / f"{self.username}-{name}-{width}.png"), full_page=True)
        self.page.set_viewport_size(viewport)

    def submit_empty(self, local: str, key: str) -> None:
        button = EMPTY_SUBMIT[key]
        submit = self.page.locator("main").get_by_role("button", name=button, exact=True)
        if submit.count() != 1:
            return  # this user sees the page without the form (a task someone else holds, say)
        form = submit.locator("xpath=ancestor::form")
        form.evaluate(_CLEAR_FIELDS)
        with self.page.expect_navigation():
            submit.click()
        if key != "inbox.task_page" and self.page.locator(".govuk-error-summary").count() != 1:
            self.problems.append(f"{local}: submitted empty, but no error summary was shown")
        self.check(f"{local} (submitted empty)")

    def run(self) -> None:
        queue = deque([(self.page.url[len(self.base):], "sign-in")])
        while queue and len(self.seen) < PAGES_PER_USER:
            local, linked_from = queue.popleft()
            key = page_kind(self.urls, local)
            if key in self.seen:
                continue
            self.seen.add(key)
            response = self.page.goto(self.base + local)
            if response is None or "text/html" not in (response.headers.get("content-type") or ""):
                continue
            if response.status >= 400:
                self.problems.append(f"{local}: HTTP {response.status} from a link on {linked_from}")
                continue
            self.check(local)
            queue.extend((link, local) for link in self.links())
            if key in MAIN_PAGES and key not in self.shot:
                self.shot.add(key)
                self.screenshot(MAIN_PAGES[key])
            if key in EMPTY_SUBMIT:
                self.submit_empty(local, key)


def _context(browser: Any, problems: list[str]) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_LISTENER)
    tab = context.new_page()

    def on_console(message: Any) -> None:
        where = message.location.get("url") or ""
        if where == tab.url and message.text.startswith("Failed to load resource"):
            return  # the page's own HTTP status (422 for a form with errors): the crawl checks statuses itself
        if message.type == "error" and "favicon" not in where + message.text:
            problems.append(f"{tab.url}: console error: {message.text}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.append(f"{tab.url}: uncaught page error: {error}"))
    return tab


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/sign-in")
    page.locator("#field-username").fill(username)
    page.locator("#field-password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/sign-in$"))  # each role lands on its own start page


@pytest.mark.browser
def test_every_page_every_demo_user_reaches_passes_axe_and_reflows(app, live_server, browser) -> None:
    seeded()  # the demo users with the test password; the seeder keeps existing users and adds the demo world
    demo.seed(30)
    db.session.commit()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    problems: list[str] = []
    shot: set[str] = set()
    urls = app.url_map.bind("localhost")
    page = _context(browser, problems)  # signed out: the sign-in page and its error page
    page.goto(f"{live_server}/sign-in")
    crawl = Crawl(page, live_server, "signed-out", urls, shot)
    crawl.check("/sign-in")
    page.get_by_role("button", name="Sign in").click()
    crawl.check("/sign-in (submitted empty)")
    problems += crawl.problems
    page.context.close()

    for username, *_rest in demo.USERS:
        page = _context(browser, problems)
        sign_in(page, live_server, username)
        crawl = Crawl(page, live_server, username, urls, shot)
        crawl.run()
        problems += [f"{username} {line}" for line in crawl.problems]
        page.context.close()

    assert not problems, f"{len(problems)} accessibility problem(s):\n" + "\n".join(problems)


@pytest.mark.browser
def test_at_320_px_the_navigation_collapses_and_a_wide_table_scrolls_by_keyboard(app, live_server, page) -> None:
    users = seeded()
    reference = create_case(users["probation"], offender_name="Narrow Screen").reference
    db.session.commit()
    page.set_viewport_size({"width": NARROW, "height": 800})

    sign_in(page, live_server, "coordinator")
    menu = page.get_by_role("button", name="Menu")
    cases = page.get_by_role("navigation", name="Primary navigation").get_by_role("link", name="Cases")
    expect(cases).to_be_hidden()
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(cases).to_be_visible()
    menu.press("Enter")
    expect(cases).to_be_hidden()

    page.goto(f"{live_server}/cases")  # the case list's table is wider than 320 px (the inbox's rows stack instead)
    box = page.get_by_role("region", name="scrolls sideways").filter(has_text=reference)
    expect(box).to_have_attribute("tabindex", "0")
    for _ in range(40):  # Tab through the page until the table's box has the focus, as a keyboard user would
        if box.evaluate("(el) => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(box).to_be_focused()
    page.keyboard.press("ArrowRight")
    assert page.evaluate(_SCROLL)[0] <= NARROW + 1  # the page itself never scrolls sideways
    page.wait_for_function("(el) => el.scrollLeft > 0", arg=box.element_handle())
