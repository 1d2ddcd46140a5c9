"""Normalisation and tokenisation of free text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.text import MAX_CHARS, analyse, has_letters, lemmas, normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<p>Kortare&nbsp;väntetider</p>", "kortare väntetider"),
        ("Samma   läkare\n\tvarje gång", "samma läkare varje gång"),
        ("BRA!!!!!!! 😀👍", "bra!!"),
        ("jaaaaaa", "jaa"),
        ("Ring vc o fråga", "ring vårdcentralen och fråga"),
        ("Väntade 8 månader, ring 1177", "väntade 0 månader, ring 1177"),
        ("ﬁka", "fika"),
        ("", ""),
        ("   ", ""),
        (None, ""),
        (42, "0"),
    ],
)
def test_normalise(raw: object, expected: str) -> None:
    assert normalise(raw) == expected


def test_long_text_is_cut() -> None:
    assert len(normalise("ord " * 10_000)) <= MAX_CHARS


def test_lemmas_fold_inflections() -> None:
    words = lemmas(normalise("Väntetiderna i hemtjänsten är för långa"))
    assert words[:2] == ["väntetid", "i"]
    assert "hemtjänst" in words and "lång" in words


def test_tokens_keep_their_offsets_and_skip_punctuation() -> None:
    text = normalise("Samma läkare, tack!")
    tokens = analyse(text)
    assert [token.text for token in tokens] == ["samma", "läkare", "tack"]
    assert all(text[t.start : t.start + len(t.text)] == t.text for t in tokens)


def test_has_letters() -> None:
    assert has_letters("ä") and has_letters("医") and not has_letters("123 !! 😀")


@given(st.text(max_size=400))
def test_normalise_is_idempotent_and_never_fails(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert len(once) <= MAX_CHARS
    assert once == once.strip()
    once.encode("utf-8")  # no lone surrogates survive
    for token in analyse(once):
        assert token.text and token.lemma
