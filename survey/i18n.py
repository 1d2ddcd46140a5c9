"""Language choice: Swedish by default, English when the respondent picks it."""

from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask_babel import Babel


def current_language() -> str:
    """The page language: ?lang=, then the respondent's earlier choice, then Swedish."""
    if "language" in g:
        return g.language
    languages = current_app.config["LANGUAGES"]
    chosen = request.values.get("lang") if request else None
    if chosen in languages:
        if session.get("lang") != chosen:
            session["lang"] = chosen
        language = chosen
    else:
        language = session.get("lang") if session.get("lang") in languages else languages[0]
    g.language = language
    return language


def set_language(language: str) -> None:
    if language in current_app.config["LANGUAGES"]:
        session["lang"] = language
        g.language = language


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=current_language)
    app.jinja_env.globals["current_language"] = current_language
