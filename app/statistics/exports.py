"""One response per export format of the annual statistics, for the page's download links and the API."""

from __future__ import annotations

from flask import Response, jsonify

from services import annual_export
from services.annual import Annual
from services.errors import FieldError, ValidationFailed

FORMATS = tuple(annual_export.FORMATS)


def parse_format(raw: str | None) -> str:
    fmt = (raw or "json").lower()
    if fmt not in annual_export.FORMATS:
        raise ValidationFailed([FieldError("format", "Choose a format: " + ", ".join(FORMATS))])
    return fmt


def export_response(report: Annual, fmt: str) -> Response:
    if fmt == "json":
        response = jsonify(annual_export.as_json(report))
    else:
        body = {"csv": annual_export.as_csv, "xlsx": annual_export.as_xlsx, "pdf": annual_export.as_pdf}[fmt](report)
        response = Response(body, content_type=annual_export.FORMATS[fmt], headers={"Content-Disposition":
            f'attachment; filename="{annual_export.filename(report, fmt)}"'})
    response.headers["Cache-Control"] = "no-store"
    return response
