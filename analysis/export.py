"""Anonymised exports for researchers: CSV, SPSS .sav, Stata .dta and JSON Lines, each with a
codebook (Markdown and JSON). Plain Python: every function takes a ``session``; no Flask.

How an export is made
---------------------
1. :func:`prepare_export` counts the answers of the selection per combination of the
   quasi-identifiers (:data:`QUASI_IDENTIFIERS`) with one ``GROUP BY`` in SQL and chooses a
   generalisation plan greedily (:func:`plan_generalisation`) until every combination occurs at
   least ``k`` times: age groups become 20-year bands, then are suppressed; the smallest
   municipalities are merged into "annan/okänd", then the variable is suppressed; services
   become the number of services, then are suppressed; gender is suppressed; the mode (web,
   paper) last. When at most ``max_suppressed_share`` of the rows are still in combinations
   smaller than ``k``, those rows get every quasi-identifier suppressed instead (local
   suppression); so does, if needed, the next smallest combination, so the suppressed rows are
   themselves at least ``k``.
2. The data file is written while the rows stream from the database in batches
   (``yield_per``): the plan is applied row by row, response ids are random per export and
   never derived from database ids, the date becomes its month, the free text is the stored
   redacted text (the original is never read, except to redact an old row that has no redacted
   text yet), labels are the effective ones (a person's review over the model's).
3. No format holds more than a batch of rows in memory. CSV and JSON Lines are written as the
   rows come; SPSS and Stata files by the streaming writers of :mod:`analysis.statfiles`, which
   spool the rows to a temporary file first (their headers need the row count and the widest
   text).

Read both the data and the codebook with the same :class:`Export`, in the same session, so the
plan and the rows come from one snapshot (see :func:`export_session`).
"""

from __future__ import annotations

import io
import json
import re
import secrets
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Text, case, cast, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from analysis.labels import ALL_LABELS, DIMENSIONS, LABEL_DIMENSION, LABEL_TITLES
from analysis.statfiles import Column
from survey.definitions import SurveyDefinition
from survey.models import Classification, ExportLog, LabelReview, Response
from survey.operations import NO_OPINION_CODE, UNANSWERED_CODE

FORMATS: tuple[str, ...] = ("csv", "sav", "dta", "jsonl")
DATA_FILE_SUFFIX = {"csv": ".csv", "sav": ".sav", "dta": ".dta", "jsonl": ".jsonl"}
DEFAULT_K = 5
#: Rows allowed to lose every quasi-identifier (local suppression) instead of generalising more.
DEFAULT_MAX_SUPPRESSED_SHARE = 0.01
BATCH_ROWS = 5000
#: Columns of the quasi-identifier combination that must occur at least k times.
QUASI_IDENTIFIERS: tuple[str, ...] = ("age_group", "municipality", "gender", "services", "mode")
#: Order in which equally good generalisation steps are taken; mode only when nothing else is
#: left.
STEP_PREFERENCE: tuple[str, ...] = ("age_group", "municipality", "services", "gender", "mode")

#: Missing-value codes. CSV/JSON Lines and SPSS share the numeric ones; Stata uses .a and .s.
NO_OPINION_NUMBER = -1
SUPPRESSED_NUMBER = -2
SUPPRESSED_TEXT = "suppressed"
STATA_NO_OPINION = "a"
STATA_SUPPRESSED = "s"

# Classifier artefacts (see analysis.classifier.core; not imported: it loads the NLP stack).
ARTIFACTS_DIR = Path(__file__).resolve().parent.parent / "nlp_models" / "artifacts"
ARTIFACT_PREFIX = "viktigt-classifier-"


class ExportError(ValueError):
    """The export cannot be made (unknown survey or format, too few answers for k)."""


