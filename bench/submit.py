"""Load test of the full submit path against gunicorn on loopback, next to a ceiling.

Each simulated respondent does what a browser does: GET /jonkoping-2030/svar, read
csrf_token and submission_id from the page, POST a full answer, expect 303. Every client keeps
one keep-alive connection and starts each respondent with an empty cookie jar. The same load
runs against bench/ceiling_app.py (minimal Flask + sqlite3, one insert per POST) under the same
gunicorn settings, the servers taking turns in short slices, and the ratio app/ceiling is
printed. Rows stored are counted afterwards and compared with the 303s received.

    .venv/bin/python bench/submit.py                  # 16 clients, 15 s per server
    .venv/bin/python bench/submit.py --repeat 3       # the figure in BENCHMARKS.md
    .venv/bin/python bench/submit.py --submits 2000 --clients 32 --strict

Exit status: 1 when any request failed or the rows stored differ from the submits
acknowledged; 2 with --strict when the ratio is below the target; otherwise 0.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import resource
import runpy
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.request
from collections import Counter
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
SURVEY_ID = "jonkoping-2030"
SURVEY_FILE = ROOT / "survey" / "surveys" / f"{SURVEY_ID}.toml"
ARTIFACTS = ROOT / "nlp_models" / "artifacts"
TARGET_RATIO = 0.35
APP = "app (classifier off)"
APP_CLASSIFY = "app, classifier on"
CEILING = "ceiling (Flask + sqlite3)"
REQUEST_TIMEOUT = 30.0
HIDDEN = re.compile(r'<input[^>]*name="(csrf_token|submission_id)"[^>]*value="([^"]*)"')
EXCEPTION_LINE = re.compile(r"^[\w.]+(Error|Exception|Exit)\b.*")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

SENTENCES = [
    "Att jag får träffa samma läkare varje gång.",
    "Kortare väntetider på vårdcentralen, det tar ofta flera veckor att få en tid.",
    "Att personalen lyssnar på mig och tar mig på allvar.",
    "Det är viktigt att hemtjänsten kommer på utsatt tid och att det inte är nya personer hela "
    "tiden.",
    "Min mamma är 87 år och behöver hjälp, men vi vet aldrig vem vi ska ringa.",
    "Bättre samarbete mellan kommunen och regionen så att man slipper berätta allt från början.",
    "Att det finns en fast vårdkontakt som känner till hela min situation.",
    "Psykiatrin måste bli mer tillgänglig för unga, kön till BUP är alldeles för lång.",
    "Jag vill kunna boka tid och förnya recept digitalt utan att sitta i telefonkö.",
    "Närhet till vården är viktigt när man bor på landet och inte har bil.",
    "Information på enkel svenska och på andra språk, så att alla förstår.",
    "Att elevhälsan finns på plats i skolan och att skolsköterskan har tid.",
    "Trygghet i att någon hör av sig efter utskrivning från sjukhuset.",
    "Mer förebyggande arbete, till exempel fysisk aktivitet på recept och stöd för att sluta röka.",
    "Anhöriga behöver också stöd, man blir väldigt trött av att vårda någon i hemmet.",
    "Jag är nöjd med vården jag fått, personalen på avdelningen var fantastisk.",
    "Det borde vara lättare att få hembesök när man inte orkar ta sig till mottagningen.",
    "Tolk ska finnas när det behövs, även vid korta besök.",
    "Ingen ska behöva vänta i månader på en utredning.",
    "Kontinuitet, tillgänglighet och respekt. Det är det viktigaste för mig.",
]


# ---------------------------------------------------------------------------------------------
# Realistic answers


class AnswerMaker:
    """Full answers to the survey: every Likert statement, free text, background questions."""

    def __init__(self, seed: int) -> None:
        definition = tomllib.loads(SURVEY_FILE.read_text(encoding="utf-8"))
        self.rng = random.Random(seed)
        self.statements = [s["id"] for s in definition["statements"]]
        self.steps = [str(step["value"]) for step in definition["scale"]["steps"]]
        questions = definition["questions"]
        self.max_chars = int(questions["free_text"]["max_chars"])
        self.choices = {
            name: [c["value"] for c in questions[name]["choices"]]
            for name in ("on_behalf", "age_group", "municipality", "gender", "services")
        }
        self.exclusive = set(questions["services"].get("exclusive", []))

    def free_text(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.15:
            return ""
        count = rng.randint(1, 3) if roll < 0.7 else rng.randint(4, 12)
        if roll > 0.97:  # a few respondents write a lot
            count = rng.randint(20, 35)
        text = " ".join(rng.choice(SENTENCES) for _ in range(count))
        if rng.random() < 0.3:
            text = text.replace(". ", ".\r\n", 1)
        return text[: self.max_chars]

    def answer(self) -> tuple[dict[str, object], int]:
        """Form data and how many Likert rows it should store."""
        rng = self.rng
        data: dict[str, object] = {}
        likert_rows = 0
        for statement in self.statements:
            roll = rng.random()
            if roll < 0.05:
                continue  # skipped statement: no row
            value = "no_opinion" if roll < 0.12 else rng.choice(self.steps)
            data["likert_" + statement.replace("-", "_")] = value
            likert_rows += 1
        data["free_text"] = self.free_text()
        for name in ("on_behalf", "age_group", "municipality", "gender"):
            if rng.random() < 0.93:
                data[name] = rng.choice(self.choices[name])
        ordinary = [v for v in self.choices["services"] if v not in self.exclusive]
        if rng.random() < 0.1 and self.exclusive:
            data["services"] = sorted(self.exclusive)[:1]
        else:
            data["services"] = rng.sample(ordinary, rng.randint(0, 3))
        return data, likert_rows


# ---------------------------------------------------------------------------------------------
# Servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_binary() -> str:
    for candidate in (
        Path(sys.executable).parent / "gunicorn",
        ROOT / ".venv" / "bin" / "gunicorn",
    ):
        if candidate.exists():
            return str(candidate)
    raise SystemExit("gunicorn not found: run `make install` first")


def gunicorn_settings() -> dict[str, object]:
    """workers/threads as gunicorn.conf.py computes them in this environment."""
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return {"workers": settings["workers"], "threads": settings["threads"]}


def prepare_app_database(directory: Path) -> str:
    """A fresh, migrated SQLite database with the bundled surveys (as `make db` does)."""
    from survey.config import BUNDLED_SURVEYS
    from survey.db import create_db_engine, session_scope
    from survey.definitions import load_directory
    from survey.migrate import upgrade
    from survey.operations import upsert_survey

    url = f"sqlite:///{directory / 'viktigt.sqlite3'}"
    engine = create_db_engine(url)
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            for definition in load_directory(BUNDLED_SURVEYS).values():
                upsert_survey(session=session, definition=definition)
    finally:
        engine.dispose()
    return url


def process_cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / CLOCK_TICKS


def child_pids(parent: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            pids.append(int(stat.parent.name))
    return pids


class Server:
    """gunicorn -c gunicorn.conf.py APP on 127.0.0.1, stopped (SIGTERM) on exit."""

    def __init__(self, app: str, env: dict[str, str], log: Path, extra: list[str]) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        environment = {
            **os.environ,
            **env,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "VIKTIGT_ENV": "development",
            "SESSION_COOKIE_SECURE": "0",
        }
        command = [gunicorn_binary(), "-c", "gunicorn.conf.py", "--no-control-socket", *extra]
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            [*command, app],
            cwd=ROOT,
            env=environment,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def wait_healthy(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        tail = self.log.read_text(errors="replace")[-3000:]
        self.stop()
        raise SystemExit(f"gunicorn did not become healthy at {self.base}:\n{tail}")

    def pids(self) -> list[int]:
        return [self.process.pid, *child_pids(self.process.pid)]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()

    def log_problems(self) -> dict[str, int]:
        """'database is locked', worker timeouts and the exceptions in the server log."""
        text = self.log.read_text(errors="replace")
        problems: Counter = Counter()
        for line in text.splitlines():
            if "database is locked" in line:
                problems["database is locked"] += 1
            if "WORKER TIMEOUT" in line:
                problems["WORKER TIMEOUT"] += 1
            match = EXCEPTION_LINE.match(line)
            if match:
                problems[match.group(0)[:160]] += 1
        return dict(problems)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------------
# Load


class Budget:
    """How many submits may still start (None: unlimited) and until when."""

    def __init__(self, submits: int | None, seconds: float) -> None:
        self.remaining = submits
        self.stop_at = time.monotonic() + seconds
        self._lock = threading.Lock()

    def take(self) -> bool:
        if time.monotonic() >= self.stop_at:
            return False
        if self.remaining is None:
            return True
        with self._lock:
            if self.remaining <= 0:
                return False
            self.remaining -= 1
            return True


@dataclass
class Tally:
    acknowledged: int = 0
    expected_likert_rows: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)

    def merge(self, other: Tally) -> None:
        self.acknowledged += other.acknowledged
        self.expected_likert_rows += other.expected_likert_rows
        self.latencies.extend(other.latencies)
        self.errors.update(other.errors)


def respondent_loop(base: str, budget: Budget, seed: int, tally: Tally) -> None:
    """One client: one keep-alive connection, a fresh cookie jar per respondent."""
    url = f"{base}/{SURVEY_ID}/svar"
    answers = AnswerMaker(seed)
    with requests.Session() as http:
        while budget.take():
            http.cookies.clear()
            data, likert_rows = answers.answer()
            started = time.perf_counter()
            try:
                page = http.get(url, timeout=REQUEST_TIMEOUT)
                if page.status_code != 200:
                    tally.errors[f"GET {page.status_code}"] += 1
                    continue
                hidden = dict(HIDDEN.findall(page.text))
                if set(hidden) != {"csrf_token", "submission_id"}:
                    tally.errors["GET without csrf_token/submission_id"] += 1
                    continue
                sent = http.post(
                    url, data={**hidden, **data}, allow_redirects=False, timeout=REQUEST_TIMEOUT
                )
            except requests.RequestException as error:
                tally.errors[type(error).__name__] += 1
                continue
            elapsed = time.perf_counter() - started
            if sent.status_code == 303 and sent.headers.get("Location", "").endswith("/tack"):
                tally.acknowledged += 1
                tally.expected_likert_rows += likert_rows
                tally.latencies.append(elapsed)
            else:
                tally.errors[f"POST {sent.status_code}"] += 1


def run_load(
    base: str, clients: int, seconds: float, submits: int | None, seed: int
) -> tuple[Tally, float]:
    tallies = [Tally() for _ in range(clients)]
    budget = Budget(submits, seconds)
    threads = [
        threading.Thread(
            target=respondent_loop, args=(base, budget, seed + i, tallies[i]), daemon=True
        )
        for i in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return total, elapsed


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Result:
    name: str
    submits_per_s: float
    p50_ms: float
    p99_ms: float
    acknowledged: int  # measured phase
    errors: int  # warm-up and measured phase
    stored: int  # rows in the response table after the run
    expected_stored: int  # 303s in warm-up and measured phase
    likert_ok: bool | None
    seconds: float
    server_cpu_ms: float  # gunicorn master + workers, CPU per acknowledged submit
    client_cpu_ms: float  # this load generator, CPU per acknowledged submit
    load_average: float
    error_kinds: dict[str, int]
    log_problems: dict[str, int]

    @property
    def consistent(self) -> bool:
        return self.stored == self.expected_stored and self.likert_ok is not False


def failed_result(name: str, problem: str) -> Result:
    nan = float("nan")
    return Result(
        name, 0.0, nan, nan, 0, 1, 0, 0, None, 0.0, nan, nan, os.getloadavg()[0], {problem: 1}, {}
    )


class Target:
    """One server under test, its database, and what the load did to it."""

    def __init__(self, name: str, server: Server, count_rows) -> None:  # type: ignore[no-untyped-def]
        self.name = name
        self.server = server
        self.count_rows = count_rows
        self.warm = Tally()
        self.tally = Tally()
        self.seconds = 0.0
        self.server_cpu = 0.0
        self.client_cpu = 0.0

    def load(self, clients: int, seconds: float, submits: int | None, seed: int) -> None:
        pids = self.server.pids()
        server_cpu = process_cpu_seconds(pids)
        client_cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
        tally, elapsed = run_load(self.server.base, clients, seconds, submits, seed)
        self.server_cpu += process_cpu_seconds(pids) - server_cpu
        self.client_cpu += sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - client_cpu
        self.seconds += elapsed
        self.tally.merge(tally)

    def result(self) -> Result:
        stored, likert_rows = self.count_rows()
        warm, tally = self.warm, self.tally
        errors = warm.errors + tally.errors
        per_submit = 1000 / max(tally.acknowledged, 1)
        expected_likert = warm.expected_likert_rows + tally.expected_likert_rows
        return Result(
            name=self.name,
            submits_per_s=tally.acknowledged / self.seconds if self.seconds else 0.0,
            p50_ms=percentile(tally.latencies, 0.50) * 1000,
            p99_ms=percentile(tally.latencies, 0.99) * 1000,
            acknowledged=tally.acknowledged,
            errors=sum(errors.values()),
            stored=stored,
            expected_stored=warm.acknowledged + tally.acknowledged,
            likert_ok=None if likert_rows is None else likert_rows == expected_likert,
            seconds=self.seconds,
            server_cpu_ms=self.server_cpu * per_submit,
            client_cpu_ms=self.client_cpu * per_submit,
            load_average=os.getloadavg()[0],
            error_kinds=dict(errors),
            log_problems=self.server.log_problems(),
        )


def app_target(workdir: Path, classify: bool) -> Target:
    name = APP_CLASSIFY if classify else APP
    directory = Path(tempfile.mkdtemp(prefix="app-", dir=workdir))
    url = prepare_app_database(directory)
    env = {
        "VIKTIGT_INSTANCE": str(directory),
        "DATABASE_URL": url,
        "VIKTIGT_CLASSIFY": "1" if classify else "0",
    }
    server = Server("wsgi:app", env, directory / "gunicorn.log", [])

    def count_rows() -> tuple[int, int]:
        with closing(sqlite3.connect(directory / "viktigt.sqlite3")) as connection:
            responses = connection.execute("SELECT count(*) FROM response").fetchone()[0]
            likert = connection.execute("SELECT count(*) FROM likertanswer").fetchone()[0]
        return responses, likert

    return Target(name, server, count_rows)


def ceiling_target(workdir: Path) -> Target:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    from ceiling_app import prepare

    directory = Path(tempfile.mkdtemp(prefix="ceiling-", dir=workdir))
    path = directory / "ceiling.sqlite3"
    prepare(str(path))
    server = Server(
        "ceiling_app:app",
        {"CEILING_DB": str(path)},
        directory / "gunicorn.log",
        ["--pythonpath", str(BENCH)],
    )

    def count_rows() -> tuple[int, None]:
        with closing(sqlite3.connect(path)) as connection:
            return connection.execute("SELECT count(*) FROM response").fetchone()[0], None

    return Target(CEILING, server, count_rows)


def run_once(workdir: Path, args: argparse.Namespace, classify: bool, seed: int) -> list[Result]:
    """All servers up at once, loaded one at a time in alternating slices.

    Slicing spreads every server's measured time over the same stretch of wall-clock time, so
    a neighbour's load that comes and goes skews the ratio less than back-to-back runs would.
    """
    targets = [app_target(workdir, classify=False)]
    failed: list[Result] = []
    if classify:
        targets.append(app_target(workdir, classify=True))
    targets.append(ceiling_target(workdir))
    try:
        for target in list(targets):
            try:
                target.server.wait_healthy()
            except SystemExit as failure:
                if target.name != APP_CLASSIFY:
                    raise
                print(failure, file=sys.stderr)  # the base figure is still worth reporting
                failed.append(failed_result(APP_CLASSIFY, "did not start"))
                targets.remove(target)
        for target in targets:
            target.warm, _ = run_load(
                target.server.base, args.clients, args.warmup, None, seed + 10_000
            )
        if args.submits:
            for target in targets:
                target.load(args.clients, args.seconds, args.submits, seed)
        else:
            slices = max(1, math.ceil(args.seconds / args.slice))
            for number in range(slices):
                for target in targets:
                    target.load(args.clients, args.seconds / slices, None, seed + 100 * number)
    finally:
        for target in targets:
            target.server.stop()
    results = [target.result() for target in targets]
    return results[:1] + failed + results[1:]


# ---------------------------------------------------------------------------------------------
# Report


def median_result(results: list[Result]) -> Result:
    """Medians of the figures; sums of the counts (every run must be clean)."""
    errors: Counter = Counter()
    problems: Counter = Counter()
    for result in results:
        errors.update(result.error_kinds)
        problems.update(result.log_problems)
    likert = [r.likert_ok for r in results if r.likert_ok is not None]

    def median(attribute: str) -> float:
        return statistics.median(getattr(r, attribute) for r in results)

    return Result(
        name=results[0].name,
        submits_per_s=median("submits_per_s"),
        p50_ms=median("p50_ms"),
        p99_ms=median("p99_ms"),
        acknowledged=sum(r.acknowledged for r in results),
        errors=sum(r.errors for r in results),
        stored=sum(r.stored for r in results),
        expected_stored=sum(r.expected_stored for r in results),
        likert_ok=all(likert) if likert else None,
        seconds=median("seconds"),
        server_cpu_ms=median("server_cpu_ms"),
        client_cpu_ms=median("client_cpu_ms"),
        load_average=median("load_average"),
        error_kinds=dict(errors),
        log_problems=dict(problems),
    )


def print_table(results: list[Result], title: str) -> None:
    header = (
        f"{'':26} {'submits/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
        f"{'stored/acked':>13} {'CPU ms/submit: server':>21} {'client':>6} {'load':>5}"
    )
    print(f"\n{title}")
    print(header)
    print("-" * len(header))
    for r in results:
        stored = f"{r.stored}/{r.expected_stored}"
        mark = "" if r.consistent else "  <-- MISMATCH"
        print(
            f"{r.name:26} {r.submits_per_s:9.1f} {r.p50_ms:7.1f} {r.p99_ms:7.1f} {r.errors:6d} "
            f"{stored:>13} {r.server_cpu_ms:21.1f} {r.client_cpu_ms:6.1f} "
            f"{r.load_average:5.1f}{mark}"
        )
        if r.error_kinds:
            print(f"{'':26} errors: {dict(r.error_kinds)}")
        if r.log_problems:
            print(f"{'':26} server log: {dict(r.log_problems)}")
        if r.likert_ok is False:
            print(f"{'':26} likertanswer rows differ from the Likert answers acknowledged")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Load test of the submit path (GET form, CSRF, POST) against a ceiling.",
        epilog="Exit status: 1 on errors or rows stored != acknowledged; 2 with --strict "
        f"when the ratio is below {TARGET_RATIO}.",
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent respondents (16)")
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="measured seconds per server (15; with --submits: an upper bound, 300)",
    )
    parser.add_argument(
        "--submits",
        type=int,
        default=None,
        help="stop each server's run after this many submits (servers then take one turn each, "
        "not slices, so the ratio is more sensitive to other load)",
    )
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="unmeasured seconds per server first (2)"
    )
    parser.add_argument(
        "--slice",
        type=float,
        default=5.0,
        help="servers take turns in slices of this many seconds (5)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs; medians are reported (1)")
    parser.add_argument(
        "--classify",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also run with VIKTIGT_CLASSIFY=1 (default: when VIKTIGT_MODEL or "
        "nlp_models/artifacts/*.joblib exists); the base figure always has VIKTIGT_CLASSIFY=0",
    )
    parser.add_argument(
        "--strict", action="store_true", help=f"exit 2 when the ratio is below {TARGET_RATIO}"
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help="write the results here (default: bench/results/submit-<time>.json)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases and gunicorn logs")
    parser.add_argument("--seed", type=int, default=2030)
    args = parser.parse_args(argv)
    if args.seconds is None:
        args.seconds = 300.0 if args.submits else 15.0
    if min(args.clients, args.seconds, args.repeat, args.slice) <= 0 or args.warmup < 0:
        parser.error("--clients, --seconds, --slice and --repeat must be positive")
    if args.submits is not None and args.submits < 1:
        parser.error("--submits must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    model = os.environ.get("VIKTIGT_MODEL")
    artefacts = [Path(model)] if model else sorted(ARTIFACTS.glob("*.joblib"))
    artefacts = [path for path in artefacts if path.exists()]
    classify = bool(artefacts) if args.classify is None else args.classify
    if classify and not artefacts:
        print(
            "note: no classifier artefact (VIKTIGT_MODEL, nlp_models/artifacts/*.joblib): "
            "the classifier run stores answers uncoded"
        )
    elif classify:
        print(f"classifier artefact: {artefacts[-1]}")
    settings = gunicorn_settings()
    cores = os.cpu_count() or 1
    bound = f"{args.submits} submits" if args.submits else f"{args.seconds:g} s"
    print(
        f"Submit path: {args.clients} clients, {bound} per server after {args.warmup:g} s "
        f"warm-up, gunicorn {settings['workers']} workers x {settings['threads']} threads, "
        f"{cores} cores, {platform.python_implementation()} {platform.python_version()}"
    )
    if os.getloadavg()[0] > cores / 2:
        print(
            f"note: load average {os.getloadavg()[0]:.1f} on {cores} cores before the run: "
            "other processes compete for the CPU, so the figures are noisy"
        )

    runs: dict[str, list[Result]] = {}
    workdir = Path(tempfile.mkdtemp(prefix="viktigt-bench-"))
    try:
        for run in range(args.repeat):
            batch = run_once(workdir, args, classify, seed=args.seed + 1000 * run)
            for result in batch:
                runs.setdefault(result.name, []).append(result)
            if args.repeat > 1:
                print_table(batch, f"Run {run + 1}/{args.repeat}")
    finally:
        if args.keep:
            print(f"\ndatabases and gunicorn logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    summary = [median_result(results) for results in runs.values()]
    print_table(summary, f"Median of {args.repeat} runs" if args.repeat > 1 else "Result")
    base, ceiling = runs[APP], runs[CEILING]
    ratios = [a.submits_per_s / c.submits_per_s for a, c in zip(base, ceiling, strict=True)]
    ratio = statistics.median(ratios)
    pairs = list(zip(base, ceiling, strict=True))
    cost = statistics.median(
        (c.server_cpu_ms + c.client_cpu_ms) / (a.server_cpu_ms + a.client_cpu_ms) for a, c in pairs
    )
    server_cost = statistics.median(c.server_cpu_ms / a.server_cpu_ms for a, c in pairs)
    print(
        f"\nratio app/ceiling (submits/s): {ratio:.2f}, target >= {TARGET_RATIO}"
        + (f" (per run: {', '.join(f'{r:.2f}' for r in ratios)})" if len(ratios) > 1 else "")
    )
    print(
        f"CPU per submit, ceiling/app: {server_cost:.2f} server only, {cost:.2f} server + client "
        "(the first when other load caps the server's CPU share, the second on an idle machine)"
    )
    if APP_CLASSIFY in runs:
        with_model = runs[APP_CLASSIFY]
        classified = statistics.median(
            a.submits_per_s / c.submits_per_s for a, c in zip(with_model, ceiling, strict=True)
        )
        print(f"ratio app with classifier/ceiling: {classified:.2f}")

    path = args.json or ROOT / "bench" / "results" / f"submit-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "gunicorn": settings,
        "cores": cores,
        "ratio": ratio,
        "cpu_ratio": cost,
        "server_cpu_ratio": server_cost,
        "median": [asdict(r) for r in summary],
        "runs": {name: [asdict(r) for r in results] for name, results in runs.items()},
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"results written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")

    failed = [r.name for r in summary if r.errors or not r.consistent]
    if failed:
        print(f"FAIL: errors, or rows stored != acknowledged, in: {', '.join(failed)}")
        return 1
    if ratio < TARGET_RATIO:
        print(f"WARNING: ratio {ratio:.2f} is below the target {TARGET_RATIO}")
        return 2 if args.strict else 0
    print("OK: 0 errors, rows stored == acknowledged, ratio on target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
