"""Figures of section 3.5 (the book's figures 3.19 to 3.23), drawn from the page's tensors.

Every function takes tensors the page has already computed and printed; none of them
calls the random number generator or dropout, so a hidden block that draws a figure
leaves the page's session exactly as it found it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from llm_attention import EXAMPLE_TOKENS
from site_figures.svg import Svg, figure, fmt, heat_colour, tokens_or

TOKENS = EXAMPLE_TOKENS  # the chapter's six tokens, for the page's hidden blocks

CODE = 'font-family="monospace"'
CELL = 32  # the grid of the three-panel figures
LEFT = 62  # room for the token labels left of a grid
TOP = 76  # room for a panel's name and the rotated token labels above a grid
GAP = 66  # between the two grids of the top row
SUMS_W = 46  # the column of row sums right of a grid


def _plain(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The tensors without their autograd history (reading numbers from them warns otherwise)."""
    return tuple(t.detach() for t in tensors)


def _cells(mask: torch.Tensor) -> list[tuple[int, int]]:
    """The (row, column) pairs where a boolean tensor is True."""
    return [(int(i), int(j)) for i, j in mask.nonzero().tolist()]


def _hatched(svg: Svg, x: float, y: float, w: float, h: float) -> None:
    """A masked cell as ``Svg.matrix`` draws one: grey, hatched."""
    svg.rect(x, y, w, h, cls="lf-cell lf-masked", rx=0)
    svg.add(
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
        f'fill="url(#{svg.fig_id}-hatch)" class="lf-hatch"/>'
    )


def _sums(
    svg: Svg, x: float, y: float, sums: Sequence[float], label: str, *, code: bool = False
) -> None:
    """A column of row sums, with its label below (above it are the rotated token labels)."""
    svg.text(
        x + SUMS_W / 2,
        y + len(sums) * CELL + 18,
        label,
        cls="lf-t lf-small",
        extra=CODE if code else "",
    )
    for i, value in enumerate(sums):
        svg.number(x + SUMS_W / 2, y + (i + 0.5) * CELL + 5, float(value), size=12)


def _three_panels(
    svg: Svg,
    names: tuple[str, str, str],
    labels: Sequence[str],
) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
    """Where the three grids of an "A -> B, then down to C" figure go; draws their names.

    Returns the top-left corners of A (top left), B (top right) and C (under B).
    """
    n = len(labels)
    a = (LEFT, TOP)
    b = (LEFT + n * CELL + GAP, TOP)
    c = (b[0], TOP + n * CELL + 54)
    svg.text(a[0] + n * CELL / 2, 18, names[0], bold=True, extra=CODE)
    svg.text(b[0] + n * CELL / 2, 18, names[1], bold=True, extra=CODE)
    svg.text(c[0] + n * CELL / 2, c[1] + n * CELL + 20, names[2], bold=True, extra=CODE)
    return a, b, c


def _arrows(
    svg: Svg,
    a: tuple[float, float],
    b: tuple[float, float],
    c: tuple[float, float],
    n: int,
    right: Sequence[str],
    down: Sequence[str],
) -> None:
    """The arrow from A to B (with up to two short lines above and below it) and from B to C."""
    y = a[1] + n * CELL / 2
    x0, x1 = a[0] + n * CELL + 8, b[0] - 8
    svg.line(x0, y, x1, y)
    if len(right) == 1:  # a symbol
        svg.text((x0 + x1) / 2, y - 10, right[0], size=22)
    elif right:
        svg.text((x0 + x1) / 2, y - 10, right[0], cls="lf-t lf-small")
        svg.text((x0 + x1) / 2, y + 22, right[1], cls="lf-t lf-small")
    x = b[0] + n * CELL / 2
    y0, y1 = b[1] + n * CELL + 8, c[1] - 8
    svg.line(x, y0, x, y1)
    for k, line in enumerate(down):
        svg.text(x - 10, (y0 + y1) / 2 + 5 + (k - (len(down) - 1) / 2) * 16, line, anchor="end")


