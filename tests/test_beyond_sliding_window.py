"""Beyond the chapter: sliding-window attention, 3.6.2 with a band-shaped mask."""

from __future__ import annotations

import pytest
import torch
from attention_registry import CONTEXT, D_IN, D_OUT, HEADS, build, feed
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.functional import scaled_dot_product_attention

import llm_attention as la
from llm_attention import (
    MultiHeadAttention,
    SlidingWindowAttention,
    causal_mask,
    sliding_window_mask,
)

# (d_in, d_out, num_heads, qkv_bias)
CONFIGS = [
    (3, 2, 2, False),
    (8, 12, 3, True),
    (16, 16, 4, False),
    (6, 24, 6, True),
]


def _swa(
    window_size: int,
    d_in: int = 4,
    d_out: int = 6,
    num_heads: int = 2,
    qkv_bias: bool = False,
    context_length: int = 12,
) -> SlidingWindowAttention:
    torch.manual_seed(0)
    model = SlidingWindowAttention(
        d_in, d_out, context_length, 0.0, num_heads, window_size, qkv_bias
    )
    return model.eval()


def _brute_force_mask(num_tokens: int, window_size: int) -> torch.Tensor:
    blocked = torch.zeros(num_tokens, num_tokens, dtype=torch.bool)
    for i in range(num_tokens):
        for j in range(num_tokens):
            blocked[i, j] = j > i or j <= i - window_size
    return blocked


@pytest.mark.parametrize("num_tokens", [1, 2, 5, 9])
@pytest.mark.parametrize("window_size", [1, 2, 3, 8, 20])
def test_band_mask_against_brute_force(num_tokens: int, window_size: int) -> None:
    mask = sliding_window_mask(num_tokens, window_size)
    assert mask.dtype == torch.bool
    assert torch.equal(mask, _brute_force_mask(num_tokens, window_size))


def test_band_mask_by_hand() -> None:
    expected = torch.tensor(
        [
            [0, 1, 1, 1, 1],
            [0, 0, 1, 1, 1],
            [1, 0, 0, 1, 1],
            [1, 1, 0, 0, 1],
            [1, 1, 1, 0, 0],
        ],
        dtype=torch.bool,
    )
    assert torch.equal(sliding_window_mask(5, 2), expected)
    # each query sees at most window_size keys, and always itself
    assert (~sliding_window_mask(9, 3)).sum(dim=-1).tolist() == [1, 2, 3, 3, 3, 3, 3, 3, 3]


def test_a_window_as_long_as_the_sequence_is_the_causal_mask() -> None:
    assert torch.equal(sliding_window_mask(7, 7), causal_mask(7))


def test_the_top_left_corner_of_the_buffer_is_the_mask_for_fewer_tokens() -> None:
    # forward slices mask[:num_tokens, :num_tokens], as for the chapter's causal mask
    model = _swa(window_size=3, context_length=12)
    for num_tokens in (1, 4, 12):
        assert torch.equal(model.mask[:num_tokens, :num_tokens], sliding_window_mask(num_tokens, 3))


