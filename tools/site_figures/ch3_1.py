"""Figures of section 3.1 (the book's figures 3.1 to 3.4), and 3.13, which repeats 3.2.

3.1 and 3.2 are maps of the book and of the chapter, drawn as boxes; the small weight grids in
3.2 are computed by the package on the chapter's example sentence. 3.3 is drawn from the
page's dictionary gloss, and 3.4 from the page's tokens and its encoder's final state ``h_n``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import torch

from site_figures.svg import Svg, figure, fmt, sub, tokens_or


def text_width(text: str, size: float = 14) -> float:
    """A generous estimate of a text's width: CJK characters are square, Latin ones narrower."""
    return sum(size * (1.0 if ord(ch) >= 0x2E80 else 0.6) for ch in text)


def card(
    svg: Svg,
    x: float,
    y: float,
    w: float,
    h: float,
    role: str,
    lines: Sequence[tuple[str, str]],
    *,
    strong: bool = False,
) -> None:
    """A box with centred lines; each line is ``(text, kind)``, kind ``b`` bold, ``s`` small,
    ``a`` small in the accent colour, anything else plain."""
    svg.box(x, y, w, h, role, strong=strong)
    heights = [15 if kind in "sa" else 17 for _, kind in lines]
    top = y + (h - sum(heights)) / 2
    for (content, kind), lh in zip(lines, heights, strict=True):
        top += lh
        cls = {"s": "lf-t lf-small", "a": "lf-small lf-text-accent"}.get(kind, "lf-t")
        svg.text(x + w / 2, top - 4, content, cls=cls, bold=kind in "ba")


