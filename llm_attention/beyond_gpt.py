"""Beyond the chapter: a GPT model that generates with any of the package's caches.

Chapter 4 of the book wraps chapter 3's [`MultiHeadAttention`][llm_attention.MultiHeadAttention]
in a transformer block (layer norm, attention, shortcut; layer norm, feed-forward,
shortcut) and stacks the blocks between token and position embeddings and an
output head. This module is that layout with the attention left open: every
block gets its attention module from a factory, so the same model runs with
[`KVCacheMultiHeadAttention`][llm_attention.KVCacheMultiHeadAttention],
[`GroupedQueryAttention`][llm_attention.GroupedQueryAttention],
[`SlidingWindowAttention`][llm_attention.SlidingWindowAttention],
[`MultiHeadLatentAttention`][llm_attention.MultiHeadLatentAttention], or a mix of them layer by
layer. [`generate`][llm_attention.beyond_gpt.generate] decodes greedily, with or without the cache.

The weights are random (nothing can be downloaded here); the model exists to
check that cached generation gives the same tokens as uncached generation, and to
measure what each cache costs (``python -m benchmarks --caches``, in a checkout of
the repository).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from numbers import Real
from typing import Any

import torch
from torch import nn

from llm_attention.checks import check_bool, check_positive_int, check_token_ids

__all__ = ["GPT_CONFIG_124M", "GPTModel", "TransformerBlock", "generate"]

#: GPT-2 small, the shape of the book's chapter 4 (124 million parameters).
GPT_CONFIG_124M: dict[str, Any] = {
    "vocab_size": 50257,
    "context_length": 1024,
    "emb_dim": 768,
    "n_heads": 12,
    "n_layers": 12,
    "drop_rate": 0.0,
    "qkv_bias": False,
}


def _check_config(cfg: object, *, default_attention: bool = True) -> dict[str, Any]:
    """Check the configuration dict of ``GPTModel`` and return the values it reads.

    The rules, one per key (the first broken one raises ``KeyError``, ``TypeError``
    or ``ValueError`` that names the key): ``vocab_size``, ``context_length``,
    ``emb_dim`` and ``n_layers`` are ints >= 1, ``drop_rate`` a float in ``[0, 1)``.
    ``n_heads`` (an int >= 1 that divides ``emb_dim``) and ``qkv_bias`` (a bool) are
    read only by the default attention, so they are required and checked only when
    ``default_attention`` is true. Other keys are ignored.
    """
    if not isinstance(cfg, Mapping):
        raise TypeError(f"cfg must be a dict (see GPT_CONFIG_124M), got {type(cfg).__name__}")
    keys = ["vocab_size", "context_length", "emb_dim", "n_layers", "drop_rate"]
    if default_attention:
        keys += ["n_heads", "qkv_bias"]
    missing = [key for key in keys if key not in cfg]
    if missing:
        raise KeyError(f"cfg must have the keys {keys} (see GPT_CONFIG_124M), missing {missing}")
    checked: dict[str, Any] = {}
    for key in ("vocab_size", "context_length", "emb_dim", "n_layers"):
        checked[key] = check_positive_int(f'cfg["{key}"]', cfg[key])
    drop_rate = cfg["drop_rate"]
    if isinstance(drop_rate, bool) or not isinstance(drop_rate, Real):
        raise TypeError(
            f'cfg["drop_rate"] must be a float in [0, 1), got {type(drop_rate).__name__}'
        )
    rate = float(drop_rate)
    if math.isnan(rate) or not 0.0 <= rate < 1.0:
        raise ValueError(f'cfg["drop_rate"] must be in [0, 1), got {drop_rate}')
    checked["drop_rate"] = rate
    if default_attention:
        n_heads = check_positive_int('cfg["n_heads"]', cfg["n_heads"])
        if checked["emb_dim"] % n_heads != 0:
            raise ValueError(
                f'cfg["emb_dim"] ({checked["emb_dim"]}) must be divisible by '
                f'cfg["n_heads"] ({n_heads})'
            )
        checked["n_heads"] = n_heads
        checked["qkv_bias"] = check_bool('cfg["qkv_bias"]', cfg["qkv_bias"])
    return checked


#: Makes the attention module of layer ``layer`` (0-based).
AttentionFactory = Callable[[int], nn.Module]


class TransformerBlock(nn.Module):
    """Chapter 4's pre-norm block around any attention module that follows the cache protocol.

    ``x + attn(norm1(x))``, then ``x + ff(norm2(x))``, with dropout on each
    shortcut branch; ``ff`` is ``Linear(d, 4d)``, GELU (tanh form, as GPT-2),
    ``Linear(4d, d)``.

    Shape:
        ``x``: ``(b, num_tokens, emb_dim)``, returned in the same shape.
    """

    def __init__(self, emb_dim: int, attention: nn.Module, drop_rate: float = 0.0) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(emb_dim)
        self.att = attention
        self.norm2 = nn.LayerNorm(emb_dim)
        self.ff = nn.Sequential(
            nn.Linear(emb_dim, 4 * emb_dim),
            nn.GELU(approximate="tanh"),
            nn.Linear(4 * emb_dim, emb_dim),
        )
        self.drop_shortcut = nn.Dropout(drop_rate)

    def forward(self, x: torch.Tensor, use_cache: bool = False) -> torch.Tensor:
        """Attention, then feed-forward, each on a normalised copy added back to ``x``."""
        x = x + self.drop_shortcut(self.att(self.norm1(x), use_cache=use_cache))
        out: torch.Tensor = x + self.drop_shortcut(self.ff(self.norm2(x)))
        return out


class GPTModel(nn.Module):
    """Chapter 4's GPT layout: embeddings, ``n_layers`` transformer blocks, final norm, output head.

    Args:
        cfg: the book's configuration dict: ``vocab_size``, ``context_length``,
            ``emb_dim``, ``n_heads``, ``n_layers``, ``drop_rate``, ``qkv_bias``
            (see ``GPT_CONFIG_124M``). Each key is checked (sizes are ints >= 1,
            ``drop_rate`` a float in ``[0, 1)``; ``n_heads``, which must divide
            ``emb_dim``, and ``qkv_bias`` only when ``attention`` is not given), and
            the first broken rule raises an error that names the key.
        attention: makes the attention module of each layer from the layer's
            index; it must accept ``(x, use_cache=...)`` and have
            ``reset_cache()`` and ``cache_nbytes()``. By default, every layer gets a
            [`KVCacheMultiHeadAttention`][llm_attention.KVCacheMultiHeadAttention]
            built from ``cfg``.

    The model counts the tokens it has cached (``num_cached_tokens``), so that
    a cached call gives its tokens the right position embeddings.

    Shape:
        - ``idx``: token ids ``(b, num_tokens)``
        - output: logits ``(b, num_tokens, vocab_size)``
    """

    def __init__(self, cfg: dict[str, Any], attention: AttentionFactory | None = None) -> None:
        super().__init__()
        cfg = _check_config(cfg, default_attention=attention is None)
        emb_dim = cfg["emb_dim"]
        self.vocab_size: int = cfg["vocab_size"]
        self.context_length: int = cfg["context_length"]
        if attention is None:
            from llm_attention.beyond_kv_cache import KVCacheMultiHeadAttention

            def attention(layer: int) -> nn.Module:
                return KVCacheMultiHeadAttention(
                    emb_dim,
                    emb_dim,
                    cfg["context_length"],
                    cfg["drop_rate"],
                    cfg["n_heads"],
                    cfg["qkv_bias"],
                )

        self.tok_emb = nn.Embedding(self.vocab_size, emb_dim)
        self.pos_emb = nn.Embedding(self.context_length, emb_dim)
        self.drop_emb = nn.Dropout(cfg["drop_rate"])
        self.trf_blocks = nn.ModuleList(
            TransformerBlock(emb_dim, attention(layer), cfg["drop_rate"])
            for layer in range(cfg["n_layers"])
        )
        self.final_norm = nn.LayerNorm(emb_dim)
        self.out_head = nn.Linear(emb_dim, self.vocab_size, bias=False)
        self.num_cached_tokens = 0

    def forward(self, idx: torch.Tensor, use_cache: bool = False) -> torch.Tensor:
        """Logits for every position of ``idx``; with the cache, ``idx`` continues the cache."""
        check_bool("use_cache", use_cache)
        idx = self.check_ids(idx)
        start = self.num_cached_tokens if use_cache else 0
        end = start + idx.shape[1]
        if end > self.context_length:
            raise ValueError(
                f"positions {start}..{end - 1} do not fit context_length ({self.context_length})"
                + ("; call reset_cache() to start a new sequence" if use_cache else "")
            )
        positions = torch.arange(start, end, device=idx.device)
        x = self.drop_emb(self.tok_emb(idx) + self.pos_emb(positions))
        for block in self.trf_blocks:
            x = block(x, use_cache=use_cache)
        if use_cache:
            self.num_cached_tokens = end
        logits: torch.Tensor = self.out_head(self.final_norm(x))
        return logits

    def check_ids(self, idx: object) -> torch.Tensor:
        """Check token ids for this model, as ``forward`` does, and return them (widened to int64).

        ``idx`` must be a tensor of shape ``(b, num_tokens)`` with at least one token,
        of an integer dtype (int64, int32, int16, int8 or uint8), every id in
        ``[0, vocab_size)``: the rule of [`TextEmbedding`][llm_attention.TextEmbedding]
        (one check for both, ``llm_attention.checks.check_token_ids``).
        """
        idx = check_token_ids(idx, vocab_size=self.vocab_size, name="idx", dims=(2,))
        if idx.shape[1] < 1:
            raise ValueError(f"idx must contain at least one token, got shape {tuple(idx.shape)}")
        return idx

    def reset_cache(self) -> None:
        """Empty every layer's cache before a new sequence."""
        for attention in self._attention_modules():
            attention.reset_cache()
        self.num_cached_tokens = 0

    def _load_from_state_dict(self, *args: Any, **kwargs: Any) -> None:
        """Load as ``nn.Module`` does; the layers empty their caches, so the count restarts."""
        super()._load_from_state_dict(*args, **kwargs)
        self.num_cached_tokens = 0

    def cache_nbytes(self) -> int:
        """Bytes held by all layers' caches right now."""
        return sum(int(attention.cache_nbytes()) for attention in self._attention_modules())

    def _attention_modules(self) -> list[Any]:
        """Each block's attention module (typed ``Any``: any class of the cache protocol)."""
        return [block.att for block in self.trf_blocks]


