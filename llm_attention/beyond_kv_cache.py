"""Beyond the chapter: a key-value cache for generating text (builds on 3.6.2).

A GPT model generates one token at a time. Without a cache, every new token
means running attention over the whole sequence again, although the keys and
values of the earlier tokens have not changed: causal masking means token ``i``
never sees later tokens, so its key and value are final once computed. A
key-value (KV) cache keeps them, and each step projects only the new token and
attends from it to everything cached so far. The cost of one step becomes
linear in the sequence length instead of quadratic.
"""

from __future__ import annotations

from typing import Any, Literal, overload

import torch
from torch import nn

from llm_attention.ch3_6_multihead_attention import MultiHeadAttention
from llm_attention.checks import check_bool, check_tokens

__all__ = ["KVCacheMultiHeadAttention"]


# ---------------------------------------------------------------- the cache protocol
class CacheProtocol:
    """What every class that generates with a cache shares (a mixin for ``nn.Module``).

    The protocol is the book's: ``forward(x, use_cache=False)`` and
    [`reset_cache`][llm_attention.beyond_kv_cache.CacheProtocol.reset_cache], plus
    [`cache_nbytes`][llm_attention.beyond_kv_cache.CacheProtocol.cache_nbytes]. A class
    names its cache tensors in ``_cache_buffers``; each is a non-persistent buffer that is
    ``None`` until the first cached call allocates it, so ``.to()`` moves it and
    ``state_dict`` leaves it out. ``num_cached_tokens`` counts the positions fed
    since the last reset (for a rolling buffer, more than the buffer holds).
    """

    _cache_buffers: tuple[str, ...]
    num_cached_tokens: int

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
        check_bool("use_cache", use_cache)
        check_bool("return_attn_weights", return_attn_weights)
        if use_cache:
            context_vec, attn_weights = self._cached_forward(x)
        else:
            context_vec, attn_weights = self._full_forward(x)
        if return_attn_weights:
            return context_vec, attn_weights
        return context_vec

    def _full_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``forward(x)``: attention over ``x``'s tokens, no cache; context and weights."""
        raise NotImplementedError

    def _cached_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``forward(x, use_cache=True)``: context and weights, written through the cache."""
        raise NotImplementedError

    def reset_cache(self) -> None:
        """Empty the cache (and free its memory) before starting a new sequence."""
        for name in self._cache_buffers:
            setattr(self, name, None)
        self.num_cached_tokens = 0

    def cache_nbytes(self) -> int:
        """Bytes held by the cache tensors right now (0 before the first cached call)."""
        tensors = [getattr(self, name) for name in self._cache_buffers]
        return sum(t.nelement() * t.element_size() for t in tensors if t is not None)


def begin_cached_call(
    module: nn.Module, x: torch.Tensor, cache: torch.Tensor | None
) -> tuple[torch.Tensor, bool, int]:
    """The checks every cached call starts with, before anything is written.

    ``module`` has ``d_in``, ``context_length``, ``W_query`` and
    ``num_cached_tokens``; ``cache`` is one of its cache tensors (batch first)
    or ``None``. Returns ``x`` as ``(b, num_tokens, d_in)``, whether it was
    unbatched, and ``start``, the absolute position of ``x``'s first token.
    """
    context_length: int = module.context_length  # type: ignore[assignment]
    weight: torch.Tensor = module.W_query.weight  # type: ignore[union-attr,assignment]
    check_tokens(x, d_in=module.d_in, context_length=context_length, dtype=weight.dtype)  # type: ignore[arg-type]
    if torch.is_grad_enabled() and (
        x.requires_grad or any(p.requires_grad for p in module.parameters())
    ):
        raise RuntimeError(
            "use_cache=True is for inference: each call writes into the cache in place, "
            "changing tensors that earlier calls saved for backward; call the module "
            "under torch.no_grad() or torch.inference_mode()"
        )
    unbatched = x.dim() == 2
    if unbatched:
        x = x.unsqueeze(0)  # (num_tokens, d_in) -> (1, num_tokens, d_in)
    b, num_tokens, _ = x.shape
    start: int = module.num_cached_tokens  # type: ignore[assignment]
    end = start + num_tokens
    if end > context_length:
        raise ValueError(
            f"the cache holds {start} tokens and x adds {num_tokens}: {end} is more than "
            f"context_length ({context_length}); call reset_cache() to start a new "
            "sequence"
        )
    if cache is not None and cache.shape[0] != b:
        raise ValueError(
            f"x has batch size {b} but the cache holds {cache.shape[0]} sequences; "
            "call reset_cache() to start a new batch"
        )
    return x, unbatched, start


def full_forward(module: Any, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``MultiHeadAttention.forward`` hardened for real use: context and weights, no cache.

    The chapter's class takes exactly ``(b, num_tokens, d_in)`` and slices its mask as
    the book does. Here ``x`` may also be one unbatched sequence, and the mask is
    sliced with ``narrow_copy``, so ``torch.export`` can keep ``num_tokens`` dynamic.
    ``module`` has the attributes of a ``MultiHeadAttention`` plus ``d_in`` and
    ``context_length``; its ``mask`` may be any ``(context_length, context_length)``
    band, ``True`` where blocked.
    """
    dtype = module.W_query.weight.dtype
    check_tokens(x, d_in=module.d_in, context_length=module.context_length, dtype=dtype)
    unbatched = x.dim() == 2
    if unbatched:
        x = x.unsqueeze(0)  # (num_tokens, d_in) -> (1, num_tokens, d_in)
    b, num_tokens, _ = x.shape
    # (b, num_tokens, d_in) -> (b, num_tokens, d_out) -> (b, num_heads, num_tokens, head_dim)
    heads = (b, num_tokens, module.num_heads, module.head_dim)
    queries = module.W_query(x).view(heads).transpose(1, 2)
    keys = module.W_key(x).view(heads).transpose(1, 2)
    values = module.W_value(x).view(heads).transpose(1, 2)
    blocked = module.mask[:num_tokens].narrow_copy(1, 0, num_tokens)
    context, attn_weights = attend(queries, keys, values, blocked, module.head_dim, module.dropout)
    return merge_heads(context, module.out_proj, attn_weights, unbatched)


