"""Compare approaches by cross-validation on the training corpus (never on the dev set).

Run ``python -m analysis.classifier.compare [--jobs 2] [--out FILE.json]``. Every approach is
scored on the same folds, with thresholds chosen on the other folds' out-of-fold
probabilities, so the figures are comparable with the CV figures of ``viktigt train``.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from analysis.classifier.core import SCORE_DECIMALS, Prediction
from analysis.classifier.corpus import (
    NOT_CODED,
    clean_examples,
    default_corpus_paths,
    label_matrix,
    read_corpus,
)
from analysis.classifier.model import (
    Settings,
    build_pipeline,
    cross_fitted_thresholds,
    cross_validate,
    make_folds,
)
from analysis.evaluation import evaluate
from analysis.labels import ALL_LABELS, DIMENSIONS, LABEL_DIMENSION
from analysis.text import normalise

#: Stand-in for an empty text (TextCatBOW's n-gram layer fails on documents without tokens).
EMPTY = "tomt"


class SpacyTextcat:
    """spaCy ``textcat_multilabel`` on ``spacy.blank("sv")``, with the fit/predict_proba API.

    ``architecture`` is ``"bow"`` (TextCatBOW, unigrams + bigrams) or ``"ensemble"``
    (spaCy's default: a small tok2vec CNN plus BOW). Trained from scratch on the same texts;
    no pretrained vectors.
    """

    def __init__(self, architecture: str = "bow", epochs: int = 12, seed: int = 0) -> None:
        self.architecture = architecture
        self.epochs = epochs
        self.seed = seed

    def _config(self) -> dict:
        bow = {
            "@architectures": "spacy.TextCatBOW.v3",
            "exclusive_classes": False,
            "ngram_size": 2,
            "no_output_layer": False,
            "length": 262144,
        }
        if self.architecture == "bow":
            return {"model": bow}
        from spacy.pipeline.textcat_multilabel import DEFAULT_MULTI_TEXTCAT_MODEL

        return {"model": DEFAULT_MULTI_TEXTCAT_MODEL}

    def fit(self, texts: Sequence[str], Y: np.ndarray) -> SpacyTextcat:
        """Train for ``epochs`` passes over shuffled minibatches."""
        import spacy
        from spacy.training import Example
        from spacy.util import minibatch

        spacy.util.fix_random_seed(self.seed)
        self.nlp_ = spacy.blank("sv")
        textcat = self.nlp_.add_pipe("textcat_multilabel", config=self._config())
        for label in ALL_LABELS:
            textcat.add_label(label)
        examples = []
        for text, row in zip(texts, Y, strict=True):
            cats = {label: float(value) for label, value in zip(ALL_LABELS, row, strict=True)}
            cats = {label: value for label, value in cats.items() if value != NOT_CODED}
            doc = self.nlp_.make_doc(normalise(text) or EMPTY)
            examples.append(Example.from_dict(doc, {"cats": cats}))
        optimizer = self.nlp_.initialize(lambda: examples)
        order = random.Random(self.seed)
        for _ in range(self.epochs):
            order.shuffle(examples)
            for batch in minibatch(examples, size=16):
                self.nlp_.update(batch, sgd=optimizer, drop=0.2)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Sigmoid scores of the textcat (not calibrated further)."""
        docs = self.nlp_.pipe(normalise(text) or EMPTY for text in texts)
        return np.array([[doc.cats[label] for label in ALL_LABELS] for doc in docs])


def approaches(seed: int) -> dict[str, object]:
    """Name -> factory of an unfitted model, for every approach compared."""
    logreg = Settings(name="", char_ngrams=(2, 5), model="logreg", C=4.0)  # first baseline
    svc = Settings(name="")  # the shipped settings
    variants = {
        # round 1: regularisation, class weights and feature sets around a logreg baseline
        "tfidf-word+char-logreg C=1": replace(logreg, C=1.0),
        "tfidf-word+char-logreg C=4": logreg,
        "tfidf-word+char-logreg C=16": replace(logreg, C=16.0),
        "tfidf-word+char-logreg C=4 no class weights": replace(logreg, class_weight=None),
        "tfidf-word+char(3-5)-logreg C=4": replace(logreg, char_ngrams=(3, 5)),
        "tfidf-word(1)+char-logreg C=4": replace(logreg, word_ngrams=(1, 1)),
        "tfidf-word-only-logreg C=4": replace(logreg, chars=False),
        "tfidf-char-only-logreg C=4": replace(logreg, words=False),
        "tfidf-word+char-linearsvc C=0.5": replace(svc, char_ngrams=(2, 5)),
        # round 2: the best of round 1 combined
        "tfidf-word+char(3-5)-logreg C=16": replace(logreg, char_ngrams=(3, 5), C=16.0),
        "tfidf-word+char(3-5)-linearsvc C=0.25": replace(svc, C=0.25),
        "tfidf-word+char(3-5)-linearsvc C=0.5 (shipped)": svc,
        "tfidf-word+char(3-5)-linearsvc C=1": replace(svc, C=1.0),
    }
    factories: dict[str, object] = {
        name: (lambda s=settings: build_pipeline(s, seed)) for name, settings in variants.items()
    }
    factories["spacy-textcat-bow"] = lambda: SpacyTextcat("bow", seed=seed)
    factories["spacy-textcat-ensemble"] = lambda: SpacyTextcat("ensemble", epochs=8, seed=seed)
    return factories


def _labels(row: np.ndarray) -> dict[str, list[str]]:
    labels: dict[str, list[str]] = {dimension: [] for dimension in DIMENSIONS}
    for label, chosen in zip(ALL_LABELS, row, strict=True):
        if chosen:
            labels[LABEL_DIMENSION[label]].append(label)
    return labels


def score(examples: list[dict], Y: np.ndarray, proba: np.ndarray, folds: list) -> dict:
    """Evaluation report of out-of-fold probabilities with cross-fitted thresholds."""
    proba = np.round(proba, SCORE_DECIMALS)
    chosen = proba >= cross_fitted_thresholds(Y, proba, folds)
    predictions = [Prediction(_labels(row), {}, False, []) for row in chosen]
    return evaluate(examples, predictions)


def main(argv: Sequence[str] | None = None) -> None:
    """Run every approach (or those named with --only) and print/save a summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--only", action="append", help="substring of approach names")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    examples = clean_examples(read_corpus(default_corpus_paths()))
    texts = [example["text"] for example in examples]
    Y = label_matrix(examples)
    folds = make_folds(texts, args.folds, args.seed)
    results = {}
    for name, factory in approaches(args.seed).items():
        if args.only and not any(part in name for part in args.only):
            continue
        started = time.perf_counter()
        proba, _ = cross_validate(texts, Y, factory, folds, n_jobs=args.jobs, fit_final=False)
        report = score(examples, Y, proba, folds)
        results[name] = {
            "seconds": round(time.perf_counter() - started, 1),
            **{
                dimension: {
                    "macro_f1": round(figures["macro_f1"], 3),
                    "micro_f1": round(figures["micro_f1"], 3),
                    "f1": {k: round(v["f1"], 3) for k, v in figures["labels"].items()},
                }
                for dimension, figures in report.items()
            },
        }
        macro = " ".join(f"{d}={results[name][d]['macro_f1']:.3f}" for d in DIMENSIONS)
        print(f"{name:<48} {macro} ({results[name]['seconds']} s)", flush=True)
    summary = {"n_examples": len(examples), "folds": args.folds, "results": results}
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
