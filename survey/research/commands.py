"""``viktigt export``, ``viktigt import`` and ``viktigt purge``.

Register them on a click group with :func:`register` (the app factory's ``app.cli``).
"""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from survey.db import get_engine, session_scope

MAX_PROBLEMS_SHOWN = 200


def _definition(survey_id: str):  # type: ignore[no-untyped-def]
    definition = current_app.extensions["viktigt.surveys"].get(survey_id)
    if definition is None:
        raise click.ClickException(
            f"Unknown survey {survey_id!r}; run `viktigt load-surveys` first."
        )
    return definition


def _as_date(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _export_user(username: str | None) -> tuple[int | None, str]:
    """Who is exporting: a staff account that may export, or the operating-system user."""
    if username is None:
        return None, f"cli:{getpass.getuser()}"[:80]
    from survey.models import StaffUser
    from survey.research.tokens import EXPORT_ROLES
    from survey.staff import auth

    with session_scope(get_engine()) as session:
        user = auth.find_user(session, username)
        if user is None or not user.active or not auth.has_role(user, *EXPORT_ROLES):
            raise click.ClickException(
                f"{username!r} is not an active account with the researcher or admin role."
            )
        assert isinstance(user, StaffUser)
        return user.id, user.username


@click.command("export")
@click.option("--survey", "survey_id", required=True, help="Survey id.")
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(["csv", "sav", "dta", "jsonl"]),
    help="Data file format.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the data file and its codebook (made if missing).",
)
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="First date.")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Last date.")
@click.option("--k", "k", type=click.IntRange(min=2), default=None, help="Default: EXPORT_K (5).")
@click.option(
    "--max-suppressed",
    type=click.FloatRange(0, 0.5),
    default=None,
    help="Share of rows that may lose all background variables instead of generalising more.",
)
@click.option("--user", "username", default=None, help="Staff account to record in the log.")
@with_appcontext
def export_command(
    survey_id: str,
    fmt: str,
    out_dir: Path,
    date_from: datetime | None,
    date_to: datetime | None,
    k: int | None,
    max_suppressed: float | None,
    username: str | None,
) -> None:
    """Write an anonymised export of one survey and its codebook into OUT.

    Free text is redacted, dates become months, ids are random, and the background variables
    are generalised until every combination occurs at least k times. The export is logged.
    """
    from analysis.export import ExportError, ExportFilter, export_session, prepare_export
    from analysis.export import write_export as write_files

    definition = _definition(survey_id)
    user_id, name = _export_user(username)
    config = current_app.config
    filters = ExportFilter(definition.id, _as_date(date_from), _as_date(date_to))
    with export_session(get_engine()) as session:
        try:
            export = prepare_export(
                session=session,
                definition=definition,
                filters=filters,
                k=k or int(config.get("EXPORT_K", 5)),
                max_suppressed_share=(
                    max_suppressed
                    if max_suppressed is not None
                    else float(config.get("EXPORT_MAX_SUPPRESSED_SHARE", 0.01))
                ),
                model_directories=_model_directories(),
            )
        except ExportError as error:
            raise click.ClickException(str(error)) from None
        paths = write_files(export, session, fmt, out_dir)
    with session_scope(get_engine()) as log_session:
        log_session.add(export.log_entry(fmt, channel="cli", user_id=user_id, username=name))
    plan = export.plan
    click.echo(
        f"Exported {export.rows} answers (k = {plan.k}, reached {plan.k_reached}; "
        f"{plan.suppressed_rows} rows with every background variable suppressed)."
    )
    click.echo(f"Generalised: {plan.describe()}")
    for path in paths:
        click.echo(f"  {path}")


def _model_directories() -> list[Path]:
    from analysis.export import ARTIFACTS_DIR

    directories = [ARTIFACTS_DIR]
    configured = current_app.config.get("MODEL_PATH")
    if configured:
        path = Path(configured)
        directories.insert(0, path if path.is_dir() else path.parent)
    return directories


