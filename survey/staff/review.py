"""Review of codes (analysts) and entry of paper questionnaires."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from analysis.labels import DIMENSIONS, LABEL_TITLES
from forms.survey import new_submission_id, survey_form_class
from survey.db import begin_write, get_session
from survey.i18n import current_language
from survey.models import Classification, Response
from survey.operations import (
    SubmitOutcome,
    answers_for_review,
    effective_labels,
    record_review,
    reviews_of,
    submit_response,
)
from survey.staff import bp
from survey.staff.access import current_staff, ensure_may_see_answer, queue_audit, roles_required

REVIEW_ROLES = ("analyst", "admin")
PAPER_ROLES = ("analyst", "admin")
PAGE_SIZE = 25


def _shown_text(response: Response) -> str:
    """What staff may read: the stored redacted text (redacted now for older rows)."""
    if response.redacted_text is not None:
        return response.redacted_text
    from analysis.redaction import redact

    return redact(response.free_text or "")[0]


def _classifier():  # type: ignore[no-untyped-def]
    return current_app.extensions["viktigt.classifier"].get()


class ReviewForm(FlaskForm):
    """One checkbox list per dimension; built per request with the dimension's labels."""


def _review_form(language: str, current: dict[str, list[str]]) -> FlaskForm:
    fields = {
        dimension.replace("-", "_"): SelectMultipleField(
            dimension,
            choices=[(label, LABEL_TITLES[label][language]) for label in labels],
            default=current.get(dimension, []),
            widget=ListWidget(prefix_label=False),
            option_widget=CheckboxInput(),
        )
        for dimension, labels in DIMENSIONS.items()
    }
    return type("ReviewFormBound", (ReviewForm,), fields)()


@bp.get("/granska")
@roles_required(*REVIEW_ROLES)
def review_list():  # type: ignore[no-untyped-def]
    page = max(1, request.args.get("sida", 1, type=int))
    only_uncertain = request.args.get("alla") != "1"
    survey_id = request.args.get("survey") or None
    rows = answers_for_review(
        session=get_session(),
        survey_id=survey_id,
        only_uncertain=only_uncertain,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE + 1,
    )
    items = [
        {"response": response, "coding": coding, "text": _shown_text(response)}
        for response, coding in rows[:PAGE_SIZE]
    ]
    return render_template(
        "staff/review_list.html",
        items=items,
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        only_uncertain=only_uncertain,
        survey_id=survey_id,
    )


@bp.route("/granska/<int:response_id>", methods=["GET", "POST"])
@roles_required(*REVIEW_ROLES)
def review_answer(response_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    if request.method == "POST":
        begin_write(session)  # before the first read, so SQLite takes the write lock at BEGIN
    response = session.get(Response, response_id)
    if response is None or not response.has_free_text:
        abort(404)
    current = effective_labels(session=session, response_id=response_id)
    user = current_staff()
    ensure_may_see_answer(
        user, [label for labels in current.values() for label in labels], response_id=response_id
    )
    language = current_language()
    form = _review_form(language, current)
    if request.method == "POST" and form.validate():
        changed = []
        for dimension in DIMENSIONS:
            chosen = form[dimension.replace("-", "_")].data or []
            record_review(
                session=session,
                response_id=response_id,
                dimension=dimension,
                labels=chosen,
                reviewer_id=user.id if user else None,
            )
            if sorted(chosen) != sorted(current.get(dimension, [])):
                changed.append(dimension)
        queue_audit("review", user=user, detail={"response_id": response_id, "changed": changed})
        flash(_("Koderna är sparade."))
        return redirect(url_for("staff.review_list"), code=303)
    redacted = _shown_text(response)
    coding = session.get(Classification, response_id)
    classifier = _classifier()
    explanation = classifier.explain(redacted) if classifier is not None else {}
    return render_template(
        "staff/review_answer.html",
        response=response,
        text=redacted,
        coding=coding,
        reviews=reviews_of(session=session, response_id=response_id),
        explanation=explanation,
        form=form,
        dimensions=DIMENSIONS,
        titles={label: titles[language] for label, titles in LABEL_TITLES.items()},
    )


@bp.route("/papper/<survey_id>", methods=["GET", "POST"])
@roles_required(*PAPER_ROLES)
def paper_entry(survey_id: str):  # type: ignore[no-untyped-def]
    """Type in a paper questionnaire with the respondents' own form; stored as mode=paper."""
    definition = current_app.extensions["viktigt.surveys"].get(survey_id)
    if definition is None:
        abort(404)
    form_class = survey_form_class(definition, current_language())
    if request.method == "GET":
        form = form_class(formdata=None, submission_id=new_submission_id())
        return render_template("staff/paper.html", form=form, survey=definition, error_links=[])
    form = form_class()
    if not form.validate():
        status = 400 if form.csrf_failed() else 422
        return (
            render_template(
                "staff/paper.html",
                form=form,
                survey=definition,
                error_links=form.error_links(),
            ),
            status,
        )
    from survey.classification import prepare_text

    draft = form.to_draft(mode="paper")
    prepared = prepare_text(draft.free_text)
    session = get_session()
    begin_write(session)
    outcome = submit_response(
        session=session,
        draft=draft,
        submission_id=form.submission_id.data,
        redacted_text=prepared.redacted,
        after_store=prepared.after_store(),
    )
    if outcome is SubmitOutcome.STORED:
        queue_audit("paper_entry", user=current_staff(), detail={"survey_id": survey_id})
        flash(_("Pappersenkäten är sparad. Här är ett tomt formulär för nästa."))
    else:
        flash(_("Den här pappersenkäten var redan sparad."))
    return redirect(url_for("staff.paper_entry", survey_id=survey_id), code=303)
