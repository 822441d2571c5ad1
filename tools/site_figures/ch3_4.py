"""Figures of section 3.4 (the book's figures 3.14 to 3.18), drawn from the page's tensors.

Each function is called by a hidden block in the page's session, right after the code
block whose tensors it draws. The functions only read those tensors: anything they need
beyond them (scaled scores, weighted values, the products of 3.18) is computed here, from
the page's objects, into new tensors.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from llm_attention import EXAMPLE_TOKENS
from site_figures.svg import Svg, figure, fmt, sub, sup, tokens_or

ROW = 2  # the token the page follows, "journey", as the page numbers it (1-based)


def w_name(letter: str) -> str:
    """W_q, W_k or W_v, in ``Svg.rich``'s subscript markup."""
    return f"W_{{{letter}}}"


def figure_3_14(
    x_2: torch.Tensor,
    W_query: torch.Tensor,
    W_key: torch.Tensor,
    W_value: torch.Tensor,
    lang: str,
    tokens: Sequence[str] = EXAMPLE_TOKENS,
) -> str:
    """Step 1 for one token: x(2) times each weight matrix gives its query, key and value."""
    label = tokens_or(tokens)[ROW - 1]
    s = sup(ROW)
    with torch.no_grad():
        mats = [W_query.detach(), W_key.detach(), W_value.detach()]
        outs = [x_2 @ w for w in mats]
    roles = ("q", "k", "v")
    names = {
        "en": ("query", "key", "value"),
        "zh": ("查询", "键", "值"),
    }[lang]
    vec = ", ".join(f"{float(v):.2f}" for v in x_2)
    out_text = [", ".join(f"{float(v):.2f}" for v in o) for o in outs]
    t = {
        "en": {
            "title": f"Query, key and value of x{s}",
            "input": f"input x{s}, “{label}”",
            "desc": (
                f"The input x{s} of “{label}”, ({vec}), is multiplied by each of the three "
                "3 by 2 weight matrices W_q, W_k and W_v. The products are its query "
                f"q{s} = ({out_text[0]}), key k{s} = ({out_text[1]}) "
                f"and value v{s} = ({out_text[2]})."
            ),
            "caption": (
                f"Step 1 for “{label}”: its input <i>x</i>{s} times each weight matrix "
                "(<code>W_query</code>, <code>W_key</code>, <code>W_value</code>) gives its "
                f"query, key and value; <code>query_2</code> is the tensor printed above "
                "(rounded to two decimals)."
            ),
        },
        "zh": {
            "title": f"x{s} 的查询、键和值",
            "input": f"输入 x{s}（“{label}”）",
            "desc": (
                f"“{label}”的输入 x{s} = ({vec}) 分别乘以 3 行 2 列的三个权重矩阵 W_q、W_k 和 W_v，"
                f"得到它的查询 q{s} = ({out_text[0]})、键 k{s} = ({out_text[1]}) "
                f"和值 v{s} = ({out_text[2]})。"
            ),
            "caption": (
                f"“{label}”的第 1 步：输入 <i>x</i>{s} 分别乘以三个权重矩阵"
                "（<code>W_query</code>、<code>W_key</code>、<code>W_value</code>），"
                "得到它的查询、键和值；<code>query_2</code> 就是上面打印的张量（保留两位小数）。"
            ),
        },
    }[lang]
    width, cell_w, cell_h = 520, 46, 28
    svg = Svg("fig-3-14", width, 316, t["title"], t["desc"])
    # the input, once, above the three projections
    xw = 3 * 54
    x0 = (width - xw) / 2
    svg.vector(x0, 34, x_2.tolist(), "x", cell_w=54)
    svg.text(width / 2, 22, t["input"], bold=True)
    centres = (width / 2 - 170, width / 2, width / 2 + 170)
    for cx, w, out, role, name, letter in zip(
        centres, mats, outs, roles, names, ("q", "k", "v"), strict=True
    ):
        svg.line(width / 2, 66, cx, 96, cls="lf-line")
        svg.rich(cx - 8, 118, w_name(letter), bold=True, anchor="end")
        svg.text(cx - 2, 118, "(3, 2)", cls="lf-t lf-small", anchor="start")
        svg.matrix(cx - cell_w, 128, w.tolist(), role="w", cell=cell_w, cell_h=cell_h)
        svg.line(cx, 128 + 3 * cell_h + 4, cx, 232, cls=f"lf-line-{role}")
        tag = "query_2" if letter == "q" else None  # the page prints q(2) only
        svg.vector(cx - cell_w, 238, out.tolist(), role, cell_w=cell_w, tag=tag)
        svg.rich(
            cx,
            288,
            f"{letter}{s} = x{s} " + w_name(letter),
            cls=f"lf-t lf-text-{role}",
            bold=True,
        )
        svg.text(cx, 308, name, cls="lf-t lf-small")
    return figure("3.14", svg, t["caption"], lang)


