"""The search box finds the right page, for Chinese queries too (the index is segmented by jieba).

Typed into Material's search box as a reader would; the results are read from the list the
reader sees. Material lists results ten at a time: "among the first results" means on that
first screen.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from browser_lib import Tab, format_problems, open_page, search_results

pytestmark = pytest.mark.browser

TOP = 10  # results on the first screen

CASES = [
    # id, query, the page it is typed on, the page it must find, words every top result matches
    (
        "zh-attention-weights",
        "注意力权重",
        "zh/",
        "zh/chapter/3.3-self-attention/",
        ["注意力", "权重"],
    ),
    (
        "zh-causal-attention",
        "因果注意力",
        "zh/",
        "zh/chapter/3.5-causal-attention/",
        ["因果", "注意力"],
    ),
    (
        "zh-multi-head",
        "多头注意力",
        "zh/",
        "zh/chapter/3.6-multi-head-attention/",
        ["多头", "注意力"],
    ),
    (
        "en-causal-attention",
        "causal attention",
        "",
        "chapter/3.5-causal-attention/",
        ["causal", "attention"],
    ),
    (
        "en-multi-head",
        "multi-head attention",
        "",
        "chapter/3.6-multi-head-attention/",
        ["multi", "head", "attention"],
    ),
]


def _page(url: str, base_url: str) -> str:
    return urlsplit(url.removeprefix(base_url)).path


def _matched_terms(url: str) -> list[str]:
    """The words a result matched, from the ?h= highlight parameter of its link."""
    return " ".join(parse_qs(urlsplit(url).query).get("h", [""])).split()


@pytest.mark.parametrize(
    ("query", "start", "expected", "words"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_search_finds_the_page(
    fresh_tab: Tab, base_url: str, query: str, start: str, expected: str, words: list[str]
) -> None:
    open_page(fresh_tab.page, fresh_tab.rec, base_url + start)
    results = search_results(fresh_tab.page, query)
    pages = [_page(r, base_url) for r in results]
    assert expected in pages[:TOP], (
        f"search for {query!r} on /{start}: {expected} is not among the first {TOP} results; "
        f"results: {pages[:TOP]}"
    )
    # no word of the query is dropped: the best result matches them all
    matched = _matched_terms(results[0])
    missing = [w for w in words if not any(w.startswith(t) or t.startswith(w) for t in matched)]
    assert not missing, (
        f"search for {query!r}: the best result ({pages[0]}) matched only {matched}, "
        f"not {missing}: the query lost words"
    )
    problems = fresh_tab.rec.console_errors + fresh_tab.rec.page_errors
    assert not problems, format_problems(f"search for {query!r}", problems)
