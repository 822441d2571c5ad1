"""Beyond the chapter: multi-head attention on PyTorch's fused kernel (builds on 3.6.2).

[`MultiHeadAttention`][llm_attention.MultiHeadAttention] spells out every step of attention:
it builds the full ``(num_tokens, num_tokens)`` score matrix per head, masks it,
runs softmax and multiplies by the values. PyTorch ships the same computation
as one function, ``torch.nn.functional.scaled_dot_product_attention``
(SDPA), which dispatches to fused kernels (FlashAttention-style on CPU and GPU)
that never store the whole weight matrix. This module swaps steps 3) and 4) of
the chapter's ``forward`` for that one call and keeps everything else, so the
two classes share their weights.
"""

from __future__ import annotations

from typing import Literal, NoReturn, overload

import torch
from torch.nn.functional import scaled_dot_product_attention

from llm_attention.ch3_6_multihead_attention import MultiHeadAttention
from llm_attention.checks import check_bool, check_tokens

__all__ = ["SDPAMultiHeadAttention"]


class SDPAMultiHeadAttention(MultiHeadAttention):
    """The chapter's ``MultiHeadAttention`` computed with ``scaled_dot_product_attention``.

    It exists to show that the chapter's hand-written attention and PyTorch's
    fused kernel are the same computation: the constructor, the parameters
    (``W_query``, ``W_key``, ``W_value``, ``out_proj``) and the ``mask`` buffer
    are inherited unchanged, so ``load_state_dict(mha.state_dict())`` works and
    gives the same outputs; only the attention step is one fused call. For each
    head ``h``:

    ``head_h = dropout(softmax(mask(Q_h K_h^T) / sqrt(head_dim))) V_h``

    computed by ``scaled_dot_product_attention(Q, K, V, is_causal=True)``, and
    the output is ``concat(head_1, ..., head_H) W_o + b_o``.

    Differences from [`MultiHeadAttention`][llm_attention.MultiHeadAttention]:

    - the attention weights are never materialised, so ``forward`` cannot return
      them; ``return_attn_weights=True`` raises ``ValueError`` (load the same
      ``state_dict`` into a [`MultiHeadAttention`][llm_attention.MultiHeadAttention] to look
      at them);
    - causality comes from ``is_causal=True``; the inherited ``mask`` buffer is
      kept only so the ``state_dict`` matches the chapter class;
    - in ``train()`` mode dropout is applied inside the kernel
      (``dropout_p=self.dropout.p``), with its own random numbers, so training
      outputs match the chapter class only in distribution; in ``eval()`` mode
      ``dropout_p`` is 0 and the outputs match to float32 rounding.

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
        - input ``x``: ``(b, num_tokens, d_in)``, or unbatched ``(num_tokens, d_in)``
        - output: ``(b, num_tokens, d_out)`` (or ``(num_tokens, d_out)``)
    """

    mask: torch.Tensor

    @overload
    def forward(
        self, x: torch.Tensor, return_attn_weights: Literal[False] = ...
    ) -> torch.Tensor: ...
    @overload
    def forward(self, x: torch.Tensor, return_attn_weights: Literal[True]) -> NoReturn: ...
    def forward(self, x: torch.Tensor, return_attn_weights: bool = False) -> torch.Tensor:
        """Return the context vectors; attention weights are not available here."""
        check_bool("return_attn_weights", return_attn_weights)
        if return_attn_weights:
            raise ValueError(
                "SDPAMultiHeadAttention cannot return attention weights: "
                "scaled_dot_product_attention never materialises them; load the same "
                "state_dict into MultiHeadAttention to inspect the weights"
            )
        check_tokens(
            x,
            d_in=self.W_query.in_features,
            context_length=int(self.mask.shape[0]),
            dtype=self.W_query.weight.dtype,
        )
        unbatched = x.dim() == 2
        if unbatched:
            x = x.unsqueeze(0)  # (num_tokens, d_in) -> (1, num_tokens, d_in)
        b, num_tokens, _ = x.shape

        # 1) project: (b, num_tokens, d_in) -> (b, num_tokens, d_out)
        keys: torch.Tensor = self.W_key(x)
        queries: torch.Tensor = self.W_query(x)
        values: torch.Tensor = self.W_value(x)

        # 2) split into heads:
        # (b, num_tokens, d_out) -> (b, num_tokens, num_heads, head_dim)
        #                        -> (b, num_heads, num_tokens, head_dim)
        keys = keys.view(b, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)
        queries = queries.view(b, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)
        values = values.view(b, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)

        # 3) + 4) attend and weight the values in one fused call; its default scale
        # is 1 / sqrt(head_dim), as in the chapter:
        # (b, num_heads, num_tokens, head_dim) -> (b, num_heads, num_tokens, head_dim)
        context_vec: torch.Tensor = scaled_dot_product_attention(
            queries,
            keys,
            values,
            dropout_p=self.dropout.p if self.training else 0.0,
            is_causal=True,
        )

        # merge the heads:
        # (b, num_heads, num_tokens, head_dim) -> (b, num_tokens, num_heads, head_dim)
        #                                     -> (b, num_tokens, d_out)
        context_vec = context_vec.transpose(1, 2).contiguous().view(b, num_tokens, self.d_out)
        # 5) mix the heads: (b, num_tokens, d_out) -> (b, num_tokens, d_out)
        context_vec = self.out_proj(context_vec)

        if unbatched:
            context_vec = context_vec.squeeze(0)
        return context_vec