# ---------------------------------------------------------------- figure 3.1
def figure_3_1(lang: str) -> str:
    """The three stages of building an LLM, with this chapter's place in stage 1."""
    t: dict[str, Any] = {
        "en": {
            "title": "The three stages of building a large language model",
            "desc": (
                "Stage 1 builds the LLM: data preparation and sampling (chapter 2), the attention "
                "mechanism (chapter 3, this chapter, highlighted) and the LLM architecture "
                "(chapter 4). Stage 2 pretrains it on unlabeled text into a foundation model "
                "(chapter 5). Stage 3 fine-tunes the foundation model into a classifier "
                "(chapter 6) or a personal assistant (chapter 7)."
            ),
            "stages": [
                ("Stage 1", "build the LLM"),
                ("Stage 2", "pretrain"),
                ("Stage 3", "fine-tune"),
            ],
            "s1": [
                [("Data", "b"), ("preparation", "b"), ("and sampling", "b"), ("chapter 2", "s")],
                [("Attention", "b"), ("mechanism", "b"), ("this chapter", "a")],
                [("LLM", "b"), ("architecture", "b"), ("chapter 4", "s")],
            ],
            "s2": [
                ("Pretraining on unlabeled text", "b"),
                ("gives a foundation model", "n"),
                ("chapter 5", "s"),
            ],
            "s3": [
                [("Classifier", "b"), ("e.g. spam or not spam", "n"), ("chapter 6", "s")],
                [("Personal assistant", "b"), ("follows instructions", "n"), ("chapter 7", "s")],
            ],
            "caption": (
                "Building an LLM in three stages. Attention, this chapter, is part of the model "
                "that stage 1 builds and stages 2 and 3 train."
            ),
        },
        "zh": {
            "title": "构建大语言模型的三个阶段",
            "desc": (
                "阶段 1 搭建大语言模型：数据准备与采样（第 2 章）、注意力机制（第 3 章，即本章，"
                "高亮显示）和 LLM 架构（第 4 章）。阶段 2 在无标注文本上预训练，得到基础模型"
                "（第 5 章）。阶段 3 把基础模型微调成分类器（第 6 章）或个人助理（第 7 章）。"
            ),
            "stages": [("阶段 1", "搭建模型"), ("阶段 2", "预训练"), ("阶段 3", "微调")],
            "s1": [
                [("数据准备", "b"), ("与采样", "b"), ("第 2 章", "s")],
                [("注意力机制", "b"), ("本章", "a")],
                [("LLM 架构", "b"), ("第 4 章", "s")],
            ],
            "s2": [("在无标注文本上预训练", "b"), ("得到基础模型", "n"), ("第 5 章", "s")],
            "s3": [
                [("分类器", "b"), ("例如识别垃圾邮件", "n"), ("第 6 章", "s")],
                [("个人助理", "b"), ("按指令回答问题", "n"), ("第 7 章", "s")],
            ],
            "caption": (
                "构建大语言模型的三个阶段。本章讲的注意力机制，是阶段 1 所搭模型的一部分，"
                "阶段 2 和阶段 3 再训练这个模型。"
            ),
        },
    }[lang]
    width = 540
    left = 118  # the boxes start here; the stage names sit left of it
    box_w, gap = 128, 13
    svg = Svg("fig-3-1", width, 348, t["title"], t["desc"])
    rows = ((12, 92), (136, 66), (250, 86))  # (top, height) of each stage's boxes
    for (name, what), (top, h) in zip(t["stages"], rows, strict=True):
        svg.text(14, top + h / 2 - 2, name, anchor="start", bold=True)
        svg.text(14, top + h / 2 + 15, what, anchor="start", cls="lf-t lf-small")
    for y in (118, 222):
        svg.line(10, y, width - 10, y, cls="lf-grid", arrow=False)
    # stage 1: three parts of the model, built in three chapters
    top, h = rows[0]
    for i, lines in enumerate(t["s1"]):
        x = left + i * (box_w + gap)
        here = i == 1
        card(svg, x, top, box_w, h, "accent" if here else "x", lines, strong=here)
        if i:
            svg.line(x - gap + 1, top + h / 2, x - 2, top + h / 2)
    mid = left + (3 * box_w + 2 * gap) / 2
    # stage 2: pretraining the model that stage 1 built
    top2, h2 = rows[1]
    w2 = 270
    svg.line(mid, top + h + 2, mid, top2 - 3)
    card(svg, mid - w2 / 2, top2, w2, h2, "x", t["s2"])
    # stage 3: two ways to fine-tune the foundation model
    top3, h3 = rows[2]
    w3 = 190
    centres = (mid - w3 / 2 - 8, mid + w3 / 2 + 8)
    for cx, lines in zip(centres, t["s3"], strict=True):
        card(svg, cx - w3 / 2, top3, w3, h3, "x", lines)
        svg.path(
            f"M{mid:.0f},{top2 + h2 + 2} C{mid:.0f},{top2 + h2 + 30} {cx:.0f},{top3 - 30} "
            f"{cx:.0f},{top3 - 3}"
        )
    return figure("3.1", svg, t["caption"], lang)


# ---------------------------------------------------------------- figures 3.2 and 3.13
VARIANTS = ("3.3", "3.4", "3.5", "3.6")


def _variant_weights() -> list[list[torch.Tensor]]:
    """One small weight grid per variant (two for multi-head), computed by the package.

    The chapter's six-token example: simplified weights; scaled weights from the book's
    ``torch.manual_seed(123)`` projections; the same with the causal mask; two causal heads.
    The random draws happen in a forked generator, so the page's own random state is
    untouched.
    """
    from llm_attention import (
        example_inputs,
        init_qkv_weights,
        mask_before_softmax,
        project_qkv,
        scaled_attention_weights,
        simple_attention_scores,
        simple_attention_weights,
    )

    x = example_inputs()
    simple = simple_attention_weights(simple_attention_scores(x))
    heads = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(123)
        for _ in range(2):
            q, k, _v = project_qkv(x, *init_qkv_weights(3, 2))
            heads.append(q @ k.T)
    trainable = scaled_attention_weights(heads[0], d_k=2)
    causal = [scaled_attention_weights(mask_before_softmax(s), d_k=2) for s in heads]
    return [[simple], [trainable], [causal[0]], causal]


