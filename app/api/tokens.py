"""API tokens through the API: a user lists and revokes their own; a MAPPA coordinator or manager lists the tokens
in use in their area and revokes any of them. Tokens are made on the account page or by `flask mappa token create`,
never by another token (a leaked token cannot renew itself)."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from app.api import bp
from app.security import api_requires, api_user
from services import auth
from services.models import ApiToken


def token_json(row: ApiToken) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {"id": row.id, "name": row.name, "prefix": row.prefix, "owner": row.user.username,
            "status": auth.token_status(row), "created_at": iso(row.created_at), "expires_at": iso(row.expires_at),
            "last_used_at": iso(row.last_used_at), "revoked_at": iso(row.revoked_at)}


@bp.get("/tokens")
@api_requires("account:tokens")
def list_tokens() -> ResponseReturnValue:
    return {"tokens": [token_json(row) for row in auth.tokens_of(api_user())]}


@bp.get("/area/tokens")
@api_requires("accounts:manage")
def list_area_tokens() -> ResponseReturnValue:
    return {"tokens": [token_json(row) for row in auth.area_tokens(api_user())]}


@bp.post("/tokens/<int:token_id>/revoke")
@api_requires("account:tokens")
def revoke_token(token_id: int) -> ResponseReturnValue:
    return token_json(auth.revoke_token(api_user(), token_id))
