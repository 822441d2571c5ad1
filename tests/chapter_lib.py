"""Helpers for tests that run every chapter class the same way."""

from __future__ import annotations

import torch
from torch import nn

from llm_attention import MultiHeadAttentionWrapper, SelfAttention_v1, SelfAttention_v2


def takes_one_sequence(module: nn.Module) -> bool:
    """``SelfAttention_v1`` and ``_v2`` take ``(num_tokens, d_in)``; the rest a batch."""
    return isinstance(module, SelfAttention_v1 | SelfAttention_v2)


def input_for(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``x`` is a batch ``(b, num_tokens, d_in)``: its first sequence for v1/v2, else ``x``."""
    return x[0] if takes_one_sequence(module) else x


def forward_with_weights(module: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``module(x, return_attn_weights=True)``; for the wrapper, its heads' weights stacked.

    The wrapper keeps the book's one-line forward; its heads give their own weights. Its
    output is checked against the concatenated heads, so the two calls agree (eval mode).
    """
    if isinstance(module, MultiHeadAttentionWrapper):
        results = [head(x, return_attn_weights=True) for head in module.heads]
        out = module(x)
        assert torch.equal(out, torch.cat([context for context, _ in results], dim=-1))
        return out, torch.stack([weights for _, weights in results], dim=1)
    out, weights = module(x, return_attn_weights=True)
    return out, weights
