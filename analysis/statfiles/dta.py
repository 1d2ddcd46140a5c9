"""Streaming writer for Stata ``.dta`` files, format 118 (Stata 14 and later), little-endian.

Written from Stata's description of the format (``help dta``, format 118). The file header
needs the number of rows, the width of each string column and the storage type of each number
column (byte, int, long or double, from the range of its values), so the rows are first
spooled (:class:`~analysis.statfiles.spool.Spool`, which measures the strings) while the
number columns are scanned a batch at a time, then the spool is read once to write the data.
Long strings (strL) are written to a second temporary file as the data are written and
appended after them. Memory stays at about one batch of rows whatever the number of rows.

A batch is turned into bytes column by column: each number column becomes a numpy array of its
storage type (through a cache of the stored value of each distinct cell, so a column of codes
costs one dict lookup a cell), each str# column an array of fixed-width bytes, and they are put
in the fields of a structured array laid out like a Stata observation; ``tobytes()`` then gives
the batch's data.
"""

from __future__ import annotations

import numbers
import re
import shutil
import struct
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from analysis.statfiles import Column, cut_utf8
from analysis.statfiles import spool as _spool

RELEASE = 118
#: Widest str# variable; wider strings are stored as strL.
MAX_STR_WIDTH = 2045
MAX_VARIABLES = 32_767
#: Characters of a variable label or the dataset label (Stata cuts them there too).
MAX_LABEL_CHARS = 80
#: Bytes of one value label text (Stata 14 allows 32,000 characters; bytes is the safe side).
MAX_VALUE_LABEL_BYTES = 32_000

TYPE_STRL = 32768
TYPE_DOUBLE = 65526
TYPE_LONG = 65528
TYPE_INT = 65529
TYPE_BYTE = 65530

#: Largest double Stata accepts as a number (larger ones are missing-value codes).
DOUBLE_MAX = struct.unpack("<d", struct.pack("<Q", 0x7FDFFFFFFFFFFFFF))[0]
DOUBLE_MISSING = 0x7FE0000000000000
#: Distance between the double codes of ``.``, ``.a``, ``.b`` …
DOUBLE_MISSING_STEP = 1 << 40
#: Value-label tables hold values as int32: ``.`` is this, ``.a`` one more, and so on.
LABEL_MISSING = 2_147_483_621
GSO_ASCII = 130

