"""Section 3.5: causal masking, dropout on the attention weights, CausalAttention."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from llm_attention import (
    CausalAttention,
    MultiHeadAttention,
    MultiHeadAttentionWrapper,
    SelfAttention_v2,
    causal_mask,
    mask_after_softmax,
    mask_before_softmax,
)

BOOK = {"atol": 1e-4, "rtol": 0.0}

# 3.5.1, the weights of SelfAttention_v2 with torch.manual_seed(789), masked.
MASKED_WEIGHTS_789 = [
    [1.0000, 0.0000, 0.0000, 0.0000, 0.0000, 0.0000],
    [0.5517, 0.4483, 0.0000, 0.0000, 0.0000, 0.0000],
    [0.3800, 0.3097, 0.3103, 0.0000, 0.0000, 0.0000],
    [0.2758, 0.2460, 0.2462, 0.2319, 0.0000, 0.0000],
    [0.2175, 0.1983, 0.1984, 0.1888, 0.1971, 0.0000],
    [0.1935, 0.1663, 0.1666, 0.1542, 0.1666, 0.1529],
]
# 3.5.3, CausalAttention(3, 2, 6, 0.0) with torch.manual_seed(123), each batch entry.
CAUSAL_123 = [
    [-0.4519, 0.2216],
    [-0.5874, 0.0058],
    [-0.6300, -0.0632],
    [-0.5675, -0.0843],
    [-0.5526, -0.0981],
    [-0.5299, -0.1081],
]


def t(values: object) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32)


def book_scores(inputs: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Unscaled scores Q K^T of the book's seed-789 SelfAttention_v2, and d_k."""
    torch.manual_seed(789)
    sa_v2 = SelfAttention_v2(3, 2)
    with torch.no_grad():
        queries, keys = sa_v2.W_query(inputs), sa_v2.W_key(inputs)
    return queries @ keys.T, keys.shape[-1]


# ---------------------------------------------------------------- 3.5.1: the mask


def test_causal_mask_is_true_strictly_above_the_diagonal() -> None:
    mask = causal_mask(4)
    assert mask.dtype == torch.bool
    expected = torch.tensor(
        [
            [False, True, True, True],
            [False, False, True, True],
            [False, False, False, True],
            [False, False, False, False],
        ]
    )
    assert torch.equal(mask, expected)
    n = 7
    mask = causal_mask(n)
    for i in range(n):
        for j in range(n):
            assert bool(mask[i, j]) == (j > i)  # True = blocked: key j is in query i's future


def test_causal_mask_device_argument() -> None:
    assert causal_mask(3, device="meta").device.type == "meta"
    assert causal_mask(1).tolist() == [[False]]


def test_two_masking_methods_agree_on_the_book_example(inputs: torch.Tensor) -> None:
    attn_scores, d_k = book_scores(inputs)
    attn_weights = torch.softmax(attn_scores / d_k**0.5, dim=-1)
    method_1 = mask_after_softmax(attn_weights)
    method_2 = torch.softmax(mask_before_softmax(attn_scores) / d_k**0.5, dim=-1)
    assert_close(method_1, method_2)
    assert_close(method_1, t(MASKED_WEIGHTS_789), **BOOK)
    assert_close(method_1[1], t([0.5517, 0.4483, 0, 0, 0, 0]), **BOOK)
    assert_close(method_1[-1], t([0.1935, 0.1663, 0.1666, 0.1542, 0.1666, 0.1529]), **BOOK)
    # The last query sees every token, so its row is not changed by the mask.
    assert_close(method_1[-1], attn_weights[-1])


def test_two_masking_methods_agree_on_random_batched_scores() -> None:
    gen = torch.Generator().manual_seed(0)
    attn_scores = 3 * torch.randn(2, 3, 9, 9, generator=gen)
    method_1 = mask_after_softmax(torch.softmax(attn_scores, dim=-1))
    method_2 = torch.softmax(mask_before_softmax(attn_scores), dim=-1)
    assert_close(method_1, method_2)


def test_mask_before_softmax_sets_exactly_the_future_to_minus_inf() -> None:
    attn_scores = torch.randn(5, 5)
    masked = mask_before_softmax(attn_scores)
    future = causal_mask(5)
    assert bool((masked[future] == -torch.inf).all())
    assert torch.equal(masked[~future], attn_scores[~future])


def test_mask_after_softmax_zeroes_the_future_and_renormalises() -> None:
    attn_weights = torch.softmax(torch.randn(3, 6, 6), dim=-1)
    masked = mask_after_softmax(attn_weights)
    assert bool((masked[..., causal_mask(6)] == 0).all())
    assert_close(masked.sum(dim=-1), torch.ones(3, 6))


# ---------------------------------------------------------------- 3.5.3: CausalAttention


