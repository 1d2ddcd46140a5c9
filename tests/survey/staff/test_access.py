"""Who may see which staff page and which answer; sessions, cookies and headers."""

from __future__ import annotations

import pytest
from flask import request
from sqlmodel import select

from survey.db import get_engine_for, session_scope
from survey.models import AuditEvent, StaffSession, StaffUser
from survey.staff import auth
from survey.staff.access import (
    current_staff,
    ensure_may_see_answer,
    login_required,
    refuse,
    roles_required,
    visible_target_groups,
)
from tests.conftest import BOTH_DATABASES
from tests.survey.staff.conftest import (
    CODE_URL,
    LOGIN_URL,
    LOGOUT_URL,
    csrf_token,
    form_token,
    log_in,
    log_out,
)

ROLES = ("admin", "strategy_group", "analyst", "researcher")

# (role, url, status): None is a visitor who is not logged in. {self} is the account's id.
ACCESS = [
    *[(None, url, 303) for url in ("/personal/", "/personal/anvandare", "/personal/losenord")],
    (None, "/personal/anvandare/{self}", 303),
    *[(role, "/personal/", 200) for role in ROLES],
    *[(role, "/personal/losenord", 200) for role in ROLES],
    ("admin", "/personal/anvandare", 200),
    ("admin", "/personal/anvandare/{self}", 200),
    *[(role, "/personal/anvandare", 403) for role in ROLES if role != "admin"],
    *[(role, "/personal/anvandare/{self}", 403) for role in ROLES if role != "admin"],
]


def _audit(app, event=None):
    with session_scope(get_engine_for(app)) as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if event:
            query = query.where(AuditEvent.event == event)
        return session.exec(query).all()


@pytest.mark.parametrize(("role", "url", "status"), ACCESS)
def test_each_page_needs_login_and_the_right_role(
    client, staff_app, staff_user, logged_in, role, url, status
):
    account = staff_user(role or "analyst")
    if role is not None:
        logged_in(client, account)

    response = client.get(url.format(self=account.id))

    assert response.status_code == status
    if status == 303:
        assert response.location.startswith(LOGIN_URL)
    if status == 403:
        refused = _audit(staff_app, "refused")[-1]
        assert refused.user_id == account.id
        assert refused.detail["reason"] == "role" and refused.detail["needed"] == ["admin"]


@pytest.mark.parametrize("role", [role for role in ROLES if role != "admin"])
def test_only_admins_can_create_or_change_accounts(client, staff_app, staff_user, logged_in, role):
    account = staff_user(role)
    logged_in(client, account)
    token = form_token(client, "/personal/")
    new_account = {
        "csrf_token": token,
        "username": "inkraktare",
        "password": "Blåbär i skogen 9",
        "repeat": "Blåbär i skogen 9",
        "roles": "admin",
    }

    created = client.post("/personal/anvandare", data=new_account)
    promoted = client.post(
        f"/personal/anvandare/{account.id}",
        data={"csrf_token": token, "roles": "admin", "active": "y"},
    )

    assert created.status_code == promoted.status_code == 403
    with session_scope(get_engine_for(staff_app)) as session:
        assert auth.find_user(session, "inkraktare") is None
        assert session.get(StaffUser, account.id).roles == [role]


@pytest.mark.parametrize(
    ("roles", "groups", "visible"),
    [
        (["strategy_group"], ["aldre"], ("aldre",)),
        (["strategy_group"], ["aldre", "barn_unga"], ("barn_unga", "aldre")),
        (["admin"], [], auth.TARGET_GROUPS),
        (["analyst"], [], auth.TARGET_GROUPS),
        (["researcher"], [], auth.TARGET_GROUPS),
        (["strategy_group", "analyst"], ["aldre"], auth.TARGET_GROUPS),
        ([], [], ()),
    ],
)
def test_visible_target_groups(roles, groups, visible):
    user = StaffUser(username="x", password_hash="-", roles=roles, target_groups=groups)

    assert visible_target_groups(user) == visible
    assert visible_target_groups(None) == ()


