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

from typing import Any

import torch

from llm_attention.caching_attention import CachingAttention
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


class SlidingWindowAttention(CachingAttention):
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

    It is [`CachingAttention`][llm_attention.caching_attention.CachingAttention] with
    another mask and another cache: it overrides which positions are blocked (the band)
    and how the cache is kept and read (the rolling buffer below). The cache protocol,
    the dtype rule and the rest are the base's.

    The ``mask`` buffer is non-persistent here: it follows from ``window_size``,
    so it is rebuilt by the constructor and after every ``load_state_dict``
    (which makes the meta-device loading pattern safe) rather than saved. Loading a
    [`MultiHeadAttention`][llm_attention.MultiHeadAttention] checkpoint therefore needs
    ``strict=False`` (its causal ``mask`` is then reported as unexpected and
    ignored, instead of silently replacing the band). ``window_size`` is read-only:
    the band and the rolling buffer are built from it, so another window is another
    module (build one and load this one's ``state_dict`` into it).

    It generates with a key-value cache (``forward(x, use_cache=True)``,
    [`reset_cache`][llm_attention.caching_attention.CachingAttention.reset_cache],
    [`cache_nbytes`][llm_attention.caching_attention.CachingAttention.cache_nbytes]) that is a
    *rolling buffer*: no query ever sees a key more than ``window_size - 1``
    positions back, so the cache keeps only the last
    ``slots = min(window_size, context_length)`` positions, position ``p`` in slot
    ``p % slots``, and its memory stops growing once the sequence is longer than
    the window. A cached call, whatever its number of tokens, first attends from its
    new tokens to the cached positions, where they lie in the buffer, and to the new
    tokens themselves, with the band built from absolute positions (so a chunk longer
    than the window is correct: its early tokens' keys are used before the buffer
    overwrites them); only then does it write the last ``slots`` new keys and values
    over the oldest slots.

    Note:
        A NaN or inf in one token's input reaches the outputs of the earlier tokens too:
        see the note of [`AttentionBase`][llm_attention.caching_attention.AttentionBase].

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
          min(start, slots)`` cached positions were read, whatever ``num_tokens`` is
          (a cached position outside a token's window has weight 0)
        - ``cache_k``, ``cache_v``: ``(b, num_heads, slots, head_dim)``, or ``None``
          before the first cached call
    """

    cache_k: torch.Tensor | None
    cache_v: torch.Tensor | None
    _mask_in_state_dict = False  # the band follows from window_size

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
        # the variant's own argument, checked and kept before the base builds the mask
        self._window_size = check_positive_int("window_size", window_size)
        super().__init__(d_in, d_out, context_length, dropout, num_heads, qkv_bias)

    @property
    def window_size(self) -> int:
        """How many tokens each token attends to, itself included (read-only)."""
        return self._window_size

    @window_size.setter
    def window_size(self, value: object) -> None:
        raise AttributeError(
            "window_size is read-only: the band mask and the rolling cache are built from "
            "it; build a new SlidingWindowAttention(..., window_size=...) and load this "
            "module's state_dict into it"
        )

    @property
    def slots(self) -> int:
        """The positions the rolling cache keeps: ``min(window_size, context_length)``."""
        return min(self._window_size, self.context_length)

    def _build_mask(self) -> torch.Tensor:
        """The band; Toeplitz, so ``mask[:n, :n]`` is the band for ``n`` tokens."""
        return sliding_window_mask(self.context_length, self._window_size)

    def _load_from_state_dict(self, *args: Any, **kwargs: Any) -> None:
        """Load, empty the cache, and rebuild the band where the buffer lives.

        The band is not in the ``state_dict``, so loading cannot restore it: after the
        meta-device pattern (build on "meta", ``to_empty()``, ``load_state_dict()``) the
        buffer would hold uninitialised memory.
        """
        super()._load_from_state_dict(*args, **kwargs)
        self.mask = sliding_window_mask(
            self.context_length, self._window_size, device=self.mask.device
        )

    def _cache_shape(self, batch_size: int) -> tuple[int, ...]:
        """The rolling buffer: ``(b, num_heads, slots, head_dim)``."""
        return (batch_size, self.num_heads, self.slots, self.head_dim)

    def _cached_attention(
        self,
        queries: torch.Tensor,
        entries: tuple[torch.Tensor, ...],
        caches: tuple[torch.Tensor, ...],
        start: int,
        **options: Any,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend to the buffer where it lies and to the new tokens; only then write."""
        keys, values = entries
        cache_k, cache_v = caches
        num_tokens = keys.shape[-2]
        end = start + num_tokens
        slots, window, device = self.slots, self._window_size, queries.device
        kept = min(start, slots)  # the filled slots, 0..kept-1

        # 1) the position each filled slot holds: the latest p < start with p % slots == s
        held = start - slots + (torch.arange(kept, device=device) - start) % slots
        query_pos = torch.arange(start, end, device=device).unsqueeze(1)
        new_pos = query_pos.mT
        # the band from absolute positions: query p sees key j when p - window < j <= p
        blocked = torch.cat(
            (held <= query_pos - window, (new_pos > query_pos) | (new_pos <= query_pos - window)),
            dim=1,
        )
        # 2) scores against the buffer, in slot order, and against the new tokens
        old_k, old_v = cache_k[:, :, :kept], cache_v[:, :, :kept]
        attn_scores = torch.cat((queries @ old_k.mT, queries @ keys.mT), dim=-1)
        attn_weights = self._attention_weights(attn_scores, blocked)
        context = attn_weights[..., :kept] @ old_v + attn_weights[..., kept:] @ values

        # 3) only now overwrite the oldest slots with the newest (at most `slots`) tokens
        write = min(num_tokens, slots)
        index = torch.arange(end - write, end, device=device) % slots
        cache_k.index_copy_(2, index, keys[:, :, num_tokens - write :])
        cache_v.index_copy_(2, index, values[:, :, num_tokens - write :])

        # the weights in position order, start - kept .. end - 1: once every slot is
        # filled, the oldest position, start - slots, is in slot start % slots
        if kept == slots:
            cached_part = attn_weights[..., :kept].roll(-(start % slots), dims=-1)
            attn_weights = torch.cat((cached_part, attn_weights[..., kept:]), dim=-1)
        return context, attn_weights
