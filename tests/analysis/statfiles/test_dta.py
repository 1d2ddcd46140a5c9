"""The streaming Stata writer, read back with pyreadstat and pandas (and, for what the readers
do not show, such as storage types and missing-value codes, the bytes of the file)."""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from analysis.statfiles import Column, dta, spool
from analysis.statfiles.dta import write_dta

BYTE, INT, LONG, DOUBLE, STRL = 65530, 65529, 65528, 65526, 32768
TAGS = (
    "map variable_types varnames sortlist formats value_label_names variable_labels "
    "characteristics data strls value_labels"
).split()

ANSWER = Column(
    "answer",
    "Hur nöjd är du?",
    value_labels={1: "Ja", 2: "Nej", "a": "Ingen uppfattning", "s": "Undertryckt"},
)


def plain(values: Any) -> list[Any]:
    """Cells as comparable Python values: NaN -> None, numpy numbers -> int/float."""
    out: list[Any] = []
    for value in values:
        if isinstance(value, float | np.floating) and math.isnan(value):
            out.append(None)
        elif isinstance(value, np.generic):
            out.append(value.item())
        else:
            out.append(value)
    return out


def file_map(path: Path) -> list[int]:
    data = path.read_bytes()
    return list(struct.unpack_from("<14Q", data, data.index(b"<map>") + len(b"<map>")))


def storage_types(path: Path) -> list[int]:
    data = path.read_bytes()
    k = struct.unpack_from("<H", data, data.index(b"<K>") + 3)[0]
    return list(struct.unpack_from(f"<{k}H", data, file_map(path)[2] + len(b"<variable_types>")))


def data_section(path: Path) -> bytes:
    offsets = file_map(path)
    return path.read_bytes()[offsets[9] + len(b"<data>") : offsets[10] - len(b"</data>")]


def test_numbers_missing_values_and_value_labels_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "numbers.dta"
    columns = [
        ANSWER,
        Column("count", "Antal"),
        Column("share", "Andel", decimals=2),
    ]
    # pyreadstat 1.3.7 (user_missing=True) returns garbage for a system missing that comes
    # after an extended missing in an integer column (it turns the column into objects from an
    # uninitialised buffer), so the first missing of "answer" is a system missing; pandas and
    # the bytes check the other order below.
    rows = [
        (None, 1000, 1.5),
        (1, -32767, None),
        ("a", None, "z"),
        (2, 5, 2.25),
        ("s", 0, -0.5),
    ]
    assert write_dta(path, columns, rows) == 5

    frame, meta = pyreadstat.read_dta(path, user_missing=True)
    assert plain(frame["answer"]) == [None, 1, "a", 2, "s"]
    assert plain(frame["count"]) == [1000, -32767, None, 5, 0]
    assert plain(frame["share"]) == [1.5, None, "z", 2.25, -0.5]
    assert meta.missing_user_values == {"answer": ["a", "s"], "share": ["z"]}
    assert meta.variable_value_labels == {
        "answer": {1: "Ja", 2: "Nej", "a": "Ingen uppfattning", "s": "Undertryckt"}
    }
    assert meta.variable_to_label == {"answer": "answer"}
    assert meta.original_variable_types == {
        "answer": "%8.0g",
        "count": "%8.0g",
        "share": "%10.2g",
    }

    frame, _meta = pyreadstat.read_dta(path)
    assert plain(frame["answer"]) == [None, 1, None, 2, None]
    assert plain(frame["share"]) == [1.5, None, None, 2.25, -0.5]

    frame = pd.read_stata(path, convert_categoricals=False)
    assert plain(frame["answer"]) == [None, 1, None, 2, None]
    assert plain(frame["count"]) == [1000, -32767, None, 5, 0]
    frame = pd.read_stata(path, convert_missing=True, convert_categoricals=False)
    assert [getattr(v, "string", v) for v in frame["answer"]] == [".", 1, ".a", 2, ".s"]
    assert [getattr(v, "string", v) for v in frame["share"]] == [1.5, ".", ".z", 2.25, -0.5]
    frame = pd.read_stata(path)  # value labels as categories
    assert plain(frame["answer"]) == [None, "Ja", None, "Nej", None]

    with pd.io.stata.StataReader(path) as reader:
        reader.read()
        labels = reader.value_labels()["answer"]
    # Value-label tables hold .a as the int32 2147483622, .s as 2147483640.
    assert {int(k): v for k, v in labels.items()} == {
        1: "Ja",
        2: "Nej",
        2_147_483_622: "Ingen uppfattning",
        2_147_483_640: "Undertryckt",
    }