@pytest.mark.parametrize(("d_in", "d_out", "num_heads", "qkv_bias"), CONFIGS)
@pytest.mark.parametrize("window_size", [9, 12, 100])
def test_a_window_covering_all_tokens_is_multihead_attention(
    d_in: int, d_out: int, num_heads: int, qkv_bias: bool, window_size: int
) -> None:
    torch.manual_seed(1)
    mha = MultiHeadAttention(d_in, d_out, 12, 0.0, num_heads, qkv_bias).eval()
    swa = _swa(window_size, d_in, d_out, num_heads, qkv_bias)
    result = swa.load_state_dict(mha.state_dict(), strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == ["mask"]
    x = torch.randn(2, 9, d_in)  # num_tokens = 9 <= window_size
    out, weights = swa(x, return_attn_weights=True)
    expected, expected_weights = mha(x, return_attn_weights=True)
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(weights, expected_weights, atol=1e-6, rtol=0)


@pytest.mark.parametrize(("d_in", "d_out", "num_heads", "qkv_bias"), CONFIGS)
@pytest.mark.parametrize("window_size", [1, 2, 4])
def test_matches_pytorch_sdpa_with_the_band_as_attn_mask(
    d_in: int, d_out: int, num_heads: int, qkv_bias: bool, window_size: int
) -> None:
    swa = _swa(window_size, d_in, d_out, num_heads, qkv_bias)
    b, num_tokens, head_dim = 2, 10, d_out // num_heads
    x = torch.randn(b, num_tokens, d_in)

    def heads(t: torch.Tensor) -> torch.Tensor:
        return t.view(b, num_tokens, num_heads, head_dim).transpose(1, 2)

    # SDPA's boolean attn_mask is True where attending is *allowed*
    allowed = ~sliding_window_mask(num_tokens, window_size)
    context_vec = scaled_dot_product_attention(
        heads(swa.W_query(x)), heads(swa.W_key(x)), heads(swa.W_value(x)), attn_mask=allowed
    )
    expected = swa.out_proj(context_vec.transpose(1, 2).reshape(b, num_tokens, d_out))
    torch.testing.assert_close(swa(x), expected, atol=1e-5, rtol=0)


def test_weights_are_zero_outside_the_band_and_rows_sum_to_one() -> None:
    swa = _swa(window_size=3)
    _, weights = swa(torch.randn(2, 8, 4), return_attn_weights=True)
    assert weights.shape == (2, 2, 8, 8)
    assert torch.all(weights[..., sliding_window_mask(8, 3)] == 0)
    assert torch.all(weights[..., ~sliding_window_mask(8, 3)] > 0)
    torch.testing.assert_close(weights.sum(dim=-1), torch.ones(2, 2, 8))


def test_causality() -> None:
    swa = _swa(window_size=4)
    x = torch.randn(1, 10, 4)
    for k in range(10):
        changed = x.clone()
        changed[:, k] += 1.0
        torch.testing.assert_close(swa(changed)[:, :k], swa(x)[:, :k])


@pytest.mark.parametrize("window_size", [1, 2, 3, 5])
def test_locality(window_size: int) -> None:
    # Token i sees tokens i - window_size + 1 .. i: changing token k affects outputs
    # k .. k + window_size - 1 and no output further on.
    swa = _swa(window_size)
    x = torch.randn(1, 12, 4)
    out = swa(x)
    k = 2
    changed = x.clone()
    changed[:, k] += 1.0
    changed_out = swa(changed)
    reach = k + window_size
    torch.testing.assert_close(changed_out[:, reach:], out[:, reach:])
    for i in range(k, reach):
        assert not torch.allclose(changed_out[:, i], out[:, i]), i


def test_a_window_of_one_attends_only_to_itself() -> None:
    swa = _swa(window_size=1, qkv_bias=True)
    x = torch.randn(2, 5, 4)
    # softmax over a single score is 1: each output is out_proj(W_value x_i)
    torch.testing.assert_close(swa(x), swa.out_proj(swa.W_value(x)), atol=1e-6, rtol=0)


def test_the_mask_is_not_saved_and_survives_loading_a_causal_checkpoint() -> None:
    swa = _swa(window_size=2)
    assert "mask" not in swa.state_dict()
    mha = MultiHeadAttention(4, 6, 12, 0.0, 2)
    swa.load_state_dict(mha.state_dict(), strict=False)
    assert torch.equal(swa.mask, sliding_window_mask(12, 2))
    restored = SlidingWindowAttention(4, 6, 12, 0.0, 2, window_size=2).eval()
    restored.load_state_dict(swa.state_dict())  # strict round trip between windowed modules
    x = torch.randn(1, 12, 4)
    torch.testing.assert_close(restored(x), swa(x), atol=0, rtol=0)


def test_unbatched_input() -> None:
    swa = _swa(window_size=3)
    x = torch.randn(7, 4)
    out, weights = swa(x, return_attn_weights=True)
    assert out.shape == (7, 6) and weights.shape == (2, 7, 7)
    torch.testing.assert_close(out, swa(x.unsqueeze(0)).squeeze(0))


def test_gradcheck_in_float64() -> None:
    swa = _swa(window_size=2, d_in=3, d_out=4, qkv_bias=True).double()
    x = torch.randn(1, 5, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(swa, (x,))


@pytest.mark.parametrize("window_size", [0, -3])
def test_window_size_below_one(window_size: int) -> None:
    with pytest.raises(ValueError, match=f"window_size must be >= 1, got {window_size}"):
        SlidingWindowAttention(4, 6, 12, 0.0, 2, window_size)
    with pytest.raises(ValueError, match="window_size must be >= 1"):
        sliding_window_mask(5, window_size)


@pytest.mark.parametrize("window_size", [2.0, "3", True, None])
def test_window_size_not_an_int(window_size: object) -> None:
    with pytest.raises(TypeError, match="window_size must be an int"):
        SlidingWindowAttention(4, 6, 12, 0.0, 2, window_size)  # type: ignore[arg-type]


def test_the_other_checks_are_the_chapter_ones() -> None:
    with pytest.raises(ValueError, match=r"d_out \(5\) must be divisible by num_heads \(2\)"):
        SlidingWindowAttention(4, 5, 12, 0.0, 2, 3)
    swa = _swa(window_size=3, context_length=6)
    with pytest.raises(ValueError, match=r"more than context_length \(6\)"):
        swa(torch.randn(1, 7, 4))
    with pytest.raises(ValueError, match="num_tokens must be >= 1"):
        sliding_window_mask(0, 3)


# ---------------------------------------------------------------- the rolling cache
def test_sliding_window_cache_stays_flat_past_the_window() -> None:
    module = la.SlidingWindowAttention(D_IN, D_OUT, 64, 0.0, HEADS, window_size=8).eval()
    sizes = []
    with torch.no_grad():
        for _ in range(64):
            module(torch.randn(1, 1, D_IN), use_cache=True)
            sizes.append(module.cache_nbytes())
    assert len(set(sizes)) == 1  # allocated once, for the window, never grown
    assert module.cache_k is not None and module.cache_k.shape[2] == 8
    growing = la.KVCacheMultiHeadAttention(D_IN, D_OUT, 64, 0.0, HEADS)
    with torch.no_grad():
        growing(torch.randn(1, 1, D_IN), use_cache=True)
    assert growing.cache_nbytes() == 8 * sizes[-1]  # 64 positions against 8


def test_a_window_wider_than_the_context_caches_only_the_context() -> None:
    module = la.SlidingWindowAttention(D_IN, D_OUT, 6, 0.0, HEADS, window_size=50).eval()
    with torch.no_grad():
        module(torch.randn(1, 6, D_IN), use_cache=True)
    assert (
        module.cache_nbytes()
        == la.kv_cache_bytes(
            num_layers=1,
            context_length=6,
            batch_size=1,
            num_kv_heads=HEADS,
            head_dim=D_OUT // HEADS,
            bytes_per_element=4,
        )
        == 2 * 6 * D_OUT * 4
    )


@settings(max_examples=40, deadline=None)
@given(
    window=st.integers(1, 12),
    chunks=st.lists(st.integers(1, 20), min_size=1, max_size=6).filter(lambda c: sum(c) <= 40),
    seed=st.integers(0, 2**16),
)
def test_rolling_buffer_is_right_for_every_chunk_size_and_window(
    window: int, chunks: list[int], seed: int
) -> None:
    # chunks up to 20 tokens against windows down to 1: prefill chunks longer than the window
    torch.manual_seed(seed)
    module = la.SlidingWindowAttention(D_IN, D_OUT, 40, 0.0, HEADS, window).eval()
    x = torch.randn(2, sum(chunks), D_IN)
    with torch.no_grad():
        full = module(x)
    torch.testing.assert_close(feed(module, x, chunks), full, atol=1e-5, rtol=0)


def test_a_prefill_longer_than_the_window_then_decoding() -> None:
    module = la.SlidingWindowAttention(D_IN, D_OUT, 32, 0.0, HEADS, window_size=4).eval()
    x = torch.randn(1, 20, D_IN)
    with torch.no_grad():
        full = module(x)
    torch.testing.assert_close(feed(module, x, [13] + [1] * 7), full, atol=1e-5, rtol=0)


def test_cached_sliding_window_wider_than_the_text_is_cached_mha() -> None:
    torch.manual_seed(1)
    mha = la.KVCacheMultiHeadAttention(D_IN, D_OUT, CONTEXT, 0.0, HEADS).eval()
    swa = la.SlidingWindowAttention(D_IN, D_OUT, CONTEXT, 0.0, HEADS, window_size=CONTEXT).eval()
    swa.load_state_dict(mha.state_dict(), strict=False)
    x = torch.randn(2, 11, D_IN)
    torch.testing.assert_close(feed(swa, x, [6, 1, 4]), feed(mha, x, [6, 1, 4]))


def test_cached_sliding_window_matches_sdpa_with_the_band_mask() -> None:
    m = build("SlidingWindowAttention")
    x = torch.randn(2, 17, D_IN)
    with torch.no_grad():
        q, k, v = (
            w(x).view(2, 17, HEADS, -1).transpose(1, 2) for w in (m.W_query, m.W_key, m.W_value)
        )
        allowed = ~la.sliding_window_mask(17, m.window_size)
        context = (
            scaled_dot_product_attention(q, k, v, attn_mask=allowed)
            .transpose(1, 2)
            .reshape(2, 17, D_OUT)
        )
        expected = m.out_proj(context)
    torch.testing.assert_close(feed(m, x, [9, 1, 1, 6]), expected, atol=1e-5, rtol=0)


# ---------------------------------------------------------------- defects 2, 3 and 4
def test_a_float32_prefill_then_a_chunk_under_autocast() -> None:
    # defect 2: the chunk's bfloat16 keys were copied into the float32 buffer by index_copy_
    module = build("SlidingWindowAttention")
    x = torch.randn(2, 10, D_IN)
    with torch.no_grad():
        reference = module(x)
        first = module(x[:, :6], use_cache=True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            second = module(x[:, 6:], use_cache=True)  # 4 tokens: the multi-token write
    assert module.cache_k is not None and module.cache_k.dtype == torch.float32
    assert module.num_cached_tokens == 10
    out = torch.cat((first, second.float()), dim=1)
    torch.testing.assert_close(out, reference, atol=5e-2, rtol=5e-2)


@pytest.mark.parametrize("start", range(12))
def test_a_one_token_step_has_the_layout_of_the_same_token_in_a_chunk(start: int) -> None:
    # defect 3: one layout, positions start - num_kept .. end - 1, whatever the chunk size
    module = build("SlidingWindowAttention")  # window 5: 5 slots
    x = torch.randn(1, start + 2, D_IN)
    kept = min(start, module.slots)
    with torch.no_grad():
        _, full = module(x, return_attn_weights=True)
        if start:
            module(x[:, :start], use_cache=True)
        _, alone = module(x[:, start : start + 1], use_cache=True, return_attn_weights=True)
        module.reset_cache()
        if start:
            module(x[:, :start], use_cache=True)
        _, chunk = module(x[:, start : start + 2], use_cache=True, return_attn_weights=True)
    assert alone.shape[-1] == kept + 1
    assert chunk.shape[-1] == kept + 2
    row = full[:, :, start, start - kept : start + 1]  # the positions start - kept .. start
    torch.testing.assert_close(alone[:, :, 0], row, atol=1e-6, rtol=0)
    torch.testing.assert_close(chunk[:, :, 0, : kept + 1], row, atol=1e-6, rtol=0)
    assert torch.equal(chunk[:, :, 0, -1], torch.zeros_like(chunk[:, :, 0, -1]))  # the future
    if start >= module.slots:  # the oldest position read has just left the window: weight 0
        assert torch.equal(alone[:, :, 0, 0], torch.zeros_like(alone[:, :, 0, 0]))


def test_window_size_is_read_only() -> None:
    # defect 4: a new window_size reached only some of the paths (mask, chunks, slots)
    module = _swa(3)
    with pytest.raises(AttributeError, match=r"window_size is read-only.*load this module's"):
        module.window_size = 2
    with pytest.raises(AttributeError):
        module.slots = 2  # type: ignore[misc]
    assert module.window_size == 3 and module.slots == 3
    assert torch.equal(module.mask, sliding_window_mask(12, 3))
