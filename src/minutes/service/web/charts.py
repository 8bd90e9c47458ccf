"""SVG charts drawn on the server: no chart library, no script, no external request.

Each chart is a ``<figure>``: the SVG (``role="img"`` with a title and a description), a
legend where there are several series, and the numbers themselves in a table under
``<details>`` for screen readers and for copying. Every data point is an element of class
``point`` (bars are ``rect.point``, line points ``circle.point``) carrying ``data-label`` and
``data-value``, with a ``<title>`` tooltip.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Okabe-Ito: told apart with the common colour-vision deficiencies; all >= 3:1 on white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8A6A00", "#3D7EA6", "#000000")
_WIDTH = 640
_ids = itertools.count(1)

Fmt = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[int, float]]  # (index into the x labels, value)


def money(value: float) -> str:
    if value == 0:
        return "$0"
    if abs(value) >= 100:
        return f"${value:,.0f}"
    if abs(value) >= 1:
        return f"${value:,.2f}"
    return f"${value:.4f}"


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def millis(value: float) -> str:
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms"


def nice_max(value: float) -> float:
    """A round number at or above ``value`` for the top of an axis."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    base = 10.0**exponent
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * base + 1e-12:
            return step * base
    return 10 * base


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _empty(title: str) -> Markup:
    return Markup(
        f'<figure class="chart chart-empty"><figcaption>{escape(title)}</figcaption>'
        f'<p class="muted">No data in this window.</p></figure>'
    )


def _figure(
    title: str, height: int, body: str, table: str, *, description: str, legend: str = ""
) -> Markup:
    uid = f"chart{next(_ids)}"
    return Markup(
        f'<figure class="chart" aria-labelledby="{uid}-cap">'
        f'<figcaption id="{uid}-cap">{escape(title)}</figcaption>'
        f'<svg role="img" aria-labelledby="{uid}-t {uid}-d" viewBox="0 0 {_WIDTH} {height}" '
        f'preserveAspectRatio="xMidYMid meet" class="chart-svg">'
        f'<title id="{uid}-t">{escape(title)}</title>'
        f'<desc id="{uid}-d">{escape(description)}</desc>'
        f"{body}</svg>{legend}"
        f"<details><summary>Numbers</summary>{table}</details></figure>"
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>"
        + f'<th scope="row">{escape(r[0])}</th>'
        + "".join(f"<td>{escape(c)}</td>" for c in r[1:])
        + "</tr>"
        for r in rows
    )
    return f'<table class="numbers"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _y_axis(top: float, y0: float, y1: float, x0: float, x1: float, fmt: Fmt) -> list[str]:
    parts = []
    for i in range(5):
        value = top * i / 4
        y = y1 - (y1 - y0) * i / 4
        parts.append(
            f'<line class="grid" x1="{_n(x0)}" x2="{_n(x1)}" y1="{_n(y)}" y2="{_n(y)}" '
            f'stroke="#d0d0d0" stroke-width="1"/>'
            f'<text x="{_n(x0 - 6)}" y="{_n(y + 4)}" text-anchor="end" font-size="11" '
            f'fill="#333">{escape(fmt(value))}</text>'
        )
    return parts


def _x_labels(labels: Sequence[str], xs: Sequence[float], y: float) -> list[str]:
    every = max(1, math.ceil(len(labels) / 8))
    return [
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="middle" font-size="11" fill="#333">'
        f"{escape(label)}</text>"
        for i, (label, x) in enumerate(zip(labels, xs, strict=True))
        if i % every == 0 or i == len(labels) - 1
    ]


def bar_chart(
    title: str,
    points: Sequence[tuple[str, float]],
    *,
    fmt: Fmt = money,
    short_label: Callable[[str], str] = lambda s: s,
) -> Markup:
    """Vertical bars, one per label (days, in order)."""
    height, left, right, top_m, bottom = 220, 64, 12, 12, 32
    values = [v for _, v in points]
    if not points or not any(values):
        return _empty(title)
    top = nice_max(max(values))
    x0, x1, y0, y1 = left, _WIDTH - right, top_m, height - bottom
    slot = (x1 - x0) / len(points)
    width = max(1.0, slot * 0.7)
    parts = _y_axis(top, y0, y1, x0, x1, fmt)
    centres = []
    for i, (label, value) in enumerate(points):
        h = (y1 - y0) * value / top
        x = x0 + slot * i + (slot - width) / 2
        centres.append(x + width / 2)
        parts.append(
            f'<rect class="point bar" data-label="{escape(label)}" data-value="{value}" '
            f'x="{_n(x)}" y="{_n(y1 - h)}" width="{_n(width)}" height="{_n(max(h, 0))}" '
            f'fill="{PALETTE[0]}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>'
        )
    parts += _x_labels([short_label(label) for label, _ in points], centres, height - 12)
    table = _table(["", title], [(label, fmt(v)) for label, v in points])
    total = sum(values)
    description = f"{len(points)} bars; highest {fmt(max(values))}, total {fmt(total)}."
    return _figure(title, height, "".join(parts), table, description=description)


