"""The base of the attention classes beyond the chapter: 3.6.2's steps, with override points.

[`AttentionBase`][llm_attention.caching_attention.AttentionBase] writes the chapter's
[`MultiHeadAttention`][llm_attention.MultiHeadAttention] once, as numbered steps that a
variant can replace one at a time: the argument checks, the ``mask`` buffer, splitting and
merging the heads and the attention step itself.
[`CachingAttention`][llm_attention.caching_attention.CachingAttention] adds the key-value
cache that text generation needs: ``forward(x, use_cache=True)``, ``reset_cache()``,
``cache_nbytes()`` and ``num_cached_tokens``, the bookkeeping, the inference-only guard and
the dtype rule. Each class beyond the chapter overrides only what makes it different:

- [`KVCacheMultiHeadAttention`][llm_attention.KVCacheMultiHeadAttention]: nothing;
- [`GroupedQueryAttention`][llm_attention.GroupedQueryAttention]: fewer key/value heads, shared
  by groups of query heads;
- [`SlidingWindowAttention`][llm_attention.SlidingWindowAttention]: a band as the mask, and a
  rolling buffer as the cache;
- [`MultiHeadLatentAttention`][llm_attention.MultiHeadLatentAttention]: keys and values made
  from one cached latent vector;
- [`SDPAMultiHeadAttention`][llm_attention.SDPAMultiHeadAttention]: the attention step, on
  PyTorch's fused kernel (it does not cache).

A new variant subclasses one of the two and overrides the methods its docstring names.
"""

from __future__ import annotations

from typing import Any, Literal, overload

import torch
from torch import nn

from llm_attention.ch3_5_causal_attention import causal_mask
from llm_attention.checks import check_args, check_bool, check_tokens

__all__ = ["AttentionBase", "CachingAttention"]


