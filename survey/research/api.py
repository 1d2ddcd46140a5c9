"""The researchers' API: ``GET /api/v1/export?survey=ID&format=csv|sav|dta|jsonl[&from=&to=]``
with ``Authorization: Bearer <token>``. Answers a zip (data file and codebook), like the page.

Tokens are made and revoked on /personal/export/nycklar. Refusals are audited.
"""

from __future__ import annotations

from flask import current_app, jsonify, request

from analysis.export import FORMATS, ExportError, ExportFilter
from survey.research import api_bp
from survey.research.tokens import user_for_token
from survey.research.views import parse_day, stream_export
from survey.staff.access import queue_audit, security_transaction


def _error(status: int, code: str, message: str):  # type: ignore[no-untyped-def]
    response = jsonify({"error": code, "message": message})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="viktigt"'
    return response


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


@api_bp.get("/export")
def export():  # type: ignore[no-untyped-def]
    token = _bearer_token()
    if token is None:
        return _error(401, "token_missing", "Send Authorization: Bearer <token>.")
    with security_transaction() as session:
        user, reason = user_for_token(session=session, token=token)
    if user is None or reason:
        queue_audit(
            "refused",
            user=user,
            detail={"reason": f"api_token_{reason}", "path": request.path},
        )
        if reason == "role":
            return _error(403, "forbidden", "The token's account may not export.")
        return _error(401, "token_invalid", "The token is unknown, revoked or inactive.")
    survey_id = request.args.get("survey", "")
    fmt = request.args.get("format", "csv")
    definition = current_app.extensions["viktigt.surveys"].get(survey_id)
    if definition is None:
        return _error(404, "unknown_survey", "No survey with that id.")
    if fmt not in FORMATS:
        return _error(400, "unknown_format", f"format is one of {', '.join(FORMATS)}.")
    try:
        filters = ExportFilter(
            definition.id, parse_day(request.args.get("from")), parse_day(request.args.get("to"))
        )
    except ValueError:
        return _error(400, "bad_date", "from and to are dates, YYYY-MM-DD.")
    try:
        return stream_export(definition, filters, fmt, channel="api", user=user)
    except ExportError as error:
        return _error(422, "too_few_answers", str(error))
