"""Beyond the chapter: multi-head latent attention (builds on 3.6.2 and the KV cache).

Multi-head latent attention (MLA, DeepSeek-V2, 2024; also DeepSeek-V3) shrinks the
key-value cache another way than grouped-query attention. Instead of sharing
heads, it compresses: every token is projected *down* to one small latent
vector ``c_kv`` of ``latent_dim`` numbers, and each head's keys and values are
projected back *up* from it. Only ``c_kv`` is cached, ``latent_dim`` numbers per
token and layer instead of ``2 * d_out``. At decode time the key up-projection
can be folded into the query, and the value up-projection applied after the
weighted sum, so the keys and values of the cached tokens are never rebuilt.

Not here: DeepSeek's decoupled rotary embeddings (a small extra key per token
that carries position, cached beside ``c_kv``) and its compression of the
queries. The package's modules have no positional encoding, so neither is needed
to show the idea.
"""

from __future__ import annotations

from typing import Literal, overload

import torch
from torch import nn

from llm_attention.beyond_kv_cache import (
    CacheProtocol,
    attend,
    begin_cached_call,
    merge_heads,
    new_cache,
)
from llm_attention.ch3_5_causal_attention import causal_mask
from llm_attention.checks import (
    check_bool,
    check_dropout,
    check_heads,
    check_positive_int,
    check_tokens,
)

__all__ = ["MultiHeadLatentAttention"]


