"""Streaming writer for SPSS system files (``.sav``), from the format as documented in the GNU
PSPP developers guide ("System File Format").

The rows are spooled first (:class:`~analysis.statfiles.spool.Spool`) to learn the row count and
the widest value of each string column; then the dictionary is written and the spooled rows are
encoded a chunk of rows at a time, so memory stays bounded whatever the number of rows.

Layout written: file header (``$FL2``, layout code 2, little-endian), variable records (with
continuation records for strings wider than 8 bytes and one variable per segment for strings
wider than 255 bytes), value labels (types 3 + 4), a document record (the note), extension
records 3 (machine integers, UTF-8), 4 (machine floats), 11 (display parameters), 13 (long
names), 14 (very long strings), 16 (64-bit case count) and 20 (character encoding ``UTF-8``),
the dictionary termination record and the data, bytecode-compressed (bias 100) or not.
"""

from __future__ import annotations

import re
import struct
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from analysis.statfiles import Column, cut_utf8, cut_utf8_bytes
from analysis.statfiles import spool as spool_module

#: Widest string SPSS can hold, in bytes; longer values are cut at a character boundary.
MAX_STRING_BYTES = 32767
#: Value labels longer than this (bytes) are cut: the documented SPSS maximum.
MAX_VALUE_LABEL_BYTES = 120
#: Variable labels longer than this (bytes) are cut (what SPSS and ReadStat keep).
MAX_VARIABLE_LABEL_BYTES = 256

_SYSMIS = -sys.float_info.max
_SYSMIS_BYTES = struct.pack("<d", _SYSMIS)
_HIGHEST = sys.float_info.max
_LOWEST = struct.unpack("<d", bytes.fromhex("feffffffffffefff"))[0]
_BIAS = 100

# Very long strings (wider than 255 bytes) are split into segments: each segment but the last
# has width 255 and holds 255 bytes of the value, stored in 256 bytes (32 eight-byte units);
# the number of segments is one per 252 bytes of width (rounding up), so some space is unused.
_SEGMENT_WIDTH = 255
_SEGMENT_STEP = 252

# Compression codes.
_CODE_RAW = 253
_CODE_SPACES = 254
_CODE_SYSMIS = 255

#: Eight-byte units encoded per chunk of rows (bounds the memory of one chunk to a few MB).
_CHUNK_UNITS = 1 << 22

_NAME = re.compile(r"[A-Za-z@][A-Za-z0-9_.@#$]*\Z")
_RESERVED = frozenset("ALL AND BY EQ GE GT LE LT NE NOT OR TO WITH".split())
_MEASURES = {"nominal": 1, "ordinal": 2, "scale": 3}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SP8 = b" " * 8
_RAW_CODE_BYTE = bytes((_CODE_RAW,))
_PADS = tuple(b" " * n for n in range(8))

_int32 = struct.Struct("<i")
_double = struct.Struct("<d")
_ext_header = struct.Struct("<iiii")
_var_record = struct.Struct("<iiiiii8s")

# Encodings of the most common numbers: compression codes (one byte) and, for uncompressed
# files, 8-byte doubles. Each file starts from a copy and adds the other numbers it meets (up to
# _CACHE_LIMIT of them), so a column is encoded by one C-level map over a dict.
_CODES: dict[Any, bytes] = {
    value: bytes((value + _BIAS,)) for value in range(1 - _BIAS, 252 - _BIAS)
}
_CODES[None] = bytes((_CODE_SYSMIS,))
_DOUBLES: dict[Any, bytes] = {value: _double.pack(value) for value in range(-1000, 1001)}
_DOUBLES[None] = _SYSMIS_BYTES
_CACHE_LIMIT = 100_000


@dataclass
class _Segment:
    short_name: str
    #: 0 for a number, else the width of this segment (at most 255).
    width: int
    #: Eight-byte units (variable records) of this segment.
    units: int
    #: 1-based dictionary index of its first variable record.
    index: int


@dataclass
class _Variable:
    column: Column
    #: Declared width of a string column in bytes (0 for a number).
    width: int
    segments: list[_Segment]

    @property
    def units(self) -> int:
        return sum(segment.units for segment in self.segments)


