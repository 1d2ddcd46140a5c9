"""Rows spooled to a temporary file, so a writer can learn the row count and the widest string
of each column before it writes a header, with at most one batch of rows in memory."""

from __future__ import annotations

import marshal
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, BinaryIO

SPOOL_BATCH_ROWS = 10_000


class Spool:
    """Rows written once, read back once or more, in batches (``marshal`` of lists of tuples).

    After :meth:`finish`, ``rows`` is the number of rows, ``widths[i]`` the most UTF-8 bytes
    of any value of string column ``i`` (0 if all are empty or ``None``), ``characters[i]``
    the characters of all its values and ``filled[i]`` how many are not empty.
    """

    def __init__(self, string_columns: Iterable[int], batch_rows: int = SPOOL_BATCH_ROWS) -> None:
        self.string_columns = tuple(string_columns)
        self.widths: dict[int, int] = dict.fromkeys(self.string_columns, 0)
        self.characters: dict[int, int] = dict.fromkeys(self.string_columns, 0)
        self.filled: dict[int, int] = dict.fromkeys(self.string_columns, 0)
        self.rows = 0
        self.batch_rows = batch_rows
        self._file: BinaryIO = tempfile.TemporaryFile(prefix="viktigt-spool-")  # noqa: SIM115
        self._batch: list[tuple[Any, ...]] = []

    def extend(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self._batch.append(tuple(row))
            if len(self._batch) >= self.batch_rows:
                self._flush()

    def finish(self) -> None:
        """No more rows: ``rows`` and ``widths`` are final."""
        self._flush()

    def _flush(self) -> None:
        if not self._batch:
            return
        widths = self.widths
        for index in self.string_columns:
            longest = widths[index]
            for row in self._batch:
                value = row[index]
                # A character is at most 4 bytes: encode only values that might be wider.
                if value and len(value) * 4 > longest:
                    longest = max(longest, len(value.encode("utf-8")))
            widths[index] = longest
            lengths = [len(row[index]) for row in self._batch if row[index]]
            self.characters[index] += sum(lengths)
            self.filled[index] += len(lengths)
        # Length-prefixed so batches() can use marshal.loads: marshal.load on a file object
        # reads it a few bytes at a time (one readinto call per object), ~13x slower.
        data = marshal.dumps(self._batch)
        self._file.write(len(data).to_bytes(8, "little"))
        self._file.write(data)
        self.rows += len(self._batch)
        self._batch = []

    def batches(self) -> Iterator[list[tuple[Any, ...]]]:
        """The spooled rows, a batch at a time, in the order they were written."""
        self.finish()
        self._file.seek(0)
        while True:
            size = self._file.read(8)
            if len(size) < 8:
                return
            yield marshal.loads(self._file.read(int.from_bytes(size, "little")))

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
