"""A link that quotes a section's heading quotes it as the heading reads.

A link such as "see [why the naive softmax is fragile](3.3...#overflow)" names its target;
when the heading is reworded (or translated differently) and the link is not, the reader
looks for a section that is not there. Only links to a heading of the site, whose text is
that heading's title or nearly so, are checked: "see section 3.4" or "this page" are not
quotations and are left alone.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from website_lib import LANG_PREFIX, page_files

# this similar, and not equal, is a misquoted heading; "dropout 一节" against
# "dropout 只在训练时生效" (0.64) is a description, not a quotation
NEAR_MISS = 0.75
MIN_TITLE = 6  # characters; shorter headings ("SelfAttention_v2") are named, not quoted


def normalize(node: Tag) -> str:
    """The text of a heading or a link, as a reader compares them.

    Drops the permalink sign, a leading section or question number ("3.6.2 ", "11. "),
    spaces and case, and writes math (typeset from ``\\(...\\)`` in the link, plain in
    the heading) the same way on both sides.
    """
    node = BeautifulSoup(str(node), "html.parser")
    for link in node.select("a.headerlink"):
        link.decompose()
    text = node.get_text()
    text = re.sub(r"\\sqrt\{([^}]*)\}", r"√\1", text)
    text = re.sub(r"\\[()\[\]]|[${}]", "", text).replace("−", "-")
    text = re.sub(r"^\s*(第\s*)?\d+(\.\d+)*\.?\s*(节\s*)?", "", text)
    return re.sub(r"\s+", "", text).casefold()


def headings(html: Path, cache: dict[Path, dict[str, Tag]]) -> dict[str, Tag]:
    if html not in cache:
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        cache[html] = {h["id"]: h for h in soup.find_all(re.compile(r"^h[1-6]$")) if h.get("id")}
    return cache[html]


def target_file(page: Path, href: str) -> Path | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.fragment:
        return None
    if not parts.path:
        return page
    target = (page.parent / unquote(parts.path)).resolve()
    return target / "index.html" if target.is_dir() else target


def names_the_object(text: str, title: str) -> bool:
    """Whether a link names an API entry by the end of its dotted path.

    A docstring's cross-reference ``[`GPTModel`][llm_attention.beyond_gpt.GPTModel]`` links to
    the heading ``llm_attention.beyond_gpt.GPTModel``: it names the object, as the code does,
    rather than misquoting the heading.
    """
    return "." in title and title.endswith("." + text)


def test_an_api_link_may_name_its_object_by_the_end_of_its_path() -> None:
    assert names_the_object("kvcachemultiheadattention", "llm_attention.kvcachemultiheadattention")
    assert names_the_object("gptmodel", "llm_attention.beyond_gpt.gptmodel")
    assert not names_the_object("headattention", "llm_attention.multiheadattention")
    assert not names_the_object("thechapter", "beyondthechapter")


@pytest.mark.parametrize("lang", sorted(LANG_PREFIX))
def test_links_quote_their_target_headings(site_dir: Path, lang: str) -> None:
    cache: dict[Path, dict[str, Tag]] = {}
    checked, misquoted = 0, []
    for name, html in sorted(page_files(site_dir, lang).items()):
        body = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        article = body.select_one("article.md-content__inner")
        if article is None:
            continue
        for link in article.select("a[href]"):
            if "headerlink" in (link.get("class") or []):
                continue
            target = target_file(html, str(link["href"]))
            if target is None or not target.is_file():
                continue
            heading = headings(target, cache).get(urlsplit(str(link["href"])).fragment)
            if heading is None:
                continue
            text, title = normalize(link), normalize(heading)
            if text == title or names_the_object(text, title):
                checked += 1
                continue
            near = SequenceMatcher(None, text, title).ratio() >= NEAR_MISS
            if near and len(title) >= MIN_TITLE:
                title_text = heading.get_text().removesuffix("¶").strip()
                misquoted.append(f"{name}: link {link.get_text()!r} -> heading {title_text!r}")
    assert not misquoted, "links that misquote their target headings:\n" + "\n".join(misquoted)
    assert checked, f"no {lang} link quotes a heading: the check found nothing to check"
