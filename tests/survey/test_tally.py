"""The monthly tallies behind the summary page stay equal to the answers through every kind of
write, and a summary read from them equals one counted from the answers."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from analysis.summary import SummaryFilter, build_summary
from survey.db import session_scope
from survey.demo import seed_demo
from survey.models import Response, ResponseTally
from survey.operations import ResponseDraft, record_review, submit_response
from tests.analysis.test_export import JONKOPING, TEXTS, fake_classify
from tests.conftest import BOTH_DATABASES

STATEMENTS = [(statement.id, statement.strategy) for statement in JONKOPING.statements]


def answers_by_key(session: Session) -> dict[tuple, int]:
    """What the tallies should hold, counted from the answers in Python."""
    counts: dict[tuple, int] = {}
    for row in session.exec(select(Response)).all():
        key = (
            row.survey_id,
            bool(row.has_free_text),
            row.label_mask,
            row.municipality or "",
            row.age_group or "",
            f"{row.submitted_on:%Y-%m}",
            0 if row.on_behalf_of_other is None else 2 if row.on_behalf_of_other else 1,
        )
        counts[key] = counts.get(key, 0) + 1
    return counts


def tallies(session: Session) -> dict[tuple, int]:
    rows = session.exec(select(ResponseTally).where(ResponseTally.answers != 0)).all()
    return {
        (
            row.survey_id,
            bool(row.has_free_text),
            row.label_mask,
            row.municipality,
            row.age_group,
            row.month,
            row.on_behalf,
        ): row.answers
        for row in rows
    }


def seed(engine, responses: int = 400) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        seed_demo(
            session=session,
            definition=JONKOPING,
            responses=responses,
            texts=TEXTS,
            classify=fake_classify,
            model_version="test",
            seed=11,
        )


@BOTH_DATABASES
def test_tallies_follow_every_kind_of_write(engine) -> None:  # type: ignore[no-untyped-def]
    seed(engine)  # bulk: COPY on PostgreSQL, executemany on SQLite
    with session_scope(engine) as session:
        assert tallies(session) == answers_by_key(session)

        submit_response(  # the web and paper path
            session=session,
            draft=ResponseDraft(
                survey_id=JONKOPING.id,
                language="sv",
                free_text="Kortare köer.",
                municipality="habo",
                age_group="80-89",
                on_behalf_of_other=True,
                likert={},
            ),
            submission_id=str(uuid.uuid4()),
            today=date(2026, 3, 14),
        )
        first, second = session.exec(select(Response.id).order_by(Response.id).limit(2)).all()
        record_review(  # labels change: the answer moves to another label mask
            session=session,
            response_id=first,
            dimension="target_groups",
            labels=["aldre", "barn_unga"],
            reviewer_id=None,
        )
        session.execute(update(Response).where(Response.id == second).values(municipality=None))
        session.execute(update(Response).values(free_text=None))  # a purge of originals
        session.execute(delete(Response).where(Response.id > 390))
        session.flush()
        assert tallies(session) == answers_by_key(session)
        total = session.exec(select(func.sum(ResponseTally.answers))).one()
        assert total == session.exec(select(func.count()).select_from(Response)).one()


SELECTIONS = [
    {},
    {"target_group": "aldre"},
    {"target_group": "barn_unga", "municipality": "jonkoping"},
    {"date_from": date(2025, 9, 1), "date_to": date(2026, 2, 28)},
    {"date_from": date(2026, 1, 1), "target_group": "psykiatri_missbruk"},
    {"age_group": "80-89", "on_behalf_of_other": False},
    {"on_behalf_of_other": True, "date_to": date(2026, 6, 30)},
]


@BOTH_DATABASES
@pytest.mark.parametrize("selection", SELECTIONS)
def test_a_summary_from_tallies_equals_one_from_answers(engine, selection) -> None:  # type: ignore[no-untyped-def]
    seed(engine, responses=600)
    with session_scope(engine) as session:
        first = session.exec(select(Response.id).order_by(Response.id)).first()
        record_review(
            session=session,
            response_id=first,
            dimension="target_groups",
            labels=["aldre"],
            reviewer_id=None,
        )
        session.execute(delete(Response).where(Response.id > 560))  # leaves groups at zero
        session.flush()
        summaries = [
            build_summary(
                session=session,
                selection=SummaryFilter(survey_id=JONKOPING.id, **selection),
                framework=JONKOPING.framework,
                statements=STATEMENTS,
                scale=JONKOPING.scale.values,
                k=3,
                redact=str,
                wave_survey_ids=[JONKOPING.id, "jamtland-2023"],
                use_tallies=use_tallies,
            )
            for use_tallies in (True, False)
        ]
    assert summaries[0] == summaries[1]
    assert summaries[0].answers.count  # the selection is not empty