@pytest.mark.parametrize(
    ("values", "type_code", "missing"),
    [
        ([None, "a", "s", "z", 100, -127], BYTE, [101, 102, 120, 127]),
        ([None, "a", "s", "z", 32740, -32767], INT, [32741, 32742, 32760, 32767]),
        (
            [None, "a", "s", "z", 2**31 - 28, -(2**31) + 1],
            LONG,
            [2**31 - 27, 2**31 - 26, 2**31 - 8, 2**31 - 1],
        ),
        ([None, "a", "s", "z", 0.5, -1e300], DOUBLE, None),
    ],
)
def test_missing_codes_in_the_file(
    tmp_path: Path, values: list[Any], type_code: int, missing: list[int] | None
) -> None:
    path = tmp_path / "codes.dta"
    write_dta(path, [Column("v")], [(value,) for value in values])
    assert storage_types(path) == [type_code]
    data = data_section(path)
    if type_code == DOUBLE:
        bits = struct.unpack("<6Q", data)
        assert bits[:4] == (
            0x7FE0000000000000,
            0x7FE0010000000000,
            0x7FE0130000000000,
            0x7FE01A0000000000,
        )
        assert struct.unpack("<2d", data[32:]) == (0.5, -1e300)
    else:
        size = {BYTE: "b", INT: "h", LONG: "i"}[type_code]
        stored = struct.unpack(f"<6{size}", data)
        assert list(stored[:4]) == missing
        assert list(stored[4:]) == values[4:]
    frame, meta = pyreadstat.read_dta(path, user_missing=True)
    assert plain(frame["v"])[1:] == values[1:]
    assert plain(pyreadstat.read_dta(path)[0]["v"]) == [None, None, None, None, *values[4:]]


def test_storage_type_follows_values_and_value_label_keys(tmp_path: Path) -> None:
    path = tmp_path / "types.dta"
    columns = [
        Column("byte_edge"),
        Column("int_high"),
        Column("int_low"),
        Column("long_high"),
        Column("long_low"),
        Column("double_big"),
        Column("double_frac"),
        Column("int_by_label", value_labels={1: "ett", 1000: "tusen"}),
        Column("all_missing"),
        Column("letters_only", value_labels={"a": "Ingen uppfattning"}),
        Column("integral_floats"),
    ]
    rows = [
        (-127, 101, -128, 32741, -32768, 2**31, 0.25, 1, None, "a", 3.0),
        (100, 0, 0, 0, 0, 0, 1, 2, None, "a", -4.0),
    ]
    write_dta(path, columns, rows)
    assert storage_types(path) == [
        BYTE,
        INT,
        INT,
        LONG,
        LONG,
        DOUBLE,
        DOUBLE,
        INT,
        BYTE,
        BYTE,
        BYTE,
    ]
    frame, meta = pyreadstat.read_dta(path, user_missing=True)
    for index, column in enumerate(columns):
        expected = [row[index] for row in rows]
        assert plain(frame[column.name]) == expected, column.name
    assert meta.variable_value_labels["int_by_label"] == {1: "ett", 1000: "tusen"}
    assert meta.variable_value_labels["letters_only"] == {"a": "Ingen uppfattning"}


