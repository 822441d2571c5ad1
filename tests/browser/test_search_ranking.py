"""Typing a glossary term into the search box puts the section that introduces it first.

Each term of the glossary (docs/glossary.md, docs/glossary.zh.md) is a query a reader will
type, in English on the English pages and in Chinese on the Chinese pages. The first result
must be the section that introduces the term, in the reader's language: not a later page that
uses it, not the glossary, not a notebook, not the other language's page. The query is typed
into Material's search box and the answer read from the list the reader sees.

Where each term is introduced is tools/hooks/search_terms.yml (``TERMS``), which the build
checks against the pages and writes into the search index as tags; the site's search worker
(docs/assets/javascripts/workers/language-search.js) gives each language its own search and
puts a tagged section first. How Material ranks without that (mkdocs-material 9.8, read from
its search worker): every section of a page is its own search
document; a match in a section's heading weighs 1000 times a match in its text, a match in its
tags a million times; a page's opening section (its URL without an anchor) scores up to 2.5
times more than a section further down; ``search: boost`` in a page's front matter multiplies
every section of that page alike. The result list groups sections by page; the first item is
the best page, and its best section is the link with the highest score (``data-md-score``).
That link is "the top result" here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from browser_lib import LANG_PREFIX, Tab, open_page, search_box
from playwright.sync_api import Page, Route
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from search_terms import TERMS

pytestmark = pytest.mark.browser


def _cases() -> list[tuple[str, str, str]]:
    cases = []
    for term in TERMS:
        for lang, queries in (("en", term.en), ("zh", term.zh)):
            for query in queries:
                cases.append((lang, query, LANG_PREFIX[lang] + term.section))
    return cases


CASES = _cases()


# Every link of the first result item, with the score Material gave it, best page first.
FIRST_ITEM_JS = """
() => {
  const item = document.querySelector(".md-search-result__item");
  if (!item) return null;
  return [...item.querySelectorAll("a.md-search-result__link")].map((a) => ({
    href: a.href,
    score: Number(a.querySelector("article").dataset.mdScore),
    tags: [...a.querySelectorAll(".md-tag")].map((tag) => tag.textContent),
  }));
}
"""
PAGES_JS = """
() => [...document.querySelectorAll(".md-search-result__item")].slice(0, 5)
  .map((li) => li.querySelector("a.md-search-result__link").href)
"""
ALL_LINKS_JS = """
() => [...document.querySelectorAll("a.md-search-result__link")].map((a) => a.href)
"""


def location(url: str, base_url: str) -> str:
    """A result link as an index location: the path below the site root and the #anchor."""
    parts = urlsplit(url)
    path = parts.path.removeprefix(urlsplit(base_url).path)
    return path + (f"#{parts.fragment}" if parts.fragment else "")


def search(page: Page, query: str) -> bool:
    """Type ``query`` into the search box and wait for its results; False if none came."""
    box = search_box(page)
    # empty the list first, so the items waited for below belong to this query
    box.fill("")
    box.press("End")
    page.wait_for_function(
        "() => !document.querySelector('.md-search-result__item')", timeout=10_000
    )
    box.fill(query)
    box.press("End")  # Material searches on keyup
    try:
        page.locator(".md-search-result__item").first.wait_for(state="attached", timeout=15_000)
    except PlaywrightTimeoutError:
        return False
    return True


def top_result(page: Page, base_url: str, query: str) -> tuple[str | None, list[str], list[str]]:
    """Type ``query`` into the search box; the top result's location, the tags shown under
    it, and the first result pages.

    The top result is the link of the first result item with the highest score. On a tie
    between the page link and one of its sections, Material shows the section as the match
    (the page link then carries no excerpt), so the section wins the tie here too.
    """
    if not search(page, query):
        return None, [], []
    links = page.evaluate(FIRST_ITEM_JS) or []
    if not links:
        return None, [], []
    best = max(link["score"] for link in links)
    tied = [link for link in links if link["score"] == best]
    sections = [link for link in tied if urlsplit(link["href"]).fragment]
    top = (sections or tied)[0]
    pages = [location(href, base_url) for href in page.evaluate(PAGES_JS)]
    return location(top["href"], base_url), top["tags"], pages


@pytest.fixture(scope="module")
def search_tabs(browser: Any, base_url: str) -> Iterator[Callable[[str], Tab]]:
    """One tab per language, on that language's home page; every query is typed there."""
    tabs: dict[str, Tab] = {}

    def get(lang: str) -> Tab:
        if lang not in tabs:
            tab = Tab(browser, {"width": 1280, "height": 800})
            open_page(tab.page, tab.rec, base_url + LANG_PREFIX[lang])
            tabs[lang] = tab
        return tabs[lang]

    yield get
    for tab in tabs.values():
        tab.close()