class _Marker:
    """A cell that is missing for a stated reason."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: The answer was "Ingen uppfattning"/"Vet inte".
NO_OPINION = _Marker("NO_OPINION")
#: The value was suppressed to reach k-anonymity.
SUPPRESSED = _Marker("SUPPRESSED")


def _t(sv: str, en: str) -> dict[str, str]:
    return {"sv": sv, "en": en}


AGE_BANDS: tuple[tuple[str, dict[str, str]], ...] = (
    ("under-20", _t("Under 20 år", "Under 20")),
    ("20-39", _t("20–39 år", "20–39")),
    ("40-59", _t("40–59 år", "40–59")),
    ("60-79", _t("60–79 år", "60–79")),
    ("80-plus", _t("80 år eller äldre", "80 or older")),
)
OTHER_MUNICIPALITY = "annan-okand"
OTHER_MUNICIPALITY_LABEL = _t(
    "Annan eller okänd kommun (sammanslagen)", "Other or unknown municipality (merged)"
)
SERVICE_COUNTS: tuple[tuple[str, int, dict[str, str]], ...] = (
    ("0", 0, _t("Ingen av verksamheterna", "None of the services")),
    ("1", 1, _t("En verksamhet", "One service")),
    ("2", 2, _t("Två verksamheter", "Two services")),
    ("3+", 3, _t("Tre eller fler verksamheter", "Three or more services")),
)
MODES = {"web": _t("Webbenkät", "Web questionnaire"), "paper": _t("Pappersenkät", "Paper")}
SOURCES = {
    "model": _t("Klassificeraren (modellen)", "The classifier (model)"),
    "review": _t("Granskad av en person", "Reviewed by a person"),
}
FLAG_VALUES = {0: _t("Nej", "No"), 1: _t("Ja", "Yes")}
MISSING_LABELS = {
    "no_opinion": _t("Ingen uppfattning / Vet inte", "No opinion / Don't know"),
    "suppressed": _t("Undertryckt (anonymisering)", "Suppressed (anonymisation)"),
}


# --------------------------------------------------------------------------- selection


@dataclass(frozen=True)
class ExportFilter:
    """Which answers: one survey, optionally a period of submission dates (inclusive)."""

    survey_id: str
    date_from: date | None = None
    date_to: date | None = None

    def conditions(self) -> list[Any]:
        conditions: list[Any] = [Response.survey_id == self.survey_id]
        if self.date_from is not None:
            conditions.append(Response.submitted_on >= self.date_from)
        if self.date_to is not None:
            conditions.append(Response.submitted_on <= self.date_to)
        return conditions

    def as_dict(self) -> dict[str, Any]:
        return {
            "survey_id": self.survey_id,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }


@contextmanager
def export_session(engine: Engine) -> Iterator[Session]:
    """A read-only session whose queries all see one snapshot of the database.

    PostgreSQL: REPEATABLE READ. SQLite (WAL): one read transaction is a snapshot already.
    """
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


# --------------------------------------------------------------------------- generalisation

RawKey = tuple[str | None, str | None, str | None, tuple[str, ...], str | None]


def age_band(value: str | None) -> str | None:
    """The 20-year band of an age group value ("30-39" -> "20-39", "90-plus" -> "80-plus")."""
    if value is None:
        return None
    numbers = [int(number) for number in re.findall(r"\d+", value)]
    if value.startswith("under") or not numbers:
        low = 0 if value.startswith("under") else None
    else:
        low = numbers[0]
    if low is None:
        return value
    index = min(low // 20, len(AGE_BANDS) - 1)
    return AGE_BANDS[index][0]


def service_count(services: tuple[str, ...]) -> str | None:
    """ "0", "1", "2" or "3+" ("Inget av dessa" counts 0); None when not answered."""
    if not services:
        return None
    chosen = [value for value in services if value != "inget"]
    return SERVICE_COUNTS[min(len(chosen), 3)][0]


@dataclass
class Plan:
    """How the quasi-identifiers are generalised, and what that achieved."""

    k: int
    levels: dict[str, int]
    max_levels: dict[str, int]
    #: Municipalities merged into OTHER_MUNICIPALITY, smallest first (by level).
    municipality_order: list[str]
    #: Generalised combinations whose rows lose every quasi-identifier.
    suppressed_keys: frozenset[tuple[Any, ...]]
    rows: int
    suppressed_rows: int
    k_reached: int | None
    classes: int
    max_suppressed_share: float

    def components(self) -> tuple[Callable[[Any], Any], ...]:
        """Per quasi-identifier, the function from a raw value to its generalised value."""
        levels = self.levels
        age_level = levels["age_group"]
        municipality_level = levels["municipality"]
        merged = set(self.municipality_order[:municipality_level])
        services_level = levels["services"]

        def age(value: Any) -> Any:
            return value if age_level == 0 else age_band(value) if age_level == 1 else SUPPRESSED

        def municipality(value: Any) -> Any:
            if municipality_level == 0:
                return value
            if municipality_level >= self.max_levels["municipality"]:
                return SUPPRESSED
            if value is None or value == "annan" or value in merged:
                return OTHER_MUNICIPALITY
            return value

        def gender(value: Any) -> Any:
            return value if levels["gender"] == 0 else SUPPRESSED

        def services(value: Any) -> Any:
            if services_level == 0:
                return value
            return service_count(value) if services_level == 1 else SUPPRESSED

        def mode(value: Any) -> Any:
            return value if levels["mode"] == 0 else SUPPRESSED

        return (age, municipality, gender, services, mode)

    def generalise(self, raw: RawKey) -> tuple[Any, ...]:
        """The generalised combination (age, municipality, gender, services, mode) of a row."""
        return tuple(
            function(value) for function, value in zip(self.components(), raw, strict=True)
        )

    def describe(self) -> dict[str, Any]:
        """What was generalised, for the export log and the codebook (codes only)."""
        levels = self.levels
        municipality_level = levels["municipality"]
        if municipality_level == 0:
            municipality: Any = "kept"
        elif municipality_level >= self.max_levels["municipality"]:
            municipality = "suppressed"
        else:
            municipality = {"merged": self.municipality_order[:municipality_level]}
        return {
            "age_group": ("kept", "bands_20_years", "suppressed")[levels["age_group"]],
            "municipality": municipality,
            "gender": ("kept", "suppressed")[levels["gender"]],
            "services": ("kept", "count", "suppressed")[levels["services"]],
            "mode": ("kept", "suppressed")[levels["mode"]],
            "suppressed_rows": self.suppressed_rows,
            "max_suppressed_share": self.max_suppressed_share,
        }


def _class_sizes(counts: dict[RawKey, int], plan: Plan) -> Counter[tuple[Any, ...]]:
    """Rows per generalised combination under ``plan``'s current levels."""
    functions = plan.components()
    memos: list[dict[Any, Any]] = [{} for _ in functions]
    sizes: Counter[tuple[Any, ...]] = Counter()
    for raw, count in counts.items():
        key = []
        for function, memo, value in zip(functions, memos, raw, strict=True):
            if value in memo:
                key.append(memo[value])
            else:
                key.append(memo.setdefault(value, function(value)))
        sizes[tuple(key)] += count
    return sizes


def plan_generalisation(
    counts: dict[RawKey, int],
    *,
    k: int = DEFAULT_K,
    max_suppressed_share: float = DEFAULT_MAX_SUPPRESSED_SHARE,
) -> Plan:
    """Choose generalisations greedily until every combination has at least ``k`` rows.

    ``counts``: rows per raw combination (age group, municipality, gender, sorted services,
    mode). Each step advances one quasi-identifier one level on its ladder: the one with the
    most distinct values left (Sweeney's Datafly heuristic; ties: :data:`STEP_PREFERENCE`);
    the mode is generalised only when nothing else is left. It stops when at most
    ``max_suppressed_share`` of the rows are still in small combinations; those rows are
    suppressed (see the module docstring).
    """
    if k < 1:
        raise ExportError("k must be at least 1")
    total = sum(counts.values())
    if total < k:
        raise ExportError(
            f"The selection has {total} answers; an export needs at least k = {k} answers."
        )
    municipality_counts: Counter[str] = Counter()
    for (_age, municipality, *_rest), count in counts.items():
        if municipality is not None and municipality != "annan":
            municipality_counts[municipality] += count
    order = sorted(municipality_counts, key=lambda name: (municipality_counts[name], name))
    max_levels = {
        "age_group": 2,
        "municipality": max(1, len(order)),
        "gender": 1,
        "services": 2,
        "mode": 1,
    }
    plan = Plan(
        k=k,
        levels=dict.fromkeys(QUASI_IDENTIFIERS, 0),
        max_levels=max_levels,
        municipality_order=order,
        suppressed_keys=frozenset(),
        rows=total,
        suppressed_rows=0,
        k_reached=None,
        classes=0,
        max_suppressed_share=max_suppressed_share,
    )
    allowed = int(max_suppressed_share * total)

    def small_rows(sizes: Counter[tuple[Any, ...]]) -> int:
        return sum(size for size in sizes.values() if size < k)

    sizes = _class_sizes(counts, plan)
    while small_rows(sizes) > allowed:
        others_done = all(
            plan.levels[name] >= max_levels[name] for name in QUASI_IDENTIFIERS if name != "mode"
        )
        # Datafly: generalise the quasi-identifier with the most distinct values left.
        best: tuple[int, int, str] | None = None
        for rank, name in enumerate(STEP_PREFERENCE):
            if plan.levels[name] >= max_levels[name] or (name == "mode" and not others_done):
                continue
            position = QUASI_IDENTIFIERS.index(name)
            distinct = len({key[position] for key in sizes} - {SUPPRESSED})
            score = (-distinct, rank)
            if best is None or score < best[:2]:
                best = (*score, name)
        if best is None:
            break
        plan.levels[best[2]] += 1
        sizes = _class_sizes(counts, plan)

    small = {key for key, size in sizes.items() if size < k}
    all_suppressed = (SUPPRESSED,) * len(QUASI_IDENTIFIERS)
    suppressed_rows = sum(sizes[key] for key in small)
    if small:
        joined = suppressed_rows + (sizes[all_suppressed] if all_suppressed not in small else 0)
        # The suppressed rows form one combination of their own: it needs k rows too.
        for key, size in sorted(sizes.items(), key=lambda item: (item[1], repr(item[0]))):
            if joined >= k:
                break
            if key in small or key == all_suppressed:
                continue
            small.add(key)
            suppressed_rows += size
            joined += size
    final: Counter[tuple[Any, ...]] = Counter()
    for key, size in sizes.items():
        final[all_suppressed if key in small else key] += size
    plan.suppressed_keys = frozenset(small)
    plan.suppressed_rows = suppressed_rows
    plan.k_reached = min(final.values()) if final else None
    plan.classes = len(final)
    return plan


