"""The SMB meeting pack: the year's MAPPA statistics and performance tables (services.annual), the audit summary
(services.smb) and the business plan (services.smb_plan). Aggregated figures only: it names no offender, meeting
or officer, so that lay advisers (who have no part in individual cases) may read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.annual import Annual, annual
from services.documents.pdf import render_pdf
from services.models import User
from services.smb import ToolSummary, audit_of_year, summary
from services.smb_plan import PLAN_OWNERS, PLAN_STATUSES, PlanRow, plan

MARKING = "OFFICIAL-SENSITIVE"


@dataclass(frozen=True)
class Pack:
    statistics: Annual
    audit: list[ToolSummary] | None  # None: no sample drawn for the year
    plan: list[PlanRow]

    @property
    def year_ending(self) -> date:
        return self.statistics.year_ending


def pack(user: User, year_ending: date) -> Pack:
    """The user's area's pack for the year ending ``year_ending`` (each part logs its consultation)."""
    audit = audit_of_year(user, year_ending)
    return Pack(annual(user, year_ending), summary(audit) if audit else None, plan(user))


def pack_pdf(report: Pack) -> bytes:
    return render_pdf("smb_pack.html", pack=report, marking=MARKING, owners=PLAN_OWNERS, statuses=PLAN_STATUSES,
                      heading=f"SMB pack: {report.statistics.area}")
