"""Attention-weight heatmaps as self-contained SVG, with no plotting library.

The site draws its figures with this module while it is built, and readers can
use it in a notebook (``IPython.display.SVG(attention_heatmap_svg(...))``). The
output is plain SVG text: labels stay real text (so Chinese labels render with
the reader's fonts), and nothing is fetched from anywhere.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from html import escape

import torch

from llm_attention.checks import check_bool, check_positive_int

__all__ = ["attention_heatmap_svg"]

# Colour stops of a light-to-dark blue scale, chosen for contrast on white and dark pages.
_STOPS = ((0.0, (247, 251, 255)), (0.5, (107, 174, 214)), (1.0, (8, 48, 107)))


def _colour(value: float) -> str:
    v = min(max(value, 0.0), 1.0)
    for (x0, c0), (x1, c1) in itertools.pairwise(_STOPS):
        if v <= x1:
            t = (v - x0) / (x1 - x0)
            r, g, b = (round(a + (b_ - a) * t) for a, b_ in zip(c0, c1, strict=True))
            return f"#{r:02x}{g:02x}{b:02x}"
    r, g, b = _STOPS[-1][1]
    return f"#{r:02x}{g:02x}{b:02x}"


def _ink(value: float) -> str:
    """Text colour for a cell of ``_colour(value)``: contrast at least 4.5:1 (WCAG AA).

    White on the dark cells, near-black on the light ones, pure black on the few mid-blue
    cells where neither reaches 4.5:1.
    """
    fill = _colour(value)
    for ink in ("#ffffff", "#1a1a1a"):
        if _contrast(ink, fill) >= 4.5:
            return ink
    return "#000000"


def _contrast(a: str, b: str) -> float:
    """The WCAG 2 contrast ratio of two ``#rrggbb`` colours."""

    def luminance(colour: str) -> float:
        channels = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _visible(text: str) -> str:
    r"""``text`` with every character XML 1.0 cannot hold, or that draws nothing, made visible.

    C0 controls (except tab, newline and carriage return, which XML holds) and DEL have
    no place in an XML document, even escaped, so they become their Unicode control
    pictures (``"\x1b"`` -> ``"\u241b"``, "␛"; DEL -> "␡"). C1 controls (U+0080 to U+009F,
    legal but invisible), lone surrogates, U+FFFE and U+FFFF have no picture and become
    their Python escape as text (``\x85``, ``\ud800``).
    """
    out = []
    for char in text:
        code = ord(char)
        if code < 0x20 and char not in "\t\n\r":
            out.append(chr(0x2400 + code))
        elif code == 0x7F:
            out.append("\u2421")
        elif 0x80 <= code <= 0x9F or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            out.append(ascii(char)[1:-1])
        else:
            out.append(char)
    return "".join(out)


def _text(text: str) -> str:
    """``text`` ready for an SVG element: control characters made visible, then escaped."""
    return escape(_visible(text))


def _label(label: str) -> str:
    """A tick label as drawn: stripped, or its ``repr`` when nothing but white space is left."""
    return _visible(label.strip()) or _visible(repr(label))


def _check_labels(name: str, labels: object, count: int) -> None:
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        raise TypeError(
            f"{name} must be a sequence of str (one per entry), got {type(labels).__name__}"
        )
    if len(labels) != count:
        raise ValueError(f"{name} must have {count} entries, got {len(labels)}")
    for label in labels:
        if not isinstance(label, str):
            raise TypeError(
                f"{name} must hold str labels, got {type(label).__name__} ({label!r}); "
                "convert them, e.g. [str(t) for t in labels]"
            )