@click.command("import")
@click.option("--survey", "survey_id", required=True, help="Survey id.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--skip-bad-rows",
    is_flag=True,
    help="Import the valid rows even when other rows have errors (they are listed).",
)
@click.option(
    "--mode",
    type=click.Choice(["paper", "web"]),
    default="paper",
    show_default=True,
    help="How the answers were given, for rows without a 'mode' field.",
)
@with_appcontext
def import_command(survey_id: str, file: Path, skip_bad_rows: bool, mode: str) -> None:
    """Load answers from FILE (CSV or JSON Lines) into a survey.

    Every row is validated first; a file with errors imports nothing unless --skip-bad-rows
    is given. Imported answers are redacted and classified like submitted ones, and importing
    the same file (or the same row ids) again adds nothing.
    """
    from analysis.importing import ImportFileError, check_file, store_rows
    from survey.classification import after_store_hook
    from survey.db import begin_write
    from survey.staff import auth

    definition = _definition(survey_id)
    try:
        check = check_file(file, definition, default_mode=mode)
    except ImportFileError as error:
        raise click.ClickException(str(error)) from None
    for problem in check.problems[:MAX_PROBLEMS_SHOWN]:
        click.echo(f"{file.name}: {problem}", err=True)
    if len(check.problems) > MAX_PROBLEMS_SHOWN:
        click.echo(f"… and {len(check.problems) - MAX_PROBLEMS_SHOWN} more problems", err=True)
    bad = len(check.bad_lines)
    if bad and not skip_bad_rows:
        click.echo(
            f"Nothing imported: {bad} of {check.rows} rows have errors "
            "(fix them, or use --skip-bad-rows to import the other rows).",
            err=True,
        )
        sys.exit(1)
    with session_scope(get_engine()) as session:
        begin_write(session)
        outcome = store_rows(session=session, rows=check.valid, after_store=after_store_hook())
        auth.record_audit(
            session,
            "import",
            username=None,
            detail={
                "survey_id": definition.id,
                "stored": outcome.stored,
                "duplicates": outcome.duplicates,
                "conflicts": len(outcome.conflicts),
                "skipped": bad,
            },
        )
    click.echo(
        f"Imported {outcome.stored} answers into {definition.id}; "
        f"{outcome.duplicates} were already imported, {bad} rows skipped."
    )
    if outcome.conflicts:
        lines = ", ".join(str(line) for line in outcome.conflicts[:20])
        click.echo(
            f"{len(outcome.conflicts)} rows have the id of an earlier import with other answers "
            f"and were left alone (lines {lines}).",
            err=True,
        )


@click.command("purge")
@click.option("--survey", "survey_ids", multiple=True, help="Survey id(s); default: all.")
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    hidden=True,
    help="Pretend it is this date (for tests).",
)
@with_appcontext
def purge_command(survey_ids: tuple[str, ...], today: datetime | None) -> None:
    """Delete original free text older than each survey's retention_days (redacted text
    stays). Each survey's purge is logged in the audit log (counts only)."""
    from survey.db import begin_write
    from survey.research.retention import purge_originals
    from survey.staff import auth

    registry = current_app.extensions["viktigt.surveys"]
    definitions = [_definition(s) for s in survey_ids] if survey_ids else registry.all()
    day = _as_date(today) or datetime.now(UTC).date()
    for definition in definitions:
        with session_scope(get_engine()) as session:
            begin_write(session)
            outcome = purge_originals(session=session, definition=definition, today=day)
            auth.record_audit(
                session,
                "purge",
                detail={
                    "survey_id": definition.id,
                    "cutoff": outcome.cutoff.isoformat(),
                    "retention_days": definition.retention_days,
                    "purged": outcome.purged,
                    "redacted_first": outcome.redacted_first,
                },
            )
        click.echo(
            f"{definition.id}: deleted the original text of {outcome.purged} answers submitted "
            f"before {outcome.cutoff} ({outcome.redacted_first} redacted first)."
        )


def register(group: click.Group) -> None:
    group.add_command(export_command)
    group.add_command(import_command)
    group.add_command(purge_command)