def test_strategy_member_of_aldre_sees_aldre_once_logged_in(client, staff_user, logged_in):
    member = staff_user("strategy_group", ["aldre"])
    logged_in(client, member)

    page = client.get("/personal/").get_data(as_text=True)

    assert "<li>Äldre</li>" in page
    assert "Barn och unga" not in page


# --------------------------------------------------------------------------- one answer


@pytest.fixture
def answer_page(staff_app):
    """A page that shows one answer, as the analysis pages will: /personal-test/svar/1?label=…"""

    @staff_app.get("/personal-test/svar/<int:response_id>")
    @login_required
    def show_answer(response_id):  # type: ignore[no-untyped-def]
        ensure_may_see_answer(
            current_staff(), request.args.getlist("label"), response_id=response_id
        )
        return "svaret"

    return "/personal-test/svar/7"


@pytest.mark.parametrize(
    ("role", "groups", "labels", "status"),
    [
        ("strategy_group", ["aldre"], ["aldre", "kontinuitet"], 200),
        ("strategy_group", ["aldre"], ["barn_unga"], 403),
        ("strategy_group", ["aldre"], ["kontinuitet"], 403),  # no target group at all
        ("strategy_group", ["aldre"], [], 403),
        ("strategy_group", ["aldre", "barn_unga"], ["barn_unga"], 200),
        ("strategy_group", ["psykiatri_missbruk"], ["aldre", "barn_unga"], 403),
        ("analyst", [], [], 200),
        ("analyst", [], ["barn_unga"], 200),
        ("researcher", [], ["psykiatri_missbruk"], 200),
        ("admin", [], ["aldre"], 200),
    ],
)
def test_each_answer_is_checked_against_the_target_groups(
    client, staff_app, staff_user, logged_in, answer_page, role, groups, labels, status
):
    account = staff_user(role, groups)
    logged_in(client, account)

    response = client.get(answer_page, query_string=[("label", label) for label in labels])

    assert response.status_code == status
    if status == 403:
        refused = _audit(staff_app, "refused")[-1]
        assert refused.user_id == account.id
        assert refused.detail["reason"] == "answer" and refused.detail["response_id"] == 7


def test_answer_page_needs_login(client, answer_page):
    response = client.get(answer_page)

    assert response.status_code == 303 and response.location.startswith(LOGIN_URL)


def test_a_refusal_is_audited_even_when_its_detail_is_typed_text(
    client, staff_app, staff_user, logged_in
):
    @staff_app.get("/personal-test/grupp")
    @login_required
    def group_page():  # type: ignore[no-untyped-def]
        refuse("target_group", current_staff(), target_group=request.args["grupp"])

    account = staff_user("strategy_group", ["aldre"])
    logged_in(client, account)

    response = client.get("/personal-test/grupp", query_string={"grupp": "mitt hemliga lösenord"})

    assert response.status_code == 403
    refused = _audit(staff_app, "refused")[-1]
    assert refused.user_id == account.id
    assert refused.detail["target_group"] == "not_recorded"


def test_roles_required_refuses_unknown_roles():
    with pytest.raises(ValueError):
        roles_required("superuser")
    with pytest.raises(ValueError):
        roles_required()


# --------------------------------------------------------------------------- sessions


def _cookie(client, app):
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return cookie.value if cookie else None


def _staff_token(client, app):
    serializer = app.session_interface.get_signing_serializer(app)
    value = _cookie(client, app)
    return serializer.loads(value).get("staff_sid") if value else None


@BOTH_DATABASES
def test_cookie_copied_before_logout_is_refused_after_it(client, staff_app, staff_user, logged_in):
    logged_in(client, staff_user("analyst"))
    copy = staff_app.test_client()
    copy.set_cookie(staff_app.config["SESSION_COOKIE_NAME"], _cookie(client, staff_app))
    assert copy.get("/personal/").status_code == 200

    response = log_out(client)

    assert response.status_code == 303 and "utloggad=1" in response.location
    assert client.get("/personal/").status_code == 303
    refused = copy.get("/personal/")
    assert refused.status_code == 303 and refused.location.startswith(LOGIN_URL)
    assert _audit(staff_app, "refused")[-1].detail["reason"] == "session_ended"


