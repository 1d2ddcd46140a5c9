"""Throughput of analysis.redaction (answers per second on one core), optionally next to Presidio.

    .venv/bin/python bench/redact.py                     # the labelled and trap answers
    .venv/bin/python bench/redact.py answers.jsonl       # any JSON Lines file with "text"
    .venv/bin/python bench/redact.py --presidio          # also presidio-analyzer, if installed

The process is pinned to one CPU where the OS allows it. The answers are cycled until
``--answers`` have been redacted; the figure is the best of ``--repeat`` runs. With
``--presidio`` the same answers go through presidio-analyzer's NLP-free recognisers for
personnummer, phone and e-mail (spaCy engine on a blank Swedish pipeline written to a
temporary directory, so nothing is downloaded), and recall on the labelled set is printed for
the three types both can find. presidio-analyzer is not a project dependency: install it in a
scratch environment to run the comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.redaction import find_personal_data, warm_up  # noqa: E402

DATA = ROOT / "tests" / "data"


def _texts(path: Path | None) -> list[dict]:
    files = [path] if path else [DATA / "pii_labelled.jsonl", DATA / "pii_traps.jsonl"]
    rows = []
    for file in files:
        with file.open(encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    return rows


def _rate(function, texts: list[str], answers: int, repeat: int) -> float:
    best = 0.0
    for _ in range(repeat):
        started = time.perf_counter()
        for i in range(answers):
            function(texts[i % len(texts)])
        best = max(best, answers / (time.perf_counter() - started))
    return best


def _presidio():  # noqa: ANN202 - returns a callable text -> [(start, end, type)]
    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        EmailRecognizer,
        PhoneRecognizer,
        SePersonnummerRecognizer,
    )

    model_dir = Path(tempfile.mkdtemp()) / "blank_sv"
    spacy.blank("sv").to_disk(model_dir)
    engine = SpacyNlpEngine(models=[{"lang_code": "sv", "model_name": str(model_dir)}])
    registry = RecognizerRegistry(supported_languages=["sv"])
    registry.add_recognizer(SePersonnummerRecognizer(supported_language="sv"))
    registry.add_recognizer(PhoneRecognizer(supported_language="sv", supported_regions=("SE",)))
    registry.add_recognizer(EmailRecognizer(supported_language="sv"))
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["sv"])
    kinds = {"SE_PERSONNUMMER": "PERSONNUMMER", "PHONE_NUMBER": "PHONE", "EMAIL_ADDRESS": "EMAIL"}

    def find(text: str) -> list[tuple[int, int, str]]:
        results = analyzer.analyze(text=text, language="sv", score_threshold=0.3)
        return [(r.start, r.end, kinds[r.entity_type]) for r in results if r.entity_type in kinds]

    return find


def _recall(find, rows: list[dict], kinds: tuple[str, ...]) -> dict[str, str]:
    total = dict.fromkeys(kinds, 0)
    hit = dict.fromkeys(kinds, 0)
    for row in rows:
        found = find(row["text"])
        for gold in row["spans"]:
            if gold["type"] not in kinds:
                continue
            total[gold["type"]] += 1
            hit[gold["type"]] += any(
                s <= gold["start"] and gold["end"] <= e and k == gold["type"] for s, e, k in found
            )
    return {k: f"{hit[k]}/{total[k]} = {hit[k] / total[k]:.3f}" for k in kinds if total[k]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, help="JSON Lines with a 'text' field")
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--presidio", action="store_true", help="compare with presidio-analyzer")
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    rows = _texts(args.file)
    texts = [row["text"] for row in rows]
    started = time.perf_counter()
    warm_up()
    find_personal_data(texts[0])
    print(f"start-up (word lists): {time.perf_counter() - started:.2f} s")
    rate = _rate(find_personal_data, texts, args.answers, args.repeat)
    chars = sum(map(len, texts)) / len(texts)
    print(f"analysis.redaction: {rate:,.0f} answers/s on one core ({chars:.0f} chars on average)")

    if args.presidio:
        started = time.perf_counter()
        try:
            find = _presidio()
            find(texts[0])
        except ImportError as error:
            sys.exit(f"presidio-analyzer is not installed: {error}")
        print(f"presidio start-up: {time.perf_counter() - started:.2f} s")
        rate = _rate(find, texts, min(args.answers, 2000), 1)
        print(f"presidio-analyzer (personnummer, phone, e-mail only): {rate:,.0f} answers/s")
        labelled = [row for row in rows if row.get("spans")]
        kinds = ("PERSONNUMMER", "PHONE", "EMAIL")

        def ours(text: str) -> list[tuple[int, int, str]]:
            return [(s.start, s.end, s.type) for s in find_personal_data(text)]

        print("recall, presidio-analyzer:", _recall(find, labelled, kinds))
        print("recall, analysis.redaction:", _recall(ours, labelled, kinds))


if __name__ == "__main__":
    main()
