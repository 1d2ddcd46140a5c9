"""The streaming SPSS writer, read back with pyreadstat and pandas.read_spss."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat
import pytest

from analysis.statfiles import Column
from analysis.statfiles import sav as sav_module
from analysis.statfiles import spool as spool_module
from analysis.statfiles.sav import write_sav

UNICODE = ["åäö ÅÄÖ", "emoji 😀🎉👍🏽", "مرحبا بالعالم", "日本語のテキスト", "Ünïcödé ß € ñ"]


def read(path: Path, **kwargs: Any) -> tuple[pd.DataFrame, Any]:
    return pyreadstat.read_sav(str(path), **kwargs)


def expected_string(value: str | None) -> str:
    # SPSS strings are space-padded: readers drop trailing spaces; None is written as "".
    return (value or "").rstrip(" ")


def assert_column(frame: pd.DataFrame, name: str, values: list[Any], kind: str) -> None:
    got = frame[name].tolist()
    assert len(got) == len(values)
    for row, (value, cell) in enumerate(zip(values, got, strict=True)):
        if kind == "string":
            assert cell == expected_string(value), (name, row)
        elif value is None or (isinstance(value, float) and math.isnan(value)):
            assert cell is None or math.isnan(cell), (name, row, cell)
        else:
            assert cell == pytest.approx(float(value), rel=0, abs=0), (name, row, cell)


def assert_round_trip(path: Path, columns: list[Column], rows: list[tuple[Any, ...]]) -> None:
    frame, meta = read(path, user_missing=True)
    assert meta.number_rows == len(rows)
    assert list(frame.columns) == [column.name for column in columns]
    for index, column in enumerate(columns):
        assert_column(frame, column.name, [row[index] for row in rows], column.kind)


@pytest.fixture(params=[True, False], ids=["compressed", "uncompressed"])
def compress(request: pytest.FixtureRequest) -> bool:
    return request.param


def test_numbers_and_system_missing_round_trip(tmp_path: Path, compress: bool) -> None:
    values = [0, 1, -1, -99, 151, -100, 152, 1000, -2**31, 2**40, 3.25, -0.5, 1e300, -1e-300,
              None, float("nan"), True, False, 7.0, 0.1]  # fmt: skip
    columns = [Column("n"), Column("d", decimals=2, measure="scale"), Column("empty")]
    rows = [(value, value, None) for value in values]
    path = tmp_path / "numbers.sav"

    assert write_sav(path, columns, rows, compress=compress) == len(rows)

    assert_round_trip(path, columns, rows)
    _, meta = read(path)
    assert meta.original_variable_types == {"n": "F8.0", "d": "F8.2", "empty": "F8.0"}
    frame = pd.read_spss(path)
    assert frame["n"].isna().sum() == 2
    assert frame["d"].tolist()[10] == 3.25


def test_strings_unicode_empty_and_none(tmp_path: Path, compress: bool) -> None:
    columns = [
        Column("text", kind="string"),
        Column("all_empty", kind="string"),
        Column("n"),
        Column("short", kind="string"),
    ]
    texts = [*UNICODE, "", None, "x", "a" * 8, "with  two   spaces", "ends with spaces   "]
    texts += ["        eight leading spaces", "sixteen        " + " " * 9 + "spaces", " " * 20]
    rows = [(text, "" if i % 2 else None, i, UNICODE[i % 5][:3]) for i, text in enumerate(texts)]
    path = tmp_path / "strings.sav"

    write_sav(path, columns, rows, compress=compress)

    assert_round_trip(path, columns, rows)
    _, meta = read(path)
    widest = max(len((text or "").encode()) for text in texts)
    assert meta.original_variable_types["text"] == f"A{widest}"
    assert meta.original_variable_types["all_empty"] == "A1"
    assert pd.read_spss(path)["text"].tolist()[:5] == UNICODE


def test_very_long_strings(tmp_path: Path, compress: bool) -> None:
    ascii_20k = ("Ett långt svar. " * 2000)[:20000]
    multibyte = "å" * 10_000  # 20,000 bytes
    # A 4-byte character across the 255-byte boundary of the first segment, and at the end.
    across = "a" * 253 + "😀" + "b" * 300 + "🎉"
    texts = [ascii_20k, multibyte, across, "", None, "short", "x" * 256, "y" * 255, "z" * 510]
    columns = [Column("text", "Fritext", kind="string"), Column("after", decimals=1)]
    rows = [(text, i + 0.5) for i, text in enumerate(texts)]
    path = tmp_path / "long.sav"

    write_sav(path, columns, rows, compress=compress)

    assert_round_trip(path, columns, rows)
    frame, meta = read(path)
    assert meta.original_variable_types["text"] == f"A{len(ascii_20k.encode())}"
    assert len(frame["text"][1].encode()) == 20_000
    assert meta.column_names_to_labels["text"] == "Fritext"
    assert pd.read_spss(path)["text"].tolist()[0] == ascii_20k.rstrip()


def test_strings_longer_than_spss_allows_are_cut_at_a_character(tmp_path: Path) -> None:
    text = "a" + "ö" * 20_000  # 40,001 bytes: "ö" is two bytes
    path = tmp_path / "cut.sav"

    write_sav(path, [Column("t", kind="string")], [(text,), ("ok",)])

    frame, meta = read(path)
    assert meta.original_variable_types["t"] == "A32767"
    assert frame["t"][0] == "a" + "ö" * 16_383  # 32,767 bytes, no half character
    assert frame["t"][1] == "ok"


def test_labels_missing_values_and_measures(tmp_path: Path, compress: bool) -> None:
    scale = {1: "Mycket dåligt", 5: "Mycket bra", -1: "Ingen uppfattning", -2: "Undertryckt"}
    long_label = "Värde " + "ä" * 200  # over 120 bytes: cut at a character
    columns = [
        Column("id", "Svarets id 😀", kind="string"),
        Column("q1", "Fråga 1: trafiken", value_labels=scale, missing_values=(-1, -2),
               measure="ordinal"),
        Column("q2", "Fråga 2", value_labels=scale, missing_values=(-1, -2), measure="ordinal"),
        Column("flag", "مرحبا", value_labels={0: "Nej", 1: "Ja", 2.5: long_label}),
        Column("amount", "Belopp " + "ö" * 300, measure="scale", missing_values=(999,)),
    ]  # fmt: skip
    rows = [("a", 1, 5, 0, 10.5), ("b", -1, -2, 1, 999), ("c", None, 3, 2.5, None)]
    path = tmp_path / "labels.sav"

    write_sav(path, columns, rows, compress=compress)

    frame, meta = read(path, user_missing=True)
    assert frame["q1"].tolist()[:2] == [1, -1]
    assert frame["amount"].tolist()[1] == 999
    assert meta.missing_ranges == {
        "q1": [{"lo": -1.0, "hi": -1.0}, {"lo": -2.0, "hi": -2.0}],
        "q2": [{"lo": -1.0, "hi": -1.0}, {"lo": -2.0, "hi": -2.0}],
        "amount": [{"lo": 999.0, "hi": 999.0}],
    }
    assert meta.variable_measure == {
        "id": "nominal", "q1": "ordinal", "q2": "ordinal", "flag": "nominal", "amount": "scale"
    }  # fmt: skip
    assert meta.variable_alignment["id"] == "left"
    assert meta.variable_alignment["q1"] == "right"
    labels = meta.column_names_to_labels
    assert labels["id"] == "Svarets id 😀"
    assert labels["q1"] == "Fråga 1: trafiken"
    assert labels["flag"] == "مرحبا"
    assert labels["amount"] == "Belopp " + "ö" * 124  # 255 bytes: no half character
    value_labels = meta.variable_value_labels
    assert value_labels["q1"] == {float(k): v for k, v in scale.items()}
    assert value_labels["q2"] == value_labels["q1"]
    assert value_labels["flag"][0.0] == "Nej"
    assert value_labels["flag"][2.5] == long_label.encode()[:120].decode("utf-8", "ignore")
    assert len(value_labels["flag"][2.5].encode()) <= 120

    # Without user_missing, user-missing values read as missing.
    plain, _ = read(path)
    assert plain["q1"].isna().tolist() == [False, True, True]
    assert plain["q2"].isna().tolist() == [False, True, False]
    assert plain["amount"].isna().tolist() == [False, True, True]
    # pandas applies the value labels.
    assert pd.read_spss(path)["q1"].tolist()[0] == "Mycket dåligt"


def test_note_and_file_label(tmp_path: Path) -> None:
    note = "Anonymiserad export, k = 5, uppnått k = 7\n" + "Långa rader bryts. " * 10
    path = tmp_path / "note.sav"

    write_sav(path, [Column("n")], [(1,)], file_label="Viktigt jönköping-2030", note=note)

    _, meta = read(path)
    assert meta.file_label == "Viktigt jönköping-2030"
    assert meta.notes[0] == "Anonymiserad export, k = 5, uppnått k = 7"
    assert all(len(line.encode()) <= 80 for line in meta.notes)
    assert " ".join(meta.notes[1:]) == ("Långa rader bryts. " * 10).strip()


def test_no_note_no_document_record(tmp_path: Path) -> None:
    path = tmp_path / "plain.sav"
    write_sav(path, [Column("n")], [(1,)])
    _, meta = read(path)
    assert meta.notes == []


def test_zero_rows(tmp_path: Path, compress: bool) -> None:
    columns = [Column("n", "Ett tal", value_labels={1: "Ja"}), Column("s", kind="string")]
    path = tmp_path / "empty.sav"

    assert write_sav(path, columns, [], compress=compress) == 0

    frame, meta = read(path)
    assert meta.number_rows == 0
    assert list(frame.columns) == ["n", "s"]
    assert len(frame) == 0
    assert meta.variable_value_labels == {"n": {1.0: "Ja"}}
    assert len(pd.read_spss(path)) == 0


def random_rows(n: int, seed: int) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)
    numbers = [1, 2, 3, -1, None, 0.25, 152, -100, 1e9, 5, float("nan")]
    texts = ["", None, "kort", "åäö " * 5, "😀" * 70, "  spaces        inside  ", "x" * 600]
    return [
        (
            f"id{i}",
            rng.choice(numbers),
            rng.choice(texts) if rng.random() < 0.9 else "".join(rng.choices("ab ö", k=300)),
            rng.choice(numbers),
            rng.randint(-99, 151),
        )
        for i in range(n)
    ]


RANDOM_COLUMNS = [
    Column("id", kind="string"),
    Column("a"),
    Column("text", kind="string"),
    Column("b", decimals=2),
    Column("c"),
]


def test_many_spool_batches_and_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compress: bool
) -> None:
    rows = random_rows(500, seed=3)
    monkeypatch.setattr(spool_module, "SPOOL_BATCH_ROWS", 7)
    # Small chunks: compression blocks of 8 codes span chunk and batch boundaries.
    monkeypatch.setattr(sav_module, "_CHUNK_UNITS", 200)
    path = tmp_path / "batches.sav"

    assert write_sav(path, RANDOM_COLUMNS, iter(rows), compress=compress) == 500

    assert_round_trip(path, RANDOM_COLUMNS, rows)


def test_compressed_and_uncompressed_hold_the_same_data(tmp_path: Path) -> None:
    rows = random_rows(300, seed=5)
    write_sav(tmp_path / "c.sav", RANDOM_COLUMNS, rows)
    write_sav(tmp_path / "u.sav", RANDOM_COLUMNS, rows, compress=False)

    compressed, _ = read(tmp_path / "c.sav")
    uncompressed, _ = read(tmp_path / "u.sav")
    pd.testing.assert_frame_equal(compressed, uncompressed)
    assert (tmp_path / "c.sav").stat().st_size < (tmp_path / "u.sav").stat().st_size


def test_long_column_names_get_unique_short_names(tmp_path: Path) -> None:
    names = [f"question_number_{i:02d}_about_things"[:32] for i in range(40)]
    names += ["a" * 32, "text", "text1", "text2", "by_area", "x"]
    assert max(map(len, names)) == 32
    columns = [Column(name, kind="string" if name == "text" else "number") for name in names]
    rows = [tuple("t" * 600 if name == "text" else i for i, name in enumerate(names))]
    path = tmp_path / "names.sav"

    write_sav(path, columns, rows)

    frame, meta = read(path)
    assert list(frame.columns) == names
    assert frame.iloc[0].tolist() == ["t" * 600 if n == "text" else i for i, n in enumerate(names)]
    assert meta.variable_display_width["text"] == 32
    assert list(pd.read_spss(path).columns) == names


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ([], "at least one column"),
        ([Column("_x")], "not a valid SPSS variable name"),
        ([Column("1x")], "not a valid SPSS variable name"),
        ([Column("with")], "reserved"),
        ([Column("a"), Column("A")], "duplicate"),
        ([Column("a", missing_values=(1, 2, 3, 4))], "at most three"),
        ([Column("a", value_labels={"a": "Ingen uppfattning"})], "not a number"),
        ([Column("s", kind="string", value_labels={1: "x"})], "only"),
    ],
)
def test_invalid_columns(tmp_path: Path, columns: list[Column], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write_sav(tmp_path / "bad.sav", columns, [])
    assert not (tmp_path / "bad.sav").exists()


def test_letter_in_a_number_column_fails_and_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.sav"
    with pytest.raises(ValueError, match="extended missing"):
        write_sav(path, [Column("n")], [(1,), ("a",)])
    assert not path.exists()
