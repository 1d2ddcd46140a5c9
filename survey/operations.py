"""State changes on answers. Plain Python: takes a ``session``, imports nothing from Flask.

The caller owns the transaction: these functions add and flush, they never commit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from typing import Protocol

from sqlalchemy import delete, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from analysis.labels import ALL_LABELS, DIMENSIONS
from survey.definitions import SurveyDefinition
from survey.models import (
    BarrierReport,
    Classification,
    LabelReview,
    LikertAnswer,
    Response,
    ResponseLabel,
    Survey,
)

NO_OPINION = "no_opinion"
LABEL_BIT = {label: bit for bit, label in enumerate(ALL_LABELS)}


@dataclass(frozen=True)
class ResponseDraft:
    """What a respondent answered, validated, before it is stored."""

    survey_id: str
    language: str
    mode: str = "web"
    likert: dict[str, int | None] = field(default_factory=dict)
    free_text: str | None = None
    on_behalf_of_other: bool | None = None
    age_group: str | None = None
    municipality: str | None = None
    gender: str | None = None
    services: tuple[str, ...] = ()
    # The survey's statements in order, for Response.likert_codes.
    statement_ids: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not (
            self.likert
            or self.free_text
            or self.on_behalf_of_other is not None
            or self.age_group
            or self.municipality
            or self.gender
            or self.services
        )

    def content_hash(self) -> str:
        """Fingerprint of the answers, to tell a resubmission from a different answer."""
        payload = asdict(self)
        payload.pop("language")
        payload.pop("statement_ids")
        encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=list)
        return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


_CODE_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
NO_OPINION_CODE = "n"
UNANSWERED_CODE = "."


def likert_code(value: int) -> str:
    """The one-character code of a rating value (a base-36 digit)."""
    return _CODE_DIGITS[value]


def likert_codes(statement_ids: Sequence[str], likert: dict[str, int | None]) -> str:
    """Ratings in statement order, one character each: a base-36 digit for the value,
    "n" for no opinion ("Ingen uppfattning"), "." for no answer."""
    codes = []
    for statement_id in statement_ids:
        if statement_id not in likert:
            codes.append(UNANSWERED_CODE)
        elif likert[statement_id] is None:
            codes.append(NO_OPINION_CODE)
        else:
            codes.append(likert_code(likert[statement_id]))
    return "".join(codes)


class SubmitOutcome(Enum):
    STORED = "stored"
    DUPLICATE = "duplicate"  # the same form sent again with the same answers
    CONFLICT = "conflict"  # the same form sent again with different answers


AfterStore = Callable[[Session, "StoredResponse"], None]


def upsert_survey(*, session: Session, definition: SurveyDefinition) -> Survey:
    """Store (or update) a survey definition so answers can refer to it."""
    survey = session.get(Survey, definition.id)
    data = definition.model_dump(mode="json")
    if survey is None:
        survey = Survey(
            id=definition.id,
            version=definition.version,
            framework=definition.framework,
            title=definition.title.sv,
            definition=data,
            loaded_at=datetime.now(UTC),
        )
        session.add(survey)
    elif survey.definition != data:
        survey.version = definition.version
        survey.framework = definition.framework
        survey.title = definition.title.sv
        survey.definition = data
        survey.loaded_at = datetime.now(UTC)
    session.flush()
    return survey


def _existing_outcome(session: Session, submission_id: str, digest: str) -> SubmitOutcome | None:
    existing = session.exec(
        select(Response.content_hash).where(Response.submission_id == submission_id)
    ).first()
    if existing is None:
        return None
    return SubmitOutcome.DUPLICATE if existing == digest else SubmitOutcome.CONFLICT


@dataclass(frozen=True)
class StoredResponse:
    """What ``after_store`` hooks get: the new row's id and what they may need of it."""

    id: int
    free_text: str | None
    submitted_on: date


