"""Flask glue for staff login: server-side sessions, role checks, audit, security headers.

How a staff request is checked
------------------------------
The Flask session cookie carries one staff value, ``staff_sid``: a random 256-bit token whose
SHA-256 is a ``StaffSession`` row. Every staff request looks the row up (:func:`current_staff`)
and refuses it when it has been ended (logout), has been idle longer than
``STAFF_IDLE_MINUTES`` (at most 30), is older than ``STAFF_SESSION_HOURS``, or belongs to a
deactivated account; otherwise ``last_seen_at`` moves to now. Roles are read from the database
on every request, so a change by an admin applies at once.

Use the decorators on every staff view, also outside the ``staff`` blueprint::

    @bp.get("/svar/<int:response_id>")
    @roles_required("analyst", "strategy_group")
    def answer(response_id):
        labels = ...  # the answer's labels
        ensure_may_see_answer(current_staff(), labels, response_id=response_id)
        ...

``current_staff()`` returns a detached StaffUser (read it, don't add it to a session; load it
again with ``get_session().get(StaffUser, user.id)`` to change it).

Transactions
------------
Security records must survive the request failing: a refusal is a 403, and the request's own
session rolls back on any status >= 400. So session checks and throttle counts run in short
transactions of their own (:func:`security_transaction`), before the view touches the
request's session; audit rows for refusals, logins and logouts are queued during the request
and written after the request's session has been closed (teardown), so they never wait for
a write lock the view holds on SQLite.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from sqlmodel import Session

from survey.db import begin_write, close_request_session, get_engine, session_scope
from survey.models import StaffSession, StaffUser
from survey.staff import auth
from survey.staff.auth import has_role, visible_target_groups

__all__ = [
    "SESSION_KEY",
    "current_staff",
    "ensure_may_see_answer",
    "login_required",
    "queue_audit",
    "refuse",
    "roles_required",
    "visible_target_groups",
]

log = logging.getLogger(__name__)

SESSION_KEY = "staff_sid"
NEXT_KEY = "staff_next"
#: Flask session values kept when a login renews the session (everything else is cleared).
KEPT_ON_RENEWAL = ("lang",)

F = TypeVar("F", bound=Callable[..., Any])


# --------------------------------------------------------------------------- configuration


def session_policy() -> auth.SessionPolicy:
    config = current_app.config
    idle = max(1, min(int(config.get("STAFF_IDLE_MINUTES", 30)), 30))
    absolute = max(1, int(config.get("STAFF_SESSION_HOURS", 12)))
    return auth.SessionPolicy(idle=timedelta(minutes=idle), absolute=timedelta(hours=absolute))


def throttle_policy() -> auth.ThrottlePolicy:
    config = current_app.config
    return auth.ThrottlePolicy(
        max_failures=int(config.get("STAFF_LOGIN_MAX_FAILURES", 5)),
        window=timedelta(minutes=int(config.get("STAFF_LOGIN_WINDOW_MINUTES", 15))),
        lockout=timedelta(minutes=int(config.get("STAFF_LOGIN_LOCKOUT_MINUTES", 15))),
    )


def throttle_key(username: str) -> str:
    return auth.login_throttle_key(username, current_app.config["SECRET_KEY"])


@contextmanager
def security_transaction() -> Iterator[Session]:
    """A short write transaction of its own, committed at once (see the module docstring).

    Use it before the view writes through ``get_session()``: on SQLite a second writer waits
    for the first.
    """
    with session_scope(get_engine()) as db_session:
        begin_write(db_session)
        yield db_session


# --------------------------------------------------------------------------- audit


def queue_audit(
    event: str,
    *,
    user: StaffUser | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write an audit row after this request, whatever its status (even 403 or 500).

    ``event`` is a short lower-case name (login, refused, review, …). ``detail`` holds codes
    and ids only; a value that is not a short code (text a visitor typed into a query
    parameter, say) is written as "not_recorded".
    """
    if not auth.EVENT_NAME.match(event):
        raise ValueError(f"audit event {event!r} is not a short lower-case name")
    pending: list[dict[str, Any]] = g.setdefault("staff_audit", [])
    pending.append(
        {
            "event": event,
            "user_id": user.id if user is not None else None,
            "username": user.username if user is not None else None,
            "detail": auth.safe_audit_detail(detail),
            "at": auth.utcnow(),
        }
    )


def _flush_audit(_exc: BaseException | None = None) -> None:
    pending: list[dict[str, Any]] = g.pop("staff_audit", [])
    if not pending:
        return
    close_request_session()  # releases any write lock the request still holds (on errors)
    try:
        with security_transaction() as db_session:
            for row in pending:
                auth.record_audit(db_session, **row)
    except Exception:  # never turn a refusal into a crash; make the gap loud instead
        log.exception("Could not write %d staff audit events", len(pending))


# --------------------------------------------------------------------------- sessions


@dataclass(frozen=True)
class StaffContext:
    """The staff state of the current request."""

    user: StaffUser | None
    record: StaffSession | None
    # "anonymous", "second_factor" (password checked, code still missing) or "active"
    state: str
    # Why a session in the cookie was refused: ended, idle, expired, inactive (or None)
    refused: str | None = None


def _token() -> str | None:
    token = session.get(SESSION_KEY)
    return token if isinstance(token, str) and token else None


