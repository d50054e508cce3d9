"""``@idempotent``: an API change that honours ``Idempotency-Key`` (services.idempotency says how)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import jsonify, make_response, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError

from app.security import api_user
from services import idempotency
from services.access import log_access
from services.db import db
from services.errors import Conflict
from services.models import User


def idempotent(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        key = request.headers.get(idempotency.HEADER)
        if key is None:
            return view(*args, **kwargs)
        user = api_user()
        idempotency.check_key(key)
        print_ = idempotency.fingerprint(request.method, request.path, request.get_data())
        earlier = idempotency.earlier_answer(user, key, print_)
        if earlier is not None:
            return _replay(user, earlier)
        try:
            response = make_response(view(*args, **kwargs))
            if 200 <= response.status_code < 300:
                idempotency.remember(user, key, print_, idempotency.Answer(
                    response.status_code, response.get_json(), response.headers.get("Location")))
            return response
        except (IntegrityError, Conflict):
            # a twin with the same key got there first: its outcome, once committed, is this request's answer
            db.session.rollback()
            earlier = idempotency.earlier_answer(user, key, print_)
            if earlier is None:
                raise
            return _replay(user, earlier)

    return wrapper


def _replay(user: User, answer: idempotency.Answer) -> ResponseReturnValue:
    case_id = answer.body.get("case_id", answer.body.get("id"))  # a task's case, or the case itself
    log_access(user, "api_answer_replayed", case_id if isinstance(case_id, int) else None,
               f"{request.method} {request.path}: answered again for its Idempotency-Key")
    response = jsonify(answer.body)
    response.status_code = answer.status
    response.headers["Idempotent-Replayed"] = "true"
    if answer.location:
        response.headers["Location"] = answer.location
    return response