def new_cache(like: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """An empty cache tensor with ``like``'s dtype and device.

    It is a normal tensor even under ``inference_mode``, so that later steps may run
    under ``no_grad`` (an inference tensor cannot be updated outside inference_mode).
    """
    with torch.inference_mode(False):
        return like.new_empty(shape)


def attend(
    queries: torch.Tensor,
    keys: torch.Tensor,
    values: torch.Tensor,
    blocked: torch.Tensor | None,
    head_dim: int,
    dropout: nn.Module,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Steps 3 and 4a of 3.6.2: masked, scaled softmax of ``Q K^T``, then the weighted values.

    ``blocked`` (``True`` = hidden) broadcasts against the scores
    ``(..., num_queries, num_keys)``; ``None`` when every key is visible.
    Returns ``(weights @ values, weights)``.
    """
    attn_scores = queries @ keys.transpose(-2, -1)
    if blocked is not None:
        attn_scores.masked_fill_(blocked, -torch.inf)  # in place, as in 3.6.2: a fresh tensor
    attn_weights: torch.Tensor = torch.softmax(attn_scores / head_dim**0.5, dim=-1)
    attn_weights = dropout(attn_weights)
    return attn_weights @ values, attn_weights


def merge_heads(
    context: torch.Tensor, out_proj: nn.Module, attn_weights: torch.Tensor, unbatched: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Steps 4b and 5 of 3.6.2: ``(b, num_heads, n, head_dim)`` -> ``(b, n, d_out)`` -> out_proj.

    Drops the batch dimension of both outputs again when the input was unbatched.
    """
    b, num_heads, num_tokens, head_dim = context.shape
    merged = context.transpose(1, 2).contiguous().view(b, num_tokens, num_heads * head_dim)
    out: torch.Tensor = out_proj(merged)
    if unbatched:
        return out.squeeze(0), attn_weights.squeeze(0)
    return out, attn_weights


# ---------------------------------------------------------------- multi-head attention
class KVCacheMultiHeadAttention(CacheProtocol, MultiHeadAttention):  # type: ignore[misc]
    """The chapter's ``MultiHeadAttention``, able to cache keys and values between calls.

    It adds what text generation needs on top of the chapter's
    [`MultiHeadAttention`][llm_attention.MultiHeadAttention]: with
    ``use_cache=True`` the keys and values of the new tokens are appended to a
    cache, and the queries of the new tokens attend to every cached key. A new
    token at absolute position ``p`` (counting the tokens already cached) sees
    positions ``0..p``, so feeding a prompt and then one token at a time gives
    the same outputs as one forward pass over the whole sequence. For each head
    ``h``, with ``K_h`` and ``V_h`` the cached plus new keys and values:

    ``head_h = dropout(softmax(mask(Q_h K_h^T) / sqrt(head_dim))) V_h``

    where ``mask`` hides key position ``j`` from the query at position ``p``
    when ``j > p``: the rows ``start..end`` of the chapter's causal mask.

    With ``use_cache=False`` (the default) ``forward`` computes what
    [`MultiHeadAttention.forward`][llm_attention.MultiHeadAttention.forward] computes
    (and also takes one unbatched sequence), and the cache is left untouched. The
    constructor, parameters and ``mask`` buffer are inherited, so
    ``load_state_dict(mha.state_dict())`` works.

    The cache is preallocated: the first cached call allocates ``cache_k`` and
    ``cache_v`` of shape ``(b, num_heads, context_length, head_dim)`` and later
    calls write into them in place, so a decoding step copies only the new
    token's keys and values instead of the whole cache (as ``torch.cat`` would).
    [`cache_nbytes`][llm_attention.beyond_kv_cache.CacheProtocol.cache_nbytes] is therefore
    ``kv_cache_bytes(num_layers=1, context_length=context_length, batch_size=b,
    num_kv_heads=num_heads, head_dim=head_dim, bytes_per_element=...)`` from the
    first cached call on. Both are non-persistent buffers: ``.to(device)`` and
    ``.to(dtype)`` move them, and ``state_dict`` leaves them out.
    ``num_cached_tokens`` counts the filled positions;
    [`reset_cache`][llm_attention.beyond_kv_cache.CacheProtocol.reset_cache] empties the cache for
    a new sequence. Because the cache is written in place,
    cached calls are for inference: run them under ``torch.no_grad()`` or
    ``torch.inference_mode()``.

    Note:
        A NaN or inf in any token's input makes the outputs of the earlier tokens NaN
        too. The mask gives the later token a weight of exactly 0, and ``0 * nan`` is
        NaN, not 0; PyTorch's ``scaled_dot_product_attention`` behaves the same way.
        Check ``torch.isfinite(x).all()`` first if the input may hold such values.

    Args:
        d_in: size of each input embedding.
        d_out: total output size, split evenly across the heads.
        context_length: the longest sequence the module accepts, cached tokens included.
        dropout: dropout probability on the attention weights, in ``[0, 1)``.
        num_heads: number of heads; must divide ``d_out``.
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
        - ``cache_k``, ``cache_v``: ``(b, num_heads, context_length, head_dim)``,
          or ``None`` before the first cached call
    """

    _cache_buffers = ("cache_k", "cache_v")
    cache_k: torch.Tensor | None
    cache_v: torch.Tensor | None
    mask: torch.Tensor

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
        self.d_in = d_in
        self.context_length = context_length
        self.register_buffer("cache_k", None, persistent=False)
        self.register_buffer("cache_v", None, persistent=False)
        self.num_cached_tokens = 0

    def _full_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return full_forward(self, x)

    def _cached_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, unbatched, start = begin_cached_call(self, x, self.cache_k)
        b, num_tokens, _ = x.shape
        end = start + num_tokens  # the new tokens take the absolute positions start..end-1

        # 1) project only the new tokens, and 2) split them into heads:
        # (b, num_tokens, d_in) -> (b, num_tokens, d_out) -> (b, num_heads, num_tokens, head_dim)
        heads = (b, num_tokens, self.num_heads, self.head_dim)
        queries = self.W_query(x).view(heads).transpose(1, 2)
        keys = self.W_key(x).view(heads).transpose(1, 2)
        values = self.W_value(x).view(heads).transpose(1, 2)

        # 2b) write them into the cache, then read back everything cached so far:
        # cache (b, num_heads, context_length, head_dim) -> (b, num_heads, end, head_dim)
        if self.cache_k is None or self.cache_v is None:
            cache_shape = (b, self.num_heads, self.context_length, self.head_dim)
            self.cache_k = new_cache(keys, cache_shape)
            self.cache_v = new_cache(values, cache_shape)
        self.cache_k[:, :, start:end] = keys
        self.cache_v[:, :, start:end] = values
        self.num_cached_tokens = end

        # 3) and 4) attend from the new tokens to all cached ones: (b, num_heads, num_tokens, end);
        # rows start..end-1 of the causal mask hide each new token's future
        context, attn_weights = attend(
            queries,
            self.cache_k[:, :, :end],
            self.cache_v[:, :, :end],
            self.mask[start:end, :end],
            self.head_dim,
            self.dropout,
        )
        # 5) merge the heads and mix them: (b, num_tokens, d_out)
        return merge_heads(context, self.out_proj, attn_weights, unbatched)
