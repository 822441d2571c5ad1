"""The GPT harness (``llm_attention.beyond_gpt``): a model that generates with any attention."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

import llm_attention as la
from llm_attention.beyond_gpt import GPTModel, generate

TINY = {
    "vocab_size": 50,
    "context_length": 20,
    "emb_dim": 12,
    "n_heads": 4,
    "n_layers": 3,
    "drop_rate": 0.0,
    "qkv_bias": False,
}
LAYERS: dict[str, Callable[[int], nn.Module]] = {
    "default (KVCacheMultiHeadAttention)": lambda layer: la.KVCacheMultiHeadAttention(
        12, 12, 20, 0.0, 4
    ),
    "GroupedQueryAttention": lambda layer: la.GroupedQueryAttention(12, 12, 20, 0.0, 4, 2),
    "SlidingWindowAttention": lambda layer: la.SlidingWindowAttention(12, 12, 20, 0.0, 4, 3),
    "MultiHeadLatentAttention": lambda layer: la.MultiHeadLatentAttention(12, 12, 20, 0.0, 4, 6),
    "local and global layers": lambda layer: (
        la.KVCacheMultiHeadAttention(12, 12, 20, 0.0, 4)
        if layer == 2
        else la.SlidingWindowAttention(12, 12, 20, 0.0, 4, 3)
    ),
}


@pytest.mark.parametrize("name", LAYERS)
def test_cached_generation_gives_the_same_tokens_as_uncached(name: str) -> None:
    torch.manual_seed(5)
    model = GPTModel(TINY, LAYERS[name])
    prompt = torch.randint(0, 50, (2, 4))
    cached = generate(model, prompt, 16)
    assert model.cache_nbytes() > 0
    uncached = generate(model, prompt, 16, use_cache=False)
    assert model.cache_nbytes() == 0  # generate resets first; the uncached run caches nothing
    assert cached.shape == (2, 20)
    assert torch.equal(cached, uncached)
    assert torch.equal(cached[:, :4], prompt)
    with torch.no_grad():  # and the logits of a cached pass are those of an uncached one
        model.reset_cache()
        logits = torch.cat(
            [model(cached[:, :7], use_cache=True), model(cached[:, 7:], use_cache=True)], 1
        )
        torch.testing.assert_close(logits, model(cached), atol=1e-4, rtol=0)


def test_gpt_model_errors() -> None:
    model = GPTModel(TINY)
    with torch.no_grad():
        with pytest.raises(ValueError, match=r"positions 0..20 do not fit context_length \(20\)"):
            model(torch.zeros(1, 21, dtype=torch.long))
        model(torch.zeros(1, 18, dtype=torch.long), use_cache=True)
        with pytest.raises(ValueError, match=r"positions 18..20 .* call reset_cache\(\)"):
            model(torch.zeros(1, 3, dtype=torch.long), use_cache=True)
        with pytest.raises(TypeError, match="idx must be an integer tensor of token ids"):
            model(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="max_new_tokens must be >= 1, got 0"):
        generate(model, torch.zeros(1, 3, dtype=torch.long), 0)
    # the default attention, from the configuration: GPT-2's layout
    assert all(isinstance(b.att, la.KVCacheMultiHeadAttention) for b in model.trf_blocks)
