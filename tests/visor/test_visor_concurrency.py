"""Changes of one case at the same moment still give its ViSOR user one "Update ViSOR" task carrying them all (run
on PostgreSQL for a real race: see tests.platform.racing)."""

from __future__ import annotations

from sqlalchemy import select

from services.db import db
from services.models import HumanTask, VisorChange
from tests.api.conftest import Api
from tests.api.test_api_lifecycle_actions import in_review_period
from tests.platform.racing import RACERS, colleagues, race


def test_release_dates_changed_at_once_give_one_task_listing_every_change(api: Api) -> None:
    case_id = in_review_period(api.users, lead_agency="Police", custody=True, release_date="2027-06-01")
    officers = colleagues(api.users, "police", RACERS)
    headers = {name: api.headers(name) for name in officers}
    path = f"/api/v1/cases/{case_id}/release-date"

    results = race([lambda n=name, day=day: api.client.post(
        path, json={"release_date": f"2027-05-{day:02d}", "reason": "Parole board"}, headers=headers[n])
        for day, name in enumerate(officers, start=1)])

    changed = [r for r in results if r.status_code == 200]
    assert changed and all(r.status_code in (200, 409) for r in results), [r.get_json() for r in results]
    db.session.expire_all()
    [task] = db.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.name == "Update ViSOR",
                                                        HumanTask.state == "ready")).all()
    carried = db.session.scalars(select(VisorChange.instance_id).where(VisorChange.case_id == case_id)).all()
    assert carried == [task.instance_id] * len(changed)
