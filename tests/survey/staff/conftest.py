"""Staff fixtures: accounts of each role, and clients logged in through the real login flow.

Typical use::

    def test_analyst_sees_the_review_page(client, staff_user, logged_in):
        logged_in(client, staff_user("analyst"))
        assert client.get("/personal/granskning").status_code == 200

    def test_aldre_member(client, staff_user, logged_in):
        member = staff_user("strategy_group", ["aldre"])
        logged_in(client, member)

``logged_in`` posts the login form (username, password), then a TOTP code computed with
pyotp from the account's secret, exactly as a person with an authenticator app would. It
enrols the second factor first when the account has none (``staff_user(..., enrolled=False)``).

To use these fixtures in another test directory, import them in that directory's conftest.py::

    from tests.survey.staff.conftest import (  # noqa: F401
        clock,
        fast_password_hashing,
        logged_in,
        staff_app,
        staff_user,
    )

``staff_app`` is autouse here: it registers staff login on the ``app`` fixture if create_app
has not done so already.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from survey import staff
from survey.db import get_engine_for, session_scope
from survey.models import StaffUser
from survey.staff import auth

LOGIN_URL = "/personal/logga-in"
CODE_URL = "/personal/kod"
LOGOUT_URL = "/personal/logga-ut"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
_SECRET = re.compile(r'<code class="totp-secret">([A-Z2-7 ]+)</code>')


@dataclass
class StaffAccount:
    """A staff account made by ``staff_user``, with what its owner knows."""

    id: int
    username: str
    password: str
    roles: tuple[str, ...]
    target_groups: tuple[str, ...]
    totp_secret: str | None = None
    used_steps: list[int] = field(default_factory=list)

    def code(self, at: datetime | None = None) -> str:
        """The code the authenticator app shows now (or at ``at``)."""
        assert self.totp_secret, "the account has no second factor yet"
        return auth.totp_code(self.totp_secret, auth.totp_step(at or auth.utcnow()))


class Clock:
    """A clock for ``survey.staff.auth.utcnow``: starts at the real time, moves on request."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def csrf_token(page: str) -> str:
    """The CSRF token in a rendered page."""
    match = _CSRF.search(page)
    assert match, "no csrf_token in the page"
    return html.unescape(match.group(1) or match.group(2))


def form_token(client: FlaskClient, url: str) -> str:
    """GET ``url`` and return its CSRF token."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return csrf_token(response.get_data(as_text=True))


@pytest.fixture(autouse=True)
def staff_app(app: Flask) -> Flask:
    """The test app with staff login registered (a no-op once create_app does it)."""
    if "staff" not in app.blueprints:
        staff.init_app(app)
    return app


@pytest.fixture
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with the smallest costs: the real profile takes about a second per hash."""
    monkeypatch.setattr(
        auth, "PASSWORD_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Freeze the staff clock (sessions, throttling, TOTP); ``clock.advance(minutes=31)``."""
    frozen = Clock()
    monkeypatch.setattr(auth, "utcnow", frozen)
    return frozen


@pytest.fixture
def staff_user(staff_app: Flask, fast_password_hashing: None) -> Callable[..., StaffAccount]:
    """Factory: ``staff_user(role="admin", target_groups=(), *, username=None, password=None,
    enrolled=True, active=True)``.

    ``role`` is one role or a sequence of roles. A strategy_group member without target
    groups gets ("aldre",). ``enrolled=False`` leaves the second factor to be set up at the
    first login, as for a new account.
    """
    numbers = itertools.count(1)

    def make(
        role: str | Sequence[str] = "admin",
        target_groups: Sequence[str] = (),
        *,
        username: str | None = None,
        password: str | None = None,
        enrolled: bool = True,
        active: bool = True,
    ) -> StaffAccount:
        roles = (role,) if isinstance(role, str) else tuple(role)
        groups = tuple(target_groups) or (("aldre",) if "strategy_group" in roles else ())
        name = username or f"{roles[0].replace('_', '-')}-{next(numbers)}"
        secret_word = password or f"Blåbär i skogen {next(numbers)}!"
        with session_scope(get_engine_for(staff_app)) as session:
            user = auth.create_user(
                session=session,
                username=name,
                password=secret_word,
                roles=roles,
                target_groups=groups,
            )
            if enrolled:
                user.totp_secret = auth.new_totp_secret()
                user.totp_confirmed = True
            user.active = active
            session.flush()
            assert user.id is not None
            return StaffAccount(
                id=user.id,
                username=user.username,
                password=secret_word,
                roles=tuple(user.roles),
                target_groups=tuple(user.target_groups),
                totp_secret=user.totp_secret,
            )

    return make


def _fresh_code(app: Flask, account: StaffAccount) -> str:
    """A code the server has not seen: this step's, or the next one's if this one is used."""
    with session_scope(get_engine_for(app)) as session:
        last = auth.last_used_totp_step(session, account.id)
    now = auth.totp_step(auth.utcnow())
    for step in (now, now + 1):
        if last is None or step > last:
            account.used_steps.append(step)
            assert account.totp_secret
            return auth.totp_code(account.totp_secret, step)
    raise AssertionError(
        "This account has logged in twice within 30 seconds; each code is accepted once. "
        "Use the clock fixture and clock.advance(seconds=30) between logins."
    )


def log_in(app: Flask, client: FlaskClient, account: StaffAccount) -> TestResponse:
    """Password, then (enrolment and) TOTP code, through the real pages.

    Returns the answer to the code: a 303 whose location is where the login leads.
    """
    response = client.post(
        LOGIN_URL,
        data={
            "csrf_token": form_token(client, LOGIN_URL),
            "username": account.username,
            "password": account.password,
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.location.endswith(CODE_URL)
    page = client.get(CODE_URL).get_data(as_text=True)
    if account.totp_secret is None:
        secret = _SECRET.search(page)
        assert secret, "the enrolment page shows no secret"
        account.totp_secret = secret.group(1).replace(" ", "")
    response = client.post(
        CODE_URL, data={"csrf_token": csrf_token(page), "code": _fresh_code(app, account)}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


@pytest.fixture
def logged_in(staff_app: Flask) -> Callable[[FlaskClient, StaffAccount], FlaskClient]:
    """``logged_in(client, account)`` logs ``client`` in as ``account`` and returns it.

    Log a client out (``log_out``) before logging it in as someone else.
    """

    def login(client: FlaskClient, account: StaffAccount) -> FlaskClient:
        log_in(staff_app, client, account)
        return client

    return login


def log_out(client: FlaskClient):  # type: ignore[no-untyped-def]
    """Press "Logga ut" on the start page."""
    token = form_token(client, "/personal/")
    return client.post(LOGOUT_URL, data={"csrf_token": token})


def stored_user(app: Flask, user_id: int) -> StaffUser | None:
    with session_scope(get_engine_for(app)) as session:
        return session.get(StaffUser, user_id)
