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

from typing import Any, Literal, overload

import torch
from torch import nn

from llm_attention.caching_attention import CachingAttention
from llm_attention.checks import check_bool, check_positive_int

__all__ = ["MultiHeadLatentAttention"]


class MultiHeadLatentAttention(CachingAttention):
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
    [`reset_cache`][llm_attention.caching_attention.CachingAttention.reset_cache],
    [`cache_nbytes`][llm_attention.caching_attention.CachingAttention.cache_nbytes]) holds only
    ``cache_c``, the latents of shape
    ``(b, context_length, latent_dim)``. A cached call has two equivalent forms:

    - ``absorb=True`` (the default): since ``Q_h K_h^T = (Q_h U_h) c_kv^T``, each
      query is mapped into the latent space once and scored against the cached
      latents directly, and the weighted latents are projected up by ``W_h``
      afterwards. No cached token's key or value is ever rebuilt.
    - ``absorb=False``: ``K`` and ``V`` of every cached token are rebuilt from the
      cache with the up-projections, as in the uncached forward.

    The uncached forward (training, prefill) builds keys and values explicitly.

    It is [`CachingAttention`][llm_attention.caching_attention.CachingAttention] with other
    key and value projections: it overrides how keys and values are made, what the cache
    holds (the latents) and how the cached attention reads them (the two forms above).
    The cache protocol, the dtype rule and the rest are the base's.

    Note:
        A NaN or inf in one token's input reaches the outputs of the earlier tokens too:
        see the note of [`AttentionBase`][llm_attention.caching_attention.AttentionBase].

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
        # the variant's own argument, checked and kept before the base builds the projections
        self.latent_dim = check_positive_int("latent_dim", latent_dim)
        super().__init__(d_in, d_out, context_length, dropout, num_heads, qkv_bias)

    def _build_key_value(self, qkv_bias: bool) -> None:
        """``W_kv_down``: ``d_in -> latent_dim``; ``W_key_up``, ``W_value_up``: ``-> d_out``."""
        self.W_kv_down = nn.Linear(self.d_in, self.latent_dim, bias=qkv_bias)  # x -> c_kv, cached
        self.W_key_up = nn.Linear(self.latent_dim, self.d_out, bias=False)  # c_kv -> keys
        self.W_value_up = nn.Linear(self.latent_dim, self.d_out, bias=False)  # c_kv -> values

    def _keys_values(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Through the latent: ``(b, n, d_in) -> c_kv (b, n, latent_dim) -> (b, n, d_out)``."""
        latent = self.W_kv_down(x)
        return self._split_heads(self.W_key_up(latent)), self._split_heads(self.W_value_up(latent))

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
        check_bool("absorb", absorb)
        return self._forward(x, use_cache, return_attn_weights, absorb=absorb)

    def _cache_shape(self, batch_size: int) -> tuple[int, ...]:
        """Only the latents are cached: ``(b, context_length, latent_dim)``."""
        return (batch_size, self.context_length, self.latent_dim)

    def _cache_entries(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The new tokens' latents ``c_kv``: ``(b, num_tokens, latent_dim)``."""
        return (self.W_kv_down(x),)

    def _attend_cached(
        self,
        queries: torch.Tensor,
        cached: tuple[torch.Tensor, ...],
        blocked: torch.Tensor,
        absorb: bool = True,
        **options: Any,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend over the cached latents ``(b, end, latent_dim)``, absorbed or rebuilt."""
        (latents,) = cached
        if not absorb:
            # rebuild every cached token's keys and values: (b, num_heads, end, head_dim)
            keys = self._split_heads(self.W_key_up(latents))
            values = self._split_heads(self.W_value_up(latents))
            context, attn_weights = self._attend(queries, keys, values, blocked)
            assert attn_weights is not None
            return context, attn_weights
        # absorb the key up-projection into the query: q_h K_h^T = (q_h U_h) c_kv^T, with
        # U_h (head_dim, latent_dim) the head's rows of W_key_up.weight
        up_k = self.W_key_up.weight.view(self.num_heads, self.head_dim, self.latent_dim)
        up_v = self.W_value_up.weight.view(self.num_heads, self.head_dim, self.latent_dim)
        latent_queries = queries @ up_k  # (b, num_heads, num_tokens, latent_dim)
        shared = latents.unsqueeze(1)  # (b, 1, end, latent_dim): one latent for every head
        # score against the latents, and weight the latents, not the values
        latent_context, attn_weights = self._attend(latent_queries, shared, shared, blocked)
        assert attn_weights is not None
        # the value up-projection after the weighted sum: (..., latent_dim) -> (..., head_dim)
        return latent_context @ up_v.transpose(1, 2), attn_weights
