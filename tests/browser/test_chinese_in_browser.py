"""Chinese typography the browser decides: caption style and the palette toggle's words.

Material sets figure captions in italics. Chinese has no italic face, so the browser slants
the glyphs; the site keeps Chinese captions upright (docs/assets/site.css) and English ones
as Material draws them.
"""

from __future__ import annotations

import pytest
from browser_lib import Tab, open_page

pytestmark = pytest.mark.browser

PAGE_WITH_FIGURES = "chapter/3.3-self-attention/"
CAPTION_STYLE = {"en": "italic", "zh": "normal"}
TOGGLE = {"en": {"Dark mode", "Light mode"}, "zh": {"深色模式", "浅色模式"}}
PREFIX = {"en": "", "zh": "zh/"}


@pytest.mark.parametrize("lang", sorted(CAPTION_STYLE))
def test_caption_style_and_palette_toggle(fresh_tab: Tab, base_url: str, lang: str) -> None:
    open_page(fresh_tab.page, fresh_tab.rec, base_url + PREFIX[lang] + PAGE_WITH_FIGURES)
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