def test_session_is_renewed_at_each_login_step(client, staff_app, staff_user, clock):
    account = staff_user("analyst")
    token = form_token(client, LOGIN_URL)
    before = _cookie(client, staff_app)

    client.post(
        LOGIN_URL,
        data={"csrf_token": token, "username": account.username, "password": account.password},
    )
    after_password = _cookie(client, staff_app)
    half_token = _staff_token(client, staff_app)
    page = client.get(CODE_URL).get_data(as_text=True)
    assert csrf_token(page) != token  # the CSRF token is renewed too
    client.post(CODE_URL, data={"csrf_token": csrf_token(page), "code": account.code()})
    after_code = _cookie(client, staff_app)
    full_token = _staff_token(client, staff_app)

    assert len({before, after_password, after_code}) == 3
    assert half_token and full_token and half_token != full_token
    # The half-logged-in session was ended: its cookie does not lead anywhere.
    with session_scope(get_engine_for(staff_app)) as session:
        half = session.get(StaffSession, auth.session_id_for(half_token))
        assert half.ended_at is not None and not half.second_factor_done
    replay = staff_app.test_client()
    replay.set_cookie(staff_app.config["SESSION_COOKIE_NAME"], after_password)
    assert replay.get("/personal/").location.startswith(LOGIN_URL)


def test_a_session_planted_before_login_is_not_kept(client, staff_app, staff_user, logged_in):
    """Session fixation: an attacker's half-done login cookie put into the victim's browser."""
    victim = staff_user("admin")
    attacker = staff_user("researcher")
    attacker_client = staff_app.test_client()
    attacker_client.post(
        LOGIN_URL,
        data={
            "csrf_token": form_token(attacker_client, LOGIN_URL),
            "username": attacker.username,
            "password": attacker.password,
        },
    )
    planted = _staff_token(attacker_client, staff_app)
    client.set_cookie(staff_app.config["SESSION_COOKIE_NAME"], _cookie(attacker_client, staff_app))

    logged_in(client, victim)

    assert _staff_token(client, staff_app) != planted
    with session_scope(get_engine_for(staff_app)) as session:
        assert session.get(StaffSession, auth.session_id_for(planted)).ended_at is not None
    assert attacker_client.get("/personal/").location.startswith(LOGIN_URL)


def test_idle_session_ends_after_thirty_minutes(client, staff_app, staff_user, logged_in, clock):
    logged_in(client, staff_user("analyst"))

    clock.advance(minutes=29)
    assert client.get("/personal/").status_code == 200
    clock.advance(minutes=29)  # activity moves the limit on
    assert client.get("/personal/").status_code == 200
    clock.advance(minutes=30, seconds=1)
    response = client.get("/personal/")

    assert response.status_code == 303 and "utgangen=1" in response.location
    assert "inaktiv" in client.get(response.location).get_data(as_text=True)
    clock.advance(minutes=-30)  # the session stays ended even if the clock goes back
    assert client.get("/personal/").status_code == 303
    assert _audit(staff_app, "session_ended")[-1].detail["reason"] == "session_idle"


@pytest.mark.parametrize(("configured", "limit"), [(10, 10), (120, 30)])
def test_idle_limit_is_configurable_up_to_thirty_minutes(
    client, staff_app, staff_user, logged_in, clock, configured, limit
):
    staff_app.config["STAFF_IDLE_MINUTES"] = configured
    logged_in(client, staff_user("analyst"))

    clock.advance(minutes=limit - 1)
    assert client.get("/personal/").status_code == 200
    clock.advance(minutes=limit, seconds=1)
    assert client.get("/personal/").status_code == 303


