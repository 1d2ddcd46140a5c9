"""Staff pages: login (password, then TOTP), start page, password change, user admin."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlmodel import select

from forms.survey import error_links
from survey.db import begin_write, get_session
from survey.models import StaffUser
from survey.staff import auth, bp
from survey.staff.access import (
    NEXT_KEY,
    current_staff,
    end_current_session,
    login_required,
    queue_audit,
    renew_session,
    roles_required,
    safe_next,
    security_transaction,
    staff_context,
    throttle_key,
    throttle_policy,
    visible_target_groups,
)
from survey.staff.forms import (
    CodeForm,
    LoginForm,
    LogoutForm,
    PasswordChangeForm,
    UserCreateForm,
    UserEditForm,
    role_choices,
    target_group_choices,
)


def problem_message(code: str) -> str:
    """A problem code from survey.staff.auth in the page language."""
    messages = {
        "password_too_short": _("Lösenordet måste ha minst 8 tecken."),
        "password_too_long": _("Lösenordet får ha högst 256 tecken."),
        "password_common": _(
            "Lösenordet är för vanligt och lätt att gissa. Välj ett annat, gärna några ord "
            "som hör ihop för dig."
        ),
        "password_contains_username": _("Lösenordet får inte innehålla användarnamnet."),
        "password_repetitive": _("Lösenordet har för få olika tecken."),
        "username_invalid": _(
            "Användarnamnet får ha 2–80 tecken: a–z, 0–9 och . _ @ - (inga mellanslag)."
        ),
        "username_taken": _("Det finns redan ett konto med det användarnamnet."),
        "role_missing": _("Välj minst en roll."),
        "role_unknown": _("Välj roller i listan."),
        "target_group_unknown": _("Välj målgrupper i listan."),
        "target_group_missing": _("En medlem i strategigruppen behöver minst en målgrupp."),
    }
    return messages.get(code, code)


def _field_for(code: str) -> str:
    return {"password": "password", "username": "username", "role": "roles"}.get(
        code.split("_")[0], "target_groups"
    )


@bp.app_template_global("staff_role_title")
def role_title(role: str) -> str:
    return str(dict(role_choices()).get(role, role))


@bp.app_template_global("target_group_title")
def target_group_title(group: str) -> str:
    return str(dict(target_group_choices()).get(group, group))


def _render(template: str, status: int = 200, **context: Any):  # type: ignore[no-untyped-def]
    form: FlaskForm | None = context.get("form")
    if status >= 400 and form is not None and "error_links" not in context:
        context["error_links"] = error_links(form, form_id="staff-form")
    return render_template(template, **context), status


def _after_login() -> str:
    target = safe_next(session.pop(NEXT_KEY, None))
    return target or url_for(".start")


# --------------------------------------------------------------------------- login


@bp.route("/logga-in", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    context = staff_context()
    if context.state == "active":
        return redirect(url_for(".start"), code=303)
    form = LoginForm()
    if request.method == "GET":
        target = safe_next(request.args.get("next"))
        if target:
            session[NEXT_KEY] = target
        notice = None
        if request.args.get("utloggad"):
            notice = _("Du är utloggad.")
        elif request.args.get("utgangen") or context.refused in ("idle", "expired"):
            notice = _("Du har varit inaktiv en stund och har loggats ut. Logga in igen.")
        return _render("staff/login.html", form=form, notice=notice)
    if not form.validate():
        return _render("staff/login.html", 422, form=form)

    now = auth.utcnow()
    key = throttle_key(form.username.data)
    outcome, user, reason = "failed", None, "password"
    with security_transaction() as db_session:
        user = auth.find_user(db_session, form.username.data)
        if auth.locked_until(db_session, key, now=now) is not None:
            outcome = "locked"
        else:
            password = form.password.data
            stored = user.password_hash if user is not None else None
            if auth.verify_password(stored, password) and user is not None and user.active:
                outcome = "ok"
                if auth.password_needs_rehash(user.password_hash):
                    user.password_hash = auth.hash_password(password)
                if not user.totp_secret or not user.totp_confirmed:
                    user.totp_secret = user.totp_secret or auth.new_totp_secret()
                assert user.id is not None
                renew_session(user.id, second_factor_done=False, db_session=db_session)
            else:
                if user is None:
                    reason = "unknown_user"
                elif not user.active:
                    reason = "inactive"
                if auth.record_login_failure(db_session, key, now=now, policy=throttle_policy()):
                    outcome = "locked"
    form.password.data = ""
    if outcome == "ok":
        return redirect(url_for(".second_factor"), code=303)
    if outcome == "locked":
        queue_audit("login_locked", user=user, detail={"step": "password"})
        return _render("staff/login.html", 429, form=form, locked=True, error_links=[])
    # An unknown username is not stored: it may be a password typed in the wrong field.
    queue_audit("login_failed", user=user, detail={"reason": reason})
    form.form_errors.append(_("Användarnamnet eller lösenordet stämmer inte."))
    return _render("staff/login.html", 422, form=form)


@bp.route("/kod", methods=["GET", "POST"])
def second_factor():  # type: ignore[no-untyped-def]
    context = staff_context()
    if context.state == "active":
        return redirect(url_for(".start"), code=303)
    if context.state != "second_factor" or context.user is None:
        return redirect(url_for(".login"), code=303)
    user = context.user
    enrolling = not user.totp_confirmed
    form = CodeForm()
    page: dict[str, Any] = {"form": form, "enrolling": enrolling}
    if enrolling and user.totp_secret:
        uri = auth.totp_uri(user.totp_secret, user.username)
        page["qr_code"] = auth.totp_qr_data_uri(uri)
        page["secret"] = auth.readable_secret(user.totp_secret)
    if request.method == "GET":
        return _render("staff/second_factor.html", **page)
    if not form.validate():
        return _render("staff/second_factor.html", 422, **page)

    now = auth.utcnow()
    key = throttle_key(user.username)
    outcome = "failed"
    with security_transaction() as db_session:
        fresh = db_session.get(StaffUser, user.id)
        if fresh is None or not fresh.active:
            outcome = "gone"
        elif auth.locked_until(db_session, key, now=now) is not None:
            outcome = "locked"
        elif auth.use_totp_code(db_session, fresh, form.code.data, at=now):
            outcome = "ok"
            auth.clear_login_failures(db_session, key)
            fresh.totp_confirmed = True
            fresh.last_login_at = now
            assert fresh.id is not None
            renew_session(fresh.id, second_factor_done=True, db_session=db_session)
        elif auth.record_login_failure(db_session, key, now=now, policy=throttle_policy()):
            outcome = "locked"
        if outcome in ("locked", "gone"):
            end_current_session(db_session)
    form.code.data = ""
    if outcome == "ok":
        if enrolling:
            queue_audit("totp_enrolled", user=user)
        queue_audit("login", user=user, detail={"second_factor": "totp"})
        return redirect(_after_login(), code=303)
    if outcome == "gone":
        return redirect(url_for(".login"), code=303)
    if outcome == "locked":
        queue_audit("login_locked", user=user, detail={"step": "totp"})
        return _render(
            "staff/login.html", 429, form=LoginForm(formdata=None), locked=True, error_links=[]
        )
    queue_audit("login_failed", user=user, detail={"reason": "totp"})
    form.code.errors = [_("Koden stämmer inte. Skriv den kod som appen visar nu, utan mellanslag.")]
    return _render("staff/second_factor.html", 422, **page)


@bp.post("/logga-ut")
def logout():  # type: ignore[no-untyped-def]
    if not LogoutForm().validate():  # CSRFProtect checks too; this keeps it if that changes
        abort(400)
    context = staff_context()
    with security_transaction() as db_session:
        end_current_session(db_session)
    if context.user is not None:
        queue_audit("logout", user=context.user)
    return redirect(url_for(".login", utloggad=1), code=303)


# --------------------------------------------------------------------------- pages


@bp.get("/")
@login_required
def start():  # type: ignore[no-untyped-def]
    user = current_staff()
    return render_template(
        "staff/start.html",
        user=user,
        groups=visible_target_groups(user),
        surveys=current_app.extensions["viktigt.surveys"].all(),
    )


@bp.route("/losenord", methods=["GET", "POST"])
@login_required
def change_password():  # type: ignore[no-untyped-def]
    user = current_staff()
    assert user is not None and user.id is not None
    form = PasswordChangeForm()
    if request.method == "GET":
        return _render("staff/password.html", form=form, changed=bool(request.args.get("bytt")))
    if not form.validate():
        return _render("staff/password.html", 422, form=form)
    now = auth.utcnow()
    key = throttle_key(user.username)
    outcome = "ok"
    with security_transaction() as db_session:
        fresh = db_session.get(StaffUser, user.id)
        assert fresh is not None
        if auth.locked_until(db_session, key, now=now) is not None:
            outcome = "locked"
        elif not auth.verify_password(fresh.password_hash, form.current.data):
            outcome = "wrong"
            if auth.record_login_failure(db_session, key, now=now, policy=throttle_policy()):
                outcome = "locked"
        else:
            try:
                auth.set_password(fresh, form.new.data)
            except auth.AccountError as error:
                outcome = "weak"
                form.new.errors = [problem_message(code) for code in error.problems]
            else:
                # Everyone else logged in as this user is logged out (ASVS 3.3.3).
                auth.end_user_sessions(
                    db_session, fresh.id, now=now, keep_token=session.get("staff_sid")
                )
        if outcome == "locked":
            end_current_session(db_session)
    for field in (form.current, form.new, form.repeat):
        field.data = ""
    if outcome == "ok":
        queue_audit("password_changed", user=user, detail={"by": "self"})
        return redirect(url_for(".change_password", bytt=1), code=303)
    if outcome == "locked":
        queue_audit("login_locked", user=user, detail={"step": "password_change"})
        return redirect(url_for(".login"), code=303)
    if outcome == "wrong":
        queue_audit("login_failed", user=user, detail={"reason": "password_change"})
        form.current.errors = [_("Det nuvarande lösenordet stämmer inte.")]
    return _render("staff/password.html", 422, form=form)


# --------------------------------------------------------------------------- user admin


def _attach_problems(
    form: FlaskForm, problems: list[str], *, password_field: str = "password"
) -> None:
    for code in problems:
        name = _field_for(code)
        name = password_field if name == "password" else name
        if name in form:
            form[name].errors = [*form[name].errors, problem_message(code)]
        else:
            form.form_errors.append(problem_message(code))


def _users_page(form: UserCreateForm, status: int = 200, **context: Any):  # type: ignore[no-untyped-def]
    users = get_session().exec(select(StaffUser).order_by(StaffUser.username)).all()
    return _render("staff/users.html", status, form=form, users=users, **context)


@bp.route("/anvandare", methods=["GET", "POST"])
@roles_required("admin")
def users():  # type: ignore[no-untyped-def]
    form = UserCreateForm()
    if request.method == "GET":
        created = request.args.get("skapad", type=int)
        return _users_page(form, created=created)
    db_session = get_session()
    begin_write(db_session)
    if not form.validate():
        _attach_problems(
            form, auth.access_problems(form.roles.data or [], form.target_groups.data or [])
        )
        form.password.data = form.repeat.data = ""
        return _users_page(form, 422)
    admin = current_staff()
    assert admin is not None
    try:
        user = auth.create_user(
            session=db_session,
            username=form.username.data,
            password=form.password.data,
            roles=form.roles.data or [],
            target_groups=form.target_groups.data or [],
        )
    except auth.AccountError as error:
        _attach_problems(form, error.problems)
        form.password.data = form.repeat.data = ""
        return _users_page(form, 422)
    auth.record_audit(
        db_session,
        "user_created",
        user_id=admin.id,
        username=admin.username,
        detail={
            "target_user_id": user.id,
            "roles": user.roles,
            "target_groups": user.target_groups,
        },
    )
    return redirect(url_for(".users", skapad=user.id), code=303)


@bp.route("/anvandare/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def user_edit(user_id: int):  # type: ignore[no-untyped-def]
    db_session = get_session()
    if request.method == "POST":
        begin_write(db_session)
    target = db_session.get(StaffUser, user_id)
    if target is None:
        abort(404)
    if request.method == "GET":
        form = UserEditForm(
            formdata=None,
            data={
                "roles": target.roles,
                "target_groups": target.target_groups,
                "active": target.active,
            },
        )
        return _render(
            "staff/user_edit.html", form=form, target=target, saved=bool(request.args.get("sparad"))
        )
    form = UserEditForm()
    if not form.validate():
        form.new_password.data = ""
        return _render("staff/user_edit.html", 422, form=form, target=target)
    admin = current_staff()
    assert admin is not None
    roles, groups = form.roles.data or [], form.target_groups.data or []
    problems: list[str] = []
    if target.id == admin.id and ("admin" not in roles or not form.active.data):
        form.form_errors.append(
            _("Du kan inte ta bort din egen administratörsroll eller stänga av ditt eget konto.")
        )
    try:
        auth.set_access(target, roles=roles, target_groups=groups)
        if form.new_password.data:
            auth.set_password(target, form.new_password.data)
    except auth.AccountError as error:
        problems = error.problems
    if problems or form.form_errors:
        _attach_problems(form, problems, password_field="new_password")
        form.new_password.data = ""
        return _render("staff/user_edit.html", 422, form=form, target=target)
    target.active = bool(form.active.data)
    if form.reset_totp.data:
        target.totp_secret = None
        target.totp_confirmed = False
    if not target.active or form.new_password.data or form.reset_totp.data:
        assert target.id is not None
        auth.end_user_sessions(db_session, target.id, now=auth.utcnow())
    auth.record_audit(
        db_session,
        "user_updated",
        user_id=admin.id,
        username=admin.username,
        detail={
            "target_user_id": target.id,
            "roles": target.roles,
            "target_groups": target.target_groups,
            "active": target.active,
            "password_reset": bool(form.new_password.data),
            "totp_reset": bool(form.reset_totp.data),
        },
    )
    return redirect(url_for(".user_edit", user_id=target.id, sparad=1), code=303)
