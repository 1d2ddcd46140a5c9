"""Summary page speed: /personal/sammanstallning for a strategy group member, 100k and 1M answers.

    .venv/bin/python bench/summary.py                                # 100k and 1M, both databases
    .venv/bin/python bench/summary.py --sizes 100000 --databases sqlite
    .venv/bin/python bench/summary.py --workdir /tmp/viktigt-bench   # keep and reuse the data
    .venv/bin/python bench/summary.py --explain                      # query plans as well

For each database (SQLite file, PostgreSQL database) and size N the bench

1. migrates a fresh database, loads the bundled surveys and adds N demo answers with
   ``survey.demo.seed_demo`` exactly as ``viktigt seed-demo --responses N --survey
   jonkoping-2030`` does: all N in the one survey a strategy group reads (the other survey
   stays empty), free text from the corpus coded by the trained classifier. Then ANALYZE
   (PostgreSQL: VACUUM ANALYZE, what autovacuum does after a bulk load);
2. creates a strategy_group account for "aldre" with ``survey.staff.auth.create_user`` and a
   TOTP secret, and logs in through the real pages (password, then code) with Flask's test
   client;
3. renders /personal/sammanstallning?survey=jonkoping-2030&target_group=aldre (warm-up runs,
   then ``--runs`` timed runs; median, p90, max; the first request after start separately)
   with no filter, a period filter (the last six months) and a municipality filter (the
   municipality with most answers);
4. times ``build_summary`` alone for the same selections, and each SQL statement it issues
   (re-run through the driver with its parameters, fetching every row) to show where the time
   goes. No result is cached anywhere: every run counts again.

PostgreSQL: ``--pg-url`` (default: scripts/test-postgres.sh's server); the bench creates and
drops its own databases (viktigt_bench_<N>). Without ``--workdir`` everything is removed at the
end; with it the SQLite files and PostgreSQL databases are kept and reused when they hold
the same number of answers coded by the same model (``--reseed`` forces a fresh load).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, func, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

SURVEY_ID = "jonkoping-2030"
TARGET_GROUP = "aldre"
PASSWORD = "Bänkprov för sammanställning 1!"
# Who renders the page: (username, roles, target groups).
ACCOUNTS = {
    "strategy_group": ("bench-aldre", ("strategy_group",), (TARGET_GROUP,)),
    "analyst": ("bench-analyst", ("analyst",), ()),
}
DEFAULT_PG_URL = "postgresql://viktigt:viktigt@127.0.0.1:54329/postgres"
TARGET_MS = 500.0
PAGE = "/personal/sammanstallning"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


# --------------------------------------------------------------------------- figures


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Timing:
    """Milliseconds of repeated runs."""

    runs: list[float]
    first: float | None = None
    cpu: float | None = None  # CPU milliseconds per run: this process and the database's

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def p90(self) -> float:
        return percentile(self.runs, 0.9)

    @property
    def max(self) -> float:
        return max(self.runs)

    def brief(self) -> dict[str, float | None]:
        return {
            "median_ms": round(self.median, 1),
            "p90_ms": round(self.p90, 1),
            "max_ms": round(self.max, 1),
            "first_ms": None if self.first is None else round(self.first, 1),
            "cpu_ms": None if self.cpu is None else round(self.cpu, 1),
        }


class CpuMeter:
    """CPU time used by this process and, for PostgreSQL, by the server processes serving
    the bench database (read from /proc; parallel workers come and go and are not counted).

    On a busy machine wall-clock times mostly measure the queue for a core; CPU time is the
    part of the cost that is the page's own.
    """

    TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")

    def __init__(self, url: str | None = None) -> None:
        self.connection = None
        if url is not None:
            import psycopg

            self.connection = psycopg.connect(
                make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
                autocommit=True,
            )

    def _backends(self) -> dict[int, float]:
        if self.connection is None:
            return {}
        rows = self.connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchall()
        used = {}
        for (pid,) in rows:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # another host, or the process has ended
                continue
            used[pid] = (int(fields[11]) + int(fields[12])) * self.TICK_MS
        return used

    def snapshot(self) -> tuple[float, dict[int, float]]:
        return time.process_time() * 1000, self._backends()

    @staticmethod
    def since(start: tuple[float, dict[int, float]], end: tuple[float, dict[int, float]]) -> float:
        own = end[0] - start[0]
        return own + sum(used - start[1].get(pid, 0.0) for pid, used in end[1].items())

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def timed(
    action: Callable[[], object], runs: int, warmup: int, cpu: CpuMeter | None = None
) -> Timing:
    """Run ``action`` warm-up times, then ``runs`` times; the first call is kept apart."""
    first = None
    for index in range(warmup):
        started = time.perf_counter()
        action()
        if index == 0:
            first = (time.perf_counter() - started) * 1000
    results = []
    before = cpu.snapshot() if cpu else None
    for _ in range(runs):
        started = time.perf_counter()
        action()
        results.append((time.perf_counter() - started) * 1000)
    used = cpu.since(before, cpu.snapshot()) / runs if cpu and before else None
    return Timing(results, first, used)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


# --------------------------------------------------------------------------- databases


@dataclass
class Database:
    kind: str  # "sqlite" or "postgresql"
    size: int
    url: str
    marker: Path  # what was loaded, for reuse
    drop: Callable[[], None]


def sqlite_database(workdir: Path, size: int) -> Database:
    path = workdir / f"summary-{size}.sqlite3"

    def drop() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    return Database("sqlite", size, f"sqlite:///{path}", workdir / f"summary-{size}.json", drop)


def postgres_database(server_url: str, workdir: Path, size: int, keep: bool) -> Database:
    server = make_url(server_url).set(drivername="postgresql+psycopg")
    # Kept databases are found again by name; throwaway ones must not clobber them.
    name = f"viktigt_bench_{size}" if keep else f"viktigt_bench_{size}_{os.getpid()}"

    def admin(statement: str) -> None:
        engine = create_engine(server, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    url = server.set(database=name).render_as_string(hide_password=False)
    database = Database("postgresql", size, url, workdir / f"pg-{size}.json", lambda: None)
    database.drop = lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    database.create = lambda: admin(f'CREATE DATABASE "{name}"')  # type: ignore[attr-defined]
    return database


@dataclass
class Classify:
    """The classifier's codings of the corpus texts, computed once for every database."""

    model: Path | None
    enabled: bool
    version: str = "none"
    _cache: dict[tuple[str, ...], Sequence[Any]] = field(default_factory=dict)
    _predict: Callable[[Sequence[str]], Sequence[Any]] | None = None

    def load(self) -> None:
        if not self.enabled or self._predict is not None:
            return
        from analysis.classifier import ModelNotFoundError, load_classifier

        try:
            classifier = load_classifier(self.model)
        except ModelNotFoundError as error:
            sys.exit(f"{error}\nTrain one (.venv/bin/viktigt train) or pass --no-classify.")
        self._predict, self.version = classifier.predict, classifier.version

    def __call__(self, texts: Sequence[str]) -> Sequence[Any]:
        key = tuple(texts)
        if key not in self._cache:
            assert self._predict is not None
            self._cache[key] = self._predict(texts)
        return self._cache[key]


