import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask, flash, render_template_string
from flask_login import AnonymousUserMixin, LoginManager, UserMixin, login_user
from flask_wtf import CSRFProtect

from app.templating import configure_templates, iso, london_date, london_datetime

DIST_CSS = Path(__file__).parent.parent / "app" / "static" / "dist" / "app.css"

PAGE = """{% extends "base.html" %}{% set page_title = "Test page" %}
{% block content %}<h1 class="govuk-heading-l">{{ page_title }}</h1>{% endblock %}
{% block scripts %}<script nonce="{{ csp_nonce() }}">window.page = 1;</script>{% endblock %}"""


class User(UserMixin):
    id = "1"
    display_name = "Alex Officer"
    area_name = "North Area"
    roles = frozenset({"coordinator"})


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__, static_folder=str(DIST_CSS.parent.parent))
    app.config.update(SECRET_KEY="test", TESTING=True)
    CSRFProtect(app)
    login = LoginManager(app)
    login.anonymous_user = AnonymousUserMixin
    login.user_loader(lambda user_id: User())
    configure_templates(app)

    @app.get("/")
    def page() -> str:
        return render_template_string(PAGE)

    def case_list() -> str:
        return ""

    case_list._mappa_guard = "cases:view"  # type: ignore[attr-defined]  # navigation shows what a guard allows
    app.add_url_rule("/cases", "cases.case_list", case_list)

    @app.get("/signed-in")
    def signed_in() -> str:
        login_user(User())
        flash("Referral saved", "success")
        return render_template_string(PAGE, active_nav="cases")

    return app


def test_base_layout(app: Flask) -> None:
    response = app.test_client().get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<h1") == 1
    assert re.search(r"<title>\s*Test page", html)
    assert html.count("OFFICIAL-SENSITIVE") == 2
    assert html.index("OFFICIAL-SENSITIVE") < html.index("<header")
    assert html.rindex("OFFICIAL-SENSITIVE") > html.index("</footer>")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert len(scripts) == 3
    assert all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert "crown" not in html.lower()
    assert "GOV.UK" not in html
    assert "Sign out" not in html
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_signed_in_header_navigation_and_flash(app: Flask) -> None:
    html = app.test_client().get("/signed-in").get_data(as_text=True)
    assert "Alex Officer (North Area)" in html
    assert re.search(
        r'<form class="app-header__sign-out" action="/sign-out" method="post">\s*'
        r'<input type="hidden" name="csrf_token" value="[^"]+">',
        html,
    )
    assert re.search(r'href="/cases"\s+aria-current="page">Cases<', html)
    assert html.count('aria-current="page"') == 1
    assert "govuk-notification-banner--success" in html
    assert "Referral saved" in html


def test_filters_show_london_time() -> None:
    summer = datetime(2026, 7, 1, 13, 30, tzinfo=UTC)
    assert london_datetime(summer) == "1 July 2026 at 2:30pm"
    assert london_datetime(datetime(2026, 11, 25, 0, 5, tzinfo=UTC)) == "25 November 2026 at 12:05am"
    assert london_date(date(2026, 11, 25)) == "25 November 2026"
    assert london_date(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == "1 July 2026"
    assert iso(None) == "" and iso(date(2026, 1, 2)) == "2026-01-02"


def test_components_render(app: Flask) -> None:
    source = """
    {%- from "components/error_summary.html" import error_summary -%}
    {%- from "components/form.html" import form -%}
    {{ error_summary([{"field": "address.postcode", "message": "Enter a postcode"}]) }}
    {% call form("/save") %}<button>Save</button>{% endcall %}"""
    with app.test_request_context():
        html = render_template_string(source)
    assert 'href="#field-address-postcode"' in html
    assert re.search(r'<form action="/save" method="post" novalidate>\s*<input type="hidden" name="csrf_token"', html)


def test_built_css_uses_arial() -> None:
    if not DIST_CSS.exists():
        print("app/static/dist/app.css not built: run `npm ci && npm run build`")
        pytest.skip("front-end assets not built")
    css = DIST_CSS.read_text()
    assert "arial" in css
    assert "GDS Transport" not in css and "gds-transport" not in css.lower()
    assert "@font-face" not in css
