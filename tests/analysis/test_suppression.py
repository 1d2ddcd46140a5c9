"""Small-cell suppression: nothing built from fewer than k answers, not even by subtraction."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.suppression import (
    COMPLEMENT,
    SMALL,
    TOTAL_SMALL,
    check_k,
    suppress_share,
    suppress_subset,
    suppress_table,
)


def test_small_cells_are_hidden_and_say_why():
    cells = suppress_table({"aneby": 12, "eksjo": 3, "habo": 9, "mullsjo": 0}, k=5)

    assert cells["eksjo"].hidden and cells["eksjo"].reason == SMALL
    assert cells["mullsjo"].count == 0  # zero describes nobody
    assert cells["aneby"].count == 12


def test_a_single_hidden_cell_cannot_be_recovered_from_the_total():
    counts = {"aneby": 12, "eksjo": 3, "habo": 9, "mullsjo": 30}
    cells = suppress_table(counts, k=5)

    shown = sum(cell.count for cell in cells.values() if not cell.hidden)
    hidden = [key for key, cell in cells.items() if cell.hidden]
    assert hidden == ["eksjo", "habo"]  # the next smallest is hidden too
    assert cells["habo"].reason == COMPLEMENT
    assert sum(counts.values()) - shown >= 5


@given(
    counts=st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 40), max_size=8),
    k=st.integers(3, 10),
)
def test_subtracting_shown_cells_from_the_total_never_gives_a_small_number(counts, k):
    cells = suppress_table(counts, k=k)

    total = sum(counts.values())
    if total < k:
        assert all(cell.hidden for cell in cells.values())
        return
    for cell in cells.values():
        assert cell.hidden or cell.count == 0 or cell.count >= k
    recovered = total - sum(cell.count for cell in cells.values() if not cell.hidden)
    assert recovered == 0 or recovered >= k


def test_a_total_below_k_hides_the_whole_table():
    cells = suppress_table({"a": 2, "b": 2}, k=5)

    assert all(cell.reason == TOTAL_SMALL for cell in cells.values())


def test_shares_hide_small_counts_and_small_remainders():
    assert suppress_share(3, 100, 5).reason == SMALL
    assert suppress_share(97, 100, 5).reason == COMPLEMENT  # three answers lack it
    assert suppress_share(100, 100, 5).share == 1.0
    assert suppress_share(40, 100, 5).share == 0.4
    assert suppress_share(2, 4, 5).reason == TOTAL_SMALL


def test_a_group_figure_is_hidden_when_everyone_minus_the_group_is_small():
    group = suppress_share(20, 50, 5)

    assert suppress_subset(group, whole_count=22, k=5).reason == COMPLEMENT
    assert suppress_subset(group, whole_count=40, k=5).count == 20


def test_k_is_never_below_three():
    with pytest.raises(ValueError):
        check_k(2)
    assert check_k(3) == 3


def test_a_group_table_hides_cells_that_differ_little_from_everyone():
    group = {"aneby": 9, "eksjo": 20, "habo": 30}
    everyone = {"aneby": 12, "eksjo": 40, "habo": 60}

    cells = suppress_table(group, k=5, wider=everyone)

    assert cells["aneby"].reason == COMPLEMENT  # 12 - 9 = 3 others in Aneby
    assert cells["eksjo"].hidden  # and one more, so Aneby cannot be recovered from the total
    assert cells["habo"].count == 30