def write_sav(
    path: Path | str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    file_label: str = "",
    note: str | None = None,
    compress: bool = True,
) -> int:
    """Write ``rows`` (sequences of cells in the order of ``columns``) to an SPSS ``.sav`` file
    at ``path`` and return the number of rows written.

    Cells: see :mod:`analysis.statfiles`; ``None`` (or NaN) in a number column is system
    missing, ``None`` in a string column the empty string. A string column is as wide as its
    widest value (at least 1 byte, at most 32,767 bytes: longer values are cut at a UTF-8
    character boundary). ``compress`` selects bytecode compression (SPSS "compressed"). Raises
    ``ValueError`` for a column SPSS cannot hold (invalid or duplicate name, more than three
    missing values, value labels or missing values on a string column, ...).
    """
    columns = tuple(columns)
    _check_columns(columns)
    string_indexes = [i for i, column in enumerate(columns) if column.kind == "string"]
    path = Path(path)
    with spool_module.Spool(string_indexes, batch_rows=spool_module.SPOOL_BATCH_ROWS) as spool:
        spool.extend(rows)
        spool.finish()
        widths = {i: min(max(spool.widths[i], 1), MAX_STRING_BYTES) for i in string_indexes}
        variables = _layout(columns, widths)
        try:
            with open(path, "wb") as out:
                out.write(_dictionary(variables, spool.rows, file_label, note, compress=compress))
                if compress:
                    _write_compressed(out, variables, spool)
                else:
                    _write_uncompressed(out, variables, spool)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return spool.rows


# --- dictionary ----------------------------------------------------------------------------


def _check_columns(columns: Sequence[Column]) -> None:
    if not columns:
        raise ValueError("an SPSS file needs at least one column")
    seen: set[str] = set()
    for column in columns:
        name = column.name
        if not _NAME.match(name) or len(name.encode("utf-8")) > 64:
            raise ValueError(
                f"{name!r} is not a valid SPSS variable name (a letter first, then letters, "
                "digits or _ . @ # $, at most 64 bytes)"
            )
        if name.upper() in _RESERVED:
            raise ValueError(f"{name!r} is a reserved word in SPSS")
        if name.upper() in seen:
            raise ValueError(f"duplicate column name {name!r} (SPSS names ignore case)")
        seen.add(name.upper())
        if column.kind not in ("number", "string"):
            raise ValueError(f"column {name!r}: unknown kind {column.kind!r}")
        if column.measure not in _MEASURES:
            raise ValueError(f"column {name!r}: unknown measure {column.measure!r}")
        if column.kind == "string":
            if column.value_labels or column.missing_values:
                raise ValueError(
                    f"string column {name!r}: value labels and missing values are only "
                    "written for number columns"
                )
            continue
        if len(column.missing_values) > 3:
            raise ValueError(f"column {name!r}: SPSS allows at most three discrete missing values")
        for value in (*column.missing_values, *column.value_labels):
            if isinstance(value, str) or value is None:
                raise ValueError(
                    f"column {name!r}: {value!r} is not a number (SPSS has no extended "
                    "missing values)"
                )
        if not 0 <= column.decimals <= 16:
            raise ValueError(f"column {name!r}: decimals must be between 0 and 16")


def _layout(columns: Sequence[Column], widths: Mapping[int, int]) -> list[_Variable]:
    """Short names, segments and dictionary indexes of the columns."""
    used: set[str] = set()
    variables = []
    index = 1
    for i, column in enumerate(columns):
        short = _short_name(column.name.upper(), used)
        if column.kind == "number":
            variables.append(_Variable(column, 0, [_Segment(short, 0, 1, index)]))
            index += 1
            continue
        width = widths[i]
        if width <= _SEGMENT_WIDTH:
            segment_widths = [width]
        else:
            n = (width + _SEGMENT_STEP - 1) // _SEGMENT_STEP
            segment_widths = [_SEGMENT_WIDTH] * (n - 1) + [width - (n - 1) * _SEGMENT_STEP]
        segments = []
        for k, segment_width in enumerate(segment_widths):
            name = short if k == 0 else _short_name(short[: 8 - len(str(k))] + str(k), used)
            units = (segment_width + 7) // 8
            segments.append(_Segment(name, segment_width, units, index))
            index += units
        variables.append(_Variable(column, width, segments))
    return variables