# --------------------------------------------------------------------------- variables


@dataclass(frozen=True)
class Category:
    code: str  # in CSV and JSON Lines
    number: int  # in SPSS and Stata
    label: dict[str, str]


@dataclass
class Variable:
    """One column of the export, described in the codebook."""

    name: str
    label: dict[str, str]
    kind: str  # "id", "string", "category", "flag", "likert"
    question: dict[str, str] | None = None
    categories: list[Category] = field(default_factory=list)
    #: Reasons a value can be missing: "not_answered", "no_opinion", "suppressed", …
    missing: list[str] = field(default_factory=list)
    note: str | None = None

    def number_of(self, code: Any) -> int:
        for category in self.categories:
            if category.code == code:
                return category.number
        raise KeyError(f"{self.name}: no category {code!r}")


def _name(prefix: str, value: str) -> str:
    """A variable name valid in SPSS and Stata: a-z, 0-9, _; at most 28 characters (Stata's
    32 minus room for the value-label set's suffix)."""
    name = re.sub(r"[^a-z0-9_]", "_", f"{prefix}{value}".lower())
    return name[:28]


def _choice_categories(
    question: Any, extra: Iterable[tuple[str, dict[str, str]]] = (), seen: Iterable[str] = ()
) -> list[Category]:
    categories = [
        Category(choice.value, number, _t(choice.label.sv, choice.label.en))
        for number, choice in enumerate(question.choices, start=1)
    ]
    categories += [Category(code, 100 + i, label) for i, (code, label) in enumerate(extra, 1)]
    known = {category.code for category in categories}
    unknown = sorted({value for value in seen if value is not None and value not in known})
    categories += [Category(value, 200 + i, _t(value, value)) for i, value in enumerate(unknown, 1)]
    return categories


def _loc(localized: Any) -> dict[str, str]:
    return _t(localized.sv, localized.en)


def build_variables(
    definition: SurveyDefinition, counts: dict[RawKey, int]
) -> tuple[list[Variable], dict[str, list[int]]]:
    """The export's columns in order, and the column positions of each group."""
    questions = definition.questions
    seen = {name: {raw[i] for raw in counts} for i, name in enumerate(QUASI_IDENTIFIERS)}
    qi_missing = ["not_answered", "suppressed"]
    variables = [
        Variable(
            "response_id",
            _t("Slumpat svars-id (bara i den här exporten)", "Random answer id (this export only)"),
            "id",
        ),
        Variable("month", _t("Månad då svaret lämnades (ÅÅÅÅ-MM)", "Month submitted"), "string"),
        Variable(
            "on_behalf",
            _t("Svarar för sig själv eller för någon annan", "Answering for self or someone else"),
            "category",
            _loc(questions.on_behalf.text),
            _choice_categories(questions.on_behalf),
            ["not_answered"],
        ),
        Variable(
            "age_group",
            _t("Åldersgrupp", "Age group"),
            "category",
            _loc(questions.age_group.text),
            _choice_categories(questions.age_group, AGE_BANDS, seen["age_group"]),
            qi_missing,
        ),
        Variable(
            "municipality",
            _t("Kommun", "Municipality"),
            "category",
            _loc(questions.municipality.text),
            _choice_categories(
                questions.municipality,
                [(OTHER_MUNICIPALITY, OTHER_MUNICIPALITY_LABEL)],
                seen["municipality"],
            ),
            qi_missing,
        ),
        Variable(
            "gender",
            _t("Kön", "Gender"),
            "category",
            _loc(questions.gender.text),
            _choice_categories(questions.gender, (), seen["gender"]),
            qi_missing,
        ),
        Variable(
            "mode",
            _t("Hur svaret lämnades", "How the answer was given"),
            "category",
            None,
            [
                Category(code, number, MODES.get(code, _t(code, code)))
                for number, code in enumerate(
                    [*MODES, *sorted(m for m in seen["mode"] if m and m not in MODES)], 1
                )
            ],
            qi_missing,
        ),
        Variable(
            "services_count",
            _t("Antal verksamheter med kontakt senaste året", "Number of services in contact with"),
            "category",
            _loc(questions.services.text),
            [Category(code, number, label) for code, number, label in SERVICE_COUNTS],
            qi_missing,
        ),
    ]
    for choice in questions.services.choices:
        variables.append(
            Variable(
                _name("svc_", choice.value),
                _t(f"Kontakt: {choice.label.sv}", f"Contact: {choice.label.en}"),
                "flag",
                _loc(questions.services.text),
                [Category(str(n), n, label) for n, label in FLAG_VALUES.items()],
                qi_missing,
            )
        )
    scale_categories = [
        Category(str(step.value), step.value, _loc(step.label)) for step in definition.scale.steps
    ]
    for statement in definition.statements:
        variables.append(
            Variable(
                _name("q_", statement.id),
                _t(f"Påstående: {statement.id}", f"Statement: {statement.id}"),
                "likert",
                _loc(statement.text),
                scale_categories,
                ["not_answered", "no_opinion"],
            )
        )
    variables.append(
        Variable(
            "text_redacted",
            _t("Fritextsvar, avidentifierat", "Free-text answer, redacted"),
            "string",
            _loc(questions.free_text.text),
            note="Personuppgifter är ersatta med [NAMN], [TELEFON], [PERSONNUMMER], [E-POST], "
            "[ADRESS] och [ID].",
        )
    )
    for label in ALL_LABELS:
        variables.append(
            Variable(
                _name("lab_", label),
                _t(f"Kod: {LABEL_TITLES[label]['sv']}", f"Code: {LABEL_TITLES[label]['en']}"),
                "flag",
                None,
                [Category(str(n), n, text) for n, text in FLAG_VALUES.items()],
                ["not_coded"],
                note=f"dimension {LABEL_DIMENSION[label]}",
            )
        )
    for dimension in DIMENSIONS:
        variables.append(
            Variable(
                _name("src_", dimension),
                _t(f"Vem kodade {dimension}", f"Who coded {dimension}"),
                "category",
                None,
                [Category(code, n, label) for n, (code, label) in enumerate(SOURCES.items(), 1)],
                ["not_coded"],
            )
        )
    variables.append(
        Variable(
            "model_version",
            _t("Klassificerarens version", "Classifier version"),
            "string",
        )
    )
    names = [variable.name for variable in variables]
    if len(set(names)) != len(names):
        raise ExportError(f"variable names collide: {names}")
    groups: dict[str, list[int]] = {}
    for index, variable in enumerate(variables):
        if variable.name in ("age_group", "municipality", "gender", "mode", "services_count"):
            group = "qi"
        elif variable.name.startswith("svc_"):
            group = "qi"
        elif variable.kind == "likert":
            group = "likert"
        elif variable.name.startswith(("lab_", "src_")):
            group = "labels"
        else:
            group = variable.name
        groups.setdefault(group, []).append(index)
    return variables, groups