def test_booleans_and_large_integers(tmp_path: Path) -> None:
    # The spool (marshal) takes int, float, bool, str and None: no Decimal or numpy numbers.
    path = tmp_path / "kinds.dta"
    rows = [(True, 2**40, 2**53), (False, -(2**40), None)]
    write_dta(path, [Column("b"), Column("big"), Column("bigger")], rows)
    assert storage_types(path) == [BYTE, DOUBLE, DOUBLE]
    frame = pd.read_stata(path)
    assert plain(frame["b"]) == [1, 0]
    assert plain(frame["big"]) == [2**40, -(2**40)]
    assert plain(frame["bigger"]) == [2**53, None]


def test_strings_unicode_empty_and_strl(tmp_path: Path) -> None:
    path = tmp_path / "strings.dta"
    long_text = "ä" * 9_998 + "😀"  # 20,000 bytes
    assert len(long_text.encode("utf-8")) == 20_000
    columns = [
        Column("short", "Kort text", kind="string"),
        Column("empty", "Alltid tom", kind="string"),
        Column("text", "Fritext", kind="string"),
        Column("code", value_labels={1: "å ä ö"}),
    ]
    rows = [
        ("å ä ö", "", "Vården var bra, tack! 👍", 1),
        ("emoji 😀🎉", None, long_text, 1),
        ("مرحبا بالعالم", "", "", None),
        ("", None, None, 1),
        (None, "", "مرحبا — ÅÄÖ", 1),
    ]
    write_dta(path, columns, rows)
    widest = max(len(row[0].encode("utf-8")) for row in rows if row[0])
    assert storage_types(path) == [widest, 1, STRL, BYTE]

    expected_short = ["å ä ö", "emoji 😀🎉", "مرحبا بالعالم", "", ""]
    expected_text = ["Vården var bra, tack! 👍", long_text, "", "", "مرحبا — ÅÄÖ"]
    for user_missing in (True, False):
        frame, meta = pyreadstat.read_dta(path, user_missing=user_missing)
        assert list(frame["short"]) == expected_short
        assert list(frame["empty"]) == [""] * 5
        assert list(frame["text"]) == expected_text
    assert meta.variable_value_labels == {"code": {1: "å ä ö"}}
    assert meta.original_variable_types["text"] == "%9s"
    assert meta.original_variable_types["short"] == f"%{widest}s"

    frame = pd.read_stata(path, convert_categoricals=False)
    assert list(frame["short"]) == expected_short
    assert list(frame["empty"]) == [""] * 5
    assert list(frame["text"]) == expected_text
    assert plain(frame["code"]) == [1, 1, None, 1, 1]

    # Empty strLs refer to (v, o) = (0, 0) and have no GSO record: 3 records here.
    data = path.read_bytes()
    offsets = file_map(path)
    assert data[offsets[10] : offsets[11]].count(b"GSO") == 3


def test_string_exactly_2045_bytes_is_str_and_2046_is_strl(tmp_path: Path) -> None:
    path = tmp_path / "edge.dta"
    rows = [("x" * 2045, "y" * 2046), ("a", "b")]
    write_dta(path, [Column("s", kind="string"), Column("l", kind="string")], rows)
    assert storage_types(path) == [2045, STRL]
    frame, _meta = pyreadstat.read_dta(path)
    assert list(frame["s"]) == ["x" * 2045, "a"]
    assert list(frame["l"]) == ["y" * 2046, "b"]


def test_one_long_answer_among_short_ones_makes_the_column_strl(tmp_path: Path) -> None:
    # Padding 200 short answers to the one 1,500-byte answer would cost 300 kB; strL about 7.
    path = tmp_path / "mixed.dta"
    texts = [f"svar {i}" for i in range(200)] + ["å" * 750, ""]
    rows = [(text, f"2026-{i % 12 + 1:02d}") for i, text in enumerate(texts)]
    write_dta(path, [Column("text", kind="string"), Column("month", kind="string")], rows)
    assert storage_types(path) == [STRL, 7]
    assert path.stat().st_size < 20_000
    frame, _meta = pyreadstat.read_dta(path)
    assert list(frame["text"]) == texts


