"""Figures of section 3.6 (the book's figures 3.24 to 3.26), drawn from the page's tensors.

Every figure draws the first sequence of the page's ``batch`` (its two sequences are the
same). Heads have a colour each (``lf-h1``, ``lf-h2``, ``lf-h3`` in ``docs/assets/site.css``),
the same in all three figures. The functions only read: they run under ``torch.no_grad()``
and check that the random number generator is where it was, so the page's later draws are
the ones its code prints.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

import torch
from torch import nn

from llm_attention import EXAMPLE_TOKENS
from site_figures.svg import Svg, figure, fmt, sup, tokens_or

HEADS = 3  # head colours defined in site.css


def head_class(h: int) -> str:
    """The colour class of head ``h`` (0-based)."""
    if not 0 <= h < HEADS:
        raise ValueError(f"the figures have colours for {HEADS} heads, not head {h + 1}")
    return f"lf-h{h + 1}"


@contextlib.contextmanager
def read_only() -> Iterator[None]:
    """No autograd, and an error if anything inside drew a random number."""
    state = torch.get_rng_state()
    with torch.no_grad():
        yield
    if not torch.equal(state, torch.get_rng_state()):
        raise RuntimeError("a figure used the random number generator; the page's draws changed")


def shape(*sizes: int) -> str:
    return "(" + ", ".join(str(s) for s in sizes) + ")"


# ------------------------------------------------------------------ drawing helpers
def grid(
    svg: Svg,
    x: float,
    y: float,
    values: torch.Tensor,
    *,
    cw: float,
    ch: float,
    cls: str | Callable[[int, int], str],
    numbers: Callable[[int, int], bool] = lambda i, j: True,
) -> tuple[float, float]:
    """A matrix as cells in a colour class (per cell if ``cls`` is a function), with numbers."""
    rows = values.tolist()
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            cell_cls = cls(i, j) if callable(cls) else cls
            svg.rect(x + j * cw, y + i * ch, cw, ch, cls=f"lf-cell {cell_cls}", rx=0)
            if numbers(i, j):
                svg.number(x + (j + 0.5) * cw, y + (i + 0.5) * ch + 4.5, value, size=12)
    return cw * len(rows[0]), ch * len(rows)


def outline(svg: Svg, x: float, y: float, w: float, h: float) -> None:
    """The highlight around one row (the chapter's query, "journey")."""
    svg.rect(x - 2, y - 2, w + 4, h + 4, cls="lf-highlight", rx=3)


def row_labels(svg: Svg, x: float, y: float, labels: Sequence[str], ch: float) -> None:
    for i, label in enumerate(labels):
        svg.text(x - 6, y + (i + 0.5) * ch + 5, label, anchor="end", size=13)


def masked_weights(
    svg: Svg, x: float, y: float, weights: torch.Tensor, cell: float, ch: float, *, numbers: bool
) -> None:
    """Causal attention weights: the blue scale below the diagonal, hatched above it."""
    n = weights.shape[0]
    svg.matrix(
        x,
        y,
        weights.tolist(),
        cell=cell,
        cell_h=ch,
        show_values=numbers,
        muted=[(i, j) for i in range(n) for j in range(i + 1, n)],
    )


def first_sequence(t: torch.Tensor) -> torch.Tensor:
    return t[0].detach()


# ------------------------------------------------------------------ figure 3.24
def figure_3_24(
    batch: torch.Tensor,
    wrapper: nn.Module,
    lang: str,
    tokens: Sequence[str] = EXAMPLE_TOKENS,
) -> str:
    """One head, ``wrapper.heads[0]``: X times W_q, W_k, W_v, the causal weights, Z = AV."""
    head = wrapper.heads[0]
    if head.training and head.dropout.p > 0:
        raise ValueError("the head's dropout would draw random numbers; draw a head without it")
    with read_only():
        out, weights = head(batch, return_attn_weights=True)
        x = first_sequence(batch)
        w = {
            name: getattr(head, f"W_{name}").weight.detach().T for name in ("query", "key", "value")
        }
        qkv = {name: first_sequence(getattr(head, f"W_{name}")(batch)) for name in w}
        a, z = first_sequence(weights), first_sequence(out)
    n, d_in = x.shape
    d_out = z.shape[1]
    labels = tokens_or(tokens)
    t = {
        "en": {
            "head": "head 1: mha.heads[0], one CausalAttention",
            "x": "inputs X",
            "a": "attention weights A",
            "a_formula": f"softmax(QKᵀ / √{d_out}), causal mask",
            "z": "context vectors Z = AV",
            "title": "One head of the wrapper: causal attention with its own W_q, W_k, W_v",
            "desc": (
                f"The first sequence of the batch, X of shape {shape(n, d_in)}, is multiplied by "
                f"three weight matrices of shape {shape(d_in, d_out)}, giving the queries Q, keys "
                f"K and values V, each {shape(n, d_out)}. Their causal attention weights A, "
                f"{shape(n, n)}, are zero above the diagonal. The context vectors Z = AV, "
                f"{shape(n, d_out)}, are the head's output; the row of {labels[0]} is "
                + ", ".join(fmt(float(v)) for v in z[0])
                + "."
            ),
            "caption": (
                "The wrapper's first head, <code>mha.heads[0]</code>, on the first sequence: "
                "the causal attention of section 3.5. Each product sits under its weight matrix "
                "(<i>W<sub>q</sub></i> is <code>W_query.weight.T</code>); <i>Z</i> is the first "
                "two columns of <code>context_vecs</code> (rounded to two decimals)."
            ),
        },
        "zh": {
            "head": "头 1：mha.heads[0]，一个 CausalAttention",
            "x": "输入 X",
            "a": "注意力权重 A",
            "a_formula": f"softmax(QKᵀ / √{d_out})，因果掩码",
            "z": "上下文向量 Z = AV",
            "title": "包装类的一个头：带有自己的 W_q、W_k、W_v 的因果注意力",
            "desc": (
                f"批次中的第一条序列 X 形状为 {shape(n, d_in)}，分别乘以三个形状为 "
                f"{shape(d_in, d_out)} 的权重矩阵，得到查询 Q、键 K 和值 V，形状都是 "
                f"{shape(n, d_out)}。它们的因果注意力权重 A 形状为 {shape(n, n)}，"
                f"对角线以上为 0。上下文向量 Z = AV 形状为 {shape(n, d_out)}，就是这个头的输出；"
                f"{labels[0]} 这一行是 " + "，".join(fmt(float(v)) for v in z[0]) + "。"
            ),
            "caption": (
                "包装类的第一个头 <code>mha.heads[0]</code> 作用于第一条序列，"
                "也就是第 3.5 节的因果注意力。每个乘积画在它的权重矩阵正下方"
                "（<i>W<sub>q</sub></i> 即 <code>W_query.weight.T</code>）；<i>Z</i> "
                "就是 <code>context_vecs</code> 的前两列（保留两位小数）。"
            ),
        },
    }[lang]
    left, cw, ch = 92, 40, 24
    gap = 22  # between Q, K and V
    col = [left + d_in * cw + 32 + k * (d_out * cw + gap) for k in range(3)]
    width = col[2] + d_out * cw + 16
    w_top = 58
    y0 = w_top + d_in * ch + 14  # first row of X, Q, K, V
    y1 = y0 + n * ch + 88  # first row of A and Z
    a_cell = min(44.0, (col[2] - left - 36) / n)
    a_ch = 30
    height = y1 + n * a_ch + 20
    svg = Svg("fig-3-24", width, height, t["title"], t["desc"])
    svg.rect(4, 4, width - 8, height - 8, cls="lf-frame-h1", rx=8)
    svg.text(16, 26, t["head"], cls="lf-t lf-text-h1", anchor="start", bold=True)
    # X, and each projection under its weight matrix, in the rows of X
    svg.text(left + d_in * cw / 2, y0 - 26, t["x"], bold=True)
    svg.text(left + d_in * cw / 2, y0 - 9, shape(n, d_in), cls="lf-t lf-small")
    grid(svg, left, y0, x, cw=cw, ch=ch, cls="lf-x")
    row_labels(svg, left, y0, labels, ch)
    for k, (name, role, letter) in enumerate(
        (("query", "q", "Q"), ("key", "k", "K"), ("value", "v", "V"))
    ):
        svg.rich(col[k] + cw, w_top - 9, f"W_{{{role}}} {shape(d_in, d_out)}", bold=True)
        grid(svg, col[k], w_top, w[name], cw=cw, ch=ch, cls="lf-w")
        grid(svg, col[k], y0, qkv[name], cw=cw, ch=ch, cls=f"lf-{role}")
        svg.rich(col[k] + cw, y0 + n * ch + 18, f"{letter} = XW_{{{role}}}", bold=True)
        svg.text(col[k] + cw, y0 + n * ch + 35, shape(n, d_out), cls="lf-t lf-small")
    # the weights, and Z = AV under V
    svg.text(left, y1 - 26, f"{t['a']} {shape(n, n)}", anchor="start", bold=True)
    svg.text(left, y1 - 9, t["a_formula"], cls="lf-t lf-small", anchor="start")
    masked_weights(svg, left, y1, a, a_cell, a_ch, numbers=True)
    row_labels(svg, left, y1, labels, a_ch)
    svg.text(col[2] + d_out * cw, y1 - 26, t["z"], anchor="end", bold=True)
    svg.text(col[2] + cw, y1 - 9, shape(n, d_out), cls="lf-t lf-small")
    grid(svg, col[2], y1, z, cw=cw, ch=a_ch, cls="lf-z")
    return figure("3.24", svg, t["caption"], lang, explorer="stage=3.5")


# ------------------------------------------------------------------ figure 3.25
def figure_3_25(
    batch: torch.Tensor,
    wrapper: nn.Module,
    head_outputs: Sequence[torch.Tensor],
    context_vecs: torch.Tensor,
    lang: str,
    tokens: Sequence[str] = EXAMPLE_TOKENS,
) -> str:
    """The wrapper: two heads with their own weights, outputs Z1, Z2 joined by torch.cat."""
    heads = list(wrapper.heads)
    if len(heads) != 2 or len(head_outputs) != 2:
        raise ValueError("figure 3.25 draws a wrapper of two heads")
    with read_only():
        ws = [
            [getattr(h, f"W_{name}").weight.detach().T for name in ("query", "key", "value")]
            for h in heads
        ]
        zs = [first_sequence(out) for out in head_outputs]
        cat = first_sequence(context_vecs)
    if not torch.equal(torch.cat(zs, dim=-1), cat):
        raise ValueError("context_vecs is not the heads' outputs side by side")
    n, d_in = batch.shape[1:]
    d_head = zs[0].shape[1]
    labels = tokens_or(tokens)
    t = {
        "en": {
            "x": "inputs X = batch",
            "head": "head {}: mha.heads[{}]",
            "cat": "torch.cat(head_outputs, dim=-1)",
            "title": "The wrapper's two heads and their concatenated outputs",
            "desc": (
                f"The batch of shape {shape(*batch.shape)} goes to two heads; each has its own "
                f"three weight matrices of shape {shape(d_in, d_head)} and returns context "
                f"vectors of shape {shape(n, d_head)} per sequence, Z1 and Z2. torch.cat joins "
                f"them along the last dimension into {shape(n, cat.shape[1])}. For {labels[0]}: Z1 "
                + ", ".join(fmt(float(v)) for v in zs[0][0])
                + "; Z2 "
                + ", ".join(fmt(float(v)) for v in zs[1][0])
                + "; joined "
                + ", ".join(fmt(float(v)) for v in cat[0])
                + "."
            ),
            "caption": (
                "Two heads, each with its own weight matrices; <code>torch.cat</code> joins "
                "their outputs into <code>context_vecs</code> (first sequence, rounded to two "
                "decimals)."
            ),
        },
        "zh": {
            "x": "输入 X = batch",
            "head": "头 {}：mha.heads[{}]",
            "cat": "torch.cat(head_outputs, dim=-1)",
            "title": "包装类的两个头及其拼接后的输出",
            "desc": (
                f"形状为 {shape(*batch.shape)} 的批次送入两个头；每个头都有自己的三个权重矩阵，"
                f"形状为 {shape(d_in, d_head)}，对每条序列返回形状为 {shape(n, d_head)} "
                f"的上下文向量 Z1 和 Z2。torch.cat 沿最后一维把它们拼接成 "
                f"{shape(n, cat.shape[1])}。{labels[0]} 这一行：Z1 为 "
                + "，".join(fmt(float(v)) for v in zs[0][0])
                + "；Z2 为 "
                + "，".join(fmt(float(v)) for v in zs[1][0])
                + "；拼接后为 "
                + "，".join(fmt(float(v)) for v in cat[0])
                + "。"
            ),
            "caption": (
                "两个头各有自己的权重矩阵；<code>torch.cat</code> 把它们的输出拼接成 "
                "<code>context_vecs</code>（第一条序列，保留两位小数）。"
            ),
        },
    }[lang]
    width = 564
    card_w, card_gap = 270, 12
    cards_x = [(width - 2 * card_w - card_gap) / 2 + h * (card_w + card_gap) for h in range(2)]
    wcw, wch = 38, 20
    card_top, card_h = 74, 126
    zcw, zch = 44, 24
    z_top = card_top + card_h + 30
    cat_top = z_top + n * zch + 56
    height = cat_top + n * zch + 46
    svg = Svg("fig-3-25", width, height, t["title"], t["desc"])
    # the input, to both heads
    svg.box(width / 2 - 110, 6, 220, 46, "x", t["x"], sub=shape(*batch.shape), size=13)
    for h in range(2):
        cx = cards_x[h] + card_w / 2
        svg.line(width / 2 + (h * 2 - 1) * 60, 52, cx, card_top - 2)
        # the head: its own three weight matrices
        svg.rect(cards_x[h], card_top, card_w, card_h, cls=f"lf-frame-h{h + 1}", rx=8)
        svg.text(
            cx, card_top + 22, t["head"].format(h + 1, h), cls=f"lf-t lf-text-h{h + 1}", bold=True
        )
        mw = d_head * wcw
        step = (card_w - 3 * mw) / 4
        for k, role in enumerate("qkv"):
            mx = cards_x[h] + step + k * (mw + step)
            svg.rich(mx + mw / 2, card_top + 46, f"W_{{{role}}}{sup(h + 1)}", size=13)
            grid(svg, mx, card_top + 54, ws[h][k], cw=wcw, ch=wch, cls="lf-w")
        # its output Z_h, under it
        zx = cx - d_head * zcw / 2
        svg.line(cx, card_top + card_h, cx, z_top - 4, cls=f"lf-line lf-line-h{h + 1}")
        grid(svg, zx, z_top, zs[h], cw=zcw, ch=zch, cls=head_class(h))
        svg.rich(zx + d_head * zcw + 8, z_top + 16, f"Z_{{{h + 1}}}", anchor="start", bold=True)
        svg.text(
            zx + d_head * zcw + 8, z_top + 34, shape(n, d_head), cls="lf-t lf-small", anchor="start"
        )
        if h == 0:
            row_labels(svg, zx, z_top, labels, zch)
        # to its columns of the concatenation
        cat_x = width / 2 - cat.shape[1] * zcw / 2
        svg.line(
            cx,
            z_top + n * zch + 4,
            cat_x + (h + 0.5) * d_head * zcw,
            cat_top - 6,
            cls=f"lf-line lf-line-h{h + 1}",
        )
    cat_x = width / 2 - cat.shape[1] * zcw / 2
    grid(svg, cat_x, cat_top, cat, cw=zcw, ch=zch, cls=lambda i, j: head_class(j // d_head))
    row_labels(svg, cat_x, cat_top, labels, zch)
    svg.text(width / 2, cat_top + n * zch + 20, t["cat"], cls="lf-t lf-code")
    svg.text(width / 2, cat_top + n * zch + 38, shape(n, cat.shape[1]), cls="lf-t lf-small")
    return figure("3.25", svg, t["caption"], lang, explorer="stage=3.6")


# ------------------------------------------------------------------ figure 3.26
def figure_3_26(
    mha: nn.Module,
    queries: torch.Tensor,
    attn_weights: torch.Tensor,
    values: torch.Tensor,
    context_vec: torch.Tensor,
    lang: str,
    tokens: Sequence[str] = EXAMPLE_TOKENS,
    row: int = 1,
) -> str:
    """The walk of 3.6.2: one projection, split into heads, attended, merged, out_proj.

    ``queries``, ``values``: step 2's ``(b, num_heads, num_tokens, head_dim)``;
    ``attn_weights``: step 3's; ``context_vec``: step 5's output.
    """
    nh, hd, d_out = mha.num_heads, mha.head_dim, mha.d_out
    n = queries.shape[2]
    if queries.shape[1] != nh or values.shape != queries.shape:
        raise ValueError("queries and values must be step 2's (b, num_heads, num_tokens, head_dim)")
    with read_only():
        w_q = mha.W_query.weight.detach().T  # (d_in, d_out)
        q_split = queries[0].detach()  # (num_heads, num_tokens, head_dim)
        q_flat = q_split.transpose(0, 1).reshape(n, d_out)  # step 1's queries
        a = attn_weights[0].detach()
        z_split = (attn_weights @ values)[0].detach()  # (num_heads, num_tokens, head_dim)
        merged = z_split.transpose(0, 1).reshape(n, d_out)
        out = first_sequence(context_vec)
        same = torch.allclose(mha.out_proj(merged), out, atol=1e-6)
    if not same:
        raise ValueError("context_vec is not out_proj of the merged heads")
    d_in = w_q.shape[0]
    labels = tokens_or(tokens)
    word = labels[row]
    scale = f"√{hd}"
    t = {
        "en": {
            "s1": "(1) project: Q = XW_{q}, one matrix for all heads",
            "s2": "(2) split: view + transpose(1, 2)",
            "s2_note": "; keys and values alike",
            "s3": "(3) in each head: A_{h} = softmax(Q_{h}K_{h}ᵀ / " + scale + "), causal",
            "s4": "(4) weight the values: Z_{h} = A_{h}V_{h}",
            "s4b": "merge: transpose(1, 2), contiguous().view",
            "s5": "(5) mix the heads: out_proj",
            "head": "head {}",
            "title_a": "Multi-head attention with weight splits: one projection, split into heads",
            "title_b": "Multi-head attention with weight splits: attend, merge, out_proj",
        },
        "zh": {
            "s1": "（1）投影：Q = XW_{q}，所有头共用一个矩阵",
            "s2": "（2）划分成多个头：view + transpose(1, 2)",
            "s2_note": "；键和值也这样划分",
            "s3": "（3）每个头各自计算 A_{h} = softmax(Q_{h}K_{h}ᵀ / " + scale + ")，带因果掩码",
            "s4": "（4）对值加权求和：Z_{h} = A_{h}V_{h}",
            "s4b": "合并各个头：transpose(1, 2)、contiguous().view",
            "s5": "（5）混合各个头：out_proj",
            "head": "头 {}",
            "title_a": "通过权重拆分实现多头注意力：一次投影，再划分成多个头",
            "title_b": "通过权重拆分实现多头注意力：计算注意力、合并各个头、输出投影",
        },
    }[lang]
    row_q = ", ".join(fmt(float(v)) for v in q_flat[row])
    row_out = ", ".join(fmt(float(v)) for v in out[row])
    if lang == "en":
        desc_a = (
            f"The first sequence, X of shape {shape(n, d_in)}, times one weight matrix W_q of "
            f"shape {shape(d_in, d_out)} whose columns are {nh} blocks of {hd}, one per head, "
            f"gives Q of shape {shape(n, d_out)}. view and transpose(1, 2) move each head's "
            f"{hd} columns into a matrix of its own: {shape(nh, n, hd)}. The row of {word} in "
            f"Q is {row_q}; the same numbers, {hd} per head, are the row of {word} in each head."
        )
        desc_b = (
            f"Each of the {nh} heads computes causal attention weights of shape {shape(n, n)} and "
            f"weights its values: {shape(nh, n, hd)}. transpose(1, 2) and view join the heads "
            f"into {shape(n, d_out)}, one block of {hd} columns per head; out_proj mixes them "
            f"into the output, {shape(n, d_out)}. The output's row of {word} is {row_out}."
        )
        caption = (
            "The walk above for the first sequence, one colour per head: one projection, split "
            "into heads, attended separately, joined again and mixed by <code>out_proj</code>. "
            f"Numbers for “{word}”, rounded to two decimals."
        )
    else:
        desc_a = (
            f"第一条序列 X 的形状为 {shape(n, d_in)}，乘以一个形状为 {shape(d_in, d_out)} "
            f"的权重矩阵 W_q，它的列分成 {nh} 块、每块 {hd} 列，每个头一块，得到形状为 "
            f"{shape(n, d_out)} 的 Q。view 和 transpose(1, 2) 把每个头的 {hd} "
            f"列移成一个单独的矩阵：{shape(nh, n, hd)}。Q 中 {word} 这一行是 {row_q}；"
            f"同样这些数，每个头 {hd} 个，就是各个头里 {word} 这一行。"
        )
        desc_b = (
            f"{nh} 个头各自算出形状为 {shape(n, n)} 的因果注意力权重，再对值加权求和："
            f"{shape(nh, n, hd)}。transpose(1, 2) 和 view 把各个头合并成 {shape(n, d_out)}，"
            f"每个头占 {hd} 列；out_proj 把它们混合成输出，形状为 {shape(n, d_out)}。"
            f"输出中 {word} 这一行是 {row_out}。"
        )
        caption = (
            "上面逐步拆解的过程（第一条序列，每个头一种颜色）：一次投影划分成多个头，各自计算注意力，"
            f"再拼回一起，由 <code>out_proj</code> 混合。数值只标出“{word}”这一行，保留两位小数。"
        )
    left, cw, ch, split_gap = 76, 36, 20, 18
    block_w = hd * cw
    split_x = [left + h * (block_w + split_gap) for h in range(nh)]
    width = max(left + d_out * cw, split_x[-1] + block_w) + 16

    def per_head(i: int, j: int) -> str:
        return head_class(j // hd)

    def on_row(i: int, j: int) -> bool:
        return i == row

    def heading(s: Svg, y: float, text: str, size: str, note: str = "") -> None:
        """A step's title, and under it the shape it produces, as the page's comments name it."""
        s.rich(8, y, text, anchor="start", bold=True)
        s.text(8, y + 17, size + note, cls="lf-t lf-small", anchor="start")

    tok, dout = "num_tokens", "d_out"
    heads_shape = f"(num_heads, {tok}, head_dim) = {shape(nh, n, hd)}"
    flat_shape = f"({tok}, {dout}) = {shape(n, d_out)}"

    # ---- a: project, split
    w_top = 76
    q_top = w_top + d_in * 14 + 10
    s2 = q_top + n * ch + 40
    split_top = s2 + 30
    svg_a = Svg("fig-3-26a", width, split_top + n * ch + 10, t["title_a"], desc_a)
    heading(svg_a, 20, t["s1"], flat_shape)
    for h in range(nh):
        svg_a.text(
            left + (h + 0.5) * block_w,
            w_top - 8,
            t["head"].format(h + 1),
            cls=f"lf-t lf-text-h{h + 1}",
            bold=True,
        )
    svg_a.rich(left - 6, w_top + d_in * 7 + 5, "W_{q}", anchor="end", bold=True)
    grid(svg_a, left, w_top, w_q, cw=cw, ch=14, cls=per_head, numbers=lambda i, j: False)
    grid(svg_a, left, q_top, q_flat, cw=cw, ch=ch, cls=per_head, numbers=on_row)
    outline(svg_a, left, q_top + row * ch, d_out * cw, ch)
    row_labels(svg_a, left, q_top, labels, ch)
    heading(svg_a, s2, t["s2"], heads_shape, t["s2_note"])
    for h in range(nh):
        grid(
            svg_a,
            split_x[h],
            split_top,
            q_split[h],
            cw=cw,
            ch=ch,
            cls=head_class(h),
            numbers=on_row,
        )
        outline(svg_a, split_x[h], split_top + row * ch, block_w, ch)
    row_labels(svg_a, left, split_top, labels, ch)

    # ---- b: attend, weight the values, merge, mix
    hm_cell = min(22.0, block_w / n)
    a_top = 46
    s4 = a_top + n * hm_cell + 54
    z_top = s4 + 30
    s4b = z_top + n * ch + 30
    m_top = s4b + 30
    s5 = m_top + n * ch + 30
    o_top = s5 + 30
    svg_b = Svg("fig-3-26b", width, o_top + n * ch + 10, t["title_b"], desc_b)
    heading(svg_b, 20, t["s3"], f"(num_heads, {tok}, {tok}) = {shape(nh, n, n)}")
    for h in range(nh):
        hx = split_x[h] + (block_w - n * hm_cell) / 2
        masked_weights(svg_b, hx, a_top, a[h], hm_cell, hm_cell, numbers=False)
        svg_b.rect(
            hx - 3, a_top - 3, n * hm_cell + 6, n * hm_cell + 6, cls=f"lf-frame-h{h + 1}", rx=3
        )
        outline(svg_b, hx, a_top + row * hm_cell, n * hm_cell, hm_cell)
        svg_b.rich(
            split_x[h] + block_w / 2,
            a_top + n * hm_cell + 20,
            f"A_{{{h + 1}}}",
            cls=f"lf-t lf-text-h{h + 1}",
            bold=True,
        )
    row_labels(svg_b, split_x[0] + (block_w - n * hm_cell) / 2 - 4, a_top, labels, hm_cell)
    heading(svg_b, s4, t["s4"], heads_shape)
    for h in range(nh):
        grid(
            svg_b,
            split_x[h],
            z_top,
            z_split[h],
            cw=cw,
            ch=ch,
            cls=head_class(h),
            numbers=on_row,
        )
        outline(svg_b, split_x[h], z_top + row * ch, block_w, ch)
    row_labels(svg_b, left, z_top, labels, ch)
    heading(svg_b, s4b, t["s4b"], flat_shape)
    grid(svg_b, left, m_top, merged, cw=cw, ch=ch, cls=per_head, numbers=on_row)
    outline(svg_b, left, m_top + row * ch, d_out * cw, ch)
    row_labels(svg_b, left, m_top, labels, ch)
    heading(svg_b, s5, t["s5"], flat_shape)
    grid(svg_b, left, o_top, out, cw=cw, ch=ch, cls="lf-z", numbers=on_row)
    outline(svg_b, left, o_top + row * ch, d_out * cw, ch)
    row_labels(svg_b, left, o_top, labels, ch)
    return figure("3.26", [svg_a, svg_b], caption, lang, explorer="stage=3.6.2")