def seed(database: Database, classify: Classify, reseed: bool, analyze: bool) -> dict[str, Any]:
    """Make ``database`` hold ``size`` demo answers; reuse it when it already does."""
    from survey.db import create_db_engine, session_scope
    from survey.definitions import load_directory
    from survey.demo import corpus_texts, seed_demo
    from survey.migrate import upgrade
    from survey.models import Response
    from survey.operations import upsert_survey

    wanted = {"responses": database.size, "model": classify.version, "analyzed": analyze}
    if not reseed and database.marker.exists():
        loaded = json.loads(database.marker.read_text())
        if {key: loaded.get(key) for key in wanted} == wanted:
            engine = create_db_engine(database.url)
            try:
                upgrade(engine)  # a newer migration (e.g. 0003's tallies) fills in what it adds
                with Session(engine) as session:
                    count = session.exec(select(func.count()).select_from(Response)).one()
                rebuilt = sync_indexes(engine) if count == database.size else []
                if rebuilt and analyze:
                    run_analyze(engine)
            except Exception:  # noqa: BLE001 - missing database or tables: load again
                count = -1
            finally:
                engine.dispose()
            if count == database.size:
                return {**loaded, "reused": True, "indexes_rebuilt": rebuilt}
    database.drop()
    database.marker.unlink(missing_ok=True)
    if database.kind == "postgresql":
        database.create()  # type: ignore[attr-defined]
    engine = create_db_engine(database.url)
    try:
        upgrade(engine)
        rebuilt = sync_indexes(engine)
        definitions = load_directory(ROOT / "survey" / "surveys")
        with session_scope(engine) as session:
            for definition in definitions.values():
                upsert_survey(session=session, definition=definition)
        texts = corpus_texts(ROOT / "nlp_models" / "corpus")
        if classify.enabled:
            classify(texts)  # the classifier's time is not the database's
        started, cpu_started = time.perf_counter(), time.process_time()
        with session_scope(engine) as session:
            seed_demo(
                session=session,
                definition=definitions[SURVEY_ID],
                responses=database.size,
                texts=texts,
                classify=classify if classify.enabled else None,
                model_version=classify.version,
            )
        seeded, seeded_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        started = time.perf_counter()
        if analyze:
            run_analyze(engine)
        analyzed = time.perf_counter() - started
        counts = table_counts(engine)
    finally:
        engine.dispose()
    info = {
        **wanted,
        "seed_seconds": round(seeded, 1),
        "seed_cpu_seconds": round(seeded_cpu, 1),  # this process only (not PostgreSQL's)
        "analyze_seconds": round(analyzed, 1),
        "rows": counts,
        "seeded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_after_seed": load_average(),
    }
    database.marker.write_text(json.dumps(info, indent=2))
    return {**info, "reused": False, "indexes_rebuilt": rebuilt}


