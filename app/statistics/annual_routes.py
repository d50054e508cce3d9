"""The MAPPA annual statistics page (with its downloads) and the monthly trends page, each chart with its table."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from app.security import requires, signed_in_user
from app.statistics.charts import bar_chart
from app.statistics.exports import export_response, parse_format
from app.statistics.routes import bp
from services import clock
from services.annual import Annual, annual, parse_year_ending
from services.errors import FieldError, ValidationFailed
from services.trends import parse_span, trends

DOWNLOADS = (("csv", "CSV"), ("xlsx", "Excel (XLSX)"), ("pdf", "PDF"))


@bp.get("/statistics/annual")
@requires("statistics:view")
def annual_page() -> ResponseReturnValue:
    user = signed_in_user()
    raw = request.args.get("year_ending")
    try:
        year_ending = parse_year_ending(raw)
    except ValidationFailed as failed:
        return _annual_page(None, failed.errors, raw or "", 422)
    return _annual_page(annual(user, year_ending), [], year_ending.isoformat(), 200)


def _annual_page(report: Annual | None, errors: list[FieldError], year: str, status: int) -> ResponseReturnValue:
    return render_template("statistics/annual.html", page_title="MAPPA annual statistics", active_nav="statistics",
                           report=report, errors=errors, year=year, downloads=DOWNLOADS,
                           this_year=clock.today().year), status


@bp.get("/statistics/annual/download")
@requires("statistics:export")
def annual_download() -> ResponseReturnValue:
    """?year_ending=YYYY-03-31&format=csv|xlsx|pdf|json"""
    raw = request.args.get("year_ending")
    try:
        fmt = parse_format(request.args.get("format"))
        year_ending = parse_year_ending(raw)
    except ValidationFailed as failed:
        return _annual_page(None, failed.errors, raw or "", 422)
    return export_response(annual(signed_in_user(), year_ending), fmt)


@bp.get("/statistics/trends")
@requires("statistics:view")
def trends_page() -> ResponseReturnValue:
    user = signed_in_user()
    start, end = request.args.get("from"), request.args.get("to")
    try:
        first, last = parse_span(start, end)
    except ValidationFailed as failed:
        return render_template("statistics/trends.html", page_title="Trends", active_nav="statistics", charts=[],
                               errors=failed.errors, start=start or "", end=end or ""), 422
    charts = [(trend, bar_chart(trend.points, 100 if "ercent" in trend.plotted or trend.plotted == "All agencies"
                                else None)) for trend in trends(user, first, last)]
    return render_template("statistics/trends.html", page_title="Trends", active_nav="statistics", charts=charts,
                           errors=[], start=f"{first:%Y-%m}", end=f"{last:%Y-%m}")
