"""Commands that need the app: ``viktigt db upgrade``, ``viktigt load-surveys`` and more.

They are registered on ``app.cli`` by the app factory, so ``flask --app wsgi …`` and the
``viktigt`` console script both have them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from survey.db import get_engine, session_scope
from survey.definitions import DefinitionError, load_directory


@click.group(cls=AppGroup)
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


@click.command("load-surveys")
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


@click.command("reclassify")
@click.option("--all", "everything", is_flag=True, help="Re-code every answer, not only new ones.")
@click.option("--batch-size", default=500, show_default=True)
@click.option("--model", "model_path", type=click.Path(exists=True, path_type=Path), default=None)
@with_appcontext
def reclassify(everything: bool, batch_size: int, model_path: Path | None) -> None:
    """Code stored answers with the current model (after training a new one)."""
    from tqdm import tqdm

    from analysis.classifier import ModelNotFoundError, load_classifier
    from survey.operations import (
        count_responses_with_text,
        record_classification,
        responses_to_classify,
    )

    try:
        classifier = load_classifier(model_path or current_app.config.get("MODEL_PATH"))
    except ModelNotFoundError as error:
        raise click.ClickException(f"{error} Run `viktigt train` first.") from None
    engine = get_engine()
    with session_scope(engine) as session:
        total = count_responses_with_text(session=session)
    coded = 0
    last_id = 0
    with tqdm(total=total, unit="svar", desc=f"Kodar med {classifier.version}") as progress:
        while True:
            with session_scope(engine) as session:
                batch = responses_to_classify(
                    session=session,
                    model_version=classifier.version,
                    everything=everything,
                    after_id=last_id,
                    limit=batch_size,
                )
                if not batch:
                    break
                predictions = classifier.predict([text for _id, text in batch])
                for (response_id, _text), prediction in zip(batch, predictions, strict=True):
                    record_classification(
                        session=session,
                        response_id=response_id,
                        coding=prediction,
                        model_version=classifier.version,
                    )
            last_id = batch[-1][0]
            coded += len(batch)
            progress.update(len(batch))
    click.echo(f"Coded {coded} answers with model {classifier.version}.")


@click.command("seed-demo")
@click.option("--responses", default=2000, show_default=True, help="How many answers to add.")
@click.option("--survey", "survey_ids", multiple=True, help="Survey id(s); default: all.")
@click.option("--seed", default=2030, show_default=True)
@click.option("--no-classify", is_flag=True, help="Skip the classifier (labels stay empty).")
@with_appcontext
def seed_demo_command(
    responses: int, survey_ids: tuple[str, ...], seed: int, no_classify: bool
) -> None:
    """Fill the database with plausible, classified demo answers."""
    from tqdm import tqdm

    from survey.config import PROJECT_ROOT
    from survey.demo import corpus_texts, seed_demo

    registry = current_app.extensions["viktigt.surveys"]
    definitions = [registry.get(s) for s in survey_ids] if survey_ids else registry.all()
    if not definitions or None in definitions:
        raise click.ClickException("Unknown survey; run `viktigt load-surveys` first.")
    texts = corpus_texts(PROJECT_ROOT / "nlp_models" / "corpus")
    classify, version = None, "none"
    if not no_classify:
        from analysis.classifier import ModelNotFoundError, load_classifier

        try:
            classifier = load_classifier(current_app.config.get("MODEL_PATH"))
        except ModelNotFoundError as error:
            raise click.ClickException(
                f"{error} Run `viktigt train` or use --no-classify."
            ) from None
        classify, version = classifier.predict, classifier.version
    share = responses // len(definitions)
    with tqdm(total=share * len(definitions), unit="svar", desc="Demo") as progress:
        for index, definition in enumerate(definitions):
            with session_scope(get_engine()) as session:
                seed_demo(
                    session=session,
                    definition=definition,
                    responses=share,
                    texts=texts,
                    classify=classify,
                    model_version=version,
                    seed=seed + index,
                    progress=progress.update,
                )
    click.echo(f"Added {share * len(definitions)} demo answers.")


def register(group: click.Group) -> None:
    group.add_command(db)
    group.add_command(load_surveys)
    group.add_command(reclassify)
    group.add_command(seed_demo_command)
    group.add_command(train_command)


@click.command("train")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--jobs", type=int, default=2, show_default=True, help="Parallel CV fits.")
@click.option("--no-reviews", is_flag=True, help="Train on the corpus only.")
@with_appcontext
def train_command(seed: int, jobs: int, no_reviews: bool) -> None:
    """Train the classifier on the corpus plus the codes people corrected in review."""
    from sqlalchemy.exc import SQLAlchemyError

    from analysis.classifier import (
        ARTIFACTS_DIR,
        default_corpus_paths,
        save_classifier,
        train_classifier,
    )
    from survey.operations import reviewed_examples

    reviews: list[dict[str, object]] = []
    if not no_reviews:
        try:
            with session_scope(get_engine()) as session:
                reviews = reviewed_examples(session=session)
        except SQLAlchemyError:
            click.echo("No database to read reviewed codes from; training on the corpus only.")
    classifier = train_classifier(
        default_corpus_paths(), seed=seed, extra_examples=reviews, n_jobs=jobs
    )
    path = save_classifier(classifier, ARTIFACTS_DIR)
    click.echo(f"Wrote {path} ({classifier.version}).")
    click.echo(
        f"{classifier.metadata.get('n_examples')} examples, of which {len(reviews)} reviewed "
        "by people."
    )