def sync_indexes(engine: Engine) -> list[str]:
    """Build the summary indexes as survey/models.py declares them where the migrated schema
    has them otherwise (a migration may lag the models); the names of those rebuilt."""
    from sqlalchemy import inspect

    from survey.models import Response, ResponseLabel

    rebuilt = []
    for model in (Response, ResponseLabel):
        table = model.__table__  # type: ignore[attr-defined]
        existing = {
            index["name"]: index["column_names"]
            for index in inspect(engine).get_indexes(table.name)
        }
        for index in table.indexes:
            if existing.get(index.name) == [column.name for column in index.columns]:
                continue
            with engine.begin() as connection:
                if index.name in existing:
                    connection.exec_driver_sql(f"DROP INDEX {index.name}")
                index.create(connection)
            rebuilt.append(index.name)
    return rebuilt


def run_analyze(engine: Engine) -> None:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("VACUUM ANALYZE")
        else:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
            for table in ("response", "likertanswer", "classification", "responselabel")
        }


# --------------------------------------------------------------------------- the page


def make_app(url: str):  # type: ignore[no-untyped-def]
    from survey import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-secret-" + "x" * 32,
            "SESSION_COOKIE_SECURE": False,
            "CLASSIFY_ON_SUBMIT": False,
            "PROPAGATE_EXCEPTIONS": True,
        }
    )


def ensure_user(engine: Engine, account: str) -> str:
    """The account (see ACCOUNTS) with an enrolled second factor; its TOTP secret."""
    from survey.db import session_scope
    from survey.staff import auth

    username, roles, groups = ACCOUNTS[account]
    with session_scope(engine) as session:
        user = auth.find_user(session, username)
        if user is None:
            user = auth.create_user(
                session=session,
                username=username,
                password=PASSWORD,
                roles=roles,
                target_groups=groups,
            )
        user.totp_secret = auth.new_totp_secret()
        user.totp_confirmed = True
        session.flush()
        return user.totp_secret


def csrf_token(page: str) -> str:
    import html

    match = CSRF.search(page)
    if not match:
        raise SystemExit("no csrf_token in the page")
    return html.unescape(match.group(1) or match.group(2))


def log_in(app, engine: Engine, account: str):  # type: ignore[no-untyped-def]
    """Password, then TOTP code, through the real pages; returns the logged-in client."""
    from survey.db import session_scope
    from survey.staff import auth

    secret = ensure_user(engine, account)
    username = ACCOUNTS[account][0]
    client = app.test_client()
    page = client.get("/personal/logga-in").get_data(as_text=True)
    response = client.post(
        "/personal/logga-in",
        data={"csrf_token": csrf_token(page), "username": username, "password": PASSWORD},
    )
    if response.status_code != 303:
        raise SystemExit(f"login refused: {response.status_code}")
    page = client.get("/personal/kod").get_data(as_text=True)
    with session_scope(engine) as session:
        user = auth.find_user(session, username)
        assert user is not None and user.id is not None
        last = auth.last_used_totp_step(session, user.id)
    while last is not None and auth.totp_step(auth.utcnow()) <= last:
        time.sleep(1)  # each code is accepted once: wait for the next one
    code = auth.totp_code(secret, auth.totp_step(auth.utcnow()))
    response = client.post("/personal/kod", data={"csrf_token": csrf_token(page), "code": code})
    if response.status_code != 303:
        raise SystemExit(f"code refused: {response.status_code}")
    return client