def figure_3_15(
    query_2: torch.Tensor,
    keys: torch.Tensor,
    attn_scores_2: torch.Tensor,
    lang: str,
    tokens: Sequence[str] = EXAMPLE_TOKENS,
) -> str:
    """Step 2: the scores of query 2, one dot product with each token's key."""
    labels = tokens_or(tokens)
    n = len(labels)
    s = sup(ROW)
    scores = ", ".join(f"{labels[j]} {float(attn_scores_2[j]):.2f}" for j in range(n))
    t = {
        "en": {
            "title": f"Attention scores of the query q{s}",
            "query": f"query q{s}",
            "keys": "keys k⁽ʲ⁾",
            "scores": f"scores ω{sub(ROW)}ⱼ",
            "desc": (
                f"The query q{s} of “{labels[ROW - 1]}” is multiplied by the key of each of the "
                f"{n} tokens (a dot product); each product is one attention score: {scores}."
            ),
            "caption": (
                f"Step 2: the dot product of the query <i>q</i>{s} with each token's key is an "
                "attention score, the tensor <code>attn_scores_2</code> printed above (rounded to "
                f"two decimals); the outlined key gives ω{sub(ROW)}{sub(ROW)}."
            ),
        },
        "zh": {
            "title": f"查询 q{s} 的注意力分数",
            "query": f"查询 q{s}",
            "keys": "键 k⁽ʲ⁾",
            "scores": f"注意力分数 ω{sub(ROW)}ⱼ",
            "desc": (
                f"“{labels[ROW - 1]}”的查询 q{s} 与 {n} 个词元的键逐一做点积，"
                "每个点积就是一个注意力分数："
                + "，".join(f"{labels[j]} {float(attn_scores_2[j]):.2f}" for j in range(n))
                + "。"
            ),
            "caption": (
                f"第 2 步：查询 <i>q</i>{s} 与每个词元的键做点积，得到注意力分数，"
                "即上面打印的张量 <code>attn_scores_2</code>（保留两位小数）；"
                f"加边框的键给出 ω{sub(ROW)}{sub(ROW)}。"
            ),
        },
    }[lang]
    row_h, cell_w = 38, 54
    top = 86
    vx = 110  # left edge of the key vectors
    sx = vx + 2 * cell_w + 150  # left edge of the score cells
    svg = Svg("fig-3-15", 500, top + n * row_h + 10, t["title"], t["desc"])
    svg.vector(vx, 20, query_2.tolist(), "q", cell_w=cell_w, label=t["query"])
    svg.text(vx + cell_w, 72, t["keys"], cls="lf-t lf-small")
    svg.text(sx + 35, 72, t["scores"], cls="lf-t lf-small")
    for j in range(n):
        y = top + j * row_h
        svg.vector(vx, y, keys[j].tolist(), "k", cell_w=cell_w, label=labels[j])
        svg.text(vx + 2 * cell_w + 12, y + 19, f"· q{s}", anchor="start", cls="lf-t lf-text-q")
        svg.line(vx + 2 * cell_w + 62, y + 14, sx - 6, y + 14, cls="lf-line")
        svg.rect(sx, y, 70, 28, cls="lf-box lf-s", rx=4)
        svg.number(sx + 35, y + 19, float(attn_scores_2[j]))
        svg.text(sx + 80, y + 19, f"ω{sub(ROW)}{sub(j + 1)}", anchor="start", cls="lf-t lf-small")
    svg.rect(vx - 100, top + (ROW - 1) * row_h - 4, 2 * cell_w + 104, 36, cls="lf-highlight")
    return figure("3.15", svg, t["caption"], lang, explorer=f"stage=3.4&query={ROW - 1}")


