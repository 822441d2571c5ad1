"""Beyond the chapter: grouped-query attention and the size of the KV cache."""

from __future__ import annotations

import pytest
import torch
from attention_registry import CONTEXT, D_IN, D_OUT, HEADS, build, feed
from torch.nn.functional import scaled_dot_product_attention

import llm_attention as la
from llm_attention import (
    GroupedQueryAttention,
    MultiHeadAttention,
    compare_kv_cache_bytes,
    kv_cache_bytes,
)

# (d_in, d_out, num_heads, num_kv_groups, qkv_bias)
CONFIGS = [
    (3, 4, 2, 1, False),
    (8, 12, 6, 2, True),
    (8, 12, 6, 3, False),
    (16, 16, 4, 2, True),
    (6, 24, 8, 4, False),
    (10, 8, 4, 4, True),
]


def _gqa(
    d_in: int, d_out: int, num_heads: int, num_kv_groups: int, qkv_bias: bool
) -> GroupedQueryAttention:
    torch.manual_seed(0)
    model = GroupedQueryAttention(d_in, d_out, 9, 0.0, num_heads, num_kv_groups, qkv_bias)
    return model.eval()


@pytest.mark.parametrize(("d_in", "d_out", "num_heads", "qkv_bias"), [
    (3, 2, 2, False), (8, 12, 3, True), (16, 16, 4, False), (6, 24, 6, True)
])  # fmt: skip
def test_one_group_per_head_is_multihead_attention(
    d_in: int, d_out: int, num_heads: int, qkv_bias: bool
) -> None:
    torch.manual_seed(1)
    mha = MultiHeadAttention(d_in, d_out, 9, 0.0, num_heads, qkv_bias).eval()
    gqa = _gqa(d_in, d_out, num_heads, num_heads, qkv_bias)
    gqa.load_state_dict(mha.state_dict())  # strict: same names and shapes
    x = torch.randn(2, 9, d_in)
    out, weights = gqa(x, return_attn_weights=True)
    expected, expected_weights = mha(x, return_attn_weights=True)
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(weights, expected_weights, atol=1e-6, rtol=0)


@pytest.mark.parametrize(("d_in", "d_out", "num_heads", "num_kv_groups", "qkv_bias"), CONFIGS)
def test_equals_multihead_attention_with_the_key_value_heads_copied(
    d_in: int, d_out: int, num_heads: int, num_kv_groups: int, qkv_bias: bool
) -> None:
    # Copy key/value head g into query heads g * group_size .. (g + 1) * group_size - 1.
    gqa = _gqa(d_in, d_out, num_heads, num_kv_groups, qkv_bias)
    mha = MultiHeadAttention(d_in, d_out, 9, 0.0, num_heads, qkv_bias).eval()
    head_dim, group_size = d_out // num_heads, num_heads // num_kv_groups

    def per_head(t: torch.Tensor) -> torch.Tensor:
        # (num_kv_groups * head_dim, ...) -> (num_heads * head_dim, ...)
        grouped = t.reshape(num_kv_groups, head_dim, *t.shape[1:])
        return grouped.repeat_interleave(group_size, dim=0).reshape(d_out, *t.shape[1:])

    state = gqa.state_dict()
    for name in ("W_key", "W_value"):
        for kind in ("weight", "bias") if qkv_bias else ("weight",):
            state[f"{name}.{kind}"] = per_head(state[f"{name}.{kind}"])
    mha.load_state_dict(state)
    x = torch.randn(3, 7, d_in)
    torch.testing.assert_close(gqa(x), mha(x), atol=1e-6, rtol=0)


# enable_gqa arrived in torch 2.5; older versions are checked against the chapter's MHA above
SDPA_HAS_GQA = "enable_gqa" in (torch.nn.functional.scaled_dot_product_attention.__doc__ or "")


@pytest.mark.skipif(not SDPA_HAS_GQA, reason="scaled_dot_product_attention has no enable_gqa")
@pytest.mark.parametrize(("d_in", "d_out", "num_heads", "num_kv_groups", "qkv_bias"), CONFIGS)
def test_matches_pytorch_sdpa_with_enable_gqa(
    d_in: int, d_out: int, num_heads: int, num_kv_groups: int, qkv_bias: bool
) -> None:
    gqa = _gqa(d_in, d_out, num_heads, num_kv_groups, qkv_bias)
    b, num_tokens, head_dim = 2, 6, d_out // num_heads
    x = torch.randn(b, num_tokens, d_in)
    queries = gqa.W_query(x).view(b, num_tokens, num_heads, head_dim).transpose(1, 2)
    keys = gqa.W_key(x).view(b, num_tokens, num_kv_groups, head_dim).transpose(1, 2)
    values = gqa.W_value(x).view(b, num_tokens, num_kv_groups, head_dim).transpose(1, 2)
    context_vec = scaled_dot_product_attention(
        queries, keys, values, is_causal=True, enable_gqa=True
    )
    expected = gqa.out_proj(context_vec.transpose(1, 2).reshape(b, num_tokens, d_out))
    torch.testing.assert_close(gqa(x), expected, atol=1e-5, rtol=0)