def _progression(fig_id: str, lang: str, highlight: str | None) -> Svg:
    t: dict[str, Any] = {
        "en": {
            "title": "The four attention variants of chapter 3",
            "names": [
                ("Simplified self-attention", "weights from the inputs' own dot products"),
                (
                    "Self-attention with trainable weights",
                    "adds W_q, W_k, W_v: queries, keys, values",
                ),
                ("Causal attention", "masks later tokens, adds dropout"),
                ("Multi-head attention", "several heads in parallel, merged"),
            ],
            "next": "LLM architecture, chapter 4",
            "here": "this section",
            "desc": (
                "Four boxes from top to bottom, each building on the one above: 3.3 simplified "
                "self-attention; 3.4 self-attention with trainable weights W_q, W_k, W_v; 3.5 "
                "causal attention, which masks later tokens and adds dropout; 3.6 multi-head "
                "attention, several heads in parallel. Multi-head attention goes into the LLM "
                "architecture of chapter 4. Beside each box, the attention weights of the "
                "six-token example sentence as that variant computes them; the causal ones are "
                "empty above the diagonal."
            ),
        },
        "zh": {
            "title": "第 3 章的四种注意力",
            "names": [
                ("简化的自注意力", "权重直接来自输入之间的点积"),
                ("带可训练权重的自注意力", "加入 W_q、W_k、W_v，得到查询、键、值"),
                ("因果注意力", "遮蔽后面的词元，并加入 dropout"),
                ("多头注意力", "多个头并行计算，再合并"),
            ],
            "next": "第 4 章：LLM 架构",
            "here": "本节",
            "desc": (
                "从上到下四个方框，每一个都建立在上一个之上：第 3.3 节简化的自注意力；第 3.4 节"
                "带可训练权重 W_q、W_k、W_v 的自注意力；第 3.5 节因果注意力，遮蔽后面的词元并加入"
                " dropout；第 3.6 节多头注意力，多个头并行计算。"
                "多头注意力再进入第 4 章的 LLM 架构。"
                "每个方框旁是这种注意力在六个词元的示例句子上算出的注意力权重，因果注意力的"
                "对角线上方为空。"
            ),
        },
    }[lang]
    if highlight is not None and highlight not in VARIANTS:
        raise ValueError(f"highlight must be one of {VARIANTS} or None, got {highlight!r}")
    if highlight:
        t["desc"] += (
            f"第 {highlight} 节的方框高亮显示，标为本节。"
            if lang == "zh"
            else f" The box of {highlight} is highlighted as this section."
        )
    grids = _variant_weights()
    width, card_x, card_w, card_h, step = 540, 92, 318, 62, 86
    svg = Svg(fig_id, width, 4 * step + 54, t["title"], t["desc"])
    for i, (number, (name, adds)) in enumerate(zip(VARIANTS, t["names"], strict=True)):
        y = 10 + i * step
        here = number == highlight
        svg.text(46, y + card_h / 2 + (0 if here else 6), number, bold=True, size=18)
        if here:
            svg.text(46, y + card_h / 2 + 20, t["here"], cls="lf-small lf-text-accent", bold=True)
        svg.box(card_x, y, card_w, card_h, "accent" if here else "x", strong=here)
        svg.text(card_x + 12, y + 26, name, anchor="start", bold=True)
        svg.text(card_x + 12, y + 47, adds, anchor="start", cls="lf-t lf-small")
        if i:
            svg.line(card_x + card_w / 2, y - step + card_h + 2, card_x + card_w / 2, y - 3)
        # the variant's weights on the example sentence: 6 x 6, 9 px a cell
        mats = grids[i]
        cell, gap = 9, 8
        total = len(mats) * 6 * cell + (len(mats) - 1) * gap
        gx = card_x + card_w + (width - card_x - card_w - total) / 2
        for m, weights in enumerate(mats):
            masked = [(r, c) for r in range(6) for c in range(6) if weights[r, c] == 0]
            svg.matrix(
                gx + m * (6 * cell + gap),
                y + (card_h - 6 * cell) / 2,
                weights.tolist(),
                cell=cell,
                show_values=False,
                muted=masked,
            )
    y = 10 + 4 * step
    svg.line(card_x + card_w / 2, y - step + card_h + 2, card_x + card_w / 2, y - 3)
    svg.box(card_x + 40, y, card_w - 80, 34, "mute")
    svg.text(card_x + card_w / 2, y + 22, t["next"], cls="lf-t lf-small")
    return svg


