"""Figures of section 3.3 (the book's figures 3.7 to 3.12), drawn from the page's tensors."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from site_figures.svg import Svg, figure, tokens_or

SUB = "₀₁₂₃₄₅₆₇₈₉"
SUP = "⁰¹²³⁴⁵⁶⁷⁸⁹"


def sub(i: int) -> str:
    return "".join(SUB[int(c)] for c in str(i))


def sup(i: int) -> str:
    return "⁽" + "".join(SUP[int(c)] for c in str(i)) + "⁾"


def figure_3_7(
    inputs: torch.Tensor,
    attn_scores_2: torch.Tensor,
    tokens: Sequence[str],
    lang: str,
    query_index: int = 1,
) -> str:
    """The scores of one query: one dot product of the query with each input row."""
    q = query_index
    n = len(tokens)
    labels = tokens_or(tokens)
    t = {
        "en": {
            "query": f"query x{sup(q + 1)}",
            "inputs": "inputs x⁽ⁱ⁾",
            "scores": "scores ω",
            "title": f"Attention scores of the query x{sup(q + 1)}",
            "desc": (
                f"The query x{sup(q + 1)} ({labels[q]}) is compared with each of the {n} inputs "
                "by a dot product; each dot product is one attention score: "
                + ", ".join(f"{labels[i]} {float(attn_scores_2[i]):.2f}" for i in range(n))
                + "."
            ),
            "caption": (
                f"Step 1 for the query <i>x</i>{sup(q + 1)}, “{labels[q]}”: its dot product with "
                "each input is that input's attention score ω, the tensor "
                "<code>attn_scores_2</code> printed above (rounded to two decimals)."
            ),
        },
        "zh": {
            "query": f"查询 x{sup(q + 1)}",
            "inputs": "输入 x⁽ⁱ⁾",
            "scores": "注意力分数 ω",
            "title": f"查询 x{sup(q + 1)} 的注意力分数",
            "desc": (
                f"查询 x{sup(q + 1)}（{labels[q]}）与 {n} 个输入逐一做点积，"
                "每个点积就是一个注意力分数："
                + "，".join(f"{labels[i]} {float(attn_scores_2[i]):.2f}" for i in range(n))
                + "。"
            ),
            "caption": (
                f"查询 <i>x</i>{sup(q + 1)}（“{labels[q]}”）的第 1 步：它与每个输入的点积，"
                "就是该输入的注意力分数 ω，即上面打印的张量 <code>attn_scores_2</code>"
                "（保留两位小数）。"
            ),
        },
    }[lang]
    row_h, cell_w = 38, 52
    top = 84
    vx = 104  # left edge of the input vectors
    svg = Svg("fig-3-7", 520, top + n * row_h + 14, t["title"], t["desc"])
    # the query, above the inputs
    svg.vector(vx, 20, inputs[q].tolist(), "q", cell_w=cell_w, label=t["query"], tag=f"inputs[{q}]")
    svg.text(vx + 1.5 * cell_w, 70, t["inputs"], cls="lf-t lf-small")
    sx = vx + 3 * cell_w + 150  # left edge of the score cells
    svg.text(sx + 35, 70, t["scores"], cls="lf-t lf-small")
    for i in range(n):
        y = top + i * row_h
        svg.vector(
            vx, y, inputs[i].tolist(), "x", cell_w=cell_w, label=labels[i], tag=f"inputs[{i}]"
        )
        svg.text(
            vx + 3 * cell_w + 12, y + 19, f"· x{sup(q + 1)}", anchor="start", cls="lf-t lf-text-q"
        )
        svg.line(vx + 3 * cell_w + 62, y + 14, sx - 6, y + 14, cls="lf-line")
        svg.rect(sx, y, 70, 28, cls="lf-box lf-s", rx=4)
        svg.number(sx + 35, y + 19, float(attn_scores_2[i]), tag="attn_scores_2", index=(i,))
        svg.text(sx + 80, y + 19, f"ω{sub(q + 1)}{sub(i + 1)}", anchor="start", cls="lf-t lf-small")
    # the query's own row
    svg.rect(vx - 100, top + q * row_h - 4, 3 * cell_w + 104, 36, cls="lf-highlight", rx=4)
    return figure("3.7", svg, t["caption"], lang, explorer=f"stage=3.3&query={q}")


def figure_3_11(attn_weights: torch.Tensor, tokens: Sequence[str], lang: str, row: int = 1) -> str:
    """The full weight matrix of simplified self-attention, with one query's row outlined."""
    labels = tokens_or(tokens)
    n = len(labels)
    sums = attn_weights.sum(dim=-1)
    t = {
        "en": {
            "title": "Attention weights of all six queries",
            "keys": "inputs attended to",
            "queries": "queries",
            "sum": "row sum",
            "desc": (
                f"A {n} by {n} grid of attention weights; row i holds the weights of query i "
                f"over the {n} inputs, and every row sums to 1. Row {row + 1}, the query "
                f"{labels[row]}, is outlined: "
                + ", ".join(f"{float(w):.2f}" for w in attn_weights[row])
                + "."
            ),
            "caption": (
                "The attention weights of all six queries, the tensor <code>attn_weights</code> "
                f"printed above (rounded to two decimals). Row {row + 1}, outlined, is the row of "
                f"weights that step 2 computed for “{labels[row]}”; every row sums to 1."
            ),
        },
        "zh": {
            "title": "六个查询的注意力权重",
            "keys": "被关注的输入",
            "queries": "查询",
            "sum": "行和",
            "desc": (
                f"{n} 行 {n} 列的注意力权重：第 i 行是查询 i 分给 {n} 个输入的权重，每行之和为 1。"
                f"第 {row + 1} 行（查询 {labels[row]}）加了边框："
                + "，".join(f"{float(w):.2f}" for w in attn_weights[row])
                + "。"
            ),
            "caption": (
                "六个查询的注意力权重，即上面打印的张量 <code>attn_weights</code>（保留两位小数）。"
                f"加边框的第 {row + 1} 行，就是第 2 步为“{labels[row]}”算出的那行权重；"
                "每行之和都是 1。"
            ),
        },
    }[lang]
    cell = 46
    left, top = 110, 92
    svg = Svg("fig-3-11", left + n * cell + 110, top + n * cell + 40, t["title"], t["desc"])
    svg.matrix(
        left,
        top,
        attn_weights.tolist(),
        cell=cell,
        row_labels=labels,
        col_labels=labels,
        highlight_row=row,
        tag="attn_weights",
    )
    sx = left + n * cell + 18
    svg.text(sx + 30, top - 10, t["sum"], cls="lf-t lf-small")
    for i in range(n):
        svg.number(
            sx + 30,
            top + (i + 0.5) * cell + 5,
            float(sums[i]),
            tag="attn_weights.sum(dim=-1)",
            index=(i,),
        )
    svg.text(left + n * cell / 2, top + n * cell + 28, t["keys"], cls="lf-t lf-small")
    svg.add(
        f'<text transform="translate(16,{top + n * cell / 2:.0f}) rotate(-90)" '
        f'class="lf-t lf-small" text-anchor="middle">{t["queries"]}</text>'
    )
    return figure("3.11", svg, t["caption"], lang, explorer="stage=3.3")
