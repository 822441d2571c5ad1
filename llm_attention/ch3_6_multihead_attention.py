"""Section 3.6: extending single-head attention to multi-head attention.

3.6.1 runs several [`CausalAttention`][llm_attention.CausalAttention] heads side by side and
concatenates their outputs. 3.6.2 computes the same kind of thing with one set
of projections that is split into heads by reshaping, which is how real models
do it: one large matrix product instead of ``num_heads`` small ones.
"""

from __future__ import annotations

# --8<-- [start:imports]
import torch
from torch import nn

from llm_attention.ch3_5_causal_attention import CausalAttention, causal_mask
from llm_attention.checks import check_args, check_input

# --8<-- [end:imports]

__all__ = ["MultiHeadAttention", "MultiHeadAttentionWrapper"]


# --8<-- [start:wrapper-class]
class MultiHeadAttentionWrapper(nn.Module):
    # --8<-- [end:wrapper-class]
    """``num_heads`` independent causal attention heads, concatenated (3.6.1).

    The most direct form of multi-head attention: a list of
    [`CausalAttention`][llm_attention.CausalAttention] modules, each with its own weights,
    run one after another on the same input. Computes

    ``concat(head_1(x), ..., head_h(x))`` along the last dimension.

    Here ``d_out`` is the width of *each head*, so the output is
    ``d_out * num_heads`` wide; in
    [`MultiHeadAttention`][llm_attention.MultiHeadAttention] ``d_out`` is the total width.

    Note:
        A NaN or inf in any token's input makes the outputs of the earlier tokens NaN
        too. The mask gives the later token a weight of exactly 0, and ``0 * nan`` is
        NaN, not 0; PyTorch's ``scaled_dot_product_attention`` behaves the same way.
        Check ``torch.isfinite(x).all()`` first if the input may hold such values.

    Args:
        d_in: size of each input embedding.
        d_out: output size of each head.
        context_length: the longest sequence the module accepts.
        dropout: dropout probability on each head's attention weights, in ``[0, 1)``.
        num_heads: number of heads, ``>= 1``.
        qkv_bias: add a bias to the query, key and value projections.

    Shape:
        - input ``x``: ``(b, num_tokens, d_in)``; one sequence is ``x.unsqueeze(0)``
        - output: ``(b, num_tokens, d_out * num_heads)``
        - each head's attention weights: ``wrapper.heads[i](x, return_attn_weights=True)``
    """

    # --8<-- [start:wrapper-init]
    def __init__(
        self,
        d_in: int,
        d_out: int,
        context_length: int,
        dropout: float,
        num_heads: int,
        qkv_bias: bool = False,
    ) -> None:
        super().__init__()
        check_args(num_heads=num_heads)  # each head checks the other arguments
        # independent heads, each with its own W_query, W_key and W_value
        self.heads = nn.ModuleList(
            [
                CausalAttention(d_in, d_out, context_length, dropout, qkv_bias)
                for _ in range(num_heads)
            ]
        )

    # --8<-- [end:wrapper-init]
    # --8<-- [start:wrapper-forward]
    def forward(self, x):
        """Run every head and concatenate their context vectors."""
        # run every head on the same input and concatenate along the features:
        # num_heads x (b, num_tokens, d_out) -> (b, num_tokens, num_heads * d_out)
        return torch.cat([head(x) for head in self.heads], dim=-1)

    # --8<-- [end:wrapper-forward]


