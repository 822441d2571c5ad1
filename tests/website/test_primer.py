"""The PyTorch primer: every section other pages link to is there, in both languages, and
shows code the build ran with what it printed; the home page sends newcomers to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from website_lib import LANG_PREFIX, page_files

PRIMER = "primer/index.html"
# Chapter pages, the glossary and the home page link to primer.md#<id>: these ids are fixed.
SECTION_IDS = [
    "tensors",
    "matmul",
    "transpose",
    "dim-keepdim",
    "broadcasting",
    "nn-module",
    "parameter-linear",
    "manual-seed",
    "train-eval",
    "no-grad",
    "view-reshape",
    "register-buffer",
    "in-place",
]


def article(html: Path) -> Tag:
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    node = soup.select_one("article.md-content__inner")
    assert node is not None, f"{html} has no article"
    return node


def sections(body: Tag) -> dict[str, list[Tag]]:
    """Each h2's id, with the elements that follow it up to the next h2."""
    out: dict[str, list[Tag]] = {}
    current: list[Tag] | None = None
    for child in body.children:
        if not isinstance(child, Tag):
            continue
        if child.name == "h2":
            current = out.setdefault(str(child.get("id")), [])
        elif current is not None:
            current.append(child)
    return out


def code_and_output(elements: list[Tag]) -> list[tuple[str, str]]:
    """The section's Python blocks, each with the output block right after it ('' if none)."""
    blocks = [
        block
        for element in elements
        for block in (
            [element]
            if "highlight" in (element.get("class") or [])
            else element.select("div.highlight")
        )
    ]
    pairs = []
    for i, block in enumerate(blocks):
        if "language-python" not in (block.get("class") or []):
            continue
        after = blocks[i + 1] if i + 1 < len(blocks) else None
        shown = (
            after.get_text()
            if after is not None and "language-text" in (after.get("class") or [])
            else ""
        )
        pairs.append((block.get_text(), shown))
    return pairs


@pytest.mark.parametrize("lang", sorted(LANG_PREFIX))
def test_every_linked_section_runs_code_and_shows_its_output(site_dir: Path, lang: str) -> None:
    body = article(site_dir / LANG_PREFIX[lang] / PRIMER)
    found = sections(body)
    missing = [i for i in SECTION_IDS if i not in found]
    assert not missing, f"{lang}: the primer has no h2 with the ids {missing}"
    for section_id in SECTION_IDS:
        pairs = code_and_output(found[section_id])
        assert pairs, f"{lang} #{section_id}: no code block"
        printed = [shown for _, shown in pairs if shown.strip()]
        assert printed, f"{lang} #{section_id}: no code block shows a printed output"


@pytest.mark.parametrize("lang", sorted(LANG_PREFIX))
def test_the_sections_show_what_they_explain(site_dir: Path, lang: str) -> None:
    """The outputs the prose refers to are on the page: the error that ``view`` raises after a
    transpose, caught and printed, and the ``grad_fn`` that ``no_grad`` hides."""
    found = sections(article(site_dir / LANG_PREFIX[lang] / PRIMER))
    view = " ".join(shown for _, shown in code_and_output(found["view-reshape"]))
    assert "RuntimeError: view size is not compatible" in view, view
    # one block prints the same result three times: plain, under no_grad, detached
    no_grad = " ".join(shown for _, shown in code_and_output(found["no-grad"]))
    assert no_grad.count("grad_fn=") == 1, no_grad


def test_same_sections_and_code_in_both_languages(site_dir: Path) -> None:
    en = sections(article(site_dir / PRIMER))
    zh = sections(article(site_dir / "zh" / PRIMER))
    assert list(en) == list(zh)
    for section_id in en:
        assert code_and_output(en[section_id]) == code_and_output(zh[section_id]), section_id


@pytest.mark.parametrize("lang", sorted(LANG_PREFIX))
def test_the_home_page_sends_newcomers_to_the_primer(site_dir: Path, lang: str) -> None:
    """In the page's own text, not only in the navigation: the "Before you start" section."""
    home = site_dir / LANG_PREFIX[lang] / "index.html"
    before = sections(article(home)).get("before-you-start")
    assert before, f"{lang}: the home page has no #before-you-start section"
    primer = (site_dir / LANG_PREFIX[lang] / PRIMER).resolve()
    targets = [
        (home.parent / str(link["href"]).split("#")[0]).resolve() / "index.html"
        for element in before
        for link in element.select("a[href]")
    ]
    assert primer in targets, f"{lang}: #before-you-start does not link to the primer"
    assert "3.10" in " ".join(e.get_text() for e in before), f"{lang}: no Python version stated"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_chapter_links_every_primer_section(site_dir: Path, lang: str) -> None:
    # Each idiom is linked from the chapter where it is used, so a reader who meets it
    # there is one click from its explanation.
    linked: set[str] = set()
    for page, html in page_files(site_dir, lang).items():
        if not page.startswith("chapter/"):
            continue
        for link in article(html).find_all("a", href=True):
            path, _, fragment = link["href"].partition("#")
            if path.rstrip("/").endswith("primer") and fragment:
                linked.add(fragment)
    missing = set(SECTION_IDS) - linked
    assert not missing, f"{lang}: never linked from 3.1-3.7: {missing}"
