"""Retention of original free text (``retention_days`` in the survey file). Plain Python.

``purge_originals`` sets ``free_text`` to NULL for answers submitted more than
``retention_days`` ago. The redacted text stays (it is what staff and researchers see); an old
answer that was never redacted is redacted first, so no answer loses its text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from survey.definitions import SurveyDefinition
from survey.models import Response

BATCH = 1000


@dataclass(frozen=True)
class PurgeOutcome:
    survey_id: str
    cutoff: date
    purged: int
    redacted_first: int


def _default_redact(text: str) -> str:
    from analysis.redaction import redact

    return redact(text)[0]


def purge_originals(
    *,
    session: Session,
    definition: SurveyDefinition,
    today: date,
    redact: Callable[[str], str] | None = None,
) -> PurgeOutcome:
    """Delete the original text of answers older than the survey's retention (the caller
    commits). Answers submitted on or after ``today - retention_days`` keep theirs."""
    cutoff = today - timedelta(days=definition.retention_days)
    redact = redact or _default_redact
    old = (
        Response.survey_id == definition.id,
        Response.submitted_on < cutoff,
        Response.free_text.is_not(None),
    )
    redacted_first = 0
    last_id = 0
    while True:
        batch = session.exec(
            select(Response.id, Response.free_text)
            .where(*old, Response.redacted_text.is_(None), Response.id > last_id)
            .order_by(Response.id)
            .limit(BATCH)
        ).all()
        if not batch:
            break
        for response_id, text in batch:
            session.execute(
                update(Response)
                .where(Response.id == response_id)
                .values(redacted_text=redact(text or ""))
            )
        redacted_first += len(batch)
        last_id = batch[-1][0]
    result = session.execute(update(Response).where(*old).values(free_text=None))
    session.flush()
    return PurgeOutcome(
        survey_id=definition.id,
        cutoff=cutoff,
        purged=result.rowcount or 0,
        redacted_first=redacted_first,
    )
