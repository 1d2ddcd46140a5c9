"""The `viktigt train|predict|evaluate` command-line contract."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from analysis.classifier import save_classifier
from analysis.commands import main, register
from analysis.labels import ALL_LABELS, DIMENSIONS
from tests.analysis.test_classifier import (
    fixture_corpus_dir,
    fixture_rows,
    trained_model,
    write_corpus,
)

KEYS = ["id", "jonkoping-2030", "jamtland-2023", "target_groups", "scores"]


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = fixture_corpus_dir(tmp_path_factory)
    return save_classifier(trained_model(corpus), tmp_path_factory.mktemp("artifacts"))


def run(*args: str, stdin: str | None = None) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def lines(*rows: dict) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def test_predict_writes_one_line_per_answer(model_path: Path) -> None:
    rows = [
        {"id": 1, "text": "Kortare väntetider på vårdcentralen"},
        {"id": "b-2", "text": ""},
        {"id": None, "text": "<b>😀</b>"},
        {"id": [3], "text": "I want the same doctor"},
    ]
    result = run("predict", "--model", str(model_path), "-", stdin=lines(*rows) + "\n")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [record["id"] for record in records] == [row["id"] for row in rows]
    for record in records:
        assert list(record) == KEYS
        assert list(record["scores"]) == list(ALL_LABELS)
        for dimension, labels in DIMENSIONS.items():
            assert set(record[dimension]) <= set(labels)
    assert records[0]["jonkoping-2030"] == ["forandrade_arbetssatt"]
    assert records[1]["target_groups"] == []


def test_predict_reads_a_file_and_can_add_details(model_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "answers.jsonl"
    path.write_text(lines({"id": "x", "text": "Kortare väntetider för barnen"}), "utf-8")
    result = run("predict", "--model", str(model_path), "--details", str(path))
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert list(record) == [*KEYS, "uncertain", "uncertain_labels", "explanation"]
    assert set(record["explanation"]) == {
        label for dimension in DIMENSIONS for label in record[dimension]
    }


def test_predict_rejects_a_broken_line_with_its_number(model_path: Path) -> None:
    result = run(
        "predict", "--model", str(model_path), "-", stdin='{"id": 1, "text": "a"}\n{oops\n'
    )
    assert result.exit_code == 1
    assert ":2: invalid JSON" in result.output


def test_missing_model_says_how_to_get_one(tmp_path: Path) -> None:
    result = run("predict", "--model", str(tmp_path), "-", stdin=lines({"id": 1, "text": "a"}))
    assert result.exit_code == 1
    assert "viktigt train" in result.output


def test_evaluate_prints_figures_per_label_and_dimension(model_path: Path, tmp_path: Path) -> None:
    path = write_corpus(tmp_path, fixture_rows()[::7])
    result = run("evaluate", "--model", str(model_path), str(path))
    assert result.exit_code == 0, result.output
    for name in [*DIMENSIONS, *ALL_LABELS, "macro avg", "micro avg", "precision", "support"]:
        assert name in result.output
    as_json = json.loads(run("evaluate", "--model", str(model_path), "--json", str(path)).output)
    assert set(as_json["report"]) == set(DIMENSIONS)
    assert 0.0 <= as_json["report"]["target_groups"]["macro_f1"] <= 1.0


def test_train_writes_a_versioned_artefact(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path)
    out = tmp_path / "artifacts"
    result = run("train", "--corpus", str(corpus), "--out", str(out), "--jobs", "1")
    assert result.exit_code == 0, result.output
    [artefact] = out.glob("viktigt-classifier-*.joblib")
    metadata = json.loads(artefact.with_suffix(".json").read_text("utf-8"))
    assert metadata["seed"] == 0 and metadata["corpus_files"] == {
        "fixture.jsonl": len(fixture_rows())
    }
    assert f"wrote {artefact}" in result.output and "CV target_groups" in result.output


def test_register_adds_the_commands_to_a_group() -> None:
    group = click.Group("viktigt")
    register(group)
    assert {"train", "predict", "evaluate"} <= set(group.commands)