def _tag(text: str) -> str:
    return text.replace("\u200b", "").strip()


@pytest.mark.parametrize(
    ("lang", "query", "expected"), [pytest.param(*c, id=f"{c[0]}-{c[1]}") for c in CASES]
)
def test_glossary_term_finds_its_section(
    search_tabs: Callable[[str], Tab], base_url: str, lang: str, query: str, expected: str
) -> None:
    tab = search_tabs(lang)
    got, tags, pages = top_result(tab.page, base_url, query)
    assert got == expected, (
        f"search for {query!r} on the {lang} pages: the top result is {got}, not {expected}, "
        f"the section that introduces the term; first result pages: {pages}"
    )
    # the reader sees why it came first: the term, under the result
    assert query in [_tag(tag) for tag in tags], (query, tags)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("query", ["softmax", "MultiHeadAttention", "dropout", "GQA"])
def test_each_language_searches_its_own_pages(
    search_tabs: Callable[[str], Tab], base_url: str, lang: str, query: str
) -> None:
    """One index holds both languages; each language's pages list only their own sections."""
    page = search_tabs(lang).page
    assert search(page, query), f"no results for {query!r} on the {lang} pages"
    links = [location(href, base_url) for href in page.evaluate(ALL_LINKS_JS)]
    other = [link for link in links if link.startswith("zh/") != (lang == "zh")]
    assert links and not other, f"{query!r} on the {lang} pages lists {other}"


# Terms whose section Material's own ranking does not put first (measured without the tags):
# the fault test below removes the tags and expects these to lose their place.
WITHOUT_TAGS_LOSE = [
    ("en", "attention weights", "chapter/3.2-attention-mechanisms/#rnn-attention"),
    ("en", "self-attention", "chapter/3.2-attention-mechanisms/#toward-self-attention"),
    ("zh", "注意力权重", "zh/chapter/3.2-attention-mechanisms/#rnn-attention"),
    ("zh", "softmax", "zh/chapter/3.3-self-attention/#normalization"),
]


def test_fault_untagged_index_loses_the_defining_sections(browser: Any, base_url: str) -> None:
    """Fault injection: serve the search index without the tags the build wrote. The terms
    above then no longer find their section first, so the checks above can fail."""

    def untagged(route: Route) -> None:
        response = route.fetch()
        index = response.json()
        for doc in index["docs"]:
            doc.pop("tags", None)
        route.fulfill(response=response, body=json.dumps(index))

    lost = []
    for lang in ("en", "zh"):
        tab = Tab(browser, {"width": 1280, "height": 800})
        try:
            tab.context.route("**/search/search_index.json", untagged)
            open_page(tab.page, tab.rec, base_url + LANG_PREFIX[lang])
            for case_lang, query, expected in WITHOUT_TAGS_LOSE:
                if case_lang == lang:
                    got, tags, _ = top_result(tab.page, base_url, query)
                    assert not tags, f"the tags were not removed: {tags}"
                    if got != expected:
                        lost.append(query)
        finally:
            tab.close()
    assert lost == [q for _, q, _ in WITHOUT_TAGS_LOSE], f"only {lost} lost their section"


def test_fault_material_worker_alone_mixes_languages_and_loses_sections(
    browser: Any, base_url: str
) -> None:
    """Fault injection: serve a language-search.js that only starts Material's worker, as if
    Material no longer ran the site's worker. Both languages' sections then come back, and
    terms above lose their sections, so the checks above can fail."""
    passthrough = 'importScripts(new URL(self.location.href).searchParams.get("material"));'

    def material_only(route: Route) -> None:
        route.fulfill(status=200, content_type="text/javascript", body=passthrough)

    lost, mixed = [], []
    for lang in ("en", "zh"):
        tab = Tab(browser, {"width": 1280, "height": 800})
        try:
            tab.context.route("**/workers/language-search.js*", material_only)
            open_page(tab.page, tab.rec, base_url + LANG_PREFIX[lang])
            for case_lang, query, expected in WITHOUT_TAGS_LOSE:
                if case_lang == lang:
                    got, _, _ = top_result(tab.page, base_url, query)
                    if got != expected:
                        lost.append(query)
            assert search(tab.page, "softmax")
            links = [location(href, base_url) for href in tab.page.evaluate(ALL_LINKS_JS)]
            if any(link.startswith("zh/") != (lang == "zh") for link in links):
                mixed.append(lang)
        finally:
            tab.close()
    assert mixed == ["en", "zh"], f"only {mixed} listed the other language's sections"
    assert lost, "every term kept its section without the site's worker"