def figure_3_2(lang: str, highlight: str | None = None) -> str:
    """The chapter's four attention variants, each building on the last.

    ``highlight`` is a section number ("3.3" to "3.6") whose box is drawn as "this section".
    """
    caption = {
        "en": (
            "The chapter's four attention variants, each adding one thing to the last; beside "
            "each, the weights it computes for the six-token example sentence."
        ),
        "zh": (
            "本章的四种注意力，每一种都在上一种的基础上加一样东西；旁边是各自在六个词元的"
            "示例句子上算出的注意力权重。"
        ),
    }[lang]
    svg = _progression("fig-3-2", lang, highlight)
    return figure("3.2", svg, caption, lang, explorer="stage=3.3")


def figure_3_13(lang: str) -> str:
    """Figure 3.2 again, with 3.4 (trainable weights) as this section."""
    caption = {
        "en": (
            "Where this section sits: trainable weights turn simplified self-attention into the "
            "attention that causal and multi-head attention build on."
        ),
        "zh": "本节的位置：可训练权重把简化的自注意力变成后面因果注意力和多头注意力的基础。",
    }[lang]
    svg = _progression("fig-3-13", lang, "3.4")
    return figure("3.13", svg, caption, lang, explorer="stage=3.4")


# ---------------------------------------------------------------- figure 3.3
def figure_3_3(
    german: str, english: str, gloss: Mapping[str, str], word_by_word: str, lang: str
) -> str:
    """Word-by-word translation keeps the German order; the real translation reorders."""
    de = german.split()
    en = english.split()
    wbw = word_by_word.split()
    # where each German word's gloss sits in the correct sentence (None: no counterpart)
    target = [en.index(gloss[w]) if gloss[w] in en else None for w in de]
    moved = [i for i, j in enumerate(target) if j is not None and j != i]
    far = max(moved, key=lambda i: abs(i - (target[i] or 0)))  # the longest move
    far_to = target[far]
    assert far_to is not None
    missing = [de[i] for i, j in enumerate(target) if j is None]
    t: dict[str, Any] = {
        "en": {
            "title": "Word-by-word translation against the correct one",
            "wbw": "word by word",
            "de": "German",
            "en": "correct English",
            "desc": (
                f"Middle: the German words {', '.join(de)}. Left: the dictionary gloss of each, "
                f"in the German order: {word_by_word}. Right: the correct English, {english}; "
                "lines join each German word to its English word and cross where the order "
                f"changes. {de[far]} is German word {far + 1} but {en[far_to]} is English "
                f"word {far_to + 1}. "
                + (f"{', '.join(missing)} has no counterpart." if missing else "")
            ),
            "caption": (
                "Left, the dictionary gloss <code>word_by_word</code> keeps the German order; "
                "right, the correct <code>english</code>, where lines cross because words move."
            ),
        },
        "zh": {
            "title": "逐词翻译与正确译文的对比",
            "wbw": "逐词翻译",
            "de": "德语",
            "en": "正确译文",
            "desc": (
                f"中间是德语单词 {'、'.join(de)}。"
                f"左边是逐词查词典的结果，保持德语语序：{word_by_word}。"
                f"右边是正确的英语译文 {english}；连线把每个德语单词接到对应的英语单词上，"
                f"语序变化的地方连线交叉。{de[far]} 是第 {far + 1} 个德语单词，"
                f"{en[far_to]} 却是第 {far_to + 1} 个英语单词。"
                + (f"{'、'.join(missing)} 在译文中没有对应的词。" if missing else "")
            ),
            "caption": (
                "左边是逐词查词典的结果 <code>word_by_word</code>，保持德语语序；右边是正确的 "
                "<code>english</code>：单词挪了位置，连线因此交叉。"
            ),
        },
    }[lang]
    row_h, top = 34, 54
    n = len(de)
    box_w, box_h = 124, 26
    bx = 270 - box_w / 2  # the German column, in the middle
    lx, rx = 92, 430  # centre of the left column, left edge of the right one
    svg = Svg("fig-3-3", 540, top + n * row_h + 8, t["title"], t["desc"])
    svg.text(lx, 30, t["wbw"], cls="lf-t lf-small", bold=True)
    svg.text(270, 30, t["de"], cls="lf-t lf-small", bold=True)
    svg.text(rx + 40, 30, t["en"], cls="lf-t lf-small", bold=True)
    for i, word in enumerate(de):
        cy = top + i * row_h + box_h / 2
        svg.box(bx, cy - box_h / 2, box_w, box_h, "x", word, size=14)
        is_far = i == far
        svg.line(bx - 4, cy, lx + 52, cy, cls="lf-line lf-dashed")
        svg.text(
            lx,
            cy + 5,
            wbw[i],
            cls="lf-t lf-text-accent" if is_far else "lf-t",
            bold=is_far,
        )
        j = target[i]
        if j is None:
            continue
        ty = top + j * row_h + box_h / 2
        svg.line(
            bx + box_w + 4,
            cy,
            rx - 6,
            ty,
            cls="lf-highlight" if is_far else ("lf-line-s" if j != i else "lf-line"),
            arrow=False,
        )
    for j, word in enumerate(en):
        ty = top + j * row_h + box_h / 2
        svg.text(
            rx,
            ty + 5,
            word,
            anchor="start",
            cls="lf-t lf-text-accent" if j == far_to else "lf-t",
            bold=j == far_to,
        )
    return figure("3.3", svg, t["caption"], lang)


