"""The Chinese pages: one term for one concept, and no stray spaces in the prose.

Both checks read what a reader sees on every built zh page: the text of the page outside
code, preformatted blocks, keys and math, one block (paragraph, list item, table cell,
heading, caption) at a time.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from cjk_lines import join_cjk_lines
from website_lib import page_files

# ---------------------------------------------------------------- visible prose


def _names(names: str) -> frozenset[str]:
    return frozenset(names.split())


# elements that end a run of text: a space at their edge is not between two characters
BLOCKS = _names(
    "address article aside blockquote br button dd details div dl dt figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hr input label li main nav ol option p section select "
    "summary table tbody td tfoot th thead tr ul "
    "text title"  # SVG: a figure's labels and its title
)
# what is not prose: code, output, keys, math (typeset by KaTeX from these elements)
NOT_PROSE = _names("code pre kbd samp script style math noscript template")
NOT_PROSE_CLASSES = frozenset({"arithmatex", "katex", "katex-display", "mermaid"})
SKIPPED = "\x01"  # stands for a skipped element, so the text on its two sides stays apart


def _walk(node: Tag, out: list[str]) -> None:
    for child in node.children:
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString):
            out.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        if child.name in NOT_PROSE or NOT_PROSE_CLASSES & set(child.get("class") or []):
            out.append(SKIPPED)
            continue
        block = child.name in BLOCKS
        if block:
            out.append("\x00")
        _walk(child, out)
        if block:
            out.append("\x00")


def prose_blocks(html: str) -> list[str]:
    """The visible text of a page outside code and math, one string per block element."""
    soup = BeautifulSoup(html, "html.parser")
    out: list[str] = []
    _walk(soup.body or soup, out)
    return [block for block in "".join(out).split("\x00") if block.strip()]


@pytest.fixture(scope="module")
def zh_prose(site_dir: Path) -> dict[str, list[str]]:
    pages = page_files(site_dir, "zh")
    assert pages, f"{site_dir} has no Chinese pages"
    return {
        page: prose_blocks(html.read_text(encoding="utf-8")) for page, html in sorted(pages.items())
    }


def _excerpt(block: str, m: re.Match[str]) -> str:
    return block[max(0, m.start() - 15) : m.end() + 15].replace(SKIPPED, "…")


# ---------------------------------------------------------------- terminology

# The avoided variants below are the wrong translations of terms whose right ones the
# site's glossary (docs/glossary.zh.md) fixes; keep the two in step. Each pattern
# matches the variant only, not a longer word that happens to contain it (使得分布,
# 部分值, 第 3.4 节), and titles of other works in 《》 are not checked.
AVOID = {
    # 注意力分数, not 得分: but 使得分布, 获得分数, 求得分母 ... are other words
    "得分 (use 分数 / 注意力分数)": re.compile(
        r"(?<![使获取求记算值觉懂变显])得分(?![布母配析解开别成割裂类量支片段块组])"
    ),
    "分值 (use 分数 / 注意力分数)": re.compile(r"(?<![部成划区])分值"),
    "热图 (use 热力图)": re.compile(r"热图"),
    "bare one-hot (use 独热（one-hot） on first use, 独热 after)": re.compile(
        r"(?<!独热（)\bone[- ]hot\b", re.I
    ),
    "融合实现 (use 融合内核)": re.compile(r"融合实现"),
    "前向计算 (use 前向传播)": re.compile(r"前向计算"),
    "权重划分 (use 权重拆分)": re.compile(r"权重划分"),
    "拆分权重 as the technique's name (use 权重拆分)": re.compile(r"拆分权重(?!矩阵)"),
    # 第 3.4 节, 第 3.4.1 节, 第 3.1 到 3.7 节, 第 3.4、3.5 节; not 3.4 节
    "a section without 第 (use 第 3.4 节)": re.compile(
        r"(?<![\d.])(?<!第 )(?<!第)(?<!\d 到 )(?<!\d到)(?<!\d、)(?<!\d–)"
        r"\d+(?:\.\d+)+\s*节(?![省点约奏拍日制])"
    ),
}
QUOTED_TITLE = re.compile(r"《[^》]*》")
HAN_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def test_the_section_pattern_is_precise() -> None:
    section = AVOID["a section without 第 (use 第 3.4 节)"]
    for good in ("第 3.4 节", "第 3.4.1 节的", "第 3.1 到 3.7 节", "第 3.4、3.5 节", "约 3.5 节省"):
        assert not section.search(good), good
    for bad in ("见 3.4 节", "[3.4.1 节]", "原书 3.6.2 节打印", "3.5 节的"):
        assert section.search(bad), bad
    assert not AVOID["得分 (use 分数 / 注意力分数)"].search("使得分布更平，求得分母")
    assert AVOID["得分 (use 分数 / 注意力分数)"].search("得分最高的词元")
    assert not AVOID["分值 (use 分数 / 注意力分数)"].search("一部分值为零")
    one_hot = AVOID["bare one-hot (use 独热（one-hot） on first use, 独热 after)"]
    assert not one_hot.search("几乎独热（one-hot）的一行")
    assert one_hot.search("整行变成 one-hot。")


def test_chinese_pages_use_the_glossary_terms(zh_prose: dict[str, list[str]]) -> None:
    found = []
    for page, blocks in zh_prose.items():
        for block in blocks:
            if not HAN_CHAR.search(block):
                continue  # English prose (the API reference's docstrings) is not checked
            text = QUOTED_TITLE.sub("《》", block)
            for rule, pattern in AVOID.items():
                found += [f"{page}: {rule}: {_excerpt(text, m)!r}" for m in pattern.finditer(text)]
    assert not found, "avoided variants in zh prose:\n" + "\n".join(found)


# ---------------------------------------------------------------- spacing

HAN = "\u3400-\u4dbf\u4e00-\u9fff"
FULL_WIDTH = "\u3000-\u303f\uff00-\uffef“”‘’"  # CJK punctuation, full-width forms, quotes
# a space (or any whitespace, a line break included) with Chinese text on both sides;
# between Chinese and Latin letters, digits or code the site keeps a space (第 3.4 节)
STRAY_SPACE = re.compile(rf"[{HAN}{FULL_WIDTH}]\s+[{HAN}{FULL_WIDTH}]")


def test_the_spacing_pattern_is_precise() -> None:
    assert not STRAY_SPACE.search("见第 3.4 节的 softmax，以及 `x` 的形状")
    for bad in ("我 帮", "3.6.2 节 构建", "局部语序。 德语", "论文 “Attention", "和\n术语表"):
        assert STRAY_SPACE.search(bad), bad


def test_no_stray_spaces_between_chinese_characters(zh_prose: dict[str, list[str]]) -> None:
    found = [
        f"{page}: {_excerpt(block, m)!r}"
        for page, blocks in zh_prose.items()
        for block in blocks
        for m in STRAY_SPACE.finditer(block)
    ]
    assert not found, "whitespace between Chinese characters in zh prose:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("markdown", "joined"),
    [
        ("第一行\n第二行", "第一行第二行"),
        ("和\n  [术语表](glossary.md)", "和[术语表](glossary.md)"),
        ("见[练习](x.md)\n中的", "见[练习](x.md)中的"),
        ("**粗体。**\n正文", "**粗体。**正文"),
        ("参数；\n`CausalAttention` 的", "参数；`CausalAttention` 的"),
        ("之和为 `d_k`\n，所以", "之和为 `d_k`，所以"),
        # a space stays between Chinese and a Latin word, a number or code
        ("这是\nsoftmax 的输出", "这是\nsoftmax 的输出"),
        ("见\n3.4 节", "见\n3.4 节"),
        # a line break that starts a block is not a soft break
        ("如下：\n- 列表项", "如下：\n- 列表项"),
        ("如下：\n1. 第一项", "如下：\n1. 第一项"),
        ("如下：\n$$\nx\n$$", "如下：\n$$\nx\n$$"),
        ("中文\n```python\n中\n文\n```", "中文\n```python\n中\n文\n```"),
    ],
)
def test_the_build_joins_chinese_soft_line_breaks(markdown: str, joined: str) -> None:
    assert join_cjk_lines(markdown) == joined


# ---------------------------------------------------------------- the theme's own words

PALETTE_TOGGLE = {"en": ["Dark mode", "Light mode"], "zh": ["深色模式", "浅色模式"]}


@pytest.mark.parametrize("lang", sorted(PALETTE_TOGGLE))
def test_the_palette_toggle_speaks_the_page_language(site_dir: Path, lang: str) -> None:
    """mkdocs.yml names the toggle in English; the zh language entry overrides the names."""
    for page, html in sorted(page_files(site_dir, lang).items()):
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        labels = [str(i.get("aria-label")) for i in soup.select("input[name=__palette]")]
        titles = [str(lb.get("title")) for lb in soup.select("label[for^=__palette_]")]
        assert labels == PALETTE_TOGGLE[lang], f"{lang}/{page}: palette aria-labels {labels}"
        assert titles == PALETTE_TOGGLE[lang], f"{lang}/{page}: palette toggle titles {titles}"


# ---------------------------------------------------------------- the book's title

BOOK_ZH = (
    "《从零构建大模型》"  # the published Chinese edition (Turing / Posts & Telecom Press, 2025)
)
BOOK_EN = "Build a Large Language Model (From Scratch)"


def test_the_book_goes_by_its_published_chinese_title(site_dir: Path) -> None:
    pages = page_files(site_dir, "zh")
    wrong = [p for p, html in pages.items() if "从零构建大语言模型" in html.read_text("utf-8")]
    assert not wrong, f"a made-up Chinese title of the book on: {wrong}"
    home = re.sub(r"\s+", " ", " ".join(prose_blocks(pages["index.html"].read_text("utf-8"))))
    assert f"{BOOK_ZH}（{BOOK_EN}）" in home, "the zh home page names the book in both languages"
