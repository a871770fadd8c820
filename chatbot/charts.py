"""Small, dependency-free SVG charts for tool results: bars for comparisons, a line for time series."""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT, PAD = 560, 260, 40


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def chart_svg(rows: list[dict], label_key: str, value_key: str, title: str = "") -> str | None:
    """A bar chart (up to 25 labels) or, when the labels are times, a line chart; None if nothing to draw."""
    points = [(str(r.get(label_key)), _number(r.get(value_key))) for r in rows]
    points = [(label, value) for label, value in points if value is not None][:60]
    if len(points) < 2:
        return None
    top = max(v for _, v in points) or 1.0
    low = min(0.0, min(v for _, v in points))
    span = (top - low) or 1.0
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    y = lambda v: PAD + inner_h - (v - low) / span * inner_h  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'aria-label="{escape(title or value_key)}" font-family="sans-serif" font-size="10">',
             f'<title>{escape(title or value_key)}</title>',
             f'<line x1="{PAD}" y1="{PAD + inner_h}" x2="{PAD + inner_w}" y2="{PAD + inner_h}" stroke="#57606a"/>',
             f'<text x="{PAD}" y="{PAD - 8}">{escape(title)} (max {top:,.1f})</text>']
    is_time = all(label[:2].isdigit() for label, _ in points)
    step = inner_w / len(points)
    if is_time:
        coords = " ".join(f"{PAD + step * (i + 0.5):.1f},{y(v):.1f}" for i, (_, v) in enumerate(points))
        parts.append(f'<polyline fill="none" stroke="#0b5cad" stroke-width="2" points="{coords}"/>')
        for i in (0, len(points) - 1):
            parts.append(f'<text x="{PAD + step * (i + 0.5):.1f}" y="{HEIGHT - 12}" text-anchor="middle">'
                         f'{escape(points[i][0][:16])}</text>')
    else:
        for i, (label, value) in enumerate(points[:25]):
            x = PAD + step * i + step * 0.15
            parts.append(f'<rect x="{x:.1f}" y="{y(value):.1f}" width="{step * 0.7:.1f}" '
                         f'height="{max(y(low) - y(value), 0.5):.1f}" fill="#0b5cad"><title>{escape(label)}: '
                         f'{value:,.2f}</title></rect>')
            parts.append(f'<text x="{x + step * 0.35:.1f}" y="{HEIGHT - 12}" text-anchor="middle">'
                         f'{escape(label[:8])}</text>')
    parts.append("</svg>")
    return "".join(parts)
