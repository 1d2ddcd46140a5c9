"""Classifier, predictions, explanations, training and versioned artefacts."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata as package_metadata
from pathlib import Path

import joblib
import numpy as np
from sklearn.pipeline import Pipeline

from analysis.classifier.corpus import (
    NLP_MODELS_DIR,
    clean_examples,
    corpus_hash,
    label_matrix,
    read_jsonl,
)
from analysis.classifier.model import (
    CalibratedLinearMultiLabel,
    CompiledFeatures,
    Settings,
    build_pipeline,
    choose_thresholds,
    cross_fitted_thresholds,
    cross_validate,
    make_folds,
)
from analysis.evaluation import evaluate
from analysis.labels import ALL_LABELS, DIMENSIONS, LABEL_DIMENSION
from analysis.text import FUNCTION_WORDS, analyse, has_letters, normalise, warm_up

ARTIFACTS_DIR = NLP_MODELS_DIR / "artifacts"
ARTIFACT_PREFIX = "viktigt-classifier-"
#: Version of the artefact layout; part of every model version string.
FORMAT_VERSION = 1
#: A label whose probability is this close to its threshold makes the answer "osäker".
UNCERTAINTY_MARGIN = 0.1
#: Decimals kept in scores (predictions are compared byte for byte).
SCORE_DECIMALS = 4
#: Folds of the cross-validation that picks thresholds and gives the CV figures.
CV_FOLDS = 5


class ModelNotFoundError(FileNotFoundError):
    """No classifier artefact where one was expected (run ``viktigt train``)."""


@dataclass(frozen=True)
class Prediction:
    """Labels per dimension, calibrated probability per label and the review flag."""

    labels: dict[str, list[str]]
    scores: dict[str, float]
    uncertain: bool
    uncertain_labels: list[str]


class Classifier:
    """A trained pipeline with per-label thresholds and its metadata."""

    def __init__(self, pipeline: Pipeline, thresholds: dict[str, float], metadata: dict) -> None:
        self.pipeline = pipeline
        self.thresholds = {label: float(thresholds[label]) for label in ALL_LABELS}
        self.metadata = metadata
        self.version: str = metadata["version"]
        self.uncertainty_margin = float(metadata.get("uncertainty_margin", UNCERTAINTY_MARGIN))
        self._threshold_vector = np.array([self.thresholds[label] for label in ALL_LABELS])
        self._features = CompiledFeatures(pipeline.named_steps["features"])
        self._model: CalibratedLinearMultiLabel = pipeline.named_steps["classifier"]
        self._explain_weights: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"Classifier(version={self.version!r})"

    def clear_caches(self) -> None:
        """Forget cached normalisations, tokenisations and per-word n-gram look-ups."""
        normalise.cache_clear()
        analyse.cache_clear()
        self._features.clear_cache()

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, shape (len(texts), len(ALL_LABELS)), rounded.

        A text without a single letter (empty, digits, emojis, punctuation) cannot say
        anything the codebook codes: all its probabilities are 0.
        """
        texts = [normalise(text) for text in texts]
        if not texts:
            return np.zeros((0, len(ALL_LABELS)))
        proba = self._model.predict_proba(self._features.transform(texts))
        proba[[not has_letters(text) for text in texts]] = 0.0
        return np.round(proba, SCORE_DECIMALS)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Predict every text; any input (empty, HTML, emojis, other languages) gives a result."""
        return self.predictions_from_proba(self.predict_proba(texts))

    def predict_one(self, text: str) -> Prediction:
        """Predict a single text."""
        return self.predict([text])[0]

    def predictions_from_proba(
        self, proba: np.ndarray, thresholds: np.ndarray | None = None
    ) -> list[Prediction]:
        """Apply thresholds (default: the model's; or one row per answer) and the margin."""
        thresholds = self._threshold_vector if thresholds is None else thresholds
        chosen = proba >= thresholds
        near = np.abs(proba - thresholds) < self.uncertainty_margin
        predictions = []
        for row, chosen_row, near_row in zip(proba.tolist(), chosen, near, strict=True):
            labels: dict[str, list[str]] = {dimension: [] for dimension in DIMENSIONS}
            for label, is_chosen in zip(ALL_LABELS, chosen_row, strict=True):
                if is_chosen:
                    labels[LABEL_DIMENSION[label]].append(label)
            uncertain_labels = [
                label for label, flag in zip(ALL_LABELS, near_row, strict=True) if flag
            ]
            predictions.append(
                Prediction(
                    labels=labels,
                    scores=dict(zip(ALL_LABELS, row, strict=True)),
                    uncertain=bool(uncertain_labels),
                    uncertain_labels=uncertain_labels,
                )
            )
        return predictions

    def explain(self, text: str, top_n: int = 5) -> dict[str, list[tuple[str, float]]]:
        """Words and phrases that pushed each predicted label, strongest first.

        Weights are contributions to the label's calibrated log-odds (only positive ones
        are listed); a phrase is a word or a two-word sequence of the normalised text.
        Phrases made only of function words ("och", "för", "min") are not listed.
        """
        prediction = self.predict_one(text)
        predicted = [label for labels in prediction.labels.values() for label in labels]
        if not predicted or top_n <= 0:
            return {}
        contributions = self._phrase_contributions(normalise(text))
        explanation = {}
        for label in predicted:
            column = ALL_LABELS.index(label)
            ranked = sorted(
                ((phrase, float(weights[column])) for phrase, weights in contributions.items()),
                key=lambda item: (-item[1], item[0]),
            )
            explanation[label] = [(phrase, round(w, 4)) for phrase, w in ranked[:top_n] if w > 0]
        return explanation

    def _phrase_contributions(self, text: str) -> dict[str, np.ndarray]:
        """Per phrase, its contribution to every label's calibrated log-odds.

        Lemma n-gram features are credited to the words they come from; character n-grams
        are shared among the whitespace-separated words that contain them.
        """
        features = self.pipeline.named_steps["features"]
        model = self._model
        if self._explain_weights is None:
            # calibrated log-odds = -(a * (x . w + c) + b): a feature adds -a * x_j * w_j
            self._explain_weights = model.coef_ * -model.sigmoid_a_
        weights = self._explain_weights
        row = self._features.transform([text])
        values = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
        totals: dict[str, np.ndarray] = {}

        def credit(phrase: str, amount: np.ndarray) -> None:
            phrase = phrase.strip(".,!?:;()'\"/%+-")
            if phrase and not FUNCTION_WORDS.issuperset(phrase.split()):
                totals[phrase] = totals.get(phrase, 0.0) + amount

        offset = 0
        for name, vectorizer in features.transformer_list:
            vocabulary = vectorizer.vocabulary_
            if name == "words":
                tokens = analyse(text)
                low, high = vectorizer.ngram_range
                seen: set[int] = set()
                for n in range(low, high + 1):
                    for i in range(len(tokens) - n + 1):
                        gram = " ".join(token.lemma for token in tokens[i : i + n])
                        index = vocabulary.get(gram)
                        if index is None or index in seen:
                            continue
                        seen.add(index)
                        last = tokens[i + n - 1]
                        phrase = text[tokens[i].start : last.start + len(last.text)]
                        credit(phrase, values.get(offset + index, 0.0) * weights[offset + index])
            else:
                analyzer = vectorizer.build_analyzer()
                words = text.split()
                grams_per_word = [analyzer(word) for word in words]
                occurrences: dict[str, int] = {}
                for grams in grams_per_word:
                    for gram in grams:
                        occurrences[gram] = occurrences.get(gram, 0) + 1
                for word, grams in zip(words, grams_per_word, strict=True):
                    amount = np.zeros(weights.shape[1])
                    for gram in grams:
                        index = vocabulary.get(gram)
                        if index is not None:
                            value = values.get(offset + index, 0.0)
                            amount += value * weights[offset + index] / occurrences[gram]
                    credit(word, amount)
            offset += len(vocabulary)
        return totals


def expected_calibration_error(Y: np.ndarray, proba: np.ndarray, bins: int = 10) -> float:
    """Mean |observed rate - mean probability| over 10 probability bins, weighted by size.

    Pools every coded (answer, label) pair; ``Y`` uses -1 for "not coded".
    """
    coded = Y >= 0
    truth, scores = Y[coded].astype(float), proba[coded]
    if not len(scores):
        return 0.0
    which = np.minimum((scores * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            error += members.sum() * abs(truth[members].mean() - scores[members].mean())
    return float(error / len(scores))


def _uncertainty_figures(examples: Sequence[dict], predictions: Sequence[Prediction]) -> dict:
    """Share of answers flagged uncertain, and how often flagged/unflagged ones have an error."""

    def wrong(example: dict, prediction: Prediction) -> bool:
        return any(
            set(example[dimension]) != set(prediction.labels[dimension])
            for dimension in DIMENSIONS
            if dimension in example
        )

    flagged = [wrong(e, p) for e, p in zip(examples, predictions, strict=True) if p.uncertain]
    certain = [wrong(e, p) for e, p in zip(examples, predictions, strict=True) if not p.uncertain]
    return {
        "uncertain_share": len(flagged) / max(1, len(predictions)),
        "error_rate_uncertain": float(np.mean(flagged)) if flagged else 0.0,
        "error_rate_certain": float(np.mean(certain)) if certain else 0.0,
    }


def _package_versions() -> dict[str, str]:
    versions = {}
    for name in ("scikit-learn", "spacy", "spacy-lookups-data", "numpy", "scipy"):
        try:
            versions[name] = package_metadata.version(name)
        except package_metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def train_classifier(
    corpus_paths: Sequence[Path],
    seed: int = 0,
    extra_examples: Sequence[dict] = (),
    *,
    settings: Settings | None = None,
    cv_folds: int = CV_FOLDS,
    n_jobs: int = 1,
) -> Classifier:
    """Train on the corpus files plus ``extra_examples`` (labelled dicts, codebook format).

    Thresholds are chosen on out-of-fold probabilities of a ``cv_folds``-fold
    cross-validation, whose figures are kept in ``metadata["cv"]`` (scored with thresholds
    chosen on the other folds); the final pipeline is fitted on everything. ``n_jobs``
    runs the fits in parallel processes. Same examples and seed give identical predictions,
    whatever ``n_jobs``.
    """
    started = time.perf_counter()
    settings = settings or Settings()
    paths = [Path(path) for path in corpus_paths]
    per_file = {path.name: read_jsonl(path) for path in paths}
    corpus_rows = [row for rows in per_file.values() for row in rows]
    examples = clean_examples([*corpus_rows, *extra_examples])
    if not examples:
        raise ValueError("no training examples")
    warm_up()
    texts = [example["text"] for example in examples]
    Y = label_matrix(examples)

    def make_model() -> Pipeline:
        return build_pipeline(settings, seed)

    folds = make_folds(texts, cv_folds, seed)
    oof, pipeline = cross_validate(texts, Y, make_model, folds, n_jobs=n_jobs)
    thresholds = dict(zip(ALL_LABELS, choose_thresholds(Y, oof).tolist(), strict=True))

    digest = corpus_hash(examples)
    metadata = {
        "version": f"{FORMAT_VERSION}.{digest[:10]}.s{seed}",
        "format": FORMAT_VERSION,
        "approach": settings.name,
        "settings": settings.as_dict(),
        "seed": seed,
        "corpus_hash": digest,
        "corpus_files": {name: len(rows) for name, rows in per_file.items()},
        "n_examples": len(examples),
        "n_extra_examples": len(extra_examples),
        "label_counts": {label: int((Y[:, j] == 1).sum()) for j, label in enumerate(ALL_LABELS)},
        "thresholds": thresholds,
        "uncertainty_margin": UNCERTAINTY_MARGIN,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "packages": _package_versions(),
    }
    classifier = Classifier(pipeline, thresholds, metadata)
    cv_predictions = classifier.predictions_from_proba(
        np.round(oof, SCORE_DECIMALS), cross_fitted_thresholds(Y, oof, folds)
    )
    metadata["cv"] = {
        "folds": cv_folds,
        "thresholds": "chosen on the other folds",
        "report": evaluate(examples, cv_predictions),
        **_uncertainty_figures(examples, cv_predictions),
        "expected_calibration_error": expected_calibration_error(Y, oof),
    }
    metadata["training_seconds"] = round(time.perf_counter() - started, 1)
    return classifier


def _artifact_paths(directory: Path, version: str) -> tuple[Path, Path]:
    stem = f"{ARTIFACT_PREFIX}{version}"
    return directory / f"{stem}.joblib", directory / f"{stem}.json"


def _write_atomically(path: Path, write) -> None:  # noqa: ANN001 - callable(file path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, 0o644)  # mkstemp creates 0600; the web app may run as another user
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_classifier(clf: Classifier, directory: Path | str = ARTIFACTS_DIR) -> Path:
    """Write ``viktigt-classifier-<version>.joblib`` and its ``.json`` metadata.

    Returns the path of the ``.joblib`` file. Files are replaced atomically, so a reader
    never sees half an artefact.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model_path, metadata_path = _artifact_paths(directory, clf.version)
    payload = {
        "format": FORMAT_VERSION,
        "pipeline": clf.pipeline,
        "thresholds": clf.thresholds,
        "metadata": clf.metadata,
    }
    _write_atomically(model_path, lambda target: joblib.dump(payload, target, compress=3))
    text = json.dumps(clf.metadata, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    _write_atomically(metadata_path, lambda target: Path(target).write_text(text, "utf-8"))
    return model_path


def newest_artifact(directory: Path | str = ARTIFACTS_DIR) -> Path:
    """The most recently written artefact in ``directory``."""
    candidates = sorted(
        Path(directory).glob(f"{ARTIFACT_PREFIX}*.joblib"),
        key=lambda path: (path.stat().st_mtime, path.name),
    )
    if not candidates:
        raise ModelNotFoundError(
            f"no {ARTIFACT_PREFIX}*.joblib in {directory}; train one with `viktigt train`"
        )
    return candidates[-1]


def load_classifier(path: Path | None = None) -> Classifier:
    """Load an artefact file; ``None`` (or a directory) means the newest artefact there.

    Raises :class:`ModelNotFoundError` when there is none.
    """
    path = Path(path) if path is not None else ARTIFACTS_DIR
    if path.is_dir():
        path = newest_artifact(path)
    if not path.is_file():
        raise ModelNotFoundError(f"classifier artefact {path} does not exist")
    payload = joblib.load(path)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_VERSION:
        raise ModelNotFoundError(f"{path} is not a format-{FORMAT_VERSION} classifier artefact")
    warm_up()
    return Classifier(payload["pipeline"], payload["thresholds"], payload["metadata"])
