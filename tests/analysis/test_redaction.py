"""Redaction of personal data (analysis.redaction): figures on the labelled set, forms, robustness.

The labelled set (tests/data/pii_labelled.jsonl) and the trap set (tests/data/pii_traps.jsonl)
are written by the team; the targets are those of issue 5: 100 % recall for personnummer,
phone and e-mail, >= 95 % for names and addresses, <= 5 % of trap answers changed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.redaction import PLACEHOLDERS, TYPES, Span, find_personal_data, redact
from analysis.redaction_commands import redact_command, register

DATA = Path(__file__).resolve().parent.parent / "data"


def _load(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


LABELLED = _load("pii_labelled.jsonl")
TRAPS = _load("pii_traps.jsonl")


def _covered(text: str, gold: dict, predicted: list[Span], same_type: bool) -> bool:
    """Every non-space character of the gold span lies inside a predicted span."""
    for i in range(gold["start"], gold["end"]):
        if text[i].isspace():
            continue
        if not any(
            p.start <= i < p.end and (not same_type or p.type == gold["type"]) for p in predicted
        ):
            return False
    return True


def _evaluate() -> dict:
    total: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    false_spans = predicted_spans = 0
    for row in LABELLED:
        predicted = find_personal_data(row["text"])
        predicted_spans += len(predicted)
        for gold in row["spans"]:
            total[gold["type"]] += 1
            hit[gold["type"]] += _covered(row["text"], gold, predicted, same_type=True)
        false_spans += sum(
            not any(p.start < g["end"] and g["start"] < p.end for g in row["spans"])
            for p in predicted
        )
    changed = sum(redact(row["text"])[0] != row["text"] for row in TRAPS)
    return {
        "recall": {t: hit[t] / total[t] for t in total},
        "false_spans": false_spans,
        "predicted_spans": predicted_spans,
        "trap_rate": changed / len(TRAPS),
    }


@pytest.fixture(scope="module")
def figures() -> dict:
    return _evaluate()


# --- the data sets -----------------------------------------------------------------------------


def test_labelled_set_is_large_enough_and_well_formed() -> None:
    assert len([r for r in LABELLED if r["spans"]]) >= 200
    assert len(TRAPS) >= 60
    assert len({r["id"] for r in LABELLED + TRAPS}) == len(LABELLED) + len(TRAPS)
    kinds = Counter()
    for row in LABELLED:
        text = row["text"]
        previous_end = 0
        for span in row["spans"]:
            assert set(span) == {"start", "end", "type"}
            assert span["type"] in TYPES
            assert previous_end <= span["start"] < span["end"] <= len(text), row["id"]
            piece = text[span["start"] : span["end"]]
            assert piece == piece.strip(" ,.") and piece, (row["id"], piece)
            previous_end = span["end"]
            kinds[span["type"]] += 1
    assert all(kinds[t] >= 15 for t in TYPES), kinds
    assert all(row["spans"] == [] for row in TRAPS)


# --- figures against the targets ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["PERSONNUMMER", "PHONE", "EMAIL"])
def test_recall_is_complete_for_numbers_and_email(figures: dict, kind: str) -> None:
    assert figures["recall"][kind] == 1.0


@pytest.mark.parametrize("kind", ["NAME", "ADDRESS"])
def test_recall_of_names_and_addresses(figures: dict, kind: str) -> None:
    assert figures["recall"][kind] >= 0.95


def test_recall_of_other_ids(figures: dict) -> None:
    assert figures["recall"]["OTHER_ID"] >= 0.9  # no target in the issue; guards regressions


def test_few_false_redactions_in_the_labelled_answers(figures: dict) -> None:
    assert figures["false_spans"] <= 0.03 * figures["predicted_spans"]


def test_trap_answers_stay_unchanged(figures: dict) -> None:
    assert figures["trap_rate"] <= 0.05


# --- forms, one by one -------------------------------------------------------------------------


def _only(text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.type) for s in find_personal_data(text)]


@pytest.mark.parametrize(
    "number",
    [
        "640823-3234",
        "6408233234",
        "19640823-3234",
        "196408233234",
        "19640823 3234",
        "640823+3234",
        "640883-3231",
        "640823 - 3234",
        "640823\u20133234",
        "20071231-0000",
        "640823-XXXX",
        "64-08-23-3234",
    ],
)
def test_personnummer_forms(number: str) -> None:
    text = f"Mitt personnummer är {number}, tack."
    assert _only(text) == [(number, "PERSONNUMMER")]


def test_personnummer_with_a_bad_checksum_is_still_redacted() -> None:
    assert _only("pnr 640823-3235") == [("640823-3235", "PERSONNUMMER")]


def test_ten_digits_starting_with_zero_are_a_phone_number_without_a_cue() -> None:
    assert _only("Ring 0701231234") == [("0701231234", "PHONE")]
    assert _only("personnummer 0701231234") == [("0701231234", "PERSONNUMMER")]


@pytest.mark.parametrize(
    "number",
    [
        "070-987 65 43",
        "0709876543",
        "070 987 65 43",
        "070-9876543",
        "0709-87 65 43",
        "+46 70 987 65 43",
        "+46709876543",
        "+46 (0)70-987 65 43",
        "0046 70 987 65 43",
        "08-765 432 10",
        "031-12 34 56",
        "031 - 123456",
        "0512-123 45",
        "0512-12345",
        "+46 31 12 34 56",
        "+358 40 765 4321",
        "070/987 65 43",
    ],
)
def test_phone_forms(number: str) -> None:
    assert _only(f"Nå mig på {number} efter lunch.") == [(number, "PHONE")]


@pytest.mark.parametrize(
    "address",
    ["e.p@exempel.se", "Ola.Nord@Exempel.COM", "x_y-z+tag@post.exempel.nu", "namn(at)exempel.se"],
)
def test_email_forms(address: str) -> None:
    assert _only(f"Skriv till {address} om ni vill.") == [(address, "EMAIL")]


@pytest.mark.parametrize(
    "address",
    [
        "Rosengatan 4",
        "Lilla Torget 2 B",
        "Ekvägen 17, 123 45 Exempelby",
        "Hamnens väg 3",
        "Box 881",
        "987 65 Tuvala",
        "Tallbacken 8 lgh 1203",
    ],
)
def test_address_forms(address: str) -> None:
    assert _only(f"Adressen är {address} sedan i fjol.") == [(address, "ADDRESS")]


@pytest.mark.parametrize(
    ("text", "piece"),
    [
        ("Mitt ärendenummer är 2021-5567.", "2021-5567"),
        ("Dnr KS 2022/314 gäller min ansökan.", "KS 2022/314"),
        ("Bilen GHT 27K står alltid där.", "GHT 27K"),
        ("Remissnummer R-55123 försvann.", "R-55123"),
    ],
)
def test_other_ids(text: str, piece: str) -> None:
    assert (piece, "OTHER_ID") in _only(text)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Jag heter Ulrika Fagerberg.", ["Ulrika Fagerberg"]),
        ("min dotter heter wilma", ["wilma"]),
        ("Doktor Holmqvist var snäll.", ["Holmqvist"]),
        ("Sköterskan Barbro tog provet.", ["Barbro"]),
        ("Träffade Per och Bo i receptionen.", ["Per", "Bo"]),
        ("Hans Nilsson ringde.", ["Hans Nilsson"]),
        ("Tack Karl-Erik för hjälpen!", ["Karl-Erik"]),
        ("Kuratorn Zainab Osman lyssnade.", ["Zainab Osman"]),
        ("Min kontaktperson Dragana Jovanović slutade.", ["Dragana Jovanović"]),
        ("My wife Linda was treated well.", ["Linda"]),
        ("Hälsningar Gösta", ["Gösta"]),
        ("Bra vård. /Kerstin", ["Kerstin"]),
        # A verb starting the sentence stays: only the name goes.
        ("Ring Kalle Berg på vårdcentralen.", ["Kalle Berg"]),
        ("Träffade Ali i går.", ["Ali"]),
        ("Zlatko Andersson hjälpte mig.", ["Zlatko Andersson"]),
    ],
)
def test_names(text: str, names: list[str]) -> None:
    assert _only(text) == [(n, "NAME") for n in names]


@pytest.mark.parametrize(
    "text",
    [
        "Per telefon kommer man aldrig fram.",
        "Bo kvar hemma är viktigast.",
        "Hans mamma är 90 år.",
        "Inga läkare finns på helgen.",
        "Klara sig själv vill alla.",
        "Stig upp och gå, sa sjukgymnasten.",
        "Vårdcentralen Sävsjö och BUP i Jönköping.",
        "Ring 1177 eller 112, inte 113 13.",
        "Tiden var 3/4 kl 14.30 och kostade 1 500 kr.",
        "Vecka 45 fick jag Alvedon 500 mg och Waran 2,5 mg.",
        "Mamma har Parkinson och pappa Alzheimers sjukdom.",
        "Riksväg 26 och länsväg 127 är farliga.",
        "Läkaren i Berg, Lund och Mora.",
        "Öppet 08:00-16:30, telefontid 0800-0900.",
        "Min kallelse gällde 2024-05-13 kl 09:15.",
        "Blodtryck 150/90, CRP 120 och BMI 31.",
        "Det kostade 1 200 000 kronor.",
        "Will someone call me back in May?",
    ],
)
def test_traps_stay(text: str) -> None:
    assert find_personal_data(text) == []


def test_redact_replaces_spans_with_placeholders() -> None:
    text = "Jag heter Anna Berg, pnr 640823-3234, tel 070-987 65 43, anna@exempel.se"
    redacted, spans = redact(text)
    assert redacted == "Jag heter [NAMN], pnr [PERSONNUMMER], tel [TELEFON], [E-POST]"
    assert [text[s.start : s.end] for s in spans] == [
        "Anna Berg",
        "640823-3234",
        "070-987 65 43",
        "anna@exempel.se",
    ]


# --- robustness --------------------------------------------------------------------------------

_SWEDISH = st.sampled_from(
    "Jag heter Anna och bor på Storgatan 5 i Jönköping , . ! ? : / - ( ) 070 123 45 67 "
    "19850312-1234 per bo Hans inga läkaren doktor min son @ x.se 1177 kr kl 14.30 \n".split(" ")
)
_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(_SWEDISH, max_size=60).map(" ".join),
    st.text(alphabet="0123456789 -+/()@.,:ÅÄÖåäöAaBbXx\n\u2013", max_size=120),
)


def _check_spans(text: str, spans: list[Span]) -> None:
    previous_end = 0
    for span in spans:
        assert isinstance(span, Span)
        assert span.type in TYPES
        assert previous_end <= span.start < span.end <= len(text)
        previous_end = span.end


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_any_text_gives_valid_spans_and_redact_never_raises(text: str) -> None:
    spans = find_personal_data(text)
    _check_spans(text, spans)
    redacted, spans_again = redact(text)
    assert spans_again == spans
    # The offsets map back: rebuilding the redacted text from the original and the spans
    # gives the same text, and every character outside the spans is kept.
    rebuilt, pos = [], 0
    for span in spans:
        rebuilt += [text[pos : span.start], PLACEHOLDERS[span.type]]
        pos = span.end
    rebuilt.append(text[pos:])
    assert redacted == "".join(rebuilt)


_FILLER = st.sampled_from(
    ["Hej", "jag", "vill", "ha", "hjälp", "med", "min", "mamma", "tack", "idag", "och", "nu"]
)


@st.composite
def _personnummer(draw: st.DrawFn) -> str:
    century = draw(st.sampled_from(["", "19", "20"]))
    year = draw(st.integers(0, 99))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28)) + draw(st.sampled_from([0, 60]))
    sep = draw(st.sampled_from(["-", "+", " ", "", " - "]))
    last = draw(st.integers(0, 9999))
    return f"{century}{year:02d}{month:02d}{day:02d}{sep}{last:04d}"


@st.composite
def _phone(draw: st.DrawFn) -> str:
    digits = [draw(st.integers(0, 9)) for _ in range(7)]
    body = "".join(map(str, digits))
    prefix = draw(st.sampled_from(["070", "072", "073", "076", "079"]))
    form = draw(
        st.sampled_from(
            [
                "{p}-{a} {b} {c}",
                "{p}{a}{b}{c}",
                "{p} {a} {b} {c}",
                "+46 {q} {a} {b} {c}",
                "+46{q}{a}{b}{c}",
            ]
        )
    )
    return form.format(p=prefix, q=prefix[1:], a=body[:3], b=body[3:5], c=body[5:])


@settings(max_examples=200, deadline=None)
@given(st.lists(_FILLER, max_size=6), st.one_of(_personnummer(), _phone()), st.lists(_FILLER))
def test_generated_numbers_are_always_found(before: list[str], number: str, after: list[str]):
    prefix = " ".join(before) + (" " if before else "")
    text = prefix + number + (" " if after else "") + " ".join(after)
    start, end = len(prefix), len(prefix) + len(number)
    spans = find_personal_data(text)
    assert any(s.start <= start and end <= s.end for s in spans), (text, spans)


def test_long_text_is_fast_enough() -> None:
    import time

    text = " ".join(row["text"] for row in LABELLED[:120])
    started = time.perf_counter()
    spans = find_personal_data(text)
    assert time.perf_counter() - started < 2.0
    _check_spans(text, spans)


# --- command line ------------------------------------------------------------------------------


def test_cli_writes_redacted_json_lines(tmp_path: Path) -> None:
    source = tmp_path / "answers.jsonl"
    source.write_text(
        json.dumps({"id": 7, "text": "Jag heter Anna, ring 070-987 65 43"})
        + "\n\n"
        + json.dumps({"id": "x", "text": "Inga problem"})
        + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(redact_command, [str(source)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert rows[0] == {
        "id": 7,
        "text": "Jag heter [NAMN], ring [TELEFON]",
        "spans": [
            {"start": 10, "end": 14, "type": "NAME"},
            {"start": 21, "end": 34, "type": "PHONE"},
        ],
    }
    assert rows[1] == {"id": "x", "text": "Inga problem", "spans": []}


def test_cli_reports_bad_lines(tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text('{"id": 1, "text": "ok"}\nnot json\n', encoding="utf-8")
    result = CliRunner().invoke(redact_command, [str(source)])
    assert result.exit_code == 1
    assert re.search(r"bad\.jsonl:2: invalid JSON", result.output)


def test_register_adds_the_command() -> None:
    group = click.Group("viktigt")
    register(group)
    assert "redact" in group.commands