@dataclass
class Scenario:
    name: str
    query: dict[str, str]
    account: str = "strategy_group"


def scenarios(engine: Engine, analyst: bool = False) -> list[Scenario]:
    from survey.models import Response

    with Session(engine) as session:
        last = session.exec(
            select(func.max(Response.submitted_on)).where(Response.survey_id == SURVEY_ID)
        ).one()
        biggest = session.exec(
            select(Response.municipality)
            .where(Response.survey_id == SURVEY_ID, Response.municipality.is_not(None))
            .group_by(Response.municipality)
            .order_by(func.count().desc())
            .limit(1)
        ).first()
    if isinstance(last, str):
        last = date.fromisoformat(last)
    last = last or date.today()
    base = {"survey": SURVEY_ID, "target_group": TARGET_GROUP}
    period_from = (last - timedelta(days=182)).isoformat()
    chosen = [
        Scenario("no filter", base),
        Scenario(
            f"period {period_from}..{last.isoformat()}",
            {**base, "date_from": period_from, "date_to": last.isoformat()},
        ),
        Scenario(f"municipality {biggest}", {**base, "municipality": str(biggest)}),
    ]
    # The same six months as whole months: read from the monthly tallies, not the answers.
    whole_from = (last.replace(day=1) - timedelta(days=150)).replace(day=1)
    whole_to = last.replace(day=1) - timedelta(days=1)
    chosen.insert(
        2,
        Scenario(
            f"whole months {whole_from:%Y-%m}..{whole_to:%Y-%m}",
            {**base, "date_from": whole_from.isoformat(), "date_to": whole_to.isoformat()},
        ),
    )
    if analyst:  # every target group, as admins and analysts see the page by default
        chosen.append(Scenario("analyst, all answers", {"survey": SURVEY_ID}, "analyst"))
    return chosen


def selection_of(scenario: Scenario):  # type: ignore[no-untyped-def]
    from analysis.summary import SummaryFilter

    query = scenario.query
    return SummaryFilter(
        survey_id=query["survey"],
        date_from=date.fromisoformat(query["date_from"]) if "date_from" in query else None,
        date_to=date.fromisoformat(query["date_to"]) if "date_to" in query else None,
        municipality=query.get("municipality"),
        target_group=query.get("target_group"),
    )


def summary_call(app, engine: Engine, scenario: Scenario) -> Callable[[], object]:  # type: ignore[no-untyped-def]
    """build_summary with the arguments the page passes, in a fresh session each time."""
    from analysis.summary import build_summary
    from survey.staff.summary import _redactor

    registry = app.extensions["viktigt.surveys"]
    definition = registry.get(SURVEY_ID)
    waves = [s.id for s in registry.all() if s.framework == definition.framework]
    selection = selection_of(scenario)
    redact = _redactor()

    def call() -> object:
        with Session(engine) as session:
            return build_summary(
                session=session,
                selection=selection,
                framework=definition.framework,
                statements=[(s.id, s.strategy) for s in definition.statements],
                scale=definition.scale.values,
                k=app.config["MIN_CELL_SIZE"],
                redact=redact,
                wave_survey_ids=waves,
            )

    return call


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The SELECT statements (and parameters) run on ``engine`` inside the block, with the
    SET and RESET statements between them (planner settings the queries ran under)."""
    statements: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "SET ", "RESET ")):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def is_setting(statement: str) -> bool:
    return not statement.lstrip().upper().startswith("SELECT")


def query_name(statement: str, parameters: Any) -> str:
    """What a statement of build_summary is for."""
    sql = " ".join(statement.split()).lower()
    if "labelreview" in sql:
        return "reviewed by a person"
    if "join responselabel" in sql:
        values = parameters.values() if isinstance(parameters, dict) else parameters
        label = next((v for v in values if isinstance(v, str) and v != SURVEY_ID), "?")
        part = " (reviewed)" if "score is null" in sql else ""
        return f"quote candidates {label}{part}"
    if "substr(response.submitted_on" in sql or "date_trunc" in sql:
        return "trend by month"
    if sql.startswith("select response.municipality, response.age_group"):
        return "counts (municipality, age, text, labels)"
    if sql.startswith("select response.likert_codes"):
        return "ratings (likert codes)"
    if sql.startswith("select response.label_mask"):
        return "wave"
    return sql[:60]


def time_statements(
    engine: Engine, statements: list[tuple[str, Any]], runs: int, cpu: CpuMeter
) -> list[dict[str, Any]]:
    """Each statement run through the driver ``runs`` times (after one warm-up), all rows
    fetched: the database's share of build_summary."""
    results = []
    with engine.connect() as connection:
        for statement, parameters in statements:
            if is_setting(statement):
                connection.exec_driver_sql(statement)
                continue

            def run(statement: str = statement, parameters: Any = parameters) -> object:
                return connection.exec_driver_sql(statement, parameters).fetchall()

            timing = timed(run, runs, 1, cpu)
            results.append(
                {
                    "query": query_name(statement, parameters),
                    "median_ms": round(timing.median, 2),
                    "max_ms": round(timing.max, 2),
                    "cpu_ms": None if timing.cpu is None else round(timing.cpu, 2),
                    "rows": len(run()),  # type: ignore[arg-type]
                }
            )
    return results


