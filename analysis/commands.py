"""Click commands ``train``, ``predict`` and ``evaluate`` of the ``viktigt`` CLI.

Add them to a click group with :func:`register`; ``python -m analysis.commands`` runs them
without the web application.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from analysis.labels import DIMENSIONS

if TYPE_CHECKING:
    from analysis.classifier import Classifier, Prediction

BATCH_SIZE = 512

_model_option = click.option(
    "--model",
    "model_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Artefact file or directory (default: newest in nlp_models/artifacts/).",
)


def _load(model_path: Path | None) -> Classifier:
    from analysis.classifier import ModelNotFoundError, load_classifier

    try:
        return load_classifier(model_path)
    except ModelNotFoundError as error:
        raise click.ClickException(str(error)) from error


def read_objects(stream: IO[str]) -> Iterator[dict]:
    """JSON objects of a JSON Lines stream; blank lines are skipped."""
    name = getattr(stream, "name", "input")
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise click.ClickException(f"{name}:{number}: invalid JSON ({error.msg})") from error
        if not isinstance(row, dict):
            raise click.ClickException(f"{name}:{number}: expected a JSON object")
        yield row


def _batches(rows: Iterator[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def prediction_record(
    row_id: object,
    prediction: Prediction,
    explanation: dict[str, list[tuple[str, float]]] | None = None,
) -> dict:
    """The JSON object ``viktigt predict`` writes for one answer."""
    record: dict = {"id": row_id}
    record.update({dimension: prediction.labels[dimension] for dimension in DIMENSIONS})
    record["scores"] = prediction.scores
    if explanation is not None:
        record["uncertain"] = prediction.uncertain
        record["uncertain_labels"] = prediction.uncertain_labels
        record["explanation"] = {
            label: [list(item) for item in items] for label, items in explanation.items()
        }
    return record


@click.command("train")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--corpus",
    "corpus_paths",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Labelled JSONL file (repeatable; default: nlp_models/corpus/*.jsonl).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory of the artefact (default: nlp_models/artifacts/).",
)
@click.option(
    "--jobs",
    type=int,
    default=min(2, os.cpu_count() or 1),
    show_default=True,
    help="Parallel processes for the cross-validation fits.",
)
def train(seed: int, corpus_paths: tuple[Path, ...], out_dir: Path | None, jobs: int) -> None:
    """Train the classifier and write a versioned artefact."""
    from analysis.classifier import (
        ARTIFACTS_DIR,
        default_corpus_paths,
        save_classifier,
        train_classifier,
    )

    paths = list(corpus_paths) or default_corpus_paths()
    if not paths:
        raise click.ClickException("no corpus files (nlp_models/corpus/*.jsonl)")
    classifier = train_classifier(paths, seed=seed, n_jobs=jobs)
    path = save_classifier(classifier, out_dir or ARTIFACTS_DIR)
    metadata = classifier.metadata
    click.echo(f"wrote {path}")
    click.echo(
        f"version {classifier.version}: {metadata['n_examples']} examples, "
        f"{metadata['training_seconds']} s"
    )
    for dimension, figures in metadata["cv"]["report"].items():
        click.echo(
            f"  CV {dimension:<15} macro-F1 {figures['macro_f1']:.3f}  "
            f"micro-F1 {figures['micro_f1']:.3f}"
        )


@click.command("predict")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@_model_option
@click.option(
    "--details",
    is_flag=True,
    help="Also write uncertain, uncertain_labels and explanation for each answer.",
)
def predict(file: IO[str], model_path: Path | None, details: bool) -> None:
    """Classify JSON Lines {"id", "text"} from FILE ("-" for stdin), one JSON line out each."""
    classifier = _load(model_path)
    for batch in _batches(read_objects(file), BATCH_SIZE):
        predictions = classifier.predict([row.get("text") for row in batch])
        for row, prediction in zip(batch, predictions, strict=True):
            explanation = classifier.explain(row.get("text")) if details else None
            record = prediction_record(row.get("id"), prediction, explanation)
            click.echo(json.dumps(record, ensure_ascii=False))


@click.command("evaluate")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@_model_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def evaluate(file: IO[str], model_path: Path | None, as_json: bool) -> None:
    """Print precision/recall/F1/support per label and macro/micro F1 for a labelled file."""
    classifier = _load(model_path)
    gold = list(read_objects(file))
    from analysis.evaluation import evaluate as evaluate_predictions
    from analysis.evaluation import format_report

    report = evaluate_predictions(gold, classifier.predict([row.get("text") for row in gold]))
    if as_json:
        click.echo(json.dumps({"model": classifier.version, "report": report}, indent=2))
    else:
        click.echo(f"model {classifier.version}, {len(gold)} answers\n")
        click.echo(format_report(report), nl=False)


COMMANDS: tuple[click.Command, ...] = (train, predict, evaluate)


def register(cli_group: click.Group) -> None:
    """Add ``train``, ``predict`` and ``evaluate`` to ``cli_group``."""
    for command in COMMANDS:
        cli_group.add_command(command)


@click.group()
def main() -> None:
    """Viktigt free-text classifier (standalone entry point)."""


register(main)

if __name__ == "__main__":
    main(sys.argv[1:])
