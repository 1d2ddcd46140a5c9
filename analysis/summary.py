"""Themed summaries for strategy groups, counted in the database, suppressed before display.

Everything is aggregated in SQL over the denormalised columns of ``response`` (label bitmask,
has-free-text flag and rating codes), so a million answers cost a few indexed scans and never
travel to Python one by one. The main count, the trend and the survey waves read the monthly
tallies (``response_tally``, kept by database triggers) instead of the answers when the period
is whole months or open: a fifth as many rows. Every figure is passed through
:mod:`analysis.suppression`.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, DateTime, String, UnaryExpression, cast, func
from sqlalchemy.sql.operators import custom_op
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
from analysis.text import FUNCTION_WORDS, NUMBER_TOKEN, analyse, normalise
from survey.models import LabelReview, Response, ResponseLabel, ResponseTally
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

    def conditions(
        self, dialect: str | None = None, *, full_scan: bool = False
    ) -> list[ColumnElement[bool]]:
        """Conditions on ``response`` for everything but the target group.

        For SQLite (``dialect="sqlite"``) the dates are compared as ``+submitted_on``, SQLite's
        way of saying "not through an index on this column": it guesses any date range to be
        narrow and would read it through the one-column date index, looking up each answer in
        the table, instead of reading ix_response_summary, which holds all a summary needs.
        ``full_scan=True`` treats the municipality so too, for a query that reads all of the
        survey's answers in index order anyway: SQLite would otherwise skip-scan the index for
        the municipality and then sort what it found (twice the time for a million answers).
        """
        sqlite = dialect == "sqlite"
        submitted_on = _unindexed(Response.submitted_on) if sqlite else Response.submitted_on
        municipality = (
            _unindexed(Response.municipality) if sqlite and full_scan else Response.municipality
        )
        conditions: list[ColumnElement[bool]] = [Response.survey_id == self.survey_id]
        if self.date_from:
            conditions.append(submitted_on >= self.date_from)
        if self.date_to:
            conditions.append(submitted_on <= self.date_to)
        if self.municipality:
            conditions.append(municipality == self.municipality)
        if self.age_group:
            conditions.append(Response.age_group == self.age_group)
        if self.on_behalf_of_other is not None:
            conditions.append(Response.on_behalf_of_other == self.on_behalf_of_other)
        return conditions


def _unindexed(column: Any) -> Any:
    """``+column``: SQLite then uses no index on the column for the comparison."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


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


def _month(dialect: str) -> tuple[ColumnElement[Any], Callable[[Any], str]]:
    """An answer's month to group on, as cheap per answer as each database allows, and how
    to turn a grouped value into "YYYY-MM"."""
    if dialect == "postgresql":
        # About twice as fast per answer as to_char; the few grouped values are named here.
        month = func.date_trunc("month", cast(Response.submitted_on, DateTime), type_=DateTime)
        return month, lambda value: f"{value:%Y-%m}"
    # SQLite stores a date as ISO text, YYYY-MM-DD: the first seven characters are the month
    # (strftime would parse and format every answer's date).
    return func.substr(Response.submitted_on, 1, 7, type_=String), str


Months = tuple[str | None, str | None]


def _whole_months(selection: SummaryFilter) -> Months | None:
    """The selection's period as whole months ("YYYY-MM", inclusive, None = open), or None if
    it starts or ends inside a month (then only the answers themselves can say)."""
    first = last = None
    if selection.date_from is not None:
        if selection.date_from.day != 1:
            return None
        first = f"{selection.date_from:%Y-%m}"
    if selection.date_to is not None:
        if (selection.date_to + timedelta(days=1)).day != 1:
            return None
        last = f"{selection.date_to:%Y-%m}"
    return first, last


def _tally_conditions(selection: SummaryFilter, months: Months) -> list[ColumnElement[bool]]:
    """``selection.conditions()`` for the tallies (not stated is "" there, see ResponseTally)."""
    conditions: list[ColumnElement[bool]] = [ResponseTally.survey_id == selection.survey_id]
    first, last = months
    if first is not None:
        conditions.append(ResponseTally.month >= first)
    if last is not None:
        conditions.append(ResponseTally.month <= last)
    if selection.municipality:
        conditions.append(ResponseTally.municipality == selection.municipality)
    if selection.age_group:
        conditions.append(ResponseTally.age_group == selection.age_group)
    if selection.on_behalf_of_other is not None:
        conditions.append(ResponseTally.on_behalf == (2 if selection.on_behalf_of_other else 1))
    return conditions


