"""The annual statistics as JSON, CSV, XLSX (openpyxl) and PDF (WeasyPrint, OFFICIAL-SENSITIVE on every page).

Every format carries every table with its title and column headings; CSV puts the tables one after another,
each headed by its title, and XLSX gives each table a sheet of its own.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

from services.annual import Annual
from services.documents.pdf import render_pdf

MARKING = "OFFICIAL-SENSITIVE"
FORMATS = {"json": "application/json", "csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}


def heading(report: Annual) -> str:
    return (f"MAPPA annual statistics, {report.area}, year ending {report.year_ending.isoformat()} "
            f"(from {report.year_starting.isoformat()})")


def as_json(report: Annual) -> dict[str, Any]:
    return {"area": report.area, "year_starting": report.year_starting.isoformat(),
            "year_ending": report.year_ending.isoformat(), "marking": MARKING,
            "tables": [{"key": t.key, "title": t.title, "columns": t.columns, "rows": t.rows} for t in report.tables]}


def as_csv(report: Annual) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([MARKING])
    writer.writerow([heading(report)])
    for table in report.tables:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.columns)
        writer.writerows([["" if v is None else v for v in row] for row in table.rows])
    return out.getvalue().encode("utf-8")


def as_xlsx(report: Annual) -> bytes:
    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "About"
    cover.append([MARKING])
    cover.append([heading(report)])
    for table in report.tables:
        sheet = book.create_sheet(table.key[:31])
        sheet.append([table.title])
        sheet.append(table.columns)
        for row in table.rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_pdf(report: Annual) -> bytes:
    return render_pdf("annual.html", report=report, heading=heading(report), marking=MARKING)


def filename(report: Annual, extension: str) -> str:
    return f"mappa-annual-statistics-{report.year_ending.isoformat()}.{extension}"