def submit_response(
    *,
    session: Session,
    draft: ResponseDraft,
    submission_id: str,
    today: date | None = None,
    redacted_text: str | None = None,
    after_store: AfterStore | None = None,
) -> SubmitOutcome:
    """Store a response and its ratings, once per submission id.

    ``after_store`` runs in the same transaction (for example to record the classifier's
    coding), so either everything is stored or nothing is. Rows are written with Core inserts:
    this is the hot path of every submit, and the write lock is held meanwhile.
    """
    digest = draft.content_hash()
    submitted_on = today or datetime.now(UTC).date()
    try:
        with session.begin_nested():
            response_id = session.execute(
                insert(Response)
                .values(
                    survey_id=draft.survey_id,
                    submission_id=submission_id,
                    content_hash=digest,
                    submitted_on=submitted_on,
                    language=draft.language,
                    mode=draft.mode,
                    on_behalf_of_other=draft.on_behalf_of_other,
                    age_group=draft.age_group,
                    municipality=draft.municipality,
                    gender=draft.gender,
                    services=list(draft.services),
                    free_text=draft.free_text,
                    redacted_text=redacted_text if draft.free_text else None,
                    has_free_text=bool(draft.free_text),
                    likert_codes=likert_codes(draft.statement_ids, draft.likert),
                    label_mask=0,
                )
                .returning(Response.id)
            ).scalar_one()
    except IntegrityError:
        # The submission id is stored already: a resent form or a double click.
        outcome = _existing_outcome(session, submission_id, digest)
        if outcome is None:
            raise
        return outcome
    if draft.likert:
        session.connection().execute(
            insert(LikertAnswer.__table__),
            [
                {"response_id": response_id, "statement_id": statement_id, "value": value}
                for statement_id, value in sorted(draft.likert.items())
            ],
        )
    if after_store is not None:
        after_store(session, StoredResponse(response_id, draft.free_text, submitted_on))
    return SubmitOutcome.STORED


def report_barrier(
    *,
    session: Session,
    description: str,
    page: str | None,
    contact: str | None,
    today: date | None = None,
) -> BarrierReport:
    """Store an accessibility barrier report."""
    report = BarrierReport(
        reported_on=today or datetime.now(UTC).date(),
        page=page,
        description=description,
        contact=contact,
    )
    session.add(report)
    session.flush()
    return report


class Coding(Protocol):
    """What the classifier returns for one text (see analysis.classifier.Prediction)."""

    labels: dict[str, list[str]]
    scores: dict[str, float]
    uncertain: bool


def label_mask(labels: Iterable[str]) -> int:
    """Bitmask of labels over ``ALL_LABELS`` (see Response.label_mask)."""
    mask = 0
    for label in labels:
        mask |= 1 << LABEL_BIT[label]
    return mask


def _refresh_label_mask(session: Session, response_id: int) -> None:
    labels = session.exec(
        select(ResponseLabel.label).where(ResponseLabel.response_id == response_id)
    ).all()
    session.execute(
        update(Response).where(Response.id == response_id).values(label_mask=label_mask(labels))
    )


def _classification_row(
    response_id: int, coding: Coding, model_version: str, today: date
) -> dict[str, object]:
    return {
        "response_id": response_id,
        "model_version": model_version,
        "scores": {label: round(float(p), 4) for label, p in coding.scores.items()},
        "uncertain": coding.uncertain,
        "classified_on": today,
    }


def _model_label_rows(
    response_id: int, coding: Coding, skip_dimensions: Iterable[str] = ()
) -> list[dict[str, object]]:
    skip = set(skip_dimensions)
    return [
        {
            "response_id": response_id,
            "dimension": dimension,
            "label": label,
            "score": coding.scores.get(label),
            "source": "model",
        }
        for dimension, labels in coding.labels.items()
        if dimension not in skip
        for label in labels
    ]


def record_classification(
    *,
    session: Session,
    response_id: int,
    coding: Coding,
    model_version: str,
    today: date | None = None,
) -> None:
    """Store (or replace) the model's coding of one answer: probabilities and label rows.

    Dimensions a person has reviewed keep the reviewed labels.
    """
    reviewed = session.exec(
        select(LabelReview.dimension).where(LabelReview.response_id == response_id)
    ).all()
    session.execute(
        delete(ResponseLabel).where(
            ResponseLabel.response_id == response_id, ResponseLabel.source == "model"
        )
    )
    session.execute(delete(Classification).where(Classification.response_id == response_id))
    connection = session.connection()
    connection.execute(
        insert(Classification.__table__).values(
            _classification_row(
                response_id, coding, model_version, today or datetime.now(UTC).date()
            )
        )
    )
    rows = _model_label_rows(response_id, coding, skip_dimensions=reviewed)
    if rows:
        connection.execute(insert(ResponseLabel.__table__), rows)
    _refresh_label_mask(session, response_id)


def record_new_classification(
    *,
    session: Session,
    response_id: int,
    coding: Coding,
    model_version: str,
    today: date,
) -> None:
    """The coding of an answer stored a moment ago in this transaction (nothing to replace,
    no reviews yet): three Core statements, since it runs under the write lock of a submit."""
    connection = session.connection()
    connection.execute(
        insert(Classification.__table__).values(
            _classification_row(response_id, coding, model_version, today)
        )
    )
    rows = _model_label_rows(response_id, coding)
    if rows:
        connection.execute(insert(ResponseLabel.__table__), rows)
        connection.execute(
            update(Response.__table__)
            .where(Response.__table__.c.id == response_id)
            .values(label_mask=label_mask(str(row["label"]) for row in rows))
        )


