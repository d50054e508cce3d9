"""Email through SMTP (``MAPPA_SMTP_HOST``, ``MAPPA_SMTP_PORT``, ``MAPPA_SMTP_FROM``). Every subject is marked."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage

from flask import current_app

MARKING = "OFFICIAL-SENSITIVE: "
TIMEOUT_SECONDS = 10
# RFC 5322 allows 998 characters a line: a subject is sent whole, not folded (some readers show a folded one with a
# leading space)
SMTP_POLICY = policy.SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


class MailError(Exception):
    """The message was not sent: the caller keeps it to try again."""


class MailUnavailable(MailError):
    """No SMTP server is configured, or it cannot be reached: no other message will go now either."""


class MailRefused(MailError):
    """The server refused this message (its recipient, sender or content); others may still go."""


def configured() -> bool:
    return bool(current_app.config.get("MAPPA_SMTP_HOST"))


def marked(subject: str) -> str:
    return subject if subject.startswith(MARKING) else MARKING + subject


def send(email: Email) -> None:
    """Hand one message to the SMTP server; MailUnavailable if it did not take it."""
    if not configured():
        raise MailUnavailable("no SMTP server is configured (MAPPA_SMTP_HOST)")
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = current_app.config["MAPPA_SMTP_FROM"]
    message["To"] = email.to
    message["Subject"] = marked(email.subject)
    message.set_content(email.body)
    host, port = current_app.config["MAPPA_SMTP_HOST"], current_app.config["MAPPA_SMTP_PORT"]
    try:
        with smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS) as server:
            server.send_message(message)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as err:
        raise MailRefused(f"{type(err).__name__}: {err}") from err
    except (OSError, smtplib.SMTPException) as err:
        raise MailUnavailable(f"{type(err).__name__}: {err}") from err
