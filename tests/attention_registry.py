"""Every attention class of the package, once: how to build it and what tests may expect of it.

The test files that run "every class" (``test_hardening.py``, ``test_caching_attention.py``,
``test_ch3_6_multihead_attention.py``) take their classes from here, and
``test_attention_registry.py`` fails when a class of ``llm_attention.__all__`` is missing. A
new attention class gets one ``Entry`` below; a second configuration of a class (multi-query
attention is grouped-query attention with one group) gets an entry of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

import llm_attention as la

# nn.Module classes of llm_attention.__all__ that are not attention
NOT_ATTENTION = {"TextEmbedding"}


@dataclass(frozen=True)
class Entry:
    """One attention class (or one configuration of it) and the facts tests need.

    ``build(d_in, d_out, context_length, num_heads, qkv_bias=False, window_size=5,
    latent_dim=5)`` makes it with dropout 0: ``d_out`` is the total width (the wrapper's
    heads get ``d_out // num_heads`` each), ``num_heads`` must divide it;
    ``window_size`` is the sliding window's and ``latent_dim`` the latent attention's.
    """

    name: str
    cls: type[nn.Module]
    build: Callable[..., nn.Module]
    chapter: bool  # a class of the chapter (ch3_*), written as the book writes it
    caches: bool  # follows the cache protocol: forward(x, use_cache=True), reset_cache()...
    returns_weights: bool  # forward(x, return_attn_weights=True) gives the weights
    one_sequence: bool = False  # takes the book's (num_tokens, d_in), not a batch
    batch_only: bool = False  # takes only (b, num_tokens, d_in), not one unbatched sequence
    heads: bool = True  # has num_heads (and, unless it is the wrapper, head_dim)


def _groups(num_heads: int) -> int:
    return num_heads // 2 if num_heads % 2 == 0 else 1


ENTRIES: tuple[Entry, ...] = (
    Entry(
        "SelfAttention_v1",
        la.SelfAttention_v1,
        lambda d_in, d_out, context_length, num_heads, qkv_bias=False, **_: la.SelfAttention_v1(
            d_in, d_out
        ),
        chapter=True,
        caches=False,
        returns_weights=True,
        one_sequence=True,
        heads=False,
    ),
    Entry(
        "SelfAttention_v2",
        la.SelfAttention_v2,
        lambda d_in, d_out, context_length, num_heads, qkv_bias=False, **_: la.SelfAttention_v2(
            d_in, d_out, qkv_bias=qkv_bias
        ),
        chapter=True,
        caches=False,
        returns_weights=True,
        one_sequence=True,
        heads=False,
    ),
    Entry(
        "CausalAttention",
        la.CausalAttention,
        lambda d_in, d_out, context_length, num_heads, qkv_bias=False, **_: la.CausalAttention(
            d_in, d_out, context_length, 0.0, qkv_bias=qkv_bias
        ),
        chapter=True,
        caches=False,
        returns_weights=True,
        batch_only=True,
        heads=False,
    ),
    Entry(
        "MultiHeadAttentionWrapper",
        la.MultiHeadAttentionWrapper,
        lambda d_in, d_out, context_length, num_heads, qkv_bias=False, **_: (
            la.MultiHeadAttentionWrapper(
                d_in, d_out // num_heads, context_length, 0.0, num_heads, qkv_bias=qkv_bias
            )
        ),
        chapter=True,
        caches=False,
        returns_weights=False,  # the book's one-line forward; its heads give their weights
        batch_only=True,
    ),
    Entry(
        "MultiHeadAttention",
        la.MultiHeadAttention,
        lambda d_in, d_out, context_length, num_heads, qkv_bias=False, **_: la.MultiHeadAttention(
            d_in, d_out, context_length, 0.0, num_heads, qkv_bias=qkv_bias
        ),
        chapter=True,
        caches=False,
        returns_weights=True,
        batch_only=True,
    ),
    Entry(
        "SDPAMultiHeadAttention",
        la.SDPAMultiHeadAttention,
        lambda d_in, d_out, context_length, num_heads, qkv_bias=False, **_: (
            la.SDPAMultiHeadAttention(d_in, d_out, context_length, 0.0, num_heads, qkv_bias)
        ),
        chapter=False,
        caches=False,
        returns_weights=False,
    ),
    Entry(
        "KVCacheMultiHeadAttention",
        la.KVCacheMultiHeadAttention,
        lambda d_in, d_out, context_length, num_heads, qkv_bias=False, **_: (
            la.KVCacheMultiHeadAttention(d_in, d_out, context_length, 0.0, num_heads, qkv_bias)
        ),
        chapter=False,
        caches=True,
        returns_weights=True,
    ),
    Entry(
        "GroupedQueryAttention",
        la.GroupedQueryAttention,
        lambda d_in, d_out, context_length, num_heads, qkv_bias=False, **_: (
            la.GroupedQueryAttention(
                d_in, d_out, context_length, 0.0, num_heads, _groups(num_heads), qkv_bias
            )
        ),
        chapter=False,
        caches=True,
        returns_weights=True,
    ),
    Entry(
        "MultiQueryAttention",
        la.GroupedQueryAttention,
        lambda d_in, d_out, context_length, num_heads, qkv_bias=False, **_: (
            la.GroupedQueryAttention(d_in, d_out, context_length, 0.0, num_heads, 1, qkv_bias)
        ),
        chapter=False,
        caches=True,
        returns_weights=True,
    ),
    Entry(
        "SlidingWindowAttention",
        la.SlidingWindowAttention,
        lambda d_in, d_out, context_length, num_heads, qkv_bias=False, window_size=5, **_: (
            la.SlidingWindowAttention(
                d_in, d_out, context_length, 0.0, num_heads, window_size, qkv_bias
            )
        ),
        chapter=False,
        caches=True,
        returns_weights=True,
    ),
    Entry(
        "MultiHeadLatentAttention",
        la.MultiHeadLatentAttention,
        lambda d_in, d_out, context_length, num_heads, qkv_bias=False, latent_dim=5, **_: (
            la.MultiHeadLatentAttention(
                d_in, d_out, context_length, 0.0, num_heads, latent_dim, qkv_bias
            )
        ),
        chapter=False,
        caches=True,
        returns_weights=True,
    ),
)
REGISTRY: dict[str, Entry] = {entry.name: entry for entry in ENTRIES}


def names(**facts: bool) -> list[str]:
    """The names of the entries whose facts have the given values, e.g. ``names(caches=True)``."""
    return [e.name for e in ENTRIES if all(getattr(e, k) == v for k, v in facts.items())]


def attention_classes_in_all() -> set[type[nn.Module]]:
    """The ``nn.Module`` classes of ``llm_attention.__all__``, less those that are not attention."""
    found = set()
    for name in la.__all__:
        obj = getattr(la, name)
        if isinstance(obj, type) and issubclass(obj, nn.Module) and name not in NOT_ATTENTION:
            found.add(obj)
    return found


# ---------------------------------------------------------------- helpers for the cache tests
# the shape the cache tests use: d_in 6, d_out 12, 4 heads, context_length 24
D_IN, D_OUT, HEADS, CONTEXT = 6, 12, 4, 24


def build(name: str, ctx: int = CONTEXT, bias: bool = False, seed: int = 0) -> nn.Module:
    """The registry's ``name`` in the cache tests' shape, seeded, in eval mode."""
    torch.manual_seed(seed)
    return REGISTRY[name].build(D_IN, D_OUT, ctx, HEADS, qkv_bias=bias).eval()


def feed(module: nn.Module, x: torch.Tensor, chunks: list[int], **kwargs: bool) -> torch.Tensor:
    """Feed ``x`` through the cache in pieces of the given sizes (under no_grad)."""
    outputs, start = [], 0
    with torch.no_grad():
        for size in chunks:
            outputs.append(module(x[..., start : start + size, :], use_cache=True, **kwargs))
            start += size
    assert start == x.shape[-2]
    return torch.cat(outputs, dim=-2)