def record_review(
    *,
    session: Session,
    response_id: int,
    dimension: str,
    labels: Sequence[str],
    reviewer_id: int | None,
    now: datetime | None = None,
) -> LabelReview:
    """A person's coding of one dimension; it takes precedence over the model's everywhere."""
    unknown = set(labels) - set(DIMENSIONS.get(dimension, ()))
    if dimension not in DIMENSIONS or unknown:
        raise ValueError(f"unknown dimension or labels: {dimension} {sorted(unknown)}")
    now = now or datetime.now(UTC)
    review = session.exec(
        select(LabelReview).where(
            LabelReview.response_id == response_id, LabelReview.dimension == dimension
        )
    ).first()
    if review is None:
        review = LabelReview(response_id=response_id, dimension=dimension, reviewed_at=now)
    review.labels = sorted(set(labels), key=DIMENSIONS[dimension].index)
    review.reviewer_id = reviewer_id
    review.reviewed_at = now
    session.add(review)
    session.execute(
        delete(ResponseLabel).where(
            ResponseLabel.response_id == response_id, ResponseLabel.dimension == dimension
        )
    )
    session.add_all(
        ResponseLabel(response_id=response_id, dimension=dimension, label=label, source="review")
        for label in review.labels
    )
    session.flush()
    _refresh_label_mask(session, response_id)
    return review


def responses_to_classify(
    *, session: Session, model_version: str, everything: bool, after_id: int, limit: int
) -> list[tuple[int, str]]:
    """A batch of (id, free text) in id order, after ``after_id``.

    Without ``everything`` only answers not yet coded by ``model_version`` are returned.
    """
    query = select(Response.id, Response.free_text).where(
        Response.free_text.is_not(None), Response.id > after_id
    )
    if not everything:
        coded = select(Classification.response_id).where(
            Classification.model_version == model_version
        )
        query = query.where(Response.id.not_in(coded))
    return [tuple(row) for row in session.exec(query.order_by(Response.id).limit(limit)).all()]


def count_responses_with_text(*, session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(Response).where(Response.free_text.is_not(None))
    ).one()


def answers_for_review(
    *, session: Session, survey_id: str | None, only_uncertain: bool, offset: int, limit: int
) -> list[tuple[Response, Classification | None]]:
    """Answers with free text, those flagged "osäker" and not yet reviewed first."""
    reviewed = select(LabelReview.response_id)
    query = (
        select(Response, Classification)
        .join(Classification, Classification.response_id == Response.id, isouter=True)
        .where(Response.has_free_text)
    )
    if survey_id:
        query = query.where(Response.survey_id == survey_id)
    if only_uncertain:
        query = query.where(Classification.uncertain, Response.id.not_in(reviewed))
    query = query.order_by(Response.id.desc()).offset(offset).limit(limit)
    return [(response, coding) for response, coding in session.exec(query).all()]


def effective_labels(*, session: Session, response_id: int) -> dict[str, list[str]]:
    """An answer's labels per dimension: the reviewed ones where a person coded it."""
    labels: dict[str, list[str]] = {dimension: [] for dimension in DIMENSIONS}
    rows = session.exec(
        select(ResponseLabel.dimension, ResponseLabel.label).where(
            ResponseLabel.response_id == response_id
        )
    ).all()
    for dimension, label in rows:
        labels.setdefault(dimension, []).append(label)
    return {d: sorted(v, key=DIMENSIONS[d].index) for d, v in labels.items() if d in DIMENSIONS}


def reviews_of(*, session: Session, response_id: int) -> dict[str, LabelReview]:
    rows = session.exec(select(LabelReview).where(LabelReview.response_id == response_id)).all()
    return {review.dimension: review for review in rows}


def reviewed_examples(*, session: Session) -> list[dict[str, object]]:
    """Answers a person has reviewed, in the codebook's labelled-data format, for training.

    Each carries its effective labels in every dimension: the reviewed ones, and the model's
    where a dimension was not reviewed (the review page always saves all three).
    """
    reviewed = select(LabelReview.response_id).distinct()
    texts = dict(
        session.exec(
            select(Response.id, Response.free_text).where(
                Response.id.in_(reviewed), Response.free_text.is_not(None)
            )
        ).all()
    )
    examples: dict[int, dict[str, object]] = {
        response_id: {"id": f"review-{response_id}", "text": text, **{d: [] for d in DIMENSIONS}}
        for response_id, text in sorted(texts.items())
    }
    rows = session.exec(
        select(ResponseLabel.response_id, ResponseLabel.dimension, ResponseLabel.label).where(
            ResponseLabel.response_id.in_(list(examples))
        )
    ).all()
    for response_id, dimension, label in rows:
        examples[response_id][dimension].append(label)  # type: ignore[union-attr]
    for example in examples.values():
        for dimension, labels in DIMENSIONS.items():
            example[dimension] = sorted(example[dimension], key=labels.index)  # type: ignore[arg-type]
    return list(examples.values())
