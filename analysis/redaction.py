"""Find and replace personal data in Swedish (and English) free-text answers.

:func:`find_personal_data` returns typed, non-overlapping :class:`Span` objects with offsets into
the original text; :func:`redact` replaces each span with a placeholder:

==============  ==================  ====================================================
type            placeholder         what
==============  ==================  ====================================================
PERSONNUMMER    ``[PERSONNUMMER]``  personnummer and samordningsnummer, every common form
PHONE           ``[TELEFON]``       Swedish mobile and landline numbers, +46 and 00 forms
EMAIL           ``[E-POST]``        e-mail addresses (also "namn(at)example.se")
ADDRESS         ``[ADRESS]``        street and number, postcode and town, box, flat number
NAME            ``[NAMN]``          first names and surnames of people
OTHER_ID        ``[ID]``            case and reference numbers, licence plates
==============  ==================  ====================================================

Method. Everything is rules and lists; no model and no download at run time.

* Structured data (personnummer, phone, e-mail, address, other ids) are regular expressions with
  checks in code. Personnummer shapes are redacted whenever the date part is plausible (month
  01-12, day 01-31 or 61-91 for samordningsnummer), *without* the Luhn check, because recall must
  be 100 % and citizens mistype. A ten-digit string that starts with 0 and has no separator is a
  phone number unless a personnummer cue ("personnummer", "pnr", "född" ...) stands before it.
* Names are found token by token with name lists (analysis/data/person_names.txt, built from
  Faker's MIT-licensed name data by analysis/data/build_names.py), context cues ("heter X",
  "doktor X", "sköterskan X", "min son X", sign-offs), chains ("Anna" + unknown capitalised word
  is a full name), surname shapes (-sson, -qvist, -ović, -oglu, -zadeh, -wski ...), and stop
  lists: function words, place names (GeoNames), organisations, medicines and eponymous
  diagnoses (analysis/data/*.txt). A name that is also a common word ("Per", "Bo", "Klara",
  "Sten") counts only when capitalised in the middle of a sentence, next to another name, or
  after a cue; a lower-case name counts when it is not a common word ("anna", "ahmed") or after
  a cue.

Libraries. Phone numbers are found by the **phonenumbers** library (Google's libphonenumber,
Apache-2.0; region SE, and any country written with + or 00) *and* by Swedish number shapes, so
that mistyped or unassigned numbers, which phonenumbers rejects as invalid, are still redacted;
matches that look like times ("08.00-16.00") or dates are dropped. **presidio-analyzer** 2.2 was
evaluated and is not used (figures in analysis/REDACTION.md, rerun with ``bench/redact.py
--presidio``): run NLP-free on a blank Swedish spaCy pipeline it is fast enough (about 1,500
answers/s for its personnummer, phone and e-mail recognisers), and its phone (phonenumbers) and
e-mail recognisers found every phone number and address of our labelled set, but its Swedish
personnummer recogniser requires a valid Luhn checksum and no spaces, so it found 3 of 36
personnummer of the labelled set (31 of 36 after the check digits were corrected), against the
100 % target; its e-mail recogniser validates domains with tldextract, which tries to download
the public suffix list on first use (a 4 s start-up here, and network traffic at run time); and
its PERSON entity needs a statistical NER model, none of which exists for Swedish without a
download. What would remain of Presidio is a registry around regular expressions that we would
have to override, so the rules are plain Python and phonenumbers is used directly.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import phonenumbers

__all__ = ["PLACEHOLDERS", "TYPES", "Span", "find_personal_data", "redact"]

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Span:
    """One piece of personal data: ``text[start:end]`` is of ``type`` (one of :data:`TYPES`)."""

    start: int
    end: int
    type: str


TYPES = ("PERSONNUMMER", "PHONE", "EMAIL", "ADDRESS", "NAME", "OTHER_ID")
PLACEHOLDERS = {
    "PERSONNUMMER": "[PERSONNUMMER]",
    "PHONE": "[TELEFON]",
    "EMAIL": "[E-POST]",
    "ADDRESS": "[ADRESS]",
    "NAME": "[NAMN]",
    "OTHER_ID": "[ID]",
}
#: When two candidates overlap, the type earlier in this order wins (then the longer one).
_PRIORITY = {"EMAIL": 0, "PERSONNUMMER": 1, "PHONE": 2, "ADDRESS": 3, "OTHER_ID": 4, "NAME": 5}

# ---------------------------------------------------------------------------------------------
# Word lists
# ---------------------------------------------------------------------------------------------


def _read_words(name: str) -> list[str]:
    words: list[str] = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            words.extend(line.split())
    return words


@lru_cache(maxsize=1)
def _lexicon() -> tuple[dict[str, str], frozenset[str], frozenset[str], frozenset[str]]:
    """Names with flags, places, non-names and function words (all lower case)."""
    names: dict[str, str] = {}
    for line in (DATA / "person_names.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, flags = line.partition("\t")
            names[name] = flags
    places = frozenset(w.lower() for w in _read_words("places.txt"))
    non_names = frozenset(w.lower() for w in _read_words("non_names.txt"))
    function = frozenset(w.lower() for w in _read_words("function_words.txt"))
    return names, places, non_names, function


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """The English section of function_words.txt, to tell English answers from Swedish ones."""
    words: list[str] = []
    english = False
    for line in (DATA / "function_words.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            english = line.strip().lower() == "# english"
        elif english:
            words.extend(line.split())
    swedish = set(_lexicon()[3]) - set(words)
    return frozenset(w for w in words if w not in swedish)


def _is_english(toks: list[_Tok]) -> bool:
    """True unless the answer is clearly Swedish (more Swedish than English function words).

    Short answers with no function words at all ("Short waiting times") count as English:
    a capitalised word at the start of a sentence is then a name only if it is no common word.
    """
    english = _english_words()
    hits = sum(t.low in english for t in toks)
    swedish = sum(t.function and t.low not in english for t in toks)
    return swedish <= hits


@lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    """Strip diacritics except the Swedish letters å, ä, ö."""
    if word.isascii():
        return word
    out = []
    for ch in word:
        if ch in "åäöÅÄÖ":
            out.append(ch)
        else:
            out.append(
                "".join(
                    c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
                )
            )
    return "".join(out)


def warm_up() -> None:
    """Load the word lists now rather than on the first answer."""
    _lexicon()


# ---------------------------------------------------------------------------------------------
# Structured data: regular expressions
# ---------------------------------------------------------------------------------------------

_DASH = "\\-\u2010\u2011\u2012\u2013\u2014\u2212"
_MONTH = r"(?:0[1-9]|1[0-2])"
_DAY = r"(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"  # 61-91: samordningsnummer

_EMAIL = re.compile(
    r"(?<![\w.+\-])[\w.+\-]{1,64}"
    r"(?:@|\s?\((?:at|snabel-a)\)\s?|\s?\[(?:at|snabel-a)\]\s?)"
    r"[\w\-]{1,63}(?:\.[\w\-]{1,63})*\.[^\W\d_]{2,24}(?![\w\-])"
)

_PNR = re.compile(
    rf"(?<![\w+.,/{_DASH}])(?:(?:18|19|20)\d{{2}}|\d{{2}}){_MONTH}{_DAY}"
    rf"(?P<sep>\s?[+{_DASH}]\s?|\s)?(?:\d{{4}}|[Xx*]{{4}})(?![\w{_DASH}])"
)
#: Date part written with separators: "36-05-12-4457", "1985-03-12-1234"; the last part must be
#: joined with a dash or plus so that "2023-05-12 1430" (a date and a time) stays.
_PNR_SPACED = re.compile(
    rf"(?<![\w+.,/{_DASH}])(?:(?:18|19|20)\d{{2}}|\d{{2}})[{_DASH}\s]{_MONTH}[{_DASH}\s]{_DAY}"
    rf"\s?[+{_DASH}]\s?(?:\d{{4}}|[Xx*]{{4}})(?![\w{_DASH}])"
)
_PNR_CUE = re.compile(
    r"(?:person|samordnings|reserv)\s?(?:nummer|nr)|pers\.?\s?nr|\bpnr|\bpn\b|\bfödd|"
    r"\bpersonal identity|\bssn\b|\bid number",
    re.IGNORECASE,
)

_SEP = rf"(?:\s?[{_DASH}/]\s?|\s)"
_PHONE_INTL = re.compile(
    rf"(?<![\w+])(?:\+|00)\s?[1-9]\d{{0,2}}{_SEP}?(?:\(0\){_SEP}?)?\d(?:{_SEP}?\d){{5,12}}(?!\d)"
)
_PHONE_NATIONAL = re.compile(rf"(?<![\w+{_DASH}/])(?<!\d[.,])0\d(?:{_SEP}?\d){{5,10}}(?!\d)")
_SEP_ONLY = re.compile(_SEP)
_LENIENCY = phonenumbers.Leniency.VALID
_ANY_DIGIT = re.compile(r"\d")
#: phonenumbers accepts "08.00–16.00" (Stockholm's area code): times are no phone numbers.
_TIME_LIKE = re.compile(r"\d[.:]\d")

_ID_CUE = (
    r"ärende(?:nummer|nr|-?id)?|diarie(?:nummer|nr)|dnr|referens(?:nummer|nr)?|ref(?:\.|erens)?"
    r"|remiss(?:nummer|nr|-?id)|journal(?:nummer|nr)|patient(?:nummer|nr|-?id)"
    r"|kund(?:nummer|nr)|medlems(?:nummer|nr)|order(?:nummer|nr)|boknings(?:nummer|nr)"
    r"|faktura(?:nummer|nr)|ocr(?:-?nummer)?|avi(?:nummer)|id-?(?:nummer|nr)|försäkrings(?:nummer|nr)"
    r"|kontrakts?(?:nummer|nr)|lma-?(?:kort|nummer)|reg(?:istrerings)?\.?\s?(?:nr|nummer)"
    r"|regnr|bil(?:nummer|nr)|hsa-?id|case(?:\s(?:number|no\.?|nr))?|reference(?:\s(?:number|no))?"
    r"|ticket(?:\s(?:number|no))?|booking(?:\s(?:number|no))?|invoice(?:\s(?:number|no))?"
)
_ID = re.compile(
    rf"\b(?:{_ID_CUE})\b(?:\s?(?::|#|nr\.?|nummer|no\.?|number|är|is|har|has)(?=[\s\d#:]))*"
    r"(?P<filler>\s(?:hos|i|på|från|med|at|with|from|för)\s[^\W\d_]{2,20}"
    r"(?:\s(?:är|is|har|has|nr|nummer))?)?\s?:?\s*"
    r"(?P<code>(?:[A-ZÅÄÖ]{1,5}[\s\-])?[A-Za-z]{0,4}-?\d[\dA-Za-z]*"
    r"(?:[\-/.]\d[\dA-Za-z]*|[\-/][A-Za-z]+\d+)*)",
    re.IGNORECASE,
)
#: Swedish licence plates: three letters (no I, Q, V, Å, Ä, Ö) and three digits, the last of
#: which may be a letter.
_PLATE = re.compile(r"\b[A-HJ-PR-UW-Z]{3}\s?\d{2}[A-HJ-PR-UW-Z\d]\b")
_PLATE_STOP = frozenset(
    "SOS BUP EKG EEG ECG CRP PSA BNP LDL HDL LSS KBT DBT BVC MVC DNR NPF AKM TBE HPV MRT MRS "
    "SMS APT ATP DNA RNA PEF FEV GFR ALT AST TSH".split()
)
_LONG_NUMBER = re.compile(r"(?<![\w.,])\d{9,}(?![\w.,]\d)")

_STREET_SUFFIX = (
    r"gatan|gata|vägen|väg|gränd|gränden|stigen|stig|backen|backe|torget|torg|allén|allé|alle"
    r"|allen|leden|slingan|stråket|kajen|promenaden|esplanaden|ringen|kroken|krok|vången|hagen"
    r"|liden|höjden|gärdet|ängen|lyckan|lunden|vallen|udden|bryggan|parken|platsen|tået|gången"
)
_STREET_PREFIX = (
    r"(?:(?:Östra|Västra|Norra|Södra|Stora|Lilla|Gamla|Nya|Sankt|S:t|St\.?|Övre|Nedre)\s)?"
)
_HOUSE = r"\d{1,4}(?:\s?[A-Za-z](?![\w]))?(?:,?\s(?:lgh|lägenhet|lägh)\.?\s?(?:nr\.?\s?)?\d{3,4})?"
_STREET = re.compile(
    rf"(?<![\w\-]){_STREET_PREFIX}(?P<word>[^\W\d_]+?(?:{_STREET_SUFFIX}))\s{_HOUSE}(?![\d,.]\d)",
    re.IGNORECASE,
)
_STREET_TWO_WORDS = re.compile(
    rf"(?<![\w\-])(?:[A-ZÅÄÖ][^\W\d_]+\s){{1,3}}(?i:väg|vägen|gata|gatan|gränd|gränden|torg|torget|allé"
    rf"|allén|backe|backen|stig|stigen|plats|platsen|park|parken|strand|stranden|leden)\s{_HOUSE}(?![\d,.]\d)"
)
_STREET_EN = re.compile(
    r"\b\d{1,5}\s(?:[A-Z][a-z]+\s){1,3}(?:Street|St\.|Road|Rd\.?|Avenue|Ave\.?|Lane|Drive|Way"
    r"|Close|Court|Place|Crescent|Terrace)\b"
)
#: Compounds with a street suffix that are roads, not addresses ("riksväg 40", "länsväg 127").
_ROAD_PREFIXES = (
    "riks",
    "läns",
    "motor",
    "europa",
    "cykel",
    "gång",
    "kust",
    "tvär",
    "omfarts",
    "genom",
    "huvud",
    "skogs",
    "grus",
    "lands",
    "bi",
    "landsväg",
    "halv",
    "livs",
    "vånings",
)
_POSTCODE_TOWN = re.compile(
    r"(?<![\w.,])(?<!\d[ .,])(?:SE-?\s?)?\d{3}\s?\d{2}(?!\d)\s{1,2}"
    r"(?P<town>[A-ZÅÄÖ][^\W\d_]+(?:-[A-ZÅÄÖ][^\W\d_]+)?)"
)
_POSTCODE_CUE = re.compile(
    r"(?:postnummer|postnr|post code|postcode|zip code)\s?:?\s?(?:är\s|is\s)?"
    r"(?P<code>\d{3}\s?\d{2})(?!\d)",
    re.IGNORECASE,
)
_BOX = re.compile(r"\b(?:Box|BOX|Postbox)\s\d{1,5}\b")
_FLAT = re.compile(r"\b(?:lgh|lägenhet)\.?\s?(?:nr\.?\s?)?\d{4}\b", re.IGNORECASE)
_NOT_TOWN = frozenset(
    "kr kronor sek st mg jag vi han hon de det den du ni men och eller tack hej".split()
)


def _personnummer(text: str) -> list[tuple[int, int, str]]:
    found = []
    for pattern in (_PNR, _PNR_SPACED):
        for m in pattern.finditer(text):
            value = m.group()
            digits = re.sub(r"\D", "", value)
            if (
                pattern is _PNR
                and not m.group("sep")
                and len(digits) == 10
                and digits[0] == "0"
                and not _PNR_CUE.search(text, max(0, m.start() - 40), m.start())
            ):
                continue  # "0701234567" is a phone number unless a cue says otherwise
            found.append((m.start(), m.end(), "PERSONNUMMER"))
    return found


def _phone_ok(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    if value.startswith(("+", "00")):
        return 8 <= len(digits) <= 15
    if not 8 <= len(digits) <= 10:
        return False
    first_sep = _SEP_ONLY.search(value)
    if first_sep is None:
        return True
    area = re.sub(r"\D", "", value[: first_sep.start()])
    subscriber = re.sub(r"\D", "", value[first_sep.end() :])
    if len(area) > 4 or (len(area) == 3 and area.startswith("07") and len(digits) == 10):
        return True  # a mobile number ("070-012 34 56"), or no area code split to check
    # A subscriber number never starts with 0 and has at least five digits: this keeps dates
    # ("05/06 2023") and opening hours ("0800-1600") out.
    return subscriber[:1] != "0" and len(subscriber) >= 5


def _phones(text: str) -> list[tuple[int, int, str]]:
    """Phone numbers: the phonenumbers library (Swedish numbers, and any number with +/00)
    and, for mistyped or unassigned numbers it rejects, Swedish number shapes."""
    found = []
    if len(_ANY_DIGIT.findall(text)) >= 7:
        try:
            matches = list(phonenumbers.PhoneNumberMatcher(text, "SE", leniency=_LENIENCY))
        except Exception:  # noqa: BLE001 - a third-party parser must not stop redaction
            matches = []
        for m in matches:
            raw = m.raw_string
            if not _TIME_LIKE.search(raw) and _phone_ok(re.sub(r"[().]", " ", raw).strip()):
                found.append((m.start, m.end, "PHONE"))
    for pattern in (_PHONE_INTL, _PHONE_NATIONAL):
        for m in pattern.finditer(text):
            if _phone_ok(m.group()):
                found.append((m.start(), m.end(), "PHONE"))
    return found


def _other_ids(text: str) -> list[tuple[int, int, str]]:
    found = []
    for m in _ID.finditer(text):
        code = m.group("code")
        digits = sum(c.isdigit() for c in code)
        if digits < 3:
            continue
        if m.group("filler") and digits < 5 and code.isdigit():
            continue  # "ärendet hos kommunen 2023": a year, not a number
        found.append((m.start("code"), m.end("code"), "OTHER_ID"))
    for m in _PLATE.finditer(text):
        if m.group()[:3] not in _PLATE_STOP:
            found.append((m.start(), m.end(), "OTHER_ID"))
    for m in _LONG_NUMBER.finditer(text):
        found.append((m.start(), m.end(), "OTHER_ID"))
    return found


def _addresses(text: str) -> list[tuple[int, int, str]]:
    found = []
    for m in _STREET.finditer(text):
        word = m.group("word").lower()
        if word.startswith(_ROAD_PREFIXES):
            continue
        found.append((m.start(), m.end(), "ADDRESS"))
    for pattern in (_STREET_TWO_WORDS, _STREET_EN, _BOX, _FLAT):
        found.extend((m.start(), m.end(), "ADDRESS") for m in pattern.finditer(text))
    for m in _POSTCODE_TOWN.finditer(text):
        if m.group("town").lower() not in _NOT_TOWN:
            found.append((m.start(), m.end(), "ADDRESS"))
    for m in _POSTCODE_CUE.finditer(text):
        found.append((m.start("code"), m.end("code"), "ADDRESS"))
    return found


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")

#: Words after which a name follows whatever its case: "jag heter anna".
_STRONG_CUES = frozenset(
    "heter hette heta kallas named namn name namnet signerat underskrivet mvh hälsningar "
    "hälsning regards".split()
)
_LOWER_CASE_CUES = frozenset(("heter", "hette", "heta"))
#: Relation words that are also common words: a cue only after a possessive ("min man").
_NEEDS_POSSESSIVE = frozenset(("man", "far", "mor", "vän", "make", "son"))
_POSSESSIVES = frozenset(
    "min mitt mina din ditt hans hennes vår vårt er ert deras sin sitt".split()
    + "my his her our their your".split()
)
#: Titles, roles and relations: a following capitalised word, or a lower-case known name, is a
#: name ("doktor Nilsson", "sköterskan jenny", "min son Adam").
_TITLE_CUES = frozenset(
    """
    doktor doktorn dr läkare läkaren överläkare överläkaren underläkare underläkaren barnläkaren
    distriktsläkare distriktsläkaren husläkare husläkaren allmänläkaren psykiater psykiatern
    sjuksköterska sjuksköterskan sköterska sköterskan syster ssk usk undersköterska
    undersköterskan distriktssköterska distriktssköterskan specialistsköterskan kontaktsköterska
    kontaktsköterskan diabetessköterskan skolsköterska skolsköterskan barnmorska barnmorskan
    kurator kuratorn skolkurator skolkuratorn psykolog psykologen terapeut terapeuten
    fysioterapeut fysioterapeuten sjukgymnast sjukgymnasten arbetsterapeut arbetsterapeuten
    tandläkare tandläkaren tandhygienist tandhygienisten dietist dietisten logoped logopeden
    handläggare handläggaren biståndshandläggare biståndshandläggaren socialsekreterare
    socialsekreteraren kontaktperson kontaktpersonen kontaktman kontaktmannen samordnare
    samordnaren rektor rektorn lärare läraren lärarinnan fröken mentor mentorn specialpedagog
    specialpedagogen assistent assistenten assistant boendestödjare boendestödjaren tolk tolken
    chef chefen enhetschef enhetschefen präst prästen diakon diakonen professor docent
    son sonen dotter dottern bonusson bonusdotter man maken make fru frun hustru hustrun sambo
    sambon partner pojkvän flickvän fästman fästmö mamma pappa mor far mormor morfar farmor
    farfar bror brodern syster systern barnbarn barnbarnet kusin granne grannen vän vännen
    kompis kompisen väninna svärmor svärfar svärson svärdotter svåger svägerska moster faster
    morbror farbror brorson systerson brorsdotter systerdotter
    mr mrs ms miss nurse doctor husband wife son daughter mother father mum mom dad brother
    sister friend neighbour neighbor grandson granddaughter partner boyfriend girlfriend
    """.split()
)
#: Prepositions after which a word that is both a place and a name is the place ("bor i Åsa").
_PLACE_PREPOSITIONS = frozenset("i från utanför nära mot via vid in from near around".split())
_PLACE_NOUNS = frozenset(
    "kommun kommuns län läns sjukhus vårdcentral vårdcentralen hälsocentral kyrka centrum "
    "station municipality".split()
)
_EPONYM_NOUNS = frozenset("syndrom syndromet sjukdom sjukdomen sjuka disease syndrome".split())
_PARTICLES = frozenset("van von af de da di del al el bin ibn abu abd ben ter".split())
_ABBREVIATIONS = frozenset("dr doc prof mr mrs ms st".split())
_ORGISH = re.compile(
    r"vård|central|sjukhus|mottagning|kommun|region|klinik|avdelning|boende|tjänst|skola|apotek"
    r"|kassa|verket|enhet|hälsa|psykiatri|akut|jour|gården|hemmet|huset|centrum|center|förening"
    r"|kyrka|teamet|gruppen|bolag|förbund|institut|verksamhet|fritids|träffpunkt|café|kafé"
)
_SURNAME_SHAPE = re.compile(
    r"(?:sson|[^r]son|ström|qvist|kvist|gren|berg|blad|lund|stedt|ander|nen|ović|ovic|ević|evic|"
    r"vić|ić|ič|oglu|oğlu|zadeh|zada|pour|zai|yan|enko|chuk|czyk|wski|wska|ński|ńska|lski|cki|"
    r"cka|dzki|dzka|dottir|dóttir|ova|ov|eva|ev)$"
)
_STRONG_SURNAME_SHAPE = re.compile(
    r"(?:sson|qvist|kvist|ović|ević|vić|ić|oglu|oğlu|zadeh|wski|wska|dottir|dóttir)$"
)
#: Endings of past tenses, present tenses and adverbs ("Träffade", "Tackar", "Tyvärr" aside):
#: an unknown capitalised word with one, first in a sentence, is not a first name before a
#: surname ("Träffade Ali i går").
_VERB_OR_ADVERB_ENDING = re.compile(r"(?:[aeo]de|dde|tte|[^aeiouyåäö]te|ar|er|or|igt|vis)$")
_SENTENCE_END = frozenset('.!?:;…"“”•*')


class _Tok:
    __slots__ = (
        "start",
        "end",
        "text",
        "low",
        "flags",
        "known",
        "cap",
        "upper",
        "lower_case",
        "initial",
        "place",
        "block",
        "function",
        "hyphen",
        "surname",
    )

    def __init__(self, m: re.Match[str], text: str, prev_end: int, prev: _Tok | None) -> None:
        names, places, non_names, function = _lexicon()
        self.start, self.end = m.start(), m.end()
        self.text = word = m.group()
        self.low = low = word.lower()
        first = word[0]
        self.upper = len(word) > 1 and word.isupper()
        self.cap = first.isupper() and not self.upper
        self.lower_case = first.islower()
        self.hyphen = "-" in word
        flags = names.get(low)
        if flags is None:
            flags = names.get(_fold(low))
        if flags is None and len(low) > 3 and low[-1] == "s" and not self.lower_case:
            base_flags = names.get(low[:-1]) or names.get(_fold(low[:-1]))
            if base_flags:
                flags = base_flags.replace("c", "")  # genitive: "Annas", "Svenssons"
        if flags is None and self.hyphen:
            parts = word.split("-")
            if all(p[:1].isupper() for p in parts) or all(p[:1].islower() for p in parts):
                flags = _hyphen_flags(low.split("-"), names, places, non_names, function)
        self.flags = flags or ""
        self.known = bool(flags) and ("F" in flags or "L" in flags)
        base = low[:-1] if low.endswith("s") else low
        self.function = low in function
        self.place = not self.lower_case and not self.function and (low in places or base in places)
        self.block = low in non_names or base in non_names
        self.surname = "L" in self.flags or (
            self.cap and not self.known and _STRONG_SURNAME_SHAPE.search(low) is not None
        )
        gap = text[prev_end : self.start].strip(" \t")
        if prev is None:
            # At the start of the text, or right after a number, e-mail address or the like.
            self.initial = True
        elif "\n" in gap:
            self.initial = True
        elif gap and gap[-1] in _SENTENCE_END:
            self.initial = not (gap == "." and prev.low in _ABBREVIATIONS)
        else:
            self.initial = False


def _hyphen_flags(
    parts: list[str],
    names: dict[str, str],
    places: frozenset[str],
    non_names: frozenset[str],
    function: frozenset[str],
) -> str | None:
    if any(not p or p in non_names or p in places or p in function for p in parts):
        return None
    if parts[0] in _PARTICLES and len(parts) == 2 and len(parts[1]) > 2:
        return "L"  # "Al-Sayed", "Abu-Bakr"
    flags = [names.get(p, "") for p in parts]
    if any(("F" in f or "L" in f) and "l" not in f and "c" not in f for f in flags):
        return "".join(sorted({c for f in flags for c in f if c in "FL"}))
    if all("F" in f or "L" in f for f in flags):
        return "".join(sorted({c for f in flags for c in f})).replace("c", "") + "l"
    return None


def _adjacent(text: str, left: _Tok, right: _Tok) -> bool:
    gap = text[left.end : right.start]
    if gap in (" ", "  ", "\u00a0"):
        return True
    return gap in (". ", ".") and len(left.text) == 1 and left.text.isupper()  # "A. Svensson"


def _cue_before(text: str, toks: list[_Tok], i: int) -> str | None:
    """Which cue stands right before token *i*: "strong", "named", "title" or None.

    "strong" ("heter", "hette") takes any word that is not a function word, also in lower
    case; "named" ("kallas", "mvh", "name:") and "title" ("doktor", "min son", "/") take a
    capitalised word or a lower-case name that is not also a common word.
    """
    if i == 0:
        return None
    prev = toks[i - 1]
    gap = text[prev.end : toks[i].start]
    if (
        gap.rstrip(" ").endswith("/")
        and gap[:1] in (" ", ".")
        and len(gap.strip()) <= 3
        and gap.strip(" /") in ("", ".")
        and not toks[i].upper
    ):
        return "title"  # a signature: "... tack. /Kalle"
    if len(gap) > 3 or "\n" in gap or gap.strip(" ,:."):
        return None
    if "." in gap and prev.low not in _ABBREVIATIONS:
        return None  # "... en läkare. Punkt."
    low = prev.low
    if low in _STRONG_CUES:
        if low in ("namn", "name", "namnet") and ":" not in gap:
            return None
        return "strong" if low in _LOWER_CASE_CUES else "named"
    if low in ("är", "is", "was", "var") and i >= 2 and toks[i - 2].low in ("namn", "name"):
        return "named"
    if low in _TITLE_CUES:
        if low in _NEEDS_POSSESSIVE and (i < 2 or toks[i - 2].low not in _POSSESSIVES):
            return None  # "om man bor", "far iväg"
        return "title"
    return None


def _place_context(text: str, toks: list[_Tok], i: int) -> bool:
    if i > 0:
        prev = toks[i - 1]
        if prev.low in _PLACE_PREPOSITIONS:
            return True
        gap = text[prev.end : toks[i].start]
        if prev.place and not prev.known and gap.strip() in (",", ""):
            return True
        if i > 1 and prev.low in ("och", "eller", "and") and toks[i - 2].place:
            return True
    if i + 1 < len(toks):
        nxt = toks[i + 1]
        if nxt.low in _PLACE_NOUNS:
            return True
        if nxt.place and not nxt.known and text[toks[i].end : nxt.start].strip() == ",":
            return True
    return False


def _eponym(toks: list[_Tok], i: int) -> bool:
    return i + 1 < len(toks) and toks[i + 1].low in _EPONYM_NOUNS


def _seed(text: str, toks: list[_Tok], i: int, english: bool) -> bool:
    """Is token *i* a name on its own evidence (lists, cue, shape)?"""
    t = toks[i]
    if t.block or _eponym(toks, i) or len(t.text) < 2:
        return False
    cue = _cue_before(text, toks, i)
    if cue is not None:
        if t.function and not t.known:
            return False
        if t.place and not t.known:
            return False
        if cue == "strong":
            return not t.upper or t.known
        if t.cap or t.upper:
            return t.known or not _ORGISH.search(t.low)
        return t.known and "l" not in t.flags and not t.function
    if t.known:
        flags = t.flags
        if t.lower_case:
            return (
                "F" in flags
                and "p" in flags
                and "l" not in flags
                and not t.function
                and not t.place
                and len(t.low) > 2
            )
        if t.upper and (len(t.low) < 3 or "l" in flags or "c" in flags):
            return False
        if "F" not in flags and i > 0 and toks[i - 1].low in _PLACE_PREPOSITIONS:
            return False  # a bare surname after "i", "från": "här i Ström"
        if t.place:
            if _place_context(text, toks, i):
                return False
            if "F" not in flags:
                return False  # a surname that is also a place ("Lund") needs a first name
        if english and "l" in flags:
            return False  # "the Emergency Room": needs a cue or a name next to it
        if "c" in flags or t.function:
            return not t.initial
        return True
    if t.cap and not t.place and not t.function and not t.hyphen:
        if i > 0 and toks[i - 1].low in _PLACE_PREPOSITIONS:
            return False  # "bor i Kvarnberg": an unlisted place
        shape = _STRONG_SURNAME_SHAPE if t.initial else _SURNAME_SHAPE
        if len(t.low) > 4 and shape.search(t.low) and not _ORGISH.search(t.low):
            return True
    return False


def _continues(text: str, toks: list[_Tok], i: int, lower_chain: bool) -> bool:
    """May token *i* continue a name that ends right before it ("Anna Xyzberg")?"""
    t = toks[i]
    if t.block or _eponym(toks, i) or t.low in _TITLE_CUES:
        return False
    if t.lower_case:
        return lower_chain and t.known and not t.function
    if t.function and not t.known:
        return False
    if t.known:
        return True
    return not t.place and not _ORGISH.search(t.low)


_COORDINATORS = frozenset(("och", "eller", "and", "or", "&"))


def _coordinated(text: str, toks: list[_Tok], i: int) -> list[int]:
    """Indices of the tokens joined to token *i* by ", ", " och ", " eller ", " and "."""
    out = []
    for k, step in ((i - 1, -1), (i + 1, 1)):
        if not 0 <= k < len(toks):
            continue
        left, right = (toks[k], toks[i]) if step < 0 else (toks[i], toks[k])
        gap = text[left.end : right.start]
        if gap.strip() == "," and "\n" not in gap and len(gap) <= 3:
            out.append(k)
        elif gap.strip().lower() == "&" and len(gap) <= 3:
            out.append(k)
        elif gap and not gap.strip() and toks[k].low in _COORDINATORS:
            k2 = k + step
            if not 0 <= k2 < len(toks):
                continue
            left2, right2 = (toks[k2], toks[k]) if step < 0 else (toks[k], toks[k2])
            if text[left2.end : right2.start].strip() == "":
                out.append(k2)
    return out


def _unknown_capitalised(t: _Tok) -> bool:
    """A capitalised word that no list knows and that does not look like an organisation."""
    return (
        t.cap
        and not t.known
        and not t.place
        and not t.block
        and not t.function
        and not t.hyphen
        and len(t.text) > 2
        and t.low not in _TITLE_CUES
        and not _ORGISH.search(t.low)
    )


def _names(text: str, taken: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """Find names in the parts of *text* between the already claimed spans."""
    segments = []
    pos = 0
    for start, end in [*sorted(taken), (len(text), len(text))]:
        if start > pos:
            segments.append(_tokens(text, pos, start))
        pos = max(pos, end)
    english = _is_english([t for segment in segments for t in segment])
    found: list[tuple[int, int, str]] = []
    for segment in segments:
        found.extend(_names_in_segment(text, segment, english))
    return found


def _tokens(text: str, start: int, end: int) -> list[_Tok]:
    toks: list[_Tok] = []
    prev: _Tok | None = None
    prev_end = start
    for m in _TOKEN.finditer(text, start, end):
        tok = _Tok(m, text, prev_end, prev)
        toks.append(tok)
        prev, prev_end = tok, m.end()
    return toks


def _names_in_segment(text: str, toks: list[_Tok], english: bool) -> list[tuple[int, int, str]]:
    n = len(toks)
    if not n:
        return []
    is_name = [_seed(text, toks, i, english) for i in range(n)]
    # Ambiguous known names next to a seed ("Per Andersson", "Hans Eriksson").
    for i in range(n):
        if is_name[i]:
            continue
        t = toks[i]
        if not (t.known and (t.cap or t.upper)) or t.block or t.low in _TITLE_CUES:
            continue
        if t.initial and "c" in t.flags and "F" not in t.flags:
            continue  # a surname that is a common word, starting a sentence: "Ring Kalle"
        left = i > 0 and is_name[i - 1] and _adjacent(text, toks[i - 1], t)
        right = i + 1 < n and is_name[i + 1] and _adjacent(text, t, toks[i + 1])
        if (left or right) and not _eponym(toks, i):
            is_name[i] = True
    # Chains: extend right over unknown capitalised words and particles, left over unknown
    # capitalised words before a surname; coordinated unknown capitalised words ("Hodan, Lejla
    # och Marcus") are names too.
    changed = True
    while changed:
        changed = False
        for i in range(n):
            if not is_name[i]:
                continue
            lower_chain = toks[i].lower_case
            j = i + 1
            if j < n and not is_name[j] and _adjacent(text, toks[i], toks[j]):
                if toks[i].text[-1:] != "s" or not toks[i].known or toks[j].known:
                    if _continues(text, toks, j, lower_chain):
                        is_name[j] = changed = True
                    elif (
                        toks[j].low in _PARTICLES
                        and j + 1 < n
                        and _adjacent(text, toks[j], toks[j + 1])
                        and toks[j + 1].cap
                        and _continues(text, toks, j + 1, False)
                    ):
                        is_name[j] = is_name[j + 1] = changed = True
            k = i - 1
            if (
                k >= 0
                and not is_name[k]
                and toks[i].surname
                and _adjacent(text, toks[k], toks[i])
                and toks[k].cap
                and not toks[k].known
                and not (toks[k].initial and _VERB_OR_ADVERB_ENDING.search(toks[k].low))
                and _cue_before(text, toks, i) is None
                and _continues(text, toks, k, False)
            ):
                is_name[k] = changed = True
            for k in _coordinated(text, toks, i):
                other = toks[k]
                if is_name[k] or other.initial or other.block or _eponym(toks, k):
                    continue
                if _unknown_capitalised(other) or (
                    other.known and other.cap and not other.place and other.low not in _TITLE_CUES
                ):
                    is_name[k] = changed = True
    # An unknown capitalised word inside a sentence before "på <service>": "Hasse på
    # dagverksamheten".
    for i in range(n - 2):
        t = toks[i]
        if (
            not is_name[i]
            and not t.initial
            and _unknown_capitalised(t)
            and toks[i + 1].low in ("på", "i", "från", "at", "from")
            and (toks[i + 2].block or _ORGISH.search(toks[i + 2].low))
        ):
            is_name[i] = True
    # Two adjacent unknown capitalised words inside a Swedish sentence: "kuratorn, Dawit Haile,
    # har". (English capitalises phrases such as "Emergency Room", so not there.)
    for i in range(n - 1 if not english else 0):
        a, b = toks[i], toks[i + 1]
        if (
            not (is_name[i] or is_name[i + 1])
            and not a.initial
            and _unknown_capitalised(a)
            and _unknown_capitalised(b)
            and _adjacent(text, a, b)
            and not _eponym(toks, i + 1)
        ):
            is_name[i] = is_name[i + 1] = True
    # Initials before a name: "A. Svensson".
    for i in range(n - 1):
        t = toks[i]
        if not is_name[i] and len(t.text) == 1 and t.text.isupper() and is_name[i + 1]:
            if _adjacent(text, t, toks[i + 1]):
                is_name[i] = True
    spans: list[tuple[int, int, str]] = []
    i = 0
    while i < n:
        if not is_name[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and is_name[j + 1] and _adjacent(text, toks[j], toks[j + 1]):
            j += 1
        spans.append((toks[i].start, toks[j].end, "NAME"))
        i = j + 1
    return spans


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def _resolve(text: str, candidates: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Keep the best non-overlapping candidates; join address parts ("Storgatan 1, 123 45 Ort")."""
    starts: list[int] = []  # sorted starts and ends of the chosen spans
    ends: list[int] = []
    chosen: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(candidates, key=lambda c: (_PRIORITY[c[2]], c[0] - c[1])):
        if start >= end:
            continue
        at = bisect.bisect_right(starts, start)
        if at and ends[at - 1] > start:
            continue  # overlaps the chosen span that starts before it
        if at < len(starts) and starts[at] < end:
            continue  # overlaps the chosen span that starts after it
        starts.insert(at, start)
        ends.insert(at, end)
        chosen.append((start, end, kind))
    chosen.sort()
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in chosen:
        if merged and kind == "ADDRESS" and merged[-1][2] == "ADDRESS":
            gap = text[merged[-1][1] : start]
            if len(gap) <= 3 and not gap.strip(" ,\n"):
                merged[-1] = (merged[-1][0], end, kind)
                continue
        merged.append((start, end, kind))
    return merged


def find_personal_data(text: str) -> list[Span]:
    """Return the personal data in *text* as sorted, non-overlapping spans."""
    if not isinstance(text, str) or not text:
        return []
    structured: list[tuple[int, int, str]] = []
    if _ANY_DIGIT.search(text):  # every structured type but e-mail has a digit
        structured += _personnummer(text) + _phones(text) + _addresses(text) + _other_ids(text)
    if "@" in text or "(at)" in text or "[at]" in text or "snabel-a" in text:
        structured += [(m.start(), m.end(), "EMAIL") for m in _EMAIL.finditer(text)]
    taken = _resolve(text, structured)
    names = _names(text, [(s, e) for s, e, _ in taken])
    result = _resolve(text, taken + names)
    return [Span(s, e, k) for s, e, k in result]


def redact(text: str) -> tuple[str, list[Span]]:
    """Replace the personal data in *text* with placeholders; return the text and the spans.

    The spans' offsets refer to the original *text*.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    spans = find_personal_data(text)
    parts: list[str] = []
    pos = 0
    for span in spans:
        parts.append(text[pos : span.start])
        parts.append(PLACEHOLDERS[span.type])
        pos = span.end
    parts.append(text[pos:])
    return "".join(parts), spans