#: Extended missing letter -> 1 (``.a``) … 26 (``.z``); 0 is system missing ``.``.
_LETTERS = {chr(ord("a") + i): i + 1 for i in range(26)}
#: More distinct values than this in a batch of a number column: converted with numpy.
_DISTINCT_LIMIT = 2048
_PLAIN_NUMBERS = frozenset({int, float, bool, type(None)})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}\Z")
_RESERVED = frozenset(
    "_all _b byte _coef _cons double float if in int long _n _N _pi _pred _rc _skip strL "
    "using with".split()
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_GSO_HEAD = struct.Struct("<3sIQBI")


@dataclass(frozen=True)
class _NumberType:
    code: int
    #: numpy type of the column's field in a record.
    dtype: str
    low: float
    high: float
    #: Stored value of ``.`` (for integer types; ``.a`` is one more, …).
    missing: int
    fmt_width: int


_BYTE = _NumberType(TYPE_BYTE, "<i1", -127, 100, 101, 8)
_INT = _NumberType(TYPE_INT, "<i2", -32_767, 32_740, 32_741, 8)
_LONG = _NumberType(TYPE_LONG, "<i4", -2_147_483_647, 2_147_483_620, 2_147_483_621, 12)
_DOUBLE = _NumberType(TYPE_DOUBLE, "<f8", -DOUBLE_MAX, DOUBLE_MAX, DOUBLE_MISSING, 10)


class _Range:
    """What the first look at the rows learns of a number column: its smallest and largest
    value and whether all are integers."""

    __slots__ = ("name", "low", "high", "integral")

    def __init__(self, name: str) -> None:
        self.name = name
        self.low = float("inf")
        self.high = float("-inf")
        self.integral = True

    def add_cells(self, cells: Sequence[Any]) -> None:
        try:
            distinct = set(cells)
        except TypeError:
            raise ValueError(f"{self.name}: a cell is not a number") from None
        if len(distinct) > _DISTINCT_LIMIT:
            values, _letters = _numbers(cells, self.name)
            self.add(values[~np.isnan(values)])
            return
        found = [_cell(value, self.name) for value in distinct]
        self.add(np.array([x for x in found if type(x) is float], dtype=np.float64))

    def add(self, values: np.ndarray) -> None:
        if not values.size:
            return
        self.low = min(self.low, float(values.min()))
        self.high = max(self.high, float(values.max()))
        if self.integral and not np.array_equal(values, np.trunc(values)):
            self.integral = False

    def storage(self) -> _NumberType:
        if self.low > self.high:  # nothing but missing values
            return _BYTE
        if self.integral:
            for kind in (_BYTE, _INT, _LONG):
                if kind.low <= self.low and self.high <= kind.high:
                    return kind
        return _DOUBLE


def write_dta(
    path: Path | str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    file_label: str = "",
) -> int:
    """Write ``rows`` to a Stata 14+ ``.dta`` file at ``path``; return the number of rows.

    Cells follow the conventions of :mod:`analysis.statfiles`. A number column is stored as
    byte, int or long when all its values and value-label keys are integers in their range,
    otherwise as double; NaN is written as system missing. A string column is str# when its
    widest value fits in 2045 bytes and padding to it is not wasteful, otherwise strL. Raises
    ``ValueError`` for what Stata cannot hold (invalid or duplicate names, non-integer
    value-label keys, infinite numbers, value labels on a string column, rows of the wrong
    length); the partial file is removed.
    """
    path = Path(path)
    columns = tuple(columns)
    _check_columns(columns)
    strings = [i for i, column in enumerate(columns) if column.kind == "string"]
    ranges = {i: _Range(c.name) for i, c in enumerate(columns) if c.kind != "string"}
    batch_rows = _spool.SPOOL_BATCH_ROWS  # read now, so that tests can make it small
    with _spool.Spool(strings, batch_rows=batch_rows) as spool:
        spool.extend(_scanned(rows, len(columns), ranges, batch_rows))
        spool.finish()
        storage: list[_NumberType | int] = []
        for i, column in enumerate(columns):
            if column.kind == "string":
                width = spool.widths[i]
                storage.append(max(width, 1) if _fixed_width_fits(spool, i) else 0)
            else:
                keys = [float(key) for key in column.value_labels if not isinstance(key, str)]
                ranges[i].add(np.array(keys, dtype=np.float64))
                storage.append(ranges[i].storage())
        try:
            with path.open("wb", buffering=1 << 20) as out:
                _write(out, columns, storage, spool, file_label)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return spool.rows


def _fixed_width_fits(spool: _spool.Spool, column: int) -> bool:
    """str# if the widest value fits and padding every value to it costs at most twice what
    strL would (an 8-byte reference per cell, a 17-byte record header and the text per
    non-empty cell): one long answer would otherwise make every row of free text that wide."""
    width = spool.widths[column]
    if width > MAX_STR_WIDTH:
        return False
    fixed = spool.rows * max(width, 1)
    strl = spool.rows * 8 + spool.filled[column] * 17 + spool.characters[column]
    return fixed <= 2 * strl


# --------------------------------------------------------------------------- checks and cells


def _check_columns(columns: Sequence[Column]) -> None:
    if not columns:
        raise ValueError("a .dta file needs at least one column")
    if len(columns) > MAX_VARIABLES:
        raise ValueError(f"format 118 holds at most {MAX_VARIABLES} variables")
    seen: set[str] = set()
    for column in columns:
        name = column.name
        if not _NAME.match(name) or name in _RESERVED or re.fullmatch(r"str\d+", name):
            raise ValueError(f"{name!r} is not a valid Stata variable name")
        if name in seen:
            raise ValueError(f"duplicate variable name {name!r}")
        seen.add(name)
        if column.kind == "string" and column.value_labels:
            raise ValueError(f"{name}: Stata has no value labels for string variables")
        for key in column.value_labels:
            _label_key(column, key)


def _label_key(column: Column, key: float | int | str) -> int:
    """The int32 a value-label table holds for ``key`` (extended missing letters included)."""
    if isinstance(key, str):
        if key not in _LETTERS:
            raise ValueError(f"{column.name}: value label key {key!r} is not a letter a-z")
        return LABEL_MISSING + _LETTERS[key]
    number = float(key) if isinstance(key, numbers.Real | Decimal) else float("nan")
    if not number.is_integer() or not _LONG.low <= number <= _LONG.high:
        raise ValueError(
            f"{column.name}: Stata value labels need integer values in "
            f"{_LONG.low}..{_LONG.high}, not {key!r}"
        )
    return int(number)


def _scanned(
    rows: Iterable[Sequence[Any]], width: int, ranges: dict[int, _Range], size: int
) -> Iterator[tuple[Any, ...]]:
    """``rows``, unchanged, after the ranges of the number columns have seen them (a batch at
    a time): the storage types are known once the rows are spooled, and the spool is read
    only once, to write the data."""
    iterator = iter(rows)
    # Tuples now (the spool keeps them as they are), in case the rows are one reused list.
    while chunk := list(map(tuple, islice(iterator, size))):
        cells = _transpose(chunk, width)
        for i, column_range in ranges.items():
            column_range.add_cells(cells[i])
        yield from chunk


def _transpose(batch: Sequence[Sequence[Any]], width: int) -> list[tuple[Any, ...]]:
    try:
        cells = list(zip(*batch, strict=True))
    except ValueError:
        raise ValueError(f"every row needs {width} cells") from None
    if len(cells) != width:
        raise ValueError(f"every row needs {width} cells, not {len(cells)}")
    return cells


def _cell(value: Any, name: str) -> float | str | None:
    """A number cell checked: a finite float, an extended missing letter, or ``None``."""
    if value is None:
        return None
    if isinstance(value, str):
        if value in _LETTERS:
            return value
        raise ValueError(f"{name}: {value!r} is neither a number nor a missing letter a-z")
    if not isinstance(value, numbers.Real | Decimal):
        raise ValueError(f"{name}: {value!r} is not a number")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(f"{name}: {value!r} is too large for Stata") from None
    if number != number:  # NaN
        return None
    if not -DOUBLE_MAX <= number <= DOUBLE_MAX:
        raise ValueError(f"{name}: {value!r} is too large for Stata")
    return number


def _numbers(cells: Sequence[Any], name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The cells of a number column as float64 (NaN where missing), and the extended missing
    letters as 1 … 26 (0 elsewhere), or ``None`` when the column has none.

    For columns of many distinct values; cells of few distinct values go through
    :class:`_Encoder`, which converts each distinct value once."""
    types = set(map(type, cells))
    letters = None
    if not types <= _PLAIN_NUMBERS:
        letters = np.zeros(len(cells), dtype=np.uint8)
        cells = list(cells)
        for i, value in enumerate(cells):
            if type(value) not in _PLAIN_NUMBERS:
                checked = _cell(value, name)
                if isinstance(checked, str):
                    letters[i] = _LETTERS[checked]
                    checked = None
                cells[i] = checked
    try:
        values = np.array(cells, dtype=np.float64)  # None -> NaN
    except OverflowError:
        raise ValueError(f"{name}: a number is too large for Stata") from None
    if (np.abs(values) > DOUBLE_MAX).any():
        raise ValueError(f"{name}: a number is too large for Stata")
    return values, letters


class _Encoder(dict[Any, int | float]):
    """The stored value of each distinct cell of a number column, computed on first sight."""

    def __init__(self, kind: _NumberType, name: str) -> None:
        super().__init__()
        self.kind = kind
        self.name = name

    def __missing__(self, value: Any) -> int | float:
        cell = _cell(value, self.name)
        kind = self.kind
        if cell is None or isinstance(cell, str):
            letter = _LETTERS[cell] if cell else 0
            if kind is _DOUBLE:
                stored: int | float = _double(DOUBLE_MISSING + letter * DOUBLE_MISSING_STEP)
            else:
                stored = kind.missing + letter
        else:
            stored = cell if kind is _DOUBLE else int(cell)
        self[value] = stored
        return stored


def _double(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


# --------------------------------------------------------------------------- the file


def _write(
    out: BinaryIO,
    columns: Sequence[Column],
    storage: list[_NumberType | int],
    spool: _spool.Spool,
    file_label: str,
) -> None:
    """The whole file, section by section; the map of section offsets is patched at the end."""
    offsets: dict[str, int] = {}

    def section(tag: str, body: bytes) -> None:
        offsets[tag] = out.tell()
        out.write(b"<%s>%s</%s>" % (tag.encode(), body, tag.encode()))

    label = file_label[:MAX_LABEL_CHARS].encode("utf-8")
    now = time.localtime()
    stamp = (
        f"{now.tm_mday:02d} {_MONTHS[now.tm_mon - 1]} {now.tm_year:04d} "
        f"{now.tm_hour:02d}:{now.tm_min:02d}"
    ).encode("ascii")
    out.write(b"<stata_dta><header>")
    out.write(b"<release>%d</release><byteorder>LSF</byteorder>" % RELEASE)
    out.write(b"<K>" + struct.pack("<H", len(columns)) + b"</K>")
    out.write(b"<N>" + struct.pack("<Q", spool.rows) + b"</N>")
    out.write(b"<label>" + struct.pack("<H", len(label)) + label + b"</label>")
    out.write(b"<timestamp>" + bytes([len(stamp)]) + stamp + b"</timestamp>")
    out.write(b"</header>")
    section("map", bytes(14 * 8))  # patched at the end

    labelled = [bool(column.value_labels) for column in columns]
    section("variable_types", b"".join(struct.pack("<H", _type_code(s)) for s in storage))
    section("varnames", b"".join(_fixed(column.name, 129) for column in columns))
    section("sortlist", bytes(2 * (len(columns) + 1)))
    section(
        "formats",
        b"".join(_fixed(_format(c, s), 57) for c, s in zip(columns, storage, strict=True)),
    )
    section(
        "value_label_names",
        b"".join(
            _fixed(c.name if has else "", 129) for c, has in zip(columns, labelled, strict=True)
        ),
    )
    section(
        "variable_labels",
        b"".join(_fixed(c.label[:MAX_LABEL_CHARS], 321) for c in columns),
    )
    section("characteristics", b"")

    offsets["data"] = out.tell()
    out.write(b"<data>")
    with tempfile.TemporaryFile(prefix="viktigt-dta-strls-") as strls:
        _write_data(out, strls, columns, storage, spool)
        out.write(b"</data>")
        offsets["strls"] = out.tell()
        out.write(b"<strls>")
        strls.seek(0)
        shutil.copyfileobj(strls, out, 1 << 20)
        out.write(b"</strls>")

    section("value_labels", b"".join(_label_table(c) for c in columns if c.value_labels))
    offsets["end"] = out.tell()
    out.write(b"</stata_dta>")
    size = out.tell()

    order = (
        "map variable_types varnames sortlist formats value_label_names variable_labels "
        "characteristics data strls value_labels end"
    ).split()
    out.seek(offsets["map"] + len(b"<map>"))
    out.write(struct.pack("<14Q", 0, *(offsets[tag] for tag in order), size))


def _type_code(storage: _NumberType | int) -> int:
    if isinstance(storage, _NumberType):
        return storage.code
    return storage or TYPE_STRL


def _format(column: Column, storage: _NumberType | int) -> str:
    if isinstance(storage, _NumberType):
        decimals = max(0, column.decimals)
        return f"%{max(storage.fmt_width, decimals + 2)}.{decimals}g"
    return f"%{storage}s" if storage else "%9s"


def _fixed(text: str, size: int) -> bytes:
    """``text`` in UTF-8, NUL-padded to ``size`` bytes (always at least one NUL)."""
    encoded = text.encode("utf-8")
    if len(encoded) >= size:
        raise ValueError(f"{text!r} is longer than {size - 1} bytes")
    return encoded.ljust(size, b"\0")


def _label_table(column: Column) -> bytes:
    entries = sorted((_label_key(column, key), text) for key, text in column.value_labels.items())
    offsets: list[int] = []
    texts: list[bytes] = []
    position = 0
    for _value, text in entries:
        encoded = cut_utf8(text, MAX_VALUE_LABEL_BYTES - 1)
        offsets.append(position)
        texts.append(encoded + b"\0")
        position += len(encoded) + 1
    n = len(entries)
    values = [value for value, _text in entries]
    table = struct.pack(f"<ii{n}i{n}i", n, position, *offsets, *values) + b"".join(texts)
    head = struct.pack("<i", len(table)) + _fixed(column.name, 129) + bytes(3)
    return b"<lbl>" + head + table + b"</lbl>"


def _write_data(
    out: BinaryIO,
    strls: BinaryIO,
    columns: Sequence[Column],
    storage: list[_NumberType | int],
    spool: _spool.Spool,
) -> None:
    fields = []
    for s in storage:
        if isinstance(s, _NumberType):
            fields.append(s.dtype)
        else:
            fields.append(f"S{s}" if s else "<u8")
    record = np.dtype({"names": [f"c{i}" for i in range(len(columns))], "formats": fields})
    strl_columns = [i for i, s in enumerate(storage) if s == 0]
    encoders: dict[int, _Encoder | None] = {
        i: _Encoder(s, columns[i].name) for i, s in enumerate(storage) if isinstance(s, _NumberType)
    }
    first = 0  # rows written so far
    for batch in spool.batches():
        cells = _transpose(batch, len(columns))
        n = len(batch)
        data = np.empty(n, dtype=record)
        for i, s in enumerate(storage):
            field = f"c{i}"
            if isinstance(s, _NumberType):
                encoder = encoders[i]
                if encoder is None:
                    data[field] = _encode_numbers(cells[i], s, columns[i].name)
                    continue
                data[field] = np.fromiter(map(encoder.__getitem__, cells[i]), s.dtype, count=n)
                if len(encoder) > _DISTINCT_LIMIT:  # not a column of codes: numpy from now on
                    encoders[i] = None
            elif s:
                data[field] = [
                    b"" if value is None else value.encode("utf-8") for value in cells[i]
                ]
        if strl_columns:
            _write_strls(strls, data, cells, strl_columns, first)
        out.write(data.tobytes())
        first += n


def _encode_numbers(cells: Sequence[Any], kind: _NumberType, name: str) -> np.ndarray:
    """Stored values of a batch of a number column of many distinct values."""
    values, letters = _numbers(cells, name)
    missing = np.isnan(values)
    if kind is _DOUBLE:
        bits = values.view(np.uint64)
        bits[missing] = DOUBLE_MISSING
        if letters is not None:
            tagged = letters > 0
            step = np.uint64(DOUBLE_MISSING_STEP)
            bits[tagged] = np.uint64(DOUBLE_MISSING) + letters[tagged].astype(np.uint64) * step
        return values
    if missing.any():
        values[missing] = kind.missing
        if letters is not None:
            tagged = letters > 0
            values[tagged] += letters[tagged]
    return values.astype(kind.dtype)


def _write_strls(
    strls: BinaryIO,
    data: np.ndarray,
    cells: list[tuple[Any, ...]],
    strl_columns: list[int],
    first: int,
) -> None:
    """GSO records of the batch's non-empty strLs, observation by observation; the cells refer
    to them by (v, o): v (variable, from 1) in the low 2 bytes, o (observation, from 1) in the
    high 6 bytes of 8; an empty strL is (0, 0) with no record."""
    pack = _GSO_HEAD.pack
    parts: list[bytes] = []
    refs = {i: np.zeros(len(data), dtype=np.uint64) for i in strl_columns}
    filled: dict[int, list[int]] = {i: [] for i in strl_columns}
    variables = [(i + 1, cells[i], filled[i]) for i in strl_columns]
    for row in range(len(data)):
        o = first + row + 1
        for v, values, rows in variables:
            value = values[row]
            if value:
                encoded = value.encode("utf-8")
                parts.append(pack(b"GSO", v, o, GSO_ASCII, len(encoded) + 1))
                parts.append(encoded)
                parts.append(b"\0")
                rows.append(row)
    for i in strl_columns:
        rows = np.array(filled[i], dtype=np.uint64)
        refs[i][rows.astype(np.intp)] = (i + 1) + ((rows + (first + 1)) << np.uint64(16))
        data[f"c{i}"] = refs[i]
    strls.write(b"".join(parts))
