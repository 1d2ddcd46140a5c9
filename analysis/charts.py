"""Server-rendered SVG charts. Each chart has a title and a text description for screen
readers; the page shows a data table beside it, so nothing is only in the picture.

Colours are from a colour-blind-safe palette with at least 3:1 contrast to white for
graphical objects (WCAG 1.4.11); text is dark on white.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
TEXT = "#1b1b1b"
GRID = "#6f6f6f"
# Disagree (dark to light orange), agree (light to dark blue): diverging and colour-blind safe.
DISAGREE = ("#a63603", "#d94801", "#f16913")
AGREE = ("#4a8fd1", "#2166ac", "#053061")
NEUTRAL = "#767676"
SERIES = ("#00546a", "#b35806", "#542788", "#1b7837", "#8e0152")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # share 0..1; None: hidden (suppressed)
    note: str = ""


def _svg(width: int, height: int, title: str, description: str, body: str, ident: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{ident}-t {ident}-d" class="chart" '
        f'font-family="{FONT}" font-size="14">'
        f'<title id="{ident}-t">{escape(title)}</title>'
        f'<desc id="{ident}-d">{escape(description)}</desc>{body}</svg>'
    )


def percent(value: float) -> str:
    return f"{round(value * 100)}\u00a0%"


def bar_chart(
    bars: Sequence[Bar], *, title: str, description: str, hidden_text: str, ident: str
) -> str:
    """Horizontal bars of shares (0–100 %), one row per bar."""
    row, label_width, bar_width = 34, 250, 300
    height = row * len(bars) + 10
    parts = []
    for index, bar in enumerate(bars):
        y = index * row + 6
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" fill="{TEXT}">'
            f"{escape(bar.label)}</text>"
        )
        parts.append(
            f'<rect x="{label_width}" y="{y + 2}" width="{bar_width}" height="20" fill="none" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        if bar.value is None:
            parts.append(
                f'<text x="{label_width + 8}" y="{y + 17}" fill="{TEXT}" font-style="italic">'
                f"{escape(hidden_text)}</text>"
            )
            continue
        width = round(bar_width * bar.value, 1)
        colour = SERIES[index % len(SERIES)]
        parts.append(
            f'<rect x="{label_width}" y="{y + 2}" width="{width}" height="20" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{label_width + bar_width + 8}" y="{y + 17}" fill="{TEXT}">'
            f"{percent(bar.value)}{escape(bar.note)}</text>"
        )
    return _svg(label_width + bar_width + 70, height, title, description, "".join(parts), ident)


def diverging_bar(
    counts: Sequence[int | None],
    step_labels: Sequence[str],
    *,
    no_opinion: int | None,
    no_opinion_label: str,
    title: str,
    description: str,
    hidden_text: str,
    ident: str,
) -> str:
    """A diverging stacked bar of one Likert item; "no opinion" is drawn apart, on the right.

    The lower half of the scale extends left of the centre line, the upper half right; a
    middle step (odd scales) straddles it.
    """
    width, centre, half, y, height = 740, 300, 250, 30, 26
    if any(count is None for count in counts) or no_opinion is None:
        hidden = (
            f'<text x="{centre}" y="{y + 18}" text-anchor="middle" fill="{TEXT}" '
            f'font-style="italic">{escape(hidden_text)}</text>'
        )
        return _svg(width, 80, title, description, hidden, ident)
    parts = [
        f'<line x1="{centre}" y1="{y - 6}" x2="{centre}" y2="{y + height + 6}" '
        f'stroke="{TEXT}" stroke-width="2"/>'
    ]
    values = [count or 0 for count in counts]
    total = sum(values) or 1
    steps = len(values)
    middle = steps // 2 if steps % 2 else None
    lower = values[: steps // 2]
    left_total = sum(lower) + (values[middle] / 2 if middle is not None else 0)
    x = centre - half * left_total / total
    colours = _step_colours(steps)
    for index, value in enumerate(values):
        segment = half * value / total
        if segment <= 0:
            continue
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{segment:.1f}" height="{height}" '
            f'fill="{colours[index]}" stroke="#ffffff" stroke-width="1"/>'
        )
        if segment > 34:
            parts.append(
                f'<text x="{x + segment / 2:.1f}" y="{y + 18}" text-anchor="middle" '
                f'fill="#ffffff" font-weight="700">{round(100 * value / total)}</text>'
            )
        x += segment
    # Legend: the scale's ends.
    parts.append(
        f'<text x="{centre - half}" y="{y + height + 22}" fill="{TEXT}">'
        f"← {escape(step_labels[0])}</text>"
    )
    parts.append(
        f'<text x="{centre + half}" y="{y + height + 22}" text-anchor="end" fill="{TEXT}">'
        f"{escape(step_labels[-1])} →</text>"
    )
    answered = total + no_opinion
    share = no_opinion / answered if answered else 0
    parts.append(
        f'<rect x="{centre + half + 20}" y="{y}" width="{max(2, 60 * share):.1f}" '
        f'height="{height}" fill="{NEUTRAL}"/>'
        f'<text x="{centre + half + 20}" y="{y - 8}" fill="{TEXT}" font-size="12">'
        f"{escape(no_opinion_label)}: {percent(share)}</text>"
    )
    return _svg(width, 90, title, description, "".join(parts), ident)


def _step_colours(steps: int) -> list[str]:
    half = steps // 2
    disagree = list(DISAGREE[:half]) if half <= len(DISAGREE) else [DISAGREE[0]] * half
    agree = list(AGREE[-half:]) if half <= len(AGREE) else [AGREE[-1]] * half
    while len(disagree) < half:
        disagree.append(DISAGREE[-1])
    while len(agree) < half:
        agree.insert(0, AGREE[0])
    return disagree + ([NEUTRAL] if steps % 2 else []) + agree


def line_chart(
    periods: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    description: str,
    ident: str,
) -> str:
    """Shares over time, one line per series; a hidden point breaks the line."""
    left, top, plot_w, plot_h = 56, 20, 600, 220
    width, height = left + plot_w + 30, top + plot_h + 40 + 24 * len(series)
    peak = max([v for _name, values in series for v in values if v is not None] + [0.1])
    peak = min(1.0, (int(peak * 10) + 1) / 10)
    parts = []
    for tick in range(0, 101, 20):
        share = tick / 100 * peak
        y = top + plot_h - plot_h * share / peak
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            f'stroke="#d0d0d0"/><text x="{left - 6}" y="{y + 5:.1f}" text-anchor="end" '
            f'fill="{TEXT}" font-size="12">{percent(share)}</text>'
        )
    step = plot_w / max(1, len(periods) - 1)
    label_every = max(1, len(periods) // 6)
    for index, period in enumerate(periods):
        if index % label_every == 0 or index == len(periods) - 1:
            parts.append(
                f'<text x="{left + index * step:.1f}" y="{top + plot_h + 18}" '
                f'text-anchor="middle" fill="{TEXT}" font-size="12">{escape(period)}</text>'
            )
    for number, (name, values) in enumerate(series):
        colour, dash = SERIES[number % len(SERIES)], DASHES[number % len(DASHES)]
        segments: list[list[str]] = [[]]
        for index, value in enumerate(values):
            if value is None:
                segments.append([])
                continue
            x, y = left + index * step, top + plot_h - plot_h * value / peak
            segments[-1].append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>')
        for points in segments:
            if len(points) > 1:
                parts.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2.5" stroke-dasharray="{dash}"/>'
                )
        y = top + plot_h + 50 + number * 24  # legend below the plot
        parts.append(
            f'<line x1="{left}" y1="{y - 5}" x2="{left + 30}" y2="{y - 5}" stroke="{colour}" '
            f'stroke-width="3" stroke-dasharray="{dash}"/>'
            f'<text x="{left + 38}" y="{y}" fill="{TEXT}" font-size="13">{escape(name)}</text>'
        )
    return _svg(width, height, title, description, "".join(parts), ident)
