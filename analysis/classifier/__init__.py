"""Multi-label classifier of free-text answers (codebook dimensions, see analysis.labels)."""

from analysis.classifier.core import (
    ARTIFACTS_DIR,
    Classifier,
    ModelNotFoundError,
    Prediction,
    load_classifier,
    newest_artifact,
    save_classifier,
    train_classifier,
)
from analysis.classifier.corpus import default_corpus_paths, read_jsonl

__all__ = [
    "ARTIFACTS_DIR",
    "Classifier",
    "ModelNotFoundError",
    "Prediction",
    "default_corpus_paths",
    "load_classifier",
    "newest_artifact",
    "read_jsonl",
    "save_classifier",
    "train_classifier",
]