def _width(n: int) -> float:
    return LEFT + 2 * n * CELL + GAP + SUMS_W + 16


def _height(n: int) -> float:
    return TOP + 2 * n * CELL + 54 + 32


def figure_3_19(
    attn_weights: torch.Tensor, mask: torch.Tensor, tokens: Sequence[str], lang: str
) -> str:
    """The causal mask laid over the weights of ``SelfAttention_v2``: what it will remove."""
    attn_weights = attn_weights.detach()
    labels = tokens_or(tokens)
    n = len(labels)
    masked = _cells(mask)
    w = attn_weights.tolist()
    t: dict[str, Any] = {
        "en": {
            "title": "The causal mask over the attention weights",
            "desc": (
                f"The {n} by {n} attention weights, row i for query i and column j for key j. "
                f"The {len(masked)} entries above the diagonal, where j > i, are hatched: the "
                "mask removes them, so each query keeps itself and the tokens before it. "
                f"The first query, {labels[0]}, keeps only its own weight, "
                f"{fmt(w[0][0])}; the last keeps all {n}."
            ),
            "queries": "queries i",
            "keys": "keys j",
            "keep": ["may attend:", "j ≤ i, itself", "and earlier tokens"],
            "drop": ["masked:", "j > i, later tokens"],
            "caption": (
                "The causal mask over the weights <code>attn_weights</code> printed above "
                "(rounded to two decimals): query <i>i</i> keeps keys 1 to <i>i</i>; the hatched "
                "entries, where <code>mask</code> is <code>True</code>, lie in its future."
            ),
        },
        "zh": {
            "title": "注意力权重上的因果掩码",
            "desc": (
                f"{n} 行 {n} 列的注意力权重，第 i 行对应查询 i，第 j 列对应键 j。"
                f"对角线以上 j > i 的 {len(masked)} 个元素画了斜线：掩码会去掉它们，"
                f"每个查询只保留自己和之前的词元。第一个查询 {labels[0]} 只剩自己的权重 "
                f"{fmt(w[0][0])}，最后一个查询 {n} 个都保留。"
            ),
            "queries": "查询 i",
            "keys": "键 j",
            "keep": ["可以关注：", "j ≤ i，自己", "和之前的词元"],
            "drop": ["被遮蔽：", "j > i，之后的词元"],
            "caption": (
                "上面打印的权重 <code>attn_weights</code> 上的因果掩码（保留两位小数）："
                "查询 <i>i</i> 只保留键 1 到 <i>i</i>；画斜线的元素即 <code>mask</code> 为 "
                "<code>True</code> 的位置，位于它的未来。"
            ),
        },
    }[lang]
    cell = 44
    left, top = 96, 70
    svg = Svg("fig-3-19", left + n * cell + 190, top + n * cell + 40, t["title"], t["desc"])
    svg.matrix(
        left,
        top,
        w,
        cell=cell,
        row_labels=labels,
        col_labels=labels,
        muted=masked,
    )
    # the masked weights, still legible under the hatching: this is what the mask removes
    for i, j in masked:
        x, y = left + (j + 0.5) * cell, top + (i + 0.5) * cell + 4.5
        svg.number(x, y, w[i][j], cls="lf-t lf-small")
    # the boundary between what a query may see and its future
    d = f"M{left},{top}" + "".join(
        f" H{left + (i + 1) * cell} V{top + (i + 1) * cell}" for i in range(n)
    )
    svg.path(d, cls="lf-highlight", arrow=False)
    svg.text(left + n * cell / 2, top + n * cell + 28, t["keys"], cls="lf-t lf-small")
    svg.add(
        f'<text transform="translate(18,{top + n * cell / 2:.0f}) rotate(-90)" '
        f'class="lf-t lf-small" text-anchor="middle">{t["queries"]}</text>'
    )
    # legend
    lx = left + n * cell + 24
    ly = top + n * cell - 150
    sw = 26
    svg.rect(lx, ly, sw, sw, cls="lf-cell", rx=0, fill=heat_colour(float(w[-1][0])))
    for k, line in enumerate(t["keep"]):
        svg.text(lx + sw + 8, ly + 13 + k * 17, line, anchor="start", cls="lf-t lf-small")
    _hatched(svg, lx, ly + 80, sw, sw)
    for k, line in enumerate(t["drop"]):
        svg.text(lx + sw + 8, ly + 93 + k * 17, line, anchor="start", cls="lf-t lf-small")
    return figure("3.19", svg, t["caption"], lang, explorer="stage=3.5")


