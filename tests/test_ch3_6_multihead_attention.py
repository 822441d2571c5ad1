"""Section 3.6: multi-head attention, pinned to the book and checked against PyTorch."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from attention_registry import REGISTRY, names
from chapter_lib import forward_with_weights, input_for
from torch import nn
from torch.nn.functional import linear, scaled_dot_product_attention
from torch.testing import assert_close

from llm_attention import (
    CausalAttention,
    MultiHeadAttention,
    MultiHeadAttentionWrapper,
    causal_mask,
)

BOOK = {"atol": 1e-4, "rtol": 0.0}

# 3.6.1, torch.manual_seed(123), MultiHeadAttentionWrapper(3, 2, 6, 0.0, num_heads=2), batch[0]
WRAPPER_123 = [
    [-0.4519, 0.2216, 0.4772, 0.1063],
    [-0.5874, 0.0058, 0.5891, 0.3257],
    [-0.6300, -0.0632, 0.6202, 0.3860],
    [-0.5675, -0.0843, 0.5478, 0.3589],
    [-0.5526, -0.0981, 0.5321, 0.3428],
    [-0.5299, -0.1081, 0.5077, 0.3493],
]
# 3.6.2, torch.manual_seed(123), MultiHeadAttention(3, 2, 6, 0.0, num_heads=2), batch[0]
MHA_123 = [
    [0.3190, 0.4858],
    [0.2943, 0.3897],
    [0.2856, 0.3593],
    [0.2693, 0.3873],
    [0.2639, 0.3928],
    [0.2575, 0.4028],
]


def t(values: object) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32)


def tol(dtype: torch.dtype) -> dict[str, float]:
    """Oracle tolerances: different kernels sum in a different order."""
    if dtype == torch.float64:
        return {"atol": 1e-10, "rtol": 1e-8}
    return {"atol": 1e-5, "rtol": 1e-4}


# ---------------------------------------------------------------- the book's numbers


def test_wrapper_book_values(batch: torch.Tensor) -> None:
    torch.manual_seed(123)
    mha = MultiHeadAttentionWrapper(3, 2, 6, 0.0, num_heads=2)
    context_vecs = mha(batch)
    assert context_vecs.shape == (2, 6, 4)
    assert_close(context_vecs[0], t(WRAPPER_123), **BOOK)
    assert_close(context_vecs[1], context_vecs[0])


def test_multihead_attention_book_values(batch: torch.Tensor) -> None:
    torch.manual_seed(123)
    mha = MultiHeadAttention(3, 2, 6, 0.0, num_heads=2)
    context_vecs = mha(batch)
    assert context_vecs.shape == (2, 6, 2)
    assert_close(context_vecs[0], t(MHA_123), **BOOK)
    assert_close(context_vecs[1], context_vecs[0])


def test_d_out_means_per_head_in_the_wrapper_and_total_in_mha(batch: torch.Tensor) -> None:
    # READER-QUESTIONS #5: the same arguments give outputs of different widths.
    wrapper = MultiHeadAttentionWrapper(3, 4, 6, 0.0, num_heads=2)
    mha = MultiHeadAttention(3, 4, 6, 0.0, num_heads=2)
    assert wrapper(batch).shape == (2, 6, 8)
    assert mha(batch).shape == (2, 6, 4)
    assert mha.head_dim == 2


def test_exercise_3_2_two_dimensional_output(batch: torch.Tensor) -> None:
    torch.manual_seed(123)
    mha = MultiHeadAttentionWrapper(3, 1, 6, 0.0, num_heads=2)
    assert mha(batch).shape == (2, 6, 2)


def test_exercise_3_3_gpt2_sized_parameter_count() -> None:
    mha = MultiHeadAttention(768, 768, 1024, 0.0, num_heads=12)
    assert mha.head_dim == 64
    # W_query, W_key, W_value: 3 * 768 * 768 weights, no bias; out_proj: 768 * 768 + 768.
    assert sum(p.numel() for p in mha.parameters()) == 2_360_064
    assert mha.mask.shape == (1024, 1024)  # a buffer, not a parameter


def test_out_proj_maps_d_out_to_d_out() -> None:
    # READER-QUESTIONS #6
    mha = MultiHeadAttention(5, 8, 4, 0.0, num_heads=2)
    assert mha.out_proj.weight.shape == (8, 8)
    assert mha.out_proj.bias is not None
    assert mha.W_query.weight.shape == (8, 5)


# ---------------------------------------------------------------- oracles

ORACLE_SHAPES = [  # (d_in, d_out, num_heads); d_in != d_out on purpose (READER-QUESTIONS #8)
    (3, 2, 1),
    (3, 2, 2),
    (5, 8, 1),
    (5, 8, 2),
    (5, 8, 4),
    (16, 12, 3),
    (16, 12, 4),
    (6, 6, 3),
]
DTYPES = [torch.float32, torch.float64]


def make_mha(
    d_in: int, d_out: int, num_heads: int, qkv_bias: bool, dtype: torch.dtype, seed: int = 0
) -> MultiHeadAttention:
    torch.manual_seed(seed)
    mha = MultiHeadAttention(d_in, d_out, 10, 0.0, num_heads=num_heads, qkv_bias=qkv_bias)
    if qkv_bias:  # nn.Linear's default bias is small; make it matter
        with torch.no_grad():
            for layer in (mha.W_query, mha.W_key, mha.W_value):
                layer.bias.normal_()
    return mha.to(dtype).eval()


def _head_linear(layer: nn.Linear, rows: slice, x: torch.Tensor) -> torch.Tensor:
    bias = None if layer.bias is None else layer.bias[rows]
    return linear(x, layer.weight[rows], bias)


def sdpa_reference(mha: MultiHeadAttention, x: torch.Tensor) -> torch.Tensor:
    """One head at a time with PyTorch's fused attention, then concat and out_proj."""
    head_dim = mha.head_dim
    heads = []
    for h in range(mha.num_heads):
        rows = slice(h * head_dim, (h + 1) * head_dim)  # head h owns these output features
        q = _head_linear(mha.W_query, rows, x)  # (b, num_tokens, head_dim)
        k = _head_linear(mha.W_key, rows, x)
        v = _head_linear(mha.W_value, rows, x)
        heads.append(scaled_dot_product_attention(q, k, v, is_causal=True))
    return linear(torch.cat(heads, dim=-1), mha.out_proj.weight, mha.out_proj.bias)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("qkv_bias", [False, True], ids=["no_bias", "bias"])
