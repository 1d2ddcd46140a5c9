"""Passwords, TOTP, throttling and audit: the plain functions, then the same over the web."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from argon2 import PasswordHasher, Type
from argon2.exceptions import VerificationError
from sqlmodel import select

from survey import create_app, staff
from survey.db import get_engine_for, session_scope
from survey.models import AuditEvent, LoginThrottle, StaffSession, StaffUser
from survey.staff import auth
from tests.conftest import BOTH_DATABASES, TEST_SECRET
from tests.survey.staff.conftest import (
    CODE_URL,
    LOGIN_URL,
    csrf_token,
    form_token,
    log_out,
)

# --------------------------------------------------------------------------- passwords


def test_production_hasher_is_argon2id_above_the_owasp_minimum():
    hasher = auth.PASSWORD_HASHER

    assert hasher.type is Type.ID
    assert hasher.memory_cost >= 19 * 1024  # KiB
    assert hasher.time_cost >= 2


def test_hash_is_argon2id_salted_and_verifies(fast_password_hashing):
    first = auth.hash_password("Blåbär i skogen")
    second = auth.hash_password("Blåbär i skogen")

    assert first.startswith("$argon2id$")
    assert first != second  # salted
    assert auth.verify_password(first, "Blåbär i skogen")
    assert not auth.verify_password(first, "blåbär i skogen")
    assert not auth.verify_password(first, "Blåbär i skogen" + "x" * 300)
    assert not auth.verify_password("not a hash", "Blåbär i skogen")


def test_password_is_normalised_so_composed_and_decomposed_letters_match(fast_password_hashing):
    composed = "sk\u00e5despelare i m\u00e5nsken"  # å as one character
    decomposed = "ska\u030adespelare i ma\u030ansken"  # a + combining ring

    assert auth.verify_password(auth.hash_password(composed), decomposed)


def test_unknown_user_still_costs_a_hash_verification(monkeypatch):
    calls = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash, password):  # noqa: A002
            calls.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(
        auth, "PASSWORD_HASHER", CountingHasher(time_cost=1, memory_cost=8, parallelism=1)
    )

    assert auth.verify_password(None, "anything at all") is False
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


def test_weaker_hashes_are_flagged_for_rehash(fast_password_hashing, monkeypatch):
    cheap = auth.hash_password("Blåbär i skogen")
    monkeypatch.undo()  # back to the production parameters

    assert auth.password_needs_rehash(cheap)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("", "password_too_short"),
        ("kort123", "password_too_short"),  # 7 characters
        ("x" * 257, "password_too_long"),
        ("password123", "password_common"),
        ("Qwertyuiop", "password_common"),  # case does not matter
        ("iloveyou2", "password_common"),
        ("P@ssw0rd", "password_common"),
        ("lösenord123", "password_common"),  # Swedish, from our own part of the list
        ("Sommar2026!", "password_common"),  # a listed password with a sign added
        ("Viktigt2027!!", "password_common"),  # the service's name with digits
        ("anna.svensson-lösen", "password_contains_username"),
        ("abababababab", "password_repetitive"),
    ],
)
def test_weak_passwords_are_refused(password, problem):
    assert problem in auth.password_problems(password, username="anna.svensson")


@pytest.mark.parametrize(
    "password",
    ["tj3!Kq9z", "correct horse battery staple", "Blåbär i skogen 1!", "ååå äää ööö 123"],
)
def test_good_passwords_of_any_kind_are_accepted(password):
    # 8 characters are enough; no rules about digits, capitals or signs; spaces allowed.
    assert auth.password_problems(password, username="anna.svensson") == []


def test_common_password_list_is_shipped_and_large():
    listed = auth.common_passwords()

    assert len(listed) > 8000
    assert {"password", "qwertyuiop", "lösenord123"} <= listed
    assert all(len(entry) >= 8 for entry in listed)


# --------------------------------------------------------------------------- TOTP


def test_totp_secret_uri_and_qr_code():
    secret = auth.new_totp_secret()
    uri = auth.totp_uri(secret, "anna")
    qr = auth.totp_qr_data_uri(uri)

    assert len(secret) == 32  # 160 bits in base32
    assert uri.startswith("otpauth://totp/Viktigt:anna?") and f"secret={secret}" in uri
    assert qr.startswith("data:image/svg+xml")
    assert auth.readable_secret("ABCDEFGH") == "ABCD EFGH"


def test_totp_accepts_this_step_and_one_either_side_only(clock):
    secret = auth.new_totp_secret()
    now = auth.totp_step(clock.now)

    for offset in (-1, 0, 1):
        code = auth.totp_code(secret, now + offset)
        assert auth.matching_totp_step(secret, code, at=clock.now) == now + offset
    for offset in (-3, -2, 2):
        code = auth.totp_code(secret, now + offset)
        assert auth.matching_totp_step(secret, code, at=clock.now) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "１２３４５６"])
def test_totp_refuses_what_cannot_be_a_code(code):
    assert auth.matching_totp_step(auth.new_totp_secret(), code, at=auth.utcnow()) is None


def test_totp_code_is_accepted_once(staff_app, staff_user, clock):
    account = staff_user("analyst")
    with session_scope(get_engine_for(staff_app)) as session:
        user = session.get(StaffUser, account.id)
        code = account.code()

        assert auth.use_totp_code(session, user, code, at=clock.now)
        assert not auth.use_totp_code(session, user, code, at=clock.now)  # replay
        older = auth.totp_code(account.totp_secret, auth.totp_step(clock.now) - 1)
        assert not auth.use_totp_code(session, user, older, at=clock.now)  # older than used
        clock.advance(seconds=30)
        assert auth.use_totp_code(session, user, account.code(), at=clock.now)


# --------------------------------------------------------------------------- throttling


def test_five_failures_lock_for_fifteen_minutes(staff_app, clock):
    key = auth.login_throttle_key("anna", TEST_SECRET)
    with session_scope(get_engine_for(staff_app)) as session:
        for _ in range(4):
            assert auth.record_login_failure(session, key, now=clock.now) is None
        until = auth.record_login_failure(session, key, now=clock.now)

        assert until == clock.now + timedelta(minutes=15)
        assert auth.locked_until(session, key, now=clock.advance(minutes=14)) == until
        assert auth.locked_until(session, key, now=clock.advance(minutes=2)) is None
        # After the lock, counting starts again from zero.
        assert auth.record_login_failure(session, key, now=clock.now) is None


def test_failures_spread_over_more_than_the_window_do_not_lock(staff_app, clock):
    key = auth.login_throttle_key("anna", TEST_SECRET)
    with session_scope(get_engine_for(staff_app)) as session:
        for _ in range(4):
            auth.record_login_failure(session, key, now=clock.now)
        clock.advance(minutes=16)

        assert auth.record_login_failure(session, key, now=clock.now) is None
        assert session.get(LoginThrottle, key).failures == 1


def test_throttle_key_never_contains_the_typed_username():
    key = auth.login_throttle_key("Mitt Hemliga Lösenord", TEST_SECRET)

    assert "hemliga" not in key.lower() and key.startswith("login:")
    assert key == auth.login_throttle_key("  mitt hemliga lösenord ", TEST_SECRET)
    assert key != auth.login_throttle_key("Mitt Hemliga Lösenord", "another secret")


# --------------------------------------------------------------------------- audit


@pytest.mark.parametrize(
    "detail",
    [
        {"password": "Blåbär i skogen"},  # spaces and letters outside the code alphabet
        {"comment": "x" * 201},
        {"nested": {"a": 1}},
        {"text": "line\nbreak"},
    ],
)
def test_audit_refuses_anything_that_looks_like_free_text(staff_app, detail):
    with session_scope(get_engine_for(staff_app)) as session, pytest.raises(ValueError):
        auth.record_audit(session, "login", detail=detail)


@pytest.mark.parametrize("event", ["", "Login", "login failed", "x" * 41, "lösenord"])
def test_audit_refuses_malformed_event_names(staff_app, event):
    with session_scope(get_engine_for(staff_app)) as session, pytest.raises(ValueError):
        auth.record_audit(session, event)


def test_details_from_request_data_are_recorded_without_the_text():
    detail = auth.safe_audit_detail(
        {"reason": "target_group", "target_group": "mitt lösenord", "ids": [1, 2], "ok": True}
    )

    assert detail == {
        "reason": "target_group",
        "target_group": "not_recorded",
        "ids": [1, 2],
        "ok": True,
    }


# --------------------------------------------------------------------------- over the web


def _post_login(client, username, password):
    return client.post(
        LOGIN_URL,
        data={
            "csrf_token": form_token(client, LOGIN_URL),
            "username": username,
            "password": password,
        },
    )


def _audit_rows(app):
    with session_scope(get_engine_for(app)) as session:
        return session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()


def test_wrong_password_and_unknown_user_get_the_same_answer(client, staff_user):
    account = staff_user("analyst")

    wrong = _post_login(client, account.username, "Fel lösenord här")
    unknown = _post_login(client, "finns-inte", "Fel lösenord här")

    assert wrong.status_code == unknown.status_code == 422
    message = "Användarnamnet eller lösenordet stämmer inte."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    assert "Fel lösenord här" not in wrong.get_data(as_text=True)  # never echoed back


def test_inactive_account_cannot_log_in(client, staff_user):
    account = staff_user("analyst", active=False)

    response = _post_login(client, account.username, account.password)

    assert response.status_code == 422


def _second_factor_page(client, account):
    response = _post_login(client, account.username, account.password)
    assert response.status_code == 303 and response.location.endswith(CODE_URL)
    return client.get(CODE_URL).get_data(as_text=True)


def test_wrong_totp_code_is_refused(client, staff_user, staff_app, clock):
    account = staff_user("analyst")
    page = _second_factor_page(client, account)
    wrong = auth.totp_code(account.totp_secret, auth.totp_step(clock.now) + 5)

    response = client.post(CODE_URL, data={"csrf_token": csrf_token(page), "code": wrong})

    assert response.status_code == 422
    assert "Koden stämmer inte" in response.get_data(as_text=True)
    assert client.get("/personal/").status_code == 303  # still not logged in
    rows = [row for row in _audit_rows(staff_app) if row.event == "login_failed"]
    assert rows[-1].detail == {"reason": "totp"} and rows[-1].user_id == account.id


def test_a_used_code_cannot_log_in_a_second_client(client, staff_app, staff_user, clock):
    account = staff_user("analyst")
    page = _second_factor_page(client, account)
    code = account.code()
    assert (
        client.post(CODE_URL, data={"csrf_token": csrf_token(page), "code": code}).status_code
        == 303
    )

    other = staff_app.test_client()
    page = _second_factor_page(other, account)
    response = other.post(CODE_URL, data={"csrf_token": csrf_token(page), "code": code})

    assert response.status_code == 422


def test_enrolment_shows_qr_code_and_secret_and_needs_a_confirming_code(
    client, staff_app, staff_user, clock
):
    account = staff_user("researcher", enrolled=False)
    page = _second_factor_page(client, account)

    assert 'src="data:image/svg+xml' in page
    assert 'alt="QR-kod med nyckeln för tvåstegsverifiering"' in page
    with session_scope(get_engine_for(staff_app)) as session:
        secret = session.get(StaffUser, account.id).totp_secret
    assert auth.readable_secret(secret) in page

    wrong = client.post(CODE_URL, data={"csrf_token": csrf_token(page), "code": "000000"})
    assert wrong.status_code == 422
    right = client.post(
        CODE_URL,
        data={
            "csrf_token": csrf_token(page),
            "code": auth.totp_code(secret, auth.totp_step(clock.now)),
        },
    )
    assert right.status_code == 303
    with session_scope(get_engine_for(staff_app)) as session:
        assert session.get(StaffUser, account.id).totp_confirmed
    assert {"totp_enrolled", "login"} <= {row.event for row in _audit_rows(staff_app)}

    # The next login asks for a code only: no QR code, no secret on the page.
    log_out(client)
    clock.advance(seconds=30)
    page = _second_factor_page(client, account)
    assert "data:image/svg+xml" not in page and auth.readable_secret(secret) not in page


def test_five_wrong_codes_lock_the_account_and_end_the_half_login(client, staff_user, clock):
    account = staff_user("analyst")
    page = _second_factor_page(client, account)
    statuses = []
    for _ in range(5):
        response = client.post(CODE_URL, data={"csrf_token": csrf_token(page), "code": "000000"})
        statuses.append(response.status_code)
        if response.status_code == 422:
            page = response.get_data(as_text=True)

    assert statuses == [422, 422, 422, 422, 429]
    assert client.get(CODE_URL).status_code == 303  # back to the password step
    assert _post_login(client, account.username, account.password).status_code == 429


def test_unknown_usernames_are_locked_too(client):
    statuses = [_post_login(client, "finns-inte", "Fel lösenord här").status_code for _ in range(6)]

    # The same as for an existing account, so lockout does not reveal which names exist.
    assert statuses == [422, 422, 422, 422, 429, 429]


def _second_worker(database_url):
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "CLASSIFY_ON_SUBMIT": False,
        }
    )
    staff.init_app(other)
    return other


@BOTH_DATABASES
def test_lockout_is_shared_between_workers(client, staff_user, database_url):
    """Two app instances on one database stand for two gunicorn workers."""
    account = staff_user("admin")
    other_app = _second_worker(database_url)
    try:
        other = other_app.test_client()
        first = [
            _post_login(client, account.username, "Fel lösenord 1").status_code for _ in range(3)
        ]
        second = [
            _post_login(other, account.username, "Fel lösenord 2").status_code for _ in range(2)
        ]

        assert first == [422, 422, 422]
        assert second == [422, 429]  # the 5th failure in all locks the account
        # Now even the right password is refused, by both workers.
        assert _post_login(client, account.username, account.password).status_code == 429
        assert _post_login(other, account.username, account.password).status_code == 429
    finally:
        get_engine_for(other_app).dispose()


@BOTH_DATABASES
def test_audit_log_records_logins_refusals_and_logouts_without_secrets(
    client, staff_app, staff_user, logged_in, clock
):
    account = staff_user("strategy_group", ["aldre"])
    _post_login(client, account.username, "Fel lösenord här")
    _post_login(client, "mitt-lösenord-i-fel-fält", "Fel lösenord här")
    page = _second_factor_page(client, account)
    wrong_code = auth.totp_code(account.totp_secret, auth.totp_step(clock.now) + 7)
    client.post(CODE_URL, data={"csrf_token": csrf_token(page), "code": wrong_code})
    clock.advance(seconds=30)
    logged_in(client, account)
    assert client.get("/personal/anvandare").status_code == 403
    log_out(client)

    rows = _audit_rows(staff_app)
    events = [(row.event, row.user_id, row.detail.get("reason")) for row in rows]
    assert ("login_failed", account.id, "password") in events
    assert ("login_failed", None, "unknown_user") in events
    assert ("login_failed", account.id, "totp") in events
    assert ("login", account.id, None) in events
    assert ("refused", account.id, "role") in events
    assert ("logout", account.id, None) in events
    refused = next(row for row in rows if row.event == "refused")
    assert refused.detail["path"] == "/personal/anvandare"

    everything = json.dumps(
        [[row.event, row.username, row.detail] for row in rows], ensure_ascii=False
    )
    secrets = [account.password, "Fel lösenord", "mitt-lösenord-i-fel-fält", wrong_code]
    secrets += [auth.totp_code(account.totp_secret, step) for step in account.used_steps]
    for secret in secrets:
        assert secret not in everything
    assert account.totp_secret not in everything


def test_audit_is_kept_when_the_request_fails(client, staff_app, staff_user, logged_in):
    # A refusal is a 403, whose request transaction is rolled back; the audit row stays.
    logged_in(client, staff_user("researcher"))

    assert client.get("/personal/anvandare").status_code == 403
    assert [row.event for row in _audit_rows(staff_app)][-1] == "refused"


def test_passwords_are_rehashed_at_login_when_parameters_grow(
    client, staff_app, staff_user, logged_in, monkeypatch
):
    account = staff_user("analyst")
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    monkeypatch.setattr(auth, "PASSWORD_HASHER", stronger)

    logged_in(client, account)

    with session_scope(get_engine_for(staff_app)) as session:
        stored = session.get(StaffUser, account.id).password_hash
    assert "m=16,t=2,p=1" in stored
    with pytest.raises(VerificationError):
        stronger.verify(stored, "wrong")


def test_sessions_store_only_a_hash_of_the_cookie_token(client, staff_app, staff_user, logged_in):
    logged_in(client, staff_user("analyst"))
    serializer = staff_app.session_interface.get_signing_serializer(staff_app)
    token = serializer.loads(client.get_cookie(staff_app.config["SESSION_COOKIE_NAME"]).value)[
        "staff_sid"
    ]

    with session_scope(get_engine_for(staff_app)) as session:
        ids = session.exec(select(StaffSession.id)).all()
    assert token not in ids
    assert auth.session_id_for(token) in ids
    assert len(token) >= 43  # 256 bits in base64
