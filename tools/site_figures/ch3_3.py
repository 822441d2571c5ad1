"""Figures of section 3.3 (the book's figures 3.7 to 3.12), drawn from the page's tensors."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from site_figures.svg import Svg, figure, sub, sup, tokens_or


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


def _weight_cell(svg: Svg, x: float, y: float, value: float, w: float = 56, h: float = 28) -> None:
    """One attention weight as a cell on the blue scale, with its number."""
    svg.matrix(x, y, [[value]], cell=w, cell_h=h)


def figure_3_8_9(
    attn_scores_2: torch.Tensor,
    attn_weights_2: torch.Tensor,
    tokens: Sequence[str],
    lang: str,
    query_index: int = 1,
) -> str:
    """Step 2 for one query: softmax turns its scores into weights that sum to 1."""
    q = query_index
    labels = tokens_or(tokens)
    n = len(labels)
    exps = torch.exp(attn_scores_2)  # the numerators of the softmax
    total = float(exps.sum())
    weights = [float(w) for w in attn_weights_2]
    t = {
        "en": {
            "scores": "scores ω",
            "weights": "weights α",
            "title": f"Softmax turns the scores of the query x{sup(q + 1)} into weights",
            "desc": (
                f"For the query x{sup(q + 1)} ({labels[q]}), each of the {n} attention scores "
                f"is exponentiated and divided by the sum of the exponentials, {total:.2f}. "
                "The resulting attention weights are positive and sum to "
                f"{sum(weights):.2f}: "
                + ", ".join(f"{labels[i]} {weights[i]:.2f}" for i in range(n))
                + "."
            ),
            "caption": (
                f"Step 2 for “{labels[q]}”: softmax exponentiates each score ω "
                "(<code>attn_scores_2</code>) and divides by the sum of the exponentials; the "
                "weights α (<code>attn_weights_2</code>) are positive and sum to 1 "
                "(rounded to two decimals)."
            ),
        },
        "zh": {
            "scores": "注意力分数 ω",
            "weights": "注意力权重 α",
            "title": f"softmax 把查询 x{sup(q + 1)} 的注意力分数变成注意力权重",
            "desc": (
                f"查询 x{sup(q + 1)}（{labels[q]}）的 {n} 个注意力分数先各自取指数，"
                f"再除以这些指数之和 {total:.2f}。得到的注意力权重都是正数，"
                f"总和为 {sum(weights):.2f}："
                + "，".join(f"{labels[i]} {weights[i]:.2f}" for i in range(n))
                + "。"
            ),
            "caption": (
                f"“{labels[q]}”的第 2 步：softmax 先对每个注意力分数 ω"
                "（<code>attn_scores_2</code>）取指数，再除以指数之和；"
                "得到的权重 α（<code>attn_weights_2</code>）都是正数，总和为 1（保留两位小数）。"
            ),
        },
    }[lang]
    row_h, cw = 36, 60
    top = 58
    sx = 76  # scores
    ex = sx + cw + 48  # exponentials
    wx = ex + cw + 76  # weights
    bx = wx + cw + 10  # bars
    bar_max = 90
    scale = bar_max / max(weights)
    height = top + n * row_h + 46
    svg = Svg("fig-3-8", bx + bar_max + 14, height, t["title"], t["desc"])
    svg.text(sx + cw / 2, top - 14, t["scores"], cls="lf-t lf-small")
    svg.text(ex + cw / 2, top - 14, "exp(ω)", cls="lf-t lf-small")
    svg.text(wx + cw / 2, top - 14, t["weights"], cls="lf-t lf-small")
    svg.text(ex + cw + 38, top - 14, f"÷ {total:.2f}", cls="lf-t lf-small")
    svg.text((sx + cw + wx) / 2, 18, "softmax", bold=True)
    svg.line(sx + cw + 8, 26, wx - 8, 26, cls="lf-line lf-dashed", arrow=True)
    for i in range(n):
        y = top + i * row_h
        svg.text(sx - 8, y + 19, labels[i], anchor="end", bold=True)
        svg.rect(sx, y, cw, 28, cls="lf-box lf-s", rx=4)
        svg.number(sx + cw / 2, y + 19, float(attn_scores_2[i]))
        svg.line(sx + cw + 6, y + 14, ex - 6, y + 14)
        svg.rect(ex, y, cw, 28, cls="lf-box lf-mute", rx=4)
        svg.number(ex + cw / 2, y + 19, float(exps[i]))
        svg.line(ex + cw + 6, y + 14, wx - 6, y + 14)
        _weight_cell(svg, wx, y, weights[i], w=cw)
        svg.rect(bx, y + 7, weights[i] * scale, 14, cls="lf-bar", rx=2, fill="#4a90c8")
    # the sums
    y = top + n * row_h + 6
    svg.line(ex, y, ex + cw, y, cls="lf-line", arrow=False)
    svg.line(wx, y, wx + cw, y, cls="lf-line", arrow=False)
    svg.text(ex - 6, y + 22, "Σ", anchor="end", bold=True)
    svg.number(ex + cw / 2, y + 22, total, bold=True)
    svg.text(wx - 6, y + 22, "Σ", anchor="end", bold=True)
    svg.number(wx + cw / 2, y + 22, sum(weights), bold=True)
    return figure(("3.8", "3.9"), svg, t["caption"], lang, explorer=f"stage=3.3&query={q}")


def figure_3_10(
    inputs: torch.Tensor,
    attn_weights_2: torch.Tensor,
    context_vec_2: torch.Tensor,
    tokens: Sequence[str],
    lang: str,
    query_index: int = 1,
) -> str:
    """Step 3 for one query: the context vector is the weighted sum of the inputs."""
    q = query_index
    labels = tokens_or(tokens)
    n = len(labels)
    d = inputs.shape[1]
    weighted = attn_weights_2[:, None] * inputs  # row i: alpha_2i x(i)
    z = [float(v) for v in context_vec_2]
    zs = "(" + ", ".join(f"{v:.2f}" for v in z) + ")"
    t = {
        "en": {
            "weights": "weights α",
            "inputs": "inputs x⁽ⁱ⁾",
            "weighted": "α x⁽ⁱ⁾",
            "title": f"The context vector z{sup(q + 1)} as a weighted sum of the inputs",
            "desc": (
                f"Each of the {n} inputs is multiplied by its attention weight for the query "
                f"x{sup(q + 1)} ({labels[q]}); adding the {n} weighted inputs gives the context "
                f"vector z{sup(q + 1)} = {zs}. The largest weights, and so the largest "
                "contributions, are those of "
                + " and ".join(labels[int(i)] for i in attn_weights_2.topk(2).indices)
                + "."
            ),
            "caption": (
                f"Step 3 for “{labels[q]}”: each input times its weight α "
                "(<code>attn_weights_2</code>); the weighted inputs add up to the context vector "
                f"<i>z</i>{sup(q + 1)}, <code>context_vec_2</code> (rounded to two decimals, so a "
                "column may be off by 0.01)."
            ),
        },
        "zh": {
            "weights": "注意力权重 α",
            "inputs": "输入 x⁽ⁱ⁾",
            "weighted": "α x⁽ⁱ⁾",
            "title": f"上下文向量 z{sup(q + 1)} 是输入的加权和",
            "desc": (
                f"{n} 个输入各自乘以它对查询 x{sup(q + 1)}（{labels[q]}）的注意力权重，"
                f"{n} 个加权后的输入相加，得到上下文向量 z{sup(q + 1)} = {zs}。"
                "权重最大、贡献也最大的是 "
                + " 和 ".join(labels[int(i)] for i in attn_weights_2.topk(2).indices)
                + "。"
            ),
            "caption": (
                f"“{labels[q]}”的第 3 步：每个输入乘以它的权重 α（<code>attn_weights_2</code>），"
                f"加权后的输入相加，就是上下文向量 <i>z</i>{sup(q + 1)}，即 "
                "<code>context_vec_2</code>（保留两位小数，所以某一列的和可能差 0.01）。"
            ),
        },
    }[lang]
    row_h, cw = 36, 44
    top = 40
    wx = 76  # weights
    xx = wx + 56 + 28  # inputs
    px = xx + d * cw + 32  # weighted inputs
    height = top + n * row_h + 48
    svg = Svg("fig-3-10", px + d * cw + 44, height, t["title"], t["desc"])
    svg.text(wx + 28, top - 14, t["weights"], cls="lf-t lf-small")
    svg.text(xx + d * cw / 2, top - 14, t["inputs"], cls="lf-t lf-small")
    svg.text(px + d * cw / 2, top - 14, t["weighted"], cls="lf-t lf-small")
    for i in range(n):
        y = top + i * row_h
        svg.text(wx - 8, y + 19, labels[i], anchor="end", bold=True)
        _weight_cell(svg, wx, y, float(attn_weights_2[i]))
        svg.text(wx + 56 + 14, y + 19, "×")
        svg.vector(xx, y, inputs[i].tolist(), "x", cell_w=cw)
        svg.text(xx + d * cw + 16, y + 19, "=")
        svg.vector(px, y, weighted[i].tolist(), "x", cell_w=cw)
    y = top + n * row_h + 2
    svg.line(px - 24, y, px + d * cw, y, cls="lf-line", arrow=False)
    zy = y + 8
    svg.text(px - 16, zy + 20, "Σ", bold=True)
    svg.rect(px, zy, d * cw, 28, cls="lf-box lf-z lf-strong", rx=4)
    svg.vector(px, zy, z, "z", cell_w=cw)
    svg.text(
        px + d * cw + 8, zy + 19, f"z{sup(q + 1)}", anchor="start", bold=True, cls="lf-t lf-text-z"
    )
    return figure("3.10", svg, t["caption"], lang, explorer=f"stage=3.3&query={q}")


def _shape(tensor: torch.Tensor) -> str:
    return "(" + ", ".join(str(s) for s in tensor.shape) + ")"


def figure_3_12(
    inputs: torch.Tensor,
    attn_scores: torch.Tensor,
    attn_weights: torch.Tensor,
    all_context_vecs: torch.Tensor,
    tokens: Sequence[str],
    lang: str,
    row: int = 1,
) -> str:
    """The three steps for all queries at once: X -> Omega = X X^T -> A -> Z = A X."""
    labels = tokens_or(tokens)
    n = len(labels)
    t = {
        "en": {
            "x": "inputs X",
            "s": "scores Ω",
            "a": "weights A",
            "z": "context vectors Z",
            "step1": "1 · score",
            "step2": "2 · softmax",
            "step2b": "row by row",
            "step3": "3 · mix",
            "title": "Simplified self-attention for all queries: three steps",
            "desc": (
                f"The inputs X {_shape(inputs)} give the scores Ω = X Xᵀ {_shape(attn_scores)}; "
                f"softmax, row by row, gives the weights A {_shape(attn_weights)}; and "
                f"Z = A X {_shape(all_context_vecs)} holds one context vector per row. "
                f"Row {row + 1}, the query {labels[row]}, is outlined in every matrix."
            ),
            "caption": (
                "The three steps for all six queries at once: <code>attn_scores</code>, "
                "<code>attn_weights</code> and <code>all_context_vecs</code> printed above "
                f"(rounded to two decimals). Row {row + 1}, outlined, is “{labels[row]}”, "
                "the query followed by hand."
            ),
        },
        "zh": {
            "x": "输入 X",
            "s": "注意力分数 Ω",
            "a": "注意力权重 A",
            "z": "上下文向量 Z",
            "step1": "第 1 步：打分",
            "step2": "第 2 步：softmax",
            "step2b": "逐行",
            "step3": "第 3 步：混合",
            "title": "对所有查询做简化的自注意力：三步",
            "desc": (
                f"输入 X {_shape(inputs)} 得到注意力分数 Ω = X Xᵀ {_shape(attn_scores)}；"
                f"逐行做 softmax 得到注意力权重 A {_shape(attn_weights)}；"
                f"Z = A X {_shape(all_context_vecs)} 的每一行是一个上下文向量。"
                f"每个矩阵的第 {row + 1} 行（查询 {labels[row]}）都加了边框。"
            ),
            "caption": (
                "一次完成全部六个查询的三步，结果即上面打印的 <code>attn_scores</code>、"
                "<code>attn_weights</code> 和 <code>all_context_vecs</code>（保留两位小数）。"
                f"加边框的第 {row + 1} 行就是前面手算的查询“{labels[row]}”。"
            ),
        },
    }[lang]
    cell, ch = 36, 26
    d = inputs.shape[1]
    left = 64
    top1 = 40
    gx = left + d * cell + 100  # the square matrices
    top2 = top1 + n * ch + 96
    width = gx + n * cell + 16
    height = top2 + n * ch + 30
    svg = Svg("fig-3-12", width, height, t["title"], t["desc"])

    def grid(x: float, y: float, name: str, tensor: torch.Tensor, role: str | None) -> None:
        """A matrix with its name above and its shape below; every row outlined at ``row``."""
        ink = f"lf-t lf-text-{role}" if role else "lf-t"
        svg.text(x, y - 10, name, cls=ink, bold=True, anchor="start")
        svg.matrix(
            x,
            y,
            tensor.tolist(),
            role=role,
            cell=cell,
            cell_h=ch,
            row_labels=labels if x == left else (),
            highlight_row=row,
        )
        svg.text(x, y + n * ch + 18, _shape(tensor), cls="lf-t lf-small", anchor="start")

    def step(x0: float, x1: float, y: float, label: str, formula: str) -> None:
        svg.line(x0, y, x1, y)
        svg.text((x0 + x1) / 2, y - 10, label, bold=True)
        svg.text((x0 + x1) / 2, y + 20, formula, italic=True)

    a0, a1 = left + d * cell + 10, gx - 10
    grid(left, top1, t["x"], inputs, "x")
    grid(gx, top1, t["s"], attn_scores, "s")
    step(a0, a1, top1 + n * ch / 2, t["step1"], "X Xᵀ")
    # Omega -> A, downwards
    mx = gx + n * cell / 2
    svg.line(mx, top1 + n * ch + 8, mx, top2 - 28)
    svg.text(mx + 10, top1 + n * ch + 40, t["step2"], bold=True, anchor="start")
    svg.text(mx + 10, top1 + n * ch + 58, t["step2b"], cls="lf-t lf-small", anchor="start")
    grid(gx, top2, t["a"], attn_weights, None)
    # A -> Z, leftwards: Z = A X
    grid(left, top2, t["z"], all_context_vecs, "z")
    step(a1, a0, top2 + n * ch / 2, t["step3"], "A X")
    return figure("3.12", svg, t["caption"], lang, explorer="stage=3.3")
