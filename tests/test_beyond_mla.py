"""Beyond the chapter: multi-head latent attention, keys and values from one cached latent.

The cache protocol it shares with the other caching classes is tested in
``test_caching_attention.py``; here what is MLA's own: the absorbed and the rebuilt decode
forms, the chapter's class as an oracle, and the cache size of a latent.
"""

from __future__ import annotations

import pytest
import torch
from attention_registry import CONTEXT, D_IN, D_OUT, HEADS, build, feed

import llm_attention as la


def test_mla_absorb_must_be_a_bool() -> None:
    module = build("MultiHeadLatentAttention")
    with torch.no_grad(), pytest.raises(TypeError, match="absorb must be a bool, got str"):
        module(torch.randn(1, 3, D_IN), use_cache=True, absorb="yes")


def test_kv_cache_bytes_for_latent_attention() -> None:
    assert la.kv_cache_bytes(num_layers=2, context_length=10, batch_size=3, latent_dim=7) == (
        2 * 10 * 3 * 7 * 2
    )
    with pytest.raises(ValueError, match=r"either latent_dim .* or num_kv_heads and head_dim"):
        la.kv_cache_bytes(
            num_layers=1, context_length=1, batch_size=1, latent_dim=4, num_kv_heads=2
        )
    with pytest.raises(TypeError, match="needs num_kv_heads and head_dim, or latent_dim"):
        la.kv_cache_bytes(num_layers=1, context_length=1, batch_size=1, num_kv_heads=2)
    with pytest.raises(ValueError, match="latent_dim must be >= 1, got 0"):
        la.kv_cache_bytes(num_layers=1, context_length=1, batch_size=1, latent_dim=0)


@pytest.mark.parametrize("bias", [False, True])
def test_mla_absorbed_and_rebuilt_decoding_agree(bias: bool) -> None:
    module = build("MultiHeadLatentAttention", bias=bias)
    x = torch.randn(2, 12, D_IN)
    absorbed = feed(module, x, [5, 1, 1, 3, 2], absorb=True)
    module.reset_cache()
    rebuilt = feed(module, x, [5, 1, 1, 3, 2], absorb=False)
    torch.testing.assert_close(absorbed, rebuilt, atol=1e-5, rtol=0)


def test_mla_absorbed_scores_equal_the_scores_against_rebuilt_keys() -> None:
    m = build("MultiHeadLatentAttention")
    x = torch.randn(1, 7, D_IN)
    with torch.no_grad():
        latent = m.W_kv_down(x)  # (1, 7, latent_dim)
        q = m.W_query(x).view(1, 7, HEADS, -1).transpose(1, 2)
        k = m.W_key_up(latent).view(1, 7, HEADS, -1).transpose(1, 2)
        up_k = m.W_key_up.weight.view(HEADS, m.head_dim, m.latent_dim)
        torch.testing.assert_close((q @ up_k) @ latent.unsqueeze(1).transpose(2, 3), q @ k.mT)


def test_mla_is_mha_with_low_rank_key_and_value_projections() -> None:
    # oracle: the chapter's MultiHeadAttention with W_key = W_key_up W_kv_down (and the same
    # for values), a matrix of rank latent_dim, computes the same function
    mla = build("MultiHeadLatentAttention", bias=True)
    mha = la.MultiHeadAttention(D_IN, D_OUT, CONTEXT, 0.0, HEADS, qkv_bias=True).eval()
    with torch.no_grad():
        mha.W_query.load_state_dict(mla.W_query.state_dict())
        mha.out_proj.load_state_dict(mla.out_proj.state_dict())
        for full, up in ((mha.W_key, mla.W_key_up), (mha.W_value, mla.W_value_up)):
            full.weight.copy_(up.weight @ mla.W_kv_down.weight)
            full.bias.copy_(up.weight @ mla.W_kv_down.bias)
        x = torch.randn(2, 9, D_IN)
        torch.testing.assert_close(mla(x), mha(x), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(feed(mla, x, [4, 1, 1, 3]), mha(x), atol=1e-5, rtol=1e-5)
