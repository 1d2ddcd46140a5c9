"""Click command ``redact`` of the ``viktigt`` CLI.

``viktigt redact FILE`` reads JSON Lines ``{"id": …, "text": …}`` (``-`` reads standard input)
and writes one line per answer::

    {"id": …, "text": "<redacted>", "spans": [{"start": 0, "end": 4, "type": "NAME"}, …]}

The offsets refer to the *original* text. Add the command to a click group with
:func:`register`; ``python -m analysis.redaction_commands FILE`` runs it on its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO

import click

from analysis.commands import read_objects
from analysis.redaction import redact, warm_up


def _answers(stream: IO[str]) -> Iterator[tuple[object, str]]:
    """(id, text) of each JSON object of a JSON Lines stream; blank lines are skipped."""
    name = getattr(stream, "name", "input")
    for number, row in enumerate(read_objects(stream), start=1):
        text = row.get("text")
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise click.ClickException(f'{name}: answer {number}: "text" must be a string')
        yield row.get("id"), text


@click.command("redact")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8", atomic=True),
    default="-",
    show_default=True,
    help="Where to write the redacted JSON Lines.",
)
def redact_command(file: IO[str], output: IO[str]) -> None:
    """Replace personal data in the answers of FILE (JSON Lines) with placeholders.

    Personnummer, phone numbers, e-mail and postal addresses, names of people and case
    numbers and licence plates become [PERSONNUMMER], [TELEFON], [E-POST], [ADRESS], [NAMN]
    and [ID]. Every output line keeps the id and lists the spans found, with offsets into the
    original text.
    """
    warm_up()
    count = found = 0
    for answer_id, text in _answers(file):
        redacted, spans = redact(text)
        record = {
            "id": answer_id,
            "text": redacted,
            "spans": [{"start": s.start, "end": s.end, "type": s.type} for s in spans],
        }
        output.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
        found += len(spans)
    click.echo(f"Redacted {found} spans in {count} answers.", err=True)


def register(cli_group: click.Group) -> None:
    """Add the ``redact`` command to *cli_group* (the ``viktigt`` CLI)."""
    cli_group.add_command(redact_command)


if __name__ == "__main__":
    redact_command()
