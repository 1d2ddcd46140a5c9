"""What a respondent sees: both surveys, both languages, and every kind of bad input."""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import FULL_ANSWER, Respondent

SURVEYS = {
    "jonkoping-2030": {"statements": 4, "no_opinion": {"sv": "Vet inte", "en": "Don't know"}},
    "jamtland-2023": {
        "statements": 5,
        "no_opinion": {"sv": "Ingen uppfattning", "en": "No opinion"},
    },
}


@pytest.mark.parametrize("survey_id", SURVEYS)
@pytest.mark.parametrize("language", ["sv", "en"])
def test_questionnaire_renders_in_both_languages(client, survey_id, language):
    response = client.get(f"/{survey_id}/svar?lang={language}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{language}">' in page
    assert page.count("<fieldset") == SURVEYS[survey_id]["statements"] + 4  # + background
    assert page.count("<legend") == page.count("<fieldset")
    assert SURVEYS[survey_id]["no_opinion"][language] in html.unescape(page)
    question = {"sv": "Vad är viktigt för dig", "en": "What is important to you"}[language]
    assert question in page


def test_every_input_has_a_label(client):
    page = client.get("/jamtland-2023/svar").get_data(as_text=True)

    inputs = re.findall(r'<(?:input|textarea|select)[^>]*id="([^"]+)"[^>]*>', page)
    visible = [input_id for input_id in inputs if input_id not in {"csrf_token", "submission_id"}]
    assert visible
    for input_id in visible:
        assert f'for="{input_id}"' in page, input_id


def test_jamtland_scale_runs_one_to_six_with_no_opinion_apart(client):
    page = client.get("/jamtland-2023/svar").get_data(as_text=True)

    values = re.findall(r'name="likert_delaktighet" type="radio" value="([^"]+)"', page)
    assert values == ["1", "2", "3", "4", "5", "6", "no_opinion"]


def test_information_page_tells_what_happens_with_the_answers(client):
    page = client.get("/jonkoping-2030/").get_data(as_text=True)

    assert "anonyma" in page
    assert "Skriv inte namn, personnummer" in page
    assert "Region Jönköpings län" in page
    assert 'href="/jonkoping-2030/svar"' in page


def test_thank_you_page_says_what_happens_next(respondent, client):
    response = respondent.submit(FULL_ANSWER)
    page = client.get(response.headers["Location"]).get_data(as_text=True)

    assert "Tack för ditt svar" in page
    assert "Vad händer nu?" in page


def test_accessibility_statement_is_linked_from_every_page(client):
    for url in ("/", "/jonkoping-2030/", "/jonkoping-2030/svar", "/finns-inte/"):
        page = client.get(url).get_data(as_text=True)
        assert "/tillganglighet" in page, url
    statement = client.get("/tillganglighet").get_data(as_text=True)
    assert "Rapportera ett problem" in statement


def test_a_barrier_report_is_stored_and_a_bad_one_keeps_the_text(client, app):
    hidden = Respondent(client).open_form()
    token = {"csrf_token": hidden["csrf_token"]}

    bad = client.post("/tillganglighet", data={**token, "page": "x" * 301, "description": ""})
    assert bad.status_code == 422
    assert "x" * 301 in bad.get_data(as_text=True)

    good = client.post(
        "/tillganglighet", data={**token, "page": "/svar", "description": "Knappen syns inte."}
    )
    assert good.status_code == 303
    assert "Tack! Vi har tagit emot" in client.get(good.headers["Location"]).get_data(as_text=True)


def _assert_kept(page: str) -> None:
    assert "Att jag får träffa samma läkare varje gång." in page
    assert re.search(r'value="80-89"\s+checked|checked[^>]*value="80-89"', page)
    assert re.search(r'<option selected value="vetlanda">|value="vetlanda" selected', page)


def test_too_long_text_is_refused_with_a_message_and_kept(respondent):
    long_text = "Att jag får träffa samma läkare varje gång. " + "å" * 5000
    response = respondent.submit({**FULL_ANSWER, "free_text": long_text})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Texten är för lång" in page
    assert 'href="#free_text"' in page  # the error summary links to the field
    assert long_text in page
    _assert_kept(page)


def test_tampered_choice_gets_a_message_and_keeps_everything_else(respondent, app):
    response = respondent.submit({**FULL_ANSWER, "likert_framja_halsa": "7", "gender": "x"})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.count("Välj ett av alternativen i listan.") == 4  # summary + field, twice
    assert 'href="#likert_framja_halsa-0"' in page
    _assert_kept(page)


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_missing_or_forged_csrf_token_keeps_the_answers(respondent, token):
    hidden = respondent.open_form()
    if token is None:
        hidden.pop("csrf_token")
    else:
        hidden["csrf_token"] = token

    response = respondent.submit(FULL_ANSWER, hidden)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Dina svar finns kvar" in page
    _assert_kept(page)
    fresh = dict(re.findall(r'name="(csrf_token)"[^>]*value="([^"]+)"', page))
    assert respondent.submit(FULL_ANSWER, {**hidden, **fresh}).status_code == 303


def test_stale_csrf_token_keeps_the_answers(app, respondent, monkeypatch):
    hidden = respondent.open_form()
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    import itsdangerous.timed

    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 3600)

    response = respondent.submit(FULL_ANSWER, hidden)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Sidan har varit öppen länge" in page
    _assert_kept(page)


