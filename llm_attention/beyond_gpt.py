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
measure what each cache costs (``python -m llm_attention.benchmarks --part caches``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from llm_attention.checks import check_bool, check_positive_int

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
            (see ``GPT_CONFIG_124M``).
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
        emb_dim = check_positive_int("emb_dim", cfg["emb_dim"])
        self.context_length = check_positive_int("context_length", cfg["context_length"])
        n_layers = check_positive_int("n_layers", cfg["n_layers"])
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

        self.tok_emb = nn.Embedding(cfg["vocab_size"], emb_dim)
        self.pos_emb = nn.Embedding(self.context_length, emb_dim)
        self.drop_emb = nn.Dropout(cfg["drop_rate"])
        self.trf_blocks = nn.ModuleList(
            TransformerBlock(emb_dim, attention(layer), cfg["drop_rate"])
            for layer in range(n_layers)
        )
        self.final_norm = nn.LayerNorm(emb_dim)
        self.out_head = nn.Linear(emb_dim, cfg["vocab_size"], bias=False)
        self.num_cached_tokens = 0

    def forward(self, idx: torch.Tensor, use_cache: bool = False) -> torch.Tensor:
        """Logits for every position of ``idx``; with the cache, ``idx`` continues the cache."""
        check_bool("use_cache", use_cache)
        if not isinstance(idx, torch.Tensor) or idx.dim() != 2 or idx.is_floating_point():
            raise TypeError("idx must be an integer tensor of token ids, shape (b, num_tokens)")
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


# --8<-- [start:generate]
def generate(
    model: GPTModel, idx: torch.Tensor, max_new_tokens: int, *, use_cache: bool = True
) -> torch.Tensor:
    """Greedy decoding: append the most likely next token ``max_new_tokens`` times.

    With ``use_cache=True`` the prompt goes through once (the prefill) and every
    later call feeds only the token just chosen; without it, every call feeds the
    whole text so far. Both give the same tokens. The cache is reset first, and
    holds the generated text afterwards (``model.cache_nbytes()``) until the
    next reset.

    Shape:
        ``idx``: ``(b, num_tokens)``; returns ``(b, num_tokens + max_new_tokens)``.
    """
    check_positive_int("max_new_tokens", max_new_tokens)
    check_bool("use_cache", use_cache)
    model.eval()
    model.reset_cache()
    with torch.no_grad():
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
