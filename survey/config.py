"""Configuration read from the environment, with safe defaults for development."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DEV_SECRET_KEY = "dev-only-not-secret"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"
BUNDLED_SURVEYS = Path(__file__).resolve().parent / "surveys"


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app must not start."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from environment variables."""
    env = dict(os.environ if environ is None else environ)
    instance = Path(env.get("VIKTIGT_INSTANCE", DEFAULT_INSTANCE))
    production = env.get("VIKTIGT_ENV", "development") == "production"
    return {
        "ENV_NAME": "production" if production else "development",
        "SECRET_KEY": env.get("SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": env.get(
            "DATABASE_URL", f"sqlite:///{instance / 'viktigt.sqlite3'}"
        ),
        "SURVEY_DIRECTORY": env.get("VIKTIGT_SURVEYS", str(BUNDLED_SURVEYS)),
        "MODEL_PATH": env.get("VIKTIGT_MODEL"),
        "CLASSIFY_ON_SUBMIT": _bool(env.get("VIKTIGT_CLASSIFY"), True),
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), production),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # A survey can take a long time to write; an old token must never cost an answer.
        # The form is re-rendered with everything kept when the token is stale anyway.
        "WTF_CSRF_TIME_LIMIT": int(env.get("VIKTIGT_CSRF_SECONDS", 24 * 3600)),
        "FREE_TEXT_MAX_CHARS": 5000,
        # Our forms carry their own Swedish/English messages; loading WTForms' catalogue on
        # every request cost about 1 ms per submit (bench/submit.py).
        "WTF_I18N_ENABLED": False,
        "BABEL_DEFAULT_LOCALE": "sv",
        "LANGUAGES": ("sv", "en"),
        "SQLITE_BUSY_TIMEOUT_MS": int(env.get("VIKTIGT_SQLITE_BUSY_MS", 30000)),
        "STAFF_IDLE_MINUTES": min(30, int(env.get("VIKTIGT_STAFF_IDLE_MINUTES", 30))),
        "STAFF_SESSION_HOURS": int(env.get("VIKTIGT_STAFF_SESSION_HOURS", 12)),
        # Smallest number of answers behind any figure, quote or term shown to staff.
        "MIN_CELL_SIZE": max(3, int(env.get("VIKTIGT_MIN_CELL", 5))),
        # k of the k-anonymity of research exports.
        "EXPORT_K": max(2, int(env.get("VIKTIGT_EXPORT_K", 5))),
    }


def check_production_safety(config: dict[str, Any]) -> None:
    """Refuse to run in production with development defaults."""
    if config.get("ENV_NAME") != "production":
        return
    secret = config.get("SECRET_KEY") or ""
    if secret == DEV_SECRET_KEY or len(secret) < 32:
        raise ConfigError(
            "VIKTIGT_ENV=production needs SECRET_KEY: a random value of at least 32 characters "
            "(for example: python -c 'import secrets; print(secrets.token_hex(32))')."
        )
