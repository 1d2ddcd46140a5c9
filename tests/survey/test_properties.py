"""Property tests: any text a person can type is stored unchanged; no value causes a 500."""

from __future__ import annotations

import html

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from survey.db import get_engine_for
from survey.models import Response

# Everything a browser can send: no surrogates, no invisible C0 controls (dropped on input).
typed_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters=[chr(c) for c in range(32) if chr(c) not in "\t\n\r"] + ["\x7f"],
    ),
    min_size=1,
    max_size=5000,
).filter(lambda text: text.strip() == text and text != "")

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(text=typed_text)
def test_any_text_up_to_the_limit_is_stored_unchanged_and_shown_escaped(app, respondent, text):
    hidden = respondent.open_form()

    response = respondent.submit({"free_text": text}, hidden)

    assert response.status_code == 303
    with Session(get_engine_for(app)) as session:
        stored = session.exec(
            select(Response.free_text).where(Response.submission_id == hidden["submission_id"])
        ).one()
    assert stored == text
    # Shown back (for example after a conflict) only escaped.
    shown = respondent.submit({"free_text": text + "<b>x</b>"}, hidden).get_data(as_text=True)
    assert "<b>x</b>" not in shown
    assert html.escape(text + "<b>x</b>", quote=False) in shown.replace("&#39;", "'").replace(
        "&#34;", '"'
    )


out_of_range = st.one_of(
    st.integers().map(str).filter(lambda value: value not in {"1", "2", "3", "4", "5"}),
    st.text(max_size=40).filter(lambda value: value not in {"1", "2", "3", "4", "5", ""}),
)
FIELDS = ["likert_framja_halsa", "age_group", "municipality", "gender", "services", "on_behalf"]


@SETTINGS
@given(field=st.sampled_from(FIELDS), value=out_of_range)
def test_out_of_range_choices_store_nothing_and_never_fail(app, respondent, field, value):
    hidden = respondent.open_form()

    response = respondent.submit({"free_text": "Kortare köer.", field: value}, hidden)

    assert response.status_code in (400, 422)
    assert "Kortare köer." in response.get_data(as_text=True)
    with Session(get_engine_for(app)) as session:
        assert session.exec(select(Response)).all() == []
