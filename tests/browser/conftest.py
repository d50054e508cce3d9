"""Real-browser fixtures: the test app served over HTTP in a thread, driven by headless Debian Chromium.

The browser is Debian's ``chromium`` (never a downloaded one). Without it these tests skip with the reason printed
in the summary, unless MAPPA_REQUIRE_BROWSER=1 (CI), where a missing browser fails the run.

In a test body, read what you need from factory objects into plain values and call ``db.session.commit()`` before
driving the browser: on SQLite every transaction is BEGIN IMMEDIATE, so an open one in the test body blocks the
server's requests.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Chromium logs CSP violations to the console; this listener also reports them from the page itself.
CSP_LISTENER = """document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline code"}`);
});"""


def _chromium_path() -> str | None:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def _closed_before_sending(app: Flask) -> Any:
    """The app's response read whole and closed before werkzeug's development server sends it. That server skips
    ``close()`` when the browser drops the connection while it drains the request (a ConnectionResetError inside its
    ``finally``), leaving a static file open; the ResourceWarning then fails whichever test is running."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the test's own app (same database, frozen clock); each request gets its own app context."""
    server = make_server("127.0.0.1", 0, _closed_before_sending(app), threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()  # returns once serve_forever has seen the request (within one poll interval)
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = _chromium_path()
    if path is None:
        reason = "Debian chromium not found on PATH or at /usr/bin/chromium (apt-get install chromium)"
        if os.environ.get("MAPPA_REQUIRE_BROWSER") == "1":
            pytest.fail(f"MAPPA_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        print(f"\nSkipping browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context and page; the test fails if the page logs a console error or a CSP violation."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(5_000)
    context.add_init_script(CSP_LISTENER)
    problems: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error" and "favicon" not in (message.location.get("url") or "") + message.text:
            problems.append(f"console error: {message.text} ({message.location.get('url')})")

    tab = context.new_page()
    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.append(f"uncaught page error: {error}"))
    yield tab
    context.close()
    if problems:
        pytest.fail("The page reported errors:\n" + "\n".join(problems), pytrace=False)
