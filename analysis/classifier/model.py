"""The scikit-learn pipeline: features, calibrated linear classifiers, CV thresholds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from analysis.classifier.corpus import NOT_CODED
from analysis.text import lemmas, normalise

#: Candidate thresholds searched on out-of-fold probabilities.
THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)


@dataclass(frozen=True)
class Settings:
    """Feature and model choices of one approach (defaults: the shipped one)."""

    name: str = "tfidf-word+char(3-5)-linearsvc"
    words: bool = True
    chars: bool = True
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (3, 5)
    char_min_df: int = 2
    model: str = "linearsvc"  # "linearsvc" or "logreg"
    C: float = 0.5
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
            dual=True,
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
        X = sparse.csr_matrix(X, dtype=np.float64)
        X.sort_indices()  # once here, not once per label inside liblinear
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
            ).fit(X if coded.all() else X[coded], y)
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


class CompiledFeatures:
    """Fast transform of a *fitted* TF-IDF FeatureUnion, for prediction.

    Computes the same matrix as ``union.transform`` (counts of in-vocabulary n-grams,
    optional sublinear tf, idf weighting, per-block l2 norm, blocks side by side) without
    scikit-learn's per-call validation and joblib overhead, which dominates when one answer
    is classified at a time. Built from the union's own analyzers, vocabularies and idf.
    Character n-grams inside word boundaries ("char_wb") are looked up once per distinct
    word and cached: answers share most of their words.
    """

    #: Distinct words remembered per char_wb block before the cache starts afresh.
    WORD_CACHE_SIZE = 200_000

    def __init__(self, union: FeatureUnion) -> None:
        self.analyzers, self.vocabularies, self.char_wb = [], [], []
        offsets, idf, sublinear, l2 = [], [], [], []
        n_features = 0
        for _name, vectorizer in union.transformer_list:
            if vectorizer.norm not in ("l2", None) or not vectorizer.use_idf:
                raise ValueError("only TF-IDF blocks with l2 or no norm are supported")
            self.analyzers.append(vectorizer.build_analyzer())
            self.vocabularies.append(vectorizer.vocabulary_)
            self.char_wb.append(
                (vectorizer.build_preprocessor(), vectorizer._char_wb_ngrams)
                if vectorizer.analyzer == "char_wb"
                else None
            )
            offsets.append(n_features)
            idf.append(np.asarray(vectorizer.idf_, dtype=np.float64))
            sublinear.append(vectorizer.sublinear_tf)
            l2.append(vectorizer.norm == "l2")
            n_features += len(vectorizer.vocabulary_)
        self.n_features = n_features
        self.offsets = np.array(offsets, dtype=np.int64)
        self.idf = np.concatenate(idf) if idf else np.zeros(0)
        self.sublinear = np.array(sublinear, dtype=bool)
        self.l2 = np.array(l2, dtype=bool)
        self._word_cache: list[dict[str, tuple[int, ...]]] = [{} for _ in self.analyzers]

    def clear_cache(self) -> None:
        """Forget the per-word n-gram look-ups."""
        for cache in self._word_cache:
            cache.clear()

    def _counts(self, block: int, text: str) -> Counter:
        """In-vocabulary column -> count, for one block and one text."""
        vocabulary = self.vocabularies[block]
        if self.char_wb[block] is None:
            grams = map(vocabulary.get, self.analyzers[block](text))
            return Counter([column for column in grams if column is not None])
        preprocess, ngrams = self.char_wb[block]
        cache = self._word_cache[block]
        columns: list[int] = []
        for word in preprocess(text).split():
            found = cache.get(word)
            if found is None:
                if len(cache) >= self.WORD_CACHE_SIZE:
                    cache.clear()
                grams = map(vocabulary.get, ngrams(word))
                found = cache[word] = tuple(column for column in grams if column is not None)
            columns.extend(found)
        return Counter(columns)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """TF-IDF rows of ``texts`` (already normalised or not: analyzers normalise)."""
        blocks = len(self.analyzers)
        columns: list[int] = []
        counts: list[int] = []
        row_blocks: list[int] = []  # row * blocks + block of every entry
        for row, text in enumerate(texts):
            for block in range(blocks):
                counter = self._counts(block, text)
                columns.extend(counter)
                counts.extend(counter.values())
                row_blocks.extend([row * blocks + block] * len(counter))
        segment = np.array(row_blocks, dtype=np.int64)
        block_of = segment % blocks if blocks else segment
        column = np.array(columns, dtype=np.int64) + self.offsets[block_of]
        count = np.array(counts, dtype=np.float64)
        values = np.where(self.sublinear[block_of], np.log(count) + 1.0, count) * self.idf[column]
        norms = np.sqrt(np.bincount(segment, weights=values * values, minlength=1))
        values = np.where(
            self.l2[block_of], values / np.where(norms > 0, norms, 1.0)[segment], values
        )
        per_row = np.bincount(segment // blocks if blocks else segment, minlength=len(texts))
        indptr = np.concatenate([[0], np.cumsum(per_row)])
        return sparse.csr_matrix((values, column, indptr), shape=(len(texts), self.n_features))


def make_folds(texts: Sequence[str], n_splits: int, seed: int) -> list[tuple[np.ndarray, ...]]:
    """Shuffled K-fold splits that keep identical (normalised) texts in the same fold."""
    groups = [normalise(text) for text in texts]
    splitter = GroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(groups)), groups=groups))


def _fit_predict(
    make_model: Callable[[], object],
    texts: list[str],
    Y: np.ndarray,
    train: np.ndarray | None,
    test: np.ndarray | None,
) -> object:
    """Fit on ``train`` rows (all rows when None); return test probabilities or the model.

    BLAS is kept to one thread: the many tiny solves (sigmoid calibration) are several times
    slower with OpenBLAS threads, and one thread keeps results independent of the machine.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        model = make_model()
        if train is None:
            return model.fit(texts, Y)
        model.fit([texts[i] for i in train], Y[train])
        return model.predict_proba([texts[i] for i in test])


def cross_validate(
    texts: Sequence[str],
    Y: np.ndarray,
    make_model: Callable[[], object],
    folds: Sequence[tuple[np.ndarray, ...]],
    n_jobs: int = 1,
    fit_final: bool = True,
) -> tuple[np.ndarray, object | None]:
    """Out-of-fold probabilities for every text, and (optionally) a model fitted on all.

    ``make_model()`` returns an unfitted object with ``fit(texts, Y)`` and
    ``predict_proba(texts)``. With ``n_jobs > 1`` the fold fits and the final fit run in
    parallel processes; results do not depend on ``n_jobs``.
    """
    texts = list(texts)
    jobs = [(train, test) for train, test in folds]
    if fit_final:
        jobs.append((None, None))
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fit_predict)(make_model, texts, Y, train, test) for train, test in jobs
    )
    proba = np.zeros(Y.shape, dtype=float)
    for (_, test), result in zip(folds, results, strict=False):
        proba[test] = result
    return proba, (results[-1] if fit_final else None)


def cross_fitted_thresholds(
    Y: np.ndarray, proba: np.ndarray, folds: Sequence[tuple[np.ndarray, ...]]
) -> np.ndarray:
    """Per-row thresholds, each chosen on the out-of-fold probabilities of the *other* folds.

    Scoring out-of-fold predictions with these gives CV figures that are not inflated by
    choosing thresholds on the very predictions being scored.
    """
    thresholds = np.zeros(Y.shape, dtype=float)
    for train, test in folds:
        thresholds[test] = choose_thresholds(Y[train], proba[train])
    return thresholds


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
