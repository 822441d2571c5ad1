"""Every page exists in both languages, with the same headings, and nothing is faked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from website_lib import page_files

CHAPTER_PAGES = [
    "chapter/3.1-long-sequences/index.html",
    "chapter/3.2-attention-mechanisms/index.html",
    "chapter/3.3-self-attention/index.html",
    "chapter/3.4-trainable-weights/index.html",
    "chapter/3.5-causal-attention/index.html",
    "chapter/3.6-multi-head-attention/index.html",
    "chapter/3.7-summary/index.html",
]
OTHER_PAGES = [
    "index.html",
    "primer/index.html",
    "exercises/index.html",
    "explorer/index.html",
    "reader-questions/index.html",
    "glossary/index.html",
    "api/index.html",
    "beyond/sdpa/index.html",
    "beyond/kv-cache/index.html",
    "beyond/gqa/index.html",
    "beyond/sliding-window/index.html",
    "beyond/mla/index.html",
    "beyond/benchmarks/index.html",
]


def article(html: Path) -> BeautifulSoup:
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    node = soup.select_one("article.md-content__inner")
    assert node is not None, f"{html} has no article"
    return node


def heading_ids(html: Path) -> list[str]:
    return [h["id"] for h in article(html).find_all(re.compile(r"^h[1-4]$")) if h.get("id")]


def test_every_page_exists_in_both_languages(site_dir: Path) -> None:
    en, zh = page_files(site_dir, "en"), page_files(site_dir, "zh")
    assert set(en) == set(zh), f"only in en: {set(en) - set(zh)}; only in zh: {set(zh) - set(en)}"
    for page in CHAPTER_PAGES + OTHER_PAGES:
        assert page in en, f"{page} is missing"


@pytest.mark.parametrize("page", CHAPTER_PAGES + OTHER_PAGES)
def test_same_headings_in_both_languages(site_dir: Path, page: str) -> None:
    en = heading_ids(site_dir / page)
    zh = heading_ids(site_dir / "zh" / page)
    assert en, f"{page} has no headings"
    assert en == zh, f"{page}: heading ids differ between languages\nen: {en}\nzh: {zh}"
    generated = [i for i in en if re.fullmatch(r"_\d+", i)]
    assert not generated, f"{page}: headings without explicit ids: {generated}"


@pytest.mark.parametrize("page", CHAPTER_PAGES)
def test_chapter_pages_have_code_outputs_math_and_figures(site_dir: Path, page: str) -> None:
    for lang_root in (site_dir, site_dir / "zh"):
        body = article(lang_root / page)
        assert body.select("div.language-python.highlight"), f"{page}: no code"
        assert body.select("div.language-text.highlight"), f"{page}: no printed output"
        assert body.select(".arithmatex"), f"{page}: no equation"
        has_figure = (
            body.select("pre.mermaid")
            or body.select("svg.attention-heatmap")
            or body.select("figure.llm-figure svg.lf-svg")
        )
        assert has_figure, f"{page}: no diagram or plot"


def test_no_page_is_raw_notebook_json(site_dir: Path) -> None:
    raw = [
        str(p.relative_to(site_dir))
        for p in site_dir.rglob("*.html")
        if '"nbformat"' in p.read_text(encoding="utf-8", errors="replace")
    ]
    assert not raw, f"pages rendered as raw notebook JSON: {raw}"


def test_languages_are_really_translated(site_dir: Path) -> None:
    han = re.compile(r"[\u4e00-\u9fff]")
    for page in CHAPTER_PAGES + OTHER_PAGES:
        zh_text = article(site_dir / "zh" / page).get_text()
        en_text = article(site_dir / page).get_text()
        assert len(han.findall(zh_text)) > 50, f"zh/{page} is not in Chinese"
        # English pages name Chinese terms only in the glossary
        if page != "glossary/index.html":
            assert len(han.findall(en_text)) < 20, f"{page} (en) has Chinese prose"


def test_same_code_in_both_languages(site_dir: Path) -> None:
    for page in [*CHAPTER_PAGES, "index.html", "exercises/index.html"]:
        en = [c.get_text() for c in article(site_dir / page).select("div.language-python pre")]
        zh = [
            c.get_text() for c in article(site_dir / "zh" / page).select("div.language-python pre")
        ]
        assert en == zh, f"{page}: the code blocks differ between languages"


def test_no_external_resources_in_html(site_dir: Path) -> None:
    """Scripts, styles, fonts, images and frames all come from the site itself."""
    external = re.compile(r"^(?:https?:)?//")
    offenders: dict[str, list[str]] = {}
    for html in site_dir.rglob("*.html"):
        soup = BeautifulSoup(html.read_text(encoding="utf-8", errors="replace"), "html.parser")
        urls = [t.get("src", "") for t in soup.find_all(["script", "img", "iframe", "source"])]
        urls += [
            t.get("href", "")
            for t in soup.find_all("link")
            if set(t.get("rel", [])) & {"stylesheet", "preload", "icon", "modulepreload"}
        ]
        bad = [u for u in urls if external.match(u)]
        if bad:
            offenders[str(html.relative_to(site_dir))] = bad[:3]
    assert not offenders, f"pages that load resources from elsewhere: {offenders}"
