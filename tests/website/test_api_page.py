"""The API page renders its docstrings' cross-references and says which version it describes.

The docstrings are Markdown (mkdocstrings, ``docstring_style: google``): a cross-reference is
written ``[`MultiHeadAttention`][llm_attention.MultiHeadAttention]`` and becomes a link. A reST
role such as ``:class:`MultiHeadAttention``` is not understood and would reach the reader as
literal text, so none may appear on the built page, in the docstrings or in the source listings.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from website_lib import page_files

import llm_attention

# ":class:" followed by what a role's target starts with: a backtick, "~", or a name (the
# backticks become a <code> element when the docstring is rendered)
REST_ROLE = re.compile(r":(?:class|meth|func|data|attr|mod|exc|obj|ref):(?=[`~\w])")


def api_article(site_dir: Path, lang: str) -> BeautifulSoup:
    html = page_files(site_dir, lang)["api/index.html"].read_text(encoding="utf-8")
    article = BeautifulSoup(html, "html.parser").select_one("article.md-content__inner")
    assert article is not None, f"{lang} API page has no article"
    return article


def test_the_role_pattern_is_precise() -> None:
    rendered = BeautifulSoup(
        "<p>As in <code>:class:</code><code>~llm_attention.MultiHeadAttention</code>.</p>",
        "html.parser",
    ).get_text()
    assert REST_ROLE.search(rendered)
    assert REST_ROLE.search("see :meth:`reset_cache`")
    assert not REST_ROLE.search("a dict {'class': 1} and the ratio 1:2:3")
    assert not REST_ROLE.search("[`MultiHeadAttention`][llm_attention.MultiHeadAttention]")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_literal_rest_roles(site_dir: Path, lang: str) -> None:
    text = api_article(site_dir, lang).get_text()
    found = sorted({text[max(m.start() - 30, 0) : m.end() + 40] for m in REST_ROLE.finditer(text)})
    assert not found, f"{lang} API page shows reST roles as text:\n" + "\n".join(found)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_docstring_cross_references_are_links(site_dir: Path, lang: str) -> None:
    article = api_article(site_dir, lang)
    entry = article.find(id="llm_attention.KVCacheMultiHeadAttention")
    assert entry is not None
    body = entry.find_next("div", class_="doc-contents")
    assert body is not None
    targets = {a.get("href", "").split("#")[-1] for a in body.select("a")}
    assert "llm_attention.MultiHeadAttention.forward" in targets, sorted(targets)
    reset_cache = "llm_attention.caching_attention.CachingAttention.reset_cache"
    assert reset_cache in targets, sorted(targets)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_prints_the_version_it_describes(site_dir: Path, lang: str) -> None:
    article = api_article(site_dir, lang)
    code = [c.get_text() for c in article.select("div.language-python pre")]
    outputs = [c.get_text().strip() for c in article.select("div.language-text pre")]
    assert any("llm_attention.__version__" in c for c in code), f"{lang}: no version block"
    assert llm_attention.__version__ in outputs, f"{lang}: printed {outputs[:2]}"
