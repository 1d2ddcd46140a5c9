"""Coding free text when an answer is stored, with the classifier loaded once per process."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlmodel import Session

from analysis.redaction import redact
from survey.models import Response
from survey.operations import AfterStore, record_classification

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


def after_store_hook(free_text: str | None = None) -> AfterStore:
    """What happens to a stored answer's free text in the same transaction: it is redacted
    (what staff will see) and, when a model is loaded, coded.

    Given the text, both are computed now, before the caller takes the write lock, so the
    lock is held only for the inserts.
    """
    classifier = None
    if current_app.config["CLASSIFY_ON_SUBMIT"]:
        classifier = current_app.extensions["viktigt.classifier"].get()
    prepared: dict[str, Any] = {}
    if free_text:
        prepared[free_text] = _prepare(free_text, classifier)

    def process(session: Session, response: Response) -> None:
        if not response.free_text:
            return
        redacted, coding = prepared.get(response.free_text) or _prepare(
            response.free_text, classifier
        )
        response.redacted_text = redacted
        session.add(response)
        if coding is None:
            return
        record_classification(
            session=session,
            response_id=response.id,
            coding=coding,
            model_version=classifier.version,
            today=response.submitted_on,
        )

    return process


def _prepare(text: str, classifier: Any) -> tuple[str, Any]:
    return redact(text)[0], classifier.predict_one(text) if classifier is not None else None


def init_app(app: Flask) -> None:
    app.extensions["viktigt.classifier"] = ClassifierHolder(app.config.get("MODEL_PATH"))
