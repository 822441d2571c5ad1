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

import torch

from llm_attention.caching_attention import CachingAttention

__all__ = ["KVCacheMultiHeadAttention"]


class KVCacheMultiHeadAttention(CachingAttention):
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

    It is [`CachingAttention`][llm_attention.caching_attention.CachingAttention] with
    nothing overridden. With ``use_cache=False`` (the default) ``forward`` computes what
    [`MultiHeadAttention.forward`][llm_attention.MultiHeadAttention.forward] computes
    (and also takes one unbatched sequence), and the cache is left untouched. The
    constructor arguments, parameters and ``mask`` buffer are the chapter's, so
    ``load_state_dict(mha.state_dict())`` works.

    The cache is preallocated: the first cached call allocates ``cache_k`` and
    ``cache_v`` of shape ``(b, num_heads, context_length, head_dim)`` and later
    calls write into them in place, so a decoding step copies only the new
    token's keys and values instead of the whole cache (as ``torch.cat`` would).
    [`cache_nbytes`][llm_attention.caching_attention.CachingAttention.cache_nbytes] is
    therefore ``kv_cache_bytes(num_layers=1, context_length=context_length, batch_size=b,
    num_kv_heads=num_heads, head_dim=head_dim, bytes_per_element=...)`` from the
    first cached call on. Both are non-persistent buffers: ``.to(device)`` and
    ``.to(dtype)`` move them, and ``state_dict`` leaves them out.
    ``num_cached_tokens`` counts the filled positions;
    [`reset_cache`][llm_attention.caching_attention.CachingAttention.reset_cache] empties the
    cache for a new sequence, and so does ``load_state_dict``. The cache holds the
    parameters' dtype, also under ``torch.autocast``, and a call that fails leaves it as it
    was (see [`CachingAttention`][llm_attention.caching_attention.CachingAttention]).
    Because the cache is written in place, cached calls are for inference: run them under
    ``torch.no_grad()`` or ``torch.inference_mode()``.

    Note:
        A NaN or inf in one token's input reaches the outputs of the earlier tokens too:
        see the note of [`AttentionBase`][llm_attention.caching_attention.AttentionBase].

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

    cache_k: torch.Tensor | None
    cache_v: torch.Tensor | None