def test_one_group_is_multi_query_attention() -> None:
    gqa = _gqa(8, 12, 4, 1, False)
    head_dim = 3
    # one key and one value projection, shared by all four query heads
    assert gqa.W_key.weight.shape == (head_dim, 8)
    assert gqa.W_value.weight.shape == (head_dim, 8)
    assert gqa.W_query.weight.shape == (12, 8)
    assert gqa.group_size == 4
    # so each head's scores are its own queries against the same keys
    x = torch.randn(1, 5, 8)
    _, weights = gqa(x, return_attn_weights=True)
    keys = gqa.W_key(x)  # (1, 5, head_dim): no split into heads at all
    queries = gqa.W_query(x).view(1, 5, 4, head_dim).transpose(1, 2)
    scores = (queries @ keys.transpose(1, 2).unsqueeze(1)) / head_dim**0.5
    expected = torch.softmax(scores.masked_fill(torch.ones(5, 5).triu(1).bool(), -torch.inf), -1)
    torch.testing.assert_close(weights, expected)


def test_the_key_value_projections_shrink_with_the_groups() -> None:
    parameters = {
        groups: sum(p.numel() for p in _gqa(64, 64, 8, groups, False).parameters())
        for groups in (8, 4, 2, 1)
    }
    # W_key and W_value: 2 * d_in * num_kv_groups * head_dim
    assert parameters[8] - parameters[4] == 2 * 64 * 4 * 8
    assert parameters[8] > parameters[4] > parameters[2] > parameters[1]


def test_is_causal_and_accepts_unbatched_input() -> None:
    gqa = _gqa(4, 8, 4, 2, True)
    x = torch.randn(6, 4)
    out = gqa(x)
    assert out.shape == (6, 8)
    torch.testing.assert_close(out, gqa(x.unsqueeze(0)).squeeze(0))
    changed = x.clone()
    changed[4:] += 1.0
    torch.testing.assert_close(gqa(changed)[:4], out[:4])


def test_state_dict_round_trip() -> None:
    gqa = _gqa(5, 8, 4, 2, True)
    torch.manual_seed(99)
    restored = GroupedQueryAttention(5, 8, 9, 0.0, 4, 2, qkv_bias=True).eval()
    restored.load_state_dict(gqa.state_dict())
    x = torch.randn(2, 9, 5)
    torch.testing.assert_close(restored(x), gqa(x), atol=0, rtol=0)


def test_gradcheck_in_float64() -> None:
    gqa = _gqa(3, 4, 2, 1, True).double()
    x = torch.randn(2, 4, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(gqa, (x,))


def test_num_kv_groups_must_divide_num_heads() -> None:
    with pytest.raises(
        ValueError, match=r"num_heads \(4\) must be divisible by num_kv_groups \(3\)"
    ):
        GroupedQueryAttention(8, 8, 4, 0.0, 4, 3)
    with pytest.raises(
        ValueError, match=r"num_heads \(2\) must be divisible by num_kv_groups \(4\)"
    ):
        GroupedQueryAttention(8, 8, 4, 0.0, 2, 4)
    with pytest.raises(ValueError, match="num_kv_groups must be >= 1, got 0"):
        GroupedQueryAttention(8, 8, 4, 0.0, 4, 0)
    with pytest.raises(TypeError, match="num_kv_groups must be an int"):
        GroupedQueryAttention(8, 8, 4, 0.0, 4, 2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"d_out \(6\) must be divisible by num_heads \(4\)"):
        GroupedQueryAttention(8, 6, 4, 0.0, 4, 2)


def test_input_checks_are_the_chapter_ones() -> None:
    gqa = _gqa(4, 8, 4, 2, False)
    with pytest.raises(ValueError, match=r"more than context_length \(9\)"):
        gqa(torch.randn(1, 10, 4))
    with pytest.raises(ValueError, match=r"last dimension must equal d_in \(4\)"):
        gqa(torch.randn(1, 3, 8))
    with pytest.raises(TypeError, match="return_attn_weights must be a bool"):
        gqa(torch.randn(1, 3, 4), return_attn_weights="no")


# ---------------------------------------------------------------- KV-cache size


def test_kv_cache_bytes_of_gpt2_small_by_hand() -> None:
    # 2 (keys and values) * 12 layers * 1 sequence * 1024 positions * 12 heads * 64 * 2 bytes
    size = kv_cache_bytes(
        num_layers=12, context_length=1024, batch_size=1, num_kv_heads=12, head_dim=64
    )
    assert size == 37_748_736 == 36 * 2**20


def test_kv_cache_bytes_grows_linearly_in_every_factor() -> None:
    base = {
        "num_layers": 2,
        "context_length": 16,
        "batch_size": 3,
        "num_kv_heads": 4,
        "head_dim": 8,
        "bytes_per_element": 4,
    }
    assert kv_cache_bytes(**base) == 2 * 2 * 16 * 3 * 4 * 8 * 4
    for name in base:
        doubled = dict(base, **{name: base[name] * 2})
        assert kv_cache_bytes(**doubled) == 2 * kv_cache_bytes(**base), name


def test_kv_cache_bytes_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="num_layers must be >= 1, got 0"):
        kv_cache_bytes(num_layers=0, context_length=1, batch_size=1, num_kv_heads=1, head_dim=1)
    with pytest.raises(TypeError, match="head_dim must be an int"):
        kv_cache_bytes(
            num_layers=1,
            context_length=1,
            batch_size=1,
            num_kv_heads=1,
            head_dim=1.5,  # type: ignore[arg-type]
        )