def test_closed_survey_refuses_politely_and_keeps_the_text(app, respondent, monkeypatch):
    hidden = respondent.open_form()
    definition = app.extensions["viktigt.surveys"].get("jonkoping-2030")
    monkeypatch.setattr(type(definition), "is_open", lambda self, today: False)

    response = respondent.submit(FULL_ANSWER, hidden)

    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "Enkäten har stängt" in page
    _assert_kept(page)


def test_an_empty_form_asks_for_at_least_one_answer(respondent):
    response = respondent.submit({})

    assert response.status_code == 422
    assert "Svara på minst en fråga" in response.get_data(as_text=True)


def test_none_of_these_cannot_be_combined(respondent):
    response = respondent.submit({**FULL_ANSWER, "services": ["inget", "sjukhus"]})

    assert response.status_code == 422
    assert "Inget av dessa" in response.get_data(as_text=True)


def test_switching_language_on_the_form_keeps_what_was_typed(respondent):
    hidden = respondent.open_form()

    response = respondent.submit({**FULL_ANSWER, "switch_language": "en"}, hidden)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="en">' in page
    assert "Something needs to be corrected" not in page
    _assert_kept(page)
    assert f'value="{hidden["submission_id"]}"' in page


def test_english_error_messages(respondent):
    respondent.open_form(language="en")
    response = respondent.submit({**FULL_ANSWER, "free_text": "a" * 5001})

    page = response.get_data(as_text=True)
    assert "The text is too long" in page
    assert "Something needs to be corrected" in page
    assert "<title>Error:" in page


def test_unknown_survey_is_a_friendly_404(client):
    response = client.get("/okand-enkat/svar")

    assert response.status_code == 404
    assert "Sidan finns inte" in response.get_data(as_text=True)


def test_language_link_only_redirects_within_the_site(client):
    response = client.get("/sprak/en?next=https://evil.example/")

    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_no_tracking_cookie_and_strict_headers(client):
    response = client.get("/jonkoping-2030/")

    assert "Set-Cookie" not in response.headers
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_every_form_gets_its_own_submission_id_and_a_working_token(client):
    first = Respondent(client).open_form()
    second = Respondent(client).open_form()

    assert first["submission_id"] != second["submission_id"]
    for hidden in (first, second):
        response = Respondent(client).submit({"free_text": "Kortare köer."}, hidden)
        assert response.status_code == 303
