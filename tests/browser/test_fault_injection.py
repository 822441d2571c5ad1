"""The checks catch real faults: each test doctors a copy of the built site and asserts that
the check which guards against that fault reports it.

The copy is served by a server of its own; the built site itself is never touched.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browser_lib import (
    PHONE,
    SitePage,
    Tab,
    check_accessibility,
    check_code_copy,
    check_diagrams,
    check_inline_math_scroll,
    check_language_switch,
    check_layout,
    check_math,
    check_requests,
    open_page,
    serve,
)

pytestmark = pytest.mark.browser

EXTERNAL_SCRIPT = "https://cdn.jsdelivr.net/npm/fault-injection@1.0.0/dist/tracker.min.js"
ARTICLE = re.compile(r'(<article class="md-content__inner[^"]*"[^>]*>)')

# which page gets which fault (English pages, the Chinese counterpart of one is deleted)
EXTERNAL_PAGE = SitePage("en", "chapter/3.3-self-attention/")
RAW_TEX_PAGE = SitePage("en", "chapter/3.4-trainable-weights/")
BAD_TEX_PAGE = SitePage("en", "chapter/3.6-multi-head-attention/")
UNTRANSLATED_PAGE = SitePage("en", "chapter/3.5-causal-attention/")
# a page whose mermaid diagrams no figure replaces (the chapter pages draw theirs as SVG)
BAD_DIAGRAM_PAGE = SitePage("en", "beyond/kv-cache/")
LOW_CONTRAST_PAGE = SitePage("en", "glossary/")
WIDE_PAGE = SitePage("en", "reader-questions/")
NO_COPY_PAGE = SitePage("en", "chapter/3.7-summary/")
SCROLLING_MATH_PAGE = SitePage("en", "exercises/")


def _html(site: Path, page: SitePage) -> Path:
    return site / page.path / "index.html"


def _edit(site: Path, page: SitePage, change: Callable[[str], str]) -> None:
    file = _html(site, page)
    before = file.read_text(encoding="utf-8")
    after = change(before)
    assert after != before, f"fault not injected into {page.path}"
    file.write_text(after, encoding="utf-8")


def _into_article(snippet: str) -> Callable[[str], str]:
    return lambda html: ARTICLE.sub(lambda m: m.group(1) + snippet, html, count=1)


def _open(tab: Tab, base_url: str, page: SitePage) -> None:
    # a fault may keep a page from ever finishing its drawing: do not wait long for it
    open_page(tab.page, tab.rec, base_url + page.path, render_timeout_ms=3_000)


@pytest.fixture(scope="module")
def doctored(site_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A copy of the site with one fault per page (see the constants above); its base URL."""
    site = tmp_path_factory.mktemp("doctored") / "site"
    shutil.copytree(site_root, site)
    # (a) a script from a CDN
    _edit(
        site,
        EXTERNAL_PAGE,
        lambda h: h.replace("</head>", f'<script src="{EXTERNAL_SCRIPT}"></script></head>', 1),
    )
    # (b) a formula left as raw TeX (no delimiters, so KaTeX never sees it) ...
    _edit(
        site,
        RAW_TEX_PAGE,
        _into_article(r'<p>Fault: <span class="arithmatex">\frac{a}{b}</span></p>'),
    )
    # ... and two KaTeX cannot typeset: an unknown command, a missing brace
    _edit(
        site,
        BAD_TEX_PAGE,
        _into_article(
            r'<p>Fault: <span class="arithmatex">\(\frac{a}{\nosuchmacro{b}}\)</span>'
            r' and <span class="arithmatex">\(\frac{c}{d\)</span></p>'
        ),
    )
    # (c) a missing translation: the Chinese page of 3.5 is gone
    _html(site, UNTRANSLATED_PAGE.other).unlink()
    # (d) a mermaid diagram with a syntax error
    _edit(
        site,
        BAD_DIAGRAM_PAGE,
        lambda h: re.sub(
            r'(<pre class="mermaid">)(.*?)(</pre>)',
            lambda m: (
                m.group(1) + "<code>flowchart LR\n  A --&gt; ((( broken\n</code>" + m.group(3)
            ),
            h,
            count=1,
            flags=re.S,
        ),
    )
    # (e) grey text on white
    _edit(
        site,
        LOW_CONTRAST_PAGE,
        _into_article('<p style="color:#d0d0d0;background:#fff">hard to read</p>'),
    )
    # (f) a block wider than a phone
    _edit(
        site,
        WIDE_PAGE,
        _into_article('<div style="width:1400px;background:#eee">a fixed-width block</div>'),
    )
    # (g) a code block opted out of the copy button
    _edit(
        site,
        NO_COPY_PAGE,
        lambda h: h.replace(
            '<div class="language-python highlight">',
            '<div class="language-python highlight no-copy">',
            1,
        ),
    )
    # (h) an inline formula in a box narrower than the formula, which scrolls
    _edit(
        site,
        SCROLLING_MATH_PAGE,
        _into_article(
            r'<p>Fault: <span class="arithmatex" style="display:inline-block;'
            r'overflow-x:auto;width:12px">\(W_q^{(h)}\)</span> in a sentence</p>'
        ),
    )
    with serve(site) as url:
        yield url


