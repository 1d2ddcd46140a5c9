"""Research export page, export log, API tokens and the bearer API; export/import/purge
commands. A researcher never sees un-redacted text."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlmodel import select

from survey.db import get_engine_for, session_scope
from survey.demo import seed_demo
from survey.models import ApiToken, AuditEvent, ExportLog, Response
from survey.operations import ResponseDraft, submit_response
from tests.conftest import BOTH_DATABASES
from tests.survey.staff.conftest import csrf_token, form_token

SURVEY = "jonkoping-2030"
EXPORT_URL = "/personal/export/"
TOKENS_URL = "/personal/export/nycklar"
PII = "Ring Anna Svensson på 070-123 45 67, personnummer 19800101-1234."
PII_FRAGMENTS = ("Anna Svensson", "070-123 45 67", "19800101-1234")


@pytest.fixture
def seeded(app: Flask) -> Flask:
    """300 demo answers (redacted text like submitted ones) and one answer with PII."""
    from analysis.redaction import redact

    definition = app.extensions["viktigt.surveys"].get(SURVEY)
    texts = ["Kortare väntetider.", "Samma läkare varje gång.", "Mer personal."]
    with session_scope(get_engine_for(app)) as session:
        seed_demo(session=session, definition=definition, responses=300, texts=texts, classify=None)
        session.execute(
            update(Response)
            .where(Response.free_text.is_not(None))
            .values(redacted_text=Response.free_text)
        )
        submit_response(
            session=session,
            draft=ResponseDraft(
                survey_id=SURVEY,
                language="sv",
                free_text=PII,
                gender="annat",
                statement_ids=tuple(s.id for s in definition.statements),
            ),
            submission_id="00000000-0000-4000-8000-00000000abcd",
            redacted_text=redact(PII)[0],
        )
    return app


def post_export(client: FlaskClient, **data: str):  # type: ignore[no-untyped-def]
    token = form_token(client, EXPORT_URL)
    return client.post(EXPORT_URL, data={"csrf_token": token, "survey": SURVEY, **data})


def unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def export_logs(app: Flask) -> list[ExportLog]:
    with session_scope(get_engine_for(app)) as session:
        return list(session.exec(select(ExportLog).order_by(ExportLog.id)).all())


def audit_events(app: Flask, event: str) -> list[AuditEvent]:
    with session_scope(get_engine_for(app)) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.event == event)).all())


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize("role", ["analyst", "strategy_group"])
def test_only_researchers_and_admins_export(client, staff_user, logged_in, role) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, staff_user(role))
    assert client.get(EXPORT_URL).status_code == 403
    assert client.get(TOKENS_URL).status_code == 403


def test_export_page_needs_login(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(EXPORT_URL)
    assert response.status_code == 303 and "/personal/logga-in" in response.location


# --------------------------------------------------------------------------- web export


@BOTH_DATABASES
def test_researcher_downloads_a_logged_anonymised_export(
    seeded, client, staff_user, logged_in
) -> None:  # type: ignore[no-untyped-def]
    researcher = staff_user("researcher")
    logged_in(client, researcher)
    page = client.get(EXPORT_URL)
    assert page.status_code == 200 and "Exportera svar för forskning" in page.get_data(True)
    response = post_export(client, format="csv")
    assert response.status_code == 200, response.get_data(True)[:500]
    assert response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    files = unzip(response.get_data())
    data_name = next(name for name in files if name.endswith(".csv"))
    assert any(name.endswith("-kodbok.md") for name in files)
    frame = pd.read_csv(io.BytesIO(files[data_name]), dtype=str, keep_default_na=False)
    assert len(frame) == 301
    everything = b"".join(files.values())
    for fragment in PII_FRAGMENTS:
        assert fragment.encode() not in everything
    assert "[TELEFON]" in " ".join(frame["text_redacted"])
    (entry,) = export_logs(seeded)
    assert (entry.user_id, entry.username, entry.channel) == (
        researcher.id,
        researcher.username,
        "web",
    )
    assert (entry.survey_id, entry.format, entry.rows) == (SURVEY, "csv", 301)
    assert entry.k_reached >= 5 and entry.generalised["k"] == 5
    assert entry.filters == {"survey_id": SURVEY, "date_from": None, "date_to": None}
    (event,) = audit_events(seeded, "export")
    assert event.detail["export_log_id"] == entry.id


@pytest.mark.parametrize("fmt", ["sav", "dta", "jsonl"])
def test_other_formats_download_as_zip(seeded, client, staff_user, logged_in, fmt) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, staff_user("researcher"))
    since = (date.today() - timedelta(days=200)).isoformat()
    response = post_export(client, format=fmt, date_from=since)
    assert response.status_code == 200
    files = unzip(response.get_data())
    assert any(name.endswith(f".{fmt}") for name in files)
    book = json.loads(next(v for k, v in files.items() if k.endswith(".json")))
    assert book["filters"]["date_from"] == since and book["format"] == fmt
    assert export_logs(seeded)[0].filters["date_from"] == since


def test_invalid_form_and_too_small_selection(seeded, client, staff_user, logged_in) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, staff_user("admin"))
    assert post_export(client, format="xlsx").status_code == 422
    assert (
        post_export(client, format="csv", date_from="2026-02-01", date_to="2026-01-01").status_code
        == 422
    )
    future = (date.today() + timedelta(days=10)).isoformat()
    response = post_export(client, format="csv", date_from=future)
    assert response.status_code == 422
    assert "för få svar" in response.get_data(True)
    assert export_logs(seeded) == []


def test_admin_sees_the_export_log_researcher_does_not(
    seeded, client, staff_user, logged_in, clock
) -> None:  # type: ignore[no-untyped-def]
    from tests.survey.staff.conftest import log_out

    researcher = staff_user("researcher")
    logged_in(client, researcher)
    post_export(client, format="jsonl")
    assert client.get("/personal/export/logg").status_code == 403
    log_out(client)
    clock.advance(seconds=31)
    logged_in(client, staff_user("admin"))
    page = client.get("/personal/export/logg")
    assert page.status_code == 200
    text = page.get_data(True)
    assert researcher.username in text and "jsonl" in text and SURVEY in text


def test_researcher_reads_no_answer_pages(seeded, client, staff_user, logged_in) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, staff_user("researcher"))
    for url in ("/personal/granskning", "/personal/sammanstallning", "/personal/papper/" + SURVEY):
        assert client.get(url).status_code in (403, 404), url


# --------------------------------------------------------------------------- tokens and API


def create_token(client: FlaskClient, name: str = "mitt skript") -> str:
    page = client.post(
        TOKENS_URL, data={"csrf_token": form_token(client, TOKENS_URL), "name": name}
    )
    assert page.status_code == 200
    text = page.get_data(True)
    start = text.index('<code class="api-token">') + len('<code class="api-token">')
    return text[start : text.index("</code>", start)]


@BOTH_DATABASES
def test_api_export_with_a_bearer_token(seeded, client, staff_user, logged_in, app) -> None:  # type: ignore[no-untyped-def]
    researcher = staff_user("researcher")
    logged_in(client, researcher)
    token = create_token(client)
    assert token.startswith("vkt_")
    # Shown once: the list does not show it again, and only its hash is stored.
    assert token not in client.get(TOKENS_URL).get_data(True)
    with session_scope(get_engine_for(app)) as session:
        (row,) = session.exec(select(ApiToken)).all()
        assert token not in row.token_hash and len(row.token_hash) == 64

    api = app.test_client()  # no cookies: the token alone
    url = f"/api/v1/export?survey={SURVEY}&format=dta"
    response = api.get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert any(name.endswith(".dta") for name in unzip(response.get_data()))
    (entry,) = export_logs(app)
    assert (entry.channel, entry.user_id, entry.format) == ("api", researcher.id, "dta")

    assert api.get(url).status_code == 401
    assert api.get(url, headers={"Authorization": "Bearer vkt_wrong"}).status_code == 401
    bad = api.get(
        "/api/v1/export?survey=nope&format=csv", headers={"Authorization": f"Bearer {token}"}
    )
    assert bad.status_code == 404

    page = client.get(TOKENS_URL).get_data(True)
    revoke_url = f"/personal/export/nycklar/{row.id}/aterkalla"
    assert revoke_url in page
    response = client.post(revoke_url, data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert api.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    reasons = {event.detail.get("reason") for event in audit_events(app, "refused")}
    assert {"api_token_revoked", "api_token_unknown"} <= reasons


def test_a_token_stops_working_when_the_role_goes(
    seeded, client, staff_user, logged_in, app
) -> None:  # type: ignore[no-untyped-def]
    researcher = staff_user("researcher")
    logged_in(client, researcher)
    token = create_token(client)
    from survey.models import StaffUser

    with session_scope(get_engine_for(app)) as session:
        user = session.get(StaffUser, researcher.id)
        user.roles = ["analyst"]
        session.add(user)
    response = app.test_client().get(
        f"/api/v1/export?survey={SURVEY}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
    assert export_logs(app) == []


# --------------------------------------------------------------------------- commands


def test_export_command_writes_data_and_codebook(seeded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = seeded.test_cli_runner()
    for fmt, suffix in (("csv", ".csv"), ("sav", ".sav"), ("dta", ".dta"), ("jsonl", ".jsonl")):
        out = tmp_path / fmt
        result = runner.invoke(
            args=["export", "--survey", SURVEY, "--format", fmt, "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        names = sorted(path.name for path in out.iterdir())
        assert [name for name in names if name.endswith(suffix)], names
        assert any(name.endswith("-kodbok.md") for name in names)
        assert any(name.endswith("-kodbok.json") for name in names)
        assert "reached" in result.output
    logs = export_logs(seeded)
    assert [log.format for log in logs] == ["csv", "sav", "dta", "jsonl"]
    assert all(log.channel == "cli" and log.rows == 301 for log in logs)
    result = runner.invoke(
        args=["export", "--survey", "nope", "--format", "csv", "--out", str(tmp_path)]
    )
    assert result.exit_code != 0


def test_import_command_all_or_nothing(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "papper.jsonl"
    rows = [
        {"text": "Jag heter Anna Svensson och vill ha kortare köer.", "gender": "kvinna"},
        {"text": "Bra", "age_group": "hundra"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", "--survey", SURVEY, str(path)])
    assert result.exit_code == 1
    assert "rad 2, fält age_group" in result.output and "Nothing imported" in result.output
    with session_scope(get_engine_for(app)) as session:
        assert session.exec(select(Response)).all() == []
    result = runner.invoke(args=["import", "--survey", SURVEY, "--skip-bad-rows", str(path)])
    assert result.exit_code == 0, result.output
    with session_scope(get_engine_for(app)) as session:
        (stored,) = session.exec(select(Response)).all()
        assert stored.mode == "paper" and stored.has_free_text
        assert stored.redacted_text == "Jag heter [NAMN] och vill ha kortare köer."
    (event,) = audit_events(app, "import")
    assert event.detail["stored"] == 1 and event.detail["skipped"] == 1
    again = runner.invoke(args=["import", "--survey", SURVEY, "--skip-bad-rows", str(path)])
    assert "0 answers" in again.output


def test_purge_deletes_originals_past_retention(app) -> None:  # type: ignore[no-untyped-def]
    definition = app.extensions["viktigt.surveys"].get(SURVEY)
    today = date(2026, 6, 1)
    retention = timedelta(days=definition.retention_days)
    with session_scope(get_engine_for(app)) as session:
        for number, (age, redacted) in enumerate(
            [
                (retention + timedelta(days=1), "redigerad"),
                (retention + timedelta(days=5), None),
                (retention, None),
            ]
        ):
            submit_response(
                session=session,
                draft=ResponseDraft(
                    survey_id=SURVEY,
                    language="sv",
                    free_text=f"Anna Svensson svar {number}",
                    statement_ids=(),
                ),
                submission_id=f"00000000-0000-4000-8000-00000000000{number}",
                today=today - age,
            )
            if redacted:
                session.execute(update(Response).values(redacted_text=redacted))
    result = app.test_cli_runner().invoke(
        args=["purge", "--survey", SURVEY, "--today", "2026-06-01"]
    )
    assert result.exit_code == 0, result.output
    with session_scope(get_engine_for(app)) as session:
        rows = session.exec(select(Response).order_by(Response.id)).all()
        assert [r.free_text is None for r in rows] == [True, True, False]
        assert rows[0].redacted_text == "redigerad"
        assert rows[1].redacted_text == "[NAMN] svar 1"  # redacted before the original went
        assert all(r.has_free_text for r in rows)
    (event,) = audit_events(app, "purge")
    assert event.detail["purged"] == 2 and event.detail["redacted_first"] == 1
    assert "Anna" not in json.dumps(event.detail)
