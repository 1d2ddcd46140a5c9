"""Coding free text when an answer is stored, with the classifier loaded once per process."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import update
from sqlmodel import Session

from analysis.redaction import redact
from survey.models import Response
from survey.operations import AfterStore, StoredResponse, record_new_classification

log = logging.getLogger(__name__)


class ClassifierHolder:
    """Loads the newest (or configured) classifier artefact on first use."""

    def __init__(self, path: str | None) -> None:
        self._path = Path(path) if path else None
        self._lock = threading.Lock()
        self._classifier: Any = None
        self._missing = False

    def get(self) -> Any | None:
        if self._classifier is not None or self._missing:
            return self._classifier
        with self._lock:
            if self._classifier is None and not self._missing:
                from analysis.classifier import ModelNotFoundError, load_classifier

                try:
                    self._classifier = load_classifier(self._path)
                except ModelNotFoundError:
                    # Answers are still stored; `viktigt reclassify` codes them later.
                    log.warning("No classifier artefact: answers are stored uncoded.")
                    self._missing = True
        return self._classifier


@dataclass(frozen=True)
class PreparedText:
    """A free text made ready before the write lock: redacted, and coded when a model is on."""

    redacted: str | None = None
    coding: Any = None
    model_version: str | None = None

    def after_store(self) -> AfterStore | None:
        """The hook that records the coding in the answer's own transaction."""
        if self.coding is None:
            return None

        def record(session: Session, response: StoredResponse) -> None:
            record_new_classification(
                session=session,
                response_id=response.id,
                coding=self.coding,
                model_version=self.model_version or "",
                today=response.submitted_on,
            )

        return record


def prepare_text(free_text: str | None) -> PreparedText:
    """Redact and (when configured and a model is loaded) classify a free text."""
    if not free_text:
        return PreparedText()
    classifier = None
    if current_app.config["CLASSIFY_ON_SUBMIT"]:
        classifier = current_app.extensions["viktigt.classifier"].get()
    if classifier is None:
        return PreparedText(redact(free_text)[0])
    return PreparedText(redact(free_text)[0], classifier.predict_one(free_text), classifier.version)


def after_store_hook() -> AfterStore:
    """For answers stored in bulk (imports): redact and code each one inside the transaction.

    The questionnaire uses :func:`prepare_text` instead, which does the work before the write
    lock is taken.
    """

    def process(session: Session, response: StoredResponse) -> None:
        prepared = prepare_text(response.free_text)
        if prepared.redacted is not None:
            session.execute(
                update(Response)
                .where(Response.id == response.id)
                .values(redacted_text=prepared.redacted)
            )
        hook = prepared.after_store()
        if hook is not None:
            hook(session, response)

    return process


def init_app(app: Flask) -> None:
    app.extensions["viktigt.classifier"] = ClassifierHolder(app.config.get("MODEL_PATH"))
