"""The ``viktigt`` command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from survey import create_app
from survey.db import get_engine, session_scope
from survey.definitions import DefinitionError, load_directory


def _create_app() -> Flask:
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def cli() -> None:
    """Viktigt: citizen surveys, free-text coding and summaries."""


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply all migrations to DATABASE_URL (creates the SQLite file if needed)."""
    from survey.migrate import upgrade

    engine = get_engine()
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    upgrade(engine)
    click.echo(f"Database is up to date: {engine.url.render_as_string(hide_password=True)}")


@db.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Write a new migration from the models (developers)."""
    from survey.migrate import revision

    revision(get_engine(), message)


@cli.command("load-surveys")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def load_surveys(directory: Path | None) -> None:
    """Validate the survey files and store them in the database."""
    from survey.operations import upsert_survey

    directory = directory or Path(current_app.config["SURVEY_DIRECTORY"])
    try:
        definitions = load_directory(directory)
    except DefinitionError as error:
        click.echo(f"Survey files in {error.source} are invalid:", err=True)
        for problem in error.problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    with session_scope(get_engine()) as session:
        for definition in definitions.values():
            upsert_survey(session=session, definition=definition)
    current_app.extensions["viktigt.surveys"].invalidate()
    click.echo(f"Loaded {len(definitions)} surveys: {', '.join(sorted(definitions))}")


def _register_analysis_commands() -> None:
    try:
        from analysis.commands import register
    except ImportError:  # the classifier package is optional while it is being built
        return
    register(cli)


_register_analysis_commands()
