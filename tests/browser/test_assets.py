"""In a real browser, the built stylesheet and scripts are fetched once per session, not once per page
(app/assets.py), and the pages still work from the browser's cache."""

from __future__ import annotations

import pytest
from flask import request
from playwright.sync_api import Page, expect

from tests.browser.test_journey import sign_in
from tests.factories import seeded


@pytest.mark.browser
def test_the_next_pages_take_the_built_assets_from_the_cache(app, live_server, page: Page) -> None:
    seeded()
    served: list[str] = []  # what reached the server, cache or not

    @app.before_request
    def _served() -> None:
        served.append(request.full_path.rstrip("?"))

    sign_in(page, live_server, "coordinator")
    assert any(url.startswith("/static/dist/app.css?v=") for url in served), served

    served.clear()
    page.goto(f"{live_server}/cases")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assets = [url for url in served if url.startswith("/static/")]
    assert assets and not [url for url in assets if url.startswith("/static/dist/")], served  # ours are re-checked
    # the stylesheet from the cache is applied (GOV.UK type in Arial), and GOV.UK Frontend from the cache ran
    assert "arial" in page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily").lower()
    assert page.locator("[data-module=govuk-service-navigation][data-govuk-service-navigation-init]").count() == 1
