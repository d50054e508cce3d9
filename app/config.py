"""Typed configuration from the environment, validated once at start-up."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from services.db import sqlalchemy_url


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


class UnsafeConfiguration(RuntimeError):
    """Production mode refuses to start with a setting that is only safe on a developer's machine."""


def _production_refusals(config: dict[str, Any]) -> list[str]:
    refusals = []
    if not os.environ.get("SECRET_KEY") or len(os.environ["SECRET_KEY"]) < 32:
        refusals.append("SECRET_KEY must be set in the environment, at least 32 characters (not a generated file)")
    if config["MAPPA_ALLOW_CLOCK_OVERRIDE"]:
        refusals.append("MAPPA_ALLOW_CLOCK_OVERRIDE must be off")
    if config["MAPPA_SCHEDULER"]:
        refusals.append("MAPPA_SCHEDULER must be off: web workers never sweep; run `flask mappa scheduler`")
    if not str(config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        refusals.append("DATABASE_URL must be PostgreSQL")
    return refusals


def _database_options(database_url: str) -> dict[str, Any]:
    """Every connection has deadlines, so a database that stops answering never hangs a worker for long."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if database_url.startswith("postgresql"):
        statement_ms = int(float(os.environ.get("MAPPA_DB_STATEMENT_SECONDS", "15")) * 1000)
        options["pool_timeout"] = float(os.environ.get("MAPPA_DB_POOL_SECONDS", "5"))
        options["connect_args"] = {
            "connect_timeout": int(os.environ.get("MAPPA_DB_CONNECT_SECONDS", "3")),
            "options": f"-c statement_timeout={statement_ms} -c lock_timeout={statement_ms}"
                       " -c idle_in_transaction_session_timeout=60000",
            # a server that accepts the connection and then goes silent is noticed by the kernel, not waited on
            "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 2,
            "tcp_user_timeout": statement_ms + 5000,
        }
        if os.environ.get("MAPPA_ENV") == "production":
            # A gunicorn worker serves MAPPA_THREADS requests at once; each holds one connection and, once a minute
            # per token, a second for an instant (services.auth noting the token's use); /readyz's checker holds
            # one. Sized to that, no request waits for the pool, and 4 one-thread workers hold at most 16 of
            # PostgreSQL's max_connections (100 by default, shared with the scheduler and all else) instead of 60.
            threads = int(os.environ.get("MAPPA_THREADS", "1"))
            options |= {"pool_size": threads + 1, "max_overflow": threads + 1}
    return options


def load_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    overrides = overrides or {}
    database_url = overrides.get("SQLALCHEMY_DATABASE_URI") or os.environ.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(instance_path) / "mappa.db"))
    database_url = sqlalchemy_url(database_url)
    config: dict[str, Any] = {
        "SECRET_KEY": overrides.get("SECRET_KEY") or _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _database_options(database_url),
        "MAPPA_ENV": os.environ.get("MAPPA_ENV", "development"),
        "MAPPA_LOG_FORMAT": os.environ.get(
            "MAPPA_LOG_FORMAT", "json" if os.environ.get("MAPPA_ENV") == "production" else "text"),
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("MAPPA_SECURE_COOKIES"),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAPPA_ALLOW_CLOCK_OVERRIDE": _flag("MAPPA_ALLOW_CLOCK_OVERRIDE"),
        "MAPPA_SCHEDULER": _flag("MAPPA_SCHEDULER"),
        "MAPPA_SCHEDULER_SECONDS": float(os.environ.get("MAPPA_SCHEDULER_SECONDS", "60")),
        "MAPPA_EXPECT_SCHEDULER": _flag("MAPPA_EXPECT_SCHEDULER"),  # /readyz wants a recent scheduler heartbeat
        "MAPPA_READY_SECONDS": float(os.environ.get("MAPPA_READY_SECONDS", "0.8")),
        # a waiting scheduler tries the sweep lock this often: it takes over within this time of the holder's death
        "MAPPA_SCHEDULER_POLL_SECONDS": float(os.environ.get("MAPPA_SCHEDULER_POLL_SECONDS", "5")),
        "MAPPA_SCRIPT_SECONDS": float(os.environ.get("MAPPA_SCRIPT_SECONDS", "1")),  # time limit of one BPMN script
        # reminders by email: no host, no email (they wait in the outbox; in-app notifications still appear)
        "MAPPA_SMTP_HOST": os.environ.get("MAPPA_SMTP_HOST", ""),
        "MAPPA_SMTP_PORT": int(os.environ.get("MAPPA_SMTP_PORT", "25")),
        "MAPPA_SMTP_FROM": os.environ.get("MAPPA_SMTP_FROM", "mappa-flow@localhost"),
    }
    config.update(overrides)
    if not str(config["SQLALCHEMY_DATABASE_URI"]).startswith(("sqlite", "postgresql")):
        raise ValueError("DATABASE_URL must be SQLite or PostgreSQL")
    if config["MAPPA_ENV"] == "production" and (refusals := _production_refusals(config)):
        raise UnsafeConfiguration("MAPPA Flow will not start in production mode: " + "; ".join(refusals))
    return config
