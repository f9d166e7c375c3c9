"""Charts for the staff analytics, drawn on the server as SVG (no script, no external host).

Every chart is an ``<svg role="img">`` with an ``aria-label`` naming what it shows and a
``<title>`` per bar with its exact figure (shown on hover, read by screen readers); the page
gives the same figures as a table under it. Colours come from classes that
``static/tracking/analytics.css`` fills, so the Content Security Policy (``'self'``, no inline
style) holds; each series is also named in words in the legend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 560
HEIGHT = 230
LEFT = 68
RIGHT = 12
TOP = 12
BOTTOM = 30
FONT = 13
TICKS = 4  # steps on the vertical axis


@dataclass(frozen=True)
class Series:
    """One named row of figures, drawn in the colour of its ``css`` class."""

    name: str
    css: str
    values: Sequence[int]


def nice_max(value: float) -> int:
    """The top of a count axis with four equal, whole steps of 1, 2 or 5 times a power of
    ten (or 25 and up): 5 page views get 0, 2, 4, 6, 8; 90 get 0, 25, 50, 75, 100."""
    wanted = max(value, 1) / TICKS
    power = 10 ** max(math.floor(math.log10(wanted)), 0)
    steps = (1, 2, 2.5, 5, 10) if power >= 10 else (1, 2, 5, 10)
    for step in steps:
        if step * power >= wanted:
            return int(step * power * TICKS)
    return int(10 * power * TICKS)  # not reached: 10 * power is always enough


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _frame(title: str, inner: list[str], css: str) -> SafeString:
    return format_html(
        '<svg class="pd-chart {}" role="img" aria-label="{}" viewBox="0 0 {} {}" '
        'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">{}</svg>',
        css,
        title,
        WIDTH,
        HEIGHT,
        mark_safe("".join(inner)),  # noqa: S308 - every part is built from escaped values
    )


def _axis(top_value: int, percent: bool = False) -> list[str]:
    """Horizontal grid lines with their values on the left, and the base line."""
    parts = []
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(TICKS + 1):
        value = top_value * i / TICKS
        y = TOP + plot_h - plot_h * i / TICKS
        label = f"{_fmt(value)}%" if percent else _fmt(value) if value % 1 else str(int(value))
        parts.append(
            f'<line class="pd-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_fmt(y)}" '
            f'y2="{_fmt(y)}"/>'
            f'<text class="pd-axis" x="{LEFT - 6}" y="{_fmt(y + FONT * 0.35)}" '
            f'text-anchor="end" font-size="{FONT}">{escape(label)}</text>'
        )
    return parts


def _x_labels(labels: Sequence[str], slot: float) -> list[str]:
    """At most about seven labels under the bars, evenly spread and the last one always; every
    other one is marked ``pd-alt``, which a narrow screen leaves out (analytics.css)."""
    if not labels:
        return []
    every = max(1, math.ceil(len(labels) / 7))
    shown = sorted(range(len(labels) - 1, -1, -every))
    parts = []
    for n, i in enumerate(reversed(shown)):
        x = LEFT + slot * (i + 0.5)
        anchor = "middle"
        if i == len(labels) - 1 and len(labels) > 1:
            anchor, x = "end", LEFT + slot * (i + 1)
        elif i == 0 and len(labels) > 1:
            anchor, x = "start", LEFT
        css = "pd-axis pd-alt" if n % 2 else "pd-axis"
        parts.append(
            f'<text class="{css}" x="{_fmt(x)}" y="{HEIGHT - 8}" text-anchor="{anchor}" '
            f'font-size="{FONT}">{escape(labels[i])}</text>'
        )
    return parts


def bars(labels: Sequence[str], series: Series, *, title: str, unit_label: str) -> SafeString:
    """One bar per period (``labels``), with the figure of each in its tooltip."""
    values = list(series.values)
    top_value = nice_max(max(values, default=0))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(values), 1)
    gap = min(slot * 0.2, 6)
    parts = _axis(top_value)
    for i, value in enumerate(values):
        h = plot_h * value / top_value
        x = LEFT + slot * i + gap / 2
        y = TOP + plot_h - h
        parts.append(
            f'<rect class="{escape(series.css)}" x="{_fmt(x)}" y="{_fmt(y)}" '
            f'width="{_fmt(max(slot - gap, 1))}" height="{_fmt(h)}">'
            f"<title>{escape(labels[i])}: {value} {escape(unit_label)}</title></rect>"
        )
    parts.extend(_x_labels(labels, slot))
    return _frame(title, parts, "pd-chart-bars")


def shares(
    labels: Sequence[str],
    stacked: Sequence[Series],
    *,
    line: Series | None,
    title: str,
    empty_label: str,
) -> SafeString:
    """Per period, each series' share of the period's total as a stacked column (100 %), and
    ``line`` (a count of the same total, e.g. decisions with GPC) as a percentage line."""
    totals = [sum(s.values[i] for s in stacked) for i in range(len(labels))]
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    gap = min(slot * 0.2, 6)
    parts = _axis(100, percent=True)
    for i, total in enumerate(totals):
        x = LEFT + slot * i + gap / 2
        w = max(slot - gap, 1)
        if total == 0:
            parts.append(
                f'<rect class="pd-none" x="{_fmt(x)}" y="{TOP}" width="{_fmt(w)}" '
                f'height="{plot_h}"><title>{escape(labels[i])}: {escape(empty_label)}</title>'
                "</rect>"
            )
            continue
        y = TOP + plot_h
        for s in stacked:
            value = s.values[i]
            if not value:
                continue
            h = plot_h * value / total
            y -= h
            parts.append(
                f'<rect class="{escape(s.css)}" x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(w)}" '
                f'height="{_fmt(h)}"><title>{escape(labels[i])}: {escape(s.name)} {value} '
                f"({round(100 * value / total)}%)</title></rect>"
            )
    if line is not None:
        points = []
        for i, total in enumerate(totals):
            if total == 0:
                continue
            share = line.values[i] / total
            x = LEFT + slot * (i + 0.5)
            y = TOP + plot_h - plot_h * share
            points.append((x, y, f"{labels[i]}: {line.name} {round(100 * share)}%"))
        if len(points) > 1:
            path = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y, _t in points)
            parts.append(f'<polyline class="{escape(line.css)}" points="{path}"/>')
        for x, y, text in points:
            parts.append(
                f'<circle class="{escape(line.css)}-dot" cx="{_fmt(x)}" cy="{_fmt(y)}" r="3.5">'
                f"<title>{escape(text)}</title></circle>"
            )
    parts.extend(_x_labels(labels, slot))
    return _frame(title, parts, "pd-chart-shares")


def meter(value: int, top_value: int, *, css: str, label: str) -> SafeString:
    """A small horizontal bar for a table row (top pages, downloads)."""
    share = value / top_value if top_value else 0
    return format_html(
        '<svg class="pd-meter" role="img" aria-label="{}" viewBox="0 0 100 10" '
        'preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">'
        '<rect class="pd-meter-back" x="0" y="0" width="100" height="10"/>'
        '<rect class="{}" x="0" y="0" width="{}" height="10"/></svg>',
        label,
        css,
        _fmt(100 * share),
    )
