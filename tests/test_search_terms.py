"""tools/hooks/search_terms.py: every glossary term leads to a section that says it.

The browser suite (tests/browser/test_search_ranking.py) types each term into the search box;
these tests cover the build-time half without a build: the glossary and the data file
(``search_terms.yml``, loaded as ``TERMS``) agree, every entry names a section of both
languages' pages, a malformed entry stops the build with its name, and a term whose section is
missing or does not say the term stops the build with its name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import search_terms
from mkdocs.exceptions import PluginError
from search_terms import TERMS, Term, TermsError, check_and_tag, load_terms, on_post_build

ROOT = Path(__file__).resolve().parents[1]


class _Config(dict):  # type: ignore[type-arg]
    """A MkDocs config as the hook sees it: ``site_dir`` and the i18n plugin's state."""

    def __init__(self, site_dir: Path, building: bool = False) -> None:
        super().__init__(site_dir=str(site_dir))
        self.plugins = {"i18n": SimpleNamespace(building=building)}


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
    assert not missing, f"glossary rows with no entry in tools/hooks/search_terms.yml: {missing}"


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
        on_post_build(_Config(tmp_path))
    assert "tags" not in path.read_text(encoding="utf-8")


def test_the_build_tags_the_index_of_both_languages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _site(
        tmp_path,
        [("chapter/x/#w", "W", "attention weights"), ("zh/chapter/x/#w", "", "注意力权重")],
    )
    monkeypatch.setattr(search_terms, "TERMS", [TERM])
    on_post_build(_Config(tmp_path))
    docs = json.loads(path.read_text(encoding="utf-8"))["docs"]
    assert [d["tags"][0].replace("\u200b", "") for d in docs] == ["attention weights", "注意力权重"]


def test_an_index_of_one_language_is_left_alone(tmp_path: Path) -> None:
    """The Chinese build's own post-build step sees the Chinese pages only."""
    path = _site(tmp_path, [("zh/chapter/x/#w", "", "nothing")])
    before = path.read_text(encoding="utf-8")
    on_post_build(_Config(tmp_path))
    assert path.read_text(encoding="utf-8") == before


def test_a_nested_language_build_leaves_the_index_alone(tmp_path: Path) -> None:
    """The Chinese build runs inside the English one (i18n_order.py); its post-build step comes
    before the merged index exists and must not touch the index, even one of both languages."""
    path = _site(
        tmp_path,
        [("chapter/x/#w", "W", "attention scores"), ("zh/chapter/x/#w", "", "注意力权重")],
    )
    before = path.read_text(encoding="utf-8")
    on_post_build(_Config(tmp_path, building=True))
    assert path.read_text(encoding="utf-8") == before


# ---------------------------------------------------------------- the data file
def test_every_section_exists_in_both_languages() -> None:
    """Each entry's page exists in English and Chinese, and its #anchor is an explicit heading
    id on both (the build then checks that the section says the term)."""
    problems = []
    for term in TERMS:
        page, _, anchor = term.section.partition("#")
        sources = search_terms.page_sources(page)
        for lang in ("en", "zh"):
            source = sources.get(lang)
            if source is None or not source.is_file():
                problems.append(f"{term.section}: no {lang} page")
            elif anchor and not re.search(
                rf"^#+ .*\{{[^}}]*#{re.escape(anchor)}[\s}}]", source.read_text("utf-8"), re.M
            ):
                problems.append(f"{term.section}: no heading {{ #{anchor} }} in {source.name}")
    assert not problems, problems


def test_the_data_file_is_what_the_hook_loads() -> None:
    assert load_terms() == TERMS
    assert len(TERMS) > 50


def _load(tmp_path: Path, text: str) -> list[Term]:
    path = tmp_path / "terms.yml"
    path.write_text(text, encoding="utf-8")
    return load_terms(path, ROOT / "docs")


GOOD = "- {en: [dropout], zh: [dropout], section: chapter/3.5-causal-attention/#dropout}\n"


def test_a_good_entry_loads(tmp_path: Path) -> None:
    assert _load(tmp_path, GOOD) == [
        Term(("dropout",), ("dropout",), "chapter/3.5-causal-attention/#dropout")
    ]


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        # a language left out, or empty
        ("{en: [tensor], section: primer/#tensors}", r"entry 2 \('tensor'\): no zh names"),
        ("{en: [tensor], zh: [], section: primer/#tensors}", r"entry 2 \('tensor'\): no zh names"),
        ("{zh: [张量], section: primer/#tensors}", r"entry 2: no en names"),
        # a section that is no page of the site, or not a page path
        (
            "{en: [tensor], zh: [张量], section: primer-old/#tensors}",
            r"entry 2 \('tensor'\): section 'primer-old/#tensors': no page docs/primer-old",
        ),
        (
            "{en: [tensor], zh: [张量], section: primer#tensors}",
            r"entry 2 \('tensor'\): section must be a page path .* got 'primer#tensors'",
        ),
        # a misspelt key, a name given twice
        ("{en: [tensor], zh: [张量], sction: primer/}", r"entry 2 \('tensor'\): unknown keys"),
        (
            "{en: [dropout], zh: [随机丢弃], section: primer/}",
            r"entry 2 \('dropout'\): en 'dropout' is also in entry 1",
        ),
    ],
)
def test_a_malformed_entry_stops_the_build_naming_it(
    tmp_path: Path, entry: str, problem: str
) -> None:
    with pytest.raises(TermsError, match=problem) as info:
        _load(tmp_path, GOOD + f"- {entry}\n")
    assert isinstance(info.value, PluginError)  # MkDocs stops with the message, no traceback
    assert "terms.yml" in str(info.value)


def test_a_file_that_is_not_a_list_stops_the_build(tmp_path: Path) -> None:
    with pytest.raises(TermsError, match="expected a list of entries"):
        _load(tmp_path, "terms: {}\n")