def check_generate_args(
    model: GPTModel, idx: object, max_new_tokens: object, use_cache: object
) -> torch.Tensor:
    """``generate``'s argument checks; returns the ids as ``GPTModel.check_ids`` does."""
    max_new_tokens = check_positive_int("max_new_tokens", max_new_tokens)
    check_bool("use_cache", use_cache)
    ids = model.check_ids(idx)
    # the model reads the prompt and every new token but the last one
    reads = ids.shape[1] + max_new_tokens - 1
    if reads > model.context_length:
        raise ValueError(
            f"idx has {ids.shape[1]} tokens; with max_new_tokens={max_new_tokens} the model "
            f"reads {reads}, more than context_length ({model.context_length})"
        )
    return ids


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[None]:
    """``model.eval()`` inside the block; afterwards every submodule gets its own mode back."""
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for module, training in modes:
            module.training = training


# --8<-- [start:generate]
def generate(
    model: GPTModel, idx: torch.Tensor, max_new_tokens: int, *, use_cache: bool = True
) -> torch.Tensor:
    """Greedy decoding: append the most likely next token ``max_new_tokens`` times.

    With ``use_cache=True`` the prompt goes through once (the prefill) and every
    later call feeds only the token just chosen; without it, every call feeds the
    whole text so far. Both give the same tokens. The cache is reset first, and
    holds the generated text afterwards (``model.cache_nbytes()``) until the
    next reset. The model runs in eval mode (no dropout) and gets its mode back
    at the end, also when a call raises. Bad arguments, including a prompt that
    leaves no room for ``max_new_tokens`` in ``context_length``, raise before the
    model or its cache is touched.

    Shape:
        ``idx``: ``(b, num_tokens)``; returns ``(b, num_tokens + max_new_tokens)``.
    """
    idx = check_generate_args(model, idx, max_new_tokens, use_cache)  # before anything moves
    model.reset_cache()
    with torch.no_grad(), eval_mode(model):  # no dropout; every module's mode back after
        if use_cache:
            logits = model(idx, use_cache=True)  # prefill: the whole prompt
        for step in range(max_new_tokens):
            if not use_cache:
                logits = model(idx)  # recompute everything so far
            next_id = logits[:, -1].argmax(dim=-1, keepdim=True)  # (b, 1)
            idx = torch.cat((idx, next_id), dim=1)
            if use_cache and step < max_new_tokens - 1:
                logits = model(next_id, use_cache=True)  # one token, attending to the cache
    return idx


# --8<-- [end:generate]