# --------------------------------------------------------------------------- the export


@dataclass
class Export:
    """A prepared export: selection, plan, columns and what the codebook reports."""

    definition: SurveyDefinition
    filters: ExportFilter
    plan: Plan
    variables: list[Variable]
    groups: dict[str, list[int]]
    model_versions: dict[str, int]
    classifier_quality: dict[str, Any]
    generated_at: datetime
    services_order: list[str]

    @property
    def rows(self) -> int:
        return self.plan.rows

    def file_stem(self) -> str:
        return f"viktigt-{self.definition.id}-{self.generated_at:%Y%m%d}"

    def log_entry(
        self,
        fmt: str,
        *,
        channel: str,
        user_id: int | None,
        username: str | None,
    ) -> ExportLog:
        """The ExportLog row of this export (who, when, filters, rows, k, generalisation)."""
        return ExportLog(
            at=self.generated_at,
            user_id=user_id,
            username=username,
            channel=channel,
            survey_id=self.definition.id,
            format=fmt,
            filters=self.filters.as_dict(),
            rows=self.rows,
            k_reached=self.plan.k_reached,
            generalised={**self.plan.describe(), "k": self.plan.k},
        )


def _services_tuple(text: str | None, cache: dict[str | None, tuple[str, ...]]) -> tuple[str, ...]:
    found = cache.get(text)
    if found is None:
        value = json.loads(text) if text else []
        found = tuple(sorted(value)) if isinstance(value, list) else ()
        cache[text] = found
    return found


def aggregate_quasi_identifiers(session: Session, filters: ExportFilter) -> dict[RawKey, int]:
    """Rows per combination of the quasi-identifiers, counted in SQL."""
    services_text = cast(Response.services, Text)
    query = (
        select(
            Response.age_group,
            Response.municipality,
            Response.gender,
            services_text,
            Response.mode,
            func.count(),
        )
        .where(*filters.conditions())
        .group_by(
            Response.age_group, Response.municipality, Response.gender, services_text, Response.mode
        )
    )
    counts: dict[RawKey, int] = {}
    cache: dict[str | None, tuple[str, ...]] = {}
    for age, municipality, gender, services, mode, count in session.execute(query):
        key = (age, municipality, gender, _services_tuple(services, cache), mode)
        counts[key] = counts.get(key, 0) + count
    return counts


def _model_versions(session: Session, filters: ExportFilter) -> dict[str, int]:
    query = (
        select(Classification.model_version, func.count())
        .join(Response, Response.id == Classification.response_id)
        .where(*filters.conditions())
        .group_by(Classification.model_version)
    )
    return {version: count for version, count in session.execute(query)}


def classifier_quality(
    versions: Iterable[str], directories: Sequence[Path] = (ARTIFACTS_DIR,)
) -> dict[str, Any]:
    """Per classifier version: its cross-validated quality per label, from the artefact's
    metadata file, or ``{"available": False}`` when that file is not here."""
    result: dict[str, Any] = {}
    for version in versions:
        metadata = None
        for directory in directories:
            path = Path(directory) / f"{ARTIFACT_PREFIX}{version}.json"
            if path.is_file():
                metadata = json.loads(path.read_text(encoding="utf-8"))
                break
        if metadata is None:
            result[version] = {"available": False}
            continue
        report = (metadata.get("cv") or {}).get("report") or {}
        labels = {}
        for dimension, figures in report.items():
            for label, values in (figures.get("labels") or {}).items():
                labels[label] = {
                    "dimension": dimension,
                    **{
                        key: round(float(values[key]), 3)
                        for key in ("precision", "recall", "f1")
                        if key in values
                    },
                    "support": int(values.get("support", 0)),
                }
        result[version] = {
            "available": True,
            "trained_at": metadata.get("trained_at"),
            "approach": metadata.get("approach"),
            "n_examples": metadata.get("n_examples"),
            "evaluation": "cross-validation on the training corpus "
            f"({(metadata.get('cv') or {}).get('folds', '?')} folds)",
            "labels": labels,
            "macro_f1": {
                dimension: round(float(figures.get("macro_f1", 0.0)), 3)
                for dimension, figures in report.items()
            },
        }
    return result


