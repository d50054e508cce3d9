"""A page form is acted on once: a double click, a resent POST or two tabs sending the same form change nothing twice.

Every POST form (the ``form`` macro, components/form.html) carries a hidden ``submission_id``, new each time the
form is drawn. A signed-in user's form POST that ends in a redirect (the change was made) is remembered with its
redirect, in the change's own transaction, as an idempotency key of that user (services.idempotency: one row,
forgotten after a day). The same form sent again with the same answers is answered with that redirect and changes
nothing; two sent at the same moment: the database's unique index lets one commit and the other is rolled back
and answered as the first. The same form sent again with other answers (changed after going back) is a new
submission. POSTs without a ``submission_id`` (the JSON API, which has ``Idempotency-Key``, and scripts) are not
touched.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from typing import IO, cast

from flask import Flask, Response, flash, g, redirect, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.security import signed_in_user
from services import idempotency
from services.db import db
from services.errors import Conflict

FIELD = "submission_id"
_SUBMISSION = re.compile(r"[0-9a-f]{32}")  # new_submission_id's shape
SENT_AGAIN = "This form was sent more than once: it was acted on once, as shown here"


def new_submission_id() -> str:
    return uuid.uuid4().hex


def _key() -> str | None:
    """The idempotency key of this form POST: its submission id and what it says (other answers: another key)."""
    if request.method != "POST" or not current_user.is_authenticated:
        return None
    submission = request.form.get(FIELD, "")
    if not _SUBMISSION.fullmatch(submission):  # absent, or not one we drew: the form is acted on as it comes
        return None
    answers = sorted((name, value) for name, value in request.form.items(multi=True)
                     if name not in ("csrf_token", FIELD))
    answers += sorted((name, f"{upload.filename}:{_size(upload.stream)}")  # another file chosen: another sending
                      for name, upload in request.files.items(multi=True))
    said = hashlib.sha256(repr((request.path, answers)).encode()).hexdigest()[:32]
    return f"form:{submission}:{said}"


def _size(stream: IO[bytes]) -> int:
    at = stream.tell()
    size = stream.seek(0, io.SEEK_END)
    stream.seek(at)
    return size


def _print(key: str) -> str:
    """The key says what was sent (its answers are hashed into it): its fingerprint is the key's own hash."""
    return hashlib.sha256(key.encode()).hexdigest()


def init_submissions(app: Flask) -> None:
    """Register after ``init_transactions``: the answer is remembered before the request's commit."""

    @app.before_request
    def _sent_before() -> ResponseReturnValue | None:
        key = g.submission_key = _key()  # before the view: it may close the uploads it reads
        if key is None:
            return None
        earlier = idempotency.earlier_answer(signed_in_user(), key, _print(key))
        return _replay(earlier) if earlier is not None else None

    @app.after_request
    def _remember(response: Response) -> Response:
        if response.status_code not in (302, 303) or not response.location:
            return response  # nothing was done, or an error answered (its body may not even be readable)
        key = g.get("submission_key")
        if key is None or not current_user.is_authenticated:  # a form that signed its sender out has no one's key
            return response
        user = signed_in_user()
        try:
            idempotency.remember(user, key, _print(key),
                                 idempotency.Answer(response.status_code, {}, response.location))
        except Conflict:  # the same form, sent at the same moment, committed first: its outcome is this one's
            db.session.rollback()
            earlier = idempotency.earlier_answer(user, key, _print(key))
            if earlier is None:
                raise
            return _replay(earlier)
        return response


def _replay(answer: idempotency.Answer) -> Response:
    flash(SENT_AGAIN, "important")
    return cast(Response, redirect(answer.location or "/", code=answer.status))  # the app's response class
