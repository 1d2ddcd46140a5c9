"""Viktigt: the web application. ``create_app`` is the only entry point."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, render_template
from flask_wtf.csrf import CSRFProtect

from survey import config as config_module


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides values read from the environment."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(config_module.from_environment())
    if config:
        app.config.from_mapping(config)
    config_module.check_production_safety(app.config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    from survey import classification, db, i18n
    from survey.registry import SurveyRegistry

    db.init_app(app)
    i18n.init_app(app)
    app.extensions["viktigt.surveys"] = SurveyRegistry(db.get_engine_for(app))
    classification.init_app(app)

    # Forms check their own CSRF token so that a stale token re-renders the form with
    # everything kept instead of a bare 400. Other POST endpoints are protected globally.
    csrf = CSRFProtect(app)

    from survey import research, staff
    from survey.health import bp as health_bp
    from survey.respondent import bp as respondent_bp

    app.register_blueprint(respondent_bp)
    app.register_blueprint(health_bp)
    csrf.exempt(respondent_bp)
    staff.init_app(app)
    research.init_app(app)

    from survey import commands

    commands.register(app.cli)
    _register_error_pages(app)
    _add_security_headers(app)
    logging.getLogger("werkzeug").addFilter(_DropClientAddress())
    return app


class _DropClientAddress(logging.Filter):
    """The development server logs client addresses; replace them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args and isinstance(record.msg, str):
            if record.msg.startswith("%s - - ["):
                record.args = ("-", *record.args[1:])
        return True


def _register_error_pages(app: Flask) -> None:
    def page(code: int):
        def handler(_error: Exception) -> tuple[str, int]:
            return render_template("error.html", code=code), code

        return handler

    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, page(code))


def _add_security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Permissions-Policy", "interest-cohort=()")
        return response