def prepare_export(
    *,
    session: Session,
    definition: SurveyDefinition,
    filters: ExportFilter | None = None,
    k: int = DEFAULT_K,
    max_suppressed_share: float = DEFAULT_MAX_SUPPRESSED_SHARE,
    model_directories: Sequence[Path] = (ARTIFACTS_DIR,),
    now: datetime | None = None,
) -> Export:
    """Count, plan and describe an export (no rows are read yet)."""
    filters = filters or ExportFilter(definition.id)
    if filters.survey_id != definition.id:
        raise ExportError("the filter's survey is not the definition's")
    counts = aggregate_quasi_identifiers(session, filters)
    plan = plan_generalisation(counts, k=k, max_suppressed_share=max_suppressed_share)
    variables, groups = build_variables(definition, counts)
    versions = _model_versions(session, filters)
    return Export(
        definition=definition,
        filters=filters,
        plan=plan,
        variables=variables,
        groups=groups,
        model_versions=versions,
        classifier_quality=classifier_quality(versions, model_directories),
        generated_at=now or datetime.now(UTC),
        services_order=[choice.value for choice in definition.questions.services.choices],
    )


# --------------------------------------------------------------------------- rows


Encoder = Callable[[Variable, Any], Any]


def _encode_csv(variable: Variable, value: Any) -> Any:
    if value is None:
        return ""
    if value is SUPPRESSED:
        return SUPPRESSED_TEXT
    if value is NO_OPINION:
        return str(NO_OPINION_NUMBER)
    return str(value)


def _encode_json(variable: Variable, value: Any) -> Any:
    if value is SUPPRESSED:
        return SUPPRESSED_TEXT
    if value is NO_OPINION:
        return NO_OPINION_NUMBER
    if variable.kind in ("flag", "likert") and value is not None:
        return int(value)
    return value


class _StatCells:
    """Cells of SPSS/Stata number columns: the category's number, or a missing-value code
    (SPSS: -1/-2 declared user-missing; Stata: the extended missing letters .a and .s)."""

    def __init__(self, variables: Sequence[Variable], stata: bool) -> None:
        self.stata = stata
        self.cells: dict[str, dict[Any, Any]] = {}
        for variable in variables:
            if variable.kind not in ("category", "flag", "likert"):
                continue
            cells: dict[Any, Any] = {
                category.code: category.number for category in variable.categories
            }
            if variable.kind in ("flag", "likert"):
                cells.update({category.number: category.number for category in variable.categories})
            if "no_opinion" in variable.missing:
                cells[NO_OPINION] = STATA_NO_OPINION if stata else NO_OPINION_NUMBER
            if "suppressed" in variable.missing:
                cells[SUPPRESSED] = STATA_SUPPRESSED if stata else SUPPRESSED_NUMBER
            cells[None] = None
            self.cells[variable.name] = cells

    def __call__(self, variable: Variable, value: Any) -> Any:
        return self.cells[variable.name][value]


def _likert_values(codes: str, count: int) -> list[Any]:
    values: list[Any] = []
    for position in range(count):
        code = codes[position] if position < len(codes) else UNANSWERED_CODE
        if code == UNANSWERED_CODE:
            values.append(None)
        elif code == NO_OPINION_CODE:
            values.append(NO_OPINION)
        else:
            values.append(int(code, 36))
    return values


def _stream_query(filters: ExportFilter) -> Any:
    reviewed = [
        Response.id.in_(select(LabelReview.response_id).where(LabelReview.dimension == dimension))
        for dimension in DIMENSIONS
    ]
    # The original text travels only for rows that have no redacted text yet (older rows).
    original = case((Response.redacted_text.is_(None), Response.free_text), else_=None)
    return (
        select(
            Response.submitted_on,
            Response.on_behalf_of_other,
            Response.age_group,
            Response.municipality,
            Response.gender,
            cast(Response.services, Text),
            Response.mode,
            Response.likert_codes,
            Response.has_free_text,
            Response.redacted_text,
            original,
            Response.label_mask,
            Classification.model_version,
            *reviewed,
        )
        .join(Classification, Classification.response_id == Response.id, isouter=True)
        .where(*filters.conditions())
        # submission_id is a random UUID: the rows come in random order, unrelated to ids.
        .order_by(Response.submission_id)
    )


Pack = Callable[[str, tuple[Any, ...]], Any]


def _random_ids(batch: int = 4096) -> Iterator[str]:
    """Random 64-bit ids as 16 hex digits (from the OS's CSPRNG, a batch at a time). Nothing
    about a row goes in, so an id says nothing about the answer or its database id."""
    while True:
        block = secrets.token_bytes(8 * batch).hex()
        for start in range(0, len(block), 16):
            yield block[start : start + 16]


def _tuple_pack(_group: str, cells: tuple[Any, ...]) -> tuple[Any, ...]:
    return cells


