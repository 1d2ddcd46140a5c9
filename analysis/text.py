"""Text normalisation and tokenisation of citizens' free-text answers.

Tokenisation uses only spaCy's Swedish tokenizer (``spacy.blank("sv")``) and the lemma
table that spacy-lookups-data ships for spaCy's lookup lemmatizer, so nothing is downloaded
at run time. Results are cached because answers repeat a lot ("vet ej", "inget") and
cross-validation tokenises the same corpus many times.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

#: Answers are cut to this many characters after normalisation (a survey answer is short;
#: the cut keeps prediction time bounded for pasted essays).
MAX_CHARS = 5000

#: Everyday abbreviations, spoken forms and common misspellings -> the standard word.
#: Applied to whole words after lower-casing, before tokenisation, so both the word and the
#: character features see the standard form. Keep it small and general.
NORMALISATION: dict[str, str] = {
    # abbreviations
    "vc": "vårdcentralen",
    "ssk": "sjuksköterska",
    "usk": "undersköterska",
    "umo": "ungdomsmottagningen",
    "tel": "telefon",
    "tfn": "telefon",
    "mkt": "mycket",
    "ngn": "någon",
    "ngt": "något",
    "pga": "på grund av",
    "o": "och",
    # spoken and chat forms
    "nån": "någon",
    "nåt": "något",
    "nånting": "något",
    "nåra": "några",
    "dom": "de",
    "mej": "mig",
    "dej": "dig",
    "sej": "sig",
    "psyk": "psykiatrin",
    "sjuksyster": "sjuksköterska",
    "sjuksystern": "sjuksköterskan",
    "doktor": "läkare",
    "doktorn": "läkaren",
    "doktorer": "läkare",
    "doktorerna": "läkarna",
    # frequent misspellings
    "vårcentralen": "vårdcentralen",
    "vårcentral": "vårdcentral",
    "vårdcentrallen": "vårdcentralen",
    "persunal": "personal",
    "personallen": "personalen",
    "hemtjänsen": "hemtjänsten",
    "äldrebende": "äldreboende",
}

#: Numbers that are names of services and carry meaning ("ring 1177").
MEANINGFUL_NUMBERS = frozenset({"1177", "112", "113"})
NUMBER_TOKEN = "<num>"

#: Pronouns, articles, conjunctions and prepositions: never shown alone as an explanation.
FUNCTION_WORDS = frozenset(
    """
    att av de dem den denna deras dess det detta dig din dina ditt du efter eller en er era
    ert ett från för han hans har hen henne hennes honom hon i jag man med men mig min mina
    mitt mot när och om oss på sig sin sina sitt som så till vad var vi vår våra vårt är
    """.split()
)

_TOKENIZER_LOCK = threading.Lock()
_TAG = re.compile(r"<[^<>]{0,300}>")
_UNWANTED = re.compile(r"[^\w\s.,!?:;%/()'\"+-]|_")
_REPEATS = re.compile(r"([^\d\s])\1{2,}")
_SPACES = re.compile(r"\s+")
_NUMBERS = re.compile(r"\d+")
_TABLE_WORDS = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, NORMALISATION), key=len, reverse=True)) + r")\b"
)


def _number(match: re.Match) -> str:
    return match.group(0) if match.group(0) in MEANINGFUL_NUMBERS else "0"


class Token(NamedTuple):
    """One word of a normalised answer: its text, its lemma and its offset in that text."""

    text: str
    lemma: str
    start: int


@lru_cache(maxsize=1 << 16)
def normalise(text: object) -> str:
    """Return ``text`` cleaned for the classifier.

    HTML tags and entities, emojis and other symbols are removed, Unicode is NFKC-folded,
    the text is lower-cased, letters repeated three times or more are cut to two, the
    :data:`NORMALISATION` table is applied and whitespace collapsed. Any input gives a
    string: ``None`` gives ``""`` and other non-strings are converted with ``str``.
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    text = text[: 4 * MAX_CHARS]
    text = _TAG.sub(" ", html.unescape(text))
    text = unicodedata.normalize("NFKC", text).lower()
    text = _UNWANTED.sub(" ", text)
    text = _REPEATS.sub(r"\1\1", text)
    text = _TABLE_WORDS.sub(lambda match: NORMALISATION[match.group(1)], text)
    text = _NUMBERS.sub(_number, text)
    return _SPACES.sub(" ", text).strip()[:MAX_CHARS].strip()


@lru_cache(maxsize=1)
def _tokenizer():  # noqa: ANN202 - spaCy's Tokenizer type is internal
    import spacy

    return spacy.blank("sv").tokenizer


@lru_cache(maxsize=1)
def _lemma_table() -> dict[str, str]:
    """spacy-lookups-data's Swedish ``lemma_lookup`` table as a plain dict.

    This is the table spaCy's lookup lemmatizer uses; reading it directly into a dict loads
    several times faster than building a ``spacy.lookups.Table``.
    """
    import spacy_lookups_data

    path = Path(str(spacy_lookups_data.sv["lemma_lookup"]))
    if not path.exists():
        path = path.with_name(path.name + ".gz")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=1 << 16)
def analyse(normalised: str) -> tuple[Token, ...]:
    """Split an already :func:`normalise`-d text into word tokens with lookup lemmas.

    Punctuation is dropped; numbers other than service numbers become ``<num>``.
    """
    with _TOKENIZER_LOCK:  # spaCy's tokenizer cache is not safe for concurrent threads
        doc = _tokenizer()(normalised)
    table = _lemma_table()
    tokens = []
    for token in doc:
        text = token.text
        if token.is_punct or token.is_space:
            continue
        if text.isdigit():
            lemma = text if text in MEANINGFUL_NUMBERS else NUMBER_TOKEN
        elif text.isalnum() or any(character.isalnum() for character in text):
            lemma = table.get(text, text).lower()
        else:
            continue
        tokens.append(Token(text, lemma, token.idx))
    return tuple(tokens)


def has_letters(text: str) -> bool:
    """Whether ``text`` contains at least one letter (of any script)."""
    return any(character.isalpha() for character in text)


def lemmas(normalised: str) -> list[str]:
    """Lemmas of a normalised text; the tokenizer of the word features."""
    return [token.lemma for token in analyse(normalised)]


def warm_up() -> None:
    """Load the tokenizer and the lemma table now rather than on the first answer."""
    analyse(normalise("Att vårdcentralen svarar i telefon."))
