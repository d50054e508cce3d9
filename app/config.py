"""Typed configuration from the environment, validated once at start-up."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


def _flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


def _secret_key(instance_path: str) -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    overrides = overrides or {}
    database_url = overrides.get("SQLALCHEMY_DATABASE_URI") or os.environ.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(instance_path) / "mappa.db"))
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    config: dict[str, Any] = {
        "SECRET_KEY": overrides.get("SECRET_KEY") or _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("MAPPA_SECURE_COOKIES"),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAPPA_ALLOW_CLOCK_OVERRIDE": _flag("MAPPA_ALLOW_CLOCK_OVERRIDE"),
        "MAPPA_SCHEDULER": _flag("MAPPA_SCHEDULER"),
        "MAPPA_SCHEDULER_SECONDS": int(os.environ.get("MAPPA_SCHEDULER_SECONDS", "60")),
        "MAPPA_SCRIPT_SECONDS": float(os.environ.get("MAPPA_SCRIPT_SECONDS", "1")),  # time limit of one BPMN script
        # reminders by email: no host, no email (they wait in the outbox; in-app notifications still appear)
        "MAPPA_SMTP_HOST": os.environ.get("MAPPA_SMTP_HOST", ""),
        "MAPPA_SMTP_PORT": int(os.environ.get("MAPPA_SMTP_PORT", "25")),
        "MAPPA_SMTP_FROM": os.environ.get("MAPPA_SMTP_FROM", "mappa-flow@localhost"),
    }
    config.update(overrides)
    if not str(config["SQLALCHEMY_DATABASE_URI"]).startswith(("sqlite", "postgresql")):
        raise ValueError("DATABASE_URL must be SQLite or PostgreSQL")
    return config