def hbar_chart(title: str, points: Sequence[tuple[str, float]], *, fmt: Fmt = money) -> Markup:
    """Horizontal bars, largest first (models, tasks)."""
    ordered = sorted(points, key=lambda p: -p[1])
    if not ordered or not any(v for _, v in ordered):
        return _empty(title)
    row, label_w, value_w, pad = 26, 190, 80, 6
    height = row * len(ordered) + pad * 2
    top = max(v for _, v in ordered) or 1.0
    span = _WIDTH - label_w - value_w
    parts = []
    for i, (label, value) in enumerate(ordered):
        y = pad + row * i
        w = span * value / top
        shown = label if len(label) <= 28 else label[:27] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{_n(y + row / 2 + 4)}" text-anchor="end" font-size="12" '
            f'fill="#222">{escape(shown)}</text>'
            f'<rect class="point bar" data-label="{escape(label)}" data-value="{value}" '
            f'x="{label_w}" y="{_n(y + 4)}" width="{_n(max(w, 1))}" height="{row - 8}" '
            f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(label)}: {escape(fmt(value))}'
            f"</title></rect>"
            f'<text x="{_n(label_w + max(w, 1) + 6)}" y="{_n(y + row / 2 + 4)}" font-size="12" '
            f'fill="#222">{escape(fmt(value))}</text>'
        )
    table = _table(["", title], [(label, fmt(v)) for label, v in ordered])
    description = f"{len(ordered)} bars; largest {ordered[0][0]} at {fmt(ordered[0][1])}."
    return _figure(title, height, "".join(parts), table, description=description)


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    fmt: Fmt,
    y_top: float | None = None,
    short_label: Callable[[str], str] = lambda s: s,
) -> Markup:
    """One line per series over the x labels (days); gaps where a series has no value."""
    height, left, right, top_m, bottom = 220, 64, 16, 12, 32
    values = [v for s in series for _, v in s.points]
    if not x_labels or not values:
        return _empty(title)
    top = y_top if y_top is not None else nice_max(max(values))
    x0, x1, y0, y1 = left, _WIDTH - right, top_m, height - bottom
    step = (x1 - x0) / max(len(x_labels) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = x0 + step * i if len(x_labels) > 1 else (x0 + x1) / 2
        return x, y1 - (y1 - y0) * min(v, top) / top

    parts = _y_axis(top, y0, y1, x0, x1, fmt)
    legend = []
    for n, s in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        pts = sorted(s.points)
        # A run of consecutive days is one path; a day without a value breaks the line.
        runs: list[list[tuple[int, float]]] = []
        for i, v in pts:
            if runs and runs[-1][-1][0] == i - 1:
                runs[-1].append((i, v))
            else:
                runs.append([(i, v)])
        for run in runs:
            if len(run) > 1:
                d = " ".join(
                    ("M" if k == 0 else "L") + "{:.1f},{:.1f}".format(*xy(i, v))
                    for k, (i, v) in enumerate(run)
                )
                parts.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in pts:
            x, y = xy(i, v)
            label = x_labels[i]
            parts.append(
                f'<circle class="point" data-series="{escape(s.name)}" '
                f'data-label="{escape(label)}" '
                f'data-value="{v}" cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{colour}">'
                f"<title>{escape(s.name)}, {escape(label)}: {escape(fmt(v))}</title></circle>"
            )
        legend.append(
            f'<li><svg class="swatch" aria-hidden="true" viewBox="0 0 10 10" '
            f'width="10" height="10">'
            f'<rect width="10" height="10" fill="{colour}"/></svg>{escape(s.name)}</li>'
        )
    xs = [xy(i, 0)[0] for i in range(len(x_labels))]
    parts += _x_labels([short_label(x) for x in x_labels], xs, height - 12)
    rows = []
    for s in series:
        for i, v in sorted(s.points):
            rows.append((x_labels[i], s.name, fmt(v)))
    table = _table(["Day", "Series", title], rows)
    description = (
        f"{len(series)} series over {len(x_labels)} days; "
        + "; ".join(f"{s.name}: {len(s.points)} points" for s in series)
        + "."
    )
    legend_html = f'<ul class="legend">{"".join(legend)}</ul>' if len(series) > 1 else ""
    return _figure(
        title,
        height,
        "".join(parts),
        table,
        description=description,
        legend=legend_html,
    )


def gauge(title: str, used: float, limit: float | None, *, fmt: Fmt = money) -> Markup:
    """Spend against a limit: a bar filled to the share used (red past the limit)."""
    height, pad = 44, 4
    if limit is None or limit <= 0:
        return Markup(
            f'<figure class="chart gauge"><figcaption>{escape(title)}</figcaption>'
            f'<p><span class="point" data-value="{used}">{escape(fmt(used))}</span> spent; '
            f"no limit set.</p></figure>"
        )
    share = used / limit
    colour = "#B00020" if share >= 1 else "#8A5A00" if share >= 0.8 else PALETTE[2]
    inner = _WIDTH - 2 * pad
    w = inner * min(share, 1.0)
    text = f"{fmt(used)} of {fmt(limit)} ({share * 100:.0f}%)"
    svg = (
        f'<rect x="{pad}" y="{pad}" width="{inner}" height="{height - 2 * pad}" fill="#eeeeee" '
        f'stroke="#767676"/>'
        f'<rect class="point bar" data-label="used" data-value="{used}" data-limit="{limit}" '
        f'x="{pad}" y="{pad}" width="{_n(max(w, 1))}" height="{height - 2 * pad}" '
        f'fill="{colour}"><title>{escape(text)}</title></rect>'
    )
    table = _table(["", "USD"], [("used", fmt(used)), ("limit", fmt(limit))])
    return _figure(f"{title}: {text}", height, svg, table, description=text)
