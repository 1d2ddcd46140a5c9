"""Review of codes by analysts, and paper questionnaires typed in by staff."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from survey.db import get_engine_for
from survey.models import AuditEvent, LabelReview, Response
from survey.operations import reviewed_examples
from tests.conftest import FULL_ANSWER
from tests.survey.staff.conftest import csrf_token
from tests.survey.staff.test_summary import add_answers


def test_an_analyst_corrects_codes_and_they_take_precedence(client, app, staff_user, logged_in):
    (response_id,) = add_answers(
        app, 1, "Jag heter Per Olsson och vill träffa samma läkare", ["forandrade_arbetssatt"]
    )
    analyst = staff_user("analyst")
    logged_in(client, analyst)
    url = f"/personal/granska/{response_id}"

    page = client.get(url).get_data(as_text=True)
    assert "[NAMN]" in page and "Per Olsson" not in page
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(page),
            "jonkoping_2030": ["samverkan_kontinuitet"],
            "jamtland_2023": ["kontinuitet"],
        },
    )

    assert response.status_code == 303
    with Session(get_engine_for(app)) as session:
        reviews = session.exec(select(LabelReview)).all()
        audit = session.exec(select(AuditEvent).where(AuditEvent.event == "review")).all()
    assert {review.dimension: review.labels for review in reviews} == {
        "jonkoping-2030": ["samverkan_kontinuitet"],
        "jamtland-2023": ["kontinuitet"],
        "target_groups": [],
    }
    assert all(review.reviewer_id == analyst.id for review in reviews)
    assert len(audit) == 1 and "Per" not in str(audit[0].detail)


def test_corrections_become_training_examples(app):
    from survey.operations import record_review

    (response_id,) = add_answers(app, 1, "Samma distriktssköterska", ["forandrade_arbetssatt"])
    with Session(get_engine_for(app)) as session:
        record_review(
            session=session,
            response_id=response_id,
            dimension="jonkoping-2030",
            labels=["samverkan_kontinuitet"],
            reviewer_id=None,
        )
        session.commit()
        examples = reviewed_examples(session=session)

    assert examples == [
        {
            "id": f"review-{response_id}",
            "text": "Samma distriktssköterska",
            "jonkoping-2030": ["samverkan_kontinuitet"],  # the person's correction
            "jamtland-2023": [],  # not reviewed: the model's labels
            "target_groups": [],
        }
    ]


def test_a_strategy_group_member_cannot_review(client, app, staff_user, logged_in):
    (response_id,) = add_answers(app, 1, "Mer personal", ["starkta_forutsattningar", "aldre"])
    logged_in(client, staff_user("strategy_group", ("aldre",)))

    assert client.get(f"/personal/granska/{response_id}").status_code == 403
    assert client.get("/personal/granska").status_code == 403


def test_the_review_list_shows_uncertain_answers_redacted(client, app, staff_user, logged_in):
    add_answers(app, 2, "Ring mig på 0701234567 om tider", ["forandrade_arbetssatt"])
    logged_in(client, staff_user("analyst"))

    page = client.get("/personal/granska?alla=1").get_data(as_text=True)

    assert "[TELEFON]" in page and "0701234567" not in page


def test_paper_entry_stores_mode_paper(client, app, staff_user, logged_in):
    logged_in(client, staff_user("analyst"))
    url = "/personal/papper/jonkoping-2030"
    page = client.get(url).get_data(as_text=True)
    hidden = dict(re.findall(r'name="(csrf_token|submission_id)"[^>]*value="([^"]+)"', page))

    response = client.post(url, data={**hidden, **FULL_ANSWER})

    assert response.status_code == 303
    with Session(get_engine_for(app)) as session:
        stored = session.exec(select(Response)).one()
        audit = session.exec(select(AuditEvent).where(AuditEvent.event == "paper_entry")).all()
    assert stored.mode == "paper"
    assert stored.free_text == FULL_ANSWER["free_text"]
    assert len(audit) == 1


def test_paper_entry_is_staff_only(client, staff_user, logged_in):
    assert client.get("/personal/papper/jonkoping-2030").status_code in (302, 303)
    logged_in(client, staff_user("researcher"))
    assert client.get("/personal/papper/jonkoping-2030").status_code == 403


def test_viktigt_train_learns_from_corrections(app, runner_env, monkeypatch, tmp_path):
    import analysis.classifier as classifier_module
    from survey.operations import record_review

    (response_id,) = add_answers(app, 1, "Samma sköterska varje gång", ["forandrade_arbetssatt"])
    with Session(get_engine_for(app)) as session:
        record_review(
            session=session,
            response_id=response_id,
            dimension="jonkoping-2030",
            labels=["samverkan_kontinuitet"],
            reviewer_id=None,
        )
        session.commit()
    seen: dict[str, object] = {}

    class Trained:
        version = "test"
        metadata = {"n_examples": 1}

    def fake_train(paths, seed=0, extra_examples=(), **_kwargs):  # type: ignore[no-untyped-def]
        seen["extra"] = list(extra_examples)
        return Trained()

    monkeypatch.setattr(classifier_module, "train_classifier", fake_train)
    monkeypatch.setattr(classifier_module, "save_classifier", lambda clf, d: tmp_path / "m")

    result = app.test_cli_runner().invoke(args=["train"], env=runner_env)

    assert result.exit_code == 0, result.output
    assert "of which 1 reviewed by people" in result.output
    assert seen["extra"][0]["jonkoping-2030"] == ["samverkan_kontinuitet"]