def explain(engine: Engine, statements: list[tuple[str, Any]]) -> list[str]:
    lines = []
    with engine.connect() as connection:
        for statement, parameters in statements:
            if is_setting(statement):
                connection.exec_driver_sql(statement)
                lines.append(f"-- {statement}")
                continue
            lines.append(f"-- {query_name(statement, parameters)}")
            if engine.dialect.name == "postgresql":
                plan = connection.exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                ).fetchall()
                lines += [row[0] for row in plan]
            else:
                plan = connection.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, parameters
                ).fetchall()
                lines += [f"{row[1]:>3} {row[3]}" for row in plan]
    return lines


def bench_database(database: Database, args: argparse.Namespace) -> dict[str, Any]:
    from survey.db import get_engine_for

    print(f"\n== {database.kind}, {database.size:,} answers", flush=True)
    loaded = seed(database, args.classify, args.reseed, not args.no_analyze)
    how = (
        "reused"
        if loaded["reused"]
        else f"seeded in {loaded['seed_seconds']} s ({loaded['seed_cpu_seconds']} s CPU here)"
    )
    if loaded["indexes_rebuilt"]:
        how += f"; built as survey/models.py declares: {', '.join(loaded['indexes_rebuilt'])}"
    print(f"   data: {how}; rows {loaded['rows']}; load {load_average()}", flush=True)
    app = make_app(database.url)
    engine = get_engine_for(app)
    clients: dict[str, Any] = {}
    if args.gc_freeze:
        import gc

        gc.collect()
        gc.freeze()
    cpu = CpuMeter(database.url if database.kind == "postgresql" else None)
    result: dict[str, Any] = {
        "database": database.kind,
        "answers": database.size,
        "data": loaded,
        "scenarios": [],
    }
    for scenario in scenarios(engine, args.analyst):
        if scenario.account not in clients:
            clients[scenario.account] = log_in(app, engine, scenario.account)
        client = clients[scenario.account]
        url = PAGE + "?" + "&".join(f"{key}={value}" for key, value in scenario.query.items())

        def page(url: str = url, client: Any = client) -> object:
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code}")
            return response

        load_before = load_average()
        page_timing = timed(page, args.runs, args.warmup, cpu)
        call = summary_call(app, engine, scenario)
        summary_timing = timed(call, args.runs, 1, cpu)
        with captured(engine) as statements:
            call()
        queries = time_statements(engine, statements, args.runs, cpu)
        with captured(engine) as page_statements:
            page()
        page_statements = [s for s in page_statements if not is_setting(s[0])]
        entry = {
            "scenario": scenario.name,
            "url": url,
            "page": page_timing.brief(),
            "build_summary": summary_timing.brief(),
            "queries": queries,
            "queries_total_ms": round(sum(q["median_ms"] for q in queries), 1),
            "queries_total_cpu_ms": round(sum(q["cpu_ms"] for q in queries), 1),
            "selects_per_page": len(page_statements),
            "load": f"{load_before} -> {load_average()}",
        }
        if args.explain:
            entry["plans"] = explain(engine, statements)
        result["scenarios"].append(entry)
        report_scenario(entry)
    cpu.close()
    engine.dispose()
    return result


