"""Streaming SPSS writer on synthetic survey answers: wall time and peak memory.

Writes N rows (default 1,000,000) shaped like the anonymised export: an id, a month, three
short strings, ~40 small integer codes (Likert answers with user-missing -1/-2, label flags,
some system missing, a weight) and one free-text column, usually 50-300 bytes, with a
20,000-byte answer every 100,000 rows (so the column is 20,000 bytes wide, as in a real export
with one long answer; ``--no-long-text`` leaves it out). Prints the seconds taken by
``write_sav`` (the rows are generated lazily inside it; the time to only generate them is
printed too), the peak RSS of the process and the file size.

    .venv/bin/python bench/statfile_sav.py                # 1,000,000 rows, compressed
    .venv/bin/python bench/statfile_sav.py 200000 --uncompressed --keep /tmp/bench.sav
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
from analysis.statfiles.sav import write_sav  # noqa: E402

N_LIKERT = 30
N_FLAGS = 10
WORDS = (
    "trafiken bostäder skolan vården parken cykelbanor äldreomsorg kollektivtrafik "
    "centrum trygghet belysning föreningsliv biblioteket badhuset löneläget miljön "
    "företagande arbete ungdomar öppettider snöröjning gatorna på i och att det är "
    "inte bättre mer mindre behöver borde vill tycker"
).split()


def columns() -> list[Column]:
    scale = {1: "Mycket dåligt", 2: "Dåligt", 3: "Varken eller", 4: "Bra", 5: "Mycket bra"}
    scale |= {-1: "Ingen uppfattning", -2: "Undertryckt"}
    cols = [
        Column("answer_id", "Svar-id", kind="string"),
        Column("month", "Månad", kind="string"),
        Column("on_behalf", "Svarar för", value_labels={0: "Sig själv", 1: "Annan"}),
        Column("age_group", "Åldersgrupp", value_labels={i: f"Grupp {i}" for i in range(1, 8)}),
        Column("area", "Område", kind="string"),
    ]
    for i in range(N_LIKERT):
        cols.append(
            Column(
                f"q{i + 1:02d}_likert",
                f"Fråga {i + 1}: hur nöjd är du med …",
                value_labels=scale,
                missing_values=(-1, -2),
                measure="ordinal",
            )
        )
    cols.append(Column("text_redacted", "Fritext (maskerad)", kind="string"))
    for i in range(N_FLAGS):
        cols.append(Column(f"label_{i:02d}", f"Etikett {i}", value_labels={0: "Nej", 1: "Ja"}))
    cols.append(Column("version", "Formulärversion", kind="string"))
    cols.append(Column("weight", "Vikt", decimals=3, measure="scale"))
    return cols


def rows(n: int, seed: int = 1, long_every: int = 100_000) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    texts = []
    for _ in range(2000):
        words: list[str] = []
        target = rng.randint(50, 300)
        while sum(len(w) + 1 for w in words) < target:
            words.append(rng.choice(WORDS))
        texts.append(" ".join(words).capitalize() + ".")
    long_text = ("Ett mycket långt svar om trafiken och skolan. " * 500).encode()[:20000]
    long_text = long_text.decode("utf-8", "ignore")  # 20,000 bytes
    likert = [1, 2, 3, 4, 5, 5, 4, 3, -1, None, 4, 2]
    areas = ["Centrum", "Norr", "Söder", "Öster", "Väster", "Råslätt", "Huskvarna"]
    weights = [1.0, 0.875, 1.25, 0.5, 2.0]
    for i in range(n):
        r = rng.getrandbits(32)
        if long_every and i % long_every == long_every - 1:
            text = long_text
        else:
            text = texts[r % 2000] if r & 7 else None
        yield (
            f"A{i:08d}",
            f"2024-{1 + r % 12:02d}",
            r & 1,
            1 + (r >> 3) % 7,
            areas[(r >> 6) % 7],
            *(likert[(r >> k) % 12] for k in range(N_LIKERT)),
            text,
            *((r >> k) & 1 for k in range(N_FLAGS)),
            "v3",
            weights[(r >> 9) % 5],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000, help="rows to write")
    parser.add_argument("--uncompressed", action="store_true")
    parser.add_argument("--keep", type=Path, help="write here and keep the file")
    parser.add_argument("--skip-generate", action="store_true", help="do not time generation")
    parser.add_argument(
        "--no-long-text",
        action="store_true",
        help="no 20,000-byte answer (the text column is then ~300 bytes wide)",
    )
    args = parser.parse_args()
    long_every = 0 if args.no_long_text else 100_000

    if not args.skip_generate:
        start = time.perf_counter()
        for _ in rows(args.n, long_every=long_every):
            pass
        print(f"generate only: {time.perf_counter() - start:.1f} s")

    with tempfile.TemporaryDirectory() as directory:
        path = args.keep or Path(directory) / "bench.sav"
        start = time.perf_counter()
        written = write_sav(
            path,
            columns(),
            rows(args.n, long_every=long_every),
            file_label="Viktigt bench",
            note="Syntetiska svar",
            compress=not args.uncompressed,
        )
        seconds = time.perf_counter() - start
        size = path.stat().st_size
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        f"rows: {written:,}  columns: {len(columns())}  "
        f"{'uncompressed' if args.uncompressed else 'compressed'}"
    )
    print(f"write_sav: {seconds:.1f} s  peak RSS: {peak_mb:.0f} MB  file: {size / 1e6:,.0f} MB")


if __name__ == "__main__":
    main()