@pytest.mark.parametrize(("d_in", "d_out", "num_heads"), ORACLE_SHAPES)
def test_mha_equals_per_head_sdpa(
    d_in: int, d_out: int, num_heads: int, qkv_bias: bool, dtype: torch.dtype
) -> None:
    mha = make_mha(d_in, d_out, num_heads, qkv_bias, dtype)
    x = torch.randn(3, 7, d_in, dtype=dtype)
    with torch.no_grad():
        out = mha(x)
        expected = sdpa_reference(mha, x)
    assert out.shape == (3, 7, d_out)
    assert out.dtype == dtype
    assert_close(out, expected, **tol(dtype))


def test_sdpa_boolean_mask_means_may_attend() -> None:
    # READER-QUESTIONS #9: SDPA's True = "may attend", the opposite of causal_mask's.
    gen = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 5, 4, generator=gen) for _ in range(3))
    causal = scaled_dot_product_attention(q, k, v, is_causal=True)
    assert_close(scaled_dot_product_attention(q, k, v, attn_mask=~causal_mask(5)), causal)
    wrong = scaled_dot_product_attention(q, k, v, attn_mask=causal_mask(5))
    # Passing the blocked-mask to SDPA lets the first token see the future: not causal.
    assert not torch.allclose(wrong[:, 0], causal[:, 0], equal_nan=True)


TORCH_MHA_SHAPES = [(4, 1), (8, 2), (8, 4), (12, 3), (6, 6)]  # (embed_dim = d_in = d_out, heads)


def torch_mha_from(mha: MultiHeadAttention) -> nn.MultiheadAttention:
    """An nn.MultiheadAttention with the same weights (it needs d_in == d_out)."""
    d_out = mha.d_out
    ref = nn.MultiheadAttention(
        embed_dim=d_out, num_heads=mha.num_heads, dropout=0.0, bias=True, batch_first=True
    ).to(mha.W_query.weight.dtype)
    layers = (mha.W_query, mha.W_key, mha.W_value)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([layer.weight for layer in layers]))
        # nn.MultiheadAttention ties the in_proj and out_proj biases to one flag:
        # without qkv_bias, keep its bias but set the in_proj part to zero.
        assert ref.in_proj_bias is not None
        if mha.W_query.bias is None:
            ref.in_proj_bias.zero_()
        else:
            ref.in_proj_bias.copy_(torch.cat([layer.bias for layer in layers]))
        ref.out_proj.weight.copy_(mha.out_proj.weight)
        ref.out_proj.bias.copy_(mha.out_proj.bias)
    return ref.eval()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("qkv_bias", [False, True], ids=["no_bias", "bias"])
