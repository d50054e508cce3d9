"""Check every HTML page a test fetches, in the spirit of GOV.UK Notify's ``client_request`` (STYLE.md item 8).

page = get_page(client, "/tasks")            # asserts the status, then check_page
assert page.get_element_by_id("inbox") is not None
"""

from __future__ import annotations

import re
from collections import Counter

import lxml.html
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

CLASSIFICATION = "OFFICIAL-SENSITIVE"


def get_page(client: FlaskClient, path: str, status: int = 200) -> lxml.html.HtmlElement:
    response = client.get(path)
    assert response.status_code == status, f"GET {path}: {response.status_code}, expected {status}"
    return check_page(response)


def check_page(response: TestResponse) -> lxml.html.HtmlElement:
    """Parse the page and assert the house rules; returns the parsed document for further assertions."""
    assert response.mimetype == "text/html", f"not an HTML page: {response.mimetype}"
    document = lxml.html.document_fromstring(response.get_data())
    problems = [
        *_heading_and_title(document),
        *_forms(document),
        *_duplicate_ids(document),
        *_script_nonces(document, response.headers.get("Content-Security-Policy", "")),
        *_classification_banners(document),
    ]
    assert not problems, f"{response.request.method} {response.request.path}:\n  " + "\n  ".join(problems)
    return document


def _text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _heading_and_title(document: lxml.html.HtmlElement) -> list[str]:
    headings = document.xpath("//h1")
    if len(headings) != 1:
        return [f"expected exactly one <h1>, found {len(headings)}: {[_text(h) for h in headings]}"]
    titles = document.xpath("/html/head/title")
    title = _text(titles[0]) if titles else ""
    heading = _text(headings[0])
    if not heading:
        return ["the <h1> is empty"]
    has_errors = bool(document.xpath("//*[contains(@class, 'govuk-error-summary')]"))
    if has_errors != title.startswith("Error: "):
        return [f"<title> {title!r}: 'Error: ' must start the title exactly when the page shows an error summary"]
    if not title.removeprefix("Error: ").startswith(heading):
        return [f"<title> {title!r} does not start with the <h1> {heading!r}"]
    return []


def _forms(document: lxml.html.HtmlElement) -> list[str]:
    problems = []
    for number, form in enumerate(document.xpath("//form"), start=1):
        if (form.get("method") or "get").lower() != "post":
            continue
        if not form.get("action"):
            problems.append(f"POST form {number} has no action")
        tokens = form.xpath(".//input[@type='hidden'][@name='csrf_token']/@value")
        if not tokens or not tokens[0]:
            problems.append(f"POST form {number} (action {form.get('action')!r}) has no csrf_token")
    return problems


def _duplicate_ids(document: lxml.html.HtmlElement) -> list[str]:
    counts = Counter(document.xpath("//@id"))
    return [f"id {value!r} is used {count} times" for value, count in sorted(counts.items()) if count > 1]


def _script_nonces(document: lxml.html.HtmlElement, policy: str) -> list[str]:
    match = re.search(r"script-src[^;]*'nonce-([^']+)'", policy)
    if match is None:
        return [f"no script-src nonce in the Content-Security-Policy header {policy!r}"]
    return [
        f"<script> {(script.get('src') or script.get('id') or _text(script)[:40])!r} has nonce "
        f"{script.get('nonce')!r}, not the header's"
        for script in document.xpath("//script")
        if script.get("nonce") != match.group(1)
    ]


def _classification_banners(document: lxml.html.HtmlElement) -> list[str]:
    """The first and the last thing on the page (scripts aside) says OFFICIAL-SENSITIVE."""
    body = document.find("body")
    children = list(body) if body is not None else []
    shown = [child for child in children if isinstance(child.tag, str) and child.tag != "script"]
    problems = []
    if not shown or _text(shown[0]) != CLASSIFICATION:
        problems.append(f"no {CLASSIFICATION} banner at the top of <body>")
    if not shown or _text(shown[-1]) != CLASSIFICATION:
        problems.append(f"no {CLASSIFICATION} banner at the bottom of <body>")
    return problems