def iter_rows(
    export: Export,
    session: Session,
    encode: Encoder,
    *,
    pack: Pack = _tuple_pack,
    redact: Callable[[str], str] | None = None,
) -> Iterator[tuple[Any, ...]]:
    """The export's rows in random order, streamed from the database ``BATCH_ROWS`` at a time.

    Each row is ``(response_id, month, on_behalf, qi, likert, text, labels, model_version)``:
    the groups ``on_behalf``, ``qi`` (quasi-identifiers and service flags), ``likert`` and
    ``labels`` (label flags and sources) are ``pack(group, encoded cells)``, computed once per
    distinct value and reused, so a writer can pre-render them (a CSV or JSON fragment).
    """
    variables = export.variables
    groups = export.groups
    plan = export.plan
    qi_vars = [variables[i] for i in groups["qi"]]
    likert_vars = [variables[i] for i in groups["likert"]]
    label_vars = [variables[i] for i in groups["labels"]]
    on_behalf_var = variables[groups["on_behalf"][0]]
    statement_count = len(likert_vars)
    services_order = export.services_order
    all_suppressed = (SUPPRESSED,) * (5 + len(services_order))
    redactor = redact or _default_redactor()
    answer_ids = _random_ids()

    def encoded(group: str, variables_: list[Variable], values: Sequence[Any]) -> Any:
        cells = tuple(
            encode(variable, value) for variable, value in zip(variables_, values, strict=True)
        )
        return pack(group, cells)

    services_cache: dict[str | None, tuple[str, ...]] = {}
    qi_cache: dict[tuple[Any, ...], Any] = {}
    likert_cache: dict[str, Any] = {}
    label_cache: dict[tuple[Any, ...], Any] = {}
    month_cache: dict[date, str] = {}
    on_behalf_cache = {
        key: encoded("on_behalf", [on_behalf_var], [value])
        for key, value in ((None, None), (False, "egen-del"), (True, "nagon-annan"))
    }

    def qi_values(raw: RawKey) -> tuple[Any, ...]:
        age, municipality, gender, services, mode = plan.generalise(raw)
        if (age, municipality, gender, services, mode) in plan.suppressed_keys:
            return all_suppressed
        if services is SUPPRESSED:
            count: Any = SUPPRESSED
            flags: list[Any] = [SUPPRESSED] * len(services_order)
        elif isinstance(services, tuple):
            count = service_count(services)
            chosen = set(services)
            flags = (
                [int(value in chosen) for value in services_order]
                if services
                else [None] * len(services_order)
            )
        else:  # a count
            count = services
            flags = [SUPPRESSED] * len(services_order)
        return (age, municipality, gender, mode, count, *flags)

    def label_values(mask: int, has_text: bool, version: str | None, reviewed: tuple) -> list:
        values: list[Any] = []
        coded = {
            dimension: (has_text and (reviewed[i] or version is not None))
            for i, dimension in enumerate(DIMENSIONS)
        }
        for bit, label in enumerate(ALL_LABELS):
            values.append(int(bool(mask >> bit & 1)) if coded[LABEL_DIMENSION[label]] else None)
        for i, dimension in enumerate(DIMENSIONS):
            values.append(("review" if reviewed[i] else "model") if coded[dimension] else None)
        return values

    query = _stream_query(export.filters).execution_options(yield_per=BATCH_ROWS)
    # Core rows (plain tuples), not ORM ones: a million rows cost seconds less.
    for row in session.connection().execute(query):
        (
            submitted_on,
            on_behalf,
            age,
            municipality,
            gender,
            services_text,
            mode,
            codes,
            has_text,
            text,
            original,
            mask,
            version,
            *reviewed,
        ) = row
        raw_key = (age, municipality, gender, services_text, mode)
        qi = qi_cache.get(raw_key)
        if qi is None:
            services = _services_tuple(services_text, services_cache)
            values = qi_values((age, municipality, gender, services, mode))
            qi = qi_cache[raw_key] = encoded("qi", qi_vars, values)
        likert = likert_cache.get(codes)
        if likert is None:
            values = _likert_values(codes or "", statement_count)
            likert = likert_cache[codes] = encoded("likert", likert_vars, values)
        label_key = (mask, has_text, version, *reviewed)
        labels = label_cache.get(label_key)
        if labels is None:
            values = label_values(
                mask, bool(has_text), version, tuple(bool(flag) for flag in reviewed)
            )
            labels = label_cache[label_key] = encoded("labels", label_vars, values)
        month = month_cache.get(submitted_on)
        if month is None:
            month = month_cache[submitted_on] = f"{submitted_on:%Y-%m}"
        if text is None and original:
            # Stored before redaction existed: redact now, never pass the original on.
            text = redactor(original)
        yield (
            next(answer_ids),
            month,
            on_behalf_cache[on_behalf],
            qi,
            likert,
            text,
            labels,
            version,
        )


def _default_redactor() -> Callable[[str], str]:
    def redact_text(text: str) -> str:
        from analysis.redaction import redact

        return redact(text)[0]

    return redact_text


# --------------------------------------------------------------------------- writers


def _row_order_check(export: Export) -> None:
    expected = [variable.name for variable in export.variables]
    order = (
        ["response_id", "month", "on_behalf"]
        + [export.variables[i].name for i in export.groups["qi"]]
        + [export.variables[i].name for i in export.groups["likert"]]
        + ["text_redacted"]
        + [export.variables[i].name for i in export.groups["labels"]]
        + ["model_version"]
    )
    if order != expected:  # pragma: no cover - build_variables and iter_rows disagree
        raise AssertionError(f"column order {order} != {expected}")


_CSV_SPECIAL = re.compile(r'[",\r\n]')


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if _CSV_SPECIAL.search(text) or text[:1].isspace() or text[-1:].isspace():
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_pack(_group: str, cells: tuple[Any, ...]) -> str:
    return ",".join(_csv_cell(cell) for cell in cells)


def iter_csv(export: Export, session: Session, *, redact=None) -> Iterator[str]:  # noqa: ANN001
    """The CSV file (UTF-8, comma-separated, RFC 4180 quoting, header row), a piece per
    thousand rows. Repeated parts of rows are rendered once."""
    _row_order_check(export)
    lines = [",".join(variable.name for variable in export.variables)]
    cell = _csv_cell
    for answer_id, month, on_behalf, qi, likert, text, labels, version in iter_rows(
        export, session, _encode_csv, pack=_csv_pack, redact=redact
    ):
        lines.append(
            f"{answer_id},{month},{on_behalf},{qi},{likert},{cell(text)},{labels},{cell(version)}"
        )
        if len(lines) >= 1000:
            yield "\n".join(lines) + "\n"
            lines = []
    if lines:
        yield "\n".join(lines) + "\n"


def iter_jsonl(export: Export, session: Session, *, redact=None) -> Iterator[str]:  # noqa: ANN001
    """JSON Lines: one object per answer with the same variables as the CSV."""
    _row_order_check(export)
    names = {
        group: [export.variables[i].name for i in indexes]
        for group, indexes in export.groups.items()
    }
    dumps = json.JSONEncoder(ensure_ascii=False).encode

    def pack(group: str, cells: tuple[Any, ...]) -> str:
        return ", ".join(
            f"{dumps(name)}: {dumps(cell)}" for name, cell in zip(names[group], cells, strict=True)
        )

    lines: list[str] = []
    for answer_id, month, on_behalf, qi, likert, text, labels, version in iter_rows(
        export, session, _encode_json, pack=pack, redact=redact
    ):
        lines.append(
            f'{{"response_id": "{answer_id}", "month": "{month}", {on_behalf}, {qi}, '
            f'{likert}, "text_redacted": {dumps(text)}, {labels}, '
            f'"model_version": {dumps(version)}}}'
        )
        if len(lines) >= 1000:
            yield "\n".join(lines) + "\n"
            lines = []
    if lines:
        yield "\n".join(lines) + "\n"


def _stat_rows(
    export: Export,
    session: Session,
    cells: _StatCells,
    redact=None,  # noqa: ANN001
) -> Iterator[tuple[Any, ...]]:
    for answer_id, month, on_behalf, qi, likert, text, labels, version in iter_rows(
        export, session, cells, redact=redact
    ):
        yield (answer_id, month, *on_behalf, *qi, *likert, text, *labels, version)


