"""``viktigt create-user``: the first admin from the command line."""

from __future__ import annotations

import pytest
from sqlmodel import select

from survey.db import get_engine_for, session_scope
from survey.models import AuditEvent
from survey.staff import auth
from tests.conftest import BOTH_DATABASES
from tests.survey.staff.conftest import StaffAccount

PASSWORD = "Tre röda äpplen"


@pytest.fixture
def create_user(staff_app, fast_password_hashing):
    runner = staff_app.test_cli_runner()

    def run(*args: str, input: str | None = None):  # noqa: A002
        return runner.invoke(args=["create-user", *args], input=input)

    return run


def _user(app, username):
    with session_scope(get_engine_for(app)) as session:
        return auth.find_user(session, username)


@BOTH_DATABASES
def test_creates_the_first_admin_from_stdin(staff_app, create_user):
    result = create_user("Anna", "--role", "admin", "--password-stdin", input=PASSWORD + "\n")

    assert result.exit_code == 0, result.output
    assert "Created anna (admin)" in result.output
    user = _user(staff_app, "anna")
    assert user.roles == ["admin"] and user.target_groups == []
    assert user.password_hash.startswith("$argon2id$")
    assert auth.verify_password(user.password_hash, PASSWORD)
    assert user.totp_secret is None and not user.totp_confirmed  # set up at first login
    with session_scope(get_engine_for(staff_app)) as session:
        event = session.exec(select(AuditEvent)).one()
    assert event.event == "user_created" and event.detail["by"] == "command_line"
    assert PASSWORD not in str(event.detail)


def test_prompts_for_the_password_twice(staff_app, create_user):
    result = create_user("bo", "--role", "analyst", input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input
    assert result.output.count("Password for bo") == 1
    assert "Repeat for confirmation" in result.output
    assert _user(staff_app, "bo").roles == ["analyst"]


def test_refuses_two_different_passwords(staff_app, create_user):
    result = create_user("bo", "--role", "analyst", input=f"{PASSWORD}\nnågot annat\n")

    assert result.exit_code != 0
    assert "do not match" in result.output
    assert _user(staff_app, "bo") is None


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("kort123", "at least 8 characters"),
        ("password123", "too common"),
        ("Sommar2026!", "too common"),
        ("carl-johan99", "must not contain the username"),
    ],
)
def test_refuses_weak_passwords_with_a_clear_message(staff_app, create_user, password, message):
    stdin = create_user("carl-johan", "--role", "admin", "--password-stdin", input=password)
    prompted = create_user("carl-johan", "--role", "admin", input=f"{password}\n{password}\n")

    for result in (stdin, prompted):
        assert result.exit_code == 1
        assert message in result.output
        assert "The account was not created" in result.output
    assert _user(staff_app, "carl-johan") is None


def test_strategy_group_member_with_target_groups(staff_app, create_user):
    result = create_user(
        "stina",
        "--role",
        "strategy_group",
        "--target-group",
        "aldre",
        "--target-group",
        "barn_unga",
        "--password-stdin",
        input=PASSWORD,
    )

    assert result.exit_code == 0, result.output
    user = _user(staff_app, "stina")
    assert user.target_groups == ["barn_unga", "aldre"]
    assert auth.visible_target_groups(user) == ("barn_unga", "aldre")


def test_strategy_group_needs_a_target_group_before_any_password_is_asked(create_user):
    result = create_user("stina", "--role", "strategy_group")

    assert result.exit_code == 1
    assert "needs at least one --target-group" in result.output
    assert "Password" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ("x", "--role", "superuser"),
        ("x", "--role", "analyst", "--target-group", "alla"),
        ("x",),  # no role
    ],
)
def test_refuses_unknown_roles_and_groups(create_user, args):
    result = create_user(*args, "--password-stdin", input=PASSWORD)

    assert result.exit_code == 2  # usage error, nothing created
    assert "Error" in result.output


def test_refuses_an_existing_or_malformed_username(staff_app, create_user):
    assert create_user("anna", "--role", "admin", "--password-stdin", input=PASSWORD).exit_code == 0

    again = create_user("ANNA", "--role", "analyst", "--password-stdin", input=PASSWORD)
    spaced = create_user("anna b", "--role", "analyst", "--password-stdin", input=PASSWORD)

    assert again.exit_code == 1 and "already an account" in again.output
    assert spaced.exit_code == 1 and "no spaces" in spaced.output
    assert _user(staff_app, "anna").roles == ["admin"]


def test_the_created_admin_can_log_in_and_manage_users(staff_app, client, create_user, logged_in):
    create_user("anna", "--role", "admin", "--password-stdin", input=PASSWORD)
    user = _user(staff_app, "anna")
    account = StaffAccount(user.id, "anna", PASSWORD, ("admin",), ())

    logged_in(client, account)  # enrols the authenticator app on the way

    assert client.get("/personal/anvandare").status_code == 200
