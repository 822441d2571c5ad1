"""A small SVG toolkit for the chapter's figures: one visual language for all of them.

The figures are drawn while the site is built, by hidden markdown-exec blocks that run in
the page's own session, so every number a figure shows is a tensor the page's code has
just computed and printed. This module lives with the docs, not in the wheel: a reader who
installs ``llm_attention`` gets no drawing code.

Visual language (the colours are CSS custom properties in ``docs/assets/site.css``, with
a light and a dark value each, so a figure follows the page's palette):

- role ``x``: inputs and embeddings; ``q``: queries; ``k``: keys; ``v``: values;
  ``z``: context vectors; ``w``: trainable weight matrices; ``s``: scores;
  ``mute``: masked or dropped entries and things in the background.
- attention weights in ``[0, 1]`` are drawn on one blue scale (the scale of
  ``attention_heatmap_svg``), with their numbers in an ink that contrasts with the cell.
- all text is real ``<text>``, in the page's language; numbers carry the class ``lf-num``
  and are rounded to two decimals unless a figure says otherwise.
- every SVG has ``role="img"``, a ``<title>`` and a ``<desc>`` (its accessible name and
  description); every figure has a caption that names the book's figure it corresponds to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from html import escape

from llm_attention.plotting import _colour, _contrast, _ink

ROLES = ("x", "q", "k", "v", "z", "w", "s", "mute", "accent")
LANGS = ("en", "zh")
FONT = "14"
# narrower than this, a figure stops shrinking and scrolls inside its own box
MIN_WIDTH = 440

BOOK_FIGURE = {
    "en": ("Corresponds to the book's figure {}.", "Corresponds to the book's figures {} and {}."),
    "zh": ("对应书中图 {}。", "对应书中图 {} 和图 {}。"),
}
EXPLORE = {"en": "Try it live in the explorer", "zh": "在注意力探索器中动手试试"}


# The blue scale of attention weights, its ink and the contrast rule are the package's own
# (``attention_heatmap_svg``), so a figure and a reader's heatmap colour a weight alike.
heat_colour = _colour
heat_ink = _ink
contrast = _contrast

SUB = "₀₁₂₃₄₅₆₇₈₉"
SUP = "⁰¹²³⁴⁵⁶⁷⁸⁹"


def sub(i: int) -> str:
    """``i`` as subscript digits: ``sub(12)`` is ``"₁₂"``."""
    return "".join(SUB[int(c)] for c in str(i))


def sup(i: int) -> str:
    """``i`` as a bracketed superscript, the token index of the formulas: ``"⁽²⁾"``."""
    return "⁽" + "".join(SUP[int(c)] for c in str(i)) + "⁾"


def fmt(value: float, digits: int = 2) -> str:
    """A number as the figures print it: rounded, with a real minus sign."""
    text = f"{value:.{digits}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text.replace("-", "\u2212")


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class Svg:
    """An SVG drawing in user units (pixels at full size), with an accessible name."""

    def __init__(self, fig_id: str, width: float, height: float, title: str, desc: str) -> None:
        if not re.fullmatch(r"[a-z0-9-]+", fig_id):
            raise ValueError(f"fig_id must be lowercase letters, digits and '-', got {fig_id!r}")
        self.fig_id = fig_id
        self.width = width
        self.height = height
        self.title = title
        self.desc = desc
        self.parts: list[str] = []

    # ------------------------------------------------------------ primitives
    def add(self, element: str) -> None:
        self.parts.append(element)

    def text(
        self,
        x: float,
        y: float,
        content: str,
        *,
        cls: str = "lf-t",
        anchor: str = "middle",
        size: float | None = None,
        bold: bool = False,
        italic: bool = False,
        extra: str = "",
    ) -> None:
        """Text whose baseline sits at ``y``. ``content`` is escaped."""
        self._text(x, y, escape(content), cls, anchor, size, bold, italic, extra)

    def _text(
        self,
        x: float,
        y: float,
        inner: str,
        cls: str,
        anchor: str,
        size: float | None,
        bold: bool,
        italic: bool = False,
        extra: str = "",
    ) -> None:
        attrs = [f'x="{_num(x)}"', f'y="{_num(y)}"', f'class="{cls}"', f'text-anchor="{anchor}"']
        if size is not None:
            attrs.append(f'font-size="{_num(size)}"')
        if bold:
            attrs.append('font-weight="bold"')
        if italic:
            attrs.append('font-style="italic"')
        if extra:
            attrs.append(extra)
        self.add(f"<text {' '.join(attrs)}>{inner}</text>")

    def rich(
        self,
        x: float,
        y: float,
        text: str,
        *,
        cls: str = "lf-t",
        anchor: str = "middle",
        size: float | None = None,
        bold: bool = False,
    ) -> None:
        """Text with ``_{subscript}`` spans, e.g. ``W_{q}`` (one level, 12 px)."""
        spans = []
        lowered = False
        for part in re.split(r"(_\{[^}]*\})", text):
            if not part:
                continue
            if part.startswith("_{"):
                dy = "" if lowered else ' dy="4"'
                spans.append(f'<tspan{dy} font-size="12">{escape(part[2:-1])}</tspan>')
                lowered = True
            else:
                spans.append(f'<tspan dy="-4">{escape(part)}</tspan>' if lowered else escape(part))
                lowered = False
        self._text(x, y, "".join(spans), cls, anchor, size, bold)

    def number(
        self,
        x: float,
        y: float,
        value: float,
        *,
        digits: int = 2,
        tag: str | None = None,
        index: Sequence[int] = (),
        **kw: object,
    ) -> None:
        """A number from a tensor, marked ``lf-num`` so tests can read it back.

        ``tag`` names the printed tensor the number comes from (``"attn_scores_2"``, or a
        part of one, ``"inputs[1]"``) and ``index`` its position in that tensor: they are
        written as ``data-tensor`` and ``data-index``, and the site tests compare the number
        with what the page printed (tests/website/test_figures.py).
        """
        cls = str(kw.pop("cls", "lf-t"))
        extra = str(kw.pop("extra", ""))
        if tag is not None:
            extra = f"{extra} {_tensor_attrs(tag, index)}".strip()
        self.text(x, y, fmt(value, digits), cls=f"{cls} lf-num", extra=extra, **kw)  # type: ignore[arg-type]

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        cls: str,
        rx: float = 4,
        fill: str | None = None,
    ) -> None:
        fill_attr = f' fill="{fill}"' if fill else ""
        self.add(
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" '
            f'rx="{_num(rx)}" class="{cls}"{fill_attr}/>'
        )

    def box(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        role: str,
        label: str = "",
        *,
        sub: str = "",
        size: float | None = None,
        strong: bool = False,
    ) -> None:
        """A rounded box in a role's colours, with up to two centred lines of text."""
        _check_role(role)
        self.rect(x, y, w, h, cls=f"lf-box lf-{role}{' lf-strong' if strong else ''}", rx=6)
        if label and sub:
            self.text(x + w / 2, y + h / 2 - 3, label, size=size, bold=True)
            self.text(x + w / 2, y + h / 2 + 14, sub, cls="lf-t lf-small")
        elif label:
            self.text(x + w / 2, y + h / 2 + 5, label, size=size, bold=True)

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        *,
        cls: str = "lf-line",
        arrow: bool = True,
        width: float | None = None,
    ) -> None:
        end = f' marker-end="url(#{self.fig_id}-arrow)"' if arrow else ""
        sw = f' stroke-width="{width:.2f}"' if width is not None else ""
        self.add(
            f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" '
            f'class="{cls}"{sw}{end}/>'
        )

    def path(self, d: str, *, cls: str = "lf-line", arrow: bool = True) -> None:
        end = f' marker-end="url(#{self.fig_id}-arrow)"' if arrow else ""
        self.add(f'<path d="{d}" class="{cls}" fill="none"{end}/>')

    # ------------------------------------------------------------ data
    def vector(
        self,
        x: float,
        y: float,
        values: Sequence[float],
        role: str,
        *,
        cell_w: float = 54,
        cell_h: float = 28,
        vertical: bool = False,
        digits: int = 2,
        label: str = "",
        label_side: str = "left",
        tag: str | None = None,
    ) -> tuple[float, float]:
        """A vector as a strip of cells with its numbers; returns the strip's (width, height).

        ``tag``: the printed tensor the values are (see :meth:`number`).
        """
        _check_role(role)
        n = len(values)
        w, h = (cell_w, cell_h * n) if vertical else (cell_w * n, cell_h)
        self.rect(x, y, w, h, cls=f"lf-box lf-{role}", rx=4)
        for i, value in enumerate(values):
            cx = x + (cell_w / 2 if vertical else cell_w * (i + 0.5))
            cy = y + (cell_h * (i + 0.5) if vertical else cell_h / 2)
            if i:
                if vertical:
                    self.line(x, y + cell_h * i, x + w, y + cell_h * i, cls="lf-grid", arrow=False)
                else:
                    self.line(x + cell_w * i, y, x + cell_w * i, y + h, cls="lf-grid", arrow=False)
            self.number(cx, cy + 5, float(value), digits=digits, tag=tag, index=(i,))
        if label:
            if label_side == "left":
                self.text(x - 8, y + min(h, cell_h) / 2 + 5, label, anchor="end", bold=True)
            elif label_side == "above":
                self.text(x + w / 2, y - 8, label, bold=True)
            elif label_side == "below":
                self.text(x + w / 2, y + h + 18, label, bold=True)
            else:
                self.text(x + w + 8, y + min(h, cell_h) / 2 + 5, label, anchor="start", bold=True)
        return w, h

    def matrix(
        self,
        x: float,
        y: float,
        values: Sequence[Sequence[float]],
        *,
        role: str | None = None,
        cell: float = 40,
        cell_h: float | None = None,
        digits: int = 2,
        show_values: bool = True,
        row_labels: Sequence[str] = (),
        col_labels: Sequence[str] = (),
        highlight_row: int | None = None,
        muted: Iterable[tuple[int, int]] = (),
        muted_text: str = "",
        tag: str | None = None,
    ) -> tuple[float, float]:
        """A matrix as a grid. With ``role=None`` the cells are attention weights (blue scale).

        ``muted`` cells (masked, dropped) are drawn grey and hatched, with ``muted_text``
        instead of their number. ``tag``: the printed tensor the values are (see
        :meth:`number`). Returns the grid's (width, height).
        """
        rows = [list(map(float, r)) for r in values]
        n_rows, n_cols = len(rows), len(rows[0]) if rows else 0
        ch = cell_h or cell
        muted_set = set(muted)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                x0, y0 = x + j * cell, y + i * ch
                if (i, j) in muted_set:
                    self.rect(x0, y0, cell, ch, cls="lf-cell lf-masked", rx=0)
                    self.add(
                        f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(cell)}" '
                        f'height="{_num(ch)}" fill="url(#{self.fig_id}-hatch)" class="lf-hatch"/>'
                    )
                    if show_values and muted_text:
                        self.text(x0 + cell / 2, y0 + ch / 2 + 5, muted_text, cls="lf-t lf-small")
                    continue
                if role is None:
                    self.rect(x0, y0, cell, ch, cls="lf-cell", rx=0, fill=heat_colour(value))
                    if show_values:
                        attrs = f'fill="{heat_ink(value)}"'
                        if tag is not None:
                            attrs += " " + _tensor_attrs(tag, (i, j))
                        self.text(
                            x0 + cell / 2,
                            y0 + ch / 2 + 4.5,
                            fmt(value, digits),
                            cls="lf-heat-t lf-num",
                            size=12,
                            extra=attrs,
                        )
                else:
                    _check_role(role)
                    self.rect(x0, y0, cell, ch, cls=f"lf-cell lf-{role}", rx=0)
                    if show_values:
                        self.number(
                            x0 + cell / 2,
                            y0 + ch / 2 + 4.5,
                            value,
                            digits=digits,
                            size=12,
                            tag=tag,
                            index=(i, j),
                        )
        for i, label in enumerate(row_labels):
            self.text(x - 6, y + (i + 0.5) * ch + 5, label, anchor="end", size=13)
        for j, label in enumerate(col_labels):
            self.add(
                f'<text transform="translate({_num(x + (j + 0.5) * cell + 4)},{_num(y - 6)}) '
                f'rotate(-55)" class="lf-t" font-size="13">{escape(label)}</text>'
            )
        if highlight_row is not None:
            self.rect(
                x - 2,
                y + highlight_row * ch - 2,
                n_cols * cell + 4,
                ch + 4,
                cls="lf-highlight",
                rx=3,
            )
        return n_cols * cell, n_rows * ch

    # ------------------------------------------------------------ output
    def render(self) -> str:
        fid = self.fig_id
        defs = (
            "<defs>"
            f'<marker id="{fid}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            'markerHeight="7" orient="auto-start-reverse">'
            '<path d="M0,0 L10,5 L0,10 z" class="lf-arrowhead"/></marker>'
            f'<pattern id="{fid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" '
            'class="lf-hatch-line"/></pattern>'
            "</defs>"
        )
        min_w = min(self.width, MIN_WIDTH)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="lf-svg" '
            f'viewBox="0 0 {_num(self.width)} {_num(self.height)}" '
            f'width="{_num(self.width)}" height="{_num(self.height)}" '
            f'style="min-width:{_num(min_w)}px" role="img" '
            f'aria-labelledby="{fid}-title" aria-describedby="{fid}-desc" '
            f'font-size="{FONT}">'
            f'<title id="{fid}-title">{escape(self.title)}</title>'
            f'<desc id="{fid}-desc">{escape(self.desc)}</desc>'
            f"{defs}{''.join(self.parts)}</svg>"
        )