def report_scenario(entry: dict[str, Any]) -> None:
    page, summary = entry["page"], entry["build_summary"]
    verdict = "ok" if page["median_ms"] < TARGET_MS else "MISSES TARGET"
    print(
        f"   {entry['scenario']}: page median {page['median_ms']} ms, p90 {page['p90_ms']}, "
        f"max {page['max_ms']}, first {page['first_ms']}, CPU {page['cpu_ms']} ({verdict}); "
        f"build_summary median {summary['median_ms']} ms, CPU {summary['cpu_ms']}; "
        f"SQL {entry['queries_total_ms']} ms, CPU {entry['queries_total_cpu_ms']}; "
        f"{entry['selects_per_page']} SELECTs per page; load {entry['load']}",
        flush=True,
    )
    for query in entry["queries"]:
        print(
            f"      {query['median_ms']:>8.2f} ms  CPU {query['cpu_ms']:>8.2f} ms  "
            f"{query['rows']:>5} rows  {query['query']}",
            flush=True,
        )
    for line in entry.get("plans", []):
        print("      | " + line)


def text_analysis_cost(count: int = 1200) -> dict[str, float]:
    """CPU time of the word sets build_summary makes of its quote candidates (4 strategies ×
    300 answers), for ``count`` distinct corpus texts with the text caches cleared.

    The demo answers reuse 4,540 corpus texts, so on the page the candidates are mostly the
    same few texts and analysis.text's LRU caches answer; real answers are all different.
    """
    from analysis import text as text_module
    from analysis.summary import _words
    from survey.demo import corpus_texts

    texts = corpus_texts(ROOT / "nlp_models" / "corpus")[:count]
    _words("värm upp")  # load the tokenizer and the lemma table
    text_module.normalise.cache_clear()
    text_module.analyse.cache_clear()
    started = time.process_time()
    for answer in texts:
        _words(answer)
    cold = (time.process_time() - started) * 1000
    started = time.process_time()
    for answer in texts:
        _words(answer)
    warm = (time.process_time() - started) * 1000
    return {"texts": len(texts), "cold_cpu_ms": round(cold, 1), "cached_cpu_ms": round(warm, 1)}


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "| database | answers | selection | page median | p90 | max | first | page CPU |"
        " build_summary | its SQL | SQL CPU |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for entry in result["scenarios"]:
            page, summary = entry["page"], entry["build_summary"]
            lines.append(
                f"| {result['database']} | {result['answers']:,} | {entry['scenario']} | "
                f"{page['median_ms']:.0f} ms | {page['p90_ms']:.0f} | {page['max_ms']:.0f} | "
                f"{page['first_ms']:.0f} | {page['cpu_ms']:.0f} ms | "
                f"{summary['median_ms']:.0f} ms | {entry['queries_total_ms']:.0f} ms | "
                f"{entry['queries_total_cpu_ms']:.0f} ms |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--databases", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite", "postgresql"]
    )
    parser.add_argument("--workdir", type=Path, help="keep the databases here and reuse them")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--model", type=Path, help="classifier artefact (default: newest)")
    parser.add_argument("--no-classify", action="store_true", help="labels stay empty")
    parser.add_argument("--reseed", action="store_true", help="load the data again")
    parser.add_argument("--no-analyze", action="store_true", help="skip ANALYZE after seeding")
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    parser.add_argument(
        "--analyst", action="store_true", help="also the page of all target groups (analyst)"
    )
    parser.add_argument(
        "--gc-freeze",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="gc.freeze() once the app is loaded, as gunicorn.conf.py's post_worker_init does: "
        "the cyclic collector then skips the app's long-lived objects (default: on)",
    )
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args()
    args.warmup = max(1, args.warmup)
    args.classify = Classify(args.model, not args.no_classify)
    args.classify.load()

    keep = args.workdir is not None
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="viktigt-summary-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"bench/summary.py on {platform.node()}: {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load {load_average()}, model {args.classify.version}",
        flush=True,
    )
    results = []
    databases = []
    try:
        for size in args.sizes:
            for kind in args.databases:
                database = (
                    sqlite_database(workdir, size)
                    if kind == "sqlite"
                    else postgres_database(args.pg_url, workdir, size, keep)
                )
                databases.append(database)
                results.append(bench_database(database, args))
    finally:
        if not keep:
            for database in databases:
                database.drop()
            shutil.rmtree(workdir, ignore_errors=True)
    print("\n" + markdown(results))
    words = text_analysis_cost()
    print(
        f"\nWord sets of {words['texts']} distinct answers (as real quote candidates would be): "
        f"{words['cold_cpu_ms']} ms CPU with empty text caches, {words['cached_cpu_ms']} ms cached."
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "command": " ".join(sys.argv),
                    "machine": f"{platform.node()} {os.cpu_count()} CPUs {platform.platform()}",
                    "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "results": results,
                    "text_analysis": words,
                },
                indent=2,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
