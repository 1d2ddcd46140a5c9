"""In-process cache of the survey definitions stored in the database."""

from __future__ import annotations

import threading
import time

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from survey.definitions import SurveyDefinition, parse_definition
from survey.models import Survey


class SurveyRegistry:
    """Survey definitions by id, re-read from the database at most every ``ttl`` seconds."""

    def __init__(self, engine: Engine, ttl: float = 30.0) -> None:
        self._engine = engine
        self._ttl = ttl
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")
        self._definitions: dict[str, SurveyDefinition] = {}

    def _refresh(self) -> None:
        with Session(self._engine) as session:
            rows = session.exec(select(Survey).order_by(Survey.id)).all()
            self._definitions = {
                row.id: parse_definition(row.definition, f"database survey {row.id}")
                for row in rows
            }
        self._loaded_at = time.monotonic()

    def _current(self) -> dict[str, SurveyDefinition]:
        with self._lock:
            if time.monotonic() - self._loaded_at > self._ttl:
                self._refresh()
            return self._definitions

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at = float("-inf")

    def get(self, survey_id: str) -> SurveyDefinition | None:
        return self._current().get(survey_id)

    def all(self) -> list[SurveyDefinition]:
        return list(self._current().values())
