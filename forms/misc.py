"""Small forms that are not built from a survey definition."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.validators import Optional as OptionalValue

from forms.survey import drop_control_characters


class BarrierReportForm(FlaskForm):
    """Report an accessibility barrier (required by the Swedish accessibility law)."""

    page = StringField(
        _l("Vilken sida gäller det? (frivilligt)"),
        filters=[drop_control_characters],
        validators=[OptionalValue(), Length(max=300, message=_l("Högst 300 tecken."))],
    )
    description = TextAreaField(
        _l("Beskriv problemet"),
        filters=[drop_control_characters],
        validators=[
            DataRequired(message=_l("Beskriv vad som inte fungerade.")),
            Length(max=5000, message=_l("Högst 5 000 tecken.")),
        ],
    )
    contact = StringField(
        _l("E-post eller telefon om du vill att vi svarar (frivilligt)"),
        filters=[drop_control_characters],
        validators=[OptionalValue(), Length(max=300, message=_l("Högst 300 tecken."))],
    )
