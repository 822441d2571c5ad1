"""Section 3.4: scaled dot-product attention with trainable weights."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from llm_attention import (
    SelfAttention_v1,
    SelfAttention_v2,
    attention_scores,
    context_vectors,
    init_qkv_weights,
    project_qkv,
    scaled_attention_weights,
)

BOOK = {"atol": 1e-4, "rtol": 0.0}

# 3.4.1, torch.manual_seed(123), d_in=3, d_out=2, query x(2)
QUERY_2 = [0.4306, 1.4551]
ATTN_SCORE_22 = 1.8524
ATTN_SCORES_2 = [1.2705, 1.8524, 1.8111, 1.0795, 0.5577, 1.5440]
ATTN_WEIGHTS_2 = [0.1500, 0.2264, 0.2199, 0.1311, 0.0906, 0.1820]
CONTEXT_VEC_2 = [0.3061, 0.8210]

# 3.4.2
SA_V1_SEED_123 = [
    [0.2996, 0.8053],
    [0.3061, 0.8210],
    [0.3058, 0.8203],
    [0.2948, 0.7939],
    [0.2927, 0.7891],
    [0.2990, 0.8040],
]
SA_V2_SEED_789 = [
    [-0.0739, 0.0713],
    [-0.0748, 0.0703],
    [-0.0749, 0.0702],
    [-0.0760, 0.0685],
    [-0.0763, 0.0679],
    [-0.0754, 0.0693],
]


def t(values: object) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32)


@pytest.fixture
def book_weights() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    torch.manual_seed(123)
    return init_qkv_weights(3, 2)


# ---------------------------------------------------------------- 3.4.1: step by step


def test_init_qkv_weights_shapes_and_grad_flag(
    book_weights: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
) -> None:
    for W in book_weights:
        assert isinstance(W, torch.nn.Parameter)
        assert W.shape == (3, 2)
        assert not W.requires_grad  # the book's walk-through uses requires_grad=False
    assert all(W.requires_grad for W in init_qkv_weights(3, 2, requires_grad=True))


def test_init_qkv_weights_draws_query_key_value_in_order() -> None:
    torch.manual_seed(123)
    W_query, W_key, W_value = init_qkv_weights(3, 2)
    torch.manual_seed(123)
    expected = [torch.rand(3, 2) for _ in range(3)]
    assert_close(W_query.data, expected[0], rtol=0, atol=0)
    assert_close(W_key.data, expected[1], rtol=0, atol=0)
    assert_close(W_value.data, expected[2], rtol=0, atol=0)


def test_step_by_step_book_values(
    inputs: torch.Tensor, book_weights: tuple[torch.Tensor, torch.Tensor, torch.Tensor]
) -> None:
    W_query, W_key, W_value = book_weights
    x_2 = inputs[1]
    query_2 = x_2 @ W_query
    assert_close(query_2, t(QUERY_2), **BOOK)

    queries, keys, values = project_qkv(inputs, W_query, W_key, W_value)
    assert keys.shape == (6, 2)
    assert values.shape == (6, 2)
    assert_close(queries[1], query_2)

    attn_score_22 = query_2.dot(keys[1])
    assert_close(attn_score_22, torch.tensor(ATTN_SCORE_22), **BOOK)

    attn_scores_2 = attention_scores(query_2, keys)
    assert attn_scores_2.shape == (6,)
    assert_close(attn_scores_2, t(ATTN_SCORES_2), **BOOK)
    assert_close(attn_scores_2[1], attn_score_22)

    d_k = keys.shape[-1]
    attn_weights_2 = scaled_attention_weights(attn_scores_2, d_k)
    assert_close(attn_weights_2, t(ATTN_WEIGHTS_2), **BOOK)
    assert_close(attn_weights_2.sum(), torch.tensor(1.0))

    context_vec_2 = context_vectors(attn_weights_2, values)
    assert_close(context_vec_2, t(CONTEXT_VEC_2), **BOOK)


def test_scaled_attention_weights_divides_by_sqrt_d_k() -> None:
    scores = torch.randn(3, 5, generator=torch.Generator().manual_seed(0))
    assert_close(scaled_attention_weights(scores, 4), torch.softmax(scores / 2.0, dim=-1))
    assert_close(scaled_attention_weights(scores, 1), torch.softmax(scores, dim=-1))


def test_scaling_keeps_softmax_away_from_one_hot() -> None:
    # READER-QUESTIONS #11: unscaled dot products of wide vectors saturate softmax.
    gen = torch.Generator().manual_seed(0)
    d_k = 512
    q, k = torch.randn(d_k, generator=gen), torch.randn(8, d_k, generator=gen)
    scores = k @ q
    assert float(torch.softmax(scores, dim=-1).max()) > 0.99
    assert float(scaled_attention_weights(scores, d_k).max()) < 0.9


def test_all_queries_at_once_equal_one_query_at_a_time(
    inputs: torch.Tensor, book_weights: tuple[torch.Tensor, torch.Tensor, torch.Tensor]
) -> None:
    queries, keys, values = project_qkv(inputs, *book_weights)
    all_weights = scaled_attention_weights(attention_scores(queries, keys), 2)
    all_context = context_vectors(all_weights, values)
    assert all_weights.shape == (6, 6)
    for i in range(6):
        weights_i = scaled_attention_weights(attention_scores(queries[i], keys), 2)
        assert_close(all_weights[i], weights_i)
        assert_close(all_context[i], context_vectors(weights_i, values))


# ---------------------------------------------------------------- 3.4.2: the classes


def test_self_attention_v1_book_values(inputs: torch.Tensor) -> None:
    torch.manual_seed(123)
    sa_v1 = SelfAttention_v1(3, 2)
    out = sa_v1(inputs)
    assert out.shape == (6, 2)
    assert_close(out, t(SA_V1_SEED_123), **BOOK)
    # Row 2 is the context vector computed step by step in 3.4.1.
    assert_close(out[1], t(CONTEXT_VEC_2), **BOOK)


def test_self_attention_v1_draws_query_key_value_in_order() -> None:
    torch.manual_seed(123)
    sa_v1 = SelfAttention_v1(3, 2)
    torch.manual_seed(123)
    W_query, W_key, W_value = (torch.rand(3, 2) for _ in range(3))
    assert_close(sa_v1.W_query.data, W_query, rtol=0, atol=0)
    assert_close(sa_v1.W_key.data, W_key, rtol=0, atol=0)
    assert_close(sa_v1.W_value.data, W_value, rtol=0, atol=0)
    assert [name for name, _ in sa_v1.named_parameters()] == ["W_query", "W_key", "W_value"]


def test_self_attention_v2_book_values(inputs: torch.Tensor) -> None:
    torch.manual_seed(789)
    sa_v2 = SelfAttention_v2(3, 2)
    out = sa_v2(inputs)
    assert out.shape == (6, 2)
    assert_close(out, t(SA_V2_SEED_789), **BOOK)
    assert sa_v2.W_query.bias is None


def test_self_attention_v2_qkv_bias() -> None:
    sa_v2 = SelfAttention_v2(3, 2, qkv_bias=True)
    for layer in (sa_v2.W_query, sa_v2.W_key, sa_v2.W_value):
        assert layer.bias is not None
        assert layer.bias.shape == (2,)


def test_exercise_3_1_v1_equals_v2_after_copying_transposed_weights(inputs: torch.Tensor) -> None:
    torch.manual_seed(789)
    sa_v2 = SelfAttention_v2(3, 2)
    sa_v1 = SelfAttention_v1(3, 2)
    # Different initialisation: the outputs differ before the copy.
    assert not torch.allclose(sa_v1(inputs), sa_v2(inputs), atol=1e-3)
    with torch.no_grad():
        sa_v1.W_query.copy_(sa_v2.W_query.weight.T)
        sa_v1.W_key.copy_(sa_v2.W_key.weight.T)
        sa_v1.W_value.copy_(sa_v2.W_value.weight.T)
    assert_close(sa_v1(inputs), sa_v2(inputs))
    assert_close(sa_v1(inputs), t(SA_V2_SEED_789), **BOOK)


def test_exercise_3_1_untransposed_copy_is_wrong() -> None:
    # d_in != d_out, so forgetting the .T cannot even be copied: nn.Linear stores (d_out, d_in).
    sa_v2 = SelfAttention_v2(3, 2)
    sa_v1 = SelfAttention_v1(3, 2)
    assert sa_v2.W_query.weight.shape == (2, 3)
    with pytest.raises(RuntimeError), torch.no_grad():
        sa_v1.W_query.copy_(sa_v2.W_query.weight)


@pytest.mark.parametrize("cls", [SelfAttention_v1, SelfAttention_v2])
def test_return_attn_weights(cls: type[torch.nn.Module], inputs: torch.Tensor) -> None:
    torch.manual_seed(0)
    sa = cls(3, 2)
    default = sa(inputs)
    assert isinstance(default, torch.Tensor)
    result = sa(inputs, return_attn_weights=True)
    assert isinstance(result, tuple)
    assert len(result) == 2
    context_vec, attn_weights = result
    assert attn_weights.shape == (6, 6)
    assert_close(context_vec, default)
    assert_close(attn_weights.sum(dim=-1), torch.ones(6))
    assert bool((attn_weights > 0).all())  # no mask yet: every token sees every token
    _, _, values = _project(sa, inputs)
    assert_close(context_vec, attn_weights @ values)


def _project(
    sa: torch.nn.Module, x: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    if isinstance(sa, SelfAttention_v1):
        return project_qkv(x, sa.W_query, sa.W_key, sa.W_value)
    return sa.W_query(x), sa.W_key(x), sa.W_value(x)


@pytest.mark.parametrize("cls", [SelfAttention_v1, SelfAttention_v2])
def test_weights_are_scaled_softmax_of_qk(cls: type[torch.nn.Module]) -> None:
    torch.manual_seed(3)
    sa = cls(5, 8)
    x = torch.randn(7, 5)
    _, attn_weights = sa(x, return_attn_weights=True)
    queries, keys, _ = _project(sa, x)
    assert_close(attn_weights, torch.softmax(queries @ keys.T / 8**0.5, dim=-1))


@pytest.mark.parametrize("cls", [SelfAttention_v1, SelfAttention_v2])
def test_a_batch_is_refused_with_the_fix(cls: type[torch.nn.Module]) -> None:
    # The book's 3.4 classes take one sequence, (num_tokens, d_in); a batch would
    # silently mix up keys.T, so it gets a clear error that says what to pass.
    torch.manual_seed(1)
    sa = cls(3, 4)
    x = torch.randn(4, 5, 3)  # (b, num_tokens, d_in)
    with pytest.raises(ValueError, match=r"takes one sequence: pass x\[0\]"):
        sa(x)
    out, weights = sa(x[0], return_attn_weights=True)
    assert out.shape == (5, 4)
    assert weights.shape == (5, 5)
