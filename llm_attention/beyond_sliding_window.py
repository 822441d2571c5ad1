"""Beyond the chapter: sliding-window attention (builds on 3.5.1 and 3.6.2).

The chapter's causal mask lets token ``i`` attend to all tokens ``0..i``, so the
work per token and the key-value cache grow with the whole sequence.
Sliding-window (local) attention, used by Longformer, Mistral 7B and Gemma 2,
also hides tokens that lie too far back: token ``i`` attends only to the
``window_size`` tokens ``i - window_size + 1 .. i``. Information from further
back still reaches it through stacked layers, each extending the reach by
``window_size - 1`` positions (``L`` layers reach ``L * (window_size - 1) + 1``
tokens). Only the mask changes, so the module is
[`MultiHeadAttention`][llm_attention.MultiHeadAttention] with a band-shaped mask.
"""

from __future__ import annotations

import torch
from torch import nn

from llm_attention.beyond_kv_cache import (
    CacheProtocol,
    attend,
    begin_cached_call,
    full_forward,
    merge_heads,
    new_cache,
)
from llm_attention.ch3_6_multihead_attention import MultiHeadAttention
from llm_attention.checks import check_positive_int

__all__ = ["SlidingWindowAttention", "sliding_window_mask"]


def sliding_window_mask(
    num_tokens: int, window_size: int, *, device: torch.device | str | None = None
) -> torch.Tensor:
    """Boolean mask that is ``True`` where query ``i`` may not attend to key ``j``.

    Blocked are the future, ``j > i`` (the chapter's
    [`causal_mask`][llm_attention.causal_mask], strictly above the diagonal), and the
    distant past, ``j <= i - window_size`` (on or below the ``window_size``-th
    diagonal under the main one). What remains is a band of ``window_size``
    diagonals; ``True`` means *blocked*, as in [`causal_mask`][llm_attention.causal_mask].

    Args:
        num_tokens: number of queries and keys.
        window_size: how many tokens each query sees, itself included; ``>= 1``.
        device: where to create the mask.

    Shape:
        ``(num_tokens, num_tokens)``, dtype ``torch.bool``.
    """
    num_tokens = check_positive_int("num_tokens", num_tokens)
    window_size = check_positive_int("window_size", window_size)
    ones = torch.ones(num_tokens, num_tokens, dtype=torch.bool, device=device)
    future = torch.triu(ones, diagonal=1)  # j > i
    distant_past = torch.tril(ones, diagonal=-window_size)  # j <= i - window_size
    return future | distant_past


def _rebuild_band(module: nn.Module, incompatible_keys: object) -> None:
    """``load_state_dict`` post-hook: recompute the band mask where the buffer lives."""
    assert isinstance(module, SlidingWindowAttention)
    module.mask = sliding_window_mask(
        module.context_length, module.window_size, device=module.mask.device
    )


