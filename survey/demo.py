"""Plausible demo answers for demos and benchmarks (``viktigt seed-demo``).

Free text is drawn from the team-written training corpus, so it reads like real answers and
is coded by the real classifier; each distinct text is classified once, then reused.
Rows are written with bulk inserts so a million answers take minutes, not hours.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, text
from sqlmodel import Session, select

from survey.definitions import SurveyDefinition
from survey.models import Classification, LikertAnswer, Response, ResponseLabel
from survey.operations import label_mask, likert_codes

BATCH = 5000
ProgressCallback = Callable[[int], None]


def corpus_texts(corpus_dir: Path) -> list[str]:
    """Distinct free texts of the training corpus (demo material, not real answers)."""
    texts: dict[str, None] = {}
    for path in sorted(corpus_dir.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.setdefault(json.loads(line)["text"], None)
    return list(texts)


def _weighted(rng: random.Random, values: Sequence[str], skew: float = 1.3) -> str:
    weights = [1 / (rank + 1) ** skew for rank in range(len(values))]
    return rng.choices(values, weights=weights)[0]


def _answer(
    rng: random.Random, definition: SurveyDefinition, start: date, days: int
) -> dict[str, Any]:
    questions = definition.questions
    municipalities = [choice.value for choice in questions.municipality.choices]
    random.Random(definition.id).shuffle(municipalities)  # skewed, but not alphabetically
    ages = [choice.value for choice in questions.age_group.choices]
    mood = rng.gauss(0, 1)
    likert: dict[str, int | None] = {}
    values = definition.scale.values
    for statement in definition.statements:
        roll = rng.random()
        if roll < 0.08:
            continue
        if roll < 0.16:
            likert[statement.id] = None
            continue
        middle = (len(values) - 1) / 2 + mood + rng.gauss(0, 1)
        likert[statement.id] = values[min(len(values) - 1, max(0, round(middle)))]
    services = [c.value for c in questions.services.choices if c.value not in ("inget",)]
    chosen = sorted(rng.sample(services, rng.choice([0, 1, 1, 2, 2, 3])))
    return {
        "submitted_on": start + timedelta(days=rng.randrange(days)),
        "language": "en" if rng.random() < 0.04 else "sv",
        "mode": "paper" if rng.random() < 0.05 else "web",
        "on_behalf_of_other": rng.random() < 0.15 if rng.random() < 0.9 else None,
        "age_group": rng.choice(ages[1:]) if rng.random() < 0.93 else None,
        "municipality": _weighted(rng, municipalities) if rng.random() < 0.95 else None,
        "gender": rng.choice(["kvinna", "kvinna", "man", "annat", "vill-inte-svara"]),
        "services": chosen or ["inget"],
        "likert": likert,
    }


def _next_id(session: Session, model: Any) -> int:
    return (session.exec(select(func.max(model.id))).one() or 0) + 1


def seed_demo(
    *,
    session: Session,
    definition: SurveyDefinition,
    responses: int,
    texts: Sequence[str],
    classify: Callable[[Sequence[str]], Sequence[Any]] | None,
    model_version: str = "demo",
    seed: int = 2030,
    months: int = 18,
    text_share: float = 0.6,
    progress: ProgressCallback | None = None,
) -> int:
    """Add ``responses`` answers to ``definition``'s survey; the caller commits."""
    rng = random.Random(seed)
    today = datetime.now(UTC).date()
    start = today - timedelta(days=30 * months)
    codings = dict(zip(texts, classify(texts), strict=True)) if classify and texts else {}
    statement_ids = [statement.id for statement in definition.statements]
    response_id = _next_id(session, Response)
    likert_id = _next_id(session, LikertAnswer)
    label_id = _next_id(session, ResponseLabel)
    written = 0
    for batch in _batches(responses):
        response_rows, likert_rows, label_rows, coding_rows = [], [], [], []
        for _ in range(batch):
            answer = _answer(rng, definition, start, 30 * months)
            free_text = rng.choice(texts) if texts and rng.random() < text_share else None
            coding = codings.get(free_text) if free_text else None
            labels = [
                label for values in (coding.labels.values() if coding else ()) for label in values
            ]
            likert = answer.pop("likert")
            response_rows.append(
                {
                    **answer,
                    "id": response_id,
                    "survey_id": definition.id,
                    "submission_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "content_hash": "demo",
                    "free_text": free_text,
                    "has_free_text": free_text is not None,
                    "label_mask": label_mask(labels),
                    "likert_codes": likert_codes(statement_ids, likert),
                }
            )
            for statement_id, value in likert.items():
                likert_rows.append(
                    {
                        "id": likert_id,
                        "response_id": response_id,
                        "statement_id": statement_id,
                        "value": value,
                    }
                )
                likert_id += 1
            if coding is not None:
                coding_rows.append(
                    {
                        "response_id": response_id,
                        "model_version": model_version,
                        "scores": coding.scores,
                        "uncertain": coding.uncertain,
                        "classified_on": answer["submitted_on"],
                    }
                )
                for dimension, values in coding.labels.items():
                    for label in values:
                        label_rows.append(
                            {
                                "id": label_id,
                                "response_id": response_id,
                                "dimension": dimension,
                                "label": label,
                                "score": coding.scores.get(label),
                                "source": "model",
                            }
                        )
                        label_id += 1
            response_id += 1
        connection = session.connection()
        for model, rows in (
            (Response, response_rows),
            (LikertAnswer, likert_rows),
            (Classification, coding_rows),
            (ResponseLabel, label_rows),
        ):
            if rows:  # Core executemany: several times faster than ORM bulk inserts
                connection.execute(insert(model.__table__), rows)
        written += batch
        if progress:
            progress(batch)
    _reset_sequences(session)
    return written


def _batches(total: int) -> Iterator[int]:
    while total > 0:
        size = min(BATCH, total)
        yield size
        total -= size


def _reset_sequences(session: Session) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move them past the new rows."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("response", "likertanswer", "responselabel"):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )
        )