def _short_name(base: str, used: set[str]) -> str:
    """A unique name of at most 8 bytes, as SPSS derives them from long names."""
    candidate = base[:8]
    n = 0
    while candidate in used or candidate in _RESERVED:
        n += 1
        suffix = "_" + _letters(n)
        candidate = base[: 8 - len(suffix)] + suffix
    used.add(candidate)
    return candidate


def _letters(n: int) -> str:
    """1 → A, 26 → Z, 27 → AA, ..."""
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _format(kind: int, width: int, decimals: int) -> int:
    return (kind << 16) | (min(width, 255) << 8) | decimals


def _dictionary(
    variables: Sequence[_Variable],
    n_rows: int,
    file_label: str,
    note: str | None,
    *,
    compress: bool,
) -> bytes:
    parts: list[bytes] = []
    case_units = sum(variable.units for variable in variables)
    now = time.localtime()
    product = b"@(#) SPSS DATA FILE - viktigt analysis.statfiles"
    parts.append(
        b"$FL2"
        + product.ljust(60, b" ")
        + struct.pack(
            "<iiiiid",
            2,  # layout code
            case_units,  # nominal case size
            1 if compress else 0,
            0,  # no weight variable
            n_rows if n_rows < 2**31 else -1,
            float(_BIAS),
        )
        + f"{now.tm_mday:02d} {_MONTHS[now.tm_mon - 1]} {now.tm_year % 100:02d}".encode()
        + time.strftime("%H:%M:%S", now).encode()
        + cut_utf8(file_label, 64).ljust(64, b" ")
        + b"\0\0\0"
    )

    for variable in variables:
        column = variable.column
        for k, segment in enumerate(variable.segments):
            if segment.width == 0:
                decimals = column.decimals
                fmt = _format(5, max(8, decimals + 2), decimals)  # F8.d
            else:
                fmt = _format(1, segment.width, 0)  # A<width>
            label = cut_utf8(column.label, MAX_VARIABLE_LABEL_BYTES) if k == 0 else b""
            missing = column.missing_values if k == 0 else ()
            parts.append(
                _var_record.pack(
                    2,
                    segment.width,
                    1 if label else 0,
                    len(missing),
                    fmt,
                    fmt,
                    segment.short_name.encode("ascii").ljust(8, b" "),
                )
            )
            if label:
                parts.append(_int32.pack(len(label)) + label + b" " * (-len(label) % 4))
            for value in missing:
                parts.append(_double.pack(value))
            continuation = _var_record.pack(2, -1, 0, 0, 0, 0, b" " * 8)
            parts.append(continuation * (segment.units - 1))

    parts.extend(_value_label_records(variables))

    if note:
        lines = _document_lines(note)
        parts.append(_int32.pack(6) + _int32.pack(len(lines)) + b"".join(lines))

    # Machine integer info: version 1.0.0, machine -1, IEEE 754, compression 1, little-endian,
    # UTF-8 (code page 65001).
    parts.append(_ext_header.pack(7, 3, 4, 8) + struct.pack("<8i", 1, 0, 0, -1, 1, 1, 2, 65001))
    parts.append(_ext_header.pack(7, 4, 8, 3) + struct.pack("<3d", _SYSMIS, _HIGHEST, _LOWEST))

    display: list[int] = []
    for variable in variables:
        column = variable.column
        measure = _MEASURES[column.measure]
        for k, segment in enumerate(variable.segments):
            if segment.width == 0:
                display += (measure, 8, 1)  # right-aligned
            else:
                width = variable.width if k == 0 else segment.width
                display += (measure, min(width, 32), 0)  # left-aligned
    parts.append(
        _ext_header.pack(7, 11, 4, len(display)) + struct.pack(f"<{len(display)}i", *display)
    )

    long_names = "\t".join(
        f"{variable.segments[0].short_name}={variable.column.name}" for variable in variables
    ).encode("utf-8")
    parts.append(_ext_header.pack(7, 13, 1, len(long_names)) + long_names)

    very_long = b"".join(
        f"{variable.segments[0].short_name}={variable.width:05d}".encode("ascii") + b"\0\t"
        for variable in variables
        if len(variable.segments) > 1
    )
    if very_long:
        parts.append(_ext_header.pack(7, 14, 1, len(very_long)) + very_long)

    parts.append(_ext_header.pack(7, 16, 8, 2) + struct.pack("<qq", 1, n_rows))
    parts.append(_ext_header.pack(7, 20, 1, 5) + b"UTF-8")
    parts.append(_int32.pack(999) + _int32.pack(0))
    return b"".join(parts)