def test_labels_are_cut_at_80_characters(tmp_path: Path) -> None:
    path = tmp_path / "labels.dta"
    long_label = "Å" * 79 + "😀" + "överflöd"
    columns = [Column("q", long_label), Column("r", "Kort ✓"), Column("s", kind="string")]
    write_dta(path, columns, [(1, 2, "x")], file_label="Viktigt: " + "ö" * 100)
    _frame, meta = pyreadstat.read_dta(path)
    assert meta.column_labels[:2] == ["Å" * 79 + "😀", "Kort ✓"]
    assert meta.column_labels[2] in (None, "")
    assert meta.file_label == ("Viktigt: " + "ö" * 100)[:80]
    with pd.io.stata.StataReader(path) as reader:
        assert reader.data_label == ("Viktigt: " + "ö" * 100)[:80]
        assert reader.variable_labels() == {"q": "Å" * 79 + "😀", "r": "Kort ✓", "s": ""}


def test_zero_rows(tmp_path: Path) -> None:
    path = tmp_path / "empty.dta"
    columns = [ANSWER, Column("text", "Fritext", kind="string"), Column("x")]
    assert write_dta(path, columns, []) == 0
    assert storage_types(path) == [BYTE, 1, BYTE]
    frame, meta = pyreadstat.read_dta(path)
    assert list(frame.columns) == ["answer", "text", "x"]
    assert len(frame) == 0
    assert meta.number_rows == 0
    assert meta.variable_value_labels["answer"][1] == "Ja"
    assert len(pd.read_stata(path)) == 0


def test_many_spool_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spool, "SPOOL_BATCH_ROWS", 3)
    # Few distinct values per batch: the numpy path for "measure" is used from the start and
    # the per-value cache of "answer" gives up after the first batches.
    monkeypatch.setattr(dta, "_DISTINCT_LIMIT", 2)
    path = tmp_path / "batches.dta"
    columns = [
        Column("row", "Rad"),
        ANSWER,
        Column("measure", "Mätvärde"),
        Column("text", "Fritext", kind="string"),
        Column("note", "Anteckning", kind="string"),
        Column("extra", "Mer fritext", kind="string"),
    ]
    rows = []
    for i in range(11):
        answer = [None, 1, 2, "a", "s"][i % 5]
        measure = [i / 4, None, "b", -i * 1.5][i % 4]
        text = "" if i % 3 == 1 else f"rad {i} " + "ö" * (3000 if i == 8 else i)
        extra = None if i % 2 else f"extra {i}"
        rows.append((i, answer, measure, text, f"n{i}", extra if i != 9 else "z" * 2100))
    # A value only in the last batch still widens the storage type.
    rows.append((300, 1, 0.0, "sist", "", None))
    assert write_dta(path, columns, iter(rows)) == 12
    assert storage_types(path) == [INT, BYTE, DOUBLE, STRL, 3, STRL]

    frame, _meta = pyreadstat.read_dta(path, user_missing=True)
    assert plain(frame["row"]) == [row[0] for row in rows]
    assert plain(frame["measure"]) == [row[2] for row in rows]
    assert list(frame["text"]) == [row[3] for row in rows]
    assert list(frame["note"]) == [row[4] for row in rows]
    assert list(frame["extra"]) == [row[5] or "" for row in rows]
    frame = pd.read_stata(path, convert_missing=True, convert_categoricals=False)
    expected = [{None: ".", "a": ".a", "s": ".s"}.get(row[1], row[1]) for row in rows]
    assert [getattr(v, "string", v) for v in frame["answer"]] == expected
    assert list(frame["extra"]) == [row[5] or "" for row in rows]