def test_sessions_end_after_the_absolute_lifetime(client, staff_app, staff_user, logged_in, clock):
    staff_app.config["STAFF_SESSION_HOURS"] = 1
    logged_in(client, staff_user("analyst"))

    for _ in range(3):
        clock.advance(minutes=20)
        assert client.get("/personal/").status_code == 200
    clock.advance(minutes=20)

    assert client.get("/personal/").status_code == 303


def test_half_logged_in_session_reaches_only_the_code_page(client, staff_user):
    account = staff_user("admin")
    client.post(
        LOGIN_URL,
        data={
            "csrf_token": form_token(client, LOGIN_URL),
            "username": account.username,
            "password": account.password,
        },
    )

    for url in ("/personal/", "/personal/anvandare"):
        response = client.get(url)
        assert response.status_code == 303 and response.location.endswith(CODE_URL)


def test_deactivated_account_is_logged_out_at_once(client, staff_app, staff_user, logged_in):
    account = staff_user("analyst")
    logged_in(client, account)
    admin_client = staff_app.test_client()
    logged_in(admin_client, staff_user("admin"))

    response = admin_client.post(
        f"/personal/anvandare/{account.id}",
        data={"csrf_token": form_token(admin_client, "/personal/"), "roles": "analyst"},
    )

    assert response.status_code == 303
    assert client.get("/personal/").status_code == 303


def test_role_changes_apply_at_the_next_request(client, staff_app, staff_user, logged_in):
    account = staff_user("researcher")
    logged_in(client, account)
    assert client.get("/personal/anvandare").status_code == 403
    admin_client = staff_app.test_client()
    logged_in(admin_client, staff_user("admin"))

    admin_client.post(
        f"/personal/anvandare/{account.id}",
        data={
            "csrf_token": form_token(admin_client, "/personal/"),
            "roles": ["researcher", "admin"],
            "active": "y",
        },
    )

    assert client.get("/personal/anvandare").status_code == 200


def test_login_returns_to_the_page_asked_for_but_never_elsewhere(
    client, staff_app, staff_user, clock
):
    account = staff_user("admin")
    asked = client.get("/personal/anvandare")
    assert asked.location == f"{LOGIN_URL}?next=/personal/anvandare"
    client.get(asked.location)

    assert log_in(staff_app, client, account).location == "/personal/anvandare"

    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", LOGOUT_URL):
        log_out(client)
        client.get(LOGIN_URL, query_string={"next": target})
        clock.advance(seconds=30)
        assert log_in(staff_app, client, account).location == "/personal/", target


def test_logout_is_a_post_with_a_csrf_token(client, staff_user, logged_in):
    logged_in(client, staff_user("analyst"))

    assert client.get(LOGOUT_URL).status_code == 405
    assert client.post(LOGOUT_URL).status_code == 400
    assert client.get("/personal/").status_code == 200  # still logged in


# --------------------------------------------------------------------------- headers