class MultiHeadLatentAttention(CacheProtocol, nn.Module):
    """Causal multi-head attention whose keys and values come from one cached latent vector.

    Compared with [`MultiHeadAttention`][llm_attention.MultiHeadAttention], ``W_key`` and
    ``W_value`` are each replaced by two steps: ``W_kv_down`` (``d_in ->
    latent_dim``, shared by keys and values) makes the latent
    ``c_kv = x W_kv_down``, and ``W_key_up`` and ``W_value_up`` (``latent_dim ->
    d_out``, no bias) make every head's keys and values from it. For head ``h``,
    with ``U_h`` and ``W_h`` the rows of ``W_key_up.weight`` and
    ``W_value_up.weight`` that belong to it:

    ``K_h = c_kv U_h^T``, ``V_h = c_kv W_h^T``,
    ``head_h = dropout(softmax(mask(Q_h K_h^T) / sqrt(head_dim))) V_h``

    and the output is ``concat(head_1, ..., head_H) W_o + b_o``.

    The cache (``forward(x, use_cache=True)``,
    [`reset_cache`][llm_attention.beyond_kv_cache.CacheProtocol.reset_cache],
    [`cache_nbytes`][llm_attention.beyond_kv_cache.CacheProtocol.cache_nbytes]) holds only
    ``cache_c``, the latents of shape
    ``(b, context_length, latent_dim)``. A cached call has two equivalent forms:

    - ``absorb=True`` (the default): since ``Q_h K_h^T = (Q_h U_h) c_kv^T``, each
      query is mapped into the latent space once and scored against the cached
      latents directly, and the weighted latents are projected up by ``W_h``
      afterwards. No cached token's key or value is ever rebuilt.
    - ``absorb=False``: ``K`` and ``V`` of every cached token are rebuilt from the
      cache with the up-projections, as in the uncached forward.

    The uncached forward (training, prefill) builds keys and values explicitly.

    Note:
        A NaN or inf in any token's input makes the outputs of the earlier tokens NaN
        too. The mask gives the later token a weight of exactly 0, and ``0 * nan`` is
        NaN, not 0; PyTorch's ``scaled_dot_product_attention`` behaves the same way.
        Check ``torch.isfinite(x).all()`` first if the input may hold such values.

    Args:
        d_in: size of each input embedding.
        d_out: total output size of the queries (and of the output), split across the heads.
        context_length: the longest sequence the module accepts, cached tokens included.
        dropout: dropout probability on the attention weights, in ``[0, 1)``.
        num_heads: number of heads; must divide ``d_out``.
        latent_dim: width of the cached latent ``c_kv``, ``>= 1``.
        qkv_bias: add a bias to the query projection and the down-projection.

    Shape:
        - input ``x``: ``(b, num_tokens, d_in)``, or unbatched ``(num_tokens, d_in)``
        - output: ``(b, num_tokens, d_out)`` (or ``(num_tokens, d_out)``)
        - attention weights (``return_attn_weights=True``):
          ``(b, num_heads, num_tokens, num_tokens)`` without the cache,
          ``(b, num_heads, num_tokens, num_cached_tokens + num_tokens)`` with it
        - ``W_kv_down.weight``: ``(latent_dim, d_in)``; ``W_key_up.weight``,
          ``W_value_up.weight``: ``(d_out, latent_dim)``
        - ``cache_c``: ``(b, context_length, latent_dim)``, or ``None`` before the
          first cached call
    """

    mask: torch.Tensor
    _cache_buffers = ("cache_c",)
    cache_c: torch.Tensor | None

    def __init__(
        self,
        d_in: int,
        d_out: int,
        context_length: int,
        dropout: float,
        num_heads: int,
        latent_dim: int,
        qkv_bias: bool = False,
    ) -> None:
        super().__init__()
        self.d_in = check_positive_int("d_in", d_in)
        self.d_out = check_positive_int("d_out", d_out)
        self.context_length = check_positive_int("context_length", context_length)
        check_dropout(dropout)
        self.num_heads = check_positive_int("num_heads", num_heads)
        self.head_dim = check_heads(d_out, num_heads)
        self.latent_dim = check_positive_int("latent_dim", latent_dim)
        check_bool("qkv_bias", qkv_bias)
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_kv_down = nn.Linear(d_in, latent_dim, bias=qkv_bias)  # x -> c_kv, cached
        self.W_key_up = nn.Linear(latent_dim, d_out, bias=False)  # c_kv -> keys
        self.W_value_up = nn.Linear(latent_dim, d_out, bias=False)  # c_kv -> values
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", causal_mask(context_length))
        self.register_buffer("cache_c", None, persistent=False)
        self.num_cached_tokens = 0

    def _split(self, t: torch.Tensor) -> torch.Tensor:
        """``(b, num_tokens, d_out) -> (b, num_heads, num_tokens, head_dim)``."""
        b, num_tokens, _ = t.shape
        return t.view(b, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)

    @overload
    def forward(
        self,
        x: torch.Tensor,
        use_cache: bool = ...,
        *,
        absorb: bool = ...,
        return_attn_weights: Literal[False] = ...,
    ) -> torch.Tensor: ...
    @overload
    def forward(
        self,
        x: torch.Tensor,
        use_cache: bool = ...,
        *,
        absorb: bool = ...,
        return_attn_weights: Literal[True],
    ) -> tuple[torch.Tensor, torch.Tensor]: ...
    def forward(
        self,
        x: torch.Tensor,
        use_cache: bool = False,
        *,
        absorb: bool = True,
        return_attn_weights: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Return the context vectors (and each head's weights if asked).

        ``absorb`` chooses the form of a cached call (see the class); without the
        cache it has no effect.
        """
        check_bool("use_cache", use_cache)
        check_bool("absorb", absorb)
        check_bool("return_attn_weights", return_attn_weights)
        if use_cache:
            context_vec, attn_weights = self._cached_forward(x, absorb)
        else:
            context_vec, attn_weights = self._full_forward(x)
        if return_attn_weights:
            return context_vec, attn_weights
        return context_vec

    def _full_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        check_tokens(
            x, d_in=self.d_in, context_length=self.context_length, dtype=self.W_query.weight.dtype
        )
        unbatched = x.dim() == 2
        if unbatched:
            x = x.unsqueeze(0)
        num_tokens = x.shape[1]
        # 1) queries as in 3.6.2; keys and values through the latent:
        # (b, num_tokens, d_in) -> c_kv (b, num_tokens, latent_dim) -> (b, num_tokens, d_out)
        latent = self.W_kv_down(x)
        queries = self._split(self.W_query(x))
        keys = self._split(self.W_key_up(latent))
        values = self._split(self.W_value_up(latent))
        # 2) causal attention in every head, then merge and mix the heads
        mask = self.mask[:num_tokens].narrow_copy(1, 0, num_tokens)  # as in 3.5.3
        context, attn_weights = attend(queries, keys, values, mask, self.head_dim, self.dropout)
        return merge_heads(context, self.out_proj, attn_weights, unbatched)

    def _cached_forward(
        self, x: torch.Tensor, absorb: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x, unbatched, start = begin_cached_call(self, x, self.cache_c)
        b, num_tokens, _ = x.shape
        end = start + num_tokens

        # 1) cache only the latents: (b, num_tokens, latent_dim) -> cache (b, context_length, ...)
        latent = self.W_kv_down(x)
        if self.cache_c is None:
            self.cache_c = new_cache(latent, (b, self.context_length, self.latent_dim))
        self.cache_c[:, start:end] = latent
        self.num_cached_tokens = end
        cached = self.cache_c[:, :end]  # (b, end, latent_dim)
        queries = self._split(self.W_query(x))  # (b, num_heads, num_tokens, head_dim)
        blocked = self.mask[start:end, :end]

        if not absorb:
            # 2) rebuild every cached token's keys and values: (b, num_heads, end, head_dim)
            keys = self._split(self.W_key_up(cached))
            values = self._split(self.W_value_up(cached))
            context, attn_weights = attend(
                queries, keys, values, blocked, self.head_dim, self.dropout
            )
            return merge_heads(context, self.out_proj, attn_weights, unbatched)

        # 2) absorb the key up-projection into the query: q_h K_h^T = (q_h U_h) c_kv^T, with
        # U_h (head_dim, latent_dim) the head's rows of W_key_up.weight
        up_k = self.W_key_up.weight.view(self.num_heads, self.head_dim, self.latent_dim)
        up_v = self.W_value_up.weight.view(self.num_heads, self.head_dim, self.latent_dim)
        latent_queries = queries @ up_k  # (b, num_heads, num_tokens, latent_dim)
        shared = cached.unsqueeze(1)  # (b, 1, end, latent_dim): one latent for every head
        # 3) score against the latents, and weight the latents, not the values
        latent_context, attn_weights = attend(
            latent_queries, shared, shared, blocked, self.head_dim, self.dropout
        )
        # 4) the value up-projection after the weighted sum: (..., latent_dim) -> (..., head_dim)
        context = latent_context @ up_v.transpose(1, 2)
        return merge_heads(context, self.out_proj, attn_weights, unbatched)
