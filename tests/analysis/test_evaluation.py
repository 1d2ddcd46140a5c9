"""Per-label and averaged precision/recall/F1."""

from __future__ import annotations

import pytest

from analysis.classifier import Prediction
from analysis.evaluation import evaluate, format_report
from analysis.labels import ALL_LABELS, DIMENSIONS


def prediction(*labels: str) -> Prediction:
    by_dimension = {d: [label for label in ls if label in labels] for d, ls in DIMENSIONS.items()}
    return Prediction(by_dimension, dict.fromkeys(ALL_LABELS, 0.0), False, [])


def test_counts_per_label_and_averages() -> None:
    rows = [
        {"text": "a", "target_groups": ["aldre"]},
        {"text": "b", "target_groups": ["aldre", "barn_unga"]},
        {"text": "c", "target_groups": []},
        {"text": "d", "target_groups": ["psykiatri_missbruk"]},
    ]
    predictions = [
        prediction("aldre"),
        prediction("aldre"),
        prediction("barn_unga"),
        prediction("psykiatri_missbruk"),
    ]
    report = evaluate(rows, predictions)["target_groups"]
    assert report["n"] == 4
    assert report["labels"]["aldre"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}
    assert report["labels"]["barn_unga"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 1,
    }
    assert report["macro_f1"] == pytest.approx(2 / 3)
    # micro: tp=3, fp=1, fn=1
    assert report["micro_precision"] == pytest.approx(0.75)
    assert report["micro_f1"] == pytest.approx(0.75)


def test_uncoded_dimensions_are_left_out() -> None:
    rows = [{"text": "a", "jonkoping-2030": ["framja_halsa"]}]
    report = evaluate(rows, [prediction("framja_halsa", "aldre")])
    assert report["jonkoping-2030"]["n"] == 1
    assert report["jonkoping-2030"]["labels"]["framja_halsa"]["f1"] == 1.0
    assert report["target_groups"]["n"] == 0
    assert report["target_groups"]["labels"]["aldre"]["support"] == 0


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError):
        evaluate([{"text": "a"}], [])


def test_report_lists_every_label_and_average() -> None:
    rows = [{"text": "a", **{d: [] for d in DIMENSIONS}}]
    text = format_report(evaluate(rows, [prediction()]))
    for dimension in DIMENSIONS:
        assert dimension in text
    for label in ALL_LABELS:
        assert label in text
    assert text.count("macro avg") == 3 and text.count("micro avg") == 3
    assert "precision" in text and "support" in text