def test_causal_attention_book_values(batch: torch.Tensor) -> None:
    torch.manual_seed(123)
    ca = CausalAttention(3, 2, batch.shape[1], 0.0)
    context_vecs = ca(batch)
    assert context_vecs.shape == (2, 6, 2)
    assert_close(context_vecs[0, 0], t([-0.4519, 0.2216]), **BOOK)
    assert_close(context_vecs[0, -1], t([-0.5299, -0.1081]), **BOOK)
    assert_close(context_vecs[0], t(CAUSAL_123), **BOOK)
    assert_close(context_vecs[1], context_vecs[0])


def test_causal_attention_weights_are_the_masked_scaled_softmax(batch: torch.Tensor) -> None:
    torch.manual_seed(123)
    ca = CausalAttention(3, 2, 6, 0.0).eval()
    context_vec, attn_weights = ca(batch, return_attn_weights=True)
    assert attn_weights.shape == (2, 6, 6)
    with torch.no_grad():
        queries, keys, values = ca.W_query(batch), ca.W_key(batch), ca.W_value(batch)
    expected = mask_after_softmax(torch.softmax(queries @ keys.transpose(1, 2) / 2**0.5, dim=-1))
    assert_close(attn_weights, expected)
    assert_close(context_vec, attn_weights @ values)
    # The first token attends only to itself, so its context vector is its own value.
    assert_close(attn_weights[:, 0, 0], torch.ones(2))
    assert_close(context_vec[:, 0], values[:, 0])


def test_one_sequence_is_a_batch_of_one(batch: torch.Tensor) -> None:
    torch.manual_seed(123)
    ca = CausalAttention(3, 2, 6, 0.0)
    with pytest.raises(ValueError, match=r"add the batch dimension: x\.unsqueeze\(0\)"):
        ca(batch[0])
    out, weights = ca(batch[0].unsqueeze(0), return_attn_weights=True)
    out_b, weights_b = ca(batch, return_attn_weights=True)
    assert out.shape == (1, 6, 2)
    assert weights.shape == (1, 6, 6)
    assert_close(out[0], out_b[0])
    assert_close(weights[0], weights_b[0])


def test_shorter_input_uses_the_top_left_of_the_mask(inputs: torch.Tensor) -> None:
    torch.manual_seed(5)
    long_ctx = CausalAttention(3, 2, 10, 0.0)
    short_ctx = CausalAttention(3, 2, 6, 0.0)
    for name in ("W_query", "W_key", "W_value"):
        getattr(short_ctx, name).load_state_dict(getattr(long_ctx, name).state_dict())
    x = inputs.unsqueeze(0)  # (1, 6, 3)
    assert_close(long_ctx(x), short_ctx(x))
    assert_close(long_ctx(x[:, :3]), short_ctx(x)[:, :3])


# ---------------------------------------------------------------- the mask buffer


def test_mask_is_a_registered_buffer() -> None:
    ca = CausalAttention(3, 2, 5, 0.0)
    buffers = dict(ca.named_buffers())
    assert "mask" in buffers
    assert torch.equal(buffers["mask"], causal_mask(5))
    assert "mask" in ca.state_dict()
    assert torch.equal(ca.state_dict()["mask"], causal_mask(5))
    assert all(p is not ca.mask for p in ca.parameters())
    assert not ca.mask.requires_grad


def test_mask_follows_dtype_and_device_conversions(inputs: torch.Tensor) -> None:
    ca = CausalAttention(3, 2, 6, 0.0)
    ca64 = ca.to(torch.float64)
    assert ca64.W_query.weight.dtype == torch.float64
    assert ca64.mask.dtype == torch.bool  # .to(dtype) converts floats only; the mask stays bool
    assert ca64(inputs.double().unsqueeze(0)).dtype == torch.float64
    on_meta = CausalAttention(3, 2, 6, 0.0).to("meta")
    assert on_meta.mask.device.type == "meta"
    assert on_meta.W_query.weight.device.type == "meta"


# ---------------------------------------------------------------- causality


CAUSAL_MODULES = {
    "CausalAttention": lambda: CausalAttention(5, 4, 8, 0.0),
    "CausalAttention_bias": lambda: CausalAttention(5, 4, 8, 0.0, qkv_bias=True),
    "MultiHeadAttentionWrapper": lambda: MultiHeadAttentionWrapper(5, 3, 8, 0.0, num_heads=2),
    "MultiHeadAttention": lambda: MultiHeadAttention(5, 6, 8, 0.0, num_heads=3),
}


