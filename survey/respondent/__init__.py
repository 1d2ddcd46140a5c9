"""The respondent's pages: information, questionnaire, thanks, accessibility statement."""

from flask import Blueprint

bp = Blueprint("respondent", __name__)

from survey.respondent import views  # noqa: E402,F401