def test_column_names_up_to_32_characters(tmp_path: Path) -> None:
    path = tmp_path / "names.dta"
    name = "q_" + "x" * 30
    assert len(name) == 32
    columns = [Column(name, "Lång", value_labels={1: "Ja"}), Column("_" + "a" * 31, kind="string")]
    write_dta(path, columns, [(1, "a")])
    frame, meta = pyreadstat.read_dta(path)
    assert list(frame.columns) == [name, "_" + "a" * 31]
    assert meta.variable_value_labels == {name: {1: "Ja"}}
    assert list(pd.read_stata(path).columns) == [name, "_" + "a" * 31]


def test_map_points_at_every_section(tmp_path: Path) -> None:
    path = tmp_path / "map.dta"
    write_dta(path, [ANSWER, Column("t", kind="string")], [(1, "x" * 3000), ("a", "")])
    data = path.read_bytes()
    offsets = file_map(path)
    assert offsets[0] == 0 and data.startswith(b"<stata_dta><header><release>118</release>")
    for tag, offset in zip(TAGS, offsets[1:12], strict=True):
        assert data[offset:].startswith(b"<" + tag.encode() + b">"), tag
    assert data[offsets[12] :] == b"</stata_dta>"
    assert offsets[13] == len(data)


@pytest.mark.parametrize("name", ["1abc", "a" * 33, "int", "str12", "_all", "with space", "ö", ""])
def test_invalid_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError):
        write_dta(tmp_path / "bad.dta", [Column(name)], [(1,)])
    assert not (tmp_path / "bad.dta").exists()


@pytest.mark.parametrize(
    ("columns", "rows"),
    [
        ([Column("a"), Column("a")], [(1, 2)]),
        ([Column("a", value_labels={1.5: "half"})], [(1,)]),
        ([Column("a", value_labels={"ab": "x"})], [(1,)]),
        ([Column("a", value_labels={float("inf"): "x"})], [(1,)]),
        ([Column("a", kind="string", value_labels={1: "x"})], [("1",)]),
        ([Column("a")], [("xy",)]),
        ([Column("a")], [("A",)]),
        ([Column("a")], [("1",)]),
        ([Column("a")], [(float("inf"),)]),
        ([Column("a")], [(10**400,)]),
        ([Column("a")], [([1],)]),
        ([Column("a"), Column("b")], [(1, 2), (1,)]),
        ([Column("a"), Column("b")], [(1, 2, 3)]),
        ([], [()]),
    ],
)
def test_what_stata_cannot_hold_is_refused(
    tmp_path: Path, columns: list[Column], rows: list[tuple[Any, ...]]
) -> None:
    path = tmp_path / "bad.dta"
    with pytest.raises(ValueError):
        write_dta(path, columns, rows)
    assert not path.exists()


def test_a_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(dta, "_write_data", broken)
    path = tmp_path / "partial.dta"
    with pytest.raises(OSError, match="disk full"):
        write_dta(path, [Column("a")], [(1,)])
    assert not path.exists()


def test_nan_is_system_missing(tmp_path: Path) -> None:
    path = tmp_path / "nan.dta"
    write_dta(path, [Column("a"), Column("b")], [(float("nan"), 0.5), (1, float("nan"))])
    assert storage_types(path) == [BYTE, DOUBLE]
    frame, meta = pyreadstat.read_dta(path, user_missing=True)
    assert plain(frame["a"]) == [None, 1]
    assert plain(frame["b"]) == [0.5, None]
    assert meta.missing_user_values == {}


def test_rows_may_be_one_reused_list(tmp_path: Path) -> None:
    def rows() -> Any:
        row: list[Any] = [0, ""]
        for i in range(5):
            row[0] = [1, 200, None, "a", 3][i]
            row[1] = f"rad {i}"
            yield row

    path = tmp_path / "reused.dta"
    assert write_dta(path, [Column("n"), Column("s", kind="string")], rows()) == 5
    assert storage_types(path) == [INT, 5]
    frame, _meta = pyreadstat.read_dta(path, user_missing=True)
    assert plain(frame["n"]) == [1, 200, None, "a", 3]
    assert list(frame["s"]) == [f"rad {i}" for i in range(5)]
