"""Beyond the chapter: KVCacheMultiHeadAttention, 3.6.2 with a key-value cache for generation."""

from __future__ import annotations

import pytest
import torch

from llm_attention import KVCacheMultiHeadAttention, MultiHeadAttention

# (d_in, d_out, num_heads, qkv_bias): d_in != d_out, several head counts, both biases
CONFIGS = [
    (3, 2, 2, False),
    (8, 12, 3, True),
    (16, 16, 4, False),
    (6, 24, 6, True),
]


def _model(
    d_in: int = 4,
    d_out: int = 6,
    num_heads: int = 2,
    qkv_bias: bool = False,
    context_length: int = 10,
) -> KVCacheMultiHeadAttention:
    torch.manual_seed(0)
    model = KVCacheMultiHeadAttention(d_in, d_out, context_length, 0.0, num_heads, qkv_bias)
    return model.eval()


def _generate(model: KVCacheMultiHeadAttention, x: torch.Tensor, chunks: list[int]) -> torch.Tensor:
    """Feed ``x`` through the cache in pieces of the given sizes, along the token axis."""
    outputs = []
    start = 0
    with torch.no_grad():
        for size in chunks:
            piece = x[..., start : start + size, :]
            outputs.append(model(piece, use_cache=True))
            start += size
    assert start == x.shape[-2]
    return torch.cat(outputs, dim=-2)


@pytest.mark.parametrize(("d_in", "d_out", "num_heads", "qkv_bias"), CONFIGS)
def test_prompt_then_one_token_at_a_time_equals_one_full_pass(
    d_in: int, d_out: int, num_heads: int, qkv_bias: bool
) -> None:
    model = _model(d_in, d_out, num_heads, qkv_bias)
    x = torch.randn(2, 10, d_in)
    with torch.no_grad():
        full = model(x)
    cached = _generate(model, x, [4] + [1] * 6)
    torch.testing.assert_close(cached, full, atol=1e-5, rtol=0)
    assert model.num_cached_tokens == 10


def test_chunks_of_any_size_give_the_same_outputs() -> None:
    model = _model()
    x = torch.randn(3, 10, 4)
    with torch.no_grad():
        full = model(x)
    for chunks in ([1] * 10, [3, 2, 5], [10]):
        model.reset_cache()
        torch.testing.assert_close(_generate(model, x, chunks), full, atol=1e-5, rtol=0)


def test_unbatched_input_is_cached_as_a_batch_of_one() -> None:
    model = _model()
    x = torch.randn(7, 4)
    with torch.no_grad():
        full = model(x)
    cached = _generate(model, x, [3, 1, 1, 2])
    assert cached.shape == (7, 6)
    torch.testing.assert_close(cached, full, atol=1e-5, rtol=0)
    assert model.cache_k is not None
    assert model.cache_k.shape == (1, 2, 10, 3)


def test_the_cache_is_preallocated_to_context_length() -> None:
    model = _model(d_in=4, d_out=6, num_heads=2, context_length=10)
    assert model.cache_k is None and model.cache_v is None
    with torch.no_grad():
        model(torch.randn(2, 3, 4), use_cache=True)
    assert model.cache_k is not None and model.cache_v is not None
    # (b, num_heads, context_length, head_dim)
    assert model.cache_k.shape == model.cache_v.shape == (2, 2, 10, 3)
    assert model.num_cached_tokens == 3


def test_cached_attention_weights_are_the_rows_of_the_full_ones() -> None:
    # The new token at absolute position p sees keys 0..p: row p of the full weights.
    model = _model()
    x = torch.randn(2, 6, 4)
    with torch.no_grad():
        _, full_weights = model(x, return_attn_weights=True)
        model(x[:, :4], use_cache=True)
        _, step_weights = model(x[:, 4:5], use_cache=True, return_attn_weights=True)
    assert step_weights.shape == (2, 2, 1, 5)  # (b, num_heads, num_tokens, cached + new)
    torch.testing.assert_close(step_weights[:, :, 0], full_weights[:, :, 4, :5])


def test_without_cache_it_is_multihead_attention() -> None:
    torch.manual_seed(1)
    mha = MultiHeadAttention(5, 4, 8, 0.0, 2, qkv_bias=True).eval()
    model = KVCacheMultiHeadAttention(5, 4, 8, 0.0, 2, qkv_bias=True).eval()
    model.load_state_dict(mha.state_dict())  # strict: the cache is not in the state_dict
    x = torch.randn(2, 8, 5)
    out, weights = model(x, return_attn_weights=True)
    expected, expected_weights = mha(x, return_attn_weights=True)
    torch.testing.assert_close(out, expected, atol=0, rtol=0)
    torch.testing.assert_close(weights, expected_weights, atol=0, rtol=0)
    assert model.cache_k is None and model.num_cached_tokens == 0


