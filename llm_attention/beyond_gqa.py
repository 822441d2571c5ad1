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
    check_kv_groups,
    check_positive_int,
    check_tokens,
)

__all__ = ["GroupedQueryAttention", "compare_kv_cache_bytes", "kv_cache_bytes"]


class GroupedQueryAttention(CacheProtocol, nn.Module):
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

    Note:
        A NaN or inf in any token's input makes the outputs of the earlier tokens NaN
        too. The mask gives the later token a weight of exactly 0, and ``0 * nan`` is
        NaN, not 0; PyTorch's ``scaled_dot_product_attention`` behaves the same way.
        Check ``torch.isfinite(x).all()`` first if the input may hold such values.

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

    mask: torch.Tensor
    _cache_buffers = ("cache_k", "cache_v")
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
        super().__init__()
        self.d_in = check_positive_int("d_in", d_in)
        self.d_out = check_positive_int("d_out", d_out)
        self.context_length = check_positive_int("context_length", context_length)
        check_dropout(dropout)
        self.num_heads = check_positive_int("num_heads", num_heads)
        self.head_dim = check_heads(d_out, num_heads)
        self.num_kv_groups = check_positive_int("num_kv_groups", num_kv_groups)
        self.group_size = check_kv_groups(num_heads, num_kv_groups)
        check_bool("qkv_bias", qkv_bias)
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, num_kv_groups * self.head_dim, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, num_kv_groups * self.head_dim, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", causal_mask(context_length))
        self.register_buffer("cache_k", None, persistent=False)
        self.register_buffer("cache_v", None, persistent=False)
        self.num_cached_tokens = 0

    def _full_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``forward(x)``: causal attention over ``x``'s tokens, no cache."""
        check_tokens(
            x, d_in=self.d_in, context_length=self.context_length, dtype=self.W_query.weight.dtype
        )
        unbatched = x.dim() == 2
        if unbatched:
            x = x.unsqueeze(0)  # (num_tokens, d_in) -> (1, num_tokens, d_in)
        b, num_tokens, _ = x.shape

        # 1) project: queries (b, num_tokens, d_in) -> (b, num_tokens, d_out);
        # keys and values (b, num_tokens, d_in) -> (b, num_tokens, num_kv_groups * head_dim)
        queries: torch.Tensor = self.W_query(x)
        keys: torch.Tensor = self.W_key(x)
        values: torch.Tensor = self.W_value(x)

        # 2) split into heads:
        # (b, num_tokens, d_out) -> (b, num_heads, num_tokens, head_dim)
        queries = queries.view(b, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)
        # (b, num_tokens, num_kv_groups * head_dim) -> (b, num_kv_groups, num_tokens, head_dim)
        keys = keys.view(b, num_tokens, self.num_kv_groups, self.head_dim).transpose(1, 2)
        values = values.view(b, num_tokens, self.num_kv_groups, self.head_dim).transpose(1, 2)

        # 2b) share each key/value head with its group of query heads, g = h // group_size:
        # (b, num_kv_groups, num_tokens, head_dim) -> (b, num_heads, num_tokens, head_dim)
        keys = keys.repeat_interleave(self.group_size, dim=1)
        values = values.repeat_interleave(self.group_size, dim=1)

        # 3) attend in every head at once: (b, num_heads, num_tokens, num_tokens)
        attn_scores = queries @ keys.transpose(2, 3)
        # mask[:num_tokens, :num_tokens], its columns copied so that torch.export can keep
        # num_tokens dynamic (3.5.3); in place, as in the book: attn_scores is a fresh tensor
        mask = self.mask[:num_tokens].narrow_copy(1, 0, num_tokens)
        attn_scores.masked_fill_(mask, -torch.inf)
        attn_weights = torch.softmax(attn_scores / self.head_dim**0.5, dim=-1)
        attn_weights = self.dropout(attn_weights)

        # 4) weight the values and merge the heads:
        # (b, num_heads, num_tokens, head_dim) -> (b, num_tokens, num_heads, head_dim)
        #                                     -> (b, num_tokens, d_out)
        context_vec = (attn_weights @ values).transpose(1, 2)
        context_vec = context_vec.contiguous().view(b, num_tokens, self.d_out)
        # 5) mix the heads: (b, num_tokens, d_out) -> (b, num_tokens, d_out)
        context_vec = self.out_proj(context_vec)

        if unbatched:
            context_vec, attn_weights = context_vec.squeeze(0), attn_weights.squeeze(0)
        return context_vec, attn_weights

    def _cached_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``forward(x, use_cache=True)``: the new tokens attend to the cached groups."""
        x, unbatched, start = begin_cached_call(self, x, self.cache_k)
        b, num_tokens, _ = x.shape
        end = start + num_tokens
        groups, size = self.num_kv_groups, self.group_size

        # 1) project the new tokens and 2) split them into heads: queries
        # (b, num_heads, num_tokens, head_dim), keys and values (b, num_kv_groups, ...)
        queries = self.W_query(x).view(b, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)
        keys = self.W_key(x).view(b, num_tokens, groups, self.head_dim).transpose(1, 2)
        values = self.W_value(x).view(b, num_tokens, groups, self.head_dim).transpose(1, 2)

        # 2b) cache only the groups: (b, num_kv_groups, context_length, head_dim)
        if self.cache_k is None or self.cache_v is None:
            cache_shape = (b, groups, self.context_length, self.head_dim)
            self.cache_k = new_cache(keys, cache_shape)
            self.cache_v = new_cache(values, cache_shape)
        self.cache_k[:, :, start:end] = keys
        self.cache_v[:, :, start:end] = values
        self.num_cached_tokens = end

        # 3) a group's query heads (h = g * group_size + i) become extra rows of one query:
        # (b, num_heads, num_tokens, head_dim) -> (b, num_kv_groups, group_size * num_tokens, ...)
        # so each group's cached keys are read once, not copied group_size times
        stacked = queries.reshape(b, groups, size * num_tokens, self.head_dim)
        blocked = self.mask[start:end, :end].repeat(size, 1)  # the same rows for every head
        context, attn_weights = attend(
            stacked,
            self.cache_k[:, :, :end],
            self.cache_v[:, :, :end],
            blocked,
            self.head_dim,
            self.dropout,
        )
        # 4) back to one row per query head, then merge and mix the heads
        context = context.view(b, self.num_heads, num_tokens, self.head_dim)
        attn_weights = attn_weights.view(b, self.num_heads, num_tokens, end)
        return merge_heads(context, self.out_proj, attn_weights, unbatched)


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