def figure_3_20(
    attn_weights: torch.Tensor,
    masked_simple: torch.Tensor,
    row_sums: torch.Tensor,
    masked_simple_norm: torch.Tensor,
    mask: torch.Tensor,
    tokens: Sequence[str],
    lang: str,
) -> str:
    """Method 1: softmax weights, the future set to 0, each row divided by what is left."""
    attn_weights, masked_simple, row_sums, masked_simple_norm = _plain(
        attn_weights, masked_simple, row_sums, masked_simple_norm
    )
    labels = tokens_or(tokens)
    n = len(labels)
    masked = _cells(mask)
    sums = row_sums.flatten().tolist()
    new_sums = masked_simple_norm.sum(dim=-1).tolist()
    t: dict[str, Any] = {
        "en": {
            "title": "Method 1: zero the future, then renormalise",
            "desc": (
                "Three grids of attention weights. The softmax weights attn_weights, about "
                f"{fmt(attn_weights.min().item())} to {fmt(attn_weights.max().item())}; "
                "masked_simple, the same weights with the entries above the diagonal set to 0, "
                f"whose rows now sum to {', '.join(fmt(s) for s in sums)}; and "
                "masked_simple_norm, each row divided by its sum, so the rows sum to 1 again: "
                f"row 2 becomes {', '.join(fmt(v) for v in masked_simple_norm[1, :2].tolist())}."
            ),
            "right": ["future", "set to 0"],
            "down": ["each row ÷", "its row sum"],
            "new_sum": "row sum",
            "caption": (
                "Method 1 on the tensors printed above (rounded to two decimals): the future "
                "entries of <code>attn_weights</code> become 0, and each row of "
                "<code>masked_simple</code> is divided by its sum, so it sums to 1 again."
            ),
        },
        "zh": {
            "title": "方法一：先把未来置零，再重新归一化",
            "desc": (
                "三个注意力权重矩阵。softmax 权重 attn_weights，大约在 "
                f"{fmt(attn_weights.min().item())} 到 {fmt(attn_weights.max().item())} 之间；"
                "masked_simple，即同样的权重把对角线以上的元素置 0，各行之和变成 "
                f"{'、'.join(fmt(s) for s in sums)}；masked_simple_norm，即每行除以自己的和，"
                "各行之和重新变为 1：第 2 行变成 "
                f"{'、'.join(fmt(v) for v in masked_simple_norm[1, :2].tolist())}。"
            ),
            "right": ["未来", "置 0"],
            "down": ["每行除以", "自己的行和"],
            "new_sum": "行和",
            "caption": (
                "在上面打印的张量上演示方法一（保留两位小数）："
                "<code>attn_weights</code> 中属于未来的元素变成 0，"
                "<code>masked_simple</code> 的每一行再除以自己的和，行和重新变为 1。"
            ),
        },
    }[lang]
    svg = Svg("fig-3-20", _width(n), _height(n), t["title"], t["desc"])
    a, b, c = _three_panels(svg, ("attn_weights", "masked_simple", "masked_simple_norm"), labels)
    svg.matrix(*a, attn_weights.tolist(), cell=CELL, row_labels=labels, col_labels=labels)
    svg.matrix(
        *b,
        masked_simple.tolist(),
        cell=CELL,
        col_labels=labels,
        muted=masked,
        muted_text="0",
        tag="masked_simple",
    )
    _sums(svg, b[0] + n * CELL + 4, b[1], sums, "row_sums", code=True)
    svg.matrix(
        *c,
        masked_simple_norm.tolist(),
        cell=CELL,
        row_labels=labels,
        muted=masked,
        muted_text="0",
        tag="masked_simple_norm",
    )
    _sums(svg, c[0] + n * CELL + 4, c[1], new_sums, t["new_sum"])
    _arrows(svg, a, b, c, n, t["right"], t["down"])
    return figure("3.20", svg, t["caption"], lang)


