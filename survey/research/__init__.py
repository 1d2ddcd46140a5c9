"""Research exports (GitHub issue 5): the export page, the export log, API tokens, the bearer
API and the ``export``, ``import`` and ``purge`` commands.

``init_app(app)`` registers everything once (a second call does nothing). It needs staff login
(``survey.staff.init_app``) and registers it when it is missing.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("research", __name__, url_prefix="/personal/export")
api_bp = Blueprint("research_api", __name__, url_prefix="/api/v1")

from survey.research import api, views  # noqa: E402,F401


def init_app(app: Flask) -> None:
    """Register the research pages, the API and the commands on ``app``."""
    if "research" in app.blueprints:
        return
    from survey import staff
    from survey.research import commands

    staff.init_app(app)
    app.config.setdefault("EXPORT_K", 5)
    app.config.setdefault("EXPORT_MAX_SUPPRESSED_SHARE", 0.01)
    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # the bearer API has no cookies, so no CSRF token either
        csrf.exempt(api_bp)
    commands.register(app.cli)
