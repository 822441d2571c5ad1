"""The chapter's figures (issue 17): one of ours for each of the book's, from the page's numbers.

The figures are SVG drawn at build time by ``tools/site_figures`` (hidden blocks in the page's
own session). Read from the built HTML, both languages, these tests check that:

- every one of the book's figures 3.1 to 3.26 has a counterpart on the right chapter page, whose
  caption names it (``EXPECTED_PAGE``);
- both languages show the same figures, in the same order, each drawing with a title and a
  description in the page's language, and the same numbers;
- the numbers a figure shows are the tensors the page printed (``PRINTED``): each number tagged
  ``data-tensor`` is compared with the tensor parsed from the page's output block;
- no figure is a raster image.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag

LANGS = ("en", "zh")
PAGES = {
    "3.1": "chapter/3.1-long-sequences/index.html",
    "3.2": "chapter/3.2-attention-mechanisms/index.html",
    "3.3": "chapter/3.3-self-attention/index.html",
    "3.4": "chapter/3.4-trainable-weights/index.html",
    "3.5": "chapter/3.5-causal-attention/index.html",
    "3.6": "chapter/3.6-multi-head-attention/index.html",
    "3.7": "chapter/3.7-summary/index.html",
}
# The section (page) where each of the book's figures sits.
EXPECTED_PAGE = {
    **{f"3.{n}": "3.1" for n in range(1, 5)},
    **{f"3.{n}": "3.2" for n in range(5, 7)},
    **{f"3.{n}": "3.3" for n in range(7, 13)},
    **{f"3.{n}": "3.4" for n in range(13, 19)},
    **{f"3.{n}": "3.5" for n in range(19, 24)},
    **{f"3.{n}": "3.6" for n in range(24, 27)},
}
# The caption's last sentence, written out here rather than imported from the toolkit.
BOOK_REFERENCE = {
    "en": ("Corresponds to the book's figure {}.", "Corresponds to the book's figures {} and {}."),
    "zh": ("对应书中图 {}。", "对应书中图 {} 和图 {}。"),
}
HAN = re.compile(r"[\u3400-\u9fff]")
MINUS = "\u2212"
NUMBER = re.compile(rf"{MINUS}?\d+(?:\.(\d+))?")


@dataclass(frozen=True)
class Printed:
    """Where the page printed the tensor that a figure's numbers tagged ``tensor`` show.

    ``figure``: the book's figure (``data-book-figure``). ``tensor``: the tag, without an
    index (a number tagged ``inputs[1]`` is row 1 of the tensor tagged ``inputs``).
    ``code``: a statement of the code block that printed it; the nearest such block before
    the figure is used. ``label``: a regular expression for what the print put on the line
    before ``tensor(`` (``""`` for a bare ``print(t)``; ``"Row sums:"``). When several
    printed tensors match, ``rows=True`` stacks them as the rows of one tensor (a loop that
    prints a matrix row by row); ``nth`` instead picks one of them, counting from 0 in print
    order (a block that prints several tensors); otherwise that is an error.
    """

    figure: str
    tensor: str
    code: str
    label: str = ""
    rows: bool = False
    nth: int | None = None


# One row per tensor a figure draws; add a row when a figure tags its numbers.
PRINTED = [
    Printed("3.7", "attn_scores_2", "print(attn_scores_2)"),
    Printed("3.7", "inputs", 'print(f"{token:>8}", x)', label=r"\w+", rows=True),
    Printed("3.11", "attn_weights", "print(attn_weights)"),
    Printed(
        "3.11",
        "attn_weights.sum(dim=-1)",
        'print("Row sums:", attn_weights.sum(dim=-1))',
        label="Row sums:",
    ),
    Printed("3.14", "query_2", "print(query_2)"),
    # method 1 prints masked_simple, row_sums.flatten() and masked_simple_norm, in that order
    Printed("3.20", "masked_simple", "print(masked_simple)", nth=0),
    Printed("3.20", "masked_simple_norm", "print(masked_simple_norm)", nth=2),
]


# ---------------------------------------------------------------- reading the built pages
@cache
def article(html: Path) -> Tag:
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    node = soup.select_one("article.md-content__inner")
    assert node is not None, f"{html} has no article"
    return node


def page_html(site: Path, lang: str, section: str) -> Path:
    return (site / "zh" if lang == "zh" else site) / PAGES[section]


def figures(site: Path, lang: str, section: str) -> list[Tag]:
    return list(article(page_html(site, lang, section)).select("figure.llm-figure"))


def book_numbers(fig: Tag) -> list[str]:
    return str(fig.get("data-book-figure", "")).split()


def book_reference(numbers: list[str], lang: str) -> str:
    one, two = BOOK_REFERENCE[lang]
    return one.format(*numbers) if len(numbers) == 1 else two.format(*numbers)


def where(lang: str, section: str, fig: Tag | None = None) -> str:
    name = f" figure {fig.get('id')}" if fig is not None else ""
    return f"{'zh/' if lang == 'zh' else ''}{PAGES[section]}{name}"


# ---------------------------------------------------------------- parsing printed tensors
def printed_tensors(output: str) -> list[tuple[str, Any]]:
    """Every ``tensor(...)`` in a printed output: (what the line said before it, its values).

    Values are nested lists of floats (a float for a 0-d tensor), as ``print`` showed them.
    """
    found = []
    for m in re.finditer(r"tensor\(", output):
        line_start = output.rfind("\n", 0, m.start()) + 1
        label = output[line_start : m.start()].strip()
        rest = output[m.end() :]
        if rest.startswith("["):
            depth, end = 0, 0
            while True:
                depth += {"[": 1, "]": -1}.get(rest[end], 0)
                end += 1
                if depth == 0:
                    break
            literal = rest[:end]
        else:
            literal = re.match(r"[^,)]*", rest).group(0)  # type: ignore[union-attr]
        literal = re.sub(r"\binf\b", "1e999", literal.replace("\n", " "))
        found.append((label, ast.literal_eval(literal)))
    return found


def code_and_outputs(body: Tag, before: Tag) -> list[tuple[str, str]]:
    """The (code, printed output) pairs of the page's visible blocks that come before ``before``."""
    blocks = [
        b
        for b in reversed(before.find_all_previous("div", class_="highlight"))
        if body in b.parents and {"language-python", "language-text"} & set(b["class"])
    ]
    pairs: list[tuple[str, str]] = []
    code: str | None = None
    for block in blocks:
        text = block.select_one("pre").get_text()  # type: ignore[union-attr]
        if "language-python" in block["class"]:
            code = text
        elif code is not None:
            pairs.append((code, text))
            code = None
    return pairs


def printed_tensor(site: Path, lang: str, section: str, fig: Tag, row: Printed) -> Any:
    """The tensor ``row`` names, as the page printed it before ``fig``."""
    body = article(page_html(site, lang, section))
    pairs = [(c, o) for c, o in code_and_outputs(body, fig) if row.code in c]
    assert pairs, (
        f"{where(lang, section, fig)}: no code block before the figure contains {row.code!r} "
        f"with an output after it (tensor {row.tensor!r})"
    )
    _, output = pairs[-1]
    matches = [v for label, v in printed_tensors(output) if re.fullmatch(row.label, label)]
    assert matches, (
        f"{where(lang, section, fig)}: the output of {row.code!r} prints no tensor after a "
        f"label matching {row.label!r}:\n{output}"
    )
    if row.nth is not None:
        assert row.nth < len(matches), (
            f"{where(lang, section, fig)}: the output of {row.code!r} prints {len(matches)} "
            f"tensors after a label matching {row.label!r}, fewer than nth={row.nth} + 1"
        )
        return matches[row.nth]
    if len(matches) > 1:
        assert row.rows, (
            f"{where(lang, section, fig)}: the output of {row.code!r} prints {len(matches)} "
            f"tensors after a label matching {row.label!r}; narrow the label or set rows=True"
        )
        return matches
    return matches[0]


def split_tag(tag: str) -> tuple[str, tuple[int, ...]]:
    """``"inputs[1]"`` -> ``("inputs", (1,))``; ``"attn_weights[1, 2]"`` -> ``(…, (1, 2))``."""
    m = re.fullmatch(r"(.+?)((?:\[\s*\d+\s*(?:,\s*\d+\s*)*\])*)", tag)
    assert m is not None
    return m.group(1), tuple(int(i) for i in re.findall(r"\d+", m.group(2)))


def element(values: Any, index: tuple[int, ...]) -> Any:
    for i in index:
        values = values[i]
    return values


def flatten(values: Any) -> list[float]:
    if isinstance(values, list):
        return [x for v in values for x in flatten(v)]
    return [float(values)]


def shown_value(text: str) -> tuple[float, int] | None:
    """A figure's number and its count of decimals; None unless it is written as the figures
    write numbers (an ASCII '-' is not a minus sign)."""
    m = NUMBER.fullmatch(text.strip())
    if m is None:
        return None
    return float(text.strip().replace(MINUS, "-")), len(m.group(1) or "")


def check_numbers(site: Path, lang: str, section: str, fig: Tag) -> tuple[list[str], set[str]]:
    """Compare each tagged number of ``fig`` with the printed tensor; (problems, tags seen)."""
    problems: list[str] = []
    tagged: dict[str, list[Tag]] = {}
    for num in fig.select(".lf-num[data-tensor]"):
        tagged.setdefault(str(num["data-tensor"]), []).append(num)
    by_base: dict[str, list[tuple[tuple[int, ...], list[Tag]]]] = {}
    for tag, nums in tagged.items():
        base, index = split_tag(tag)
        by_base.setdefault(base, []).append((index, nums))
    seen = set()
    for base, parts in by_base.items():
        rows = [
            r
            for fig_no in book_numbers(fig)
            for r in PRINTED
            if (r.figure, r.tensor) == (fig_no, base)
        ]
        if not rows:
            problems.append(
                f"{where(lang, section, fig)}: numbers tagged {base!r} have no row in PRINTED "
                "(tests/website/test_figures.py): say where the page prints that tensor"
            )
            continue
        seen.add(base)
        printed = printed_tensor(site, lang, section, fig, rows[0])
        for index, nums in parts:
            want = element(printed, index)
            problems += compare(
                f"{where(lang, section, fig)} {base}{list(index) or ''}", nums, want
            )
    return problems, seen


def compare(name: str, nums: list[Tag], want: Any) -> list[str]:
    """The drawn numbers ``nums`` against the printed values ``want``.

    A number with ``data-index`` is compared with that element; without, the numbers in
    document order are the tensor's elements in order, all of them. A number rounded to
    ``d`` decimals may differ from the value printed with 4 by half a unit of each.
    """
    problems = []
    indexed = [n for n in nums if n.get("data-index") is not None]
    if indexed and len(indexed) != len(nums):
        return [f"{name}: some numbers carry data-index and some do not"]
    if indexed:
        pairs = []
        for n in nums:
            index = tuple(int(i) for i in str(n["data-index"]).split(","))
            try:
                pairs.append((n, element(want, index), index))
            except (IndexError, TypeError):
                problems.append(f"{name}: data-index {index} is outside the printed tensor")
    else:
        flat = flatten(want)
        if len(flat) != len(nums):
            return [f"{name}: the figure shows {len(nums)} numbers, the page printed {len(flat)}"]
        pairs = [(n, v, (k,)) for k, (n, v) in enumerate(zip(nums, flat, strict=True))]
    for n, value, index in pairs:
        parsed = shown_value(n.get_text())
        if parsed is None:
            problems.append(f"{name} at {list(index)}: {n.get_text()!r} is not a number")
            continue
        shown, decimals = parsed
        tolerance = 0.5 * 10**-decimals + 0.5 * 10**-4 + 1e-9
        if isinstance(value, list) or not math.isclose(shown, value, abs_tol=tolerance):
            problems.append(
                f"{name} at {list(index)}: the figure shows {n.get_text()!r}, "
                f"the page printed {value!r}"
            )
    return problems


# ---------------------------------------------------------------- a: every book figure
def test_every_book_figure_has_a_counterpart_on_its_page(site_dir: Path) -> None:
    problems = []
    for lang in LANGS:
        found: dict[str, list[str]] = {}
        for section in PAGES:
            for fig in figures(site_dir, lang, section):
                numbers = book_numbers(fig)
                for number in numbers:
                    found.setdefault(number, []).append(section)
                caption = fig.select_one("figcaption span.lf-book")
                want = book_reference(numbers, lang)
                got = caption.get_text().strip() if caption else None
                if got != want:
                    problems.append(
                        f"{lang}: {where(lang, section, fig)}: the caption's reference is "
                        f"{got!r}, expected {want!r}"
                    )
        missing = [n for n in EXPECTED_PAGE if n not in found]
        misplaced = [
            f"{n} on {found[n]} (expected {EXPECTED_PAGE[n]})"
            for n in EXPECTED_PAGE
            if n in found and found[n] != [EXPECTED_PAGE[n]]
        ]
        unknown = sorted(set(found) - set(EXPECTED_PAGE))
        if missing:
            problems.append(
                f"{lang}: {len(missing)} of the book's {len(EXPECTED_PAGE)} figures have no "
                f"counterpart: {', '.join(missing)}"
            )
        if misplaced:
            problems.append(f"{lang}: figures on the wrong page or twice: {'; '.join(misplaced)}")
        if unknown:
            problems.append(f"{lang}: data-book-figure names no figure of chapter 3: {unknown}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- b: both languages, accessible
@pytest.mark.parametrize("section", PAGES)
def test_both_languages_show_the_same_figures(site_dir: Path, section: str) -> None:
    en, zh = (figures(site_dir, lang, section) for lang in LANGS)
    listed = {"en": [f.get("data-book-figure") for f in en]}
    listed["zh"] = [f.get("data-book-figure") for f in zh]
    assert listed["en"] == listed["zh"], f"{PAGES[section]}: the figures differ: {listed}"
    for fig_en, fig_zh in zip(en, zh, strict=True):
        assert fig_en.get("id") == fig_zh.get("id"), f"{PAGES[section]}: figure ids differ"
        count = [len(f.select("svg.lf-svg")) for f in (fig_en, fig_zh)]
        assert count[0] == count[1], f"{where('en', section, fig_en)}: en/zh SVGs: {count}"
        numbers = [[n.get_text() for n in f.select(".lf-num")] for f in (fig_en, fig_zh)]
        assert numbers[0] == numbers[1], (
            f"{where('en', section, fig_en)}: the numbers differ between languages:\n"
            f"en: {numbers[0]}\nzh: {numbers[1]}"
        )


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("section", PAGES)
def test_figures_are_accessible_in_the_page_language(
    site_dir: Path, section: str, lang: str
) -> None:
    body = article(page_html(site_dir, lang, section))
    ids = [el["id"] for el in body.select("[id]")]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    problems = [f"ids used twice on the page: {duplicates}"] if duplicates else []
    for fig in figures(site_dir, lang, section):
        here = where(lang, section, fig)
        if not re.fullmatch(r"figure-3-\d+", str(fig.get("id", ""))):
            problems.append(f"{here}: the figure's id is not figure-3-N")
        svgs = fig.select("div.llm-figure__scroll > svg.lf-svg")
        if not svgs or len(svgs) != len(fig.select("svg")):
            problems.append(f"{here}: expected its drawings as svg.lf-svg in its scroll box")
        if not fig.select_one("figcaption"):
            problems.append(f"{here}: no caption")
        for svg in svgs:
            if svg.get("role") != "img":
                problems.append(f"{here}: an svg without role=img")
            for attr, tag in (("aria-labelledby", "title"), ("aria-describedby", "desc")):
                ref = svg.get(attr)
                node = svg.find(tag, id=ref, recursive=False) if ref else None
                text = node.get_text().strip() if node else ""
                if not text:
                    problems.append(f"{here}: {attr}={ref!r} names no non-empty <{tag}>")
                elif (lang == "zh") != bool(HAN.search(text)):
                    problems.append(f"{here}: the <{tag}> is not in {lang}: {text[:80]!r}")
        for num in fig.select(".lf-num"):
            if not NUMBER.fullmatch(num.get_text().strip()):
                problems.append(
                    f"{here}: {num.get_text()!r} is not a number with a real minus sign (U+2212)"
                )
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- c: the printed numbers
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("section", PAGES)
def test_figure_numbers_are_what_the_page_printed(site_dir: Path, section: str, lang: str) -> None:
    problems = []
    for fig in figures(site_dir, lang, section):
        found, seen = check_numbers(site_dir, lang, section, fig)
        problems += found
        for row in PRINTED:
            if row.figure in book_numbers(fig) and row.tensor not in seen:
                problems.append(
                    f"{where(lang, section, fig)}: no number is tagged data-tensor="
                    f"{row.tensor!r} (PRINTED expects the figure to draw it)"
                )
    assert not problems, "\n".join(problems)


def test_every_printed_row_names_a_figure_on_its_page(site_dir: Path) -> None:
    for row in PRINTED:
        section = EXPECTED_PAGE[row.figure]
        for lang in LANGS:
            drawn = [f for f in figures(site_dir, lang, section) if row.figure in book_numbers(f)]
            assert drawn, f"{lang}: PRINTED names figure {row.figure}, not on {PAGES[section]}"


def test_printed_tensors_are_parsed_as_printed() -> None:
    output = (
        "    Your tensor([0.4300, 0.1500, 0.8900])\n"
        "tensor([[ 1.0000, -0.5000],\n        [-inf, 2.0000e-03]], grad_fn=<MmBackward0>)\n"
        "Sum: tensor(1.)"
    )
    assert printed_tensors(output) == [
        ("Your", [0.43, 0.15, 0.89]),
        ("", [[1.0, -0.5], [-math.inf, 0.002]]),
        ("Sum:", 1.0),
    ]
    assert split_tag("inputs[1]") == ("inputs", (1,))
    assert split_tag("attn_weights.sum(dim=-1)") == ("attn_weights.sum(dim=-1)", ())
    soup = BeautifulSoup(
        '<text class="lf-num" data-index="0">0.95</text><text class="lf-num" data-index="1">'
        "\u22120.50</text>",
        "html.parser",
    )
    nums = soup.select(".lf-num")
    assert compare("t", nums, [0.9544, -0.5]) == []
    assert compare("t", nums, [0.9544, 0.5]), "a wrong sign must be reported"
    assert compare("t", nums, [0.9644, -0.5]), "a number off by 0.01 must be reported"


# ---------------------------------------------------------------- d: no raster
@pytest.mark.parametrize("section", PAGES)
def test_no_figure_is_a_raster_image(site_dir: Path, section: str) -> None:
    problems = []
    for lang in LANGS:
        for fig in figures(site_dir, lang, section):
            raster = fig.select("img, image, picture, canvas, object, embed, iframe")
            raster += [el for el in fig.select("[style]") if "url(" in str(el["style"])]
            if raster:
                problems.append(f"{where(lang, section, fig)}: {[el.name for el in raster]}")
            if not fig.select("svg.lf-svg text"):
                problems.append(f"{where(lang, section, fig)}: no SVG text")
    assert not problems, "figures drawn as raster images:\n" + "\n".join(problems)


def test_heat_ink_reads_on_every_heat_colour() -> None:
    """Numbers on attention-weight cells keep a 4.5:1 contrast over the whole blue scale."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "tools" / "site_figures" / "svg.py"
    spec = importlib.util.spec_from_file_location("site_figures_svg_for_test", path)
    assert spec is not None and spec.loader is not None
    svg = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(svg)
    worst = min(
        (svg.contrast(svg.heat_ink(v / 200), svg.heat_colour(v / 200)), v / 200) for v in range(201)
    )
    assert worst[0] >= 4.5, f"heat_ink has contrast {worst[0]:.2f}:1 at weight {worst[1]}"
    assert round(svg.contrast("#ffffff", "#000000"), 2) == 21.0
