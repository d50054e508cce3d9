"""API tokens through the API: a user lists and revokes their own; a MAPPA coordinator or manager lists the tokens
in use in their area and revokes any of them. Tokens are made on the account page or by `flask mappa token create`,
never by another token (a leaked token cannot renew itself)."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.contract import operation
from app.api.schemas import MODELS
from app.security import api_user
from services import auth
from services.models import ApiToken


def token_json(row: ApiToken) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {"id": row.id, "name": row.name, "prefix": row.prefix, "owner": row.user.username,
            "status": auth.token_status(row), "created_at": iso(row.created_at), "expires_at": iso(row.expires_at),
            "last_used_at": iso(row.last_used_at), "revoked_at": iso(row.revoked_at)}


TOKEN_LIST = MODELS["TokenList"]


@operation(bp, "GET", "/tokens", summary="The caller's API tokens", tag="tokens", permission="account:tokens",
           description="Newest first, expired and revoked ones too. Tokens are made on the account page (or by "
                       "`flask mappa token create`), never through the API.",
           responses={200: (TOKEN_LIST, "Tokens")})
def list_tokens() -> ResponseReturnValue:
    return {"tokens": [token_json(row) for row in auth.tokens_of(api_user())]}


@operation(bp, "GET", "/area/tokens", summary="API tokens in use in the caller's area", tag="tokens",
           permission="accounts:manage",
           description="MAPPA coordinators and managers: every token of the area's people that is neither expired nor "
                       "revoked.", responses={200: (TOKEN_LIST, "Tokens")})
def list_area_tokens() -> ResponseReturnValue:
    return {"tokens": [token_json(row) for row in auth.area_tokens(api_user())]}


@operation(bp, "POST", "/tokens/<int:token_id>/revoke", summary="Revoke an API token", tag="tokens",
           permission="account:tokens", errors=(404,),
           description="Your own token, or (MAPPA coordinators and managers) any token of your area's people; from "
                       "then on it gets 401. Revoking a revoked token changes nothing.",
           responses={200: (MODELS["Token"], "The token, revoked")})
def revoke_token(token_id: int) -> ResponseReturnValue:
    return token_json(auth.revoke_token(api_user(), token_id))
