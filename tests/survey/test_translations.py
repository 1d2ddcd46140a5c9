"""Every text in code and templates has an English translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [
    ("survey/**.py", "python"),
    ("forms/**.py", "python"),
    ("survey/templates/**.html", "jinja2"),
]


def test_the_english_catalogue_translates_every_message():
    with (ROOT / "survey/translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale="en")
    translated = {
        message.id: message.string
        for message in catalogue
        if message.id and message.string and "fuzzy" not in message.flags
    }

    extracted = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(ROOT, METHODS, keywords=KEYWORDS)
        if message[2]
    }

    missing = sorted(extracted - set(translated))
    assert not missing, "run `make translations` and translate:\n" + "\n".join(missing)