def figure_3_21(
    attn_scores: torch.Tensor,
    masked: torch.Tensor,
    attn_weights: torch.Tensor,
    mask: torch.Tensor,
    tokens: Sequence[str],
    lang: str,
) -> str:
    """Method 2: the scores, −∞ written into the future, one scaled softmax."""
    attn_scores, masked, attn_weights = _plain(attn_scores, masked, attn_weights)
    labels = tokens_or(tokens)
    n = len(labels)
    cells = _cells(mask)
    sums = attn_weights.sum(dim=-1).tolist()
    t: dict[str, Any] = {
        "en": {
            "title": "Method 2: mask the scores with −∞, then softmax",
            "desc": (
                "Three grids. The attention scores attn_scores; masked, the same scores with −∞ "
                "above the diagonal; and attn_weights, the softmax of masked divided by the "
                "square root of d_k, where the −∞ entries became 0 and every row sums to 1: "
                f"row 2 is {', '.join(fmt(v) for v in attn_weights[1, :2].tolist())}."
            ),
            "right": ["future", "set to −∞"],
            "down": ["÷ √d_k,", "softmax"],
            "sum": "row sum",
            "caption": (
                "Method 2 on the tensors printed above (rounded to two decimals): −∞ replaces "
                "the future scores in <code>masked</code>, and one scaled softmax turns it "
                "into the causal <code>attn_weights</code>, since <i>e</i><sup>−∞</sup> = 0."
            ),
        },
        "zh": {
            "title": "方法二：先用 −∞ 遮蔽分数，再做 softmax",
            "desc": (
                "三个矩阵：注意力分数 attn_scores；masked，即同样的分数在对角线以上写入 −∞；"
                "attn_weights，即 masked 除以 d_k 的平方根后做 softmax 的结果，"
                "−∞ 的位置变成 0，每行之和都是 1：第 2 行是 "
                f"{'、'.join(fmt(v) for v in attn_weights[1, :2].tolist())}。"
            ),
            "right": ["未来", "设为 −∞"],
            "down": ["除以 √d_k，", "做 softmax"],
            "sum": "行和",
            "caption": (
                "在上面打印的张量上演示方法二（保留两位小数）：<code>masked</code> 中属于未来的"
                "分数换成 −∞，再做一次缩放后的 softmax，就得到因果注意力权重 "
                "<code>attn_weights</code>，因为 <i>e</i><sup>−∞</sup> = 0。"
            ),
        },
    }[lang]
    svg = Svg("fig-3-21", _width(n), _height(n), t["title"], t["desc"])
    a, b, c = _three_panels(svg, ("attn_scores", "masked", "attn_weights"), labels)
    svg.matrix(*a, attn_scores.tolist(), role="s", cell=CELL, row_labels=labels, col_labels=labels)
    svg.matrix(
        *b, masked.tolist(), role="s", cell=CELL, col_labels=labels, muted=cells, muted_text="−∞"
    )
    svg.matrix(*c, attn_weights.tolist(), cell=CELL, row_labels=labels, muted=cells, muted_text="0")
    _sums(svg, c[0] + n * CELL + 4, c[1], sums, t["sum"])
    _arrows(svg, a, b, c, n, t["right"], t["down"])
    return figure("3.21", svg, t["caption"], lang)