def _tallied(query, *group_by: Any):  # type: ignore[no-untyped-def]
    """Group a tally query; groups whose answers were all deleted or moved count 0: skip them."""
    return query.group_by(*group_by).having(func.sum(ResponseTally.answers) > 0)


def quarter(month: str) -> str:
    year, number = month.split("-")
    return f"{year} K{(int(number) - 1) // 3 + 1}"


def _rows(session: Session, query) -> Sequence:  # type: ignore[no-untyped-def,type-arg]
    """The rows of a query, read through Core: for tens of thousands of aggregated rows the
    ORM's row processing costs more than the database does."""
    return session.connection().execute(query).all()


def _rows_in_index_order(session: Session, query) -> Sequence:  # type: ignore[no-untyped-def,type-arg]
    """Rows of a query grouped by leading columns of an index, grouped while reading it.

    SQLite does so by itself. PostgreSQL prefers hashing every answer's group key (on a
    parallel scan of the table), which measured two to three times slower for a million
    answers than counting in index order, so hashing is off for this one query. Its planner
    also prices passing each partial group from a parallel worker so high (0.1 per row, for
    tens of thousands of groups) that it reads the index alone; at a cost of 0.01 workers
    share the index and a million answers are counted in 150 instead of 245 ms (2 workers).
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return connection.execute(query).all()
    connection.exec_driver_sql("SET LOCAL enable_hashagg = off")
    connection.exec_driver_sql("SET LOCAL parallel_tuple_cost = 0.01")
    rows = connection.execute(query).all()
    connection.exec_driver_sql("RESET enable_hashagg")
    connection.exec_driver_sql("RESET parallel_tuple_cost")
    return rows


def _among(values: set[tuple[bool, int]]) -> list[ColumnElement[bool]]:
    """Conditions naming the (has free text, label mask) pairs found in the selection.

    They add nothing to the label test they come with, but let the database seek to just
    those answers in ix_response_summary (has_free_text and label_mask come right after
    survey_id) instead of reading every answer of the selection.
    """
    return [
        Response.has_free_text.in_(sorted({has_text for has_text, _mask in values})),
        Response.label_mask.in_(sorted({mask for _has_text, mask in values})),
    ]


def _not_stated_first(key: tuple[str | None, str | None]) -> tuple[bool, str, bool, str]:
    municipality, age_group = key
    return (municipality is not None, municipality or "", age_group is not None, age_group or "")


def _breakdowns(
    counts: Counter[tuple[str | None, str | None]],
) -> tuple[dict[str, int], dict[str, int]]:
    """Answers per municipality and per age group from counts per (municipality, age group).

    Keys come in the order the tables have always had: that of rows sorted by municipality,
    then age group, not stated first (the order SQLite used to group them in).
    """
    by_municipality: dict[str, int] = {}
    by_age: dict[str, int] = {}
    for municipality, age_group in sorted(counts, key=_not_stated_first):
        count = counts[municipality, age_group]
        key = municipality or NOT_STATED
        by_municipality[key] = by_municipality.get(key, 0) + count
        key = age_group or NOT_STATED
        by_age[key] = by_age.get(key, 0) + count
    return by_municipality, by_age


def _group_counts(rows: Sequence, labels: Sequence[str]) -> tuple[int, Counter]:  # type: ignore[type-arg]
    """Total and per-label counts from (label_mask, count) rows."""
    total = 0
    by_mask: Counter[int] = Counter()
    for mask, count in rows:
        total += count
        by_mask[mask] += count
    counts: Counter[str] = Counter()
    for mask, count in by_mask.items():  # a few hundred masks, however many rows
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
    use_tallies: bool = True,
) -> Summary:
    """Aggregate one selection. ``statements`` are (statement id, strategy) in survey order.

    Quotes are only shown when ``redact`` is given: free text never leaves unredacted.
    ``use_tallies=False`` counts from the answers even where the tallies could (the same
    figures; tests compare the two).
    """
    k = check_k(k)
    strategies = DIMENSIONS[framework]
    group = selection.target_group
    dialect = session.get_bind().dialect.name
    conditions = selection.conditions(dialect)
    if redact is not None:
        # Answers stored before redaction was: redact each distinct text once per summary.
        redact = cache(redact)

    months = _whole_months(selection) if use_tallies else None
    # One scan: who answered, where, and what their free text was coded to. Of the tallies
    # when the period allows; else of ix_response_summary, grouped in its order, so that the
    # database can group as it reads the index.
    if months is not None:
        tally = ResponseTally
        rows = [
            (municipality or None, age_group or None, has_text, mask, count)
            for municipality, age_group, has_text, mask, count in _rows_in_index_order(
                session,
                _tallied(
                    select(
                        tally.municipality,
                        tally.age_group,
                        tally.has_free_text,
                        tally.label_mask,
                        func.sum(tally.answers),
                    ).where(*_tally_conditions(selection, months)),
                    tally.has_free_text,
                    tally.label_mask,
                    tally.municipality,
                    tally.age_group,
                ),
            )
        ]
    else:
        rows = _rows_in_index_order(
            session,
            select(
                Response.municipality,
                Response.age_group,
                Response.has_free_text,
                Response.label_mask,
                func.count(),
            )
            .where(*selection.conditions(dialect, full_scan=True))
            .group_by(
                Response.has_free_text,
                Response.label_mask,
                Response.municipality,
                Response.age_group,
            ),
        )
    # One pass over the rows (tens of thousands for a million answers) into small tables.
    total = 0
    by_mask: Counter[tuple[bool, int]] = Counter()  # (has free text, label mask)
    everyone: Counter[tuple[str | None, str | None]] = Counter()  # (municipality, age group)
    shown: Counter[tuple[str | None, str | None]] = Counter()
    group_bit = LABEL_BIT[group] if group else 0
    for municipality, age_group, has_text, mask, count in rows:
        total += count
        by_mask[has_text, mask] += count
        everyone[municipality, age_group] += count
        if not group or (has_text and mask & group_bit):
            shown[municipality, age_group] += count
    text_rows = [(mask, count) for (has_text, mask), count in by_mask.items() if has_text]
    with_text, overall_counts = _group_counts(text_rows, strategies)
    in_group = [(mask, count) for mask, count in text_rows if not group or mask & group_bit]
    group_total, group_counts = _group_counts(in_group, strategies)

    answers = Cell(total, total) if total >= k else Cell(None, None, TOTAL_SMALL)
    text_cell = suppress_share(with_text, total, k)
    group_cell = None
    if group:
        group_cell = suppress_subset(suppress_share(group_total, with_text, k), with_text, k)

    # Breakdowns describe the selection shown: the target group's answers when one is chosen.
    all_municipality, all_age = _breakdowns(everyone)
    by_municipality, by_age = _breakdowns(shown)

    likert_query = select(Response.likert_codes, func.count()).where(*conditions)
    group_values: set[tuple[bool, int]] = set()
    if group:
        group_values = {(has_text, mask) for has_text, mask in by_mask if mask & group_bit}
        likert_query = likert_query.where(_has(Response.label_mask, group), *_among(group_values))
    likert_rows = _rows(session, likert_query.group_by(Response.likert_codes))
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
    _add_quotes_and_terms(session, selection, dialect, results, k, redact)

    return Summary(
        filter=selection,
        k=k,
        answers=answers,
        with_free_text=text_cell,
        group_answers=group_cell,
        by_municipality=suppress_table(
            by_municipality, k, wider=all_municipality if group else None
        ),
        by_age_group=suppress_table(by_age, k, wider=all_age if group else None),
        strategies=results,
        trend=_trend(session, selection, dialect, strategies, k, group_values, months),
        waves=_waves(session, selection, dialect, strategies, wave_survey_ids, k, use_tallies),
        reviewed=_reviewed(session, selection, dialect, k),
    )


def _trend(
    session: Session,
    selection: SummaryFilter,
    dialect: str,
    strategies: Sequence[str],
    k: int,
    group_values: set[tuple[bool, int]],
    months: Months | None = None,
) -> list[TrendPoint]:
    with_text = {(has_text, mask) for has_text, mask in group_values if has_text}
    if months is not None:
        tally = ResponseTally
        month_text: Callable[[Any], str] = str
        query = select(tally.month, tally.label_mask, func.sum(tally.answers)).where(
            *_tally_conditions(selection, months), tally.has_free_text
        )
        if selection.target_group:
            masks = sorted(mask for _has_text, mask in with_text)
            query = query.where(tally.label_mask.in_(masks))
        query = _tallied(query, tally.month, tally.label_mask)
    else:
        month, month_text = _month(dialect)
        query = (
            select(month, Response.label_mask, func.count())
            .where(*selection.conditions(dialect), Response.has_free_text)
            .group_by(month, Response.label_mask)
        )
        if selection.target_group:
            query = query.where(
                _has(Response.label_mask, selection.target_group), *_among(with_text)
            )
    per_period: dict[str, list[tuple[int, int]]] = defaultdict(list)
    rows = [(month_text(value), mask, count) for value, mask, count in _rows(session, query)]
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
    dialect: str,
    strategies: Sequence[str],
    survey_ids: Sequence[str],
    k: int,
    use_tallies: bool = True,
) -> list[TrendPoint]:
    """The same figures for each survey wave of the framework (other survey files)."""
    if len(survey_ids) < 2:
        return []
    points = []
    tally = ResponseTally
    for survey_id in survey_ids:
        wave = SummaryFilter(
            survey_id=survey_id,
            municipality=selection.municipality,
            age_group=selection.age_group,
            on_behalf_of_other=selection.on_behalf_of_other,
            target_group=selection.target_group,
        )
        if use_tallies:
            query = select(tally.label_mask, func.sum(tally.answers)).where(
                *_tally_conditions(wave, (None, None)), tally.has_free_text
            )
            if wave.target_group:
                query = query.where(_has(tally.label_mask, wave.target_group))
            query = _tallied(query, tally.label_mask)
        else:
            query = (
                select(Response.label_mask, func.count())
                .where(*wave.conditions(dialect), Response.has_free_text)
                .group_by(Response.label_mask)
            )
            if wave.target_group:
                query = query.where(_has(Response.label_mask, wave.target_group))
        points.append(_point(survey_id, list(_rows(session, query)), strategies, k))
    return points


def _reviewed(session: Session, selection: SummaryFilter, dialect: str, k: int) -> Cell:
    # From the reviews to their answers (EXISTS): a join let SQLite read every answer of the
    # selection and look each one up among the (far fewer) reviews.
    conditions = [Response.id == LabelReview.response_id, *selection.conditions(dialect)]
    if selection.target_group:
        conditions.append(_has(Response.label_mask, selection.target_group))
    query = select(func.count(func.distinct(LabelReview.response_id))).where(
        select(Response.id).where(*conditions).exists()
    )
    count = session.exec(query).one()
    return Cell(count, None) if count == 0 or count >= k else Cell(None, None, SMALL)


def _candidates(
    session: Session, selection: SummaryFilter, dialect: str, label: str, limit: int
) -> list[tuple[int, str | None, str | None, str | None, str | None]]:
    """(id, redacted text, original text, municipality, age group) of the answers coded to
    ``label`` that the model is surest of; reviewed ones first.

    The order is that of ``coalesce(score, 2.0) DESC, id`` (a person's label has no score and
    scores are probabilities), read in two parts so that each follows the (label, score)
    index and stops after ``limit`` rows instead of sorting every answer with the label.
    """
    query = (
        select(
            Response.id,
            Response.redacted_text,
            Response.free_text,
            Response.municipality,
            Response.age_group,
        )
        .join(ResponseLabel, ResponseLabel.response_id == Response.id)
        .where(ResponseLabel.label == label, *selection.conditions(dialect), Response.has_free_text)
    )
    if selection.target_group:
        query = query.where(_has(Response.label_mask, selection.target_group))
    reviewed = query.where(ResponseLabel.score.is_(None)).order_by(Response.id)
    rows = list(_rows(session, reviewed.limit(limit)))
    if len(rows) < limit:
        scored = query.where(ResponseLabel.score.is_not(None)).order_by(
            ResponseLabel.score.desc(), Response.id
        )
        rows += _rows(session, scored.limit(limit - len(rows)))
    return [tuple(row) for row in rows]


# Words that say nothing about a theme, on top of the classifier's function words: common
# verbs, adverbs and pronouns (as lemmas), so the term lists show content words.
UNINFORMATIVE = FUNCTION_WORDS | frozenset(
    """
    all alla allt annan andra bara vill bli blir där då eftersom finna finnas få ganska genom göra
    ha hela här hur ingen inget inte kan kunna kanske mer mycket måste nog någon något några
    nu också redan sedan ska skola sådan sätt ta tycka under upp ut utan vara vilja vid väl
    även än ännu åt över the and for with that this have not are you
    """.split()
)


_PLACEHOLDER = re.compile(r"\[[A-ZÅÄÖ-]+\]")


def _words(text: str) -> set[str]:
    """Content words of a text, as lemmas (the word itself where the lemma is a different
    word: the lookup table turns "man" into "mana" and "vill" into "villa")."""
    words = set()
    for token in analyse(normalise(_PLACEHOLDER.sub(" ", text))):
        if token.text in UNINFORMATIVE or token.lemma in UNINFORMATIVE or len(token.text) < 3:
            continue
        if token.lemma == NUMBER_TOKEN:
            continue
        words.add(token.lemma if token.lemma[:3] == token.text[:3] else token.text)
    return words


def _pick_quotes(
    candidates: list[tuple[int, str | None, str | None, str | None, str | None]],
    redact: Redactor,
) -> list[Quote]:
    """Up to three quotes: confident, of readable length, unlike each other and from
    different places and ages where possible. The text is the stored redacted text (or the
    original redacted now); never a paraphrase."""
    chosen: list[Quote] = []
    seen_words: list[set[str]] = []
    seen_people: set[tuple[str | None, str | None]] = set()
    for relax in (False, True):
        for response_id, redacted, original, municipality, age_group in candidates:
            if len(chosen) == QUOTES_PER_STRATEGY:
                return chosen
            text = redacted if redacted is not None else redact(original or "")
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
            chosen.append(Quote(response_id=response_id, text=text))
            seen_words.append(words)
            seen_people.add((municipality, age_group))
    return chosen


def _add_quotes_and_terms(
    session: Session,
    selection: SummaryFilter,
    dialect: str,
    results: list[StrategyResult],
    k: int,
    redact: Redactor | None,
) -> None:
    pools = {
        result.label: _candidates(session, selection, dialect, result.label, limit=300)
        for result in results
        if result.terms_hidden is None
    }
    documents = {
        label: [_words(row[1] if row[1] is not None else (row[2] or "")) for row in rows]
        for label, rows in pools.items()
    }
    # Word counts per strategy once; a strategy's background is everything minus its own.
    frequencies = {label: _document_frequencies(docs) for label, docs in documents.items()}
    everything: Counter[str] = sum(frequencies.values(), Counter())
    for result in results:
        if result.label not in pools:
            continue
        if redact is not None and result.quotes_hidden is None:
            result.quotes = _pick_quotes(pools[result.label], redact)
        if len(documents[result.label]) < k:
            continue
        own = frequencies[result.label]
        result.terms = _log_odds_terms(own, everything - own, k, TERMS_PER_STRATEGY)


def characteristic_terms(
    foreground: list[set[str]], background: list[set[str]], k: int, top: int = TERMS_PER_STRATEGY
) -> list[str]:
    """Words typical of ``foreground`` answers against ``background`` answers.

    Weighted log-odds with an informative prior (Monroe et al. 2008) on document frequencies;
    a word must occur in at least ``k`` answers so that no term points at a few people.
    """
    if len(foreground) < k:
        return []
    return _log_odds_terms(
        _document_frequencies(foreground), _document_frequencies(background), k, top
    )


def _document_frequencies(documents: list[set[str]]) -> Counter[str]:
    return Counter(word for words in documents for word in words)


def _log_odds_terms(fg: Counter[str], bg: Counter[str], k: int, top: int) -> list[str]:
    """The scoring of :func:`characteristic_terms` on document frequencies."""
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
