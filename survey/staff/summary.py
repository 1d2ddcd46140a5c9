"""The strategy groups' summary page, its printable report and its CSV of figures."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from flask import Response as FlaskResponse
from flask import abort, current_app, render_template, request
from flask_babel import gettext as _

from analysis import charts
from analysis.labels import DIMENSIONS, LABEL_TITLES
from analysis.summary import Summary, SummaryFilter, build_summary, summary_rows
from forms.summary import SummaryFilterForm
from survey.db import get_session
from survey.i18n import current_language
from survey.staff import bp
from survey.staff.access import current_staff, refuse, roles_required
from survey.staff.auth import ALL_GROUP_ROLES, has_role, visible_target_groups

SUMMARY_ROLES = ("admin", "analyst", "strategy_group")


def _redactor():  # type: ignore[no-untyped-def]
    """Quotes pass through redaction; without it there are no quotes at all."""
    try:
        from analysis.redaction import redact
    except ImportError:  # pragma: no cover - redaction ships with the app
        return None
    return lambda text: redact(text)[0]


def _selection():  # type: ignore[no-untyped-def]
    """Parse the filters, limited to what the logged-in user may see."""
    user = current_staff()
    registry = current_app.extensions["viktigt.surveys"]
    surveys = registry.all()
    if not surveys:
        abort(404)
    language = current_language()
    form = SummaryFilterForm(request.args)
    definition = registry.get(form.survey.data or "") or surveys[0]
    form.survey.data = definition.id
    groups = visible_target_groups(user)
    allow_all = has_role(user, *ALL_GROUP_ROLES)
    form.configure(surveys, definition, language, groups, allow_all)
    requested_group = request.args.get("target_group") or None
    if requested_group and requested_group not in groups:
        refuse("target_group", user, target_group=requested_group)
    if not allow_all and not form.target_group.data:
        form.target_group.data = groups[0] if groups else None
    if not allow_all and not groups:
        refuse("target_group", user)
    form.validate()
    on_behalf = form.chosen(form.on_behalf)
    date_from, date_to = form.period() if not form.errors else (None, None)
    selection = SummaryFilter(
        survey_id=definition.id,
        date_from=date_from,
        date_to=date_to,
        municipality=form.chosen(form.municipality),
        age_group=form.chosen(form.age_group),
        on_behalf_of_other=None if on_behalf is None else on_behalf == "other",
        target_group=form.chosen(form.target_group),
    )
    return form, definition, selection


def _summary(definition, selection) -> Summary:  # type: ignore[no-untyped-def]
    waves = [
        survey.id
        for survey in current_app.extensions["viktigt.surveys"].all()
        if survey.framework == definition.framework
    ]
    return build_summary(
        session=get_session(),
        selection=selection,
        framework=definition.framework,
        statements=[(statement.id, statement.strategy) for statement in definition.statements],
        scale=definition.scale.values,
        k=current_app.config["MIN_CELL_SIZE"],
        redact=_redactor(),
        wave_survey_ids=waves,
    )


def _charts(summary: Summary, definition, language: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    hidden = _("Dolt: för få svar")
    titles = {label: LABEL_TITLES[label][language] for label in DIMENSIONS[definition.framework]}
    group = summary.filter.target_group
    rendered: dict[str, str] = {}
    for index, result in enumerate(summary.strategies):
        bars = [charts.Bar(_("Alla svar"), result.overall.share)]
        if group and result.group is not None:
            bars.insert(0, charts.Bar(LABEL_TITLES[group][language], result.group.share))
        rendered[f"share-{result.label}"] = charts.bar_chart(
            bars,
            title=_("Andel av fritextsvaren som handlar om %(s)s", s=titles[result.label]),
            description="; ".join(
                f"{bar.label}: {charts.percent(bar.value) if bar.value is not None else hidden}"
                for bar in bars
            ),
            hidden_text=hidden,
            ident=f"share-{index}",
        )
        if result.likert:
            steps = definition.scale.steps
            rendered[f"likert-{result.label}"] = charts.diverging_bar(
                [result.likert.steps[step.value].count for step in steps],
                [step.label.get(language) for step in steps],
                no_opinion=result.likert.no_opinion.count,
                no_opinion_label=definition.scale.no_opinion.get(language),
                title=_("Svar på påståendet om %(s)s", s=titles[result.label]),
                description=_("Fördelningen av svaren visas i tabellen under diagrammet."),
                hidden_text=hidden,
                ident=f"likert-{index}",
            )
    if len(summary.trend) > 1:
        rendered["trend"] = charts.line_chart(
            [point.period for point in summary.trend],
            [
                (
                    f"{number}. {titles[label]}",
                    [point.shares[label].share for point in summary.trend],
                )
                for number, label in enumerate(DIMENSIONS[definition.framework], start=1)
            ],
            title=_("Andel per strategi över tid"),
            description=_("Värdena finns i tabellen under diagrammet."),
            ident="trend",
        )
    return rendered


def _context():  # type: ignore[no-untyped-def]
    form, definition, selection = _selection()
    summary = _summary(definition, selection)
    language = current_language()
    return {
        "form": form,
        "survey": definition,
        "summary": summary,
        "charts": _charts(summary, definition, language),
        "titles": {label: titles[language] for label, titles in LABEL_TITLES.items()},
        "may_review": has_role(current_staff(), "analyst", "admin"),
        "choice_labels": {
            "municipality": {
                c.value: c.label.get(language) for c in definition.questions.municipality.choices
            },
            "age_group": {
                c.value: c.label.get(language) for c in definition.questions.age_group.choices
            },
        },
        "query": request.query_string.decode("ascii", "replace"),
        "generated": datetime.now(UTC),
    }


@bp.get("/sammanstallning")
@roles_required(*SUMMARY_ROLES)
def summary_page():  # type: ignore[no-untyped-def]
    return render_template("staff/summary.html", **_context())


@bp.get("/sammanstallning/rapport")
@roles_required(*SUMMARY_ROLES)
def summary_report():  # type: ignore[no-untyped-def]
    """The selection as one print-ready HTML file (styles inline), to save or print as PDF."""
    context = _context()
    css = (current_app.static_folder or "") + "/css/report.css"
    with open(css, encoding="utf-8") as handle:
        context["inline_css"] = handle.read()
    html = render_template("staff/report.html", **context)
    response = FlaskResponse(html, mimetype="text/html")
    # A self-contained document: its styles are inline, it loads nothing.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
    )
    name = f"viktigt-{context['survey'].id}-{context['generated']:%Y%m%d}.html"
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/sammanstallning.csv")
@roles_required(*SUMMARY_ROLES)
def summary_csv():  # type: ignore[no-untyped-def]
    """The aggregated figures, suppression applied (hidden cells are empty, with a reason)."""
    _form, definition, selection = _selection()
    summary = _summary(definition, selection)
    buffer = io.StringIO()
    rows = summary_rows(summary, definition.scale.values)
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["section"])
    writer.writeheader()
    writer.writerows(rows)
    response = FlaskResponse("\ufeff" + buffer.getvalue(), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="viktigt-{definition.id}-sammanstallning.csv"'
    )
    return response
