"""``/healthz``: is the app up and can it reach its database?"""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from survey.db import get_engine

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        payload, status = {"status": "error", "database": "unreachable"}, 503
    else:
        payload, status = {"status": "ok", "database": "ok"}, 200
    response = jsonify(payload)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
