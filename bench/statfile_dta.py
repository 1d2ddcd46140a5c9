"""Streaming Stata writer (``analysis.statfiles.dta``): wall time and peak memory.

Writes N rows (default 1,000,000) of synthetic export-like data: 45 columns, 41 of them small
integer codes (Likert answers with ``None`` and the extended missing letters ``"a"``/``"s"``,
0/1 flags, quasi-identifier codes), an answer id, a month, a model version and a free-text
column (mostly 50-300 bytes, a third empty, one 20,000-byte answer: a strL column). Prints the
seconds spent in ``write_dta`` (row generation included: the rows are made on the fly, as the
export does) and the peak resident memory of the process (ru_maxrss, imports included).

    .venv/bin/python bench/statfile_dta.py              # 1,000,000 rows
    .venv/bin/python bench/statfile_dta.py 200000 --keep out.dta
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.statfiles import Column  # noqa: E402
from analysis.statfiles.dta import write_dta  # noqa: E402

LIKERT = 20
FLAGS = 15
POOL = 4096
WORDS = (
    "vården bemötande väntetid läkare sjuksköterska vårdcentral telefon tid bra dålig "
    "förtroende kontinuitet hemtjänst äldre ångest öppettider parkering digitalt"
).split()


def columns() -> list[Column]:
    likert = {i: f"Stämmer {i}" for i in range(1, 6)}
    missing = {"a": "Ingen uppfattning", "s": "Undertryckt"}
    flag = {0: "Nej", 1: "Ja"}
    return [
        Column("answer_id", "Svarets id", kind="string"),
        Column("month", "Månad", kind="string"),
        Column("on_behalf", "Svarar för någon annan", value_labels=flag),
        Column("age_band", "Åldersgrupp", value_labels={i: f"Grupp {i}" for i in range(1, 9)}),
        Column("municipality", "Kommun", value_labels={i: f"Kommun {i}" for i in range(1, 14)}),
        Column("gender", "Kön", value_labels={1: "Kvinna", 2: "Man", 3: "Annat", "s": "U"}),
        Column("services", "Antal tjänster", value_labels={0: "Inga", 1: "1", 2: "2+"}),
        Column("mode", "Svarssätt", value_labels={1: "Webb", 2: "Papper", 3: "Telefon"}),
        *(
            Column(f"likert_{i:02d}", f"Påstående {i}", value_labels={**likert, **missing})
            for i in range(1, LIKERT + 1)
        ),
        Column("text_redacted", "Fritext (avidentifierad)", kind="string"),
        *(Column(f"label_{i:02d}", f"Tema {i}", value_labels=flag) for i in range(1, FLAGS + 1)),
        Column("model_version", "Modellversion", kind="string"),
    ]


def rows(n: int, seed: int = 1) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    answers = (1, 2, 3, 4, 5, 5, 4, 3, None, "a", "s")
    likert_pool = [tuple(rng.choice(answers) for _ in range(LIKERT)) for _ in range(POOL)]
    flag_pool = [tuple(rng.choice((0, 0, 0, 1, None)) for _ in range(FLAGS)) for _ in range(POOL)]
    qi_pool = [
        (
            rng.choice((0, 1, None)),
            rng.randint(1, 8),
            rng.randint(1, 13),
            rng.choice((1, 2, 3, "s")),
            rng.randint(0, 2),
            rng.randint(1, 3),
        )
        for _ in range(POOL)
    ]
    texts: list[str | None] = [None, "", "x"]
    for _ in range(POOL):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 35)))
        texts.append(text if rng.random() < 0.67 else None)
    long_text = ("Lång berättelse om vården. " * 800)[:20_000]
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    mask = POOL - 1
    for i in range(n):
        r = rng.getrandbits(32)
        yield (
            f"{r:08x}{i:08x}",
            months[r % 12],
            *qi_pool[r & mask],
            *likert_pool[(r >> 12) & mask],
            long_text if i == n // 2 else texts[(r >> 7) % len(texts)],
            *flag_pool[(r >> 20) & mask],
            "svm-2025-03",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="write here instead of a temporary file")
    args = parser.parse_args()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.dta"
        started = time.perf_counter()
        written = write_dta(path, columns(), rows(args.rows), file_label="Benchmark")
        seconds = time.perf_counter() - started
        size = path.stat().st_size / 1e6
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"rows={written} columns={len(columns())} seconds={seconds:.1f} "
        f"peak_rss_mb={peak:.0f} (after imports {before:.0f}) file_mb={size:.0f}"
    )


if __name__ == "__main__":
    main()
