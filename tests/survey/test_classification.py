"""Stored answers carry their coding: labels, probabilities and model version."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from survey.db import get_engine_for
from survey.models import Classification, Response, ResponseLabel
from tests.conftest import BOTH_DATABASES, FULL_ANSWER


@dataclass(frozen=True)
class FakeCoding:
    labels: dict[str, list[str]]
    scores: dict[str, float]
    uncertain: bool = False
    uncertain_labels: list[str] = field(default_factory=list)


class FakeClassifier:
    """Codes everything about "läkare" as continuity; stands in for a trained model."""

    def __init__(self, version: str = "test-1") -> None:
        self.version = version

    def predict_one(self, text: str) -> FakeCoding:
        continuity = "läkare" in text
        return FakeCoding(
            labels={
                "jonkoping-2030": ["samverkan_kontinuitet"] if continuity else [],
                "jamtland-2023": ["kontinuitet"] if continuity else [],
                "target_groups": [],
            },
            scores={"samverkan_kontinuitet": 0.91 if continuity else 0.1, "aldre": 0.52},
            uncertain=not continuity,
        )

    def predict(self, texts):  # type: ignore[no-untyped-def]
        return [self.predict_one(text) for text in texts]


class FakeHolder:
    def __init__(self, classifier: FakeClassifier) -> None:
        self.classifier = classifier

    def get(self) -> FakeClassifier:
        return self.classifier


def _use(app, classifier: FakeClassifier) -> None:  # type: ignore[no-untyped-def]
    app.config["CLASSIFY_ON_SUBMIT"] = True
    app.extensions["viktigt.classifier"] = FakeHolder(classifier)


@BOTH_DATABASES
def test_a_stored_submission_carries_its_predictions(app, respondent):
    _use(app, FakeClassifier())

    assert respondent.submit(FULL_ANSWER).status_code == 303

    with Session(get_engine_for(app)) as session:
        response = session.exec(select(Response)).one()
        coding = session.get(Classification, response.id)
        labels = session.exec(select(ResponseLabel.dimension, ResponseLabel.label)).all()
    assert coding.model_version == "test-1"
    assert coding.scores == {"samverkan_kontinuitet": 0.91, "aldre": 0.52}
    assert coding.uncertain is False
    assert sorted(labels) == [
        ("jamtland-2023", "kontinuitet"),
        ("jonkoping-2030", "samverkan_kontinuitet"),
    ]


def test_an_answer_without_free_text_is_not_coded(app, respondent):
    _use(app, FakeClassifier())

    respondent.submit({**FULL_ANSWER, "free_text": ""})

    with Session(get_engine_for(app)) as session:
        assert session.exec(select(Classification)).all() == []


def test_without_a_model_answers_are_still_stored(app, respondent, tmp_path):
    from survey.classification import ClassifierHolder

    app.config["CLASSIFY_ON_SUBMIT"] = True
    app.extensions["viktigt.classifier"] = ClassifierHolder(str(tmp_path / "missing"))

    assert respondent.submit(FULL_ANSWER).status_code == 303

    with Session(get_engine_for(app)) as session:
        assert len(session.exec(select(Response)).all()) == 1


@BOTH_DATABASES
def test_reclassify_recodes_stored_answers_with_a_new_model(
    app, respondent, runner_env, monkeypatch
):
    _use(app, FakeClassifier("old"))
    respondent.submit(FULL_ANSWER)
    respondent.submit({**FULL_ANSWER, "free_text": "Mer personal."})
    import analysis.classifier

    monkeypatch.setattr(
        analysis.classifier, "load_classifier", lambda _path=None: FakeClassifier("new")
    )

    result = app.test_cli_runner().invoke(args=["reclassify"], env=runner_env)

    assert result.exit_code == 0, result.output
    assert "Coded 2 answers with model new" in result.output
    with Session(get_engine_for(app)) as session:
        versions = session.exec(select(Classification.model_version)).all()
        flagged = session.exec(select(Classification).where(Classification.uncertain)).all()
    assert versions == ["new", "new"]
    assert len(flagged) == 1  # "Mer personal." is "osäker" for the fake model
    again = app.test_cli_runner().invoke(args=["reclassify"], env=runner_env)
    assert "Coded 0 answers" in again.output


@BOTH_DATABASES
def test_a_review_overrides_the_model_and_survives_reclassification(app, respondent):
    from survey.operations import LABEL_BIT, record_classification, record_review

    _use(app, FakeClassifier())
    respondent.submit(FULL_ANSWER)
    with Session(get_engine_for(app)) as session:
        response_id = session.exec(select(Response.id)).one()
        record_review(
            session=session,
            response_id=response_id,
            dimension="target_groups",
            labels=["aldre"],
            reviewer_id=None,
        )
        record_classification(
            session=session,
            response_id=response_id,
            coding=FakeClassifier("v2").predict_one("läkare"),
            model_version="v2",
        )
        session.commit()
        rows = session.exec(select(ResponseLabel.label, ResponseLabel.source)).all()
        mask = session.exec(select(Response.label_mask)).one()
    assert sorted(rows) == [
        ("aldre", "review"),
        ("kontinuitet", "model"),
        ("samverkan_kontinuitet", "model"),
    ]
    expected = {"aldre", "kontinuitet", "samverkan_kontinuitet"}
    assert mask == sum(1 << LABEL_BIT[label] for label in expected)