def test_staff_pages_are_never_cached(client, staff_user, logged_in):
    for url in (LOGIN_URL, "/personal/", "/personal/anvandare"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url
    logged_in(client, staff_user("analyst"))
    for url in ("/personal/", "/personal/losenord", "/personal/anvandare"):  # 200, 200, 403
        assert client.get(url).headers["Cache-Control"] == "no-store", url


def test_session_cookie_is_httponly_samesite_and_secure_in_production(staff_app):
    staff_app.config["SESSION_COOKIE_SECURE"] = True  # what VIKTIGT_ENV=production sets

    header = staff_app.test_client().get(LOGIN_URL).headers["Set-Cookie"]

    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" in header
    assert "Expires" not in header  # gone when the browser closes


def test_respondent_pages_stay_without_cookies_and_cacheable(client):
    for url in ("/", "/jonkoping-2030/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers, url
        assert response.headers.get("Cache-Control") != "no-store", url


# --------------------------------------------------------------------------- pages


def test_admin_creates_an_account_who_can_then_log_in(
    client, staff_app, staff_user, logged_in, clock
):
    logged_in(client, staff_user("admin"))
    token = form_token(client, "/personal/anvandare")

    response = client.post(
        "/personal/anvandare",
        data={
            "csrf_token": token,
            "username": "Eva.Ek",
            "password": "Tre röda äpplen",
            "repeat": "Tre röda äpplen",
            "roles": "strategy_group",
            "target_groups": ["aldre", "barn_unga"],
        },
    )

    assert response.status_code == 303
    with session_scope(get_engine_for(staff_app)) as session:
        created = auth.find_user(session, "eva.ek")
        assert created.roles == ["strategy_group"]
        assert created.target_groups == ["barn_unga", "aldre"]
        assert created.password_hash.startswith("$argon2id$")
    assert "eva.ek" in client.get("/personal/anvandare").get_data(as_text=True)
    created_event = _audit(staff_app, "user_created")[-1]
    assert created_event.detail["target_user_id"] == created.id

    from tests.survey.staff.conftest import StaffAccount

    newcomer = StaffAccount(created.id, "eva.ek", "Tre röda äpplen", (), ())
    logged_in(staff_app.test_client(), newcomer)  # enrols the second factor on the way


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"password": "kort123", "repeat": "kort123"}, "minst 8 tecken"),
        ({"password": "password123", "repeat": "password123"}, "för vanligt"),
        ({"password": "Tre röda äpplen", "repeat": "Tre gröna"}, "inte lika"),
        ({"roles": "strategy_group"}, "minst en målgrupp"),
        ({"roles": []}, "minst en roll"),
        ({"username": "med mellanslag"}, "inga mellanslag"),
    ],
)
def test_admin_form_refuses_weak_passwords_and_incomplete_accounts(
    client, staff_app, staff_user, logged_in, fields, message
):
    logged_in(client, staff_user("admin"))
    data = {
        "csrf_token": form_token(client, "/personal/anvandare"),
        "username": "ny-person",
        "password": "Tre röda äpplen",
        "repeat": "Tre röda äpplen",
        "roles": "analyst",
        **fields,
    }

    response = client.post("/personal/anvandare", data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert "Tre röda äpplen" not in page and "kort123" not in page  # never echoed back
    with session_scope(get_engine_for(staff_app)) as session:
        assert auth.find_user(session, data["username"]) is None


def test_admin_cannot_remove_their_own_admin_role(client, staff_app, staff_user, logged_in):
    admin = staff_user("admin")
    logged_in(client, admin)

    response = client.post(
        f"/personal/anvandare/{admin.id}",
        data={"csrf_token": form_token(client, "/personal/"), "roles": "analyst", "active": "y"},
    )

    assert response.status_code == 422
    assert client.get("/personal/anvandare").status_code == 200


def test_password_change_logs_out_other_sessions(client, staff_app, staff_user, logged_in, clock):
    account = staff_user("analyst")
    logged_in(client, account)
    other = staff_app.test_client()
    clock.advance(seconds=30)
    logged_in(other, account)
    token = form_token(client, "/personal/losenord")

    wrong = client.post(
        "/personal/losenord",
        data={
            "csrf_token": token,
            "current": "fel",
            "new": "Ny och lång fras",
            "repeat": "Ny och lång fras",
        },
    )
    weak = client.post(
        "/personal/losenord",
        data={
            "csrf_token": token,
            "current": account.password,
            "new": "qwertyuiop",
            "repeat": "qwertyuiop",
        },
    )
    changed = client.post(
        "/personal/losenord",
        data={
            "csrf_token": token,
            "current": account.password,
            "new": "Ny och lång fras",
            "repeat": "Ny och lång fras",
        },
    )

    assert (wrong.status_code, weak.status_code, changed.status_code) == (422, 422, 303)
    assert client.get("/personal/").status_code == 200
    assert other.get("/personal/").status_code == 303
    with session_scope(get_engine_for(staff_app)) as session:
        stored = session.get(StaffUser, account.id).password_hash
    assert auth.verify_password(stored, "Ny och lång fras")
