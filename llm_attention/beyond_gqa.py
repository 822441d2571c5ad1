"""Beyond the chapter: grouped-query attention and the size of the KV cache (builds on 3.6.2).

In [`MultiHeadAttention`][llm_attention.MultiHeadAttention] every head has its own keys and
values. When a model generates text it keeps them all in a key-value cache
([`KVCacheMultiHeadAttention`][llm_attention.KVCacheMultiHeadAttention]), and for long contexts that
cache, not the weights, fills the accelerator's memory. Grouped-query attention
(GQA, Ainslie et al., 2023, used by Llama 2 70B, Llama 3 and Mistral) lets
several query heads share one key/value head: ``num_kv_groups`` key/value
heads instead of ``num_heads``, which shrinks the cache by
``num_heads / num_kv_groups``. With one group it is multi-query attention
(MQA, Shazeer, 2019). [`kv_cache_bytes`][llm_attention.kv_cache_bytes] does the arithmetic.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from llm_attention.caching_attention import CachingAttention
from llm_attention.checks import check_kv_groups, check_positive_int

__all__ = ["GroupedQueryAttention", "compare_kv_cache_bytes", "kv_cache_bytes"]


class GroupedQueryAttention(CachingAttention):
    """Causal multi-head attention whose key/value heads are shared by groups of query heads.

    It exists to show how modern LLMs cut the memory of the KV cache: compared
    with [`MultiHeadAttention`][llm_attention.MultiHeadAttention], ``W_key`` and ``W_value``
    project to only ``num_kv_groups * head_dim`` features, and each of those
    ``num_kv_groups`` key/value heads serves ``group_size = num_heads //
    num_kv_groups`` consecutive query heads. For query head ``h`` with group
    ``g = h // group_size``:

    ``head_h = dropout(softmax(mask(Q_h K_g^T) / sqrt(head_dim))) V_g``

    and the output is ``concat(head_1, ..., head_H) W_o + b_o``. With
    ``num_kv_groups == num_heads`` this is exactly
    [`MultiHeadAttention`][llm_attention.MultiHeadAttention] (same parameter names and
    shapes, so ``load_state_dict(mha.state_dict())`` works); with
    ``num_kv_groups == 1`` it is multi-query attention.

    It is [`CachingAttention`][llm_attention.caching_attention.CachingAttention] with
    narrower key/value projections: it overrides how keys and values are made (one head per
    group, shared by its query heads), what the cache holds (only the groups) and how the
    cached attention reads them (each group's query heads as extra rows of one query, so
    the cached keys are read once, not copied ``group_size`` times). The cache protocol,
    the dtype rule and the rest are the base's.

    Note:
        A NaN or inf in one token's input reaches the outputs of the earlier tokens too:
        see the note of [`AttentionBase`][llm_attention.caching_attention.AttentionBase].

    Args:
        d_in: size of each input embedding.
        d_out: total output size of the queries (and of the output), split across the heads.
        context_length: the longest sequence the module accepts.
        dropout: dropout probability on the attention weights, in ``[0, 1)``.
        num_heads: number of query heads; must divide ``d_out``.
        num_kv_groups: number of key/value heads, ``>= 1``; must divide ``num_heads``.
        qkv_bias: add a bias to the query, key and value projections.

    Shape:
        - input ``x``: ``(b, num_tokens, d_in)``, or unbatched ``(num_tokens, d_in)``
        - output: ``(b, num_tokens, d_out)`` (or ``(num_tokens, d_out)``)
        - attention weights (``return_attn_weights=True``):
          ``(b, num_heads, num_tokens, num_tokens)`` (or ``(num_heads, ...)``)
        - ``W_key.weight``, ``W_value.weight``: ``(num_kv_groups * head_dim, d_in)``
        - ``cache_k``, ``cache_v``: ``(b, num_kv_groups, context_length, head_dim)``,
          or ``None`` before the first cached call; with the cache, the attention
          weights are ``(b, num_heads, num_tokens, num_cached_tokens + num_tokens)``
    """

    cache_k: torch.Tensor | None
    cache_v: torch.Tensor | None

    def __init__(
        self,
        d_in: int,
        d_out: int,
        context_length: int,
        dropout: float,
        num_heads: int,
        num_kv_groups: int,
        qkv_bias: bool = False,
    ) -> None:
        # the variant's own argument, checked and kept before the base builds the projections
        self.num_kv_groups = check_positive_int("num_kv_groups", num_kv_groups)
        super().__init__(d_in, d_out, context_length, dropout, num_heads, qkv_bias)

    def _build_key_value(self, qkv_bias: bool) -> None:
        """``W_key`` and ``W_value``: ``d_in -> num_kv_groups * head_dim``."""
        self.group_size = check_kv_groups(self.num_heads, self.num_kv_groups)
        width = self.num_kv_groups * self.head_dim
        self.W_key = nn.Linear(self.d_in, width, bias=qkv_bias)
        self.W_value = nn.Linear(self.d_in, width, bias=qkv_bias)

    def _keys_values(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One key/value head per group, shared by its query heads (``g = h // group_size``)."""
        # (b, num_tokens, num_kv_groups * head_dim) -> (b, num_kv_groups, num_tokens, head_dim)
        keys, values = self._cache_entries(x)
        # -> (b, num_heads, num_tokens, head_dim)
        keys = keys.repeat_interleave(self.group_size, dim=1)
        values = values.repeat_interleave(self.group_size, dim=1)
        return keys, values

    def _cache_shape(self, batch_size: int) -> tuple[int, ...]:
        """Only the groups are cached: ``(b, num_kv_groups, context_length, head_dim)``."""
        return (batch_size, self.num_kv_groups, self.context_length, self.head_dim)

    def _cache_entries(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Keys and values of the new tokens, one head per group."""
        groups = self.num_kv_groups
        return self._split_heads(self.W_key(x), groups), self._split_heads(self.W_value(x), groups)

    def _attend_cached(
        self,
        queries: torch.Tensor,
        cached: tuple[torch.Tensor, ...],
        blocked: torch.Tensor,
        **options: Any,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """A group's query heads (``h = g * group_size + i``) become extra rows of one query."""
        keys, values = cached  # (b, num_kv_groups, end, head_dim)
        b, _, num_tokens, head_dim = queries.shape
        end = keys.shape[-2]
        # (b, num_heads, num_tokens, head_dim) -> (b, num_kv_groups, group_size * num_tokens, ...)
        stacked = queries.reshape(b, self.num_kv_groups, self.group_size * num_tokens, head_dim)
        rows = blocked.repeat(self.group_size, 1)  # the same rows for every head of a group
        context, attn_weights = self._attend(stacked, keys, values, rows)
        assert attn_weights is not None
        # back to one row per query head
        context = context.view(b, self.num_heads, num_tokens, head_dim)
        return context, attn_weights.view(b, self.num_heads, num_tokens, end)


def kv_cache_bytes(
    *,
    num_layers: int,
    context_length: int,
    batch_size: int,
    num_kv_heads: int | None = None,
    head_dim: int | None = None,
    latent_dim: int | None = None,
    bytes_per_element: int = 2,
) -> int:
    """Memory of a full key-value cache, in bytes.

    For attention that caches keys and values (multi-head, grouped-query,
    sliding-window), pass ``num_kv_heads`` and ``head_dim``:

    ``2 * num_layers * batch_size * context_length * num_kv_heads * head_dim * bytes_per_element``

    The leading 2 counts keys and values. Every layer caches, for every
    sequence in the batch and every position, one key and one value vector of
    ``head_dim`` numbers per key/value head. Pass ``num_kv_heads=num_heads``
    for multi-head attention, ``num_kv_groups`` for grouped-query attention,
    and, for sliding-window attention, only the ``window_size`` positions it
    keeps as ``context_length``.

    For multi-head latent attention, which caches one latent vector per token
    and layer instead, pass ``latent_dim`` (and neither of the other two):

    ``num_layers * batch_size * context_length * latent_dim * bytes_per_element``

    Example: GPT-2 small (12 layers, 12 heads of 64, 1024 tokens) in 16-bit
    floats needs ``2 * 12 * 1 * 1024 * 12 * 64 * 2 = 37_748_736`` bytes (36 MiB)
    per sequence.

    Args:
        num_layers: number of transformer blocks, each with its own cache.
        context_length: number of cached positions.
        batch_size: number of sequences cached side by side.
        num_kv_heads: number of key/value heads per layer.
        head_dim: size of each key and value vector.
        latent_dim: size of the cached latent vector (multi-head latent attention).
        bytes_per_element: 2 for float16/bfloat16, 4 for float32.

    Returns:
        The cache size in bytes.
    """
    factors: dict[str, object] = {
        "num_layers": num_layers,
        "context_length": context_length,
        "batch_size": batch_size,
        "bytes_per_element": bytes_per_element,
    }
    if latent_dim is not None:
        if num_kv_heads is not None or head_dim is not None:
            raise ValueError(
                "pass either latent_dim (multi-head latent attention) or num_kv_heads and "
                "head_dim (attention that caches keys and values), not both"
            )
        factors["latent_dim"] = latent_dim
        size = 1  # one latent vector per token
    else:
        if num_kv_heads is None or head_dim is None:
            raise TypeError(
                "kv_cache_bytes needs num_kv_heads and head_dim, or latent_dim for "
                "multi-head latent attention"
            )
        factors["num_kv_heads"] = num_kv_heads
        factors["head_dim"] = head_dim
        size = 2  # keys and values
    for name, value in factors.items():
        size *= check_positive_int(name, value)
    return size


def compare_kv_cache_bytes(
    *,
    num_layers: int,
    num_heads: int,
    head_dim: int,
    context_length: int,
    num_kv_groups: int,
    window_size: int,
    batch_size: int = 1,
    bytes_per_element: int = 2,
) -> dict[str, int]:
    """KV-cache bytes of one model shape under four attention variants.

    Takes a model shape as keywords, so a dict works too:
    ``compare_kv_cache_bytes(**shape)``. Each value is
    [`kv_cache_bytes`][llm_attention.kv_cache_bytes] with

    - ``"MultiHeadAttention"``: ``num_heads`` key/value heads, ``context_length`` positions;
    - ``"GroupedQueryAttention"``: ``num_kv_groups`` heads, ``context_length`` positions;
    - ``"SlidingWindowAttention"``: ``num_heads`` heads,
      ``min(window_size, context_length)`` positions (older ones are never
      attended to again, so the cache drops them);
    - ``"GroupedQueryAttention + sliding window"``: ``num_kv_groups`` heads and
      the window, as in Mistral 7B.

    Args:
        num_layers: number of transformer blocks.
        num_heads: number of query heads per layer.
        head_dim: size of each key and value vector.
        context_length: the longest sequence the model processes.
        num_kv_groups: key/value heads per layer under grouped-query attention;
            must divide ``num_heads``.
        window_size: the attention window of sliding-window attention.
        batch_size: number of sequences cached side by side.
        bytes_per_element: 2 for float16/bfloat16, 4 for float32.

    Returns:
        A dict from variant name to cache size in bytes, in the order above.
    """
    num_heads = check_positive_int("num_heads", num_heads)
    check_kv_groups(num_heads, check_positive_int("num_kv_groups", num_kv_groups))
    context_length = check_positive_int("context_length", context_length)
    window = min(check_positive_int("window_size", window_size), context_length)
    shape = {
        "num_layers": num_layers,
        "batch_size": batch_size,
        "head_dim": head_dim,
        "bytes_per_element": bytes_per_element,
    }
    return {
        "MultiHeadAttention": kv_cache_bytes(
            num_kv_heads=num_heads, context_length=context_length, **shape
        ),
        "GroupedQueryAttention": kv_cache_bytes(
            num_kv_heads=num_kv_groups, context_length=context_length, **shape
        ),
        "SlidingWindowAttention": kv_cache_bytes(
            num_kv_heads=num_heads, context_length=window, **shape
        ),
        "GroupedQueryAttention + sliding window": kv_cache_bytes(
            num_kv_heads=num_kv_groups, context_length=window, **shape
        ),
    }