def attention_heatmap_svg(
    attn_weights: torch.Tensor,
    row_labels: Sequence[str],
    col_labels: Sequence[str] | None = None,
    *,
    title: str = "",
    x_label: str = "",
    y_label: str = "",
    show_values: bool = True,
    cell_size: int = 44,
) -> str:
    r"""Draw a matrix of attention weights as an SVG heatmap.

    Row ``i`` is query token ``i``, column ``j`` is key token ``j``; darker means a
    larger weight. Colours span ``[0, 1]``, the range of attention weights.

    Labels and captions are drawn as text, so the output is always well-formed XML: a
    control character, which XML cannot hold (a single GPT-2 token can be one, see
    [`token_strings`][llm_attention.token_strings]), is drawn as its Unicode control
    picture (``"\x1b"`` as ␛), and a label that is only white space as its ``repr``.

    Args:
        attn_weights: the weights to draw.
        row_labels: one label per row (the query tokens).
        col_labels: one label per column; defaults to ``row_labels``.
        title: a caption drawn above the grid and used as the SVG's accessible name.
        x_label: caption under the columns (e.g. "keys").
        y_label: caption beside the rows (e.g. "queries").
        show_values: print each weight, to two decimals, inside its cell.
        cell_size: width and height of one cell, in pixels.

    Shape:
        ``attn_weights``: ``(num_queries, num_tokens)``.

    Returns:
        the SVG document as a string.
    """
    if not isinstance(attn_weights, torch.Tensor):
        raise TypeError(f"attn_weights must be a torch.Tensor, got {type(attn_weights).__name__}")
    if attn_weights.dim() != 2:
        raise ValueError(
            "attn_weights must be a 2-D tensor of shape (num_queries, num_tokens), "
            f"got shape {tuple(attn_weights.shape)}"
        )
    n_rows, n_cols = attn_weights.shape
    col_labels = row_labels if col_labels is None else col_labels
    _check_labels("row_labels", row_labels, n_rows)
    _check_labels("col_labels", col_labels, n_cols)
    for name, text in (("title", title), ("x_label", x_label), ("y_label", y_label)):
        if not isinstance(text, str):
            raise TypeError(f"{name} must be a str, got {type(text).__name__}")
    check_bool("show_values", show_values)
    cell_size = check_positive_int("cell_size", cell_size)
    values = attn_weights.detach().to("cpu", torch.float64).tolist()

    rows = [_label(label) for label in row_labels]
    cols = [_label(label) for label in col_labels]
    longest = max((len(s) for s in (*rows, *cols)), default=1)
    label_w = 14 + 8 * longest  # room for row labels (left) and rotated column labels (top)
    left = label_w + (22 if y_label else 0)
    top = (30 if title else 8) + label_w
    width = left + n_cols * cell_size + 10
    height = top + n_rows * cell_size + (30 if x_label else 10)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="attention-heatmap" '
        f'font-family="sans-serif" font-size="13">',
        f"<title>{_text(title or 'attention weights')}</title>",
    ]
    if title:
        parts.append(
            f'<text x="{width / 2:.1f}" y="20" text-anchor="middle" font-size="15" '
            f'font-weight="bold" fill="currentColor">{_text(title)}</text>'
        )
    for j, label in enumerate(cols):
        x = left + (j + 0.5) * cell_size
        parts.append(
            f'<text transform="translate({x:.1f},{top - 6}) rotate(-60)" '
            f'fill="currentColor">{escape(label)}</text>'
        )
    for i, label in enumerate(rows):
        y = top + (i + 0.5) * cell_size + 4
        parts.append(
            f'<text x="{left - 6}" y="{y:.1f}" text-anchor="end" '
            f'fill="currentColor">{escape(label)}</text>'
        )
        for j in range(n_cols):
            v = values[i][j]
            x0, y0 = left + j * cell_size, top + i * cell_size
            parts.append(
                f'<rect x="{x0}" y="{y0}" width="{cell_size}" height="{cell_size}" '
                f'fill="{_colour(v)}" stroke="#ffffff" stroke-width="1"/>'
            )
            if show_values:
                ink = _ink(v)
                parts.append(
                    f'<text x="{x0 + cell_size / 2:.1f}" y="{y0 + cell_size / 2 + 4:.1f}" '
                    f'text-anchor="middle" font-size="11" fill="{ink}">{v:.2f}</text>'
                )
    if x_label:
        parts.append(
            f'<text x="{left + n_cols * cell_size / 2:.1f}" y="{height - 8}" '
            f'text-anchor="middle" fill="currentColor">{_text(x_label)}</text>'
        )
    if y_label:
        cy = top + n_rows * cell_size / 2
        parts.append(
            f'<text transform="translate(16,{cy:.1f}) rotate(-90)" text-anchor="middle" '
            f'fill="currentColor">{_text(y_label)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
