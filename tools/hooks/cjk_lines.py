"""MkDocs hook: no stray spaces in Chinese text from the line breaks of its source.

A line break inside a paragraph renders as a space, which is right between English words and
wrong between Chinese characters or next to full-width punctuation. ``on_page_markdown`` joins
those soft line breaks on the Chinese pages, outside code fences, before the page is rendered.
"""

from __future__ import annotations

import re
from typing import Any

import i18n_order
import snippets

CJK = "\u3400-\u4dbf\u4e00-\u9fff"  # Chinese characters
CJK_PUNCT = "\u3000-\u303f\uff00-\uffef“”‘’"  # full-width punctuation and Chinese quotes
# inline markup that may stand between the last (first) visible character of a line and the break
CLOSE = r"(?:\*{1,3}|_{1,3}|\]\([^()\s]*\))?"  # **bold**, *em*, [link](url)
OPEN = r"(?:\*{1,3}|_{1,3}|\[)?"
# inline content a line may begin with after full-width punctuation; not a block start
# (list item, heading, table, admonition, $$ or ``` on its own line)
INLINE_START = r"`(?!``)|\$(?!\$)|\[|\*{1,3}\S|_|[A-Za-z]|\d(?!\d*[.)]\s)"
SOFT_BREAK = re.compile(
    # a Chinese character or punctuation on both sides
    rf"(?P<cjk>[{CJK}{CJK_PUNCT}]{CLOSE})\n[ \t]*(?={OPEN}[{CJK}{CJK_PUNCT}])"
    # full-width punctuation before code, math, a link or a Latin word
    rf"|(?P<punct>[{CJK_PUNCT}]{CLOSE})\n[ \t]*(?={INLINE_START})"
    # code, math, a link or a Latin word before full-width punctuation
    rf"|(?P<inline>[\w`$)*_\]])\n[ \t]*(?=[{CJK_PUNCT}])"
)


def join_soft_breaks(text: str) -> str:
    """Drop the soft line breaks in ``text`` that would render as a stray space."""
    return SOFT_BREAK.sub(lambda m: next(g for g in m.groups() if g is not None), text)


def join_cjk_lines(markdown: str) -> str:
    """Join soft line breaks that would put a space next to Chinese text, outside code fences.

    A break between a Chinese character and a Latin word, a number or code stays a space, the
    site's style (第 3.4 节). Lines inside fences are left alone.
    """
    out: list[str] = []
    chunk: list[str] = []
    in_fence = ""
    for line in markdown.split("\n"):
        fence = snippets.FENCE.match(line)
        if in_fence:
            out.append(line)
            if re.match(rf"^\s*{in_fence}\s*$", line):
                in_fence = ""
            continue
        if fence:
            out.append(join_soft_breaks("\n".join(chunk))) if chunk else None
            chunk = []
            out.append(line)
            in_fence = fence.group("ticks")
            continue
        chunk.append(line)
    if chunk:
        out.append(join_soft_breaks("\n".join(chunk)))
    return "\n".join(out)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if i18n_order.current_language(config) != "zh":
        return markdown
    return join_cjk_lines(markdown)
