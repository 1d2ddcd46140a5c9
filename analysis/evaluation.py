"""Precision, recall and F1 of predictions against labelled answers, per dimension."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from analysis.labels import DIMENSIONS

if TYPE_CHECKING:
    from analysis.classifier import Prediction


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def evaluate(gold: list[dict], predictions: Sequence[Prediction]) -> dict:
    """Compare predictions with gold rows in the codebook format (same order).

    Returns ``{dimension: {"labels": {label: {"precision", "recall", "f1", "support"}},
    "macro_precision", "macro_recall", "macro_f1", "micro_precision", "micro_recall",
    "micro_f1", "n"}}``. A gold row without a dimension's key (not coded) is left out of
    that dimension. Undefined ratios (nothing predicted, nothing to find) count as 0.
    """
    if len(gold) != len(predictions):
        raise ValueError(f"{len(gold)} gold rows but {len(predictions)} predictions")
    report: dict = {}
    for dimension, labels in DIMENSIONS.items():
        counts = {label: {"tp": 0, "fp": 0, "fn": 0} for label in labels}
        coded = 0
        for row, prediction in zip(gold, predictions, strict=True):
            if row.get(dimension) is None:
                continue
            coded += 1
            truth = set(row[dimension])
            predicted = set(prediction.labels.get(dimension, []))
            for label in labels:
                if label in predicted and label in truth:
                    counts[label]["tp"] += 1
                elif label in predicted:
                    counts[label]["fp"] += 1
                elif label in truth:
                    counts[label]["fn"] += 1
        per_label = {}
        for label, c in counts.items():
            precision = _ratio(c["tp"], c["tp"] + c["fp"])
            recall = _ratio(c["tp"], c["tp"] + c["fn"])
            per_label[label] = {
                "precision": precision,
                "recall": recall,
                "f1": _f1(precision, recall),
                "support": c["tp"] + c["fn"],
            }
        tp = sum(c["tp"] for c in counts.values())
        micro_p = _ratio(tp, tp + sum(c["fp"] for c in counts.values()))
        micro_r = _ratio(tp, tp + sum(c["fn"] for c in counts.values()))
        report[dimension] = {
            "labels": per_label,
            "macro_precision": sum(m["precision"] for m in per_label.values()) / len(labels),
            "macro_recall": sum(m["recall"] for m in per_label.values()) / len(labels),
            "macro_f1": sum(m["f1"] for m in per_label.values()) / len(labels),
            "micro_precision": micro_p,
            "micro_recall": micro_r,
            "micro_f1": _f1(micro_p, micro_r),
            "n": coded,
        }
    return report


def format_report(report: dict) -> str:
    """A plain-text table per dimension, as printed by ``viktigt evaluate``."""
    lines = []
    for dimension, figures in report.items():
        lines.append(f"{dimension} (n={figures['n']})")
        lines.append(f"  {'label':<26}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
        for label, m in figures["labels"].items():
            lines.append(
                f"  {label:<26}{m['precision']:>10.3f}{m['recall']:>10.3f}"
                f"{m['f1']:>10.3f}{m['support']:>10d}"
            )
        for kind in ("macro", "micro"):
            lines.append(
                f"  {kind + ' avg':<26}{figures[kind + '_precision']:>10.3f}"
                f"{figures[kind + '_recall']:>10.3f}{figures[kind + '_f1']:>10.3f}"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