def figure_3_16(
    attn_scores_2: torch.Tensor,
    d_k: int,
    attn_weights_2: torch.Tensor,
    lang: str,
    tokens: Sequence[str] = EXAMPLE_TOKENS,
) -> str:
    """Step 3: each score divided by sqrt(d_k), then one softmax over all six."""
    labels = tokens_or(tokens)
    n = len(labels)
    root = d_k**0.5
    scaled = attn_scores_2 / root
    i = sub(ROW)
    weights = [float(w) for w in attn_weights_2]
    t = {
        "en": {
            "title": f"Scaling the scores of q{sup(ROW)} and normalising them with softmax",
            "heads": "scores|scaled|weights",
            "sum": "sum",
            "desc": (
                f"The six attention scores of query {ROW} are each divided by the square root of "
                f"d_k = {d_k}, {root:.2f}, and softmax turns the six scaled scores together into "
                "attention weights that sum to 1: "
                + ", ".join(f"{labels[j]} {weights[j]:.2f}" for j in range(n))
                + "."
            ),
            "caption": (
                f"Step 3: each score is divided by √<i>d<sub>k</sub></i> = {fmt(root)}, then one "
                "softmax over all six turns them into attention weights that sum to 1, "
                "the tensor <code>attn_weights_2</code> printed above (rounded to two decimals)."
            ),
        },
        "zh": {
            "title": f"查询 q{sup(ROW)} 的注意力分数：缩放后用 softmax 归一化",
            "heads": "注意力分数|缩放后|注意力权重",
            "sum": "和",
            "desc": (
                f"查询 {ROW} 的六个注意力分数各自除以 d_k = {d_k} 的平方根 {root:.2f}，"
                "softmax 再把六个缩放后的分数一起变成和为 1 的注意力权重："
                + "，".join(f"{labels[j]} {weights[j]:.2f}" for j in range(n))
                + "。"
            ),
            "caption": (
                f"第 3 步：每个注意力分数先除以 √<i>d<sub>k</sub></i> = {fmt(root)}，"
                "再对六个数一起做 softmax，得到和为 1 的注意力权重，"
                "即上面打印的张量 <code>attn_weights_2</code>（保留两位小数）。"
            ),
        },
    }[lang]
    row_h, cell_w, cell_h = 36, 64, 28
    top = 62
    c1, c2, box, c3 = 104, 240, 352, 448  # left edges: scores, scaled, softmax, weights
    box_w = 74
    height = top + n * row_h + 40
    svg = Svg("fig-3-16", 530, height, t["title"], t["desc"])
    # column heads: a word, then the formula
    for cx, head in zip((c1, c2, c3), t["heads"].split("|"), strict=True):
        svg.text(cx + cell_w / 2, 20, head, cls="lf-t lf-small")
    svg.text(c1 + cell_w / 2, 44, f"ω{i}ⱼ", bold=True)
    svg.rich(c2 + cell_w / 2, 44, f"ω{i}ⱼ / √d_{{k}}", bold=True)
    svg.text(c3 + cell_w / 2, 44, f"α{i}ⱼ", bold=True)
    mid = (c1 + cell_w + c2) / 2
    svg.rich(mid, 20, "÷ √d_{k}", cls="lf-t lf-small")
    svg.text(mid, 44, f"÷ {fmt(root)}", cls="lf-t lf-small")
    # softmax takes the whole column at once: one box across all rows
    y_box = top - 4
    svg.rect(box, y_box, box_w, n * row_h, cls="lf-box lf-mute", rx=8)
    svg.add(
        f'<text transform="translate({box + box_w / 2 + 5:g},{top + n * row_h / 2 - 4:g}) '
        f'rotate(-90)" class="lf-t" text-anchor="middle" font-weight="bold">softmax</text>'
    )
    for j in range(n):
        y = top + j * row_h
        svg.text(c1 - 8, y + 19, labels[j], anchor="end", bold=True)
        svg.rect(c1, y, cell_w, cell_h, cls="lf-box lf-s", rx=4)
        svg.number(c1 + cell_w / 2, y + 19, float(attn_scores_2[j]))
        svg.line(c1 + cell_w + 6, y + 14, c2 - 6, y + 14, cls="lf-line")
        svg.rect(c2, y, cell_w, cell_h, cls="lf-box lf-s", rx=4)
        svg.number(c2 + cell_w / 2, y + 19, float(scaled[j]))
        svg.line(c2 + cell_w + 4, y + 14, box - 4, y + 14, cls="lf-line")
        svg.line(box + box_w + 4, y + 14, c3 - 6, y + 14, cls="lf-line")
        svg.matrix(c3, y, [[weights[j]]], cell=cell_w, cell_h=cell_h)
    y_hi = top + (ROW - 1) * row_h - 4
    svg.rect(c1 - 96, y_hi, c2 + cell_w + 4 - (c1 - 96), 36, cls="lf-highlight")
    svg.rect(c3 - 4, y_hi, cell_w + 8, 36, cls="lf-highlight")
    svg.text(c3 - 8, top + n * row_h + 18, t["sum"], anchor="end", cls="lf-t lf-small")
    svg.number(c3 + cell_w / 2, top + n * row_h + 18, float(attn_weights_2.sum()), bold=True)
    return figure("3.16", svg, t["caption"], lang, explorer=f"stage=3.4&query={ROW - 1}")