@pytest.mark.parametrize(("d_model", "num_heads"), TORCH_MHA_SHAPES)
def test_mha_equals_torch_multihead_attention(
    d_model: int, num_heads: int, qkv_bias: bool, dtype: torch.dtype
) -> None:
    mha = make_mha(d_model, d_model, num_heads, qkv_bias, dtype)
    ref = torch_mha_from(mha)
    x = torch.randn(2, 9, d_model, dtype=dtype)
    with torch.no_grad():
        out, weights = mha(x, return_attn_weights=True)
        # nn.MultiheadAttention's attn_mask: True = blocked, the same as causal_mask.
        ref_out, ref_weights = ref(
            x, x, x, attn_mask=causal_mask(9), need_weights=True, average_attn_weights=False
        )
    assert_close(out, ref_out, **tol(dtype))
    assert ref_weights is not None
    assert_close(weights, ref_weights, **tol(dtype))


WRAPPER_SHAPES = [(3, 2, 2), (5, 8, 1), (5, 3, 4), (16, 12, 3)]  # (d_in, d_out per head, heads)


def make_wrapper(
    d_in: int, d_out: int, num_heads: int, qkv_bias: bool, dtype: torch.dtype
) -> MultiHeadAttentionWrapper:
    torch.manual_seed(0)
    wrapper = MultiHeadAttentionWrapper(d_in, d_out, 10, 0.0, num_heads, qkv_bias=qkv_bias)
    return wrapper.to(dtype).eval()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("qkv_bias", [False, True], ids=["no_bias", "bias"])
@pytest.mark.parametrize(("d_in", "d_out", "num_heads"), WRAPPER_SHAPES)
def test_wrapper_equals_separate_heads_and_sdpa(
    d_in: int, d_out: int, num_heads: int, qkv_bias: bool, dtype: torch.dtype
) -> None:
    wrapper = make_wrapper(d_in, d_out, num_heads, qkv_bias, dtype)
    x = torch.randn(2, 7, d_in, dtype=dtype)
    with torch.no_grad():
        out, weights = forward_with_weights(wrapper, x)
        separate, by_sdpa = [], []
        for h, head in enumerate(wrapper.heads):
            standalone = CausalAttention(d_in, d_out, 10, 0.0, qkv_bias=qkv_bias).to(dtype)
            standalone.load_state_dict(head.state_dict())
            out_h, weights_h = standalone.eval()(x, return_attn_weights=True)
            separate.append(out_h)
            assert_close(weights[:, h], weights_h)
            q, k, v = head.W_query(x), head.W_key(x), head.W_value(x)
            by_sdpa.append(scaled_dot_product_attention(q, k, v, is_causal=True))
    assert out.shape == (2, 7, d_out * num_heads)
    assert weights.shape == (2, num_heads, 7, 7)
    assert_close(out, torch.cat(separate, dim=-1))
    assert_close(out, torch.cat(by_sdpa, dim=-1), **tol(dtype))


@pytest.mark.parametrize(("d_in", "d_out", "num_heads"), WRAPPER_SHAPES)
def test_wrapper_equals_mha_with_stacked_weights_and_identity_out_proj(
    d_in: int, d_out: int, num_heads: int
) -> None:
    # 3.6.1 and 3.6.2 compute the same thing once the heads' weights are stacked
    # into one projection and out_proj does nothing.
    wrapper = make_wrapper(d_in, d_out, num_heads, True, torch.float32)
    mha = MultiHeadAttention(d_in, d_out * num_heads, 10, 0.0, num_heads, qkv_bias=True)
    with torch.no_grad():
        for name in ("W_query", "W_key", "W_value"):
            layers = [getattr(head, name) for head in wrapper.heads]
            getattr(mha, name).weight.copy_(torch.cat([layer.weight for layer in layers]))
            getattr(mha, name).bias.copy_(torch.cat([layer.bias for layer in layers]))
        mha.out_proj.weight.copy_(torch.eye(d_out * num_heads))
        mha.out_proj.bias.zero_()
        x = torch.randn(2, 6, d_in)
        out_w, weights_w = forward_with_weights(wrapper, x)
        out_m, weights_m = mha.eval()(x, return_attn_weights=True)
    assert_close(out_m, out_w, **tol(torch.float32))
    assert_close(weights_m, weights_w, **tol(torch.float32))


