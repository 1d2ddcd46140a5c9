"""Behaviour of the trained classifier: contract, determinism, artefacts, robustness."""

from __future__ import annotations

import json
import os
import warnings
from functools import cache
from itertools import product
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

import analysis.classifier.core as core
from analysis.classifier import (
    Classifier,
    ModelNotFoundError,
    Prediction,
    load_classifier,
    save_classifier,
    train_classifier,
)
from analysis.classifier.corpus import clean_examples, label_matrix, read_jsonl
from analysis.classifier.model import (
    CalibratedLinearMultiLabel,
    CompiledFeatures,
    Settings,
    build_features,
)
from analysis.labels import ALL_LABELS, DIMENSIONS, LABEL_DIMENSION

# A small synthetic corpus: every strategy phrase with every target-group phrase.
STRATEGIES = {
    ("framja_halsa", "halsoframjande"): [
        "fler aktiviteter så man inte blir ensam",
        "hjälp att sluta röka innan det är för sent",
        "mer motion och bättre mat",
    ],
    ("samverkan_kontinuitet", "kontinuitet"): [
        "samma läkare varje gång",
        "en fast kontakt som känner mig",
        "slippa berätta allt från början",
    ],
    ("samverkan_kontinuitet", "delaktighet"): [
        "att bli lyssnad på och tagen på allvar",
        "få vara med och bestämma om min vård",
    ],
    ("forandrade_arbetssatt", "tillganglighet"): [
        "kortare väntetider",
        "att man kommer fram på telefon",
        "videosamtal istället för att åka tio mil",
    ],
    ("starkta_forutsattningar", "samordning_samverkan"): [
        "mer personal som hinner",
        "personalen behöver mer utbildning",
        "för mycket stress och för lite folk",
    ],
}
GROUPS = {
    "barn_unga": ["för barnen i skolan", "för oss ungdomar"],
    "psykiatri_missbruk": ["på psykiatrin", "för oss med depression"],
    "aldre": ["i hemtjänsten", "för oss pensionärer"],
    None: ["", "på vårdcentralen"],
}
NOTHING = ["vet ej", "inget", "bra enkät", "sänk skatten", "nej", "ingen kommentar"]


def fixture_rows() -> list[dict]:
    """Labelled rows in the codebook format (about 100)."""
    rows = []
    for (strategies, phrases), (group, endings) in product(STRATEGIES.items(), GROUPS.items()):
        for phrase, ending in product(phrases, endings):
            rows.append(
                {
                    "id": f"fixture-{len(rows):04d}",
                    "text": f"{phrase} {ending}".strip().capitalize(),
                    "jonkoping-2030": [strategies[0]],
                    "jamtland-2023": [strategies[1]],
                    "target_groups": [group] if group else [],
                }
            )
    for text in NOTHING:
        rows.append(
            {"id": f"fixture-{len(rows):04d}", "text": text}
            | {dimension: [] for dimension in DIMENSIONS}
        )
    return rows


