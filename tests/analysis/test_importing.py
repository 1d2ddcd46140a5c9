"""Import of answers from CSV and JSON Lines: every bad row and field named; storage."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from analysis.importing import ImportFileError, check_file, store_rows
from survey.db import create_db_engine, session_scope
from survey.definitions import load_directory
from survey.models import LikertAnswer, Response
from tests.conftest import SURVEYS

JONKOPING = load_directory(SURVEYS)["jonkoping-2030"]
TODAY = date(2026, 6, 1)


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    return path


def test_good_jsonl_rows_become_drafts(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "svar.jsonl",
        [
            {"text": "Kortare väntetider."},
            {
                "id": 17,
                "text": "Samma läkare varje gång.",
                "submitted_on": "2025-03-02",
                "age_group": "80–89 år",  # the wording works too
                "municipality": "Vetlanda",
                "gender": "kvinna",
                "services": ["hemtjanst", "Vårdcentral"],
                "on_behalf": "nagon-annan",
                "likert": {"framja_halsa": 4, "forandrade_arbetssatt": "Vet inte"},
                "mode": "web",
            },
            {"text": "", "likert_samverkan_kontinuitet": "2", "q_starkta_forutsattningar": None},
        ],
    )
    check = check_file(path, JONKOPING, today=TODAY)
    assert check.problems == [] and check.rows == 3
    first, second, third = check.valid
    assert first.draft.free_text == "Kortare väntetider." and first.draft.mode == "paper"
    assert first.submitted_on == TODAY
    draft = second.draft
    assert (draft.age_group, draft.municipality, draft.gender) == ("80-89", "vetlanda", "kvinna")
    assert draft.services == ("hemtjanst", "vardcentral") and draft.on_behalf_of_other is True
    assert draft.likert == {"framja_halsa": 4, "forandrade_arbetssatt": None}
    assert second.submitted_on == date(2025, 3, 2) and draft.mode == "web"
    assert third.draft.likert == {"samverkan_kontinuitet": 2} and third.draft.free_text is None


def test_every_bad_row_and_field_is_named(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "svar.jsonl",
        [
            {"text": "ok"},
            {"text": "x", "age_group": "85", "municipality": "Stockholm"},
            {"txt": "typo"},
            [1, 2],
            {"text": "y", "likert": {"framja_halsa": 9}, "submitted_on": "2030-01-01"},
            {"text": "z", "services": ["inget", "sjukhus"]},
            {"text": "a" * 5001},
            {"text": ""},
        ],
    )
    path.write_text(path.read_text("utf-8") + "{not json\n", "utf-8")
    check = check_file(path, JONKOPING, today=TODAY)
    named = {(p.line, p.field) for p in check.problems}
    assert named == {
        (2, "age_group"),
        (2, "municipality"),
        (3, "text"),
        (3, "txt"),
        (4, None),
        (5, "likert.framja_halsa"),
        (5, "submitted_on"),
        (6, "services"),
        (7, "text"),
        (8, None),
        (9, None),
    }
    assert check.bad_lines == [2, 3, 4, 5, 6, 7, 8, 9] and len(check.valid) == 1
    assert "rad 2, fält age_group" in str(check.problems[0])


def test_csv_with_semicolons_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "papper.csv"
    path.write_text(
        "\ufefftext;age_group;services;framja_halsa;gender\n"
        "Mer personal;70-79;hemtjanst|sjukhus;5;Man\n"
        ";;;ingen uppfattning;\n"
        "Fel;;;7;\n",
        encoding="utf-8",
    )
    check = check_file(path, JONKOPING, today=TODAY)
    assert [(p.line, p.field) for p in check.problems] == [(4, "framja_halsa")]
    first, second = check.valid
    assert first.draft.services == ("hemtjanst", "sjukhus") and first.draft.gender == "man"
    assert second.draft.likert == {"framja_halsa": None}


def test_a_file_without_text_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("svar,age_group\nhej,20-29\n", encoding="utf-8")
    with pytest.raises(ImportFileError):
        check_file(path, JONKOPING, today=TODAY)
    with pytest.raises(ImportFileError):
        check_file(tmp_path / "a.xlsx", JONKOPING)


def test_stored_once_even_when_imported_twice(database_url: str, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "svar.jsonl",
        [{"id": "a1", "text": "Hej", "framja_halsa": 3}, {"text": "Två", "gender": "annat"}],
    )
    engine = create_db_engine(database_url)
    try:
        for expected in (2, 0):
            check = check_file(path, JONKOPING, today=TODAY)
            with session_scope(engine) as session:
                outcome = store_rows(session=session, rows=check.valid)
            assert outcome.stored == expected and outcome.duplicates == 2 - expected
        with session_scope(engine) as session:
            stored = session.exec(select(Response).order_by(Response.id)).all()
            assert [r.free_text for r in stored] == ["Hej", "Två"]
            assert stored[0].likert_codes[0] == "3" and stored[0].submitted_on == TODAY
            assert len(session.exec(select(LikertAnswer)).all()) == 1
    finally:
        engine.dispose()
