"""Anonymised exports: every format opens with its standard reader, labels intact, k-anonymity
holds, nothing un-redacted leaves, ids are random."""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from sqlalchemy import update
from sqlmodel import select

from analysis import export as ex
from analysis.labels import ALL_LABELS, DIMENSIONS, LABEL_DIMENSION
from survey.db import session_scope
from survey.definitions import load_directory
from survey.demo import seed_demo
from survey.models import Response
from survey.operations import ResponseDraft, record_review, submit_response
from tests.conftest import BOTH_DATABASES, SURVEYS

DEFINITIONS = load_directory(SURVEYS)
JONKOPING = DEFINITIONS["jonkoping-2030"]
QI_COLUMNS = ["age_group", "municipality", "gender", "mode", "services_count"]
PII_TEXT = (
    "Jag heter Anna Svensson, personnummer 19800101-1234, ring mig på 070-123 45 67 "
    "om väntetiden på vårdcentralen."
)
PII_FRAGMENTS = ("Anna Svensson", "19800101-1234", "070-123 45 67", "Svensson")
TEXTS = [
    "Kortare väntetider på vårdcentralen.",
    "Att jag får träffa samma läkare varje gång.",
    "Mer personal inom hemtjänsten.",
    "Aktiviteter för äldre så man inte blir ensam.",
    "BUP måste ha kortare köer för barn och unga.",
    "Bra bemötande.",
]


@dataclass
class FakeCoding:
    labels: dict[str, list[str]]
    scores: dict[str, float]
    uncertain: bool


def fake_classify(texts):  # type: ignore[no-untyped-def]
    """Deterministic codes: each text gets the labels whose index divides its length."""
    codings = []
    for text in texts:
        chosen = [label for i, label in enumerate(ALL_LABELS) if len(text) % (i + 2) == 0]
        labels = {dimension: [] for dimension in DIMENSIONS}
        for label in chosen:
            labels[LABEL_DIMENSION[label]].append(label)
        scores = {label: (0.9 if label in chosen else 0.1) for label in ALL_LABELS}
        codings.append(FakeCoding(labels, scores, False))
    return codings