def write_corpus(directory: Path, rows: list[dict] | None = None) -> Path:
    """Write ``rows`` (default: the fixture corpus) as a JSONL file in ``directory``."""
    path = directory / "fixture.jsonl"
    lines = [json.dumps(row, ensure_ascii=False) for row in rows or fixture_rows()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@cache
def trained_model(directory: Path) -> Classifier:
    """Train on the fixture corpus once per test session (shared with test_commands)."""
    return train_classifier([write_corpus(directory)], seed=0, cv_folds=3)


def fixture_corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory per test session for the fixture corpus (keys the training cache)."""
    directory = tmp_path_factory.getbasetemp() / "fixture-corpus"
    directory.mkdir(exist_ok=True)
    return directory


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fixture_corpus_dir(tmp_path_factory)


@pytest.fixture(scope="session")
def classifier(corpus_dir: Path) -> Classifier:
    return trained_model(corpus_dir)


ODD_INPUTS = [
    "",
    "   \n\t ",
    "a" * 5000,
    "Samma läkare varje gång. " * 400,
    "😀🙏🏽👍" * 50,
    "<script>alert('x')</script><b>Kortare&nbsp;väntetider</b>",
    "1234567890",
    "0046-70 123 45 67",
    "I want the same doctor every time",
    "أريد طبيباً يتحدث العربية",
    "我需要医生",
    "\x00\x07\u200b\ufeff",
    "\ud800 lone surrogate",
    "KORTARE VÄNTETIDER!!!!!!!!",
    None,
    12345,
]


def assert_valid(prediction: Prediction, classifier: Classifier) -> None:
    assert set(prediction.labels) == set(DIMENSIONS)
    for dimension, labels in prediction.labels.items():
        assert set(labels) <= set(DIMENSIONS[dimension])
        assert labels == [label for label in DIMENSIONS[dimension] if label in labels]
    assert list(prediction.scores) == list(ALL_LABELS)
    assert all(0.0 <= score <= 1.0 for score in prediction.scores.values())
    for label, score in prediction.scores.items():
        chosen = label in prediction.labels[LABEL_DIMENSION[label]]
        assert chosen == (score >= classifier.thresholds[label])
    assert prediction.uncertain == bool(prediction.uncertain_labels)
    json.dumps(prediction.__dict__)


def test_obvious_answers_get_their_labels(classifier: Classifier) -> None:
    waiting = classifier.predict_one("Kortare väntetider på vårdcentralen")
    assert waiting.labels["jonkoping-2030"] == ["forandrade_arbetssatt"]
    assert waiting.labels["jamtland-2023"] == ["tillganglighet"]
    elderly = classifier.predict_one("Samma läkare varje gång för oss pensionärer")
    assert "samverkan_kontinuitet" in elderly.labels["jonkoping-2030"]
    assert elderly.labels["target_groups"] == ["aldre"]
    assert classifier.predict_one("vet ej").labels == {d: [] for d in DIMENSIONS}


def test_batch_and_single_predictions_agree(classifier: Classifier) -> None:
    texts = ["Kortare väntetider", "mer personal i hemtjänsten", "", "vet ej"]
    assert classifier.predict(texts) == [classifier.predict_one(text) for text in texts]
    assert classifier.predict([]) == []


@pytest.mark.parametrize("text", ODD_INPUTS, ids=range(len(ODD_INPUTS)))
def test_anything_a_citizen_types_gives_a_result(classifier: Classifier, text: object) -> None:
    prediction = classifier.predict_one(text)  # type: ignore[arg-type]
    assert_valid(prediction, classifier)
    explanation = classifier.explain(text)  # type: ignore[arg-type]
    predicted = {label for labels in prediction.labels.values() for label in labels}
    assert set(explanation) <= predicted


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=300))
def test_any_text_gives_a_valid_prediction(classifier: Classifier, text: str) -> None:
    assert_valid(classifier.predict_one(text), classifier)
    classifier.explain(text, top_n=3)


def test_text_without_content_gets_no_label(classifier: Classifier) -> None:
    for text in ["", "   ", "😀😀", "<br/>", "1234"]:
        assert classifier.predict_one(text).labels == {d: [] for d in DIMENSIONS}


def test_explanation_names_the_words_that_pushed_each_label(classifier: Classifier) -> None:
    text = "Kortare väntetider för barnen i skolan"
    prediction = classifier.predict_one(text)
    explanation = classifier.explain(text, top_n=3)
    predicted = {label for labels in prediction.labels.values() for label in labels}
    assert set(explanation) == predicted
    assert any("väntetider" in phrase for phrase, _ in explanation["forandrade_arbetssatt"])
    for items in explanation.values():
        assert 1 <= len(items) <= 3
        weights = [weight for _, weight in items]
        assert weights == sorted(weights, reverse=True) and all(w > 0 for w in weights)
        assert all(phrase not in {"och", "för", "i"} for phrase, _ in items)
    assert classifier.explain("vet ej") == {}


def test_uncertain_when_a_score_is_near_its_threshold(classifier: Classifier) -> None:
    thresholds = np.array([classifier.thresholds[label] for label in ALL_LABELS])
    far = np.where(thresholds > 0.5, 0.0, 1.0)
    near = far.copy()
    near[2] = thresholds[2] + classifier.uncertainty_margin / 2
    confident, unsure = classifier.predictions_from_proba(np.vstack([far, near]))
    assert not confident.uncertain and confident.uncertain_labels == []
    assert unsure.uncertain and unsure.uncertain_labels == [ALL_LABELS[2]]


def test_same_corpus_and_seed_give_identical_predictions(corpus_dir: Path) -> None:
    texts = ["Kortare väntetider", "Samma personal i hemtjänsten", "vet ej", "x" * 300]
    first = trained_model(corpus_dir)
    again = train_classifier([write_corpus(corpus_dir)], seed=0, cv_folds=3, n_jobs=2)
    dump = [json.dumps(p.__dict__, sort_keys=True) for p in first.predict(texts)]
    assert dump == [json.dumps(p.__dict__, sort_keys=True) for p in again.predict(texts)]
    assert first.version == again.version
    assert first.thresholds == again.thresholds


def test_artefact_round_trip(classifier: Classifier, tmp_path: Path) -> None:
    path = save_classifier(classifier, tmp_path)
    assert path.name == f"viktigt-classifier-{classifier.version}.joblib"
    metadata = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    for key in ("version", "corpus_hash", "seed", "thresholds", "cv", "settings"):
        assert key in metadata
    assert set(metadata["thresholds"]) == set(ALL_LABELS)
    assert set(metadata["cv"]["report"]) == set(DIMENSIONS)
    loaded = load_classifier(path)
    texts = ["Kortare väntetider", "mer personal", ""]
    assert loaded.version == classifier.version
    assert loaded.predict(texts) == classifier.predict(texts)
    assert loaded.explain(texts[0]) == classifier.explain(texts[0])
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp")] == []
    assert path.stat().st_mode & 0o044 == 0o044  # readable by the web app's user


def test_load_picks_the_newest_artefact(
    classifier: Classifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    metadata = {**classifier.metadata, "version": "0.older"}
    older = save_classifier(
        Classifier(classifier.pipeline, classifier.thresholds, metadata), tmp_path
    )
    save_classifier(classifier, tmp_path)
    os.utime(older, (1_000_000_000, 1_000_000_000))
    monkeypatch.setattr(core, "ARTIFACTS_DIR", tmp_path)
    assert load_classifier().version == classifier.version
    assert load_classifier(tmp_path).version == classifier.version
    assert load_classifier(older).version == "0.older"


def test_missing_artefact_raises_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="viktigt train"):
        load_classifier(tmp_path)
    with pytest.raises(FileNotFoundError):
        load_classifier(tmp_path / "nope.joblib")


def test_extra_examples_are_learned_and_change_the_version(corpus_dir: Path) -> None:
    extra = [
        {
            "text": f"parkeringen vid sjukhuset är dyr {i}",
            "jonkoping-2030": [],
            "target_groups": ["aldre"],
        }
        for i in range(6)
    ]  # jamtland-2023 not coded: those labels ignore these rows
    base = trained_model(corpus_dir)
    extended = train_classifier([write_corpus(corpus_dir)], extra_examples=extra, cv_folds=3)
    assert extended.version != base.version
    assert extended.metadata["n_extra_examples"] == 6
    assert (
        "aldre" in extended.predict_one("parkeringen vid sjukhuset är dyr").labels["target_groups"]
    )


def test_corpus_reading_tolerates_a_line_being_written(tmp_path: Path) -> None:
    path = write_corpus(tmp_path, fixture_rows()[:3])
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "half", "text": "Kortare vän')
    with pytest.warns(UserWarning, match="incomplete last line"):
        assert len(read_jsonl(path)) == 3
    path.write_text('{"text": "a"}\nnot json\n{"text": "b"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=":2: invalid JSON"):
        read_jsonl(path)


def test_unknown_labels_and_repeats_are_cleaned() -> None:
    rows = [
        {"text": "Kortare väntetider", "jonkoping-2030": ["forandrade_arbetssatt", "typo"]},
        {"text": "kortare  VÄNTETIDER", "jonkoping-2030": ["forandrade_arbetssatt"]},
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cleaned = clean_examples(rows)
    assert any("typo" in str(w.message) for w in caught)
    assert cleaned == [{"text": "Kortare väntetider", "jonkoping-2030": ["forandrade_arbetssatt"]}]
    matrix = label_matrix(cleaned)
    assert matrix[0, ALL_LABELS.index("forandrade_arbetssatt")] == 1
    assert matrix[0, ALL_LABELS.index("aldre")] == -1


def test_compiled_probabilities_equal_sklearn_calibration() -> None:
    rows = fixture_rows()
    texts = [row["text"] for row in rows]
    y = label_matrix(rows)[:, ALL_LABELS.index("aldre")]
    X = build_features(Settings()).fit_transform(texts)
    base = LogisticRegression(C=4.0, solver="liblinear", dual=True, random_state=0)
    compiled = CalibratedLinearMultiLabel(base, calibration_folds=3).fit(X, y[:, None])
    reference = CalibratedClassifierCV(
        base, cv=StratifiedKFold(3, shuffle=True, random_state=0), ensemble=False
    ).fit(X, y)
    np.testing.assert_allclose(
        compiled.predict_proba(X)[:, 0], reference.predict_proba(X)[:, 1], atol=1e-9
    )


def test_fast_features_equal_the_pipeline_features(classifier: Classifier) -> None:
    union = classifier.pipeline.named_steps["features"]
    texts = [row["text"] for row in fixture_rows()] + ["okända ord helt och hållet", "", "😀"]
    fast = CompiledFeatures(union).transform(texts)
    np.testing.assert_allclose(fast.toarray(), union.transform(texts).toarray(), atol=1e-12)
    with_letters = texts[:-2]
    np.testing.assert_allclose(
        classifier.predict_proba(with_letters),
        classifier.pipeline.predict_proba(with_letters),
        atol=1e-4,
    )