def _stat_columns(export: Export, cells: _StatCells, language: str = "sv") -> list[Column]:
    """The columns as the .sav and .dta writers take them: labels, value labels, missing codes."""
    columns = []
    no_opinion_label = export.definition.scale.no_opinion.get(language)
    for variable in export.variables:
        label = variable.label[language]
        if variable.name not in cells.cells:
            columns.append(Column(variable.name, label, kind="string"))
            continue
        value_labels: dict[Any, str] = {
            category.number: category.label[language] for category in variable.categories
        }
        missing: list[float] = []
        if "no_opinion" in variable.missing:
            code = STATA_NO_OPINION if cells.stata else NO_OPINION_NUMBER
            value_labels[code] = no_opinion_label
            missing.append(NO_OPINION_NUMBER)
        if "suppressed" in variable.missing:
            code = STATA_SUPPRESSED if cells.stata else SUPPRESSED_NUMBER
            value_labels[code] = MISSING_LABELS["suppressed"][language]
            missing.append(SUPPRESSED_NUMBER)
        columns.append(
            Column(
                variable.name,
                label,
                value_labels=value_labels,
                missing_values=() if cells.stata else tuple(missing),
                measure="ordinal" if variable.kind == "likert" else "nominal",
            )
        )
    return columns


def write_sav(export: Export, session: Session, path: Path, *, redact=None) -> int:  # noqa: ANN001
    """SPSS .sav (bytecode-compressed, UTF-8) with variable labels, value labels and
    user-missing values -1 "Ingen uppfattning" and -2 "Undertryckt". Streams: memory stays
    bounded (see analysis.statfiles)."""
    from analysis.statfiles.sav import write_sav as write

    _row_order_check(export)
    cells = _StatCells(export.variables, stata=False)
    return write(
        path,
        _stat_columns(export, cells),
        _stat_rows(export, session, cells, redact),
        file_label=f"Viktigt {export.definition.id}",
        note=f"Anonymiserad export, k = {export.plan.k}, uppnått k = {export.plan.k_reached}",
    )


def write_dta(export: Export, session: Session, path: Path, *, redact=None) -> int:  # noqa: ANN001
    """Stata .dta (format 118, Stata 14 and later) with variable and value labels;
    .a = "Ingen uppfattning", .s = suppressed, . = not answered. Streams: memory stays bounded
    (see analysis.statfiles)."""
    from analysis.statfiles.dta import write_dta as write

    _row_order_check(export)
    cells = _StatCells(export.variables, stata=True)
    return write(
        path,
        _stat_columns(export, cells),
        _stat_rows(export, session, cells, redact),
        file_label=f"Viktigt {export.definition.id}",
    )


# --------------------------------------------------------------------------- codebook


def _missing_description(fmt: str, no_opinion: str = "Ingen uppfattning") -> dict[str, str]:
    if fmt == "dta":
        return {
            "no_opinion": f".a (extended missing, value label «{no_opinion}»)",
            "suppressed": ".s (extended missing, value label «Undertryckt»)",
            "not_answered": ". (system missing)",
            "not_coded": ". (system missing)",
        }
    if fmt == "sav":
        return {
            "no_opinion": f"{NO_OPINION_NUMBER} (user-missing, value label «{no_opinion}»)",
            "suppressed": f"{SUPPRESSED_NUMBER} (user-missing, value label «Undertryckt»)",
            "not_answered": "system missing (empty string for strings)",
            "not_coded": "system missing",
        }
    empty = "empty cell" if fmt == "csv" else "null"
    return {
        "no_opinion": f"{NO_OPINION_NUMBER}",
        "suppressed": f'"{SUPPRESSED_TEXT}"',
        "not_answered": empty,
        "not_coded": empty,
    }


def codebook(export: Export, fmt: str) -> dict[str, Any]:
    """The machine-readable codebook (written as JSON next to the data file)."""
    definition = export.definition
    plan = export.plan
    coded_in_files = fmt in ("sav", "dta")
    variables = []
    for variable in export.variables:
        entry: dict[str, Any] = {
            "name": variable.name,
            "label": variable.label,
            "type": variable.kind,
            "question": variable.question,
        }
        if variable.categories:
            entry["values"] = [
                {
                    "code": category.number if coded_in_files else category.code,
                    "label": category.label,
                }
                for category in variable.categories
            ]
        if variable.missing:
            missing = _missing_description(fmt, definition.scale.no_opinion.sv)
            entry["missing"] = {reason: missing[reason] for reason in variable.missing}
        if variable.note:
            entry["note"] = variable.note
        variables.append(entry)
    strategies = {statement.strategy: statement for statement in definition.statements}
    labels = {
        dimension: [
            {
                "label": label,
                "variable": _name("lab_", label),
                "title": LABEL_TITLES[label],
                **({"i_statement": _loc(strategies[label].text)} if label in strategies else {}),
            }
            for label in names
        ]
        for dimension, names in DIMENSIONS.items()
    }
    return {
        "survey": {
            "id": definition.id,
            "version": definition.version,
            "title": _loc(definition.title),
            "organisation": _loc(definition.organisation),
            "framework": definition.framework,
        },
        "format": fmt,
        "generated_at": export.generated_at.isoformat(timespec="seconds"),
        "filters": export.filters.as_dict(),
        "rows": export.rows,
        "no_opinion": {
            "wording": _loc(definition.scale.no_opinion),
            "coded_as": _missing_description(fmt, definition.scale.no_opinion.sv)["no_opinion"],
        },
        "scale": [
            {"value": step.value, "label": _loc(step.label)} for step in definition.scale.steps
        ],
        "variables": variables,
        "anonymisation": {
            "k": plan.k,
            "k_reached": plan.k_reached,
            "quasi_identifiers": list(QUASI_IDENTIFIERS),
            "generalised": plan.describe(),
            "combinations": plan.classes,
            "time": "month of submission only",
            "response_ids": "random per export, not derived from database ids; row order random",
            "free_text": "redacted text only (personal data replaced by placeholders)",
        },
        "labels": labels,
        "classifier": {
            "versions": export.model_versions,
            "quality": export.classifier_quality,
        },
    }


