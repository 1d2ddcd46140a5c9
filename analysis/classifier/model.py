"""The scikit-learn pipeline: features, calibrated linear classifiers, CV thresholds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from analysis.classifier.corpus import NOT_CODED
from analysis.text import lemmas, normalise

#: Candidate thresholds searched on out-of-fold probabilities.
THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)


@dataclass(frozen=True)
class Settings:
    """Feature and model choices of one approach (defaults: the shipped one)."""

    name: str = "tfidf-word+char-logreg"
    words: bool = True
    chars: bool = True
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    char_min_df: int = 2
    model: str = "logreg"  # "logreg" or "linearsvc"
    C: float = 4.0
    class_weight: str | None = "balanced"
    calibration_folds: int = 3

    def as_dict(self) -> dict:
        """Plain-JSON form for metadata."""
        return asdict(self)


def build_features(settings: Settings) -> FeatureUnion:
    """Word (lemma n-gram) and/or character n-gram TF-IDF features of normalised text."""
    parts = []
    if settings.words:
        parts.append(
            (
                "words",
                TfidfVectorizer(
                    preprocessor=normalise,
                    tokenizer=lemmas,
                    token_pattern=None,
                    lowercase=False,
                    ngram_range=settings.word_ngrams,
                    sublinear_tf=True,
                ),
            )
        )
    if settings.chars:
        parts.append(
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    preprocessor=normalise,
                    lowercase=False,
                    ngram_range=settings.char_ngrams,
                    min_df=settings.char_min_df,
                    sublinear_tf=True,
                ),
            )
        )
    return FeatureUnion(parts)


def build_pipeline(settings: Settings, seed: int = 0) -> Pipeline:
    """An unfitted Pipeline: texts -> features -> calibrated multi-label classifier."""
    if settings.model == "logreg":
        base: BaseEstimator = LogisticRegression(
            C=settings.C,
            solver="liblinear",
            class_weight=settings.class_weight,
            random_state=seed,
        )
    elif settings.model == "linearsvc":
        base = LinearSVC(C=settings.C, class_weight=settings.class_weight, random_state=seed)
    else:
        raise ValueError(f"unknown model {settings.model!r}")
    classifier = CalibratedLinearMultiLabel(
        estimator=base, calibration_folds=settings.calibration_folds, random_state=seed
    )
    return Pipeline([("features", build_features(settings)), ("classifier", classifier)])


class CalibratedLinearMultiLabel(ClassifierMixin, BaseEstimator):
    """One sigmoid-calibrated linear binary classifier per label (column of ``Y``).

    Each label is fitted with ``CalibratedClassifierCV(estimator, method="sigmoid",
    ensemble=False)``: the linear model is trained on all coded rows and the sigmoid on
    its cross-validated decision values. The result is kept in compiled form (one weight
    matrix and per-label sigmoid parameters), so prediction is a single sparse product.
    Rows with ``NOT_CODED`` in a column are left out of that label's fit. A label with
    too few positive or negative examples gets a constant probability (its base rate).
    """

    def __init__(
        self,
        estimator: BaseEstimator | None = None,
        calibration_folds: int = 3,
        random_state: int = 0,
    ) -> None:
        self.estimator = estimator
        self.calibration_folds = calibration_folds
        self.random_state = random_state

    def fit(self, X: sparse.spmatrix, Y: np.ndarray) -> CalibratedLinearMultiLabel:
        """Fit every label column of ``Y`` (values 1, 0 or ``NOT_CODED``)."""
        Y = np.asarray(Y)
        n_features, n_labels = X.shape[1], Y.shape[1]
        self.coef_ = np.zeros((n_features, n_labels))
        self.intercept_ = np.zeros(n_labels)
        self.sigmoid_a_ = np.zeros(n_labels)
        self.sigmoid_b_ = np.zeros(n_labels)
        base = self.estimator if self.estimator is not None else LogisticRegression()
        for j in range(n_labels):
            coded = Y[:, j] != NOT_CODED
            y = Y[coded, j].astype(int)
            positives = int(y.sum())
            if min(positives, len(y) - positives) < self.calibration_folds:
                rate = (positives + 0.5) / (len(y) + 1.0)
                self.sigmoid_b_[j] = -np.log(rate / (1.0 - rate))
                continue
            calibrated = CalibratedClassifierCV(
                clone(base),
                method="sigmoid",
                cv=StratifiedKFold(
                    self.calibration_folds, shuffle=True, random_state=self.random_state
                ),
                ensemble=False,
            ).fit(X[coded], y)
            fitted = calibrated.calibrated_classifiers_[0]
            self.coef_[:, j] = np.ravel(fitted.estimator.coef_)
            self.intercept_[j] = float(np.ravel(fitted.estimator.intercept_)[0])
            self.sigmoid_a_[j] = fitted.calibrators[0].a_
            self.sigmoid_b_[j] = fitted.calibrators[0].b_
        self.n_labels_ = n_labels
        return self

    def decision_function(self, X: sparse.spmatrix) -> np.ndarray:
        """Uncalibrated linear scores, shape (n_samples, n_labels)."""
        return np.asarray(X @ self.coef_) + self.intercept_

    def predict_proba(self, X: sparse.spmatrix) -> np.ndarray:
        """Calibrated probability of each label, shape (n_samples, n_labels)."""
        return expit(-(self.sigmoid_a_ * self.decision_function(X) + self.sigmoid_b_))

    def predict(self, X: sparse.spmatrix) -> np.ndarray:
        """Labels at probability 0.5 (the Classifier applies tuned thresholds instead)."""
        return (self.predict_proba(X) >= 0.5).astype(int)


def cv_folds(groups: Sequence[str], n_splits: int, seed: int) -> list[tuple[np.ndarray, ...]]:
    """Shuffled K-fold splits that keep identical (normalised) texts in the same fold."""
    splitter = GroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    dummy = np.zeros(len(groups))
    return list(splitter.split(dummy, groups=list(groups)))


def out_of_fold_proba(
    texts: Sequence[str],
    Y: np.ndarray,
    make_model: Callable[[], object],
    n_splits: int = 5,
    seed: int = 0,
) -> np.ndarray:
    """Probabilities for every text from a model that did not see it (K-fold CV).

    ``make_model()`` returns an unfitted object with ``fit(texts, Y)`` and
    ``predict_proba(texts)``.
    """
    texts = list(texts)
    proba = np.zeros(Y.shape, dtype=float)
    groups = [normalise(text) for text in texts]
    for train, test in cv_folds(groups, n_splits, seed):
        model = make_model()
        model.fit([texts[i] for i in train], Y[train])
        proba[test] = model.predict_proba([texts[i] for i in test])
    return proba


def choose_thresholds(Y: np.ndarray, proba: np.ndarray, default: float = 0.5) -> np.ndarray:
    """Per-label threshold that maximises F1 on out-of-fold probabilities.

    F1 is smoothed over neighbouring grid points (width 5) so a lucky single point does not
    win; ties go to the threshold nearest 0.5. Labels without positives keep ``default``.
    """
    thresholds = np.full(Y.shape[1], default)
    kernel = np.ones(5) / 5
    for j in range(Y.shape[1]):
        coded = Y[:, j] != NOT_CODED
        y, p = Y[coded, j] == 1, proba[coded, j]
        if not y.any():
            continue
        predicted = p[:, None] >= THRESHOLD_GRID[None, :]
        tp = (predicted & y[:, None]).sum(axis=0)
        fp = (predicted & ~y[:, None]).sum(axis=0)
        fn = (~predicted & y[:, None]).sum(axis=0)
        f1 = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros(len(tp)), where=tp > 0)
        smooth = np.convolve(np.pad(f1, 2, mode="edge"), kernel, mode="valid")
        best = np.flatnonzero(np.isclose(smooth, smooth.max()))
        thresholds[j] = THRESHOLD_GRID[best[np.argmin(np.abs(THRESHOLD_GRID[best] - 0.5))]]
    return thresholds
