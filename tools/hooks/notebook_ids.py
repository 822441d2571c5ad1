"""MkDocs hook: each notebook's headings get the explicit ids of its page's headings.

nbconvert makes heading ids from the heading text: English and Chinese ids differ (the
language switch cannot keep the reader's section), and Chinese headings get empty or clashing
ids that the table of contents does not even link to. ``on_page_content`` gives each heading
of a rendered notebook (``notebooks.py`` makes them) the id its page gives it (``{ #id }``),
in the HTML and in the table of contents.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import i18n_order
from notebooks import HEADING, NOTEBOOK_DIR, chapter_pages, page_to_notebook

log = logging.getLogger("mkdocs.hooks.notebook_ids")

NOTEBOOK_HEADING = re.compile(
    r'<h(?P<level>[1-6]) id="(?P<id>[^"]*)">(?P<text>.*?)<a class="anchor-link" href="#[^"]*">',
    re.S,
)


def notebook_heading_ids(markdown: str, lang: str) -> list[str | None]:
    """The explicit ids (``{ #id }``) of the headings the page's notebook shows, in order.

    The notebook's title takes the page title's id; ``None`` where a heading has none.
    """
    explicit: dict[str, str] = {}
    for line in markdown.splitlines():
        m = HEADING.match(line)
        anchor = re.search(r"#([\w\-]+)", m.group(3) or "") if m else None
        if m and anchor:
            explicit[f"{m.group(1)} {m.group(2)}"] = anchor.group(1)
    title = next((v for k, v in explicit.items() if k.startswith("# ")), None)
    ids: list[str | None] = []
    # the headings only: the code cells' snippet lines need not be resolved
    for cell in page_to_notebook(markdown, lang, "", "", snippet_options=None).cells:
        for line in cell.source.splitlines() if cell.cell_type == "markdown" else []:
            m = HEADING.match(line)
            if m:
                ids.append(
                    title if m.group(1) == "#" else explicit.get(f"{m.group(1)} {m.group(2)}")
                )
    return ids


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    if not page.file.src_uri.startswith(f"{NOTEBOOK_DIR}/"):
        return html
    name = Path(page.file.src_uri).name.split(".")[0]
    lang = i18n_order.current_language(config)
    pages = chapter_pages(Path(config["docs_dir"]))
    source = next((p for n, lang_, p in pages if n == name and lang_ == lang), None)
    if source is None:
        return html
    ids = notebook_heading_ids(source.read_text(encoding="utf-8"), lang)
    toc = []
    stack = list(reversed(list(page.toc)))
    while stack:
        item = stack.pop()
        toc.append(item)
        stack.extend(reversed(item.children))
    found = NOTEBOOK_HEADING.findall(html)
    if not (len(found) == len(ids) == len(toc)):
        log.warning(
            f"notebook {page.file.src_uri}: {len(found)} headings, {len(toc)} in its table of "
            f"contents, {len(ids)} on its page: heading ids left as nbconvert made them"
        )
        return html
    for item, anchor in zip(toc, ids, strict=True):
        item.id = anchor or item.id
    new_ids = iter(ids)

    def explicit_id(m: re.Match[str]) -> str:
        anchor = next(new_ids) or m["id"]
        return f'<h{m["level"]} id="{anchor}">{m["text"]}<a class="anchor-link" href="#{anchor}">'

    return NOTEBOOK_HEADING.sub(explicit_id, html)
