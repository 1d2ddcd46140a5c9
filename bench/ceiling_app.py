"""The ceiling for bench/submit.py: the least a Flask + SQLite submit endpoint can do.

Same URL and same form fields as the real questionnaire, served by the same gunicorn settings:
GET renders a tiny form carrying a random token (also kept in Flask's signed session cookie,
like Flask-WTF's CSRF token); POST checks the token and stores the whole answer as ONE row in
ONE write transaction (WAL, synchronous=NORMAL, busy timeout, BEGIN IMMEDIATE, as the app).

    CEILING_DB=/tmp/x/ceiling.sqlite3 gunicorn -c gunicorn.conf.py --pythonpath bench \
        ceiling_app:app

bench/submit.py creates the table with :func:`prepare` before it starts gunicorn.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import uuid

from flask import Flask, abort, jsonify, redirect, request, session

SCHEMA = """
CREATE TABLE IF NOT EXISTS response (
    id INTEGER PRIMARY KEY,
    submission_id TEXT NOT NULL UNIQUE,
    survey_id TEXT NOT NULL,
    answers TEXT NOT NULL,
    free_text TEXT
)
"""
FORM = (
    '<!doctype html><form method="post">'
    '<input type="hidden" name="csrf_token" value="{token}">'
    '<input type="hidden" name="submission_id" value="{submission_id}">'
    '<button type="submit">Skicka</button></form>'
)


def connect(path: str, busy_timeout_ms: int = 30000) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


def prepare(path: str) -> None:
    """Create the ceiling database (WAL) with its one table."""
    connection = connect(path)
    try:
        connection.execute(SCHEMA)
    finally:
        connection.close()


def create_app(db_path: str) -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "ceiling-benchmark-only")
    local = threading.local()

    def db() -> sqlite3.Connection:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = connect(db_path)
        return connection

    @app.get("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        db().execute("SELECT 1").fetchone()
        return jsonify(status="ok")

    @app.get("/<survey_id>/svar")
    def form(survey_id: str):  # type: ignore[no-untyped-def]
        token = session.get("token") or secrets.token_urlsafe(24)
        session["token"] = token
        return FORM.format(token=token, submission_id=uuid.uuid4())

    @app.post("/<survey_id>/svar")
    def submit(survey_id: str):  # type: ignore[no-untyped-def]
        token = session.get("token")
        if not token or not secrets.compare_digest(token, request.form.get("csrf_token", "")):
            abort(400)
        fields = request.form.to_dict(flat=False)
        submission_id = fields.pop("submission_id", [""])[0]
        free_text = (fields.pop("free_text", [""])[0]).strip() or None
        fields.pop("csrf_token", None)
        answers = json.dumps(fields, sort_keys=True, ensure_ascii=False)
        connection = db()
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute(
                "INSERT INTO response (submission_id, survey_id, answers, free_text) "
                "VALUES (?, ?, ?, ?)",
                (submission_id, survey_id, answers, free_text),
            )
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        return redirect(f"/{survey_id}/tack", code=303)

    return app


app = create_app(os.environ.get("CEILING_DB", "ceiling.sqlite3"))
