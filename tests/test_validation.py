"""Bad arguments and bad inputs fail early, with a message that names what is wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from llm_attention import (
    CausalAttention,
    MultiHeadAttention,
    MultiHeadAttentionWrapper,
    SelfAttention_v1,
    SelfAttention_v2,
    causal_mask,
    init_qkv_weights,
    project_qkv,
    scaled_attention_weights,
)
from llm_attention.checks import check_heads, check_kv_groups

D_IN, D_OUT, CONTEXT_LENGTH = 3, 4, 6


def v1(**kw: Any) -> nn.Module:
    args = {"d_in": D_IN, "d_out": D_OUT} | kw
    return SelfAttention_v1(args["d_in"], args["d_out"])


def v2(**kw: Any) -> nn.Module:
    args = {"d_in": D_IN, "d_out": D_OUT, "qkv_bias": False} | kw
    return SelfAttention_v2(args["d_in"], args["d_out"], qkv_bias=args["qkv_bias"])


def causal(**kw: Any) -> nn.Module:
    args = {
        "d_in": D_IN,
        "d_out": D_OUT,
        "context_length": CONTEXT_LENGTH,
        "dropout": 0.0,
        "qkv_bias": False,
    } | kw
    return CausalAttention(
        args["d_in"], args["d_out"], args["context_length"], args["dropout"], args["qkv_bias"]
    )


def _multihead(cls: Callable[..., nn.Module], **kw: Any) -> nn.Module:
    args = {
        "d_in": D_IN,
        "d_out": D_OUT,
        "context_length": CONTEXT_LENGTH,
        "dropout": 0.0,
        "num_heads": 2,
        "qkv_bias": False,
    } | kw
    return cls(
        args["d_in"],
        args["d_out"],
        args["context_length"],
        args["dropout"],
        args["num_heads"],
        args["qkv_bias"],
    )


def wrapper(**kw: Any) -> nn.Module:
    return _multihead(MultiHeadAttentionWrapper, **kw)


def mha(**kw: Any) -> nn.Module:
    return _multihead(MultiHeadAttention, **kw)


Factory = Callable[..., nn.Module]
ALL: dict[str, Factory] = {
    "SelfAttention_v1": v1,
    "SelfAttention_v2": v2,
    "CausalAttention": causal,
    "MultiHeadAttentionWrapper": wrapper,
    "MultiHeadAttention": mha,
}
WITH_QKV_BIAS = {k: f for k, f in ALL.items() if k != "SelfAttention_v1"}
WITH_CONTEXT = {
    k: ALL[k] for k in ("CausalAttention", "MultiHeadAttentionWrapper", "MultiHeadAttention")
}
WITH_HEADS = {k: ALL[k] for k in ("MultiHeadAttentionWrapper", "MultiHeadAttention")}


def over(classes: dict[str, Factory]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("make", classes.values(), ids=classes.keys())


def good_input(b: int = 2, num_tokens: int = CONTEXT_LENGTH) -> torch.Tensor:
    return torch.randn(b, num_tokens, D_IN)


# ---------------------------------------------------------------- constructor arguments


def test_d_out_not_divisible_by_num_heads() -> None:
    with pytest.raises(ValueError, match=r"d_out \(5\) must be divisible by num_heads \(2\)"):
        mha(d_out=5, num_heads=2)
    with pytest.raises(ValueError, match=r"d_out \(6\) must be divisible by num_heads \(4\)"):
        mha(d_out=6, num_heads=4)


def test_wrapper_d_out_need_not_be_divisible() -> None:
    # In the wrapper d_out is the size of each head, so any num_heads works.
    assert wrapper(d_out=5, num_heads=2)(good_input()).shape == (2, CONTEXT_LENGTH, 10)


@over(WITH_HEADS)
@pytest.mark.parametrize("num_heads", [0, -1])
def test_num_heads_below_one(make: Factory, num_heads: int) -> None:
    with pytest.raises(ValueError, match=rf"num_heads must be >= 1, got {num_heads}"):
        make(num_heads=num_heads)


@over(WITH_HEADS)
@pytest.mark.parametrize("num_heads", [2.0, "2", True, None])
def test_num_heads_not_an_int(make: Factory, num_heads: object) -> None:
    with pytest.raises(TypeError, match=r"num_heads must be an int"):
        make(num_heads=num_heads)


@over(WITH_CONTEXT)
@pytest.mark.parametrize("dropout", [-0.1, 1.0, 1.5, float("nan")])
def test_dropout_outside_unit_interval(make: Factory, dropout: float) -> None:
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        make(dropout=dropout)


@over(WITH_CONTEXT)
@pytest.mark.parametrize("dropout", ["0.1", None, True])
def test_dropout_not_a_number(make: Factory, dropout: object) -> None:
    with pytest.raises(TypeError, match=r"dropout must be a float"):
        make(dropout=dropout)


@over(WITH_CONTEXT)
@pytest.mark.parametrize("dropout", [0, 0.0, 0.5, 0.99])
def test_dropout_inside_unit_interval_is_accepted(make: Factory, dropout: float) -> None:
    make(dropout=dropout)


@over(WITH_CONTEXT)
@pytest.mark.parametrize("context_length", [0, -3])
def test_context_length_below_one(make: Factory, context_length: int) -> None:
    with pytest.raises(ValueError, match=r"context_length must be >= 1"):
        make(context_length=context_length)


@over(WITH_CONTEXT)
def test_context_length_not_an_int(make: Factory) -> None:
    with pytest.raises(TypeError, match=r"context_length must be an int"):
        make(context_length=6.0)


@over(ALL)
@pytest.mark.parametrize("name", ["d_in", "d_out"])
def test_sizes_below_one(make: Factory, name: str) -> None:
    with pytest.raises(ValueError, match=rf"{name} must be >= 1, got 0"):
        make(**{name: 0})


@over(ALL)
@pytest.mark.parametrize("name", ["d_in", "d_out"])
def test_sizes_not_an_int(make: Factory, name: str) -> None:
    with pytest.raises(TypeError, match=rf"{name} must be an int"):
        make(**{name: 3.0})


@over(WITH_QKV_BIAS)
@pytest.mark.parametrize("qkv_bias", [1, 0, "yes", None])
def test_qkv_bias_not_a_bool(make: Factory, qkv_bias: object) -> None:
    with pytest.raises(TypeError, match=r"qkv_bias must be a bool"):
        make(qkv_bias=qkv_bias)


# ---------------------------------------------------------------- forward inputs
# The book's input contract: one sequence (num_tokens, d_in) for SelfAttention_v1 and _v2,
# a batch (b, num_tokens, d_in) for the rest. Anything else is a clear error.

ONE_SEQUENCE = {k: ALL[k] for k in ("SelfAttention_v1", "SelfAttention_v2")}


def input_for(module: nn.Module, b: int = 2, num_tokens: int = CONTEXT_LENGTH) -> torch.Tensor:
    """A good input for ``module``: one sequence for v1/v2, a batch for the rest."""
    x = good_input(b, num_tokens)
    return x[0] if isinstance(module, SelfAttention_v1 | SelfAttention_v2) else x


@over(ALL)
def test_the_book_shapes_are_accepted(make: Factory) -> None:
    module = make()
    x = input_for(module)
    assert module(x).shape == (*x.shape[:-1], module(x).shape[-1])


@over(WITH_CONTEXT)
def test_input_longer_than_context_length(make: Factory) -> None:
    module = make()
    module(good_input(num_tokens=CONTEXT_LENGTH))  # exactly context_length is fine
    with pytest.raises(ValueError, match=r"7 tokens, more than context_length \(6\)"):
        module(good_input(num_tokens=CONTEXT_LENGTH + 1))


@over(ALL)
def test_last_dimension_not_d_in(make: Factory) -> None:
    module = make()
    x = torch.randn(*input_for(module).shape[:-1], D_IN + 1)
    with pytest.raises(ValueError, match=r"last dimension must equal d_in \(3\), got shape"):
        module(x)


@over(ALL)
@pytest.mark.parametrize("dtype", [torch.long, torch.int32, torch.bool])
def test_non_floating_input(make: Factory, dtype: torch.dtype) -> None:
    module = make()
    with pytest.raises(TypeError, match=r"x must be a floating-point tensor"):
        module(input_for(module).to(dtype))


@over(ALL)
def test_input_not_a_tensor(make: Factory) -> None:
    module = make()
    with pytest.raises(TypeError, match=r"x must be a torch.Tensor of shape \(.*\), got list"):
        module(input_for(module).tolist())


@over(ALL)
@pytest.mark.parametrize("shape", [(D_IN,), (1, 2, 4, D_IN)], ids=["1-D", "4-D"])
def test_wrong_rank(make: Factory, shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"x must have shape \((b, )?num_tokens, d_in\), got"):
        make()(torch.randn(shape))


@over(WITH_CONTEXT)
def test_one_sequence_to_a_batch_class_names_the_fix(make: Factory) -> None:
    with pytest.raises(ValueError, match=r"add the batch dimension: x\.unsqueeze\(0\)"):
        make()(good_input()[0])


@over(ONE_SEQUENCE)
def test_a_batch_to_a_one_sequence_class_names_the_fix(make: Factory) -> None:
    with pytest.raises(ValueError, match=r"takes one sequence: pass x\[0\]"):
        make()(good_input())


@over(ALL)
def test_no_tokens(make: Factory) -> None:
    module = make()
    with pytest.raises(ValueError, match=r"at least one token"):
        module(input_for(module, num_tokens=0))


@over(ALL)
def test_dtype_mismatch_between_input_and_module(make: Factory) -> None:
    module = make()
    x = input_for(module)
    with pytest.raises(TypeError, match=r"x has dtype torch.float64 but the module's parameters"):
        module(x.double())
    with pytest.raises(TypeError, match=r"x has dtype torch.float32 but the module's parameters"):
        make().double()(x)


@over({k: f for k, f in ALL.items() if k != "MultiHeadAttentionWrapper"})
def test_return_attn_weights_gives_rows_that_sum_to_one(make: Factory) -> None:
    module = make().eval()
    x = input_for(module)
    out, weights = module(x, return_attn_weights=True)
    assert torch.equal(out, module(x))
    assert_close(weights.sum(-1), torch.ones(weights.shape[:-1]))


# ---------------------------------------------------------------- the shared checks


@pytest.mark.parametrize(
    ("check", "args", "error", "message"),
    [
        (check_heads, (4, 0), ValueError, r"num_heads must be >= 1, got 0"),
        (check_heads, (4, -2), ValueError, r"num_heads must be >= 1, got -2"),
        (check_heads, (4, 2.0), TypeError, r"num_heads must be an int, got float"),
        (check_heads, (0, 2), ValueError, r"d_out must be >= 1, got 0"),
        (check_heads, (4.0, 2), TypeError, r"d_out must be an int, got float"),
        (check_heads, (6, 4), ValueError, r"d_out \(6\) must be divisible by num_heads \(4\)"),
        (check_kv_groups, (4, 0), ValueError, r"num_kv_groups must be >= 1, got 0"),
        (check_kv_groups, (4, -1), ValueError, r"num_kv_groups must be >= 1, got -1"),
        (check_kv_groups, (4, None), TypeError, r"num_kv_groups must be an int, got NoneType"),
        (check_kv_groups, (0, 2), ValueError, r"num_heads must be >= 1, got 0"),
        (
            check_kv_groups,
            (4, 3),
            ValueError,
            r"num_heads \(4\) must be divisible by num_kv_groups",
        ),
    ],
    ids=lambda v: getattr(v, "__name__", repr(v)),
)
def test_check_heads_and_kv_groups_name_a_bad_argument(
    check: Callable[..., int], args: tuple[object, ...], error: type, message: str
) -> None:
    # num_heads=0 and num_kv_groups=0 gave ZeroDivisionError.
    with pytest.raises(error, match=message):
        check(*args)


def test_check_heads_and_kv_groups_return_the_quotient() -> None:
    assert check_heads(12, 4) == 3
    assert check_kv_groups(8, 2) == 4


# ---------------------------------------------------------------- the step functions


def test_step_function_arguments() -> None:
    with pytest.raises(ValueError, match=r"d_in must be >= 1"):
        init_qkv_weights(0, 2)
    with pytest.raises(TypeError, match=r"d_out must be an int"):
        init_qkv_weights(3, 2.5)
    with pytest.raises(ValueError, match=r"d_k must be >= 1"):
        scaled_attention_weights(torch.randn(4), 0)
    with pytest.raises(ValueError, match=r"num_tokens must be >= 1"):
        causal_mask(0)
    W = torch.rand(3, 2)
    with pytest.raises(ValueError, match=r"W_key must have shape \(d_in, d_out\)"):
        project_qkv(torch.rand(6, 3), W, torch.rand(4, 2), W)
    with pytest.raises(ValueError, match=r"W_value must have shape \(d_in, d_out\)"):
        project_qkv(torch.rand(6, 3), W, W, torch.rand(3))