def _value_label_records(variables: Sequence[_Variable]) -> list[bytes]:
    """One type 3 + type 4 pair per distinct set of value labels (columns sharing the same
    labels share the record)."""
    sets: dict[tuple[tuple[float, str], ...], list[int]] = {}
    for variable in variables:
        labels = variable.column.value_labels
        if labels and variable.width == 0:
            key = tuple(sorted((float(value), label) for value, label in labels.items()))
            sets.setdefault(key, []).append(variable.segments[0].index)
    records = []
    for key, indexes in sets.items():
        body = [_int32.pack(3), _int32.pack(len(key))]
        for value, label in key:
            encoded = cut_utf8(label, MAX_VALUE_LABEL_BYTES)
            entry = bytes((len(encoded),)) + encoded
            body.append(_double.pack(value) + entry + b" " * (-len(entry) % 8))
        body.append(_int32.pack(4) + _int32.pack(len(indexes)))
        body.append(struct.pack(f"<{len(indexes)}i", *indexes))
        records.append(b"".join(body))
    return records


def _document_lines(note: str) -> list[bytes]:
    """The note as 80-byte, space-padded lines: split at line breaks, long lines wrapped at a
    space where there is one (never inside a character)."""
    lines = []
    for paragraph in note.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n"):
        encoded = paragraph.encode("utf-8")
        while len(encoded) > 80:
            cut = len(cut_utf8_bytes(encoded, 80))
            space = encoded.rfind(b" ", 0, cut + 1)
            if space > 0:
                cut = space
            lines.append(encoded[:cut])
            encoded = encoded[cut:].lstrip(b" ")
        lines.append(encoded)
    return [line.ljust(80, b" ") for line in lines]


# --- data ------------------------------------------------------------------------------------
#
# The rows are encoded a chunk at a time, column by column (a column's cells in one C-level
# ``map``/``join`` or list comprehension rather than a Python call per cell), then put back in
# row order: the compression codes as a (rows x units) numpy matrix, the raw 8-byte values by
# zipping the columns' per-row pieces.


def _lay_out(encoded: bytes, width: int) -> bytes:
    """A UTF-8 value as laid out in the case: cut to ``width`` bytes and, for a very long
    string, 255 bytes per segment, each followed by one unused byte."""
    if len(encoded) > width:
        encoded = cut_utf8_bytes(encoded, width)
    if width > _SEGMENT_WIDTH and len(encoded) > _SEGMENT_WIDTH:
        encoded = b" ".join(
            encoded[i : i + _SEGMENT_WIDTH] for i in range(0, len(encoded), _SEGMENT_WIDTH)
        )
    return encoded


def _string_cells(values: Sequence[Any], width: int) -> list[bytes]:
    """The column's values in UTF-8 as laid out in the case, padded with spaces to whole
    8-byte units (``b""`` for an empty value)."""
    encoded = [value.encode("utf-8") if value else b"" for value in values]
    if width > _SEGMENT_WIDTH:  # (no value is wider than a narrower column: it is the widest)
        encoded = [
            cell if len(cell) <= _SEGMENT_WIDTH else _lay_out(cell, width) for cell in encoded
        ]
    pads = _PADS
    return [cell + pads[-len(cell) & 7] for cell in encoded]


def _number(value: Any) -> float | None:
    """A number cell as a float, or None for system missing (None and NaN)."""
    if value is None:
        return None
    if isinstance(value, str):
        raise ValueError(
            f"{value!r} in a number column: SPSS has no extended missing values "
            "(use None for system missing)"
        )
    number = float(value)
    return None if number != number else number


