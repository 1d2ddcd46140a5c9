"""Small-cell suppression: no figure built from fewer than ``k`` answers is shown.

Primary suppression hides every count from 1 to k-1. Secondary suppression then hides more
cells of the same table until the hidden cells add up to at least k, so that a shown total
minus the shown cells never reveals a small number. Zero is shown: it describes nobody.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

MIN_K = 3
DEFAULT_K = 5

SMALL = "small"  # fewer than k answers
COMPLEMENT = "complement"  # hidden so that a small cell cannot be recovered by subtraction
TOTAL_SMALL = "total"  # the whole selection has fewer than k answers


@dataclass(frozen=True)
class Cell:
    """A count that may be hidden; ``reason`` says why when it is."""

    count: int | None
    total: int | None = None
    reason: str | None = None

    @property
    def hidden(self) -> bool:
        return self.count is None

    @property
    def share(self) -> float | None:
        if self.count is None or not self.total:
            return None
        return self.count / self.total


def check_k(k: int) -> int:
    """The configured minimum cell size, never below 3."""
    if k < MIN_K:
        raise ValueError(f"the minimum cell size is {MIN_K}, got {k}")
    return k


def is_small(count: int, k: int) -> bool:
    return 0 < count < k


def suppress_table(
    counts: Mapping[K, int],
    k: int,
    total: int | None = None,
    wider: Mapping[K, int] | None = None,
) -> dict[K, Cell]:
    """Suppress a row of cells that add up to ``total`` (their sum when not given).

    ``total`` is shown elsewhere, so hidden cells must not be recoverable from it. ``wider``
    holds the same cells for a wider selection that is shown too (everyone, when ``counts``
    is one target group): a cell whose difference to it is small is hidden as well.
    """
    total = sum(counts.values()) if total is None else total
    if total < k:
        return {key: Cell(None, None, TOTAL_SMALL) for key in counts}
    hidden: dict[K, str] = {key: SMALL for key, count in counts.items() if is_small(count, k)}
    for key, count in counts.items():
        if wider is not None and key not in hidden and is_small(wider.get(key, 0) - count, k):
            hidden[key] = COMPLEMENT
    unexplained = total - sum(counts.values())  # answers in no cell (for example "not stated")
    if hidden and 0 <= unexplained < k:
        # Hide further cells, smallest first, until the hidden cells (with any remainder
        # that is not in the table) add up to at least k and no hidden cell stands alone.
        candidates = sorted(
            (count, str(key), key) for key, count in counts.items() if key not in hidden and count
        )
        while candidates and (
            sum(counts[key] for key in hidden) + unexplained < k
            or (len(hidden) == 1 and unexplained == 0)  # one hidden cell = total - the rest
        ):
            _count, _name, key = candidates.pop(0)
            hidden[key] = COMPLEMENT
    return {
        key: Cell(None, None, hidden[key]) if key in hidden else Cell(count, total)
        for key, count in counts.items()
    }


def suppress_share(count: int, total: int, k: int) -> Cell:
    """A share ``count / total`` of answers; hidden when either part is small.

    The part without the label (total - count) is a figure too: 98 of 100 tells that two
    answers lack it, so it must not be small either.
    """
    if total < k:
        return Cell(None, None, TOTAL_SMALL)
    if is_small(count, k):
        return Cell(None, None, SMALL)
    if is_small(total - count, k):
        return Cell(None, None, COMPLEMENT)
    return Cell(count, total)


def suppress_subset(part: Cell, whole_count: int, k: int) -> Cell:
    """A figure for a subgroup shown beside the same figure for everyone.

    Everyone minus the subgroup is the figure for the rest; it must not be small.
    """
    if part.hidden or part.count is None:
        return part
    if is_small(whole_count - part.count, k):
        return Cell(None, None, COMPLEMENT)
    return part