class SlidingWindowAttention(CacheProtocol, MultiHeadAttention):  # type: ignore[misc]
    """Causal multi-head attention in which each token sees at most ``window_size`` tokens.

    It adds locality to [`MultiHeadAttention`][llm_attention.MultiHeadAttention]: the cost of
    attention and the key-value cache stop growing once the sequence is longer
    than the window. Without the cache, ``forward`` computes what
    [`MultiHeadAttention.forward`][llm_attention.MultiHeadAttention.forward] computes, with
    the band as its mask. For each head ``h``:

    ``head_h = dropout(softmax(mask_w(Q_h K_h^T) / sqrt(head_dim))) V_h``

    where ``mask_w`` sets score ``(i, j)`` to ``-inf`` when ``j > i`` or
    ``j <= i - window_size`` ([`sliding_window_mask`][llm_attention.sliding_window_mask]). With
    ``window_size >= num_tokens`` nothing extra is hidden and the output equals
    [`MultiHeadAttention`][llm_attention.MultiHeadAttention]'s.

    The ``mask`` buffer is non-persistent here: it follows from ``window_size``,
    so it is rebuilt by the constructor and after every ``load_state_dict``
    (which makes the meta-device loading pattern safe) rather than saved. Loading a
    [`MultiHeadAttention`][llm_attention.MultiHeadAttention] checkpoint therefore needs
    ``strict=False`` (its causal ``mask`` is then reported as unexpected and
    ignored, instead of silently replacing the band).

    It generates with a key-value cache (``forward(x, use_cache=True)``,
    [`reset_cache`][llm_attention.beyond_kv_cache.CacheProtocol.reset_cache],
    [`cache_nbytes`][llm_attention.beyond_kv_cache.CacheProtocol.cache_nbytes]) that is a
    *rolling buffer*: no query ever sees a key more than ``window_size - 1``
    positions back, so the cache keeps only the last
    ``slots = min(window_size, context_length)`` positions, position ``p`` in slot
    ``p % slots``, and its memory stops growing once the sequence is longer than
    the window. A cached call first
    attends from its new tokens to the cached positions still in their window
    together with the new tokens themselves (so a chunk longer than the window
    is correct: its early tokens' keys are used before the buffer overwrites
    them), and only then writes the last ``slots`` new keys and values. A single
    new token, the usual decoding step, is written first instead, into the slot of
    the one position that has just left the window, and then attends to the buffer
    where it lies, without copying it.

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
        window_size: how many tokens each token attends to, itself included; ``>= 1``.
        qkv_bias: add a bias to the query, key and value projections.

    Shape:
        - input ``x``: ``(b, num_tokens, d_in)``, or unbatched ``(num_tokens, d_in)``
        - output: ``(b, num_tokens, d_out)`` (or ``(num_tokens, d_out)``)
        - attention weights (``return_attn_weights=True``):
          ``(b, num_heads, num_tokens, num_tokens)`` (or ``(num_heads, ...)``),
          zero outside the band; with the cache,
          ``(b, num_heads, num_tokens, num_kept + num_tokens)`` over the positions
          ``start - num_kept .. end - 1`` in order, where ``num_kept =
          min(start, slots)`` cached positions were read
        - ``cache_k``, ``cache_v``: ``(b, num_heads, slots, head_dim)``, or ``None``
          before the first cached call
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
        window_size: int,
        qkv_bias: bool = False,
    ) -> None:
        window_size = check_positive_int("window_size", window_size)
        super().__init__(d_in, d_out, context_length, dropout, num_heads, qkv_bias)
        self.d_in = d_in
        self.context_length = context_length
        self.window_size = window_size
        # the band is Toeplitz, so forward's mask[:num_tokens, :num_tokens] is the
        # band for num_tokens tokens, as for the causal mask
        self.register_buffer(
            "mask", sliding_window_mask(self.context_length, window_size), persistent=False
        )
        # The band is not in the state_dict, so loading cannot restore it: after the
        # meta-device pattern (build on "meta", to_empty(), load_state_dict()) the buffer
        # would hold uninitialised memory. Rebuild it from window_size after every load.
        self.register_load_state_dict_post_hook(_rebuild_band)  # type: ignore[no-untyped-call]
        self.slots = min(window_size, self.context_length)  # positions the rolling cache keeps
        self.register_buffer("cache_k", None, persistent=False)
        self.register_buffer("cache_v", None, persistent=False)
        self.num_cached_tokens = 0

    def _full_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return full_forward(self, x)

    def _cached_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``forward(x, use_cache=True)`` through the rolling buffer."""
        x, unbatched, start = begin_cached_call(self, x, self.cache_k)
        b, num_tokens, _ = x.shape
        end = start + num_tokens
        heads = (b, num_tokens, self.num_heads, self.head_dim)
        queries = self.W_query(x).view(heads).transpose(1, 2)
        keys = self.W_key(x).view(heads).transpose(1, 2)
        values = self.W_value(x).view(heads).transpose(1, 2)
        if self.cache_k is None or self.cache_v is None:
            cache_shape = (b, self.num_heads, self.slots, self.head_dim)
            self.cache_k = new_cache(keys, cache_shape)
            self.cache_v = new_cache(values, cache_shape)

        device = x.device
        if num_tokens == 1:
            return self._decode_step(queries, keys, values, start, unbatched)

        # 1) read the cached positions start-kept .. start-1 in order (position p is in
        # slot p % slots), and put the new tokens after them
        kept = min(start, self.slots)
        old = torch.arange(start - kept, start, device=device) % self.slots
        all_keys = torch.cat((self.cache_k.index_select(2, old), keys), dim=2)
        all_values = torch.cat((self.cache_v.index_select(2, old), values), dim=2)

        # 2) the band from absolute positions: query p sees key j when p - window < j <= p
        query_pos = torch.arange(start, end, device=device).unsqueeze(1)
        key_pos = torch.arange(start - kept, end, device=device).unsqueeze(0)
        blocked = (key_pos > query_pos) | (key_pos <= query_pos - self.window_size)
        context, attn_weights = attend(
            queries, all_keys, all_values, blocked, self.head_dim, self.dropout
        )

        # 3) only now overwrite the oldest slots with the newest (at most `slots`) tokens
        write = min(num_tokens, self.slots)
        slots = torch.arange(end - write, end, device=device) % self.slots
        self.cache_k.index_copy_(2, slots, keys[:, :, num_tokens - write :])
        self.cache_v.index_copy_(2, slots, values[:, :, num_tokens - write :])
        self.num_cached_tokens = end
        return merge_heads(context, self.out_proj, attn_weights, unbatched)

    def _decode_step(
        self,
        queries: torch.Tensor,
        keys: torch.Tensor,
        values: torch.Tensor,
        start: int,
        unbatched: bool,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One new token: write it first, then attend to the buffer in place, with no copy.

        The write replaces position ``start - slots``, which no query from ``start`` on
        sees. Afterwards every filled slot holds a position the new token sees: the
        buffer holds at most ``slots <= window_size`` positions, up to ``start``.
        """
        assert self.cache_k is not None and self.cache_v is not None
        slot = start % self.slots
        self.cache_k[:, :, slot : slot + 1] = keys
        self.cache_v[:, :, slot : slot + 1] = values
        end = start + 1
        self.num_cached_tokens = end
        filled = min(end, self.slots)
        context, attn_weights = attend(
            queries,
            self.cache_k[:, :, :filled],
            self.cache_v[:, :, :filled],
            None,
            self.head_dim,
            self.dropout,
        )
        # the weights in position order: the oldest position is in slot end % slots
        if filled == self.slots:
            attn_weights = attn_weights.roll(-(end % self.slots), dims=-1)
        return merge_heads(context, self.out_proj, attn_weights, unbatched)
