"""The ``viktigt`` command line: the app's commands plus the classifier's, which need no app."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from survey import create_app


def _create_app() -> Flask:
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def cli() -> None:
    """Viktigt: citizen surveys, free-text coding and summaries."""


def _register_analysis_commands() -> None:
    from analysis.redaction_commands import register as register_redaction

    register_redaction(cli)
    from analysis.commands import evaluate, predict

    # `train` is the app's (survey.commands): it also learns from codes people reviewed.
    cli.add_command(predict)
    cli.add_command(evaluate)


_register_analysis_commands()