def staff_context() -> StaffContext:
    """Check the session cookie once per request (cached in ``g``)."""
    cached: StaffContext | None = g.get("staff_context")
    if cached is not None:
        return cached
    token = _token()
    if token is None:
        context = StaffContext(None, None, "anonymous")
    else:
        with security_transaction() as db_session:
            check = auth.check_session(
                db_session, token, now=auth.utcnow(), policy=session_policy()
            )
        if check.reason is None:
            assert check.record is not None
            state = "active" if check.record.second_factor_done else "second_factor"
            context = StaffContext(check.user, check.record, state)
        else:
            session.pop(SESSION_KEY, None)
            context = StaffContext(None, None, "anonymous", refused=check.reason)
            if check.reason != "missing":
                # An ended session is a copied or old cookie; the others just timed out.
                event = "refused" if check.reason == "ended" else "session_ended"
                queue_audit(
                    event,
                    user=check.user,
                    detail={"reason": f"session_{check.reason}", "path": request.path},
                )
    g.staff_context = context
    return context


def current_staff() -> StaffUser | None:
    """The logged-in staff member (both factors done), or None.

    The first call in a request checks the session in a short write transaction of its own,
    so make it (or let the decorators make it) before the view writes through get_session().
    """
    context = staff_context()
    return context.user if context.state == "active" else None


def renew_session(user_id: int, *, second_factor_done: bool, db_session: Session) -> None:
    """Start a new session for ``user_id`` and end the one in the cookie, if any.

    The Flask session is cleared (a new CSRF token too), keeping only the language choice,
    so nothing from before the login carries over.
    """
    now = auth.utcnow()
    auth.end_session(db_session, _token(), now=now)
    token = auth.start_session(db_session, user_id, now=now, second_factor_done=second_factor_done)
    kept = {key: session[key] for key in (*KEPT_ON_RENEWAL, NEXT_KEY) if key in session}
    session.clear()
    session.update(kept)
    session[SESSION_KEY] = token
    session.permanent = False
    g.pop("staff_context", None)


def end_current_session(db_session: Session) -> None:
    auth.end_session(db_session, _token(), now=auth.utcnow())
    kept = {key: session[key] for key in KEPT_ON_RENEWAL if key in session}
    session.clear()
    session.update(kept)
    g.pop("staff_context", None)


# --------------------------------------------------------------------------- decorators


def safe_next(target: str | None) -> str | None:
    """A path on this site to return to after login, or None."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or parts.path.rstrip("/").endswith("/logga-ut"):
        return None
    return target


def _login_redirect():  # type: ignore[no-untyped-def]
    context = staff_context()
    if context.state == "second_factor":
        return redirect(url_for("staff.second_factor"), code=303)
    args: dict[str, str] = {}
    if request.method == "GET":
        target = safe_next(request.full_path.rstrip("?"))
        if target:
            args["next"] = target
    if context.refused in ("idle", "expired"):
        args["utgangen"] = "1"
    return redirect(url_for("staff.login", **args), code=303)


def refuse(reason: str, user: StaffUser | None = None, **detail: Any) -> NoReturn:
    """Audit a refusal and answer 403. ``detail``: ids and codes (see :func:`queue_audit`)."""
    queue_audit(
        "refused",
        user=user if user is not None else current_staff(),
        detail={"reason": reason, "path": request.path, "endpoint": request.endpoint, **detail},
    )
    abort(403)


def _mark_staff_page() -> None:
    g.staff_page = True


def login_required(view: F) -> F:
    """Any logged-in staff member; others are sent to the login page."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _mark_staff_page()
        if current_staff() is None:
            return _login_redirect()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def roles_required(*roles: str) -> Callable[[F], F]:
    """Staff holding at least one of ``roles``; 403 (audited) for the others."""
    unknown = set(roles) - set(auth.ROLES)
    if not roles or unknown:
        raise ValueError(f"roles_required needs known roles, got {roles!r}")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _mark_staff_page()
            user = current_staff()
            if user is None:
                return _login_redirect()
            if not has_role(user, *roles):
                refuse("role", user, needed=sorted(roles))
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def ensure_may_see_answer(
    user: StaffUser | None, response_label_set: Iterable[str], *, response_id: int | None = None
) -> None:
    """Refuse (403, audited) unless ``user`` may read an answer with these labels.

    Call it for every single answer a view shows, with the answer's effective labels.
    """
    if not auth.may_see_answer(user, response_label_set):
        detail: dict[str, Any] = {}
        if response_id is not None:
            detail["response_id"] = int(response_id)
        refuse("answer", user, **detail)


# --------------------------------------------------------------------------- app hooks


def _no_store(response):  # type: ignore[no-untyped-def]
    if request.blueprint == "staff" or g.get("staff_page") or request.path.startswith("/personal"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("STAFF_IDLE_MINUTES", 30)
    app.config.setdefault("STAFF_SESSION_HOURS", 12)
    if int(app.config["STAFF_IDLE_MINUTES"]) > 30:
        log.warning("STAFF_IDLE_MINUTES is above 30; staff sessions still end after 30 minutes")
    if app.config.get("ENV_NAME") == "production" and not app.config.get("SESSION_COOKIE_SECURE"):
        log.warning("SESSION_COOKIE_SECURE is off in production: staff cookies need HTTPS")
    app.after_request(_no_store)
    app.teardown_request(_flush_audit)
    app.jinja_env.globals["current_staff"] = current_staff
