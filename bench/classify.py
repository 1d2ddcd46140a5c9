"""Classifier speed: batch throughput (answers/s) and single-answer latency (p50/p99).

Usage: ``.venv/bin/python bench/classify.py [--model PATH] [--answers N] [--singles N]``

Runs on one core (CPU affinity and BLAS threads pinned) with the classifier's caches cleared
before each measurement and distinct texts, so repeated answers do not flatter the figures
(within a run, words shared by different answers are looked up once, as in production).
Texts are the training corpus answers (their content does not matter for speed). Wall-clock
and CPU-time figures are both printed: on a busy machine only the CPU-time ones are stable.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.classifier import default_corpus_paths, load_classifier, read_jsonl  # noqa: E402


def corpus_texts() -> list[str]:
    """Distinct answers of the training corpus, in a fixed order."""
    seen: dict[str, None] = {}
    for path in default_corpus_paths():
        for row in read_jsonl(path):
            seen.setdefault(str(row.get("text") or ""), None)
    return [text for text in seen if text.strip()]


def percentiles(milliseconds: list[float]) -> str:
    """p50, p99 and max of latencies in milliseconds."""
    ordered = sorted(milliseconds)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"p50 {statistics.median(ordered):.2f} ms, p99 {p99:.2f} ms, max {ordered[-1]:.2f} ms"


def main() -> None:
    """Measure and print the figures and the command that produced them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=None, help="artefact (default: newest)")
    parser.add_argument("--answers", type=int, default=4000, help="answers in the batch run")
    parser.add_argument("--singles", type=int, default=1000, help="single predictions timed")
    parser.add_argument("--batch-size", type=int, default=512)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    started = time.perf_counter()
    classifier = load_classifier(args.model)
    load_seconds = time.perf_counter() - started
    texts = corpus_texts()
    if not texts:
        sys.exit("no corpus texts to time with (nlp_models/corpus/*.jsonl)")
    batch = (texts * (args.answers // len(texts) + 1))[: args.answers]
    classifier.predict(texts[:50])  # warm up code paths

    classifier.clear_caches()
    started, cpu_started = time.perf_counter(), time.process_time()
    for start in range(0, len(batch), args.batch_size):
        classifier.predict(batch[start : start + args.batch_size])
    batch_seconds = time.perf_counter() - started
    batch_cpu = time.process_time() - cpu_started
    distinct = min(len(batch), len(texts))

    classifier.clear_caches()
    latencies, cpu_latencies = [], []
    for text in (texts * (args.singles // len(texts) + 1))[: args.singles]:
        started, cpu_started = time.perf_counter(), time.thread_time()
        classifier.predict_one(text)
        cpu_latencies.append((time.thread_time() - cpu_started) * 1000)
        latencies.append((time.perf_counter() - started) * 1000)

    classifier.clear_caches()
    started = time.perf_counter()
    for text in texts[:200]:
        classifier.explain(text)
    explain_ms = (time.perf_counter() - started) * 1000 / min(200, len(texts))

    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"model: {classifier.version} (loaded in {load_seconds:.2f} s)")
    print(f"machine: {platform.processor() or platform.machine()}, Python {sys.version.split()[0]}")
    print(f"load average at start: {load}")
    print(f"batch: {len(batch)} answers ({distinct} distinct), batches of {args.batch_size}")
    print(f"  {len(batch) / batch_seconds:,.0f} answers/s on one core (wall clock)")
    print(f"  {len(batch) / batch_cpu:,.0f} answers per CPU second")
    print(f"single: {len(latencies)} predict_one calls (wall clock | CPU time)")
    for name, values in (("wall", latencies), ("cpu ", cpu_latencies)):
        print(f"  {name} {percentiles(values)}")
    print(f"explain: {explain_ms:.2f} ms per answer (mean of 200)")


if __name__ == "__main__":
    main()
