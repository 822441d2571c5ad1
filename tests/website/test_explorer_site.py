"""The built site carries the attention explorer: its data, its pages and the links to it.

The browser suite (tests/browser/test_explorer.py) drives the widget; these checks read the
built files: the data the widget computes from is what tools/hooks/explorer_data.py exports from the
package installed now (so a stale file cannot be published), each language has the page with
its root element, the home page and 3.3 to 3.6 link to it with the stage to open, and the
widget's Chinese strings use Chinese punctuation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from explorer_data import explorer_data

ROOT = Path(__file__).resolve().parents[2]
ROOT_ELEMENT = re.compile(r"<div[^>]*\bdata-attention-explorer\b[^>]*>")
CHAPTER = {
    "3.3": "chapter/3.3-self-attention",
    "3.4": "chapter/3.4-trainable-weights",
    "3.5": "chapter/3.5-causal-attention",
    "3.6": "chapter/3.6-multi-head-attention",
}


def test_the_data_is_the_packages(site_dir: Path) -> None:
    path = site_dir / "assets" / "explorer" / "data.json"
    assert path.is_file(), "the build wrote no assets/explorer/data.json"
    built = json.loads(path.read_text(encoding="utf-8"))
    assert built == json.loads(json.dumps(explorer_data()))


@pytest.mark.parametrize("prefix", ["", "zh/"])
def test_each_language_has_the_page(site_dir: Path, prefix: str) -> None:
    html = (site_dir / prefix / "explorer" / "index.html").read_text(encoding="utf-8")
    assert len(ROOT_ELEMENT.findall(html)) == 1
    assert "assets/explorer.js" in html and "assets/explorer.css" in html
    assert "<noscript>" in html


@pytest.mark.parametrize("prefix", ["", "zh/"])
@pytest.mark.parametrize("stage", sorted(CHAPTER))
def test_chapter_pages_link_to_their_stage(site_dir: Path, prefix: str, stage: str) -> None:
    html = (site_dir / prefix / CHAPTER[stage] / "index.html").read_text(encoding="utf-8")
    assert f'href="../../explorer/?stage={stage}"' in html


@pytest.mark.parametrize("prefix", ["", "zh/"])
def test_the_home_page_links_to_it(site_dir: Path, prefix: str) -> None:
    html = (site_dir / prefix / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<a href="explorer/">[^<]+</a>', html)


# ---------------------------------------------------------------- the widget's Chinese strings
# Chinese characters, CJK punctuation, full-width forms and the quotes Chinese text uses
HAN = "\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef“”‘’"
# a half-width colon, comma, semicolon, full stop, ? or ! or bracket next to Chinese text (a
# space between included): Chinese sentences take （），。：；？！
HALF_WIDTH_BY_CJK = re.compile(rf"[{HAN}]\s?[:,;.?!()]|[:,;?!()]\s?[{HAN}]")
SEPARATOR = re.compile(r"^\s*[:,;.?!()]\s*$")
JS_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`')


def _zh_strings(source: str) -> list[str]:
    """The string and template literals of the ``zh`` table of explorer.js, each ``${...}``
    replaced by ``x``."""
    start = source.index("\n    zh: {")
    end = source.index("\n    },\n  };", start)
    block = source[start:end]
    return [re.sub(r"\$\{[^}]*\}", "x", m.group()[1:-1]) for m in JS_STRING.finditer(block)]


def test_the_zh_strings_are_read() -> None:
    strings = _zh_strings((ROOT / "docs" / "assets" / "explorer.js").read_text(encoding="utf-8"))
    assert "本章的阶段" in strings and "：" in strings, strings
    assert len(strings) > 40, len(strings)


def test_chinese_ui_strings_use_full_width_punctuation(site_dir: Path) -> None:
    """The browser suite checks what the Chinese widget shows; this reads every Chinese string
    of the built explorer.js, also the ones only an error shows."""
    source = (site_dir / "assets" / "explorer.js").read_text(encoding="utf-8")
    # a string of punctuation alone is a separator the widget puts between Chinese words
    bad = [s for s in _zh_strings(source) if HALF_WIDTH_BY_CJK.search(s) or SEPARATOR.match(s)]
    assert not bad, f"half-width punctuation next to Chinese text: {bad}"