class _Numbers:
    """Encoders of number cells for one file, caching the encodings of the values met (up to
    _CACHE_LIMIT of them) so that a column is encoded by one C-level map over a dict."""

    def __init__(self) -> None:
        self.codes = dict(_CODES)
        #: Raw 8-byte value of each cached number (``b""`` for compressed ones).
        self.raws: dict[Any, bytes] = dict.fromkeys(_CODES, b"")
        self.doubles = dict(_DOUBLES)

    def column_codes(self, values: Sequence[Any]) -> tuple[bytes, list[bytes] | None]:
        """Compression codes of a number column and, if any is raw (code 253), the raw value
        of each row (``b""`` where compressed)."""
        try:
            codes = b"".join(map(self.codes.__getitem__, values))
        except (KeyError, TypeError):
            codes = b"".join(map(self._code, values))
        if _RAW_CODE_BYTE not in codes:
            return codes, None
        try:
            return codes, list(map(self.raws.__getitem__, values))
        except (KeyError, TypeError):
            return codes, [self._raw(value) for value in values]

    def column_doubles(self, values: Sequence[Any]) -> list[bytes]:
        try:
            return list(map(self.doubles.__getitem__, values))
        except (KeyError, TypeError):
            return list(map(self._double, values))

    def _code(self, value: Any) -> bytes:
        code = self.codes.get(value) if _hashable(value) else None
        if code is not None:
            return code
        number = _number(value)
        if number is None:
            return _CODES[None]
        if number.is_integer() and 1 - _BIAS <= number <= 251 - _BIAS:
            code = bytes((int(number) + _BIAS,))
        else:
            code = _RAW_CODE_BYTE
        if len(self.codes) < _CACHE_LIMIT and _hashable(value):
            self.codes[value] = code
        return code

    def _raw(self, value: Any) -> bytes:
        raw = self.raws.get(value) if _hashable(value) else None
        if raw is not None:
            return raw
        number = _number(value)
        if number is None or (number.is_integer() and 1 - _BIAS <= number <= 251 - _BIAS):
            raw = b""
        else:
            raw = _double.pack(number)
        if len(self.raws) < _CACHE_LIMIT and number is not None and _hashable(value):
            self.raws[value] = raw
        return raw

    def _double(self, value: Any) -> bytes:
        encoded = self.doubles.get(value) if _hashable(value) else None
        if encoded is not None:
            return encoded
        number = _number(value)
        if number is None:
            return _SYSMIS_BYTES
        encoded = _double.pack(number)
        if len(self.doubles) < _CACHE_LIMIT and _hashable(value):
            self.doubles[value] = encoded
        return encoded


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _offsets(variables: Sequence[_Variable]) -> list[int]:
    """Unit offset of each variable in the case."""
    offsets = []
    offset = 0
    for variable in variables:
        offsets.append(offset)
        offset += variable.units
    return offsets


def _chunks(spool: Any, chunk_rows: int) -> Iterable[list[tuple[Any, ...]]]:
    for batch in spool.batches():
        for start in range(0, len(batch), chunk_rows):
            yield batch[start : start + chunk_rows]


def _encode_compressed(
    chunk: Sequence[Sequence[Any]],
    variables: Sequence[_Variable],
    offsets: Sequence[int],
    case_units: int,
    numbers: _Numbers,
) -> tuple[Any, bytes]:
    """The chunk's compression codes (flat uint8 array, rows one after the other) and its raw
    8-byte values in stream order."""
    n_rows = len(chunk)
    codes = np.full((n_rows, case_units), _CODE_SPACES, dtype=np.uint8)
    raw_columns: list[list[bytes]] = []
    for variable, offset, values in zip(variables, offsets, zip(*chunk, strict=True), strict=True):
        if variable.width == 0:
            column_codes, raws = numbers.column_codes(values)
            if raws is not None:
                raw_columns.append(raws)
            codes[:, offset] = np.frombuffer(column_codes, dtype=np.uint8)
            continue

        cells = _string_cells(values, variable.width)
        lengths = np.fromiter(map(len, cells), dtype=np.int64, count=n_rows) >> 3
        total = int(lengths.sum())
        if total:
            raw_columns.append(cells)
            # Units 0 .. n-1 of each row's value are raw (code 253), the rest spaces (254).
            widest = int(lengths.max())
            view = codes[:, offset : offset + widest]
            view[np.arange(widest) < lengths[:, None]] = _CODE_RAW
        if total and _SP8 in b"\0".join(cells):
            _compress_spaces(cells, codes, offset)
    if not raw_columns:
        raws = b""
    elif len(raw_columns) == 1:
        raws = b"".join(raw_columns[0])
    else:
        raws = b"".join(chain.from_iterable(zip(*raw_columns, strict=True)))
    return codes.reshape(-1), raws


