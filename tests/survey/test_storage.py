"""Storing answers: complete, once, and nothing but the answers. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import inspect, select
from sqlmodel import Session

from survey.db import get_engine_for
from survey.models import LikertAnswer, Response
from tests.conftest import BOTH_DATABASES, FULL_ANSWER


def _rows(app):  # type: ignore[no-untyped-def]
    with Session(get_engine_for(app)) as session:
        responses = session.exec(select(Response)).scalars().all()
        likert = session.exec(select(LikertAnswer)).scalars().all()
    return responses, likert


@BOTH_DATABASES
def test_full_submission_is_stored_with_every_field(app, respondent):
    response = respondent.submit(FULL_ANSWER)

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/jonkoping-2030/tack")
    (stored,), likert = _rows(app)
    assert stored.survey_id == "jonkoping-2030"
    assert stored.free_text == FULL_ANSWER["free_text"]
    assert stored.on_behalf_of_other is True
    assert stored.age_group == "80-89"
    assert stored.municipality == "vetlanda"
    assert stored.gender == "vill-inte-svara"
    assert stored.services == ["hemtjanst", "vardcentral"]
    assert stored.language == "sv"
    assert stored.mode == "web"
    assert stored.submitted_on == datetime.now(UTC).date()
    assert stored.has_free_text is True
    assert stored.likert_codes == "42n5"
    assert {(row.statement_id, row.value) for row in likert} == {
        ("framja_halsa", 4),
        ("samverkan_kontinuitet", 2),
        ("forandrade_arbetssatt", None),  # "Vet inte" is missing, not a sixth step
        ("starkta_forutsattningar", 5),
    }


@BOTH_DATABASES
def test_no_request_data_other_than_the_answers_reaches_the_database(app, client, respondent):
    hidden = respondent.open_form()
    client.post(
        respondent.url,
        data={**hidden, **FULL_ANSWER},
        headers={"User-Agent": "Spy/1.0 (unique-agent)", "X-Forwarded-For": "203.0.113.7"},
        environ_base={"REMOTE_ADDR": "198.51.100.23"},
    )
    columns = {column["name"] for column in inspect(get_engine_for(app)).get_columns("response")}
    assert columns == {
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
        "label_mask",
        "has_free_text",
        "likert_codes",
    }
    (stored,), _ = _rows(app)
    values = " ".join(str(getattr(stored, name)) for name in columns)
    for leaked in ("198.51.100.23", "203.0.113.7", "Spy/1.0", "unique-agent"):
        assert leaked not in values
    assert ":" not in str(stored.submitted_on)  # a date, never a time of day


@BOTH_DATABASES
def test_double_submit_stores_one_answer_and_thanks_twice(app, respondent):
    hidden = respondent.open_form()

    first = respondent.submit(FULL_ANSWER, hidden)
    second = respondent.submit(FULL_ANSWER, hidden)

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    responses, likert = _rows(app)
    assert len(responses) == 1
    assert len(likert) == 4


@BOTH_DATABASES
def test_resubmitting_a_form_with_other_answers_explains_and_keeps_the_text(app, respondent):
    hidden = respondent.open_form()
    respondent.submit(FULL_ANSWER, hidden)

    changed = {**FULL_ANSWER, "free_text": "Jag ändrade mig: mer personal i hemtjänsten."}
    response = respondent.submit(changed, hidden)

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "redan skickat" in page
    assert "Jag ändrade mig: mer personal i hemtjänsten." in page
    responses, _ = _rows(app)
    assert len(responses) == 1


@BOTH_DATABASES
def test_concurrent_double_clicks_store_one_answer(app, client, respondent):
    """Six identical posts at once (a nervous double click, a resent form): one row."""
    form = {**respondent.open_form(), **FULL_ANSWER}
    with client.session_transaction() as browser_session:
        cookie_session = dict(browser_session)
    clients = [app.test_client() for _ in range(6)]
    for other in clients:
        with other.session_transaction() as session:
            session.update(cookie_session)
    statuses: list[int] = []

    def post(other) -> None:  # type: ignore[no-untyped-def]
        statuses.append(other.post(respondent.url, data=form).status_code)

    threads = [threading.Thread(target=post, args=(other,)) for other in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [303] * len(clients)
    responses, _ = _rows(app)
    assert len(responses) == 1


@BOTH_DATABASES
def test_healthz_reports_the_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


@BOTH_DATABASES
def test_failed_classification_stores_nothing(app, client, respondent, monkeypatch):
    """A submission is stored completely or not at all."""
    from survey.respondent import views

    def explode(_session, _response):  # type: ignore[no-untyped-def]
        raise RuntimeError("classifier broke")

    class Broken:
        redacted = None

        def after_store(self):  # type: ignore[no-untyped-def]
            return explode

    monkeypatch.setattr(views, "prepare_text", lambda _text: Broken())
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.testing = False

    response = respondent.submit(FULL_ANSWER)

    assert response.status_code == 500
    assert "inte sparats" in response.get_data(as_text=True)
    responses, likert = _rows(app)
    assert responses == [] and likert == []


@BOTH_DATABASES
def test_free_text_is_stored_with_its_redacted_version(app, respondent):
    text = "Jag heter Lena Holm, 19800101-1234, ring 070-765 43 21. Vill ha samma läkare."

    respondent.submit({"free_text": text})

    (stored,), _ = _rows(app)
    assert stored.free_text == text  # the original, until the survey's retention runs out
    assert stored.redacted_text == (
        "Jag heter [NAMN], [PERSONNUMMER], ring [TELEFON]. Vill ha samma läkare."
    )