# ---------------------------------------------------------------- shapes and modes


@pytest.mark.parametrize("cls", [MultiHeadAttentionWrapper, MultiHeadAttention])
def test_return_attn_weights_shapes_and_rows(cls: type[nn.Module]) -> None:
    torch.manual_seed(0)
    module = cls(5, 6, 8, 0.2, num_heads=3).eval()
    x = torch.randn(2, 8, 5)
    default = module(x)
    assert isinstance(default, torch.Tensor)
    out, weights = forward_with_weights(module, x)
    assert_close(out, default)
    assert weights.shape == (2, 3, 8, 8)  # (b, num_heads, num_tokens, num_tokens)
    assert_close(weights.sum(dim=-1), torch.ones(2, 3, 8))
    assert bool((weights[..., causal_mask(8)] == 0).all())
    with pytest.raises(ValueError, match=r"x\.unsqueeze\(0\)"):  # the book's shapes only
        module(x[0])


def test_mha_one_sequence_is_a_batch_of_one(batch: torch.Tensor) -> None:
    torch.manual_seed(123)
    mha = MultiHeadAttention(3, 2, 6, 0.0, num_heads=2)
    out = mha(batch[0].unsqueeze(0))  # what the error for batch[0] tells the reader to do
    assert out.shape == (1, 6, 2)
    assert_close(out[0], t(MHA_123), **BOOK)


# the chapter's classes, from the registry: d_in 4, width 6, two heads, context_length 8
ALL_CLASSES: dict[str, Callable[[], nn.Module]] = {
    name: functools.partial(REGISTRY[name].build, 4, 6, 8, 2, qkv_bias=True)
    for name in names(chapter=True)
}


@pytest.mark.parametrize("make", ALL_CLASSES.values(), ids=ALL_CLASSES.keys())
def test_state_dict_round_trip(make: Callable[[], nn.Module], tmp_path: Path) -> None:
    torch.manual_seed(0)
    original = make()
    torch.manual_seed(1)
    restored = make()
    x = input_for(original, torch.randn(2, 8, 4))
    with torch.no_grad():
        assert not torch.allclose(original(x), restored(x))
        path = tmp_path / "attention.pt"
        torch.save(original.state_dict(), path)
        restored.load_state_dict(torch.load(path, weights_only=True))
        assert_close(restored(x), original(x), rtol=0, atol=0)


@pytest.mark.parametrize("make", ALL_CLASSES.values(), ids=ALL_CLASSES.keys())
def test_float64(make: Callable[[], nn.Module]) -> None:
    torch.manual_seed(0)
    module = make().eval()
    module64 = copy.deepcopy(module).double()
    x = input_for(module, torch.randn(2, 8, 4))
    with torch.no_grad():
        out64 = module64(x.double())
        out32 = module(x)
    assert out64.dtype == torch.float64
    assert_close(out64.float(), out32, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("qkv_bias", [False, True])
def test_gradcheck_multihead_attention(qkv_bias: bool) -> None:
    torch.manual_seed(0)
    mha = MultiHeadAttention(4, 6, 5, 0.0, num_heads=2, qkv_bias=qkv_bias).double()
    x = torch.randn(2, 5, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(mha, (x,))


@pytest.mark.parametrize("scale", [1e4, 1e6])
@pytest.mark.parametrize(
    "make",
    [
        lambda: CausalAttention(3, 2, 6, 0.0),
        lambda: MultiHeadAttentionWrapper(3, 2, 6, 0.0, num_heads=2),
        lambda: MultiHeadAttention(3, 2, 6, 0.0, num_heads=2),
    ],
    ids=["CausalAttention", "MultiHeadAttentionWrapper", "MultiHeadAttention"],
)
def test_very_large_inputs_give_no_nan(
    make: Callable[[], nn.Module], scale: float, batch: torch.Tensor
) -> None:
    torch.manual_seed(123)
    module = make().eval()
    with torch.no_grad():
        out, weights = forward_with_weights(module, batch * scale)
    assert bool(torch.isfinite(out).all())
    assert bool(torch.isfinite(weights).all())
    assert_close(weights.sum(dim=-1), torch.ones(weights.shape[:-1]))