def figure_3_17(
    attn_weights_2: torch.Tensor,
    values: torch.Tensor,
    context_vec_2: torch.Tensor,
    lang: str,
    tokens: Sequence[str] = EXAMPLE_TOKENS,
) -> str:
    """Step 4: the context vector z(2), the values weighted by query 2's attention weights."""
    labels = tokens_or(tokens)
    n = len(labels)
    i = sub(ROW)
    s = sup(ROW)
    parts = attn_weights_2.unsqueeze(-1) * values  # a new (6, 2) tensor: alpha_2j v(j)
    z = ", ".join(f"{float(v):.2f}" for v in context_vec_2)
    t = {
        "en": {
            "title": f"The context vector z{s} from the values",
            "heads": "weights|values|weighted values",
            "sum": "sum of the six rows",
            "desc": (
                f"Each token's value v⁽ʲ⁾ is multiplied by its attention weight α{i}ⱼ, and the "
                f"six weighted values add up to the context vector z{s} = ({z})."
            ),
            "caption": (
                "Step 4: each value is multiplied by its attention weight and the six products "
                f"are added up; the sum is <i>z</i>{s}, the tensor <code>context_vec_2</code> "
                "printed above (rounded to two decimals)."
            ),
        },
        "zh": {
            "title": f"由值算出上下文向量 z{s}",
            "heads": "注意力权重|值|加权后的值",
            "sum": "六行相加",
            "desc": (
                f"每个词元的值 v⁽ʲ⁾ 乘以它的注意力权重 α{i}ⱼ，六个加权后的值相加，"
                f"就是上下文向量 z{s} = ({z})。"
            ),
            "caption": (
                "第 4 步：每个值乘以对应的注意力权重，再把六个乘积相加，"
                f"和就是 <i>z</i>{s}，即上面打印的张量 <code>context_vec_2</code>"
                "（保留两位小数）。"
            ),
        },
    }[lang]
    row_h, cell_w, cell_h = 36, 50, 28
    top = 58
    cw, cv, cp = 104, 196, 344  # left edges: weight, value, product
    height = top + n * row_h + 62
    svg = Svg("fig-3-17", 500, height, t["title"], t["desc"])
    for cx, width, head in zip(
        (cw, cv, cp), (cell_w, 2 * cell_w, 2 * cell_w), t["heads"].split("|"), strict=True
    ):
        svg.text(cx + width / 2, 20, head, cls="lf-t lf-small")
    svg.text(cw + cell_w / 2, 42, f"α{i}ⱼ", bold=True)
    svg.text(cv + cell_w, 42, "v⁽ʲ⁾", bold=True, cls="lf-t lf-text-v")
    svg.text(cp + cell_w, 42, f"α{i}ⱼ v⁽ʲ⁾", bold=True)
    for j in range(n):
        y = top + j * row_h
        svg.text(cw - 8, y + 19, labels[j], anchor="end", bold=True)
        svg.matrix(cw, y, [[float(attn_weights_2[j])]], cell=cell_w, cell_h=cell_h)
        svg.text((cw + cell_w + cv) / 2, y + 19, "×")
        svg.vector(cv, y, values[j].tolist(), "v", cell_w=cell_w)
        svg.text((cv + 2 * cell_w + cp) / 2, y + 19, "=")
        svg.vector(cp, y, parts[j].tolist(), "z", cell_w=cell_w)
    # column addition: a rule under the products, then their sum
    y_rule = top + n * row_h + 2
    svg.line(cp - 4, y_rule, cp + 2 * cell_w + 4, y_rule, cls="lf-line", arrow=False)
    y_sum = y_rule + 10
    svg.rect(cp, y_sum, 2 * cell_w, cell_h, cls="lf-box lf-z lf-strong", rx=4)
    svg.line(cp + cell_w, y_sum, cp + cell_w, y_sum + cell_h, cls="lf-grid", arrow=False)
    for k in range(2):
        svg.number(cp + cell_w * (k + 0.5), y_sum + 19, float(context_vec_2[k]))
    svg.text(cp - 10, y_sum + 19, f"z{s} =", anchor="end", bold=True, cls="lf-t lf-text-z")
    svg.text(cp - 62, y_sum + 19, t["sum"], anchor="end", cls="lf-t lf-small")
    return figure("3.17", svg, t["caption"], lang)


