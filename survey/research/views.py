"""Research pages under /personal/export: the export form (researchers and admins), the export
log (admins) and API tokens (researchers and admins)."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import DateField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from analysis.export import (
    FORMATS,
    ExportError,
    ExportFilter,
    export_session,
    iter_zip,
    prepare_export,
)
from forms.survey import error_links
from survey.db import begin_write, get_engine, get_session
from survey.definitions import SurveyDefinition
from survey.i18n import current_language
from survey.models import ExportLog, StaffUser
from survey.research import bp
from survey.research.tokens import EXPORT_ROLES, create_token, revoke_token, tokens_of
from survey.staff.access import current_staff, queue_audit, roles_required

LOG_PAGE_SIZE = 200


def format_choices() -> list[tuple[str, str]]:
    titles = {
        "csv": _l("CSV (UTF-8)"),
        "sav": _l("SPSS (.sav)"),
        "dta": _l("Stata (.dta)"),
        "jsonl": _l("JSON Lines"),
    }
    return [(fmt, titles[fmt]) for fmt in FORMATS]


class ExportForm(FlaskForm):
    survey = SelectField(_l("Enkät"), validators=[DataRequired(message=_l("Välj en enkät."))])
    format = RadioField(
        _l("Filformat"),
        choices=format_choices(),
        default="csv",
        validators=[DataRequired(message=_l("Välj ett filformat."))],
    )
    date_from = DateField(
        _l("Från och med"),
        validators=[Optional()],
        render_kw={"autocomplete": "off"},
    )
    date_to = DateField(_l("Till och med"), validators=[Optional()])

    def validate_date_to(self, field: Any) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            from wtforms.validators import ValidationError

            raise ValidationError(_l("Slutdatumet kan inte vara före startdatumet."))


class TokenForm(FlaskForm):
    name = StringField(
        _l("Namn på nyckeln"),
        validators=[
            DataRequired(message=_l("Ge nyckeln ett namn, till exempel skriptets namn.")),
            Length(max=80, message=_l("Högst 80 tecken.")),
        ],
    )


class RevokeForm(FlaskForm):
    """Only the CSRF token."""


def stream_export(
    definition: SurveyDefinition,
    filters: ExportFilter,
    fmt: str,
    *,
    channel: str,
    user: StaffUser,
) -> Response:
    """Log the export and answer with a zip (data file and codebook) made while it streams.

    Raises ExportError before anything is logged when the export cannot be made.
    """
    config = current_app.config
    stack = ExitStack()
    session = stack.enter_context(export_session(get_engine()))
    try:
        export = prepare_export(
            session=session,
            definition=definition,
            filters=filters,
            k=int(config.get("EXPORT_K", 5)),
            max_suppressed_share=float(config.get("EXPORT_MAX_SUPPRESSED_SHARE", 0.01)),
        )
    except BaseException:
        stack.close()
        raise
    db = get_session()
    begin_write(db)
    entry = export.log_entry(fmt, channel=channel, user_id=user.id, username=user.username)
    db.add(entry)
    db.flush()
    queue_audit(
        "export",
        user=user,
        detail={
            "export_log_id": entry.id,
            "survey_id": definition.id,
            "format": fmt,
            "channel": channel,
            "rows": export.rows,
        },
    )

    def generate():  # type: ignore[no-untyped-def]
        with stack:
            yield from iter_zip(export, session, fmt)

    response = Response(stream_with_context(generate()), mimetype="application/zip")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{export.file_stem()}-{fmt}.zip"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _survey_choices() -> list[tuple[str, str]]:
    language = current_language()
    return [
        (definition.id, definition.title.get(language))
        for definition in current_app.extensions["viktigt.surveys"].all()
    ]


@bp.route("/", methods=["GET", "POST"])
@roles_required(*EXPORT_ROLES)
def export_page():  # type: ignore[no-untyped-def]
    form = ExportForm()
    form.survey.choices = _survey_choices()
    context: dict[str, Any] = {"form": form, "k": current_app.config.get("EXPORT_K", 5)}
    if request.method == "GET":
        return render_template("research/export.html", error_links=[], **context)
    if not form.validate():
        links = error_links(form, form_id="export-form")
        return render_template("research/export.html", error_links=links, **context), 422
    definition = current_app.extensions["viktigt.surveys"].get(form.survey.data)
    if definition is None:
        abort(404)
    filters = ExportFilter(definition.id, form.date_from.data, form.date_to.data)
    user = current_staff()
    assert user is not None
    try:
        return stream_export(definition, filters, form.format.data, channel="web", user=user)
    except ExportError:
        form.form_errors.append(
            _(
                "Urvalet har för få svar för att kunna exporteras anonymt (minst %(k)s svar "
                "behövs). Välj en längre period.",
                k=context["k"],
            )
        )
        return render_template("research/export.html", error_links=[], **context), 422


@bp.get("/logg")
@roles_required("admin")
def export_log():  # type: ignore[no-untyped-def]
    rows = (
        get_session()
        .exec(
            select(ExportLog)
            .order_by(ExportLog.at.desc(), ExportLog.id.desc())
            .limit(LOG_PAGE_SIZE)
        )
        .all()
    )
    return render_template("research/log.html", rows=rows, limit=LOG_PAGE_SIZE)


def _tokens_page(form: TokenForm, status: int = 200, **context: Any):  # type: ignore[no-untyped-def]
    user = current_staff()
    assert user is not None and user.id is not None
    tokens = tokens_of(session=get_session(), user_id=user.id)
    links = error_links(form, form_id="token-form") if status >= 400 else []
    page = render_template(
        "research/tokens.html",
        form=form,
        revoke_form=RevokeForm(),
        tokens=tokens,
        error_links=links,
        **context,
    )
    return page, status


@bp.route("/nycklar", methods=["GET", "POST"])
@roles_required(*EXPORT_ROLES)
def tokens():  # type: ignore[no-untyped-def]
    form = TokenForm()
    if request.method == "GET":
        return _tokens_page(form, revoked=bool(request.args.get("aterkallad")))
    if not form.validate():
        return _tokens_page(form, 422)
    user = current_staff()
    assert user is not None and user.id is not None
    db = get_session()
    begin_write(db)
    row, token = create_token(session=db, user_id=user.id, name=form.name.data)
    queue_audit("api_token_created", user=user, detail={"token_id": row.id})
    # Shown on this page only: never stored, never put in a link or the session.
    return _tokens_page(TokenForm(formdata=None), new_token=token, new_token_name=row.name)


@bp.post("/nycklar/<int:token_id>/aterkalla")
@roles_required(*EXPORT_ROLES)
def revoke(token_id: int):  # type: ignore[no-untyped-def]
    if not RevokeForm().validate():
        abort(400)
    user = current_staff()
    assert user is not None and user.id is not None
    db = get_session()
    begin_write(db)
    if not revoke_token(session=db, user_id=user.id, token_id=token_id):
        abort(404)
    queue_audit("api_token_revoked", user=user, detail={"token_id": token_id})
    return redirect(url_for(".tokens", aterkallad=1), code=303)


def parse_day(value: str | None) -> date | None:
    """An ISO date from a query parameter, or None; ValueError when malformed."""
    if not value:
        return None
    return date.fromisoformat(value)
