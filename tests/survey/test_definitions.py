"""Survey files: validated on load, errors that name the field, new survey without code."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from survey.definitions import DefinitionError, load_definition, load_directory
from tests.conftest import SURVEYS


def test_bundled_surveys_load():
    definitions = load_directory(SURVEYS)

    assert set(definitions) == {"jonkoping-2030", "jamtland-2023"}
    jonkoping, jamtland = definitions["jonkoping-2030"], definitions["jamtland-2023"]
    assert [s.strategy for s in jonkoping.statements] == [
        "framja_halsa",
        "samverkan_kontinuitet",
        "forandrade_arbetssatt",
        "starkta_forutsattningar",
    ]
    assert len(jamtland.statements) == 5
    assert jonkoping.scale.values == [1, 2, 3, 4, 5]
    assert jamtland.scale.values == [1, 2, 3, 4, 5, 6]
    assert len(jonkoping.questions.municipality.choices) == 13 + 1  # + "Annan kommun"
    assert len(jamtland.questions.municipality.choices) == 8 + 1
    assert [c.value for c in jamtland.questions.age_group.choices][0] == "under-16"
    assert [c.value for c in jamtland.questions.age_group.choices][-1] == "90-plus"


def _write(tmp_path: Path, text: str, name: str = "jonkoping-2030.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_translation_names_the_field(tmp_path):
    source = (SURVEYS / "jonkoping-2030.toml").read_text(encoding="utf-8")
    broken = source.replace(
        'text = { sv = "Vilken kommun bor du i?", en = "Which municipality do you live in?" }',
        'text = { sv = "Vilken kommun bor du i?" }',
    )

    with pytest.raises(DefinitionError) as error:
        load_definition(_write(tmp_path, broken))

    assert error.value.problems == ["questions.municipality.text.en: Field required"]


def test_invalid_toml_is_reported_without_a_traceback(tmp_path):
    with pytest.raises(DefinitionError) as error:
        load_definition(_write(tmp_path, "id = \n"))

    assert "not valid TOML" in error.value.problems[0]


def test_id_must_match_the_file_name(tmp_path):
    source = (SURVEYS / "jonkoping-2030.toml").read_text(encoding="utf-8")

    with pytest.raises(DefinitionError) as error:
        load_definition(_write(tmp_path, source, name="other.toml"))

    assert error.value.problems == ["id: 'jonkoping-2030' must match the file name"]


def test_scale_steps_must_ascend(tmp_path):
    data = tomllib.loads((SURVEYS / "jamtland-2023.toml").read_text(encoding="utf-8"))
    data["scale"]["steps"].reverse()
    from survey.definitions import parse_definition

    with pytest.raises(DefinitionError) as error:
        parse_definition(data, "test")

    assert error.value.problems[0].startswith("scale.steps: Value error, steps must have")


def test_a_new_region_is_a_new_file(tmp_path, app, runner_env):
    """Adding a survey needs no code: copy a file, change the id, load it, answer it."""
    source = (SURVEYS / "jamtland-2023.toml").read_text(encoding="utf-8")
    shutil.copy(SURVEYS / "jonkoping-2030.toml", tmp_path)
    _write(
        tmp_path,
        source.replace('id = "jamtland-2023"', 'id = "test-region-2027"'),
        name="test-region-2027.toml",
    )

    result = app.test_cli_runner().invoke(args=["load-surveys", str(tmp_path)], env=runner_env)

    assert result.exit_code == 0, result.output
    assert "test-region-2027" in result.output
    assert app.test_client().get("/test-region-2027/svar").status_code == 200


def test_load_surveys_reports_every_bad_field_and_stores_nothing(tmp_path, app, runner_env):
    source = (SURVEYS / "jamtland-2023.toml").read_text(encoding="utf-8")
    _write(
        tmp_path,
        source.replace('id = "jamtland-2023"', 'id = "ny-2027"').replace(
            "retention_days = 1095", "retention_days = 5"
        ),
        name="ny-2027.toml",
    )

    result = app.test_cli_runner().invoke(args=["load-surveys", str(tmp_path)], env=runner_env)

    assert result.exit_code == 1
    assert "ny-2027.toml: retention_days: Input should be greater than or equal to 30" in (
        result.output
    )
    assert "Traceback" not in result.output
    assert app.test_client().get("/ny-2027/svar").status_code == 404
