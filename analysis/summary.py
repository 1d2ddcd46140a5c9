"""Themed summaries for strategy groups, counted in the database, suppressed before display.

Everything is aggregated in SQL over the denormalised columns of ``response`` (label bitmask,
has-free-text flag and rating codes), so a million answers cost a few indexed scans and never
travel to Python one by one. Every figure is passed through :mod:`analysis.suppression`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, func, literal_column
from sqlmodel import Session, select

from analysis.labels import ALL_LABELS, DIMENSIONS
from analysis.suppression import (
    SMALL,
    TOTAL_SMALL,
    Cell,
    check_k,
    suppress_share,
    suppress_subset,
    suppress_table,
)
from analysis.text import FUNCTION_WORDS, NUMBER_TOKEN, lemmas, normalise
from survey.models import LabelReview, Response, ResponseLabel
from survey.operations import NO_OPINION_CODE as NO_OPINION
from survey.operations import UNANSWERED_CODE as UNANSWERED
from survey.operations import likert_code

LABEL_BIT = {label: 1 << bit for bit, label in enumerate(ALL_LABELS)}
NOT_STATED = "-"
QUOTES_PER_STRATEGY = 3
TERMS_PER_STRATEGY = 8
Redactor = Callable[[str], str]


@dataclass(frozen=True)
class SummaryFilter:
    """The selection a summary is about. ``target_group`` None means all answers."""

    survey_id: str
    date_from: date | None = None
    date_to: date | None = None
    municipality: str | None = None
    age_group: str | None = None
    on_behalf_of_other: bool | None = None
    target_group: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """Conditions on ``response`` for everything but the target group."""
        conditions: list[ColumnElement[bool]] = [Response.survey_id == self.survey_id]
        if self.date_from:
            conditions.append(Response.submitted_on >= self.date_from)
        if self.date_to:
            conditions.append(Response.submitted_on <= self.date_to)
        if self.municipality:
            conditions.append(Response.municipality == self.municipality)
        if self.age_group:
            conditions.append(Response.age_group == self.age_group)
        if self.on_behalf_of_other is not None:
            conditions.append(Response.on_behalf_of_other == self.on_behalf_of_other)
        return conditions


@dataclass(frozen=True)
class Quote:
    response_id: int
    text: str  # redacted, otherwise verbatim


@dataclass(frozen=True)
class LikertResult:
    statement_id: str
    steps: dict[int, Cell]
    no_opinion: Cell
    answered: int


@dataclass
class StrategyResult:
    label: str
    overall: Cell  # share of all free-text answers coded to the strategy
    group: Cell | None  # share of the target group's answers coded to it
    likert: LikertResult | None
    quotes: list[Quote] = field(default_factory=list)
    quotes_hidden: str | None = None
    terms: list[str] = field(default_factory=list)
    terms_hidden: str | None = None


@dataclass
class TrendPoint:
    period: str
    shares: dict[str, Cell]
    answers: int | None


@dataclass
class Summary:
    filter: SummaryFilter
    k: int
    answers: Cell  # answers in the selection (all, not only the target group)
    with_free_text: Cell
    group_answers: Cell | None  # answers coded to the target group
    by_municipality: dict[str, Cell]
    by_age_group: dict[str, Cell]
    strategies: list[StrategyResult]
    trend: list[TrendPoint]
    waves: list[TrendPoint]
    reviewed: Cell


def _has(mask_column, label: str) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    return mask_column.op("&")(LABEL_BIT[label]) != 0


def _month(session: Session):  # type: ignore[no-untyped-def]
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(Response.submitted_on, literal_column("'YYYY-MM'"))
    return func.strftime("%Y-%m", Response.submitted_on)


def quarter(month: str) -> str:
    year, number = month.split("-")
    return f"{year} K{(int(number) - 1) // 3 + 1}"


def _group_counts(rows: Sequence, labels: Sequence[str]) -> tuple[int, Counter]:  # type: ignore[type-arg]
    """Total and per-label counts from (label_mask, count) rows."""
    total = 0
    counts: Counter[str] = Counter()
    for mask, count in rows:
        total += count
        for label in labels:
            if mask & LABEL_BIT[label]:
                counts[label] += count
    return total, counts


def _decode_likert(
    rows: Sequence[tuple[str, int]], statement_ids: Sequence[str], scale: Sequence[int], k: int
) -> dict[str, LikertResult]:
    counts: dict[str, Counter[str]] = {statement_id: Counter() for statement_id in statement_ids}
    for codes, count in rows:
        for position, statement_id in enumerate(statement_ids):
            code = codes[position] if position < len(codes) else UNANSWERED
            counts[statement_id][code] += count
    results = {}
    for statement_id, by_code in counts.items():
        table = {str(step): by_code[likert_code(step)] for step in scale}
        table[NO_OPINION] = by_code[NO_OPINION]
        answered = sum(table.values())
        cells = suppress_table(table, k, total=answered)
        results[statement_id] = LikertResult(
            statement_id=statement_id,
            steps={step: cells[str(step)] for step in scale},
            no_opinion=cells[NO_OPINION],
            answered=answered,
        )
    return results


def build_summary(
    *,
    session: Session,
    selection: SummaryFilter,
    framework: str,
    statements: Sequence[tuple[str, str]],
    scale: Sequence[int],
    k: int = 5,
    redact: Redactor | None = None,
    wave_survey_ids: Sequence[str] = (),
) -> Summary:
    """Aggregate one selection. ``statements`` are (statement id, strategy) in survey order.

    Quotes are only shown when ``redact`` is given: free text never leaves unredacted.
    """
    k = check_k(k)
    strategies = DIMENSIONS[framework]
    group = selection.target_group
    conditions = selection.conditions()

    # One scan: who answered, where, and what their free text was coded to.
    rows = session.exec(
        select(
            Response.municipality,
            Response.age_group,
            Response.has_free_text,
            Response.label_mask,
            func.count(),
        )
        .where(*conditions)
        .group_by(
            Response.municipality, Response.age_group, Response.has_free_text, Response.label_mask
        )
    ).all()
    total = sum(row[4] for row in rows)
    text_rows = [(mask, count) for _m, _a, has_text, mask, count in rows if has_text]
    with_text, overall_counts = _group_counts(text_rows, strategies)
    in_group = [(mask, count) for mask, count in text_rows if not group or mask & LABEL_BIT[group]]
    group_total, group_counts = _group_counts(in_group, strategies)

    answers = Cell(total, total) if total >= k else Cell(None, None, TOTAL_SMALL)
    text_cell = suppress_share(with_text, total, k)
    group_cell = None
    if group:
        group_cell = suppress_subset(suppress_share(group_total, with_text, k), with_text, k)

    # Breakdowns describe the selection shown: the target group's answers when one is chosen.
    by_municipality: Counter[str] = Counter()
    by_age: Counter[str] = Counter()
    all_municipality: Counter[str] = Counter()
    all_age: Counter[str] = Counter()
    for municipality, age_group, has_text, mask, count in rows:
        all_municipality[municipality or NOT_STATED] += count
        all_age[age_group or NOT_STATED] += count
        if group and not (has_text and mask & LABEL_BIT[group]):
            continue
        by_municipality[municipality or NOT_STATED] += count
        by_age[age_group or NOT_STATED] += count

    likert_query = select(Response.likert_codes, func.count()).where(*conditions)
    if group:
        likert_query = likert_query.where(_has(Response.label_mask, group))
    likert_rows = session.exec(likert_query.group_by(Response.likert_codes)).all()
    statement_ids = [statement_id for statement_id, _strategy in statements]
    likert = _decode_likert(likert_rows, statement_ids, scale, k)
    statement_of = {strategy: statement_id for statement_id, strategy in statements}

    results = []
    for label in strategies:
        overall = suppress_share(overall_counts[label], with_text, k)
        result = StrategyResult(
            label=label,
            overall=overall,
            group=(
                suppress_subset(
                    suppress_share(group_counts[label], group_total, k), overall_counts[label], k
                )
                if group
                else None
            ),
            likert=likert.get(statement_of.get(label, "")),
        )
        # Quotes and terms need k answers coded to the strategy in the selection. (A share
        # hidden only because few answers lack the strategy does not hide them.)
        base = group_counts[label] if group else overall_counts[label]
        if base < k:
            result.quotes_hidden = result.terms_hidden = SMALL
        elif redact is None:
            result.quotes_hidden = "redaction"
        results.append(result)
    _add_quotes_and_terms(session, selection, results, k, redact)

    return Summary(
        filter=selection,
        k=k,
        answers=answers,
        with_free_text=text_cell,
        group_answers=group_cell,
        by_municipality=suppress_table(
            dict(by_municipality), k, wider=all_municipality if group else None
        ),
        by_age_group=suppress_table(dict(by_age), k, wider=all_age if group else None),
        strategies=results,
        trend=_trend(session, selection, strategies, k),
        waves=_waves(session, selection, strategies, wave_survey_ids, k),
        reviewed=_reviewed(session, selection, k),
    )


def _trend(
    session: Session, selection: SummaryFilter, strategies: Sequence[str], k: int
) -> list[TrendPoint]:
    month = _month(session)
    query = (
        select(month, Response.label_mask, func.count())
        .where(*selection.conditions(), Response.has_free_text)
        .group_by(month, Response.label_mask)
    )
    if selection.target_group:
        query = query.where(_has(Response.label_mask, selection.target_group))
    per_period: dict[str, list[tuple[int, int]]] = defaultdict(list)
    rows = session.exec(query).all()
    months = {row[0] for row in rows}
    by_quarter = len(months) > 12
    for period, mask, count in rows:
        per_period[quarter(period) if by_quarter else period].append((mask, count))
    return [_point(period, per_period[period], strategies, k) for period in sorted(per_period)]


def _point(
    period: str, rows: list[tuple[int, int]], strategies: Sequence[str], k: int
) -> TrendPoint:
    total, counts = _group_counts(rows, strategies)
    return TrendPoint(
        period=period,
        shares={label: suppress_share(counts[label], total, k) for label in strategies},
        answers=total if total >= k else None,
    )


def _waves(
    session: Session,
    selection: SummaryFilter,
    strategies: Sequence[str],
    survey_ids: Sequence[str],
    k: int,
) -> list[TrendPoint]:
    """The same figures for each survey wave of the framework (other survey files)."""
    if len(survey_ids) < 2:
        return []
    points = []
    for survey_id in survey_ids:
        wave = SummaryFilter(
            survey_id=survey_id,
            municipality=selection.municipality,
            age_group=selection.age_group,
            on_behalf_of_other=selection.on_behalf_of_other,
            target_group=selection.target_group,
        )
        query = (
            select(Response.label_mask, func.count())
            .where(*wave.conditions(), Response.has_free_text)
            .group_by(Response.label_mask)
        )
        if wave.target_group:
            query = query.where(_has(Response.label_mask, wave.target_group))
        points.append(_point(survey_id, list(session.exec(query).all()), strategies, k))
    return points


def _reviewed(session: Session, selection: SummaryFilter, k: int) -> Cell:
    query = (
        select(func.count(func.distinct(LabelReview.response_id)))
        .join(Response, Response.id == LabelReview.response_id)
        .where(*selection.conditions())
    )
    if selection.target_group:
        query = query.where(_has(Response.label_mask, selection.target_group))
    count = session.exec(query).one()
    return Cell(count, None) if count == 0 or count >= k else Cell(None, None, SMALL)


def _candidates(
    session: Session, selection: SummaryFilter, label: str, limit: int
) -> list[tuple[int, str, str | None, str | None]]:
    """The answers coded to ``label`` that the model is surest of (reviewed ones first)."""
    confidence = func.coalesce(ResponseLabel.score, 2.0)
    query = (
        select(Response.id, Response.free_text, Response.municipality, Response.age_group)
        .join(ResponseLabel, ResponseLabel.response_id == Response.id)
        .where(ResponseLabel.label == label, *selection.conditions(), Response.has_free_text)
        .order_by(confidence.desc(), Response.id)
        .limit(limit)
    )
    if selection.target_group:
        query = query.where(_has(Response.label_mask, selection.target_group))
    return [tuple(row) for row in session.exec(query).all()]


def _words(text: str) -> set[str]:
    return {
        lemma
        for lemma in lemmas(normalise(text))
        if lemma not in FUNCTION_WORDS and lemma != NUMBER_TOKEN and len(lemma) > 2
    }


def _pick_quotes(
    candidates: list[tuple[int, str, str | None, str | None]], redact: Redactor
) -> list[Quote]:
    """Up to three quotes: confident, of readable length, unlike each other and from
    different places and ages where possible."""
    chosen: list[Quote] = []
    seen_words: list[set[str]] = []
    seen_people: set[tuple[str | None, str | None]] = set()
    for relax in (False, True):
        for response_id, text, municipality, age_group in candidates:
            if len(chosen) == QUOTES_PER_STRATEGY:
                return chosen
            if any(quote.response_id == response_id for quote in chosen):
                continue
            if not 15 <= len(text) <= 600:
                continue
            words = _words(text)
            similar = any(
                len(words & other) / max(1, len(words | other)) > 0.4 for other in seen_words
            )
            if similar or (not relax and (municipality, age_group) in seen_people):
                continue
            chosen.append(Quote(response_id=response_id, text=redact(text)))
            seen_words.append(words)
            seen_people.add((municipality, age_group))
    return chosen


def _add_quotes_and_terms(
    session: Session,
    selection: SummaryFilter,
    results: list[StrategyResult],
    k: int,
    redact: Redactor | None,
) -> None:
    pools = {
        result.label: _candidates(session, selection, result.label, limit=300)
        for result in results
        if result.terms_hidden is None
    }
    documents = {label: [_words(row[1]) for row in rows] for label, rows in pools.items()}
    for result in results:
        if result.label not in pools:
            continue
        if redact is not None and result.quotes_hidden is None:
            result.quotes = _pick_quotes(pools[result.label], redact)
        background = [
            words for label, docs in documents.items() if label != result.label for words in docs
        ]
        result.terms = characteristic_terms(documents[result.label], background, k)


def characteristic_terms(
    foreground: list[set[str]], background: list[set[str]], k: int, top: int = TERMS_PER_STRATEGY
) -> list[str]:
    """Words typical of ``foreground`` answers against ``background`` answers.

    Weighted log-odds with an informative prior (Monroe et al. 2008) on document frequencies;
    a word must occur in at least ``k`` answers so that no term points at a few people.
    """
    if len(foreground) < k:
        return []
    fg: Counter[str] = Counter(word for words in foreground for word in words)
    bg: Counter[str] = Counter(word for words in background for word in words)
    prior = fg + bg
    prior_total = sum(prior.values()) or 1
    alpha = 10.0
    fg_total, bg_total = sum(fg.values()) or 1, sum(bg.values()) or 1
    scores = {}
    for word, count in fg.items():
        if count < k:
            continue
        a = alpha * prior[word] / prior_total
        other = bg[word]
        delta = math.log((count + a) / (fg_total + alpha - count - a)) - math.log(
            (other + a) / (bg_total + alpha - other - a)
        )
        variance = 1 / (count + a) + 1 / (other + a)
        scores[word] = delta / math.sqrt(variance)
    return [word for word, score in sorted(scores.items(), key=lambda item: -item[1]) if score > 0][
        :top
    ]


def summary_rows(summary: Summary, scale: Sequence[int]) -> list[dict[str, object]]:
    """Every figure of a summary as flat rows for CSV; hidden cells are empty with a reason."""
    selection = summary.filter
    rows: list[dict[str, object]] = []

    def add(section: str, key: str, cell: Cell, group: str = "") -> None:
        rows.append(
            {
                "survey": selection.survey_id,
                "date_from": selection.date_from or "",
                "date_to": selection.date_to or "",
                "municipality_filter": selection.municipality or "",
                "age_group_filter": selection.age_group or "",
                "on_behalf_filter": ""
                if selection.on_behalf_of_other is None
                else int(selection.on_behalf_of_other),
                "target_group": group,
                "section": section,
                "key": key,
                "count": "" if cell.count is None else cell.count,
                "base": "" if cell.total is None else cell.total,
                "share": "" if cell.share is None else round(cell.share, 4),
                "hidden_because": cell.reason or "",
            }
        )

    add("answers", "all", summary.answers)
    add("answers", "with_free_text", summary.with_free_text)
    if summary.group_answers is not None:
        add("answers", "coded_to_target_group", summary.group_answers, selection.target_group or "")
    breakdown_group = selection.target_group or ""
    for key, cell in summary.by_municipality.items():
        add("municipality", key, cell, breakdown_group)
    for key, cell in summary.by_age_group.items():
        add("age_group", key, cell, breakdown_group)
    for result in summary.strategies:
        add("strategy_share", result.label, result.overall)
        if result.group is not None:
            add("strategy_share", result.label, result.group, breakdown_group)
        if result.likert:
            for step in scale:
                add(
                    f"likert:{result.likert.statement_id}",
                    str(step),
                    result.likert.steps[step],
                    breakdown_group,
                )
            add(
                f"likert:{result.likert.statement_id}",
                "no_opinion",
                result.likert.no_opinion,
                breakdown_group,
            )
    for point in summary.trend:
        for label, cell in point.shares.items():
            add(f"trend:{point.period}", label, cell, breakdown_group)
    for point in summary.waves:
        for label, cell in point.shares.items():
            add(f"wave:{point.period}", label, cell, breakdown_group)
    add("reviewed_by_person", "answers", summary.reviewed, breakdown_group)
    return rows
