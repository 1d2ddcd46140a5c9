"""The summary page: who may see what, suppression, verbatim redacted quotes, reviews count."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlmodel import Session, select

from survey.db import get_engine_for
from survey.models import Response
from survey.operations import ResponseDraft, record_classification, record_review, submit_response
from tests.conftest import BOTH_DATABASES

SUMMARY = "/personal/sammanstallning"
SURVEY = "survey=jonkoping-2030"
JONKOPING_STATEMENTS = (
    "framja_halsa",
    "samverkan_kontinuitet",
    "forandrade_arbetssatt",
    "starkta_forutsattningar",
)


@dataclass(frozen=True)
class Coding:
    labels: dict[str, list[str]]
    scores: dict[str, float] = field(default_factory=dict)
    uncertain: bool = False


def add_answers(app, count: int, text: str, labels: list[str], **background) -> list[int]:  # type: ignore[no-untyped-def]
    """Store ``count`` coded answers; labels are split into their dimensions."""
    from analysis.labels import LABEL_DIMENSION

    coded: dict[str, list[str]] = {"jonkoping-2030": [], "jamtland-2023": [], "target_groups": []}
    for label in labels:
        coded[LABEL_DIMENSION[label]].append(label)
    ids = []
    with Session(get_engine_for(app)) as session:
        for number in range(count):
            draft = ResponseDraft(
                survey_id="jonkoping-2030",
                language="sv",
                free_text=f"{text} ({number})" if count > 1 else text,
                likert={"framja_halsa": 4, "forandrade_arbetssatt": None},
                municipality=background.get("municipality", "jonkoping"),
                age_group=background.get("age_group", "80-89"),
                statement_ids=JONKOPING_STATEMENTS,
            )

            def classify(session, response):  # type: ignore[no-untyped-def]
                record_classification(
                    session=session,
                    response_id=response.id,
                    coding=Coding(coded, {label: 0.9 for label in labels}),
                    model_version="test",
                )
                ids.append(response.id)

            submit_response(
                session=session,
                draft=draft,
                submission_id=str(uuid.uuid4()),
                today=background.get("today", date(2026, 10, 1)),
                after_store=classify,
            )
        session.commit()
    return ids


@pytest.fixture
def coded_answers(app):  # type: ignore[no-untyped-def]
    add_answers(
        app, 12, "Samma personal i hemtjänsten varje dag", ["samverkan_kontinuitet", "aldre"]
    )
    add_answers(app, 8, "Kortare väntetid till BUP", ["forandrade_arbetssatt", "barn_unga"])
    add_answers(
        app,
        3,
        "Mer personal på äldreboendet",
        ["starkta_forutsattningar", "aldre"],
        municipality="habo",
    )
    return app


@pytest.mark.parametrize(
    ("role", "groups", "query", "status"),
    [
        ("analyst", (), "", 200),
        ("admin", (), "&target_group=barn_unga", 200),
        ("strategy_group", ("aldre",), "", 200),
        ("strategy_group", ("aldre",), "&target_group=aldre", 200),
        ("strategy_group", ("aldre",), "&target_group=barn_unga", 403),
        ("researcher", (), "", 403),
    ],
)
def test_each_role_sees_the_summary_it_may(
    client, staff_user, logged_in, coded_answers, role, groups, query, status
):
    logged_in(client, staff_user(role, groups))

    response = client.get(f"{SUMMARY}?{SURVEY}{query}")

    assert response.status_code == status
    if status == 200:
        assert response.headers["Cache-Control"] == "no-store"


def test_the_summary_needs_a_login(client):
    response = client.get(SUMMARY)

    assert response.status_code in (302, 303)
    assert "/personal/logga-in" in response.headers["Location"]


def test_a_strategy_group_member_sees_their_group_and_the_overall_figures(
    client, staff_user, logged_in, coded_answers
):
    logged_in(client, staff_user("strategy_group", ("aldre",)))

    page = client.get(f"{SUMMARY}?{SURVEY}").get_data(as_text=True)

    assert "Fritextsvar om Äldre" in page
    assert "Alla svar" in page
    assert "Samma personal i hemtjänsten" in page  # a quote coded aldre
    assert "Kortare väntetid till BUP" not in page  # coded barn_unga: not theirs


def test_small_cells_are_hidden_with_the_reason(client, staff_user, logged_in, coded_answers):
    logged_in(client, staff_user("analyst"))

    page = client.get(f"{SUMMARY}?{SURVEY}").get_data(as_text=True)

    # Three answers in Habo: hidden, and so is one more municipality (no subtraction).
    assert "Mer personal på äldreboendet" not in page  # a strategy with 3 answers: no quotes
    assert "färre än 5 svar" in page


def test_quotes_are_the_redacted_text_of_stored_answers(client, app, staff_user, logged_in):
    text = "Jag heter Anna Lindqvist och ringer 070-123 45 67, vill ha samma läkare varje gång."
    add_answers(app, 6, text, ["samverkan_kontinuitet", "aldre"])
    logged_in(client, staff_user("analyst"))

    page = client.get(f"{SUMMARY}?{SURVEY}").get_data(as_text=True)

    assert "[NAMN]" in page and "[TELEFON]" in page
    assert "Anna Lindqvist" not in page and "070-123" not in page
    assert "vill ha samma läkare varje gång. (0)" in page  # verbatim apart from redaction


@BOTH_DATABASES
def test_a_correction_changes_the_summary(client, app, staff_user, logged_in):
    ids = add_answers(app, 10, "Personalen lyssnar inte", ["samverkan_kontinuitet"])
    logged_in(client, staff_user("analyst"))
    before = _csv(client, "")

    with Session(get_engine_for(app)) as session:
        for response_id in ids[:5]:
            record_review(
                session=session,
                response_id=response_id,
                dimension="jonkoping-2030",
                labels=["starkta_forutsattningar"],
                reviewer_id=None,
            )
        session.commit()
    after = _csv(client, "")

    assert before[("strategy_share", "samverkan_kontinuitet", "")]["count"] == "10"
    assert after[("strategy_share", "samverkan_kontinuitet", "")]["count"] == "5"
    assert after[("strategy_share", "starkta_forutsattningar", "")]["count"] == "5"
    assert after[("reviewed_by_person", "answers", "")]["count"] == "5"


def _csv(client, query: str) -> dict[tuple[str, str, str], dict[str, str]]:  # type: ignore[no-untyped-def]
    response = client.get(f"{SUMMARY}.csv?{SURVEY}{query}")
    assert response.status_code == 200
    rows = csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
    return {(row["section"], row["key"], row["target_group"]): row for row in rows}


def test_the_csv_leaves_hidden_cells_empty_and_says_why(
    client, staff_user, logged_in, coded_answers
):
    logged_in(client, staff_user("analyst"))

    rows = _csv(client, "")

    habo = rows[("municipality", "habo", "")]
    assert habo["count"] == "" and habo["hidden_because"] == "small"
    assert rows[("municipality", "jonkoping", "")]["count"] == ""  # hidden so Habo stays hidden
    assert rows[("answers", "all", "")]["count"] == "23"


def test_the_report_is_a_self_contained_page(client, staff_user, logged_in, coded_answers):
    logged_in(client, staff_user("analyst"))

    response = client.get(f"{SUMMARY}/rapport?{SURVEY}&download=1")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert "<style>" in page and "<svg" in page
    assert 'href="/static' not in page


def test_filters_narrow_the_selection(client, staff_user, logged_in, app):
    add_answers(
        app, 6, "Träffpunkter för pensionärer", ["framja_halsa", "aldre"], today=date(2026, 3, 1)
    )
    add_answers(app, 7, "Samma läkare", ["samverkan_kontinuitet"], today=date(2026, 9, 1))
    logged_in(client, staff_user("analyst"))

    rows = _csv(client, "&date_from=2026-06-01")

    assert rows[("answers", "all", "")]["count"] == "7"


def test_stored_answers_have_labels(app, coded_answers):
    with Session(get_engine_for(app)) as session:
        masks = session.exec(select(Response.label_mask)).all()
    assert all(masks)
