"""Search finds Chinese and English terms in the built index.

The test reads ``search/search_index.json`` the way Material's search does: the index text
is split with the configured separator (the build segments Chinese with jieba and puts a
zero-width space between words), and a query is segmented the same way and must match every
one of its terms. The browser suite checks the search box itself.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jieba
import pytest


def load_index(site: Path) -> tuple[re.Pattern[str], list[dict[str, str]]]:
    data = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    return re.compile(data["config"]["separator"]), data["docs"]


def terms(text: str, separator: re.Pattern[str]) -> set[str]:
    return {t.lower() for t in separator.split(text) if t}


def search(site: Path, query: str) -> list[str]:
    separator, docs = load_index(site)
    wanted = {t.lower() for t in jieba.cut_for_search(query) if t.strip()}
    wanted = {t for t in wanted if not separator.fullmatch(t)}
    # the most specific words must all occur: drop sub-words jieba adds for recall
    longest = {t for t in wanted if not any(t != u and t in u for u in wanted)}
    hits = []
    for doc in docs:
        have = terms(doc["title"] + " " + doc["text"], separator)
        if longest <= have:
            hits.append(doc["location"])
    return hits


def test_index_holds_both_languages_and_segmented_chinese(site_dir: Path) -> None:
    separator, docs = load_index(site_dir)
    locations = [d["location"] for d in docs]
    assert any(loc.startswith("zh/") for loc in locations)
    assert any(not loc.startswith("zh/") for loc in locations)
    zh_text = " ".join(d["text"] for d in docs if d["location"].startswith("zh/"))
    assert "\u200b" in zh_text, "Chinese text in the index is not segmented (is jieba installed?)"
    assert separator.split("注意力\u200b权重") == ["注意力", "权重"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("注意力权重", "zh/chapter/3.3-self-attention/"),
        ("因果注意力", "zh/chapter/3.5-causal-attention/"),
        ("多头注意力", "zh/chapter/3.6-multi-head-attention/"),
        ("causal attention", "chapter/3.5-causal-attention/"),
        ("attention weights", "chapter/3.3-self-attention/"),
        ("dropout", "chapter/3.5-causal-attention/"),
    ],
)
def test_query_finds_the_right_page(site_dir: Path, query: str, expected: str) -> None:
    hits = search(site_dir, query)
    pages = {h.split("#")[0] for h in hits}
    assert expected in pages, f"{query!r} did not find {expected}; found {sorted(pages)[:10]}"


def test_every_glossary_term_is_a_tag_of_its_section(site_dir: Path) -> None:
    """The build wrote each term of tools/hooks/search_terms.yml into its section's tags (the hook
    leaves an index of one language alone, so a build where it never saw both would pass
    silently without this check)."""
    from search_terms import LANG_PREFIX, TERMS

    docs = {doc["location"]: doc for doc in load_index(site_dir)[1]}
    missing = []
    for term in TERMS:
        for lang, queries in (("en", term.en), ("zh", term.zh)):
            location = LANG_PREFIX[lang] + term.section
            tags = [t.replace("\u200b", "") for t in docs.get(location, {}).get("tags", [])]
            missing += [f"{lang} {q!r} -> {location}" for q in queries if q not in tags]
    assert not missing, missing
