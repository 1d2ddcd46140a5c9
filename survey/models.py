"""Database tables. Nothing here identifies a respondent: no IP address, no time of day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Survey(SQLModel, table=True):
    """A survey definition as loaded from its file; the stored copy is what answers refer to."""

    id: str = Field(primary_key=True, max_length=64)
    version: int
    framework: str = Field(max_length=64)
    title: str
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    loaded_at: datetime


class Response(SQLModel, table=True):
    """One respondent's answer to one survey."""

    # Covers every summary query (analysis/summary.py). has_free_text and label_mask come
    # right after survey_id so that a target group's answers are a few index ranges
    # (label_mask IN (...)), and the four columns of the summary's main count come in the
    # order it groups by, so it counts while reading instead of sorting a million rows.
    __table_args__ = (
        Index(
            "ix_response_summary",
            "survey_id",
            "has_free_text",
            "label_mask",
            "municipality",
            "age_group",
            "submitted_on",
            "on_behalf_of_other",
            "likert_codes",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    survey_id: str = Field(foreign_key="survey.id", index=True, max_length=64)
    # Random id carried by the rendered form; makes a resubmitted form a no-op.
    submission_id: str = Field(unique=True, max_length=36)
    content_hash: str = Field(max_length=64)
    submitted_on: date = Field(index=True)
    language: str = Field(max_length=8)
    mode: str = Field(default="web", max_length=16)
    on_behalf_of_other: bool | None = None
    age_group: str | None = Field(default=None, max_length=32)
    municipality: str | None = Field(default=None, max_length=64)
    gender: str | None = Field(default=None, max_length=32)
    services: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    free_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The free text with personal data replaced by placeholders ([NAMN], [TELEFON] …): what
    # staff and researchers see. Kept after the original is purged (survey retention).
    redacted_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Denormalised for summaries, which count a million answers in one indexed scan:
    # the effective labels (review over model) as a bitmask over analysis.labels.ALL_LABELS,
    # kept in step with ResponseLabel; whether there is free text; and the ratings in
    # statement order, one character each (see operations.likert_codes).
    label_mask: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    has_free_text: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    likert_codes: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})


class ResponseTally(SQLModel, table=True):
    """Answers counted per survey, month, municipality, age group, who answered, free text and
    label mask: the summary page's main count and trend read these (a fifth as many rows as
    answers) instead of every answer. Kept by database triggers on ``response`` (migration
    0003), so every way of writing answers (web, paper, import, demo seed, review, purge)
    keeps them right. Not stated is the empty string; ``on_behalf`` is 0 (not stated), 1 (for
    oneself) or 2 (for someone else), so that every key column is NOT NULL."""

    __tablename__ = "response_tally"
    __table_args__ = ({"sqlite_with_rowid": False},)

    survey_id: str = Field(primary_key=True, max_length=64)
    has_free_text: bool = Field(primary_key=True)
    label_mask: int = Field(primary_key=True)
    municipality: str = Field(primary_key=True, max_length=64)
    age_group: str = Field(primary_key=True, max_length=32)
    month: str = Field(primary_key=True, max_length=7)  # "2026-05"
    on_behalf: int = Field(primary_key=True)
    answers: int = 0


class LikertAnswer(SQLModel, table=True):
    """A rating of one I-statement. ``value`` None means "Ingen uppfattning"/"Vet inte"."""

    __table_args__ = (UniqueConstraint("response_id", "statement_id"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id", index=True, ondelete="CASCADE")
    statement_id: str = Field(max_length=64)
    value: int | None = None


class BarrierReport(SQLModel, table=True):
    """A report of an accessibility barrier, sent from the accessibility statement page."""

    id: int | None = Field(default=None, primary_key=True)
    reported_on: date
    page: str | None = Field(default=None, max_length=300)
    description: str = Field(sa_column=Column(Text, nullable=False))
    contact: str | None = Field(default=None, max_length=300)


class Classification(SQLModel, table=True):
    """The classifier's coding of one answer's free text: model version and probabilities."""

    response_id: int = Field(foreign_key="response.id", primary_key=True, ondelete="CASCADE")
    model_version: str = Field(max_length=80, index=True)
    scores: dict[str, float] = Field(sa_column=Column(JSON, nullable=False))
    # Highest probability close to a threshold: a person should look at it ("osäker").
    uncertain: bool = Field(default=False, index=True)
    classified_on: date


class ResponseLabel(SQLModel, table=True):
    """One label of one answer, a row each, so summaries can count in SQL."""

    __table_args__ = (
        UniqueConstraint("response_id", "label"),
        # Quote candidates: a label's answers in score order, response_id read from the index.
        Index("ix_responselabel_label_score", "label", "score", "response_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id", index=True, ondelete="CASCADE")
    dimension: str = Field(max_length=32)
    label: str = Field(max_length=64)
    # The model's probability; None for a label set by a person in review.
    score: float | None = None
    source: str = Field(default="model", max_length=16)  # "model" or "review"


class LabelReview(SQLModel, table=True):
    """A person's coding of one dimension of one answer; overrides the model's."""

    __table_args__ = (UniqueConstraint("response_id", "dimension"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id", index=True, ondelete="CASCADE")
    dimension: str = Field(max_length=32)
    labels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reviewer_id: int | None = Field(default=None, foreign_key="staffuser.id", ondelete="SET NULL")
    reviewed_at: datetime


class StaffUser(SQLModel, table=True):
    """A member of staff. Roles: admin, strategy_group, analyst, researcher."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=80)
    password_hash: str = Field(max_length=255)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # For strategy group members: the target groups whose answers they may read.
    target_groups: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_confirmed: bool = False
    active: bool = True
    created_at: datetime
    last_login_at: datetime | None = None


class StaffSession(SQLModel, table=True):
    """A server-side login session; the cookie only carries its random id."""

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="staffuser.id", index=True, ondelete="CASCADE")
    created_at: datetime
    last_seen_at: datetime
    second_factor_done: bool = False
    ended_at: datetime | None = None


class LoginThrottle(SQLModel, table=True):
    """Failed logins per account in a time window, shared by every gunicorn worker."""

    key: str = Field(primary_key=True, max_length=120)
    window_started_at: datetime
    failures: int = 0
    locked_until: datetime | None = None


class AuditEvent(SQLModel, table=True):
    """Who did what and when. Never passwords, codes or free text."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    event: str = Field(max_length=40, index=True)
    user_id: int | None = Field(default=None, index=True)
    username: str | None = Field(default=None, max_length=80)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ExportLog(SQLModel, table=True):
    """Every research export: who, when, what selection, how many rows, what k was reached."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    user_id: int | None = Field(default=None, index=True)
    username: str | None = Field(default=None, max_length=80)
    channel: str = Field(max_length=16)  # "web", "api" or "cli"
    survey_id: str = Field(max_length=64)
    format: str = Field(max_length=8)
    filters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    rows: int = 0
    k_reached: int | None = None
    generalised: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )


class ApiToken(SQLModel, table=True):
    """A researcher's token for scripts; only its hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="staffuser.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