def _tensor_attrs(tag: str, index: Sequence[int]) -> str:
    """The attributes that tie a drawn number to a printed tensor (see ``Svg.number``)."""
    attrs = f'data-tensor="{escape(tag)}"'
    if index:
        attrs += f' data-index="{",".join(str(int(i)) for i in index)}"'
    return attrs


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")


def book_reference(book: str | tuple[str, str], lang: str) -> str:
    """The caption's last sentence: which of the book's figures this one corresponds to."""
    one, two = BOOK_FIGURE[lang]
    return one.format(book) if isinstance(book, str) else two.format(*book)


def figure(
    book: str | tuple[str, str],
    svgs: Svg | Sequence[Svg],
    caption: str,
    lang: str,
    *,
    explorer: str | None = None,
) -> str:
    """The HTML of one figure: the drawing(s) in a scroll box, and a caption.

    ``book`` is the book's figure number ("3.7"), or two numbers for a figure that covers
    two of the book's. ``caption`` says what the figure shows, in ``lang``; the reference
    to the book's figure is added. ``explorer`` is a query string (``"stage=3.3&query=1"``):
    the caption then links the explorer in that state.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    numbers = (book,) if isinstance(book, str) else tuple(book)
    for number in numbers:
        if not re.fullmatch(r"3\.\d{1,2}", number):
            raise ValueError(f"book must name a chapter-3 figure like '3.7', got {number!r}")
    drawings = [svgs] if isinstance(svgs, Svg) else list(svgs)
    fig_id = "figure-" + numbers[0].replace(".", "-")
    link = ""
    if explorer:
        link = (
            f'{"" if lang == "zh" else " "}<a class="lf-explore" '
            f'href="../../explorer/?{escape(explorer)}">'
            f"{EXPLORE[lang]}</a>{'。' if lang == 'zh' else '.'}"
        )
    ref = book_reference(book, lang)
    space = "" if lang == "zh" else " "
    return (
        f'<figure class="llm-figure" id="{fig_id}" data-book-figure="{" ".join(numbers)}">'
        f'<div class="llm-figure__scroll" tabindex="0" role="group" '
        f'aria-label="{escape(drawings[0].title)}">'
        + "".join(d.render() for d in drawings)
        + f"</div><figcaption>{caption}{space}"
        f'<span class="lf-book">{escape(ref)}</span>{link}</figcaption></figure>'
    )


def tokens_or(labels: Sequence[str]) -> list[str]:
    """Token labels as the figures print them (stripped; a lone space shown as a quote)."""
    return [label.strip() or repr(label) for label in labels]
