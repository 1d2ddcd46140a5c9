"""Reading labelled answers in the codebook's JSON Lines format."""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from analysis.labels import ALL_LABELS, DIMENSIONS, LABEL_DIMENSION
from analysis.text import normalise

#: nlp_models/ of the repository (corpus/ and artifacts/ live below it).
NLP_MODELS_DIR = Path(__file__).resolve().parents[2] / "nlp_models"
CORPUS_DIR = NLP_MODELS_DIR / "corpus"

#: Value in a label matrix for "this dimension was not coded for this answer".
NOT_CODED = -1


def default_corpus_paths() -> list[Path]:
    """The training corpus: ``nlp_models/corpus/*.jsonl``, sorted by name."""
    return sorted(CORPUS_DIR.glob("*.jsonl"))


def read_jsonl(path: Path | str) -> list[dict]:
    """Read one JSON object per line; blank lines are skipped.

    A last line without a newline that does not parse (a file being written) is skipped
    with a warning; any other invalid line raises ``ValueError`` naming file and line.
    """
    path = Path(path)
    raw = path.read_text(encoding="utf-8")
    lines = raw.split("\n")
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            if number == len(lines) and not raw.endswith("\n"):
                warnings.warn(f"{path}:{number}: incomplete last line skipped", stacklevel=2)
                continue
            raise ValueError(f"{path}:{number}: invalid JSON ({error.msg})") from error
        if not isinstance(row, dict):
            raise ValueError(f"{path}:{number}: expected a JSON object")
        rows.append(row)
    return rows


def read_corpus(paths: Sequence[Path | str]) -> list[dict]:
    """Read and concatenate labelled files in the given order."""
    return [row for path in paths for row in read_jsonl(path)]


def clean_examples(rows: Iterable[dict]) -> list[dict]:
    """Keep the text and the coded dimensions of each labelled row.

    Labels that are not in the codebook, or that sit in the wrong dimension, are dropped
    with a warning. Exact repeats (same normalised text, same labels) are kept once.
    """
    cleaned: list[dict] = []
    seen: set[str] = set()
    for row in rows:
        example: dict = {"text": "" if row.get("text") is None else str(row.get("text"))}
        for dimension, allowed in DIMENSIONS.items():
            if dimension not in row or row[dimension] is None:
                continue
            labels = row[dimension]
            if isinstance(labels, str):
                labels = [labels]
            kept = sorted({label for label in labels if label in allowed}, key=allowed.index)
            unknown = [label for label in labels if label not in allowed]
            if unknown:
                warnings.warn(
                    f"{row.get('id')}: labels {unknown} are not in {dimension}; dropped",
                    stacklevel=2,
                )
            example[dimension] = kept
        labels = {key: value for key, value in example.items() if key != "text"}
        key = json.dumps([normalise(example["text"]), labels], sort_keys=True)
        if key not in seen:
            seen.add(key)
            cleaned.append(example)
    return cleaned


def label_matrix(rows: Sequence[dict]) -> np.ndarray:
    """Rows x :data:`ALL_LABELS` matrix: 1 present, 0 absent, ``NOT_CODED`` (-1) not coded."""
    matrix = np.zeros((len(rows), len(ALL_LABELS)), dtype=np.int8)
    for i, row in enumerate(rows):
        for j, label in enumerate(ALL_LABELS):
            dimension = LABEL_DIMENSION[label]
            if dimension not in row or row[dimension] is None:
                matrix[i, j] = NOT_CODED
            else:
                matrix[i, j] = int(label in row[dimension])
    return matrix


def corpus_hash(rows: Sequence[dict]) -> str:
    """SHA-256 of the cleaned examples (text and labels, in order)."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