def test_state_dict_round_trip_leaves_the_cache_out() -> None:
    model = _model(qkv_bias=True)
    with torch.no_grad():
        model(torch.randn(1, 3, 4), use_cache=True)
    state = model.state_dict()
    assert "cache_k" not in state and "cache_v" not in state
    restored = MultiHeadAttention(4, 6, 10, 0.0, 2, qkv_bias=True).eval()
    restored.load_state_dict(state)
    x = torch.randn(2, 5, 4)
    torch.testing.assert_close(restored(x), model(x), atol=0, rtol=0)


def test_a_call_without_cache_leaves_the_cache_alone() -> None:
    model = _model()
    x = torch.randn(1, 6, 4)
    with torch.no_grad():
        full = model(x)
        first = model(x[:, :3], use_cache=True)
        model(torch.randn(1, 5, 4))  # no use_cache: must not touch the cache
        rest = model(x[:, 3:], use_cache=True)
    assert model.num_cached_tokens == 6
    torch.testing.assert_close(torch.cat([first, rest], dim=1), full, atol=1e-5, rtol=0)


def test_reset_cache_starts_a_new_sequence() -> None:
    model = _model()
    x, y = torch.randn(1, 5, 4), torch.randn(1, 5, 4)
    with torch.no_grad():
        model(x, use_cache=True)
    model.reset_cache()
    assert model.cache_k is None and model.cache_v is None and model.num_cached_tokens == 0
    with torch.no_grad():
        torch.testing.assert_close(_generate(model, y, [2, 3]), model(y), atol=1e-5, rtol=0)


def test_the_cache_follows_to() -> None:
    # .to(torch.float64) stands in for .to(device): buffers follow, plain attributes would not.
    model = _model()
    x = torch.randn(2, 7, 4, dtype=torch.float64)
    with torch.no_grad():
        model(x[:, :4].float(), use_cache=True)
    model.to(torch.float64)
    assert model.cache_k is not None and model.cache_v is not None
    assert model.cache_k.dtype == model.cache_v.dtype == torch.float64
    with torch.no_grad():
        rest = _generate(model, x[:, 4:], [1, 2])
        expected = model(x)[:, 4:]
    assert rest.dtype == torch.float64
    torch.testing.assert_close(rest, expected, atol=1e-6, rtol=0)


def test_inference_mode_and_no_grad_can_be_mixed() -> None:
    model = _model()
    x = torch.randn(1, 6, 4)
    with torch.no_grad():
        full = model(x)
    with torch.inference_mode():
        first = model(x[:, :4], use_cache=True)
    with torch.no_grad():
        rest = model(x[:, 4:], use_cache=True)
    torch.testing.assert_close(torch.cat([first, rest], dim=1), full, atol=1e-5, rtol=0)


def test_going_past_context_length_is_an_error() -> None:
    model = _model(context_length=6)
    with torch.no_grad():
        model(torch.randn(1, 4, 4), use_cache=True)
        model(torch.randn(1, 2, 4), use_cache=True)  # exactly context_length: fine
        with pytest.raises(ValueError, match=r"7 is more than context_length \(6\)"):
            model(torch.randn(1, 1, 4), use_cache=True)
    assert model.num_cached_tokens == 6  # the failed call cached nothing


def test_a_different_batch_size_needs_a_reset() -> None:
    model = _model()
    with torch.no_grad():
        model(torch.randn(2, 3, 4), use_cache=True)
        with pytest.raises(ValueError, match="batch size 3 but the cache holds 2"):
            model(torch.randn(3, 1, 4), use_cache=True)


def test_caching_with_gradients_is_refused() -> None:
    model = _model()
    with pytest.raises(RuntimeError, match=r"torch\.no_grad\(\)"):
        model(torch.randn(1, 3, 4), use_cache=True)
    assert model.num_cached_tokens == 0
    model.requires_grad_(False)  # nothing to differentiate: allowed
    model(torch.randn(1, 3, 4), use_cache=True)
    assert model.num_cached_tokens == 3


def test_bad_arguments() -> None:
    model = _model()
    with torch.no_grad():
        with pytest.raises(TypeError, match="use_cache must be a bool"):
            model(torch.randn(1, 3, 4), use_cache=1)
        with pytest.raises(ValueError, match=r"last dimension must equal d_in \(4\)"):
            model(torch.randn(1, 3, 5), use_cache=True)
        with pytest.raises(ValueError, match=r"more than context_length \(10\)"):
            model(torch.randn(1, 11, 4), use_cache=True)
        with pytest.raises(TypeError, match="floating-point"):
            model(torch.ones(1, 3, 4, dtype=torch.long), use_cache=True)
    assert model.num_cached_tokens == 0
    with pytest.raises(ValueError, match=r"d_out \(5\) must be divisible by num_heads \(2\)"):
        KVCacheMultiHeadAttention(4, 5, 10, 0.0, 2)
