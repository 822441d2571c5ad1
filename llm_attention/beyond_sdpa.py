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

from llm_attention.caching_attention import AttentionBase
from llm_attention.checks import check_bool

__all__ = ["SDPAMultiHeadAttention"]


class SDPAMultiHeadAttention(AttentionBase):
    """The chapter's ``MultiHeadAttention`` computed with ``scaled_dot_product_attention``.

    It exists to show that the chapter's hand-written attention and PyTorch's
    fused kernel are the same computation: the constructor arguments, the parameters
    (``W_query``, ``W_key``, ``W_value``, ``out_proj``) and the ``mask`` buffer
    are the chapter's, so ``load_state_dict(mha.state_dict())`` works and
    gives the same outputs; only the attention step is one fused call. It is
    [`AttentionBase`][llm_attention.caching_attention.AttentionBase] with that one step
    overridden. For each
    head ``h``:

    ``head_h = dropout(softmax(mask(Q_h K_h^T) / sqrt(head_dim))) V_h``

    computed by ``scaled_dot_product_attention(Q, K, V, is_causal=True)``, and
    the output is ``concat(head_1, ..., head_H) W_o + b_o``.

    Differences from [`MultiHeadAttention`][llm_attention.MultiHeadAttention]:

    - the attention weights are never materialised, so ``forward`` cannot return
      them; ``return_attn_weights=True`` raises ``ValueError`` (load the same
      ``state_dict`` into a [`MultiHeadAttention`][llm_attention.MultiHeadAttention] to look
      at them);
    - causality comes from ``is_causal=True``; the ``mask`` buffer is
      kept only so the ``state_dict`` matches the chapter class;
    - it has no key-value cache: a cached call returns the attention weights on request
      (the cache protocol of
      [`CachingAttention`][llm_attention.caching_attention.CachingAttention]), and a
      fused kernel has none to return;
    - in ``train()`` mode dropout is applied inside the kernel
      (``dropout_p=self.dropout.p``), with its own random numbers, so training
      outputs match the chapter class only in distribution; in ``eval()`` mode
      ``dropout_p`` is 0 and the outputs match to float32 rounding.

    Note:
        A NaN or inf in one token's input reaches the outputs of the earlier tokens too:
        see the note of [`AttentionBase`][llm_attention.caching_attention.AttentionBase].

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
        context_vec, _ = self._full_forward(x)
        return context_vec

    def _attend(
        self,
        queries: torch.Tensor,
        keys: torch.Tensor,
        values: torch.Tensor,
        blocked: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Steps 3 and 4 in one fused call, which never materialises the weights.

        ``blocked`` is the causal mask of ``x``'s tokens; the kernel makes it itself
        (``is_causal=True``). Its default scale is ``1 / sqrt(head_dim)``, as in the chapter.
        """
        context: torch.Tensor = scaled_dot_product_attention(
            queries,
            keys,
            values,
            dropout_p=self.dropout.p if self.training else 0.0,
            is_causal=True,
        )
        return context, None
