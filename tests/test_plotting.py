"""Attention heatmaps: valid SVG, one cell per weight, labels kept as escaped text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import torch

from llm_attention import (
    EXAMPLE_TOKENS,
    attention_heatmap_svg,
    simple_attention_weights,
    token_strings,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text")]


def test_one_rect_per_cell(inputs: torch.Tensor) -> None:
    weights = simple_attention_weights(inputs @ inputs.T)
    root = parse(attention_heatmap_svg(weights, EXAMPLE_TOKENS))
    rects = list(root.iter(f"{SVG}rect"))
    assert len(rects) == 6 * 6
    assert all(r.get("fill", "").startswith("#") for r in rects)


def test_rectangular_matrix_with_column_labels() -> None:
    weights = torch.softmax(torch.randn(2, 5), dim=-1)
    svg = attention_heatmap_svg(weights, ["q1", "q2"], ["a", "b", "c", "d", "e"])
    root = parse(svg)
    assert len(list(root.iter(f"{SVG}rect"))) == 2 * 5
    labels = texts(root)
    for label in ["q1", "q2", "a", "b", "c", "d", "e"]:
        assert label in labels


def test_labels_and_values_are_drawn_as_text() -> None:
    weights = torch.tensor([[1.0, 0.0], [0.25, 0.75]])
    root = parse(attention_heatmap_svg(weights, ["Your", " journey"]))
    labels = texts(root)
    assert "Your" in labels
    assert "journey" in labels  # GPT-2's leading space is stripped for display
    for value in ["1.00", "0.00", "0.25", "0.75"]:
        assert value in labels


def test_show_values_false_draws_no_numbers() -> None:
    weights = torch.tensor([[1.0, 0.0], [0.25, 0.75]])
    root = parse(attention_heatmap_svg(weights, ["a", "b"], show_values=False))
    assert "0.25" not in texts(root)
    assert len(list(root.iter(f"{SVG}rect"))) == 4


def test_larger_weights_are_darker() -> None:
    weights = torch.tensor([[0.0, 1.0]])
    root = parse(attention_heatmap_svg(weights, ["q"], ["low", "high"]))
    low, high = (r.get("fill", "") for r in root.iter(f"{SVG}rect"))

    def brightness(colour: str) -> int:
        return sum(int(colour[i : i + 2], 16) for i in (1, 3, 5))

    assert brightness(low) > brightness(high)


def test_every_value_reads_on_its_cell() -> None:
    # WCAG AA: at least 4.5:1 between a value's ink and its cell, over the whole scale
    # (white on every cell above 0.45 gave 2.2:1 just above it).
    values = torch.linspace(0, 1, 101).unsqueeze(0)
    root = parse(attention_heatmap_svg(values, ["q"], [str(i) for i in range(101)]))
    fills = [r.get("fill", "") for r in root.iter(f"{SVG}rect")]
    inks = [t.get("fill", "") for t in root.iter(f"{SVG}text") if t.get("font-size") == "11"]
    assert len(fills) == len(inks) == 101

    def luminance(colour: str) -> float:
        c = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    def contrast(a: str, b: str) -> float:
        high, low = sorted((luminance(a), luminance(b)), reverse=True)
        return (high + 0.05) / (low + 0.05)

    worst = min(
        (contrast(ink, fill), f"{v:.2f}")
        for ink, fill, v in zip(inks, fills, values[0].tolist(), strict=True)
    )
    assert worst[0] >= 4.5, f"value {worst[1]}: contrast {worst[0]:.2f}:1"


def test_labels_are_escaped() -> None:
    weights = torch.eye(3)
    svg = attention_heatmap_svg(
        weights, ["<b>", "a & b", '"q"'], title="<script>x</script>", x_label="k<1"
    )
    root = parse(svg)  # would raise if the markup were not escaped
    assert not list(root.iter(f"{SVG}b"))
    assert not list(root.iter(f"{SVG}script"))
    labels = texts(root)
    for label in ["<b>", "a & b", '"q"', "<script>x</script>", "k<1"]:
        assert label in labels


def test_chinese_title_and_labels_are_kept_as_text() -> None:
    weights = torch.softmax(torch.randn(3, 3), dim=-1)
    title = "注意力权重"
    svg = attention_heatmap_svg(weights, ["你", "好", "吗"], title=title, y_label="查询")
    root = parse(svg)
    title_el = root.find(f"{SVG}title")
    assert title_el is not None
    assert title_el.text == title
    labels = texts(root)
    assert title in labels
    assert "查询" in labels
    assert "你" in labels


def test_default_title_is_accessible_name() -> None:
    root = parse(attention_heatmap_svg(torch.eye(2), ["a", "b"]))
    title_el = root.find(f"{SVG}title")
    assert title_el is not None
    assert title_el.text == "attention weights"


def test_label_count_mismatch() -> None:
    weights = torch.eye(3)
    with pytest.raises(ValueError, match=r"row_labels must have 3 entries, got 2"):
        attention_heatmap_svg(weights, ["a", "b"])
    with pytest.raises(ValueError, match=r"col_labels must have 3 entries, got 4"):
        attention_heatmap_svg(weights, ["a", "b", "c"], ["a", "b", "c", "d"])


@pytest.mark.parametrize("bad", [torch.ones(3), torch.ones(2, 3, 3)])
def test_weights_must_be_a_matrix(bad: object) -> None:
    with pytest.raises(ValueError, match=r"attn_weights must be a 2-D tensor"):
        attention_heatmap_svg(bad, ["a"])  # type: ignore[arg-type]


def test_weights_must_be_a_tensor() -> None:
    with pytest.raises(TypeError, match=r"attn_weights must be a torch.Tensor, got list"):
        attention_heatmap_svg([[1.0]], ["a"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"cell_size": -5}, ValueError, r"cell_size must be >= 1, got -5"),
        ({"cell_size": 0}, ValueError, r"cell_size must be >= 1, got 0"),
        ({"cell_size": "44"}, TypeError, r"cell_size must be an int, got str"),
        ({"cell_size": 4.5}, TypeError, r"cell_size must be an int, got float"),
        ({"show_values": 1}, TypeError, r"show_values must be a bool, got int"),
        ({"title": 3}, TypeError, r"title must be a str, got int"),
        ({"x_label": None}, TypeError, r"x_label must be a str, got NoneType"),
        ({"row_labels": [1, 2]}, TypeError, r"row_labels must hold str labels, got int"),
        ({"row_labels": "ab"}, TypeError, r"row_labels must be a sequence of str"),
        ({"col_labels": ["a", 2]}, TypeError, r"col_labels must hold str labels, got int"),
    ],
)
def test_every_argument_is_checked(kwargs: dict[str, object], error: type, message: str) -> None:
    args: dict[str, object] = {"row_labels": ["a", "b"], **kwargs}
    with pytest.raises(error, match=message):
        attention_heatmap_svg(torch.eye(2), **args)  # type: ignore[arg-type]


# Every code point XML 1.0 cannot hold (C0 but tab, newline, carriage return; lone
# surrogates; U+FFFE, U+FFFF), DEL, and the C1 controls it holds but nobody sees.
CONTROL_CHARACTERS = [
    *map(chr, range(0x20)),
    "\x7f",
    *map(chr, range(0x80, 0xA0)),
    "\ud800",
    "\udfff",
    "\ufffe",
    "\uffff",
]


@pytest.mark.parametrize("char", CONTROL_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_control_characters_give_well_formed_svg(char: str) -> None:
    label = f"a{char}b"
    svg = attention_heatmap_svg(
        torch.eye(2), [label, char], title=f"t{char}", x_label=char, y_label=label
    )
    svg.encode("utf-8")  # writable to a file: no lone surrogate left
    root = parse(svg)  # would raise on a C0 character, even as &#27;
    drawn = " ".join([*texts(root), root.findtext(f"{SVG}title") or ""])
    if char not in "\t\n\r":
        assert char not in drawn
    assert "a" in drawn and "b" in drawn


def test_control_characters_are_drawn_as_control_pictures() -> None:
    root = parse(attention_heatmap_svg(torch.eye(2), ["\x1b[0m", "\x00\x07"], title="\x1b"))
    labels = texts(root)
    assert "\u241b[0m" in labels  # ␛[0m
    assert "\u2400\u2407" in labels  # ␀␇
    assert root.findtext(f"{SVG}title") == "\u241b"
    labels = texts(parse(attention_heatmap_svg(torch.eye(2), ["\x85", "x\x9f\x7f"])))
    assert "x\\x9f\u2421" in labels  # C1 as its escape, DEL as ␡
    assert "'\\x85'" in labels  # only white space to Python: its repr


def test_every_single_byte_token_gives_well_formed_svg() -> None:
    ids = list(range(188, 256))  # GPT-2's tokens for the bytes 0-32 and 127-160, 173
    labels = token_strings(ids)
    assert any(ord(c) < 0x20 for label in labels for c in label)
    svg = attention_heatmap_svg(torch.eye(len(ids)), labels, show_values=False)
    assert len(texts(parse(svg))) == len(ids) * 2