# ---------------------------------------------------------------- figure 3.4
def figure_3_4(
    src_tokens: Sequence[str], tgt_tokens: Sequence[str], h_n: torch.Tensor, lang: str
) -> str:
    """An encoder-decoder RNN: all of the input reaches the decoder through ``h_n`` alone."""
    src = tokens_or(src_tokens)
    tgt = tokens_or(tgt_tokens)
    last = [float(v) for v in h_n.detach().reshape(-1)]
    n, m, size = len(src), len(tgt), len(last)
    t: dict[str, Any] = {
        "en": {
            "title": "An encoder-decoder RNN passes the input on through one hidden state",
            "enc": f"encoder: reads {n} German tokens, one state each",
            "drop": f"states s₁ … s{sub(n - 1)}: not passed on",
            "hn_note": f"h_n = s{sub(n)}: hidden_size = {size} numbers, all the decoder gets",
            "dec": f"decoder: writes {m} English tokens, one step each",
            "desc": (
                f"The encoder RNN reads the {n} German tokens {' '.join(src)} one at a time, "
                f"updating its hidden state. Only its last state, h_n, {size} numbers "
                f"({', '.join(fmt(v) for v in last)}), reaches the decoder, which writes the "
                f"{m} English tokens {' '.join(tgt)}."
            ),
            "caption": (
                f"The encoder's {n} states, of which only the last, <code>h_n</code> (rounded "
                "to two decimals), reaches the decoder."
            ),
        },
        "zh": {
            "title": "编码器–解码器 RNN 只靠一个隐藏状态传递输入",
            "enc": f"编码器：读入 {n} 个德语词元，每个词元一个状态",
            "drop": f"状态 s₁ … s{sub(n - 1)}：不往下传",
            "hn_note": f"h_n = s{sub(n)}：hidden_size = {size} 个数，解码器只得到这些",
            "dec": f"解码器：写出 {m} 个英语词元，每步一个",
            "desc": (
                f"编码器 RNN 依次读入 {n} 个德语词元 {' '.join(src)}，每读一个就更新一次隐藏状态。"
                f"只有最后的状态 h_n，即 {size} 个数（{'，'.join(fmt(v) for v in last)}），"
                f"能到达解码器，解码器再写出 {m} 个英语词元 {' '.join(tgt)}。"
            ),
            "caption": (
                f"编码器的 {n} 个状态里，只有最后一个 <code>h_n</code>（保留两位小数）"
                "能到达解码器。"
            ),
        },
    }[lang]
    width = 540
    pitch, sq = 27, 21  # encoder: one square per token
    ex = (width - n * pitch) / 2
    ey = 80  # top of the encoder squares
    cell = 46
    hx = (width - size * cell) / 2
    hy = ey + sq + 66  # top of h_n
    dy = hy + 28 + 58  # top of the decoder boxes
    dpitch = min(72, (width - 40) / m)
    dw = dpitch - 12
    dx = (width - m * dpitch) / 2 + 6
    svg = Svg("fig-3-4", width, dy + 74, t["title"], t["desc"])
    svg.text(width / 2, 16, t["enc"], cls="lf-t lf-small", bold=True)
    # the encoder's chain of states, the token each one has just read above it
    svg.line(ex + sq / 2, ey + sq / 2, ex + (n - 1) * pitch + sq / 2, ey + sq / 2, arrow=False)
    for i, token in enumerate(src):
        x = ex + i * pitch
        lastone = i == n - 1
        svg.rect(x, ey, sq, sq, cls="lf-box lf-accent lf-strong" if lastone else "lf-box lf-mute")
        svg.add(
            f'<text transform="translate({x + sq / 2 + 4:.1f},{ey - 6}) rotate(-55)" '
            f'class="lf-t" font-size="13">{_esc(token)}</text>'
        )
    svg.text(ex + (n - 1) * pitch / 2, ey + sq + 18, t["drop"], cls="lf-t lf-small")
    # s_T = h_n, down to the vector
    sx = ex + (n - 1) * pitch + sq / 2
    svg.path(
        f"M{sx:.1f},{ey + sq + 2} C{sx:.1f},{hy - 10} {hx + size * cell + 30:.1f},{hy + 14} "
        f"{hx + size * cell + 4:.1f},{hy + 14}"
    )
    svg.vector(hx, hy, last, "accent", cell_w=cell)
    svg.add(
        f'<rect x="{hx:.1f}" y="{hy}" width="{size * cell}" height="28" rx="4" '
        'class="lf-box lf-accent lf-strong" style="fill:none"/>'
    )
    svg.text(width / 2, hy - 10, t["hn_note"], cls="lf-t lf-small")
    # h_n starts the decoder
    svg.path(
        f"M{hx - 2:.1f},{hy + 14} C{dx + dw / 2 - 20:.1f},{hy + 14} {dx + dw / 2:.1f},{dy - 30} "
        f"{dx + dw / 2:.1f},{dy - 3}"
    )
    for i, token in enumerate(tgt):
        x = dx + i * dpitch
        svg.rect(x, dy, dw, 26, cls="lf-box lf-x")
        svg.text(x + dw / 2, dy + 18, f"d{sub(i + 1)}", cls="lf-t lf-small")
        svg.text(x + dw / 2, dy + 46, token, size=13)
        if i:
            svg.line(x - 12 + 1, dy + 13, x - 2, dy + 13)
    svg.text(width / 2, dy + 66, t["dec"], cls="lf-t lf-small", bold=True)
    return figure("3.4", svg, t["caption"], lang)


def _esc(text: str) -> str:
    return escape(text)
