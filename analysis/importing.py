"""Importing answers from CSV or JSON Lines: an earlier survey tool's export, or typed-in paper
answers. Plain Python: parsing and validation here, storage through survey.operations.

A row has at least ``text`` (the free-text answer; may be empty) and any of these fields:

==================  =========================================================================
``id``              the row's id in the source (re-importing the same id does nothing)
``submitted_on``    date answered, ``YYYY-MM-DD`` (default: today); alias ``date``
``language``        ``sv`` or ``en`` (default ``sv``)
``mode``            ``web`` or ``paper`` (default: the command's ``--mode``)
``on_behalf``       a choice of the survey's question (value or wording, Swedish or English)
``age_group``       likewise; so are ``municipality`` and ``gender``
``services``        a list (JSON) or values separated by ``;`` or ``|`` (CSV)
``<statement id>``  a rating: a scale value, or ``no_opinion`` / the scale's "Ingen uppfattning"
                    wording; also as ``likert_<id>`` or ``q_<id>``, or in JSON Lines nested in
                    ``"likert": {"<id>": …}``
==================  =========================================================================

Every row is checked; every problem names the line and the field. Blank lines are skipped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from survey.definitions import SurveyDefinition
from survey.operations import NO_OPINION, ResponseDraft, SubmitOutcome, submit_response

IMPORT_NAMESPACE = uuid.UUID("6f1c2a52-93b8-4c55-9a53-3c3f1d0f7a11")
MODES = ("web", "paper")
LANGUAGES = ("sv", "en")
TEXT_FIELDS = ("text", "free_text")
DATE_FIELDS = ("submitted_on", "date")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NO_OPINION_WORDS = {NO_OPINION, "no opinion", "ingen uppfattning", "vet inte", "don't know", "-1"}


class ImportFileError(ValueError):
    """The file cannot be read at all (format, encoding)."""


@dataclass(frozen=True)
class Problem:
    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"rad {self.line}" + (f", fält {self.field}" if self.field else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ImportRow:
    """A valid row, ready to store."""

    line: int
    draft: ResponseDraft
    submitted_on: date
    submission_id: str


@dataclass
class ImportCheck:
    """The outcome of reading a whole file."""

    rows: int = 0
    valid: list[ImportRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def bad_lines(self) -> list[int]:
        return sorted({problem.line for problem in self.problems})


def _file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    raise ImportFileError(f"{path.name}: use a .csv or .jsonl file")


def read_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, record, problem) for every non-blank row of a CSV or JSON Lines file.

    CSV: UTF-8 (a byte-order mark is fine), comma, semicolon or tab separated, with a header.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(f"{path.name}: not UTF-8 ({error.reason})") from None
    except OSError as error:
        raise ImportFileError(f"{path.name}: cannot be read ({error.strerror})") from None
    if _file_format(path) == "jsonl":
        for number, line in enumerate(content.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, None, f"ogiltig JSON ({error.msg})"
                continue
            if not isinstance(record, dict):
                yield number, None, "raden är inte ett JSON-objekt"
                continue
            yield number, record, None
        return
    sample = content[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(content, newline=""), dialect)
    header: list[str] | None = None
    for row in reader:
        number = reader.line_num
        if header is None:
            header = [name.strip() for name in row]
            if not any(name in header for name in TEXT_FIELDS):
                raise ImportFileError(f"{path.name}: the header has no column 'text'")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield number, None, f"{len(row)} kolumner, rubrikraden har {len(header)}"
            continue
        yield number, dict(zip(header, row, strict=True)), None


def _choice(question: Any, value: Any) -> str | None:
    """The choice value for a value or wording (any case, Swedish or English)."""
    if not isinstance(value, str):
        raise ValueError("förväntade text")
    wanted = value.strip().casefold()
    if not wanted:
        return None
    for choice in question.choices:
        if wanted in (choice.value, choice.label.sv.casefold(), choice.label.en.casefold()):
            return choice.value
    allowed = ", ".join(choice.value for choice in question.choices)
    raise ValueError(f"okänt värde {value!r}; tillåtna: {allowed}")


def _services(question: Any, value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        parts = [part for part in re.split(r"[;|]", value) if part.strip()]
    elif isinstance(value, list):
        parts = value
    else:
        raise ValueError("förväntade en lista eller text med värden åtskilda av ;")
    chosen = sorted({_choice(question, part) for part in parts} - {None})  # type: ignore[arg-type]
    exclusive = set(question.exclusive) & set(chosen)
    if exclusive and len(chosen) > 1:
        raise ValueError(f"{', '.join(sorted(exclusive))} kan inte väljas tillsammans med annat")
    return tuple(chosen)  # type: ignore[arg-type]


def _rating(definition: SurveyDefinition, value: Any) -> tuple[bool, int | None]:
    """(answered, value); value None is "Ingen uppfattning"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return False, None
    if isinstance(value, bool):
        raise ValueError("förväntade ett värde på skalan")
    if isinstance(value, str):
        text = value.strip().casefold()
        if text in _NO_OPINION_WORDS or text in (
            definition.scale.no_opinion.sv.casefold(),
            definition.scale.no_opinion.en.casefold(),
        ):
            return True, None
        if not re.fullmatch(r"\d+", text):
            raise ValueError(f"okänt värde {value!r}")
        value = int(text)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and value == -1:
        return True, None
    if not isinstance(value, int) or value not in definition.scale.values:
        allowed = ", ".join(str(v) for v in definition.scale.values)
        raise ValueError(f"värdet {value!r} finns inte på skalan ({allowed} eller {NO_OPINION})")
    return True, value


