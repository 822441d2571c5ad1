"""tools/search_terms.py: every glossary term leads to a section that says it.

The browser suite (tests/browser/test_search_ranking.py) types each term into the search box;
these tests cover the build-time half without a build: the glossary and ``TERMS`` agree, and a
term whose section is missing or does not say the term stops the build with its name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import search_terms
from mkdocs.exceptions import PluginError
from search_terms import TERMS, Term, check_and_tag, on_post_build

ROOT = Path(__file__).resolve().parents[1]


def _names(cell: str) -> set[str]:
    """The names in a glossary cell: "large language model (LLM)" -> both, "a / b" -> both."""
    cell = re.sub(r"\s*[(（]([^)）]*)[)）]", r" / \1", cell)
    return {name.strip() for name in re.split(r"\s*/\s*", cell) if name.strip()}


def test_every_glossary_term_has_a_section() -> None:
    """Each row of the glossary page (English and Chinese term) has an entry in ``TERMS``, so a
    term added to the glossary cannot be left out of search. A row passes when one of its names
    is listed (a parenthesised gloss such as "(no trainable weights)" need not be)."""
    listed = {lang: {q for t in TERMS for q in getattr(t, lang)} for lang in ("en", "zh")}
    missing = []
    glossary = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    for line in glossary.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or cells[0] in ("English", "") or set(cells[0]) <= {"-"}:
            continue
        for lang, cell in (("en", cells[0]), ("zh", cells[1])):
            if not _names(cell) & listed[lang]:
                missing.append(f"{lang}: {cell}")
    assert not missing, f"glossary rows with no entry in tools/search_terms.py: {missing}"


def test_every_section_is_a_page_of_the_site() -> None:
    for term in TERMS:
        page = term.section.split("#")[0].rstrip("/")
        assert (ROOT / "docs" / f"{page}.md").is_file() or (
            ROOT / "docs" / page / "index.md"
        ).is_file(), term


def _index(*docs: tuple[str, str, str]) -> dict:
    return {"docs": [{"location": loc, "title": title, "text": text} for loc, title, text in docs]}


TERM = Term(("attention weights",), ("注意力权重",), "chapter/x/#w")


def test_a_section_that_says_the_term_gets_it_as_a_tag() -> None:
    index = _index(
        ("chapter/x/#w", "Weights", "<p>The <strong>attention weight</strong> of a pair</p>"),
        ("zh/chapter/x/#w", "权重", "<p>\u200b注意力\u200b权重\u200b是</p>"),
    )
    assert check_and_tag(index, [TERM]) == []
    tags = [doc["tags"] for doc in index["docs"]]
    assert tags[0] == ["attention weights"]
    assert tags[1][0].replace("\u200b", "") == "注意力权重"


@pytest.mark.parametrize(
    ("docs", "problem"),
    [
        # the section is not in the index (a renamed heading id, a moved page)
        (
            (("chapter/x/#v", "V", "attention weights"), ("zh/chapter/x/#w", "", "注意力权重")),
            "en ('attention weights',): no section chapter/x/#w in the search index",
        ),
        # the section does not say the term, in that language
        (
            (("chapter/x/#w", "W", "attention scores"), ("zh/chapter/x/#w", "", "注意力权重")),
            "en 'attention weights': chapter/x/#w does not say it",
        ),
        (
            (("chapter/x/#w", "W", "attention weights"), ("zh/chapter/x/#w", "", "weights")),
            "zh '注意力权重': zh/chapter/x/#w does not say it",
        ),
    ],
)
def test_a_wrong_entry_is_a_problem(docs: tuple, problem: str) -> None:
    index = _index(*docs)
    assert check_and_tag(index, [TERM]) == [problem]
    lang = problem.split()[0]
    tagged = [doc for doc in index["docs"] if "tags" in doc]
    assert all(doc["location"].startswith("zh/") != (lang == "zh") for doc in tagged), tagged


def _site(tmp_path: Path, docs: list[tuple[str, str, str]]) -> Path:
    (tmp_path / "search").mkdir()
    index = {"config": {}, **_index(*docs)}
    path = tmp_path / "search" / "search_index.json"
    path.write_text(json.dumps(index), encoding="utf-8")
    return path


def test_the_build_stops_on_a_wrong_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _site(
        tmp_path, [("chapter/x/#w", "W", "attention scores"), ("zh/chapter/x/#w", "", "注意力权重")]
    )
    monkeypatch.setattr(search_terms, "TERMS", [TERM])
    with pytest.raises(PluginError, match="'attention weights': chapter/x/#w does not say it"):
        on_post_build({"site_dir": str(tmp_path)})
    assert "tags" not in path.read_text(encoding="utf-8")


def test_the_build_tags_the_index_of_both_languages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _site(
        tmp_path,
        [("chapter/x/#w", "W", "attention weights"), ("zh/chapter/x/#w", "", "注意力权重")],
    )
    monkeypatch.setattr(search_terms, "TERMS", [TERM])
    on_post_build({"site_dir": str(tmp_path)})
    docs = json.loads(path.read_text(encoding="utf-8"))["docs"]
    assert [d["tags"][0].replace("\u200b", "") for d in docs] == ["attention weights", "注意力权重"]


def test_an_index_of_one_language_is_left_alone(tmp_path: Path) -> None:
    """The Chinese build's own post-build step sees the Chinese pages only."""
    path = _site(tmp_path, [("zh/chapter/x/#w", "", "nothing")])
    before = path.read_text(encoding="utf-8")
    on_post_build({"site_dir": str(tmp_path)})
    assert path.read_text(encoding="utf-8") == before