def figure_3_22(
    attn_weights: torch.Tensor,
    dropped_ones: torch.Tensor,
    dropped: torch.Tensor,
    mask: torch.Tensor,
    tokens: Sequence[str],
    lang: str,
) -> str:
    """Dropout on the causal weights: the mask of the seed, and the kept weights rescaled.

    ``dropped_ones`` is dropout applied to a matrix of ones (its values are 0 and
    1/(1-p)), ``dropped`` the same draw applied to ``attn_weights``.
    """
    attn_weights, dropped_ones, dropped = _plain(attn_weights, dropped_ones, dropped)
    labels = tokens_or(tokens)
    n = len(labels)
    scale = float(dropped_ones.max())
    p = 1 - 1 / scale
    off = _cells(dropped_ones == 0)
    zero = _cells(dropped == 0)
    causal = _cells(mask)
    sums = dropped.sum(dim=-1).tolist()
    kept = int((dropped != 0).sum())
    empty = [labels[i] for i in range(n) if float(dropped[i].abs().sum()) == 0]
    t: dict[str, Any] = {
        "en": {
            "title": "Dropout on the causal attention weights",
            "desc": (
                f"Three grids. The causal attention weights attn_weights; the dropout mask of "
                f"p = {fmt(p, 1)}, which drops {len(off)} of the {n * n} entries and multiplies "
                f"the others by 1/(1 − p) = {fmt(scale, 0)}; and the result, in which "
                f"{kept} weights survive, doubled, and the rows sum to "
                f"{', '.join(fmt(s) for s in sums)} instead of 1."
                + (f" Every weight of {', '.join(empty)} was dropped." if empty else "")
            ),
            "right": ["⊙"],
            "down": [f"p = {fmt(p, 1)}, kept ×", f"1/(1 − p) = {fmt(scale, 0)}"],
            "sum": "row sum",
            "caption": (
                "Dropout on the causal weights, drawn from the two tensors printed above "
                "(rounded to two decimals): the seed's mask zeroes about half the entries and "
                f"multiplies the rest by 1/(1 − <i>p</i>) = {fmt(scale, 0)}, so the rows no "
                "longer sum to 1."
            ),
        },
        "zh": {
            "title": "对因果注意力权重做 dropout",
            "desc": (
                f"三个矩阵：因果注意力权重 attn_weights；p = {fmt(p, 1)} 的 dropout 掩码，"
                f"它丢弃 {n * n} 个元素中的 {len(off)} 个，其余乘以 1/(1 − p) = {fmt(scale, 0)}；"
                f"以及结果，其中有 {kept} 个权重保留下来并翻倍，各行之和变成 "
                f"{'、'.join(fmt(s) for s in sums)}，不再是 1。"
                + (f"{'、'.join(empty)} 的权重全部被丢弃。" if empty else "")
            ),
            "right": ["⊙"],
            "down": [f"p = {fmt(p, 1)}，保留的乘以", f"1/(1 − p) = {fmt(scale, 0)}"],
            "sum": "行和",
            "caption": (
                "对因果注意力权重做 dropout，数字取自上面打印的两个张量（保留两位小数）："
                "这个种子给出的掩码把约一半的元素置 0，其余的乘以 "
                f"1/(1 − <i>p</i>) = {fmt(scale, 0)}，所以各行之和不再是 1。"
            ),
        },
    }[lang]
    svg = Svg("fig-3-22", _width(n), _height(n), t["title"], t["desc"])
    a, b, c = _three_panels(svg, ("attn_weights", "dropped_ones", "dropped"), labels)
    svg.matrix(
        *a,
        attn_weights.tolist(),
        cell=CELL,
        row_labels=labels,
        col_labels=labels,
        muted=causal,
        muted_text="0",
    )
    svg.matrix(
        *b,
        dropped_ones.tolist(),
        role="accent",
        cell=CELL,
        col_labels=labels,
        digits=0,
        muted=off,
        muted_text="0",
    )
    svg.matrix(*c, dropped.tolist(), cell=CELL, row_labels=labels, muted=zero, muted_text="0")
    _sums(svg, c[0] + n * CELL + 4, c[1], sums, t["sum"])
    _arrows(svg, a, b, c, n, t["right"], t["down"])
    return figure(("3.22", "3.23"), svg, t["caption"], lang, explorer="stage=3.5")
