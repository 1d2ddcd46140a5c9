"""Thin views: parse the request, call survey.operations, render."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_wtf.csrf import generate_csrf

from forms.misc import BarrierReportForm
from forms.survey import SurveyForm, error_links, new_submission_id, survey_form_class
from survey.classification import prepare_text
from survey.db import begin_write, get_session
from survey.definitions import SurveyDefinition
from survey.i18n import current_language, set_language
from survey.operations import SubmitOutcome, report_barrier, submit_response
from survey.respondent import bp


def _today():
    return datetime.now(UTC).date()


def _definition_or_404(survey_id: str) -> SurveyDefinition:
    definition = current_app.extensions["viktigt.surveys"].get(survey_id)
    if definition is None:
        abort(404)
    return definition


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    surveys = current_app.extensions["viktigt.surveys"].all()
    return render_template("respondent/index.html", surveys=surveys, today=_today())


@bp.get("/<survey_id>/")
def information(survey_id: str):  # type: ignore[no-untyped-def]
    definition = _definition_or_404(survey_id)
    return render_template(
        "respondent/information.html", survey=definition, is_open=definition.is_open(_today())
    )


def _render_form(form: SurveyForm, status: int = 200, notice: str | None = None):  # type: ignore[no-untyped-def]
    return (
        render_template(
            "respondent/questionnaire.html",
            form=form,
            survey=form.definition,
            notice=notice,
            error_links=form.error_links() if status >= 400 else [],
        ),
        status,
    )


_TOKEN_SLOT = "\x00csrf\x00"
_SUBMISSION_SLOT = "\x00submission\x00"


def _blank_questionnaire(definition: SurveyDefinition) -> str:
    """The empty questionnaire. Its HTML is the same for everyone but for the CSRF token and
    the submission id, so it is rendered once per survey, language and state and the two are
    filled in per request (rendering ~50 radio buttons was most of a submit's CPU time)."""
    language = current_language()
    is_open = definition.is_open(_today())
    cache: dict = current_app.extensions.setdefault("viktigt.blank_pages", {})
    key = (definition.id, language, is_open)
    token = generate_csrf()
    submission_id = new_submission_id()
    cached = cache.get(key)
    if cached is None or cached[0] != definition:
        form = survey_form_class(definition, language)(formdata=None, submission_id=submission_id)
        notice = None if is_open else _("Enkäten är stängd och tar inte emot svar.")
        html, _status = _render_form(form, 200, notice=notice)
        cached = (
            definition,
            html.replace(token, _TOKEN_SLOT).replace(submission_id, _SUBMISSION_SLOT),
        )
        cache[key] = cached
    return cached[1].replace(_TOKEN_SLOT, token).replace(_SUBMISSION_SLOT, submission_id)


@bp.route("/<survey_id>/svar", methods=["GET", "POST"])
def questionnaire(survey_id: str):  # type: ignore[no-untyped-def]
    definition = _definition_or_404(survey_id)
    if request.method == "GET":
        return _blank_questionnaire(definition)

    switch_to = request.form.get("switch_language")
    if switch_to in current_app.config["LANGUAGES"] and switch_to != current_language():
        set_language(switch_to)
        refresh()
    form = survey_form_class(definition, current_language())()
    if switch_to:
        # Only the language changed: show the same answers again, without error messages.
        return _render_form(form)
    if not definition.is_open(_today()):
        notice = _(
            "Enkäten har stängt, så vi kan inte ta emot ditt svar. Det du skrev står kvar "
            "nedan om du vill spara det."
        )
        return _render_form(form, 410, notice=notice)
    if not form.validate():
        if form.csrf_failed():
            notice = _(
                "Sidan har varit öppen länge, så vi behöver att du skickar igen. "
                "Dina svar finns kvar. Kontrollera dem och tryck på Skicka."
            )
            return _render_form(form, 400, notice=notice)
        return _render_form(form, 422)

    draft = form.to_draft()
    prepared = prepare_text(draft.free_text)  # redact and classify before the write lock
    session = get_session()
    begin_write(session)
    outcome = submit_response(
        session=session,
        draft=draft,
        submission_id=form.submission_id.data,
        today=_today(),
        redacted_text=prepared.redacted,
        after_store=prepared.after_store(),
    )
    if outcome is SubmitOutcome.CONFLICT:
        form.submission_id.data = new_submission_id()
        notice = _(
            "Du har redan skickat det här formuläret, och det svaret är sparat. Ändringarna "
            "nedan är inte sparade. Vill du skicka dem som ett nytt svar, tryck på Skicka igen."
        )
        return _render_form(form, 409, notice=notice)
    return redirect(url_for(".thanks", survey_id=definition.id), code=303)


@bp.get("/<survey_id>/tack")
def thanks(survey_id: str):  # type: ignore[no-untyped-def]
    return render_template("respondent/thanks.html", survey=_definition_or_404(survey_id))


def _safe_next(target: str | None) -> str:
    """Only paths on this site; anything else goes to the start page."""
    if not target:
        return url_for(".index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for(".index")
    return target


@bp.get("/sprak/<language>")
def choose_language(language: str):  # type: ignore[no-untyped-def]
    set_language(language)
    return redirect(_safe_next(request.args.get("next")), code=303)


@bp.route("/tillganglighet", methods=["GET", "POST"])
def accessibility():  # type: ignore[no-untyped-def]
    form = BarrierReportForm()
    if request.method == "POST":
        if form.validate():
            session = get_session()
            begin_write(session)
            report_barrier(
                session=session,
                description=form.description.data,
                page=form.page.data or None,
                contact=form.contact.data or None,
                today=_today(),
            )
            return redirect(url_for(".accessibility", tack=1) + "#rapport", code=303)
        status = 400 if form.csrf_token.errors else 422
        links = error_links(form, form_id="report-form")
        return (
            render_template("respondent/accessibility.html", form=form, error_links=links),
            status,
        )
    form.page.data = form.page.data or request.args.get("sida", "")
    return render_template(
        "respondent/accessibility.html", form=form, reported=request.args.get("tack") == "1"
    )
