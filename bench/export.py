"""Anonymised export of a million answers: wall time and peak memory per format.

Fills a database with demo answers (``survey.demo.seed_demo``; labels from a fast stand-in
coder, redacted text like submitted answers) up to ``--answers``, then runs each export in a
fresh Python process, exactly as ``viktigt export`` does (snapshot session, SQL aggregation,
generalisation plan, streamed rows, codebook), and reports that process's wall time and peak
resident memory (ru_maxrss, imports included).

    .venv/bin/python bench/export.py                                  # SQLite, 1,000,000 answers
    .venv/bin/python bench/export.py --database-url postgresql://…/viktigt_bench
    .venv/bin/python bench/export.py --answers 100000 --formats csv,jsonl

Targets (GitHub issue 5): CSV under 60 s and under 300 MB RSS. Exit status 1 when a CSV run
misses them. Results are also written to bench/results/export-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURVEY_ID = "jonkoping-2030"
TARGET_SECONDS = 60.0
TARGET_RSS_MB = 300.0


def _engine(url: str):  # type: ignore[no-untyped-def]
    from survey.db import create_db_engine

    return create_db_engine(url)


def _definition():  # type: ignore[no-untyped-def]
    from survey.definitions import load_directory

    return load_directory(ROOT / "survey" / "surveys")[SURVEY_ID]


class _Coding:
    def __init__(self, labels: dict[str, list[str]], scores: dict[str, float]) -> None:
        self.labels = labels
        self.scores = scores
        self.uncertain = False


def stand_in_coder(texts):  # type: ignore[no-untyped-def]
    """Deterministic labels per text (the real classifier needs a trained artefact)."""
    from analysis.labels import ALL_LABELS, DIMENSIONS, LABEL_DIMENSION

    codings = []
    for text in texts:
        chosen = {label for i, label in enumerate(ALL_LABELS) if hash((text, i)) % 4 == 0}
        labels = {dimension: [] for dimension in DIMENSIONS}
        for label in ALL_LABELS:
            if label in chosen:
                labels[LABEL_DIMENSION[label]].append(label)
        scores = {label: 0.9 if label in chosen else 0.1 for label in ALL_LABELS}
        codings.append(_Coding(labels, scores))
    return codings


def prepare(url: str, answers: int) -> int:
    """Migrate, load the surveys and seed up to ``answers`` answers; return the count."""
    from sqlalchemy import func, text
    from sqlmodel import select

    from analysis.redaction import redact
    from survey.db import session_scope
    from survey.definitions import load_directory
    from survey.demo import corpus_texts, seed_demo
    from survey.migrate import upgrade
    from survey.models import Response
    from survey.operations import upsert_survey

    engine = _engine(url)
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    upgrade(engine)
    with session_scope(engine) as session:
        for definition in load_directory(ROOT / "survey" / "surveys").values():
            upsert_survey(session=session, definition=definition)
        present = session.exec(
            select(func.count()).select_from(Response).where(Response.survey_id == SURVEY_ID)
        ).one()
    missing = answers - present
    if missing > 0:
        texts = corpus_texts(ROOT / "nlp_models" / "corpus")
        print(f"Seeding {missing} answers ({len(texts)} distinct texts)…", flush=True)
        started = time.perf_counter()
        step = 100_000
        for offset in range(0, missing, step):
            with session_scope(engine) as session:
                seed_demo(
                    session=session,
                    definition=_definition(),
                    responses=min(step, missing - offset),
                    texts=texts,
                    classify=stand_in_coder,
                    model_version="bench-stand-in",
                    seed=2030 + present + offset,
                )
            print(f"  {offset + min(step, missing - offset)} / {missing}", flush=True)
        # Demo rows have no redacted text; give them what a submission would have stored.
        with session_scope(engine) as session:
            session.execute(text("DROP TABLE IF EXISTS bench_redacted"))
            session.execute(
                text("CREATE TABLE bench_redacted (original TEXT PRIMARY KEY, redacted TEXT)")
            )
            session.execute(
                text("INSERT INTO bench_redacted VALUES (:original, :redacted)"),
                [{"original": t, "redacted": redact(t)[0]} for t in texts],
            )
            session.execute(
                text(
                    "UPDATE response SET redacted_text = (SELECT redacted FROM bench_redacted "
                    "WHERE original = response.free_text) "
                    "WHERE free_text IS NOT NULL AND redacted_text IS NULL"
                )
            )
            session.execute(text("DROP TABLE bench_redacted"))
            if engine.dialect.name == "postgresql":
                session.commit()
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("VACUUM ANALYZE response"))
        print(f"Seeded in {time.perf_counter() - started:.0f} s.", flush=True)
        present += missing
    engine.dispose()
    return present


def child(url: str, fmt: str, out: Path) -> None:
    """One export in this process; prints a JSON line with time and peak memory."""
    from analysis.export import export_session, prepare_export, write_export

    engine = _engine(url)
    definition = _definition()
    started = time.perf_counter()
    with export_session(engine) as session:
        export = prepare_export(session=session, definition=definition)
        planned = time.perf_counter() - started
        paths = write_export(export, session, fmt, out)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_kb = usage.ru_maxrss
    print(
        json.dumps(
            {
                "format": fmt,
                "rows": export.rows,
                "seconds": round(seconds, 1),
                "plan_seconds": round(planned, 1),
                "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
                "peak_rss_mb": round(peak_kb / 1024, 1),
                "file_mb": round(paths[0].stat().st_size / 1e6, 1),
                "k_reached": export.plan.k_reached,
                "generalised": export.plan.describe(),
            }
        ),
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=f"sqlite:///{ROOT / 'instance' / 'bench-export.sqlite3'}",
        help="Database to fill and export from (default: instance/bench-export.sqlite3).",
    )
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--formats", default="csv,sav")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.database_url, args.child, args.out)
        return 0

    rows = prepare(args.database_url, args.answers)
    results = []
    for fmt in [f.strip() for f in args.formats.split(",") if f.strip()]:
        with tempfile.TemporaryDirectory(prefix="bench-export-") as scratch:
            command = [
                sys.executable,
                __file__,
                "--database-url",
                args.database_url,
                "--child",
                fmt,
                "--out",
                scratch,
            ]
            output = subprocess.run(
                command, check=True, capture_output=True, text=True, env=os.environ.copy()
            ).stdout
        result = json.loads(output.strip().splitlines()[-1])
        results.append(result)
        print(
            f"{fmt:>5}: {result['rows']} rows in {result['seconds']} s "
            f"(plan {result['plan_seconds']} s), peak RSS {result['peak_rss_mb']} MB, "
            f"file {result['file_mb']} MB, k reached {result['k_reached']}",
            flush=True,
        )
    backend = args.database_url.split(":", 1)[0]
    record = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": backend,
        "answers": rows,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "results": results,
    }
    target = ROOT / "bench" / "results" / f"export-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"Results: {target.relative_to(ROOT)}")
    missed = [
        r
        for r in results
        if r["format"] == "csv"
        and (r["seconds"] > TARGET_SECONDS or r["peak_rss_mb"] > TARGET_RSS_MB)
    ]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
