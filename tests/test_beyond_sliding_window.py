"""Beyond the chapter: sliding-window attention, 3.6.2 with a band-shaped mask."""

from __future__ import annotations

import pytest
import torch
from torch.nn.functional import scaled_dot_product_attention

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