def test_external_request_is_caught(fresh_tab: Tab, doctored: str) -> None:
    _open(fresh_tab, doctored, EXTERNAL_PAGE)
    problems = check_requests(fresh_tab.rec)
    assert any("leaves 127.0.0.1" in p and EXTERNAL_SCRIPT in p for p in problems), problems


def test_raw_tex_is_caught(fresh_tab: Tab, doctored: str) -> None:
    _open(fresh_tab, doctored, RAW_TEX_PAGE)
    problems = check_math(fresh_tab.page)
    assert any("not typeset" in p and "frac{a}{b}" in p for p in problems), problems
    assert any(r"raw TeX visible" in p and r"\frac" in p for p in problems), problems


def test_untypesettable_formula_is_caught(fresh_tab: Tab, doctored: str) -> None:
    _open(fresh_tab, doctored, BAD_TEX_PAGE)
    problems = check_math(fresh_tab.page)
    assert any("KaTeX could not typeset" in p and "nosuchmacro" in p for p in problems), problems
    assert any("not typeset" in p and r"\frac{c}{d" in p for p in problems), problems


def test_missing_translation_is_caught(fresh_tab: Tab, doctored: str) -> None:
    _open(fresh_tab, doctored, UNTRANSLATED_PAGE)
    problems = check_language_switch(fresh_tab.page, fresh_tab.rec, doctored, UNTRANSLATED_PAGE)
    assert any("missing page (HTTP 404)" in p for p in problems), problems


def test_broken_diagram_is_caught(fresh_tab: Tab, doctored: str) -> None:
    _open(fresh_tab, doctored, BAD_DIAGRAM_PAGE)
    problems = check_diagrams(fresh_tab.page)
    assert any("mermaid diagram 1" in p for p in problems), problems


def test_low_contrast_is_caught(fresh_tab: Tab, doctored: str) -> None:
    _open(fresh_tab, doctored, LOW_CONTRAST_PAGE)
    problems = check_accessibility(fresh_tab.page)
    assert any("color-contrast" in p for p in problems), problems


def test_overflow_at_phone_width_is_caught(browser: object, doctored: str) -> None:
    tab = Tab(browser, PHONE)
    try:
        _open(tab, doctored, WIDE_PAGE)
        problems = check_layout(tab.page)
    finally:
        tab.close()
    assert any("scrolls sideways" in p for p in problems), problems
    assert any("fixed-width block" in p for p in problems), problems


def test_missing_copy_button_is_caught(fresh_tab: Tab, doctored: str) -> None:
    _open(fresh_tab, doctored, NO_COPY_PAGE)
    problems = check_code_copy(fresh_tab.page, limit=1)
    assert any("without a copy button" in p for p in problems), problems


def test_scrolling_inline_formula_is_caught(fresh_tab: Tab, doctored: str) -> None:
    _open(fresh_tab, doctored, SCROLLING_MATH_PAGE)
    problems = check_inline_math_scroll(fresh_tab.page)
    assert any("W_q^{(h)}" in p and "scrolls sideways" in p for p in problems), problems
