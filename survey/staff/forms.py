"""Forms of the staff pages. Passwords are never stripped or filtered: every character counts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.validators import Optional as OptionalValue

from forms.survey import CheckboxesField, drop_control_characters
from survey.staff.auth import MAX_USERNAME_LENGTH, ROLES, TARGET_GROUPS


def _strip(value: str | None) -> str | None:
    return drop_control_characters(value.strip()) if isinstance(value, str) else value


def role_choices() -> list[tuple[str, str]]:
    titles = {
        "admin": _l("Administratör"),
        "strategy_group": _l("Strategigrupp"),
        "analyst": _l("Analytiker"),
        "researcher": _l("Forskare"),
    }
    return [(role, titles[role]) for role in ROLES]


def target_group_choices() -> list[tuple[str, str]]:
    titles = {
        "barn_unga": _l("Barn och unga"),
        "psykiatri_missbruk": _l("Psykiatri och missbruk"),
        "aldre": _l("Äldre"),
    }
    return [(group, titles.get(group, group)) for group in TARGET_GROUPS]


class LoginForm(FlaskForm):
    username = StringField(
        _l("Användarnamn"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Skriv ditt användarnamn.")),
            Length(max=MAX_USERNAME_LENGTH, message=_l("Högst 80 tecken.")),
        ],
    )
    password = PasswordField(
        _l("Lösenord"), validators=[DataRequired(message=_l("Skriv ditt lösenord."))]
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("Sexsiffrig kod från appen"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Skriv koden från appen."))],
    )


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out is a POST from a form on this site."""


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        _l("Nuvarande lösenord"),
        validators=[DataRequired(message=_l("Skriv ditt nuvarande lösenord."))],
    )
    new = PasswordField(
        _l("Nytt lösenord"), validators=[DataRequired(message=_l("Skriv ett nytt lösenord."))]
    )
    repeat = PasswordField(
        _l("Nytt lösenord igen"),
        validators=[EqualTo("new", message=_l("Lösenorden är inte lika."))],
    )


class UserCreateForm(FlaskForm):
    username = StringField(
        _l("Användarnamn"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Skriv ett användarnamn.")),
            Length(max=MAX_USERNAME_LENGTH, message=_l("Högst 80 tecken.")),
        ],
    )
    password = PasswordField(
        _l("Första lösenord"), validators=[DataRequired(message=_l("Skriv ett lösenord."))]
    )
    repeat = PasswordField(
        _l("Första lösenord igen"),
        validators=[EqualTo("password", message=_l("Lösenorden är inte lika."))],
    )
    roles = CheckboxesField(_l("Roller"), choices=role_choices())
    target_groups = CheckboxesField(
        _l("Målgrupper (för strategigrupp)"), choices=target_group_choices()
    )


class UserEditForm(FlaskForm):
    roles = CheckboxesField(_l("Roller"), choices=role_choices())
    target_groups = CheckboxesField(
        _l("Målgrupper (för strategigrupp)"), choices=target_group_choices()
    )
    active = BooleanField(_l("Kontot är aktivt"))
    new_password = PasswordField(_l("Nytt lösenord (frivilligt)"), validators=[OptionalValue()])
    reset_totp = BooleanField(_l("Nollställ tvåstegsverifieringen (ny app vid nästa inloggning)"))
