"""Survey definitions: one TOML file per survey, validated on load.

A new region's survey is a new file in ``survey/surveys/`` (or the directory named by
``VIKTIGT_SURVEYS``); no code changes. Errors name the file and the field.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SLUG = r"^[a-z0-9][a-z0-9_\-]*$"
LANGUAGES = ("sv", "en")


class DefinitionError(ValueError):
    """A survey file is invalid; ``problems`` lists "field: message" lines."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(_Strict):
    """A text in every supported language."""

    sv: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.sv


class Choice(_Strict):
    value: str = Field(pattern=SLUG, max_length=32)
    label: Localized


class ScaleStep(_Strict):
    value: int = Field(ge=0, le=35)
    label: Localized


class LikertScale(_Strict):
    steps: tuple[ScaleStep, ...] = Field(min_length=2, max_length=11)
    no_opinion: Localized

    @field_validator("steps")
    @classmethod
    def _ascending(cls, steps: tuple[ScaleStep, ...]) -> tuple[ScaleStep, ...]:
        values = [step.value for step in steps]
        if values != sorted(set(values)):
            raise ValueError("steps must have distinct values in ascending order")
        return steps

    @property
    def values(self) -> list[int]:
        return [step.value for step in self.steps]


class Statement(_Strict):
    """An I-statement, rated on the survey's Likert scale; belongs to one strategy."""

    id: str = Field(pattern=SLUG, max_length=64)
    strategy: str = Field(pattern=SLUG)
    text: Localized


class ChoiceQuestion(_Strict):
    text: Localized
    hint: Localized | None = None
    choices: tuple[Choice, ...] = Field(min_length=1)

    @field_validator("choices")
    @classmethod
    def _unique(cls, choices: tuple[Choice, ...]) -> tuple[Choice, ...]:
        values = [choice.value for choice in choices]
        if len(values) != len(set(values)):
            raise ValueError("choice values must be unique")
        return choices

    def label_for(self, value: str, language: str) -> str:
        for choice in self.choices:
            if choice.value == value:
                return choice.label.get(language)
        return value


class MultiChoiceQuestion(ChoiceQuestion):
    """Several choices allowed; ``exclusive`` values (such as "inget") stand alone."""

    exclusive: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _exclusive_known(self) -> MultiChoiceQuestion:
        known = {choice.value for choice in self.choices}
        unknown = [value for value in self.exclusive if value not in known]
        if unknown:
            raise ValueError(f"exclusive values not among the choices: {', '.join(unknown)}")
        return self


class FreeTextQuestion(_Strict):
    text: Localized
    hint: Localized
    max_chars: int = Field(default=5000, ge=100, le=20000)


class Questions(_Strict):
    free_text: FreeTextQuestion
    on_behalf: ChoiceQuestion
    age_group: ChoiceQuestion
    municipality: ChoiceQuestion
    gender: ChoiceQuestion
    services: MultiChoiceQuestion


class SurveyDefinition(_Strict):
    id: str = Field(pattern=SLUG, max_length=64)
    version: int = Field(ge=1)
    framework: str = Field(pattern=SLUG)
    title: Localized
    organisation: Localized
    contact_email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    purpose: Localized
    data_use: Localized
    retention_days: int = Field(ge=30, le=3650)
    opens: date | None = None
    closes: date | None = None
    statement_intro: Localized
    scale: LikertScale
    statements: tuple[Statement, ...] = Field(min_length=1)
    questions: Questions

    @model_validator(mode="after")
    def _consistent(self) -> SurveyDefinition:
        ids = [statement.id for statement in self.statements]
        if len(ids) != len(set(ids)):
            raise ValueError("statement ids must be unique")
        if self.opens and self.closes and self.closes < self.opens:
            raise ValueError("closes must not be before opens")
        return self

    def is_open(self, today: date) -> bool:
        if self.opens and today < self.opens:
            return False
        return not (self.closes and today > self.closes)

    def statement(self, statement_id: str) -> Statement | None:
        return next((s for s in self.statements if s.id == statement_id), None)


def _describe(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"]) or "(file)"
        problems.append(f"{location}: {item['msg']}")
    return problems


def parse_definition(data: dict[str, Any], source: str) -> SurveyDefinition:
    """Validate a mapping as a survey definition; raise DefinitionError naming each field."""
    try:
        return SurveyDefinition.model_validate(data)
    except ValidationError as error:
        raise DefinitionError(source, _describe(error)) from None


def load_definition(path: Path) -> SurveyDefinition:
    """Read and validate one survey file; its name must be ``<id>.toml``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise DefinitionError(str(path), [f"(file): not valid TOML: {error}"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise DefinitionError(str(path), [f"(file): cannot be read: {error}"]) from None
    definition = parse_definition(data, str(path))
    if definition.id != path.stem:
        raise DefinitionError(str(path), [f"id: '{definition.id}' must match the file name"])
    return definition


def load_directory(directory: Path) -> dict[str, SurveyDefinition]:
    """All survey files in a directory, by id. Every invalid file is reported at once."""
    definitions: dict[str, SurveyDefinition] = {}
    problems: list[str] = []
    for path in sorted(Path(directory).glob("*.toml")):
        try:
            definition = load_definition(path)
        except DefinitionError as error:
            problems.extend(f"{path.name}: {problem}" for problem in error.problems)
            continue
        definitions[definition.id] = definition
    if problems:
        raise DefinitionError(str(directory), problems)
    return definitions


def is_slug(value: str) -> bool:
    return re.match(SLUG, value) is not None