# --8<-- [start:mha-class]
class MultiHeadAttention(nn.Module):
    # --8<-- [end:mha-class]
    """Causal multi-head attention with weight splits (3.6.2).

    One query, one key and one value projection of width ``d_out``, each split
    into ``num_heads`` heads of ``head_dim = d_out // num_heads``; every head
    attends on its own, the heads are concatenated again, and ``out_proj``
    (``d_out -> d_out``, with bias) mixes them. For each head ``h``:

    ``head_h = dropout(softmax(mask(Q_h K_h^T) / sqrt(head_dim))) V_h``

    and the output is ``concat(head_1, ..., head_H) W_o + b_o``.

    Note:
        A NaN or inf in any token's input makes the outputs of the earlier tokens NaN
        too. The mask gives the later token a weight of exactly 0, and ``0 * nan`` is
        NaN, not 0; PyTorch's ``scaled_dot_product_attention`` behaves the same way.
        Check ``torch.isfinite(x).all()`` first if the input may hold such values.

    Args:
        d_in: size of each input embedding.
        d_out: total output size, split evenly across the heads.
        context_length: the longest sequence the module accepts.
        dropout: dropout probability on the attention weights, in ``[0, 1)``.
        num_heads: number of heads; must divide ``d_out``.
        qkv_bias: add a bias to the query, key and value projections.

    Shape:
        - input ``x``: ``(b, num_tokens, d_in)`` with ``num_tokens <= context_length``;
          one sequence is ``x.unsqueeze(0)``
        - output: ``(b, num_tokens, d_out)``
        - attention weights (``forward(x, return_attn_weights=True)``):
          ``(b, num_heads, num_tokens, num_tokens)``
    """

    # --8<-- [start:mha-init]
    def __init__(
        self,
        d_in: int,
        d_out: int,
        context_length: int,
        dropout: float,
        num_heads: int,
        qkv_bias: bool = False,
    ) -> None:
        super().__init__()
        check_args(d_in, d_out, context_length, dropout, num_heads, qkv_bias)
        self.d_out = d_out
        self.num_heads = num_heads
        self.head_dim = d_out // num_heads  # each head's share of d_out
        # one projection of width d_out each, split into heads in forward()
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)  # mixes the heads' outputs
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", causal_mask(context_length))

    # --8<-- [end:mha-init]
    # --8<-- [start:mha-forward]
    def forward(self, x, return_attn_weights=False):
        """Return the context vectors (and each head's weights if asked)."""
        check_input(x, "(b, num_tokens, d_in)", self)  # other x: a clear error
        b, num_tokens, _ = x.shape

        # 1) project: (b, num_tokens, d_in) -> (b, num_tokens, d_out)
        queries = self.W_query(x)
        keys = self.W_key(x)
        values = self.W_value(x)

        # 2) split the last dimension into heads:
        # (b, num_tokens, d_out) -> (b, num_tokens, num_heads, head_dim)
        #                        -> (b, num_heads, num_tokens, head_dim)
        heads = (b, num_tokens, self.num_heads, self.head_dim)
        queries = queries.view(heads).transpose(1, 2)
        keys = keys.view(heads).transpose(1, 2)
        values = values.view(heads).transpose(1, 2)

        # 3) attend in all heads at once: (b, num_heads, num_tokens, num_tokens);
        # the (num_tokens, num_tokens) mask broadcasts over b and num_heads
        attn_scores = queries @ keys.transpose(2, 3)
        attn_scores.masked_fill_(self.mask[:num_tokens, :num_tokens], -torch.inf)
        attn_weights = torch.softmax(attn_scores / self.head_dim**0.5, dim=-1)
        attn_weights = self.dropout(attn_weights)

        # 4) weight the values, then merge the heads into one vector per token:
        # (b, num_heads, num_tokens, head_dim)
        #   -> (b, num_tokens, num_heads, head_dim) -> (b, num_tokens, d_out)
        context_vec = (attn_weights @ values).transpose(1, 2)
        context_vec = context_vec.contiguous().view(b, num_tokens, self.d_out)

        # 5) mix the heads: (b, num_tokens, d_out) -> (b, num_tokens, d_out)
        context_vec = self.out_proj(context_vec)
        if return_attn_weights:  # for plots: each head's weights too
            return context_vec, attn_weights
        return context_vec

    # --8<-- [end:mha-forward]
