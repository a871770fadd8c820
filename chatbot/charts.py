"""Small, dependency-free SVG charts for tool results: bars for comparisons, a line for time series.

A chart says what it shows: a title in the citizen's language, the axes' names, a scale with round numbers, and
every label whole (wrapped onto a second line, or turned on its side when the bars are narrow; never cut). It
scales to its container (``viewBox``), so a phone shows it whole.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape

WIDTH = 560
HORIZONTAL_FROM = 10  # more bars than this lie on their side: one label a row, readable on a phone
NARROW = 380  # the width of a chart with bars on their side (it scales down less on a phone)
FONT = 11  # px, labels
LEFT, RIGHT, TOP = 64, 16, 28


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def text_width(text: str, size: float = FONT) -> float:
    """About how wide a label draws: Hangul and other wide characters a full em, Latin letters about half."""
    return sum(size if ord(c) > 0x2E80 else size * 0.58 for c in text)


def wrap(text: str, width: float, size: float = FONT, lines: int = 3) -> list[str] | None:
    """The text in at most ``lines`` lines no wider than ``width``, broken at spaces; None if it cannot be."""
    words, out = text.split(), []
    for word in words:
        if out and text_width(out[-1] + " " + word, size) <= width:
            out[-1] += " " + word
        else:
            out.append(word)
    if len(out) > lines or any(text_width(line, size) > width for line in out):
        return None
    return out or [""]


def _ticks(low: float, top: float) -> list[float]:
    span = top - low
    if span <= 0:
        return [low]
    raw = span / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks, value = [], low
    while not ticks or ticks[-1] < top - 1e-9:  # the last tick at or above the largest value
        ticks.append(round(value, 6))
        value += step
    return ticks


def _fmt(value: float) -> str:
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _label(x: float, y: float, lines: list[str], anchor: str = "middle", rotate: bool = False) -> str:
    if rotate:
        return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="end" transform="rotate(-45 {x:.1f} {y:.1f})">'
                f'{escape(lines[0])}</text>')
    spans = "".join(f'<tspan x="{x:.1f}" dy="{0 if i == 0 else FONT + 2}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{spans}</text>'


def chart_svg(rows: list[dict], label_key: str, value_key: str, title: str = "", x_label: str = "",
              y_label: str = "", names: Mapping | None = None, lang: str = "en") -> str | None:
    """A bar chart (up to 25 labels) or, when the labels are times, a line chart; None if nothing to draw.
    ``names`` maps a stored label to the one shown (Mapo-gu -> 마포구); times are shown in Seoul time."""
    from civic_services.tools import wording as w

    names = names or {}
    raw = [(r.get(label_key), _number(r.get(value_key))) for r in rows]
    raw = [(label, value) for label, value in raw if value is not None]
    if len(raw) < 2:
        return None
    is_time = all(w.parse_time(label) is not None for label, _ in raw)
    points = [(w.seoul_time(label, lang) if is_time else str(names.get(label, label)), value)
              for label, value in (raw if is_time else raw[:25])]
    if not is_time and len(points) > HORIZONTAL_FROM:
        return _horizontal(points, title, x_label, y_label)
    low = min(0.0, min(v for _, v in points))
    ticks = _ticks(low, max(v for _, v in points) or 1.0)
    top = ticks[-1] if ticks[-1] > low else low + 1
    inner_w = WIDTH - LEFT - RIGHT
    step = inner_w / len(points)

    # the x labels: whole, on one line, wrapped, or turned on their side
    shown = [points[i][0] for i in (range(len(points)) if not is_time else
                                    sorted({0, len(points) // 2, len(points) - 1}))]
    room = step - 4 if not is_time else inner_w / 3 - 8
    wrapped = [wrap(label, room) for label in shown]
    rotate = any(lines is None for lines in wrapped)
    if rotate:
        label_h = max(text_width(label) for label in shown) * 0.72 + FONT + 6
    else:
        label_h = max(len(lines) for lines in wrapped) * (FONT + 2) + 6
    title_lines = wrap(title, WIDTH - 16, FONT + 2, lines=3) or [title]
    top_pad = TOP + (len(title_lines) - 1) * (FONT + 4)
    inner_h = 180
    height = top_pad + inner_h + label_h + (FONT + 12 if x_label else 6)
    y = lambda v: top_pad + inner_h - (v - low) / (top - low) * inner_h  # noqa: E731

    described = title or y_label or value_key
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" width="100%" '
             f'style="max-width:{WIDTH}px" role="img" aria-label="{escape(described)}" font-family="sans-serif" '
             f'font-size="{FONT}">', f'<title>{escape(described)}</title>',
             _label(WIDTH / 2, 16, title_lines).replace("<text ", '<text font-weight="600" font-size="13" ', 1)]
    for tick in ticks:  # the scale
        parts.append(f'<line x1="{LEFT}" y1="{y(tick):.1f}" x2="{WIDTH - RIGHT}" y2="{y(tick):.1f}" '
                     f'stroke="#d0d7de" stroke-width="0.5"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y(tick) + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{y(low):.1f}" x2="{WIDTH - RIGHT}" y2="{y(low):.1f}" stroke="#57606a"/>')
    if y_label:
        middle = top_pad + inner_h / 2
        parts.append(f'<text x="12" y="{middle:.1f}" text-anchor="middle" transform="rotate(-90 12 {middle:.1f})">'
                     f'{escape(y_label)}</text>')
    base = top_pad + inner_h + FONT + 4
    if is_time:
        coords = " ".join(f"{LEFT + step * (i + 0.5):.1f},{y(v):.1f}" for i, (_, v) in enumerate(points))
        parts.append(f'<polyline fill="none" stroke="#0b5cad" stroke-width="2" points="{coords}"/>')
        for i, lines in zip(sorted({0, len(points) // 2, len(points) - 1}), wrapped):
            anchor = "start" if i == 0 else "end" if i == len(points) - 1 else "middle"
            x = LEFT + step * (i + 0.5) if anchor == "middle" else LEFT if anchor == "start" else WIDTH - RIGHT
            parts.append(_label(x, base, lines or [points[i][0]], anchor, rotate))
    else:
        for i, ((label, value), lines) in enumerate(zip(points, wrapped)):
            x = LEFT + step * i + step * 0.15
            parts.append(f'<rect x="{x:.1f}" y="{y(max(value, low)):.1f}" width="{step * 0.7:.1f}" '
                         f'height="{max(abs(y(low) - y(value)), 0.5):.1f}" fill="#0b5cad"><title>{escape(label)}: '
                         f'{_fmt(value)}</title></rect>')
            parts.append(_label(x + step * 0.35, base, lines or [label], "middle", rotate))
    if x_label:
        parts.append(f'<text x="{LEFT + inner_w / 2:.1f}" y="{height - 6:.0f}" text-anchor="middle">'
                     f'{escape(x_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _horizontal(points: list[tuple[str, float]], title: str, x_label: str, y_label: str) -> str:
    """Bars on their side, largest first as given: a label a row on the left, the value at the bar's end."""
    row = FONT + 8
    label_w = max(text_width(label) for label, _ in points) + 8
    width = max(NARROW, label_w + 220)  # the label column is as wide as the longest label: none is cut
    title_lines = wrap(title, width - 16, FONT + 2, lines=3) or [title]
    top_pad = TOP + (len(title_lines) - 1) * (FONT + 4) + (FONT + 4 if y_label else 0)
    low = min(0.0, min(v for _, v in points))
    ticks = _ticks(low, max(v for _, v in points) or 1.0)
    top = ticks[-1] if ticks[-1] > low else low + 1
    left, inner_w = label_w + 4, width - label_w - 4 - 48
    x = lambda v: left + (v - low) / (top - low) * inner_w  # noqa: E731
    height = top_pad + row * len(points) + FONT + 12
    described = title or y_label
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="100%" '
             f'style="max-width:{width:.0f}px" role="img" aria-label="{escape(described)}" font-family="sans-serif" '
             f'font-size="{FONT}">', f'<title>{escape(described)}</title>',
             _label(width / 2, 16, title_lines).replace("<text ", '<text font-weight="600" font-size="13" ', 1)]
    if y_label:  # what the bars measure, above them
        parts.append(f'<text x="{left}" y="{top_pad - 6}" fill="#57606a">{escape(y_label)}'
                     f'{" / " + escape(x_label) if x_label else ""}</text>')
    for i, (label, value) in enumerate(points):
        y = top_pad + row * i
        parts.append(f'<text x="{left - 6:.1f}" y="{y + row * 0.68:.1f}" text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect x="{x(min(0, value)):.1f}" y="{y + 2:.1f}" width="{max(abs(x(value) - x(0)), 0.5):.1f}" '
                     f'height="{row - 4}" fill="#0b5cad"><title>{escape(label)}: {_fmt(value)}</title></rect>')
        parts.append(f'<text x="{x(max(0, value)) + 4:.1f}" y="{y + row * 0.68:.1f}">{_fmt(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)
