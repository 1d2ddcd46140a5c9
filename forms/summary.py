"""The filter form of the summary page (GET, so a selection is a shareable link)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, Form, SelectField
from wtforms.validators import Optional

from analysis.labels import LABEL_TITLES
from survey.definitions import SurveyDefinition

ALL = ""


class SummaryFilterForm(Form):
    """Survey, period, municipality, age group, answered-for-someone-else and target group."""

    survey = SelectField(_l("Enkät"), validate_choice=False)
    date_from = DateField(_l("Från och med"), validators=[Optional()])
    date_to = DateField(_l("Till och med"), validators=[Optional()])
    municipality = SelectField(_l("Kommun"), validate_choice=False)
    age_group = SelectField(_l("Åldersgrupp"), validate_choice=False)
    on_behalf = SelectField(_l("Svarade för"), validate_choice=False)
    target_group = SelectField(_l("Målgrupp"), validate_choice=False)

    def configure(
        self,
        surveys: list[SurveyDefinition],
        definition: SurveyDefinition,
        language: str,
        target_groups: tuple[str, ...],
        allow_all_groups: bool,
    ) -> None:
        """Fill the choices for one survey and for what the user may see."""
        questions = definition.questions
        everyone = str(_l("Alla"))
        self.survey.choices = [(s.id, s.title.get(language)) for s in surveys]
        self.municipality.choices = [(ALL, everyone)] + [
            (c.value, c.label.get(language)) for c in questions.municipality.choices
        ]
        self.age_group.choices = [(ALL, everyone)] + [
            (c.value, c.label.get(language)) for c in questions.age_group.choices
        ]
        self.on_behalf.choices = [
            (ALL, everyone),
            ("self", str(_l("Sig själva"))),
            ("other", str(_l("Någon annan"))),
        ]
        groups = [(group, LABEL_TITLES[group][language]) for group in target_groups]
        self.target_group.choices = (
            [(ALL, str(_l("Alla svar")))] if allow_all_groups else []
        ) + groups

    def chosen(self, field: Any) -> str | None:
        """The field's value when it is one of its choices, else None ("all")."""
        values = {value for value, _label in field.choices}
        return field.data if field.data in values and field.data != ALL else None

    def period(self) -> tuple[date | None, date | None]:
        return self.date_from.data, self.date_to.data
