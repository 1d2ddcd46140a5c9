"""The respondent's form, built from a survey definition in one language.

Every question is optional. Validation never drops what the respondent typed: a form with
errors is rendered again from the submitted data.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from survey.definitions import SurveyDefinition
from survey.operations import NO_OPINION, ResponseDraft

# Characters nobody can type in a browser; PostgreSQL cannot store NUL at all.
_INVISIBLE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

INVALID_CHOICE = _l("Välj ett av alternativen i listan.")


def drop_control_characters(value: str | None) -> str | None:
    return _INVISIBLE_CONTROL.sub("", value) if value else value


def new_submission_id() -> str:
    return str(uuid.uuid4())


class ChoiceField(RadioField):
    """A radio group whose tampered values get a plain-language message."""

    def pre_validate(self, form: Any) -> None:
        if self.data is not None and self.data not in {value for value, _label in self.choices}:
            raise ValidationError(INVALID_CHOICE)


class OptionalSelectField(SelectField):
    def pre_validate(self, form: Any) -> None:
        if self.data and self.data not in {value for value, _label in self.choices}:
            raise ValidationError(INVALID_CHOICE)


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        allowed = {value for value, _label in self.choices}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(INVALID_CHOICE)


@dataclass(frozen=True)
class ErrorLink:
    """One line in the error summary: the message and the id of the input it is about."""

    target: str
    message: str


def error_links(form: FlaskForm, form_id: str) -> list[ErrorLink]:
    """A form's errors in page order, each pointing at the input to fix."""
    links = [ErrorLink(form_id, str(message)) for message in form.form_errors]
    for field in form:
        if field.name == "csrf_token" or not field.errors:
            continue
        target = field.id if field.name != "submission_id" else form_id
        if isinstance(field, RadioField | CheckboxesField):
            target = f"{field.id}-0"
        # Name the question: "Choose one of the options" twice would not say which.
        question = field.label.text if field.name != "submission_id" else ""
        links.extend(
            ErrorLink(target, f"{question}: {message}" if question else str(message))
            for message in field.errors
        )
    return links


class SurveyForm(FlaskForm):
    """Base class; :func:`survey_form_class` adds one field per question."""

    definition: SurveyDefinition
    language: str
    submission_id = HiddenField()

    def likert_fields(self) -> Iterator[tuple[Any, Field]]:
        for statement in self.definition.statements:
            yield statement, self[likert_field_name(statement.id)]

    def validate_submission_id(self, field: Field) -> None:
        if not _UUID.match(field.data or ""):
            # A mangled id is not the respondent's fault: give the form a fresh one.
            field.data = new_submission_id()
            raise ValidationError(
                _l("Formuläret var ofullständigt. Kontrollera svaren och skicka igen.")
            )

    def validate_services(self, field: Field) -> None:
        chosen = set(field.data or [])
        exclusive = set(self.definition.questions.services.exclusive) & chosen
        if exclusive and len(chosen) > 1:
            raise ValidationError(
                _l("Du kan inte välja ”Inget av dessa” tillsammans med något annat.")
            )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        if valid and self.to_draft().is_empty():
            self.form_errors.append(_l("Svara på minst en fråga innan du skickar."))
            return False
        return valid

    def csrf_failed(self) -> bool:
        return bool(getattr(self, "csrf_token", None) and self.csrf_token.errors)

    def error_links(self) -> list[ErrorLink]:
        return error_links(self, form_id="survey-form")

    def to_draft(self, mode: str = "web") -> ResponseDraft:
        definition = self.definition
        likert: dict[str, int | None] = {}
        for statement, field in self.likert_fields():
            if field.data == NO_OPINION:
                likert[statement.id] = None
            elif field.data:
                likert[statement.id] = int(field.data)
        on_behalf = self["on_behalf"].data
        return ResponseDraft(
            survey_id=definition.id,
            language=self.language,
            mode=mode,
            likert=likert,
            free_text=(self["free_text"].data or "").strip() or None,
            on_behalf_of_other=None if not on_behalf else on_behalf == "nagon-annan",
            age_group=self["age_group"].data or None,
            municipality=self["municipality"].data or None,
            gender=self["gender"].data or None,
            services=tuple(sorted(self["services"].data or ())),
            statement_ids=tuple(statement.id for statement in definition.statements),
        )


def likert_field_name(statement_id: str) -> str:
    return "likert_" + statement_id.replace("-", "_")


def _choices(question: Any, language: str) -> list[tuple[str, str]]:
    return [(choice.value, choice.label.get(language)) for choice in question.choices]


@lru_cache(maxsize=64)
def survey_form_class(definition: SurveyDefinition, language: str) -> type[SurveyForm]:
    """A form class for one survey in one language (cached: definitions are immutable)."""
    questions = definition.questions
    scale = definition.scale
    likert_choices = [(str(step.value), step.label.get(language)) for step in scale.steps]
    likert_choices.append((NO_OPINION, scale.no_opinion.get(language)))
    too_long = _l(
        "Texten är för lång: högst %(max)s tecken. Korta den lite och skicka igen.",
        max=f"{questions.free_text.max_chars:,}".replace(",", "\u00a0"),
    )
    attributes: dict[str, Any] = {"definition": definition, "language": language}
    for statement in definition.statements:
        attributes[likert_field_name(statement.id)] = ChoiceField(
            statement.text.get(language), choices=likert_choices, validate_choice=False
        )
    attributes["free_text"] = TextAreaField(
        questions.free_text.text.get(language),
        filters=[drop_control_characters],
        validators=[Length(max=questions.free_text.max_chars, message=too_long)],
    )
    attributes["on_behalf"] = ChoiceField(
        questions.on_behalf.text.get(language),
        choices=_choices(questions.on_behalf, language),
        validate_choice=False,
    )
    attributes["age_group"] = ChoiceField(
        questions.age_group.text.get(language),
        choices=_choices(questions.age_group, language),
        validate_choice=False,
    )
    pick = _l("Välj kommun")
    attributes["municipality"] = OptionalSelectField(
        questions.municipality.text.get(language),
        choices=[("", pick), *_choices(questions.municipality, language)],
        validate_choice=False,
    )
    attributes["gender"] = ChoiceField(
        questions.gender.text.get(language),
        choices=_choices(questions.gender, language),
        validate_choice=False,
    )
    attributes["services"] = CheckboxesField(
        questions.services.text.get(language),
        choices=_choices(questions.services, language),
        validate_choice=False,
    )
    return type(f"SurveyForm_{definition.id}_{language}", (SurveyForm,), attributes)
