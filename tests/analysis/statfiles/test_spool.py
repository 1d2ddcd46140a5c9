"""The spool behind the .sav and .dta writers: rows come back in order, widths are measured."""

from analysis.statfiles.spool import Spool


def test_rows_come_back_in_order_in_batches_with_widths_measured() -> None:
    rows = [(i, "å" * i, None if i % 2 else "x") for i in range(25)]
    with Spool([1, 2], batch_rows=4) as spool:
        spool.extend(rows)
        spool.finish()
        assert spool.rows == 25
        assert spool.widths == {1: 48, 2: 1}  # 24 "å" are 48 bytes in UTF-8
        batches = list(spool.batches())
        assert [len(batch) for batch in batches] == [4, 4, 4, 4, 4, 4, 1]
        assert [row for batch in batches for row in batch] == rows
        # Readable again, for writers that need two passes.
        assert sum(len(batch) for batch in spool.batches()) == 25


def test_an_empty_spool_has_no_batches() -> None:
    with Spool([0]) as spool:
        spool.finish()
        assert spool.rows == 0 and spool.widths == {0: 0}
        assert list(spool.batches()) == []
