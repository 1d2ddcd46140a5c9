"""Staff accounts, roles and login (GitHub issue 4). Pages under /personal/.

``init_app(app)`` registers the blueprint, the ``create-user`` command and the hooks (audit
writes, ``Cache-Control: no-store`` on staff pages). Protect staff views with
:func:`survey.staff.access.login_required` / :func:`survey.staff.access.roles_required`.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint(
    "staff",
    __name__,
    url_prefix="/personal",
    static_folder="static",
    static_url_path="/static",
)

from survey.staff import review, summary, views  # noqa: E402,F401


def init_app(app: Flask) -> None:
    """Register staff login on ``app`` (once; a second call does nothing)."""
    if "staff" in app.blueprints:
        return
    from survey.staff import access, commands

    app.register_blueprint(bp)
    access.init_app(app)
    commands.register(app.cli)
