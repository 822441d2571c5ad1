"""Beyond the chapter: SDPAMultiHeadAttention, the 3.6.2 class on PyTorch's fused kernel."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from llm_attention import MultiHeadAttention, SDPAMultiHeadAttention, causal_mask

# (d_in, d_out, num_heads, qkv_bias): d_in != d_out, several head counts, both biases
CONFIGS = [
    (3, 2, 2, False),
    (3, 2, 1, True),
    (8, 12, 3, False),
    (16, 16, 4, True),
    (6, 24, 6, True),
    (10, 8, 8, False),
]


def _pair(
    d_in: int, d_out: int, num_heads: int, qkv_bias: bool, context_length: int = 9
) -> tuple[MultiHeadAttention, SDPAMultiHeadAttention]:
    torch.manual_seed(0)
    mha = MultiHeadAttention(d_in, d_out, context_length, 0.0, num_heads, qkv_bias=qkv_bias)
    sdpa = SDPAMultiHeadAttention(d_in, d_out, context_length, 0.0, num_heads, qkv_bias=qkv_bias)
    sdpa.load_state_dict(mha.state_dict())  # strict: same names and shapes
    return mha.eval(), sdpa.eval()


def test_the_chapter_example_as_printed_in_the_book(batch: torch.Tensor) -> None:
    # 3.6.2: torch.manual_seed(123); MultiHeadAttention(3, 2, 6, 0.0, num_heads=2)
    torch.manual_seed(123)
    sdpa = SDPAMultiHeadAttention(3, 2, 6, 0.0, num_heads=2)
    expected_row = torch.tensor(
        [
            [0.3190, 0.4858],
            [0.2943, 0.3897],
            [0.2856, 0.3593],
            [0.2693, 0.3873],
            [0.2639, 0.3928],
            [0.2575, 0.4028],
        ]
    )
    context_vecs = sdpa(batch)
    assert context_vecs.shape == (2, 6, 2)
    torch.testing.assert_close(
        context_vecs, torch.stack((expected_row, expected_row)), atol=1e-4, rtol=0
    )


def test_parameters_and_buffers_have_the_chapter_names() -> None:
    mha, sdpa = _pair(4, 6, 2, True)
    assert list(sdpa.state_dict()) == list(mha.state_dict())
    for key, value in mha.state_dict().items():
        assert sdpa.state_dict()[key].shape == value.shape


@pytest.mark.parametrize(("d_in", "d_out", "num_heads", "qkv_bias"), CONFIGS)
def test_equals_multihead_attention_after_load_state_dict(
    d_in: int, d_out: int, num_heads: int, qkv_bias: bool
) -> None:
    mha, sdpa = _pair(d_in, d_out, num_heads, qkv_bias)
    x = torch.randn(3, 7, d_in)
    torch.testing.assert_close(sdpa(x), mha(x), atol=1e-5, rtol=0)


@pytest.mark.parametrize(("d_in", "d_out", "num_heads", "qkv_bias"), CONFIGS[:3])
def test_gradients_equal_multihead_attention(
    d_in: int, d_out: int, num_heads: int, qkv_bias: bool
) -> None:
    mha, sdpa = _pair(d_in, d_out, num_heads, qkv_bias)
    x = torch.randn(2, 5, d_in)
    grad_output = torch.randn(2, 5, d_out)
    mha(x).backward(grad_output)
    sdpa(x).backward(grad_output)
    for (name, p_mha), (_, p_sdpa) in zip(
        mha.named_parameters(), sdpa.named_parameters(), strict=True
    ):
        assert p_mha.grad is not None and p_sdpa.grad is not None, name
        torch.testing.assert_close(p_sdpa.grad, p_mha.grad, atol=1e-5, rtol=1e-4)


def test_state_dict_round_trip_back_to_the_chapter_class() -> None:
    _, sdpa = _pair(5, 4, 2, True)
    restored = MultiHeadAttention(5, 4, 9, 0.0, 2, qkv_bias=True).eval()
    restored.load_state_dict(sdpa.state_dict())
    x = torch.randn(2, 9, 5)
    torch.testing.assert_close(restored(x), sdpa(x), atol=1e-5, rtol=0)


def test_matches_torch_multihead_attention() -> None:
    # PyTorch's own module as the oracle: one packed in-projection, then out_proj.
    _, sdpa = _pair(8, 8, 2, True)
    oracle = nn.MultiheadAttention(8, 2, bias=True, batch_first=True).eval()
    with torch.no_grad():
        oracle.in_proj_weight.copy_(
            torch.cat([sdpa.W_query.weight, sdpa.W_key.weight, sdpa.W_value.weight])
        )
        assert oracle.in_proj_bias is not None
        assert sdpa.W_query.bias is not None
        assert sdpa.W_key.bias is not None
        assert sdpa.W_value.bias is not None
        oracle.in_proj_bias.copy_(
            torch.cat([sdpa.W_query.bias, sdpa.W_key.bias, sdpa.W_value.bias])
        )
        oracle.out_proj.weight.copy_(sdpa.out_proj.weight)
        oracle.out_proj.bias.copy_(sdpa.out_proj.bias)
    x = torch.randn(2, 6, 8)
    expected, _ = oracle(x, x, x, attn_mask=causal_mask(6), need_weights=False)
    torch.testing.assert_close(sdpa(x), expected, atol=1e-5, rtol=0)


def test_is_causal() -> None:
    _, sdpa = _pair(4, 4, 2, False)
    x = torch.randn(1, 8, 4)
    changed = x.clone()
    changed[:, 5:] += 1.0  # change the last three tokens only
    torch.testing.assert_close(sdpa(changed)[:, :5], sdpa(x)[:, :5])
    assert not torch.allclose(sdpa(changed)[:, 5:], sdpa(x)[:, 5:])


def test_unbatched_input_equals_a_batch_of_one() -> None:
    _, sdpa = _pair(4, 6, 3, True)
    x = torch.randn(5, 4)
    out = sdpa(x)
    assert out.shape == (5, 6)
    torch.testing.assert_close(out, sdpa(x.unsqueeze(0)).squeeze(0))


def test_dropout_only_in_training() -> None:
    torch.manual_seed(0)
    sdpa = SDPAMultiHeadAttention(4, 4, 6, 0.5, 2)
    x = torch.randn(2, 6, 4)
    sdpa.eval()
    torch.testing.assert_close(sdpa(x), sdpa(x))  # eval: dropout_p = 0, deterministic
    sdpa.train()
    torch.manual_seed(1)
    first = sdpa(x)
    torch.manual_seed(1)
    again = sdpa(x)
    torch.manual_seed(2)
    other = sdpa(x)
    torch.testing.assert_close(first, again)  # the kernel's dropout follows the seed
    assert not torch.allclose(first, other)
    assert not torch.allclose(first, sdpa.eval()(x))


def test_gradcheck_in_float64() -> None:
    torch.manual_seed(0)
    sdpa = SDPAMultiHeadAttention(3, 4, 5, 0.0, 2, qkv_bias=True).double()
    x = torch.randn(2, 5, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(sdpa, (x,))


def test_attention_weights_are_not_available() -> None:
    _, sdpa = _pair(4, 4, 2, False)
    with pytest.raises(ValueError, match="cannot return attention weights"):
        sdpa(torch.randn(1, 3, 4), return_attn_weights=True)
    with pytest.raises(TypeError, match="return_attn_weights must be a bool"):
        sdpa(torch.randn(1, 3, 4), return_attn_weights=1)


def test_constructor_checks_are_the_chapter_ones() -> None:
    with pytest.raises(ValueError, match=r"d_out \(5\) must be divisible by num_heads \(2\)"):
        SDPAMultiHeadAttention(3, 5, 4, 0.0, 2)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        SDPAMultiHeadAttention(3, 4, 4, 1.0, 2)
    with pytest.raises(ValueError, match="num_heads must be >= 1"):
        SDPAMultiHeadAttention(3, 4, 4, 0.0, 0)
    with pytest.raises(TypeError, match="qkv_bias must be a bool"):
        SDPAMultiHeadAttention(3, 4, 4, 0.0, 2, qkv_bias="yes")  # type: ignore[arg-type]


def test_input_checks_are_the_chapter_ones() -> None:
    _, sdpa = _pair(4, 4, 2, False, context_length=5)
    with pytest.raises(ValueError, match=r"more than context_length \(5\)"):
        sdpa(torch.randn(1, 6, 4))
    with pytest.raises(ValueError, match=r"last dimension must equal d_in \(4\)"):
        sdpa(torch.randn(1, 3, 5))
    with pytest.raises(TypeError, match="floating-point"):
        sdpa(torch.ones(1, 3, 4, dtype=torch.long))
    with pytest.raises(TypeError, match=r"dtype torch\.float64"):
        sdpa(torch.randn(1, 3, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match="got 4 dimension"):
        sdpa(torch.randn(1, 1, 3, 4))