def _compress_spaces(cells: list[bytes], codes: Any, offset: int) -> None:
    """Rare: values with eight spaces in a row. Their aligned all-space units get code 254
    instead of 253 (and leave the raw values)."""
    for row, cell in enumerate(cells):
        if _SP8 not in cell:
            continue
        pieces = [cell[i : i + 8] for i in range(0, len(cell), 8)]
        for unit, piece in enumerate(pieces):
            if piece == _SP8:
                codes[row, offset + unit] = _CODE_SPACES
        cells[row] = b"".join(piece for piece in pieces if piece != _SP8)


def _interleave(codes: Any, raws: bytes) -> Any:
    """The compressed stream of whole 8-code blocks: each block of 8 codes followed by the raw
    8-byte values of its codes 253, in order. ``codes`` is a uint8 array whose length is a
    multiple of 8, ``raws`` holds exactly one 8-byte value per code 253."""
    n_raws = len(raws) >> 3
    if not n_raws:
        return codes
    blocks = codes.view(np.uint64)
    # Raw value k, of block b, goes right after block b and the k raw values before it.
    at = np.flatnonzero(codes == _CODE_RAW) >> 3
    at += np.arange(1, n_raws + 1)
    out = np.empty(len(blocks) + n_raws, dtype=np.uint64)
    out[at] = np.frombuffer(raws, dtype=np.uint64)
    is_block = np.ones(len(out), dtype=bool)
    is_block[at] = False
    out[is_block] = blocks
    return out


def _write_compressed(out: BinaryIO, variables: Sequence[_Variable], spool: Any) -> None:
    case_units = sum(variable.units for variable in variables)
    offsets = _offsets(variables)
    numbers = _Numbers()
    # Codes of an incomplete block at the end of a chunk wait for the next chunk.
    carry_codes = np.zeros(0, dtype=np.uint8)
    carry_raws = b""
    for chunk in _chunks(spool, max(1, _CHUNK_UNITS // case_units)):
        codes, raws = _encode_compressed(chunk, variables, offsets, case_units, numbers)
        if len(carry_codes):
            codes = np.concatenate((carry_codes, codes))
            raws = carry_raws + raws
        whole = len(codes) & ~7
        carry_codes = codes[whole:].copy()
        carried = int(np.count_nonzero(carry_codes == _CODE_RAW)) * 8
        carry_raws = raws[len(raws) - carried :] if carried else b""
        out.write(_interleave(codes[:whole], raws[: len(raws) - carried]))
    if len(carry_codes):
        # The last block, padded with code 0 (ignored by readers).
        out.write(carry_codes.tobytes().ljust(8, b"\0") + carry_raws)


def _write_uncompressed(out: BinaryIO, variables: Sequence[_Variable], spool: Any) -> None:
    case_bytes = sum(variable.units for variable in variables) * 8
    numbers = _Numbers()
    for chunk in _chunks(spool, max(1, _CHUNK_UNITS * 4 // case_bytes)):
        parts: list[Sequence[bytes]] = []
        for variable, values in zip(variables, zip(*chunk, strict=True), strict=True):
            if variable.width == 0:
                parts.append(numbers.column_doubles(values))
                continue
            size = variable.units * 8
            blank = b" " * size
            parts.append(
                [
                    cell.ljust(size, b" ") if cell else blank
                    for cell in _string_cells(values, variable.width)
                ]
            )
        out.write(b"".join(chain.from_iterable(zip(*parts, strict=True))))


__all__ = ["MAX_STRING_BYTES", "write_sav"]
