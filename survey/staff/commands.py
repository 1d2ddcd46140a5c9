"""``viktigt create-user``: staff accounts from the command line (the first admin, above all)."""

from __future__ import annotations

import sys
from typing import NoReturn

import click
from flask.cli import with_appcontext

from survey.db import begin_write, get_engine, session_scope
from survey.staff import auth

PROBLEMS = {
    "password_too_short": f"the password must have at least {auth.MIN_PASSWORD_LENGTH} characters",
    "password_too_long": f"the password may have at most {auth.MAX_PASSWORD_LENGTH} characters",
    "password_common": "the password is too common and easy to guess (several words are better)",
    "password_contains_username": "the password must not contain the username",
    "password_repetitive": "the password has too few different characters",
    "username_invalid": "usernames have 2-80 characters: a-z, 0-9 and . _ @ - (no spaces)",
    "username_taken": "there is already an account with that username",
    "role_missing": "give at least one --role",
    "role_unknown": f"roles are: {', '.join(auth.ROLES)}",
    "target_group_unknown": f"target groups are: {', '.join(auth.TARGET_GROUPS)}",
    "target_group_missing": "a strategy_group member needs at least one --target-group",
}


def _fail(problems: list[str]) -> NoReturn:
    lines = "\n".join(f"  - {PROBLEMS.get(code, code)}" for code in problems)
    raise click.ClickException(f"The account was not created:\n{lines}")


@click.command("create-user")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(auth.ROLES),
    help="Repeat for several roles.",
)
@click.option(
    "--target-group",
    "target_groups",
    multiple=True,
    type=click.Choice(auth.TARGET_GROUPS),
    help="For strategy_group: whose answers the member reads. Repeat for several.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of prompting.",
)
@with_appcontext
def create_user(
    username: str, roles: tuple[str, ...], target_groups: tuple[str, ...], password_stdin: bool
) -> None:
    """Create a staff account; the password is prompted for twice (hidden).

    Example: viktigt create-user anna --role admin

    The second factor (an app for one-time codes) is set up at the first login.
    """
    # Check what can be checked before asking for a password.
    early = auth.access_problems(roles, target_groups)
    name = auth.canonical_username(username)
    if not auth.USERNAME_PATTERN.match(name):
        early.insert(0, "username_invalid")
    if early:
        _fail(early)

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        while True:
            password = click.prompt(
                f"Password for {name}", hide_input=True, confirmation_prompt=True
            )
            problems = auth.password_problems(password, username=name)
            if not problems:
                break
            for code in problems:
                click.echo(f"Refused: {PROBLEMS.get(code, code)}.", err=True)
            if not sys.stdin.isatty():
                _fail(problems)

    with session_scope(get_engine()) as session:
        begin_write(session)
        try:
            user = auth.create_user(
                session=session,
                username=name,
                password=password,
                roles=roles,
                target_groups=target_groups,
            )
        except auth.AccountError as error:
            _fail(error.problems)
        auth.record_audit(
            session,
            "user_created",
            detail={
                "by": "command_line",
                "target_user_id": user.id,
                "roles": user.roles,
                "target_groups": user.target_groups,
            },
        )
    groups = f" for {', '.join(user.target_groups)}" if user.target_groups else ""
    click.echo(
        f"Created {user.username} ({', '.join(user.roles)}{groups}). At the first login at "
        "/personal/logga-in they connect an app for one-time codes (TOTP)."
    )


def register(group: click.Group) -> None:
    group.add_command(create_user)