def _clean_text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("förväntade text")
    text = _CONTROL.sub("", value.replace("\r\n", "\n")).strip()
    if len(text) > limit:
        raise ValueError(f"{len(text)} tecken; högst {limit}")
    return text or None


def _statement_keys(definition: SurveyDefinition) -> dict[str, str]:
    keys = {}
    for statement in definition.statements:
        for name in (statement.id, f"likert_{statement.id}", f"q_{statement.id}"):
            keys[name] = statement.id
    return keys


def check_record(
    definition: SurveyDefinition,
    line: int,
    record: dict[str, Any],
    *,
    default_mode: str,
    today: date,
    source_key: str,
) -> tuple[ImportRow | None, list[Problem]]:
    """Validate one record: a row ready to store, or every problem found in it."""
    problems: list[Problem] = []
    questions = definition.questions
    statements = _statement_keys(definition)
    values: dict[str, Any] = {}
    likert: dict[str, int | None] = {}

    def attempt(name: str, parse: Callable[[], Any]) -> Any:
        try:
            return parse()
        except ValueError as error:
            problems.append(Problem(line, name, str(error)))
            return None

    text_fields = [name for name in TEXT_FIELDS if name in record]
    if not text_fields:
        problems.append(Problem(line, "text", "fältet saknas"))
    for name, value in record.items():
        key = str(name).strip()
        if key in TEXT_FIELDS:
            limit = questions.free_text.max_chars
            values["free_text"] = attempt(key, lambda v=value, n=limit: _clean_text(v, n))
        elif key == "id":
            values["id"] = None if value in (None, "") else str(value).strip()
        elif key in DATE_FIELDS:
            values["submitted_on"] = attempt(key, lambda v=value: _date(v, today))
        elif key == "language":
            values["language"] = attempt(key, lambda v=value: _one_of(v, LANGUAGES))
        elif key == "mode":
            values["mode"] = attempt(key, lambda v=value: _one_of(v, MODES))
        elif key == "on_behalf":
            values["on_behalf"] = attempt(key, lambda v=value: _on_behalf(questions.on_behalf, v))
        elif key in ("age_group", "municipality", "gender"):
            question = getattr(questions, key)
            values[key] = attempt(key, lambda q=question, v=value: _choice(q, v))
        elif key == "services":
            values["services"] = attempt(key, lambda v=value: _services(questions.services, v))
        elif key == "likert" and isinstance(value, dict):
            for statement_key, rating in value.items():
                statement_id = statements.get(str(statement_key))
                if statement_id is None:
                    problems.append(Problem(line, f"likert.{statement_key}", "okänt påstående"))
                    continue
                answered = attempt(
                    f"likert.{statement_key}", lambda v=rating: _rating(definition, v)
                )
                if answered and answered[0]:
                    likert[statement_id] = answered[1]
        elif key in statements:
            answered = attempt(key, lambda v=value: _rating(definition, v))
            if answered and answered[0]:
                likert[statements[key]] = answered[1]
        else:
            problems.append(Problem(line, key, "okänt fält"))
    if problems:
        return None, problems
    draft = ResponseDraft(
        survey_id=definition.id,
        language=values.get("language") or "sv",
        mode=values.get("mode") or default_mode,
        likert=likert,
        free_text=values.get("free_text"),
        on_behalf_of_other=values.get("on_behalf"),
        age_group=values.get("age_group"),
        municipality=values.get("municipality"),
        gender=values.get("gender"),
        services=values.get("services") or (),
        statement_ids=tuple(statement.id for statement in definition.statements),
    )
    if draft.is_empty():
        return None, [Problem(line, None, "raden har inga svar")]
    source_id = values.get("id")
    name = (
        f"{definition.id}:id:{source_id}" if source_id else f"{definition.id}:{source_key}:{line}"
    )
    return (
        ImportRow(
            line=line,
            draft=draft,
            submitted_on=values.get("submitted_on") or today,
            submission_id=str(uuid.uuid5(IMPORT_NAMESPACE, name)),
        ),
        [],
    )


