"""Figures of section 3.2 (the book's figures 3.5 and 3.6), drawn from the page's tensors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from site_figures.svg import Svg, figure, fmt, heat_colour, heat_ink, sub, sup, tokens_or


def figure_3_5(
    src_tokens: Sequence[str],
    tgt_tokens: Sequence[str],
    query: torch.Tensor,
    attn_scores: torch.Tensor,
    attn_weights: torch.Tensor,
    context_vec: torch.Tensor,
    lang: str,
    step: int = 3,
) -> str:
    """One decoder step reaching every encoder state: scores, weights, and their mix.

    ``query`` is the decoder state of step ``step`` (1-based), ``attn_scores`` and
    ``attn_weights`` its score and weight for each encoder state, ``context_vec`` the mix.
    """
    src = tokens_or(src_tokens)
    writes = tokens_or(tgt_tokens)[step - 1]
    n = len(src)
    weights = [float(w) for w in attn_weights]
    scores = [float(s) for s in attn_scores]
    top = max(range(n), key=lambda j: weights[j])
    d, z = f"d{sub(step)}", f"z{sup(step)}"
    a, w = f"α{sub(step)}ⱼ", f"ω{sub(step)}ⱼ"
    t: dict[str, Any] = {
        "en": {
            "title": f"Decoder step {step} reaches all {n} encoder states through attention",
            "query": f"step 2: the query {d}, decoder state of the step that writes “{writes}”",
            "steps": ("step 1", "step 3", "step 4", "step 5"),
            "writes": f"step {step} writes “{writes}”",
            "desc": (
                f"The decoder state {d}, which writes {writes}, scores each of the {n} encoder "
                f"states s₁ to s{sub(n)} by a dot product; softmax turns the scores into weights "
                f"that sum to 1; the context vector {z} mixes the states with these weights. "
                "Line widths follow the weights. Weights: "
                + ", ".join(f"{src[j]} {fmt(weights[j])}" for j in range(n))
                + f". The largest, {fmt(weights[top])}, is on {src[top]}."
            ),
            "caption": (
                f"Step {step} of the decoder, from the tensors above: every encoder state gets a "
                f"score (<code>attn_scores_{step}</code>) and a weight "
                f"(<code>attn_weights_{step}</code>), and line widths follow the weights into "
                f"<code>context_vec_{step}</code> (rounded to two decimals)."
            ),
        },
        "zh": {
            "title": f"解码第 {step} 步通过注意力连到全部 {n} 个编码器状态",
            "query": f"第 2 步：查询 {d}，即写出“{writes}”的那一步的解码器状态",
            "steps": ("第 1 步", "第 3 步", "第 4 步", "第 5 步"),
            "writes": f"第 {step} 步写出“{writes}”",
            "desc": (
                f"写出 {writes} 的解码器状态 {d} 与 {n} 个编码器状态 s₁ 到 s{sub(n)} 逐一做点积，"
                "得到注意力分数；softmax 把分数变成总和为 1 的注意力权重；上下文向量 "
                f"{z} 按这些权重把状态混合起来。连线的粗细与权重成正比。权重依次为："
                + "，".join(f"{src[j]} {fmt(weights[j])}" for j in range(n))
                + f"。最大的权重 {fmt(weights[top])} 落在 {src[top]} 上。"
            ),
            "caption": (
                f"解码第 {step} 步，数据来自上面的张量：每个编码器状态都有一个注意力分数"
                f"（<code>attn_scores_{step}</code>）和一个注意力权重"
                f"（<code>attn_weights_{step}</code>），连线按权重的粗细汇入 "
                f"<code>context_vec_{step}</code>（保留两位小数）。"
            ),
        },
    }[lang]
    width = 540
    row_h, y0 = 22, 112
    tok_x, s_x, w_x, a_x = 60, 66, 112, 168  # token (right edge), s_j, score, weight
    cw = 50
    zx, zcell = 392, 24
    size = len(context_vec)
    mid = y0 + n * row_h / 2
    zy = mid - size * zcell / 2
    svg = Svg("fig-3-5", width, y0 + n * row_h + 12, t["title"], t["desc"])
    # step 2: the query, across the top
    qcell = 44
    qx = w_x
    svg.text(qx, 14, t["query"], anchor="start", cls="lf-t lf-small")
    svg.vector(qx, 22, [float(v) for v in query], "q", cell_w=qcell, label=d)
    svg.line(w_x + cw / 2, 52, w_x + cw / 2, y0 - 42)
    # column heads
    heads = ((s_x + 20, "sⱼ"), (w_x + cw / 2, w), (a_x + cw / 2, a), (zx + 28, z))
    for (x, label), stepname in zip(heads, t["steps"], strict=True):
        svg.text(x, y0 - 22, stepname, cls="lf-t lf-small")
        svg.text(x, y0 - 6, label, bold=True)
    # the lines from each weight into z, under the cells
    for j in range(n):
        cy = y0 + j * row_h + row_h / 2
        svg.add(
            f'<path d="M{a_x + cw:.1f},{cy:.1f} C{a_x + cw + 80:.1f},{cy:.1f} '
            f'{zx - 70:.1f},{mid:.1f} {zx - 1:.1f},{mid:.1f}" class="lf-line-s" fill="none" '
            f'style="stroke-width:{0.6 + 30 * weights[j]:.2f}px"/>'
        )
    for j in range(n):
        y = y0 + j * row_h + 2
        cy = y + (row_h - 4) / 2
        svg.text(tok_x - 4, cy + 5, src[j], anchor="end", size=13)
        svg.rect(s_x, y, 40, row_h - 4, cls="lf-box lf-x", rx=3)
        svg.text(s_x + 20, cy + 4.5, f"s{sub(j + 1)}", cls="lf-t lf-small")
        svg.rect(w_x, y, cw, row_h - 4, cls="lf-box lf-s", rx=3)
        svg.number(w_x + cw / 2, cy + 4.5, scores[j], size=12)
        svg.rect(a_x, y, cw, row_h - 4, cls="lf-cell", rx=0, fill=heat_colour(weights[j]))
        svg.text(
            a_x + cw / 2,
            cy + 4.5,
            fmt(weights[j]),
            cls="lf-heat-t lf-num",
            size=12,
            extra=f'fill="{heat_ink(weights[j])}"',
        )
    svg.vector(zx, zy, [float(v) for v in context_vec], "z", cell_w=56, cell_h=zcell, vertical=True)
    # the decoder uses z for the token it writes
    by = zy + size * zcell
    svg.line(zx + 28, by + 4, zx + 28, by + 34)
    svg.text(zx + 28, by + 52, t["writes"], cls="lf-t lf-small")
    return figure("3.5", svg, t["caption"], lang)


def figure_3_6(
    tokens: Sequence[str], attn_scores: torch.Tensor, attn_weights: torch.Tensor, lang: str
) -> str:
    """Self-attention: every token of one sequence scores and weighs every token of it."""
    labels = tokens_or(tokens)
    n = len(labels)
    diag = attn_weights.diagonal()
    # is each token's score with itself the largest of its row?
    self_top = bool((attn_scores.argmax(dim=-1) == torch.arange(n)).all())
    off = attn_weights.masked_fill(torch.eye(n, dtype=torch.bool), 0).max()
    t: dict[str, Any] = {
        "en": {
            "title": f"Self-attention among the {n} tokens of one sentence",
            "scores": ("scores ω", "inputs @ inputs.T"),
            "weights": ("weights α", "each row sums to 1"),
            "softmax": "softmax of each row",
            "rows": "each token, as query",
            "desc": (
                f"Two {n} by {n} grids over the tokens of one sentence ({' '.join(labels)}), "
                "rows and columns alike. Top: the attention scores, every token against every "
                "token"
                + (
                    "; the diagonal, each token against itself, is the largest in its row. "
                    if self_top
                    else ". "
                )
                + "Bottom: the attention weights after softmax of each row; the diagonal, each "
                f"token's weight on itself, is at least {float(diag.min()):.4f}, and no other "
                f"weight exceeds {float(off):.1e}."
            ),
            "caption": (
                "Self-attention: every token scores every token of its own sentence "
                "(<code>attn_scores</code>), and softmax turns each row into weights "
                "(<code>attn_weights</code>), rounded to two decimals."
            ),
        },
        "zh": {
            "title": f"同一句话中 {n} 个词元之间的自注意力",
            "scores": ("注意力分数 ω", "inputs @ inputs.T"),
            "weights": ("注意力权重 α", "每行之和为 1"),
            "softmax": "对每一行做 softmax",
            "rows": "每个词元都作查询",
            "desc": (
                f"两个 {n} 行 {n} 列的网格，行和列都是同一句话的词元（{' '.join(labels)}）。"
                "上面是注意力分数：每个词元与每个词元各有一个分数"
                + ("，对角线上是词元与自己的分数，在所在行中最大。" if self_top else "。")
                + "下面是对每一行做 softmax 后的注意力权重：对角线是每个词元给自己的权重，"
                f"都不小于 {float(diag.min()):.4f}，其余权重都不超过 {float(off):.1e}。"
            ),
            "caption": (
                "自注意力：每个词元都给自己所在句子中的每个词元打分（<code>attn_scores</code>），"
                "softmax 再把每一行变成注意力权重（<code>attn_weights</code>），保留两位小数。"
            ),
        },
    }[lang]
    cell, ch = 40, 30
    left, top = 96, 86
    gw, gh = n * cell, n * ch
    wtop = top + gh + 48
    svg = Svg("fig-3-6", left + gw + 150, wtop + gh + 14, t["title"], t["desc"])
    svg.matrix(
        left,
        top,
        attn_scores.tolist(),
        role="s",
        cell=cell,
        cell_h=ch,
        row_labels=labels,
        col_labels=labels,
    )
    svg.line(left + gw / 2, top + gh + 6, left + gw / 2, wtop - 6)
    svg.text(left + gw / 2 + 10, top + gh + 30, t["softmax"], anchor="start", cls="lf-t lf-small")
    svg.matrix(left, wtop, attn_weights.tolist(), cell=cell, cell_h=ch, row_labels=labels)
    for y, (name, note) in ((top, t["scores"]), (wtop, t["weights"])):
        svg.text(left + gw + 14, y + gh / 2 - 3, name, anchor="start", bold=True)
        svg.text(left + gw + 14, y + gh / 2 + 15, note, anchor="start", cls="lf-t lf-small")
    svg.add(
        f'<text transform="translate(14,{(top + wtop + gh) / 2:.0f}) rotate(-90)" '
        f'class="lf-t lf-small" text-anchor="middle">{t["rows"]}</text>'
    )
    return figure("3.6", svg, t["caption"], lang, explorer="stage=3.3")
