"""Streaming writers for SPSS ``.sav`` and Stata ``.dta`` files.

pyreadstat (and pandas) write these formats from a whole DataFrame, so memory grows with the
number of rows. These writers take the rows as an iterable and keep at most one batch in
memory: the rows are first spooled to a temporary file (which also measures the widest value
of each string column, needed in the file header), then the file is written in one pass.

Both writers take the same description of the columns, :class:`Column`, and rows as sequences
of cells in column order:

- a number column: ``int``/``float``, ``None`` (system missing) or, for Stata only, a
  one-letter ``str`` ``"a"`` … ``"z"`` (extended missing value ``.a`` … ``.z``);
- a string column: ``str`` or ``None`` (written as the empty string; neither format has a
  missing string).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Measure = Literal["nominal", "ordinal", "scale"]


@dataclass(frozen=True)
class Column:
    """One variable of a ``.sav`` or ``.dta`` file."""

    #: Valid in both formats: ``[a-z_][a-z0-9_]*``, at most 32 characters.
    name: str
    #: Variable label (SPSS keeps any length, Stata 80 characters: longer ones are cut).
    label: str = ""
    kind: Literal["number", "string"] = "number"
    #: Value labels of a number column: ``{1: "Ja", 0: "Nej"}``; for Stata the keys may also
    #: be extended-missing letters (``{"a": "Ingen uppfattning"}``).
    value_labels: Mapping[float | int | str, str] = field(default_factory=dict)
    #: SPSS user-missing values of a number column (at most three discrete values).
    missing_values: tuple[float, ...] = ()
    #: SPSS measurement level.
    measure: Measure = "nominal"
    #: Number of decimals shown for a number column (SPSS print format F8.n; Stata %8.ng).
    decimals: int = 0


def cut_utf8(text: str, limit: int) -> bytes:
    """``text`` in UTF-8, cut to at most ``limit`` bytes at a character boundary."""
    encoded = text.encode("utf-8")
    return encoded if len(encoded) <= limit else cut_utf8_bytes(encoded, limit)


def cut_utf8_bytes(encoded: bytes, limit: int) -> bytes:
    """UTF-8 bytes cut to at most ``limit`` bytes, never inside a character."""
    cut = min(limit, len(encoded))
    while cut < len(encoded) and cut > 0 and encoded[cut] & 0xC0 == 0x80:  # continuation byte
        cut -= 1
    return encoded[:cut]