def _date(value: Any, today: date) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError("förväntade ett datum ÅÅÅÅ-MM-DD")
    try:
        parsed = date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise ValueError(f"{value!r} är inte ett datum ÅÅÅÅ-MM-DD") from None
    if parsed > today:
        raise ValueError("datumet ligger i framtiden")
    return parsed


def _one_of(value: Any, allowed: tuple[str, ...]) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise ValueError(f"okänt värde {value!r}; tillåtna: {', '.join(allowed)}")
    return value.strip().lower()


def _on_behalf(question: Any, value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    chosen = _choice(question, value)
    return None if chosen is None else chosen == "nagon-annan"


def check_file(
    path: Path,
    definition: SurveyDefinition,
    *,
    default_mode: str = "paper",
    today: date | None = None,
) -> ImportCheck:
    """Read and validate every row of ``path`` (CSV or JSON Lines)."""
    path = Path(path)
    if default_mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    today = today or datetime.now(UTC).date()
    _file_format(path)
    try:
        source_key = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError as error:
        raise ImportFileError(f"{path.name}: cannot be read ({error.strerror})") from None
    check = ImportCheck()
    seen_ids: dict[str, int] = {}
    for line, record, problem in read_records(path):
        check.rows += 1
        if record is None:
            check.problems.append(Problem(line, None, problem or "oläsbar rad"))
            continue
        row, problems = check_record(
            definition,
            line,
            record,
            default_mode=default_mode,
            today=today,
            source_key=source_key,
        )
        if row is not None:
            earlier = seen_ids.get(row.submission_id)
            if earlier is not None:
                check.problems.append(Problem(line, "id", f"samma id som rad {earlier}"))
                continue
            seen_ids[row.submission_id] = line
            check.valid.append(row)
        check.problems.extend(problems)
    return check


@dataclass
class ImportOutcome:
    stored: int = 0
    duplicates: int = 0
    conflicts: list[int] = field(default_factory=list)


def store_rows(
    *,
    session: Session,
    rows: list[ImportRow],
    after_store: Any = None,
) -> ImportOutcome:
    """Store valid rows like submitted answers (``after_store`` redacts and classifies them).

    A row already imported (same id, or same file and line) is a duplicate and left alone.
    The caller owns the transaction.
    """
    outcome = ImportOutcome()
    for row in rows:
        result = submit_response(
            session=session,
            draft=row.draft,
            submission_id=row.submission_id,
            today=row.submitted_on,
            after_store=after_store,
        )
        if result is SubmitOutcome.STORED:
            outcome.stored += 1
        elif result is SubmitOutcome.DUPLICATE:
            outcome.duplicates += 1
        else:
            outcome.conflicts.append(row.line)
    return outcome
