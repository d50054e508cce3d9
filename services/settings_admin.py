"""The coordinator's page of per-area durations: what each setting means, its allowed range, and changing it.

Also the two look-ups the case forms need (areas to transfer to, officers to lead), which no other service offers.
"""

from __future__ import annotations

from sqlalchemy import select, update

from services.access import log_access
from services.db import db, insert_unless_present
from services.errors import FieldError, ValidationFailed
from services.models import Area, AreaSetting, User
from services.permissions import has_permission, require
from services.settings import DEFAULTS, SETTINGS, area_settings
from workflows.lanes import LEAD_ROLES


def may_edit(user: User) -> bool:
    return has_permission(user, "settings:change")


def _parse(key: str, raw: str) -> int | FieldError:
    """A whole number written in ASCII digits within the setting's range. ``str.isdigit`` alone also takes
    superscripts and other digits ``int`` refuses, and ``int`` refuses more than 4,300 digits: both were 500s."""
    setting = SETTINGS[key]
    text, what = raw.strip(), f"The number of {setting.unit} for \"{setting.label}\""
    if not text:
        return FieldError(key, f"Enter the number of {setting.unit} for \"{setting.label}\"")
    if not (text.isascii() and text.isdigit()):
        return FieldError(key, f"{what} must be a whole number")
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(setting.maximum)) or not setting.minimum <= int(digits) <= setting.maximum:
        return FieldError(key, f"{what} must be between {setting.minimum:,} and {setting.maximum:,}")
    return int(digits)


def validate(values: dict[str, str]) -> dict[str, int]:
    """Whole numbers within each setting's range; every error is reported against its field."""
    parsed: dict[str, int] = {}
    errors = [FieldError(key, "This is not a setting") for key in values if key not in SETTINGS]
    for key in (k for k in SETTINGS if k in values):
        result = _parse(key, values[key])
        if isinstance(result, FieldError):
            errors.append(result)
        else:
            parsed[key] = result
    if errors:
        raise ValidationFailed(errors)
    return parsed


def _store(area_id: int, key: str, value: int) -> None:
    """Add the area's row for the setting unless someone has (at the same moment, too), then set it."""
    db.session.execute(insert_unless_present(AreaSetting, {"area_id": area_id, "key": key, "value": str(value)}))
    db.session.execute(update(AreaSetting).where(AreaSetting.area_id == area_id, AreaSetting.key == key)
                       .values(value=str(value)))


def update_settings(user: User, values: dict[str, str]) -> dict[str, int]:
    """Change some of the user's area settings (coordinators only); returns all of them afterwards."""
    require(user, "settings:change")
    parsed = validate(values)
    current = area_settings(user.area_id)
    changes = {key: value for key, value in parsed.items() if current[key] != value}
    for key, value in changes.items():
        _store(user.area_id, key, value)
    if changes:
        db.session.flush()
        detail = ", ".join(f"{key} {current[key]} -> {value}" for key, value in changes.items())
        log_access(user, "area_settings_changed", None, f"{user.area.code}: {detail}")
    return area_settings(user.area_id)


def defaults() -> dict[str, int]:
    return dict(DEFAULTS)


# --- look-ups for the case forms -------------------------------------------------------------------------------

def other_areas(user: User) -> list[Area]:
    """MAPPA areas a case in the user's area can be transferred to."""
    return list(db.session.scalars(select(Area).where(Area.id != user.area_id).order_by(Area.name)))


def area_officers(area_id: int) -> list[User]:
    """Active officers in an area who hold a lead agency's lead role, who can be named lead officer."""
    users = db.session.scalars(select(User).where(User.area_id == area_id, User.active.is_(True))
                               .order_by(User.display_name))
    return [u for u in users if u.roles & set(LEAD_ROLES.values())]
