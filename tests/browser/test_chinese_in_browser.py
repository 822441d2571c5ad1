"""Chinese typography the browser decides: caption and emphasis style, the palette toggle's words.

Material sets figure captions and emphasis (``*...*``) in italics. Chinese has no italic face,
so the browser slants the glyphs; the site keeps Chinese captions upright, and sets Chinese
emphasis upright and heavier than the text around it (docs/assets/site.css). English keeps
Material's italics.
"""

from __future__ import annotations

import pytest
from browser_lib import LANG_PREFIX, Tab, open_page

pytestmark = pytest.mark.browser

PAGE_WITH_FIGURES = "chapter/3.3-self-attention/"
PAGE_WITH_EMPHASIS = "chapter/3.6-multi-head-attention/"  # *each head*, *每个头*, *总*宽度
CAPTION_STYLE = {"en": "italic", "zh": "normal"}
EMPHASIS_STYLE = {"en": "italic", "zh": "normal"}
TOGGLE = {"en": {"Dark mode", "Light mode"}, "zh": {"深色模式", "浅色模式"}}


@pytest.mark.parametrize("lang", sorted(CAPTION_STYLE))
def test_caption_style_and_palette_toggle(fresh_tab: Tab, base_url: str, lang: str) -> None:
    open_page(fresh_tab.page, fresh_tab.rec, base_url + LANG_PREFIX[lang] + PAGE_WITH_FIGURES)
    styles = fresh_tab.page.evaluate(
        "() => [...document.querySelectorAll('.md-typeset figcaption')]"
        ".map(c => getComputedStyle(c).fontStyle)"
    )
    assert styles, f"{lang}: {PAGE_WITH_FIGURES} has no figure captions"
    assert set(styles) == {CAPTION_STYLE[lang]}, f"{lang} figure captions: {styles}"
    # the toggle that is shown: its tooltip (title) and the radio button's aria-label
    names = fresh_tab.page.evaluate(
        "() => [...document.querySelectorAll('label[for^=__palette_]')].map(l => l.title)"
        ".concat([...document.querySelectorAll('input[name=__palette]')]"
        ".map(i => i.getAttribute('aria-label')))"
    )
    assert set(names) == TOGGLE[lang], f"{lang} palette toggle: {names}"


@pytest.mark.parametrize("lang", sorted(EMPHASIS_STYLE))
def test_emphasis_style(fresh_tab: Tab, base_url: str, lang: str) -> None:
    open_page(fresh_tab.page, fresh_tab.rec, base_url + LANG_PREFIX[lang] + PAGE_WITH_EMPHASIS)
    # every emphasis in running text, with its weight and that of the text around it
    found = fresh_tab.page.evaluate(
        "() => [...document.querySelectorAll('article.md-content__inner p em')].map(e => ({"
        "text: e.textContent, style: getComputedStyle(e).fontStyle,"
        "weight: +getComputedStyle(e).fontWeight,"
        "around: +getComputedStyle(e.parentElement).fontWeight}))"
    )
    assert found, f"{lang}: {PAGE_WITH_EMPHASIS} has no emphasis in running text"
    styles = {e["text"]: e["style"] for e in found}
    assert set(styles.values()) == {EMPHASIS_STYLE[lang]}, f"{lang} emphasis: {styles}"
    if lang == "zh":  # upright, so it must stand out some other way
        faint = [e["text"] for e in found if e["weight"] <= e["around"]]
        assert not faint, f"zh emphasis no heavier than the text around it: {faint}"