@pytest.mark.parametrize("make", CAUSAL_MODULES.values(), ids=CAUSAL_MODULES.keys())
@pytest.mark.parametrize("position", [0, 1, 4, 7])
def test_changing_a_later_token_never_changes_earlier_outputs(
    make: Callable[[], nn.Module], position: int
) -> None:
    torch.manual_seed(position)
    module = make().eval()
    x = torch.randn(3, 8, 5)
    changed = x.clone()
    changed[:, position] = torch.randn(3, 5) * 5
    with torch.no_grad():
        out, out_changed = module(x), module(changed)
    # Everything before the changed token is bit-for-bit the same ...
    assert_close(out[:, :position], out_changed[:, :position], rtol=0, atol=0)
    # ... and the change does reach the changed position and the ones after it.
    for later in range(position, 8):
        assert not torch.allclose(out[:, later], out_changed[:, later])


def test_without_a_mask_earlier_outputs_do_change() -> None:
    # The control for the test above: plain self-attention sees the future.
    torch.manual_seed(0)
    sa = SelfAttention_v2(5, 4)
    x = torch.randn(8, 5)
    changed = x.clone()
    changed[7] += 5.0
    with torch.no_grad():
        assert not torch.allclose(sa(x)[0], sa(changed)[0])


# ---------------------------------------------------------------- 3.5.2: dropout
# Never compare an exact dropout mask: the same seed gives different masks on
# different machines (READER-QUESTIONS #1). Assert the properties instead.


def _same_weights(module: nn.Module, dropout_free: nn.Module) -> nn.Module:
    dropout_free.load_state_dict(module.state_dict())
    return dropout_free


DROPOUT_MODULES = {
    "CausalAttention": lambda p: CausalAttention(4, 6, 16, p),
    "MultiHeadAttention": lambda p: MultiHeadAttention(4, 6, 16, p, num_heads=2),
}


@pytest.mark.parametrize("make", DROPOUT_MODULES.values(), ids=DROPOUT_MODULES.keys())
def test_dropout_is_identity_in_eval_mode(make: Callable[[float], nn.Module]) -> None:
    torch.manual_seed(0)
    with_dropout = make(0.5)
    without = _same_weights(with_dropout, make(0.0))
    x = torch.randn(2, 16, 4)
    with_dropout.eval()
    out, weights = with_dropout(x, return_attn_weights=True)
    out_ref, weights_ref = without(x, return_attn_weights=True)
    assert_close(out, out_ref, rtol=0, atol=0)
    assert_close(weights, weights_ref, rtol=0, atol=0)
    assert_close(weights.sum(dim=-1), torch.ones(weights.shape[:-1]))
    # Calling twice in eval gives the same result: nothing random is left.
    assert_close(with_dropout(x), out, rtol=0, atol=0)


@pytest.mark.parametrize("make", DROPOUT_MODULES.values(), ids=DROPOUT_MODULES.keys())
@pytest.mark.parametrize("p", [0.5, 0.1, 0.3])
def test_dropout_scales_kept_weights_by_one_over_one_minus_p(
    make: Callable[[float], nn.Module], p: float
) -> None:
    # With p = 0.5, 1/(1-p) = 1/p = 2; p = 0.1 and 0.3 tell them apart (READER-QUESTIONS #2).
    torch.manual_seed(1)
    module = make(p)
    x = torch.randn(4, 16, 4)
    module.eval()
    with torch.no_grad():
        weights_eval = module(x, return_attn_weights=True)[1]
    module.train()
    with torch.no_grad():
        out_train, weights_train = module(x, return_attn_weights=True)
    assert weights_train.shape == weights_eval.shape
    past = ~causal_mask(16)  # entries that are non-zero before dropout
    assert bool((weights_eval[..., past] > 0).all())
    kept = weights_train != 0
    dropped = past & ~kept
    assert bool(kept.any())
    assert bool(dropped.any())
    assert_close(weights_train[kept], weights_eval[kept] / (1 - p))
    # Dropout never makes a blocked (future) weight non-zero.
    assert not bool(kept[..., ~past].any())
    # Dropout acts on the weights after softmax (READER-QUESTIONS #3): the output is
    # exactly the dropped-out weights times the values.
    if isinstance(module, CausalAttention):
        with torch.no_grad():
            assert_close(out_train, weights_train @ module.W_value(x))


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_dropout_fraction_of_zeros_is_near_p(p: float) -> None:
    torch.manual_seed(2)
    n = 64
    ca = CausalAttention(4, 4, n, p).train()
    x = torch.randn(8, n, 4)
    with torch.no_grad():
        _, weights = ca(x, return_attn_weights=True)
    past = ~causal_mask(n)
    candidates = weights[..., past]  # 8 * 64 * 65 / 2 = 16640 weights that could be dropped
    fraction = float((candidates == 0).float().mean())
    # The standard deviation of the fraction is sqrt(p (1 - p) / 16640) <= 0.004.
    assert abs(fraction - p) < 0.03
