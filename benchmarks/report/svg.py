"""The one chart renderer: bar charts and line charts as SVG text, one palette, one escape.

The command line's ``benchmarks.svg`` (bar charts) and the cache pages' line chart are both
drawn here; ``benchmarks.report.attention`` and ``benchmarks.report.caches`` only choose what
to draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape as _xml_escape

#: One colour and one dash pattern per series, so that lines differ without colour too.
PALETTE: tuple[tuple[str, str], ...] = (
    ("#1f77b4", ""),
    ("#d95f02", "8 4"),
    ("#1b9e77", "2 3"),
    ("#c0392b", "10 3 2 3"),
    ("#7570b3", "4 4"),
    ("#8c6d31", "12 4"),
    ("#d6338a", "3 2"),
    ("#555555", "6 2 2 2"),
)


def escape(text: str) -> str:
    """``text`` safe inside an SVG element or a double-quoted attribute."""
    return _xml_escape(text, {'"': "&quot;"})


def _text_width(text: str) -> int:
    """Rough width in pixels at 14 px (CJK characters are about twice as wide)."""
    return sum(14 if ord(c) > 0x2E7F else 8 for c in text)


@dataclass
class BarPanel:
    """One horizontal bar chart: a title and ``(label, value, value as text)`` per bar."""

    title: str
    bars: Sequence[tuple[str, float, str]]


def bar_charts_svg(panels: Sequence[BarPanel], *, title: str, footer: str) -> str:
    """Horizontal bar charts stacked in one standalone SVG document, colours from ``PALETTE``."""
    label_width, bar_width, row_height = 250, 380, 22
    elements: list[str] = []
    y = 10.0
    for n, panel in enumerate(panels):
        colour = PALETTE[n % len(PALETTE)][0]
        elements.append(f'<text x="10" y="{y + 16}" class="title">{escape(panel.title)}</text>')
        y += 28
        largest = max((value for _, value, _ in panel.bars), default=1.0) or 1.0
        for label, value, text in panel.bars:
            width = max(bar_width * value / largest, 1.0)
            elements += [
                f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end">'
                f"{escape(label)}</text>",
                f'<rect x="{label_width}" y="{y + 3}" width="{width:.1f}" '
                f'height="{row_height - 6}" fill="{colour}"/>',
                f'<text x="{label_width + width + 6:.1f}" y="{y + 15}">{escape(text)}</text>',
            ]
            y += row_height
        y += 14
    elements.append(f'<text x="10" y="{y + 4}" class="note">{escape(footer)}</text>')
    width, height = 760, int(y + 16)
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
            f"<title>{escape(title)}</title>",
            "<style>.title { font-weight: bold; font-size: 13px } .note { fill: #555 }</style>",
            f'<rect width="{width}" height="{height}" fill="white"/>',
            *elements,
            "</svg>",
            "",
        ]
    )


def line_chart_svg(
    series: Sequence[tuple[str, Sequence[float]]],
    x_labels: Sequence[str],
    *,
    title: str,
    x_axis: str,
    y_axis: str,
    summary: str,
    css_class: str,
) -> str:
    """An inline SVG line chart: one line per ``(name, values)``, evenly spaced x positions.

    Text uses ``currentColor``, so the chart follows the page's light or dark scheme; each
    line also has its own dash pattern and its name at its end. ``summary`` is the chart as
    text, for screen readers (``aria-label``) and as the tooltip (``<title>``).
    """
    largest = max((v for _, values in series for v in values), default=0.0)
    largest = float(largest) or 1.0
    # room on the right for the longest label
    label_w = max((_text_width(name) for name, _ in series), default=0)
    left, top, bottom, plot_w, plot_h = 64, 40, 48, 430, 312
    width, height = left + plot_w + 20 + label_w, top + plot_h + bottom

    def x_at(i: int) -> float:
        return left + plot_w * i / max(len(x_labels) - 1, 1)

    def y_at(value: float) -> float:
        return float(top + plot_h * (1 - value / largest))

    parts = [
        f'<text x="{left}" y="20" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="currentColor"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="currentColor"/>',
    ]
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        y = y_at(largest * fraction)
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{largest * fraction:,.0f}</text>"
        )
    for i, x_label in enumerate(x_labels):
        parts.append(
            f'<text x="{x_at(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
            f"{escape(x_label)}</text>"
        )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle">'
        f"{escape(x_axis)}</text>"
    )
    parts.append(f'<text x="{left - 6}" y="{top - 14}" text-anchor="end">{escape(y_axis)}</text>')
    ends: list[tuple[float, str]] = []
    for n, (name, values) in enumerate(series):
        colour, dash = PALETTE[n % len(PALETTE)]
        points = [(x_at(i), y_at(value)) for i, value in enumerate(values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"'
            f"{dash_attr}/>"
        )
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points]
        ends.append((points[-1][1], name))
    # names at the lines' ends, spread apart (at least `gap` pixels) within the plot
    gap = 16.0
    ends.sort()
    ys = [y for y, _ in ends]
    for i in range(1, len(ys)):
        ys[i] = max(ys[i], ys[i - 1] + gap)
    if ys:
        ys[-1] = min(ys[-1], top + plot_h)
    for i in range(len(ys) - 2, -1, -1):
        ys[i] = min(ys[i], ys[i + 1] - gap)
    for y, (_, name) in zip(ys, ends, strict=True):
        parts.append(f'<text x="{left + plot_w + 10}" y="{y + 4:.1f}">{escape(name)}</text>')
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(summary)}" '
            f'class="{escape(css_class)}" font-family="sans-serif" font-size="14" '
            'fill="currentColor" style="max-width: 100%; height: auto">',
            f"<title>{escape(summary)}</title>",
            *parts,
            "</svg>",
        ]
    )