class AttentionBase(nn.Module):
    """Causal multi-head attention as in 3.6.2, written once, with override points.

    The constructor takes the chapter's arguments and checks them as
    [`MultiHeadAttention`][llm_attention.MultiHeadAttention] does; it builds ``W_query``,
    the key and value projections (``_build_key_value``), ``out_proj``, ``dropout`` and
    the ``mask`` buffer (``_build_mask``), in the chapter's order, so the parameter and
    buffer names, and the ``state_dict`` keys, are the chapter's. ``_full_forward`` runs
    the chapter's steps:

    1. project the queries, ``W_query(x)``, and split them into heads (``_split_heads``);
    2. make each head's keys and values (``_keys_values``);
    3. attend (``_attend``): masked, scaled softmax of ``Q K^T``, dropout, then the
       weighted values (steps 3 and 4 of 3.6.2);
    4. merge the heads and mix them with ``out_proj`` (``_merge_heads``, step 5 of 3.6.2).

    Unlike the chapter's class, ``x`` may also be one unbatched sequence, and the mask is
    sliced with ``narrow_copy``, so ``torch.export`` can keep ``num_tokens`` dynamic.

    Note:
        A NaN or inf in any token's input makes the outputs of the earlier tokens NaN too,
        in this class and in every class built on it. The mask gives the later token a
        weight of exactly 0, and ``0 * nan`` is NaN, not 0; PyTorch's
        ``scaled_dot_product_attention`` behaves the same way. Check
        ``torch.isfinite(x).all()`` first if the input may hold such values.

    Args:
        d_in: size of each input embedding.
        d_out: total output size of the queries (and of the output), split across the heads.
        context_length: the longest sequence the module accepts.
        dropout: dropout probability on the attention weights, in ``[0, 1)``.
        num_heads: number of (query) heads; must divide ``d_out``.
        qkv_bias: add a bias to the query, key and value projections.

    Shape:
        - input ``x``: ``(b, num_tokens, d_in)``, or unbatched ``(num_tokens, d_in)``
        - output: ``(b, num_tokens, d_out)`` (or ``(num_tokens, d_out)``)
        - attention weights: ``(b, num_heads, num_tokens, num_tokens)``
          (or ``(num_heads, ...)``)
    """

    mask: torch.Tensor
    #: whether ``mask`` is saved in the ``state_dict`` (the chapter's causal mask is)
    _mask_in_state_dict = True

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
        self.d_in = d_in
        self.d_out = d_out
        self.context_length = context_length
        self.num_heads = num_heads
        self.head_dim = d_out // num_heads  # each head's share of d_out
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self._build_key_value(qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)  # mixes the heads' outputs
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", self._build_mask(), persistent=self._mask_in_state_dict)

    # ------------------------------------------------------------ override points
    def _build_key_value(self, qkv_bias: bool) -> None:
        """Create the key and value projections: ``W_key`` and ``W_value``, ``d_in -> d_out``."""
        self.W_key = nn.Linear(self.d_in, self.d_out, bias=qkv_bias)
        self.W_value = nn.Linear(self.d_in, self.d_out, bias=qkv_bias)

    def _build_mask(self) -> torch.Tensor:
        """The ``(context_length, context_length)`` mask, ``True`` where blocked: causal."""
        return causal_mask(self.context_length)

    def _keys_values(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Step 2, uncached: keys and values, ``(b, num_heads, num_tokens, head_dim)``."""
        return self._split_heads(self.W_key(x)), self._split_heads(self.W_value(x))

    def _attend(
        self,
        queries: torch.Tensor,
        keys: torch.Tensor,
        values: torch.Tensor,
        blocked: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Steps 3 and 4a: ``(weights @ values, weights)``.

        ``blocked`` (``True`` = hidden) broadcasts against the scores
        ``(..., num_queries, num_keys)``; ``None`` when every key is visible.
        """
        attn_weights = self._attention_weights(queries @ keys.transpose(-2, -1), blocked)
        return attn_weights @ values, attn_weights

    # ------------------------------------------------------------ the shared steps
    def _attention_weights(
        self, attn_scores: torch.Tensor, blocked: torch.Tensor | None
    ) -> torch.Tensor:
        """Step 3: mask the scores, scale them, softmax, dropout."""
        if blocked is not None:
            attn_scores.masked_fill_(blocked, -torch.inf)  # in place, as in 3.6.2: a fresh tensor
        attn_weights: torch.Tensor = torch.softmax(attn_scores / self.head_dim**0.5, dim=-1)
        dropped: torch.Tensor = self.dropout(attn_weights)
        return dropped

    def _split_heads(self, t: torch.Tensor, num_heads: int | None = None) -> torch.Tensor:
        """Step 2: ``(b, num_tokens, heads * head_dim) -> (b, heads, num_tokens, head_dim)``.

        ``num_heads`` defaults to the module's (query) heads.
        """
        b, num_tokens, _ = t.shape
        heads = self.num_heads if num_heads is None else num_heads
        return t.view(b, num_tokens, heads, self.head_dim).transpose(1, 2)

    def _merge_heads(
        self, context: torch.Tensor, attn_weights: torch.Tensor | None, unbatched: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Steps 4b and 5: ``(b, num_heads, n, head_dim) -> (b, n, d_out)``, then ``out_proj``.

        Drops the batch dimension of both outputs again when the input was unbatched.
        """
        b, num_heads, num_tokens, head_dim = context.shape
        merged = context.transpose(1, 2).contiguous().view(b, num_tokens, num_heads * head_dim)
        out: torch.Tensor = self.out_proj(merged)
        if unbatched:
            out = out.squeeze(0)
            attn_weights = None if attn_weights is None else attn_weights.squeeze(0)
        return out, attn_weights

    def _check_x(self, x: torch.Tensor) -> tuple[torch.Tensor, bool]:
        """Check ``x`` (shape, dtype, length); return it batched, and whether it was not."""
        dtype = self.W_query.weight.dtype
        check_tokens(x, d_in=self.d_in, context_length=self.context_length, dtype=dtype)
        unbatched = x.dim() == 2
        if unbatched:
            x = x.unsqueeze(0)  # (num_tokens, d_in) -> (1, num_tokens, d_in)
        return x, unbatched

    def _full_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``forward(x)``: attention over ``x``'s tokens alone; context and weights."""
        x, unbatched = self._check_x(x)
        num_tokens = x.shape[1]
        queries = self._split_heads(self.W_query(x))  # 1) (b, num_heads, num_tokens, head_dim)
        keys, values = self._keys_values(x)  # 2)
        # mask[:num_tokens, :num_tokens], its columns copied so that torch.export can keep
        # num_tokens dynamic (3.5.3)
        blocked = self.mask[:num_tokens].narrow_copy(1, 0, num_tokens)
        context, attn_weights = self._attend(queries, keys, values, blocked)  # 3) and 4)
        return self._merge_heads(context, attn_weights, unbatched)  # 5)


def _new_cache(like: torch.Tensor, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """An empty cache tensor on ``like``'s device.

    It is a normal tensor even under ``inference_mode``, so that later steps may run
    under ``no_grad`` (an inference tensor cannot be updated outside inference_mode).
    """
    with torch.inference_mode(False):
        return like.new_empty(shape, dtype=dtype)


class CachingAttention(AttentionBase):
    """[`AttentionBase`][llm_attention.caching_attention.AttentionBase] with a key-value cache.

    The cache protocol is the book's: ``forward(x, use_cache=False)`` and
    [`reset_cache`][llm_attention.caching_attention.CachingAttention.reset_cache], plus
    [`cache_nbytes`][llm_attention.caching_attention.CachingAttention.cache_nbytes] and
    ``num_cached_tokens``, the positions fed since the last reset (for a rolling buffer,
    more than the buffer holds). With ``use_cache=True``, ``x`` continues the cached
    sequence: its tokens take the positions ``start .. end - 1``, with ``start =
    num_cached_tokens``; without it the module attends over ``x``'s tokens alone and
    leaves the cache untouched.

    The cache tensors are named in ``_cache_buffers``; each is a non-persistent buffer
    that is ``None`` until the first cached call allocates it at its full size, so
    ``.to()`` moves it and ``state_dict`` leaves it out. A cached call:

    1. checks everything (``x``, the room left, the batch size, no autograd);
    2. projects the queries, and the new tokens' entries of the cache
       (``_cache_entries``: keys and values, or what the variant caches);
    3. attends from the new queries to the cached positions and the new ones
       (``_cached_attention``; by default it writes the entries into the free positions
       ``start .. end - 1`` and attends over the first ``end`` through
       ``_attend_cached``, with the rows ``start .. end - 1`` of ``mask``);
    4. merges the heads and mixes them (``out_proj``), and only then commits: a newly
       allocated cache and ``num_cached_tokens = end``.

    **A call that fails leaves the cache as it was**: every check comes before the first
    write, nothing but positions at or past ``num_cached_tokens`` (which hold nothing yet)
    is written before the attention has succeeded, a cache allocated by the call is kept
    only if the call succeeds, and ``num_cached_tokens`` moves last.

    **The dtype rule**: the cache holds the dtype of the module's parameters. Keys and
    values computed under ``torch.autocast`` are cast to it when they are written, and the
    attention over the cache runs under whatever autocast is active, so a prefill under
    autocast may be followed by plain calls, and the other way round. For a smaller
    cache, convert the module, e.g. ``module.to(torch.bfloat16)``.

    **Loading weights empties the cache**: ``load_state_dict`` (also on a model that
    holds the module) calls ``reset_cache()``, since the cached keys and values were
    computed with the old weights.

    Cached calls write into the cache in place, so they are for inference: run them under
    ``torch.no_grad()`` or ``torch.inference_mode()``.

    Args:
        d_in: size of each input embedding.
        d_out: total output size of the queries (and of the output), split across the heads.
        context_length: the longest sequence the module accepts, cached tokens included.
        dropout: dropout probability on the attention weights, in ``[0, 1)``.
        num_heads: number of (query) heads; must divide ``d_out``.
        qkv_bias: add a bias to the query, key and value projections.

    Shape:
        - input ``x``: ``(b, num_tokens, d_in)``, or unbatched ``(num_tokens, d_in)``
          (cached as a batch of one); with ``use_cache=True``,
          ``num_cached_tokens + num_tokens <= context_length``
        - output: ``(b, num_tokens, d_out)`` (or ``(num_tokens, d_out)``)
        - attention weights (``return_attn_weights=True``):
          ``(b, num_heads, num_tokens, num_cached_tokens + num_tokens)`` with the
          cache (``(b, num_heads, num_tokens, num_tokens)`` without), or
          ``(num_heads, ...)`` unbatched
    """

    #: the names of the cache buffers, each ``None`` until the first cached call
    _cache_buffers: tuple[str, ...] = ("cache_k", "cache_v")
    num_cached_tokens: int

    def __init__(
        self,
        d_in: int,
        d_out: int,
        context_length: int,
        dropout: float,
        num_heads: int,
        qkv_bias: bool = False,
    ) -> None:
        super().__init__(d_in, d_out, context_length, dropout, num_heads, qkv_bias)
        for name in self._cache_buffers:
            self.register_buffer(name, None, persistent=False)
        self.num_cached_tokens = 0

    # ------------------------------------------------------------ the protocol
    @overload
    def forward(
        self,
        x: torch.Tensor,
        use_cache: bool = ...,
        *,
        return_attn_weights: Literal[False] = ...,
    ) -> torch.Tensor: ...
    @overload
    def forward(
        self,
        x: torch.Tensor,
        use_cache: bool = ...,
        *,
        return_attn_weights: Literal[True],
    ) -> tuple[torch.Tensor, torch.Tensor]: ...
    def forward(
        self,
        x: torch.Tensor,
        use_cache: bool = False,
        *,
        return_attn_weights: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Return the context vectors (and each head's weights if asked), cached if asked.

        Without the cache the module attends over ``x``'s tokens alone and leaves the
        cache untouched; with it, ``x`` continues the cached sequence.
        """
        return self._forward(x, use_cache, return_attn_weights)

    def _forward(
        self, x: torch.Tensor, use_cache: bool, return_attn_weights: bool, **options: Any
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """The dispatch behind ``forward``; ``options`` go to the cached attention."""
        check_bool("use_cache", use_cache)
        check_bool("return_attn_weights", return_attn_weights)
        if use_cache:
            context_vec, attn_weights = self._cached_forward(x, **options)
        else:
            context_vec, attn_weights = self._full_forward(x)
        if return_attn_weights:
            assert attn_weights is not None  # only a fused attention step has none
            return context_vec, attn_weights
        return context_vec

    def reset_cache(self) -> None:
        """Empty the cache (and free its memory) before starting a new sequence."""
        for name in self._cache_buffers:
            setattr(self, name, None)
        self.num_cached_tokens = 0

    def cache_nbytes(self) -> int:
        """Bytes held by the cache tensors right now (0 before the first cached call)."""
        tensors = [getattr(self, name) for name in self._cache_buffers]
        return sum(t.nelement() * t.element_size() for t in tensors if t is not None)

    def _load_from_state_dict(self, *args: Any, **kwargs: Any) -> None:
        """Load as ``nn.Module`` does, then empty the cache: it was made with the old weights."""
        super()._load_from_state_dict(*args, **kwargs)
        self.reset_cache()

    # ------------------------------------------------------------ override points
    def _cache_shape(self, batch_size: int) -> tuple[int, ...]:
        """The shape of each cache tensor; positions on dimension -2."""
        return (batch_size, self.num_heads, self.context_length, self.head_dim)

    def _cache_entries(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The new tokens' entries, one per cache buffer: by default their keys and values.

        A variant that caches something else than the keys and values its attention uses
        (grouped heads, a latent) overrides this beside ``_keys_values``.
        """
        return self._keys_values(x)

    def _cached_attention(
        self,
        queries: torch.Tensor,
        entries: tuple[torch.Tensor, ...],
        caches: tuple[torch.Tensor, ...],
        start: int,
        **options: Any,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend through the cache; a linear cache keeps position ``p`` at index ``p``.

        The entries go into the free positions ``start .. end - 1`` (nothing the cache
        holds is overwritten), and the new queries attend over the first ``end``
        positions, in place, without a copy of the cache.
        """
        end = start + queries.shape[-2]
        for cache, entry in zip(caches, entries, strict=True):
            cache[..., start:end, :] = entry
        cached = tuple(cache[..., :end, :] for cache in caches)
        # rows start..end-1 of the mask hide each new token's future
        return self._attend_cached(queries, cached, self.mask[start:end, :end], **options)

    def _attend_cached(
        self,
        queries: torch.Tensor,
        cached: tuple[torch.Tensor, ...],
        blocked: torch.Tensor,
        **options: Any,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Steps 3 and 4a over the cached positions ``0 .. end - 1`` (``cached``)."""
        keys, values = cached
        context, attn_weights = self._attend(queries, keys, values, blocked)
        assert attn_weights is not None
        return context, attn_weights

    # ------------------------------------------------------------ the cached call
    def _cached_forward(
        self, x: torch.Tensor, **options: Any
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``forward(x, use_cache=True)``: context and weights, written through the cache."""
        # 1) every check, before anything is written
        x, unbatched = self._check_x(x)
        if torch.is_grad_enabled() and (
            x.requires_grad or any(p.requires_grad for p in self.parameters())
        ):
            raise RuntimeError(
                "use_cache=True is for inference: each call writes into the cache in place, "
                "changing tensors that earlier calls saved for backward; call the module "
                "under torch.no_grad() or torch.inference_mode()"
            )
        b, num_tokens, _ = x.shape
        start = self.num_cached_tokens
        end = start + num_tokens
        if end > self.context_length:
            raise ValueError(
                f"the cache holds {start} tokens and x adds {num_tokens}: {end} is more than "
                f"context_length ({self.context_length}); call reset_cache() to start a new "
                "sequence"
            )
        current: list[torch.Tensor | None] = [getattr(self, n) for n in self._cache_buffers]
        first = current[0]
        if first is not None and first.shape[0] != b:
            raise ValueError(
                f"x has batch size {b} but the cache holds {first.shape[0]} sequences; "
                "call reset_cache() to start a new batch"
            )
        # 2) the new tokens' queries and cache entries, in the cache's dtype (the parameters')
        dtype = self.W_query.weight.dtype
        queries = self._split_heads(self.W_query(x))
        entries = tuple(entry.to(dtype) for entry in self._cache_entries(x))
        shape = self._cache_shape(b)
        caches = tuple(
            _new_cache(entry, shape, dtype) if cache is None else cache
            for cache, entry in zip(current, entries, strict=True)
        )
        # 3) attend through the cache
        context, attn_weights = self._cached_attention(queries, entries, caches, start, **options)
        result = self._merge_heads(context, attn_weights, unbatched)  # 5) merge and mix
        # 4) commit, once nothing is left that can fail
        for name, cache in zip(self._cache_buffers, caches, strict=True):
            setattr(self, name, cache)
        self.num_cached_tokens = end
        return result