def test_compare_kv_cache_bytes_for_a_mistral_like_shape() -> None:
    shape = {
        "num_layers": 32,
        "num_heads": 32,
        "head_dim": 128,
        "context_length": 8192,
        "num_kv_groups": 8,
        "window_size": 4096,
    }
    sizes = compare_kv_cache_bytes(**shape)
    gib = 2**30
    assert sizes == {
        "MultiHeadAttention": 4 * gib,  # 2 * 32 * 8192 * 32 * 128 * 2
        "GroupedQueryAttention": 1 * gib,  # 8 instead of 32 key/value heads
        "SlidingWindowAttention": 2 * gib,  # 4096 instead of 8192 positions
        "GroupedQueryAttention + sliding window": gib // 2,
    }


def test_compare_kv_cache_bytes_clips_the_window_to_the_context() -> None:
    sizes = compare_kv_cache_bytes(
        num_layers=1, num_heads=4, head_dim=2, context_length=10, num_kv_groups=2, window_size=99
    )
    assert sizes["SlidingWindowAttention"] == sizes["MultiHeadAttention"]
    with pytest.raises(
        ValueError, match=r"num_heads \(4\) must be divisible by num_kv_groups \(3\)"
    ):
        compare_kv_cache_bytes(
            num_layers=1, num_heads=4, head_dim=2, context_length=10, num_kv_groups=3, window_size=4
        )


# ---------------------------------------------------------------- the cache of the groups
def test_cached_gqa_with_one_group_per_head_is_cached_mha() -> None:
    torch.manual_seed(1)
    mha = la.KVCacheMultiHeadAttention(D_IN, D_OUT, CONTEXT, 0.0, HEADS).eval()
    gqa = la.GroupedQueryAttention(D_IN, D_OUT, CONTEXT, 0.0, HEADS, num_kv_groups=HEADS).eval()
    gqa.load_state_dict(mha.state_dict())
    x = torch.randn(2, 11, D_IN)
    torch.testing.assert_close(feed(gqa, x, [6, 1, 4]), feed(mha, x, [6, 1, 4]))


@pytest.mark.parametrize("name", ["GroupedQueryAttention", "MultiQueryAttention"])
def test_cached_gqa_matches_sdpa_with_enable_gqa_semantics(name: str) -> None:
    m = build(name)
    x = torch.randn(2, 10, D_IN)
    with torch.no_grad():
        q = m.W_query(x).view(2, 10, HEADS, -1).transpose(1, 2)
        k = m.W_key(x).view(2, 10, m.num_kv_groups, -1).transpose(1, 2)
        v = m.W_value(x).view(2, 10, m.num_kv_groups, -1).transpose(1, 2)
        k = k.repeat_interleave(m.group_size, dim=1)
        v = v.repeat_interleave(m.group_size, dim=1)
        context = (
            scaled_dot_product_attention(q, k, v, is_causal=True)
            .transpose(1, 2)
            .reshape(2, 10, D_OUT)
        )
        expected = m.out_proj(context)
    torch.testing.assert_close(feed(m, x, [3, 1, 1, 5]), expected, atol=1e-5, rtol=0)
