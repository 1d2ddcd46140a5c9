"""Plausible demo answers for demos and benchmarks (``viktigt seed-demo``).

Free text is drawn from the team-written training corpus, so it reads like real answers and
is coded by the real classifier; each distinct text is classified once, then reused.
Rows are written with the database's bulk paths (COPY on PostgreSQL, executemany on SQLite)
so a million answers take minutes, not hours.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from sqlalchemy import func, text
from sqlmodel import Session, select

from analysis.redaction import redact
from survey.definitions import SurveyDefinition
from survey.models import LikertAnswer, Response, ResponseLabel
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


class _Plan:
    """What every answer to one survey draws from, worked out once rather than per answer."""

    def __init__(self, definition: SurveyDefinition) -> None:
        questions = definition.questions
        municipalities = [choice.value for choice in questions.municipality.choices]
        random.Random(definition.id).shuffle(municipalities)  # skewed, not alphabetically
        self.municipalities = municipalities
        # rng.choices(values, weights=w) draws exactly as with the accumulated weights.
        self.municipality_weights = list(
            accumulate(1 / (rank + 1) ** 1.3 for rank in range(len(municipalities)))
        )
        self.ages = [choice.value for choice in questions.age_group.choices][1:]
        self.services = [c.value for c in questions.services.choices if c.value not in ("inget",)]
        self.statement_ids = [statement.id for statement in definition.statements]
        self.values = definition.scale.values
        self.middle = (len(self.values) - 1) / 2


def _answer(rng: random.Random, plan: _Plan, start: date, days: int) -> dict[str, Any]:
    values = plan.values
    top = len(values) - 1
    mood = rng.gauss(0, 1)
    likert: dict[str, int | None] = {}
    for statement_id in plan.statement_ids:
        roll = rng.random()
        if roll < 0.08:
            continue
        if roll < 0.16:
            likert[statement_id] = None
            continue
        middle = plan.middle + mood + rng.gauss(0, 1)
        likert[statement_id] = values[min(top, max(0, round(middle)))]
    chosen = sorted(rng.sample(plan.services, rng.choice([0, 1, 1, 2, 2, 3])))
    return {
        "submitted_on": start + timedelta(days=rng.randrange(days)),
        "language": "en" if rng.random() < 0.04 else "sv",
        "mode": "paper" if rng.random() < 0.05 else "web",
        "on_behalf_of_other": rng.random() < 0.15 if rng.random() < 0.9 else None,
        "age_group": rng.choice(plan.ages) if rng.random() < 0.93 else None,
        "municipality": (
            rng.choices(plan.municipalities, cum_weights=plan.municipality_weights)[0]
            if rng.random() < 0.95
            else None
        ),
        "gender": rng.choice(["kvinna", "kvinna", "man", "annat", "vill-inte-svara"]),
        "services": chosen or ["inget"],
        "likert": likert,
    }


@dataclass(frozen=True)
class _Coding:
    """One distinct text's coding, with its rows' values prepared once."""

    mask: int
    scores_json: str
    uncertain: bool
    labels: list[tuple[str, str, float | None]]  # (dimension, label, score)


def _prepare(coding: Any) -> _Coding:
    labels = [
        (dimension, label, coding.scores.get(label))
        for dimension, values in coding.labels.items()
        for label in values
    ]
    return _Coding(
        mask=label_mask(label for _dimension, label, _score in labels),
        # What SQLAlchemy's JSON type would store (json.dumps with its defaults).
        scores_json=json.dumps(coding.scores),
        uncertain=coding.uncertain,
        labels=labels,
    )


def _same(value: Any) -> Any:
    return value


def _next_id(session: Session, model: Any) -> int:
    return (session.exec(select(func.max(model.id))).one() or 0) + 1


RESPONSE_COLUMNS = (
    "id",
    "survey_id",
    "submission_id",
    "content_hash",
    "submitted_on",
    "language",
    "mode",
    "on_behalf_of_other",
    "age_group",
    "municipality",
    "gender",
    "services",
    "free_text",
    "redacted_text",
    "has_free_text",
    "label_mask",
    "likert_codes",
)
LIKERT_COLUMNS = ("id", "response_id", "statement_id", "value")
CODING_COLUMNS = ("response_id", "model_version", "scores", "uncertain", "classified_on")
LABEL_COLUMNS = ("id", "response_id", "dimension", "label", "score", "source")


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
    days = 30 * months
    codings = (
        {text: _prepare(coding) for text, coding in zip(texts, classify(texts), strict=True)}
        if classify and texts
        else {}
    )
    redacted = {text: redact(text)[0] for text in texts}  # what staff and researchers see
    plan = _Plan(definition)
    statement_ids = plan.statement_ids
    survey_id = definition.id
    response_id = _next_id(session, Response)
    likert_id = _next_id(session, LikertAnswer)
    label_id = _next_id(session, ResponseLabel)
    write = _writer(session)
    # SQLAlchemy stores dates in SQLite as ISO text; the driver paths below get them ready-made.
    as_stored: Callable[[date], Any] = (
        date.isoformat if session.get_bind().dialect.name == "sqlite" else _same
    )
    written = 0
    for batch in _batches(responses):
        response_rows: list[tuple[Any, ...]] = []
        likert_rows: list[tuple[Any, ...]] = []
        label_rows: list[tuple[Any, ...]] = []
        coding_rows: list[tuple[Any, ...]] = []
        for _ in range(batch):
            answer = _answer(rng, plan, start, days)
            free_text = rng.choice(texts) if texts and rng.random() < text_share else None
            coding = codings.get(free_text) if free_text else None
            likert = answer["likert"]
            submitted_on = as_stored(answer["submitted_on"])
            response_rows.append(
                (
                    response_id,
                    survey_id,
                    str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "demo",
                    submitted_on,
                    answer["language"],
                    answer["mode"],
                    answer["on_behalf_of_other"],
                    answer["age_group"],
                    answer["municipality"],
                    answer["gender"],
                    json.dumps(answer["services"]),
                    free_text,
                    redacted.get(free_text) if free_text else None,
                    free_text is not None,
                    coding.mask if coding else 0,
                    likert_codes(statement_ids, likert),
                )
            )
            for statement_id, value in likert.items():
                likert_rows.append((likert_id, response_id, statement_id, value))
                likert_id += 1
            if coding is not None:
                coding_rows.append(
                    (
                        response_id,
                        model_version,
                        coding.scores_json,
                        coding.uncertain,
                        submitted_on,
                    )
                )
                for dimension, label, score in coding.labels:
                    label_rows.append((label_id, response_id, dimension, label, score, "model"))
                    label_id += 1
            response_id += 1
        write("response", RESPONSE_COLUMNS, response_rows)
        write("likertanswer", LIKERT_COLUMNS, likert_rows)
        write("classification", CODING_COLUMNS, coding_rows)
        write("responselabel", LABEL_COLUMNS, label_rows)
        written += batch
        if progress:
            progress(batch)
    _reset_sequences(session)
    return written


Writer = Callable[[str, Sequence[str], list[tuple[Any, ...]]], None]


def _writer(session: Session) -> Writer:
    """Bulk insert of prepared rows (JSON columns already serialised) in the session's
    transaction: COPY on PostgreSQL, the driver's executemany elsewhere. Both skip
    SQLAlchemy's per-row parameter processing, which cost more than the database did."""
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        cursor = connection.connection.cursor()

        def copy(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
            if not rows:
                return
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as stream:
                for row in rows:
                    stream.write_row(row)

        return copy

    marker = {"qmark": "?", "numeric": ":{}", "named": ":p{}"}.get(dialect.paramstyle, "%s")

    def insert_many(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        placeholders = ", ".join(marker.format(n + 1) for n in range(len(columns)))
        if dialect.paramstyle == "named":
            rows = [{f"p{n + 1}": value for n, value in enumerate(row)} for row in rows]
        connection.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows
        )

    return insert_many


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