def seed(engine, responses: int = 1500, seed_value: int = 7) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Demo answers plus three special ones: redacted PII, un-redacted old PII, a review."""
    ids: dict[str, int] = {}
    with session_scope(engine) as session:
        seed_demo(
            session=session,
            definition=JONKOPING,
            responses=responses,
            texts=TEXTS,
            classify=fake_classify,
            model_version="test-model-1",
            seed=seed_value,
        )
        # Demo rows carry no redacted text; make them look like submitted ones.
        for text in TEXTS:
            session.execute(
                update(Response).where(Response.free_text == text).values(redacted_text=text)
            )
        draft = ResponseDraft(
            survey_id=JONKOPING.id,
            language="sv",
            likert={"framja_halsa": 4, "forandrade_arbetssatt": None},
            free_text=PII_TEXT,
            age_group="90-plus",
            municipality="habo",
            gender="annat",
            services=("psykiatri",),
            statement_ids=tuple(s.id for s in JONKOPING.statements),
        )

        from analysis.redaction import redact

        submit_response(
            session=session,
            draft=draft,
            submission_id="00000000-0000-4000-8000-000000000001",
            today=date.today() - timedelta(days=3),
            redacted_text=redact(PII_TEXT)[0],
        )
        # An old answer stored before redaction existed: no redacted text at all.
        submit_response(
            session=session,
            draft=ResponseDraft(**{**draft.__dict__, "municipality": "eksjo"}),
            submission_id="00000000-0000-4000-8000-000000000002",
            today=date.today() - timedelta(days=40),
        )
        rows = session.exec(
            select(Response.id, Response.submission_id).where(
                Response.submission_id.like("00000000-%")
            )
        )
        for response_id, submission_id in rows:
            ids[submission_id[-1]] = response_id
        record_review(
            session=session,
            response_id=ids["1"],
            dimension="target_groups",
            labels=["psykiatri_missbruk"],
            reviewer_id=None,
        )
    return ids


def prepare(engine, **kwargs):  # type: ignore[no-untyped-def]
    with ex.export_session(engine) as session:
        return ex.prepare_export(session=session, definition=JONKOPING, **kwargs)


def export_files(engine, fmt: str, directory: Path, **kwargs):  # type: ignore[no-untyped-def]
    with ex.export_session(engine) as session:
        export = ex.prepare_export(session=session, definition=JONKOPING, **kwargs)
        paths = ex.write_export(export, session, fmt, directory)
    return export, paths


def read_data(fmt: str, path: Path) -> pd.DataFrame:
    if fmt == "csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    if fmt == "jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    if fmt == "sav":
        return pyreadstat.read_sav(path, user_missing=True)[0]
    return pd.read_stata(path, convert_categoricals=False, convert_missing=True)


def assert_k_anonymous(frame: pd.DataFrame, k: int) -> int:
    columns = QI_COLUMNS + [c for c in frame.columns if c.startswith("svc_")]
    keys = [tuple(str(value) for value in row) for row in frame[columns].itertuples(index=False)]
    sizes = Counter(keys)
    assert min(sizes.values()) >= k, sorted(sizes.values())[:5]
    return min(sizes.values())


# --------------------------------------------------------------------------- planning


def test_plan_reaches_k_on_random_combinations() -> None:
    rng = random.Random(3)
    ages = [c.value for c in JONKOPING.questions.age_group.choices] + [None]
    places = [c.value for c in JONKOPING.questions.municipality.choices] + [None]
    services = [(), ("inget",), ("sjukhus",), ("hemtjanst", "vardcentral"), ("psykiatri",)]
    counts: dict = Counter()
    for _ in range(4000):
        key = (
            rng.choice(ages),
            rng.choice(places),
            rng.choice(["kvinna", "man", "annat", None]),
            rng.choice(services),
            rng.choice(["web", "web", "paper"]),
        )
        counts[key] += 1
    for k in (2, 5, 11):
        plan = ex.plan_generalisation(dict(counts), k=k, max_suppressed_share=0.02)
        sizes = Counter()
        for raw, count in counts.items():
            key = plan.generalise(raw)
            sizes[(ex.SUPPRESSED,) * 5 if key in plan.suppressed_keys else key] += count
        assert min(sizes.values()) >= k == plan.k
        assert plan.k_reached == min(sizes.values())
        assert plan.suppressed_rows <= 0.02 * 4000 + k
        assert sum(sizes.values()) == 4000


def test_plan_generalises_nothing_when_every_combination_is_large() -> None:
    counts = {("30-39", "habo", "man", ("sjukhus",), "web"): 10, (None, None, None, (), "web"): 7}
    plan = ex.plan_generalisation(counts, k=5)
    assert plan.describe()["age_group"] == "kept"
    assert plan.suppressed_rows == 0 and plan.k_reached == 7


def test_a_lone_outlier_is_suppressed_with_enough_company() -> None:
    counts = {
        ("30-39", "habo", "man", ("sjukhus",), "web"): 100,
        ("90-plus", "aneby", "annat", ("psykiatri",), "paper"): 1,
    }
    plan = ex.plan_generalisation(counts, k=5, max_suppressed_share=0.05)
    # The outlier alone would be a class of 1: the smallest other class joins it.
    assert plan.k_reached >= 5
    assert plan.suppressed_rows >= 5


def test_fewer_answers_than_k_are_refused() -> None:
    with pytest.raises(ex.ExportError):
        ex.plan_generalisation({("30-39", None, None, (), "web"): 3}, k=5)


def test_age_bands() -> None:
    assert [
        ex.age_band(v) for v in ("under-16", "16-19", "20-29", "50-59", "70-79", "90-plus")
    ] == [
        "under-20",
        "under-20",
        "20-39",
        "40-59",
        "60-79",
        "80-plus",
    ]


# --------------------------------------------------------------------------- formats


@BOTH_DATABASES
@pytest.mark.parametrize("fmt", ex.FORMATS)
def test_every_format_opens_with_its_reader_and_is_k_anonymous(engine, tmp_path, fmt) -> None:  # type: ignore[no-untyped-def]
    seed(engine)
    export, paths = export_files(engine, fmt, tmp_path)
    data_path, markdown_path, json_path = paths
    assert data_path.suffix == ex.DATA_FILE_SUFFIX[fmt]
    frame = read_data(fmt, data_path)
    assert len(frame) == export.rows == 1502
    assert list(frame.columns) == [variable.name for variable in export.variables]
    reached = assert_k_anonymous(frame, ex.DEFAULT_K)
    assert reached >= export.plan.k_reached >= ex.DEFAULT_K
    book = json.loads(json_path.read_text(encoding="utf-8"))
    assert book["anonymisation"]["k_reached"] == export.plan.k_reached
    assert book["rows"] == 1502
    assert "Kodbok" in markdown_path.read_text(encoding="utf-8")
    # Nothing un-redacted, anywhere in the files.
    for path in paths:
        content = path.read_bytes()
        for fragment in PII_FRAGMENTS:
            assert fragment.encode("utf-8") not in content, (path.name, fragment)
    texts = " ".join(str(value) for value in frame["text_redacted"])
    assert texts.count("[PERSONNUMMER]") == 2  # the redacted row and the old one, redacted now
    assert "[TELEFON]" in texts


def test_spss_labels_and_missing_values(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    seed(engine)
    _export, paths = export_files(engine, "sav", tmp_path)
    frame, meta = pyreadstat.read_sav(paths[0], user_missing=True)
    assert meta.column_names_to_labels["gender"] == "Kön"
    labels = meta.variable_value_labels["q_framja_halsa"]
    assert labels[1.0] == "Instämmer inte alls" and labels[-1.0] == "Vet inte"
    assert meta.missing_ranges["q_forandrade_arbetssatt"] == [{"lo": -1.0, "hi": -1.0}]
    assert -1.0 in set(frame["q_forandrade_arbetssatt"])  # "Vet inte" is kept, as user-missing
    assert meta.variable_value_labels["lab_aldre"] == {0.0: "Nej", 1.0: "Ja"}
    assert meta.variable_value_labels["src_target_groups"][2.0] == "Granskad av en person"
    # Read the ordinary way, user-missing values are missing.
    plain, _ = pyreadstat.read_sav(paths[0])
    assert -1.0 not in set(plain["q_forandrade_arbetssatt"].dropna())


def test_stata_labels_and_extended_missing(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    seed(engine)
    _export, paths = export_files(engine, "dta", tmp_path)
    with pd.io.stata.StataReader(paths[0]) as reader:
        variable_labels = reader.variable_labels()
        value_labels = reader.value_labels()
    assert variable_labels["municipality"] == "Kommun"
    assert any(labels.get(1) == "Instämmer inte alls" for labels in value_labels.values())
    raw = pd.read_stata(paths[0], convert_categoricals=False, convert_missing=True)
    missing = [
        v for v in raw["q_forandrade_arbetssatt"] if isinstance(v, pd.io.stata.StataMissingValue)
    ]
    assert any(v.string == ".a" for v in missing)  # "Vet inte"
    labelled = pd.read_stata(paths[0])
    assert "Instämmer helt" in set(labelled["q_framja_halsa"].dropna())
    _frame, meta = pyreadstat.read_dta(paths[0], user_missing=True)
    assert meta.missing_user_values["q_framja_halsa"] == ["a"]


def test_csv_codes_and_jsonl_values(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ids = seed(engine)
    _export, paths = export_files(engine, "csv", tmp_path / "csv")
    rows = list(csv.DictReader(io.StringIO(paths[0].read_text(encoding="utf-8"))))
    assert {row["q_forandrade_arbetssatt"] for row in rows} >= {"-1", ""}
    assert all(len(row["month"]) == 7 and row["month"][4] == "-" for row in rows)
    reviewed = [row for row in rows if row["src_target_groups"] == "review"]
    assert len(reviewed) == 1 and reviewed[0]["lab_psykiatri_missbruk"] == "1"
    assert {row["src_jonkoping_2030"] for row in rows} >= {"model", ""}
    _export, paths = export_files(engine, "jsonl", tmp_path / "jsonl")
    records = [json.loads(line) for line in paths[0].read_text(encoding="utf-8").splitlines()]
    assert {r["q_forandrade_arbetssatt"] for r in records} >= {-1, None}
    assert all(r["model_version"] in ("test-model-1", None) for r in records)
    # Ids are random: not database ids, not the same across two exports.
    csv_ids = {row["response_id"] for row in rows}
    json_ids = {r["response_id"] for r in records}
    assert len(csv_ids) == len(rows) and not csv_ids & json_ids
    assert not {str(i) for i in ids.values()} & csv_ids


def test_period_filter_and_codebook(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    seed(engine)
    metadata = {
        "version": "test-model-1",
        "trained_at": "2026-01-01T00:00:00",
        "cv": {
            "folds": 5,
            "report": {
                "target_groups": {
                    "labels": {
                        "aldre": {"precision": 0.9, "recall": 0.8, "f1": 0.85, "support": 40}
                    },
                    "macro_f1": 0.8,
                }
            },
        },
    }
    models = tmp_path / "models"
    models.mkdir()
    (models / "viktigt-classifier-test-model-1.json").write_text(json.dumps(metadata))
    since = date.today() - timedelta(days=120)
    export, paths = export_files(
        engine,
        "csv",
        tmp_path / "out",
        filters=ex.ExportFilter(JONKOPING.id, since, None),
        model_directories=[models],
    )
    frame = read_data("csv", paths[0])
    assert len(frame) == export.rows < 1502
    assert min(frame["month"]) >= f"{since:%Y-%m}"
    book = json.loads(paths[2].read_text(encoding="utf-8"))
    variables = {v["name"]: v for v in book["variables"]}
    assert variables["q_framja_halsa"]["question"]["sv"].startswith("Jag vet vad som påverkar")
    assert variables["q_framja_halsa"]["missing"]["no_opinion"] == "-1"
    assert book["no_opinion"]["wording"]["sv"] == "Vet inte"
    assert book["classifier"]["quality"]["test-model-1"]["labels"]["aldre"]["f1"] == 0.85
    assert book["labels"]["jonkoping-2030"][0]["i_statement"]["sv"].startswith("Jag vet")
    assert book["filters"]["date_from"] == since.isoformat()
    markdown = paths[1].read_text(encoding="utf-8")
    assert "| aldre | 0.9 | 0.8 | 0.85 | 40 |" in markdown
    assert "«Vet inte»" in markdown


def test_zip_stream_holds_data_and_codebook(engine) -> None:  # type: ignore[no-untyped-def]
    seed(engine, responses=300)
    for fmt in ex.FORMATS:
        with ex.export_session(engine) as session:
            export = ex.prepare_export(session=session, definition=JONKOPING)
            content = b"".join(ex.iter_zip(export, session, fmt))
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            assert names == [
                f"{export.file_stem()}{ex.DATA_FILE_SUFFIX[fmt]}",
                f"{export.file_stem()}-kodbok.md",
                f"{export.file_stem()}-kodbok.json",
            ]
            assert archive.testzip() is None


def test_log_entry(engine) -> None:  # type: ignore[no-untyped-def]
    seed(engine, responses=200)
    export = prepare(engine)
    entry = export.log_entry("sav", channel="cli", user_id=None, username="cli:test")
    assert entry.rows == 202 and entry.k_reached == export.plan.k_reached >= 5
    assert entry.generalised["k"] == 5 and "suppressed_rows" in entry.generalised
    assert entry.filters == {"survey_id": JONKOPING.id, "date_from": None, "date_to": None}


def test_too_small_a_selection_is_refused(engine) -> None:  # type: ignore[no-untyped-def]
    seed(engine, responses=0)
    with pytest.raises(ex.ExportError):
        prepare(engine)
