"""Fixtures: an app with an isolated, migrated database per test (SQLite or PostgreSQL)."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from survey import create_app
from survey.db import create_db_engine, session_scope
from survey.definitions import load_directory
from survey.migrate import upgrade
from survey.operations import upsert_survey

SURVEYS = Path(__file__).resolve().parent.parent / "survey" / "surveys"
TEST_SECRET = "test-secret-" + "x" * 32


def _prepare(url: str) -> None:
    """Migrate a fresh database and load the bundled surveys into it."""
    engine = create_db_engine(url)
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            for definition in load_directory(SURVEYS).values():
                upsert_survey(session=session, definition=definition)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _prepare(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_server() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        message = "TEST_DATABASE_URL is not set: run `make test`, which starts PostgreSQL"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> str:
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    name = f"viktigt_template_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    _prepare(make_url(postgres_server).set(database=name).render_as_string(hide_password=False))
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database with the bundled surveys, private to one test.

    Parametrize indirectly with ["sqlite", "postgresql"] (see ``BOTH_DATABASES``) for
    storage tests that must hold on both.
    """
    if request.param == "sqlite":
        path = tmp_path / "viktigt.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    name = f"viktigt_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


BOTH_DATABASES = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test's database, for tests of plain functions (no app)."""
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "CLASSIFY_ON_SUBMIT": False,
        }
    )
    yield app
    app.extensions["viktigt.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


HIDDEN = re.compile(r'<input[^>]*name="(csrf_token|submission_id)"[^>]*value="([^"]*)"')


class Respondent:
    """Drives the questionnaire like a browser: fetches the form, then posts answers."""

    def __init__(self, client: FlaskClient, survey_id: str = "jonkoping-2030") -> None:
        self.client = client
        self.survey_id = survey_id
        self.url = f"/{survey_id}/svar"

    def open_form(self, language: str | None = None) -> dict[str, str]:
        query = f"?lang={language}" if language else ""
        response = self.client.get(self.url + query)
        assert response.status_code == 200
        return dict(HIDDEN.findall(response.get_data(as_text=True)))

    def submit(self, answers: dict, hidden: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        data = {**(hidden if hidden is not None else self.open_form()), **answers}
        return self.client.post(self.url, data=data)


@pytest.fixture
def respondent(client: FlaskClient) -> Respondent:
    return Respondent(client)


FULL_ANSWER = {
    "likert_framja_halsa": "4",
    "likert_samverkan_kontinuitet": "2",
    "likert_forandrade_arbetssatt": "no_opinion",
    "likert_starkta_forutsattningar": "5",
    "free_text": "Att jag får träffa samma läkare varje gång.\r\nOch kortare väntetider.",
    "on_behalf": "nagon-annan",
    "age_group": "80-89",
    "municipality": "vetlanda",
    "gender": "vill-inte-svara",
    "services": ["hemtjanst", "vardcentral"],
}


@pytest.fixture
def runner_env(database_url: str) -> dict[str, str]:
    """Environment for CLI commands run through ``app.test_cli_runner()``."""
    return {"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET}