def codebook_markdown(export: Export, fmt: str) -> str:
    """The human-readable codebook (Markdown, Swedish with English wording)."""
    book = codebook(export, fmt)
    definition = export.definition
    anonymisation = book["anonymisation"]
    lines = [
        f"# Kodbok: {definition.title.sv}",
        "",
        f"- Enkät: `{definition.id}` version {definition.version} ({definition.organisation.sv})",
        f"- Fil: {export.file_stem()}{DATA_FILE_SUFFIX[fmt]} ({fmt})",
        f"- Skapad: {book['generated_at']}",
        f"- Urval: {json.dumps(book['filters'], ensure_ascii=False)}",
        f"- Antal svar (rader): {export.rows}",
        "",
        "## Anonymisering",
        "",
        f"- k = {anonymisation['k']}; uppnått k (minsta grupp): {anonymisation['k_reached']}",
        "- Bakgrundsvariabler som tillsammans kan identifiera (kvasi-identifierare): "
        + ", ".join(f"`{name}`" for name in QUASI_IDENTIFIERS),
        f"- Generalisering: `{json.dumps(anonymisation['generalised'], ensure_ascii=False)}`",
        f"- Rader där alla kvasi-identifierare är undertryckta: "
        f"{anonymisation['generalised']['suppressed_rows']}",
        "- Tid: bara månad (ÅÅÅÅ-MM). Svars-id: slumpade i varje export, radordningen slumpad.",
        "- Fritext: bara den avidentifierade texten (namn, telefonnummer, personnummer, "
        "e-post, adresser och ärendenummer ersatta).",
        "",
        "## Saknade värden",
        "",
        f"«{definition.scale.no_opinion.sv}» ({definition.scale.no_opinion.en}) kodas "
        f"{book['no_opinion']['coded_as']}.",
        "",
    ]
    for reason, text in _missing_description(fmt, definition.scale.no_opinion.sv).items():
        lines.append(f"- {reason}: {text}")
    lines += ["", "## Variabler", ""]
    for entry in book["variables"]:
        lines.append(f"### `{entry['name']}`")
        lines.append("")
        lines.append(f"{entry['label']['sv']} ({entry['label']['en']}); typ: {entry['type']}")
        if entry.get("question"):
            lines.append("")
            lines.append(f"Fråga: «{entry['question']['sv']}» ({entry['question']['en']})")
        if entry.get("values"):
            lines.append("")
            lines.append("| kod | etikett | label |")
            lines.append("| --- | --- | --- |")
            for value in entry["values"]:
                lines.append(
                    f"| {value['code']} | {value['label']['sv']} | {value['label']['en']} |"
                )
        if entry.get("missing"):
            lines.append("")
            lines.append(
                "Saknas: "
                + "; ".join(f"{reason} = {code}" for reason, code in entry["missing"].items())
            )
        if entry.get("note"):
            lines.append("")
            lines.append(entry["note"])
        lines.append("")
    lines += ["## Kodernas definitioner", ""]
    for dimension, labels in book["labels"].items():
        lines.append(f"### {dimension}")
        lines.append("")
        for item in labels:
            text = f"- `{item['variable']}`: {item['title']['sv']} ({item['title']['en']})"
            if "i_statement" in item:
                text += f". Jag-påstående: «{item['i_statement']['sv']}»"
            lines.append(text)
        lines.append("")
    lines += ["## Klassificeraren", ""]
    classifier = book["classifier"]
    if not classifier["versions"]:
        lines.append("Inga svar i urvalet är kodade av klassificeraren.")
    for version, count in classifier["versions"].items():
        quality = classifier["quality"].get(version, {})
        lines.append(f"### Version `{version}` ({count} svar)")
        lines.append("")
        if not quality.get("available"):
            lines.append("Modellens mått finns inte på servern (metadatafilen saknas).")
            lines.append("")
            continue
        lines.append(f"Uppmätt med {quality['evaluation']}; tränad {quality['trained_at']}.")
        lines.append("")
        lines.append("| kod | precision | recall | F1 | stöd |")
        lines.append("| --- | --- | --- | --- | --- |")
        for label, figures in quality["labels"].items():
            lines.append(
                f"| {label} | {figures.get('precision', '')} | {figures.get('recall', '')} | "
                f"{figures.get('f1', '')} | {figures.get('support', '')} |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- files


def write_export(
    export: Export,
    session: Session,
    fmt: str,
    directory: Path,
    *,
    redact=None,  # noqa: ANN001
) -> list[Path]:
    """Write the data file and its codebook (.md and .json) into ``directory``."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = export.file_stem()
    data_path = directory / f"{stem}{DATA_FILE_SUFFIX[fmt]}"
    if fmt in ("csv", "jsonl"):
        pieces = iter_csv if fmt == "csv" else iter_jsonl
        with data_path.open("w", encoding="utf-8", newline="") as handle:
            for piece in pieces(export, session, redact=redact):
                handle.write(piece)
    elif fmt == "sav":
        write_sav(export, session, data_path, redact=redact)
    else:
        write_dta(export, session, data_path, redact=redact)
    markdown_path = directory / f"{stem}-kodbok.md"
    json_path = directory / f"{stem}-kodbok.json"
    markdown_path.write_text(codebook_markdown(export, fmt), encoding="utf-8")
    json_path.write_text(
        json.dumps(codebook(export, fmt), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return [data_path, markdown_path, json_path]


class _Drain(io.RawIOBase):
    """A write-only stream whose contents are taken away after every write (for zip)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        data = bytes(data)
        self.chunks.append(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks = []
        return data


def iter_zip(export: Export, session: Session, fmt: str, *, redact=None) -> Iterator[bytes]:  # noqa: ANN001
    """A zip of the data file and its codebook, produced while the rows stream.

    CSV and JSON Lines go into the zip as they are read; .sav and .dta are written to a
    temporary file first (their writers seek back to finish a file) and then copied in.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}")
    stem = export.file_stem()
    sink = _Drain()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        name = f"{stem}{DATA_FILE_SUFFIX[fmt]}"
        if fmt in ("csv", "jsonl"):
            pieces = iter_csv if fmt == "csv" else iter_jsonl
            with archive.open(name, "w", force_zip64=True) as member:
                for piece in pieces(export, session, redact=redact):
                    member.write(piece.encode("utf-8"))
                    if sink.chunks:
                        yield sink.take()
        else:
            with tempfile.TemporaryDirectory(prefix="viktigt-export-") as scratch:
                path = Path(scratch) / name
                (write_sav if fmt == "sav" else write_dta)(export, session, path, redact=redact)
                with archive.open(name, "w", force_zip64=True) as member, path.open("rb") as data:
                    while block := data.read(1 << 20):
                        member.write(block)
                        if sink.chunks:
                            yield sink.take()
        archive.writestr(f"{stem}-kodbok.md", codebook_markdown(export, fmt))
        archive.writestr(
            f"{stem}-kodbok.json", json.dumps(codebook(export, fmt), ensure_ascii=False, indent=2)
        )
    yield sink.take()