def figure_3_18(
    inputs: torch.Tensor,
    module: torch.nn.Module,
    lang: str,
    tokens: Sequence[str] = EXAMPLE_TOKENS,
) -> str:
    """Steps 1 to 4 for all tokens at once, as matrices, with the weights of ``module``.

    ``module`` is the page's ``SelfAttention_v1``: its three ``(d_in, d_out)`` parameters
    give Q, K and V; the figure checks that its Z is what the module's forward returns.
    """
    labels = tokens_or(tokens)
    n = len(labels)
    with torch.no_grad():
        mats = [getattr(module, name).detach() for name in ("W_query", "W_key", "W_value")]
        queries, keys, values = (inputs @ w for w in mats)
        d_k = keys.shape[-1]
        omega = queries @ keys.T
        weights = torch.softmax(omega / d_k**0.5, dim=-1)
        context = weights @ values
        if not torch.allclose(context, module(inputs)):
            raise ValueError("the figure's Z differs from the module's output")
    z_row = ", ".join(f"{float(v):.2f}" for v in context[ROW - 1])
    t = {
        "en": {
            "title": "Self-attention with trainable weights, all tokens at once",
            "step1": "1 · projections",
            "heads": "scores|attention weights|context vectors",
            "keys": "keys",
            "desc": (
                f"The {n} by 3 input matrix X times the three 3 by 2 weight matrices gives the "
                f"queries Q, keys K and values V, {n} by 2 each. Q times K transposed gives the "
                f"{n} by {n} attention scores; divided by the square root of d_k = {d_k} and "
                "normalised row by row with softmax, they become the attention weights A; A "
                f"times V gives the {n} by 2 context vectors Z. Row {ROW}, “{labels[ROW - 1]}”, "
                f"is outlined; its context vector is ({z_row})."
            ),
            "caption": (
                "Steps 1 to 4 for all six tokens at once, with the weights of <code>sa_v1</code>; "
                "<i>Z</i> is the output printed above, and the outlined rows are those 3.4.1 "
                f"computed for “{labels[ROW - 1]}” (rounded to two decimals)."
            ),
        },
        "zh": {
            "title": "带可训练权重的自注意力：所有词元一起计算",
            "step1": "1 · 投影",
            "heads": "注意力分数|注意力权重|上下文向量",
            "keys": "键",
            "desc": (
                f"{n} 行 3 列的输入矩阵 X 分别乘以三个 3 行 2 列的权重矩阵，得到各为 {n} 行 2 列的"
                f"查询 Q、键 K 和值 V。Q 乘以 K 的转置得到 {n} 行 {n} 列的注意力分数；"
                f"除以 d_k = {d_k} 的平方根、再逐行做 softmax，就是注意力权重 A；"
                f"A 乘以 V 得到 {n} 行 2 列的上下文向量 Z。第 {ROW} 行（“{labels[ROW - 1]}”）"
                f"加了边框，它的上下文向量是 ({z_row})。"
            ),
            "caption": (
                "所有六个词元一起完成第 1 到 4 步，权重取自 <code>sa_v1</code>；"
                "<i>Z</i> 就是上面打印的输出，加边框的各行正是第 3.4.1 节为"
                f"“{labels[ROW - 1]}”算出的结果（保留两位小数）。"
            ),
        },
    }[lang]
    width = 604
    ch = 24  # row height of every grid
    r = ROW - 1
    # band 1: X on the left, each weight matrix above its product (Q, K, V)
    cx_, cqkv = 42, 42
    x_left, y_w, y_rows = 74, 52, 144
    cols = (248, 372, 496)
    svg = Svg("fig-3-18", width, 600, t["title"], t["desc"])
    svg.text(12, 40, t["step1"], anchor="start", bold=True)
    svg.text(12, 62, "(6, 3) × (3, 2) → (6, 2)", anchor="start", cls="lf-t lf-small")
    svg.text(x_left + 1.5 * cx_, y_rows - 12, "X", bold=True, cls="lf-t lf-text-x")
    svg.text(x_left + 1.5 * cx_ + 14, y_rows - 12, "(6, 3)", anchor="start", cls="lf-t lf-small")
    svg.matrix(
        x_left,
        y_rows,
        inputs.tolist(),
        role="x",
        cell=cx_,
        cell_h=ch,
        row_labels=labels,
        highlight_row=r,
    )
    for left, w, out, letter, role in zip(
        cols, mats, (queries, keys, values), "qkv", "qkv", strict=True
    ):
        mid = left + cqkv
        svg.rich(mid - 4, y_w - 10, w_name(letter), bold=True, anchor="end")
        svg.text(mid + 2, y_w - 10, "(3, 2)", anchor="start", cls="lf-t lf-small")
        svg.matrix(left, y_w, w.tolist(), role="w", cell=cqkv, cell_h=ch)
        svg.matrix(
            left,
            y_rows,
            out.tolist(),
            role=role,
            cell=cqkv,
            cell_h=ch,
            highlight_row=r if role == "q" else None,
        )
        name = letter.upper()
        svg.rich(
            mid,
            y_rows + n * ch + 22,
            f"{name} = X" + w_name(letter),
            bold=True,
            cls=f"lf-t lf-text-{role}",
        )
        svg.text(mid, y_rows + n * ch + 40, "(6, 2)", cls="lf-t lf-small")
    # band 2: scores, weights, context vectors
    cell = 32
    y_head, y_grid = 358, 432
    g_omega, g_a, g_z = 74, 300, 526
    heads = (
        ("2 · Ω = Q Kᵀ", g_omega + 3 * cell, "middle", "s"),
        ("3 · A = softmax(Ω / √d_{k})", g_a + 3 * cell, "middle", "s"),
        ("4 · Z = A V", width - 6, "end", "z"),
    )
    shapes = ("(6, 6)", "(6, 6)", "(6, 2)")
    for (parts, x, anchor, role), head, shape in zip(
        heads, t["heads"].split("|"), shapes, strict=True
    ):
        cls = "lf-t lf-text-z" if role == "z" else "lf-t"
        svg.rich(x, y_head, parts, bold=True, anchor=anchor, cls=cls)
        svg.text(x, y_head + 18, f"{head} {shape}", anchor=anchor, cls="lf-t lf-small")
    svg.matrix(
        g_omega,
        y_grid,
        omega.tolist(),
        role="s",
        cell=cell,
        cell_h=ch,
        row_labels=labels,
        col_labels=labels,
        highlight_row=r,
    )
    svg.matrix(
        g_a, y_grid, weights.tolist(), cell=cell, cell_h=ch, col_labels=labels, highlight_row=r
    )
    svg.matrix(g_z, y_grid, context.tolist(), role="z", cell=cell, cell_h=ch, highlight_row=r)
    y_mid = y_grid + n * ch / 2
    svg.line(g_omega + 6 * cell + 6, y_mid, g_a - 8, y_mid, cls="lf-line")
    svg.line(g_a + 6 * cell + 6, y_mid, g_z - 8, y_mid, cls="lf-line")
    for left in (g_omega, g_a):
        svg.text(left + 3 * cell, y_grid + n * ch + 20, t["keys"], cls="lf-t lf-small")
    return figure("3.18", svg, t["caption"], lang, explorer="stage=3.4")
