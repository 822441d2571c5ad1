"""Section 3.3: self-attention without trainable weights, pinned to the book's numbers."""

from __future__ import annotations

import math

import pytest
import torch
from torch.testing import assert_close

from llm_attention import (
    EXAMPLE_SENTENCE,
    EXAMPLE_TOKENS,
    context_vector,
    example_inputs,
    normalize_by_sum,
    query_scores,
    simple_attention_scores,
    simple_attention_weights,
    simple_context_vectors,
    softmax_naive,
)

BOOK = {"atol": 1e-4, "rtol": 0.0}  # the book prints four decimals

# 3.3.1: query x(2) = "journey" against all six inputs.
SCORES_2 = [0.9544, 1.4950, 1.4754, 0.8434, 0.7070, 1.0865]
WEIGHTS_2_BY_SUM = [0.1455, 0.2278, 0.2249, 0.1285, 0.1077, 0.1656]
WEIGHTS_2_SOFTMAX = [0.1385, 0.2379, 0.2333, 0.1240, 0.1082, 0.1581]
CONTEXT_VEC_2 = [0.4419, 0.6515, 0.5683]

# 3.3.2: all queries at once.
ATTN_SCORES = [
    [0.9995, 0.9544, 0.9422, 0.4753, 0.4576, 0.6310],
    [0.9544, 1.4950, 1.4754, 0.8434, 0.7070, 1.0865],
    [0.9422, 1.4754, 1.4570, 0.8296, 0.7154, 1.0605],
    [0.4753, 0.8434, 0.8296, 0.4937, 0.3474, 0.6565],
    [0.4576, 0.7070, 0.7154, 0.3474, 0.6654, 0.2935],
    [0.6310, 1.0865, 1.0605, 0.6565, 0.2935, 0.9450],
]
ATTN_WEIGHTS = [
    [0.2098, 0.2006, 0.1981, 0.1242, 0.1220, 0.1452],
    [0.1385, 0.2379, 0.2333, 0.1240, 0.1082, 0.1581],
    [0.1390, 0.2369, 0.2326, 0.1242, 0.1108, 0.1565],
    [0.1435, 0.2074, 0.2046, 0.1462, 0.1263, 0.1720],
    [0.1526, 0.1958, 0.1975, 0.1367, 0.1879, 0.1295],
    [0.1385, 0.2184, 0.2128, 0.1420, 0.0988, 0.1896],
]
ALL_CONTEXT_VECS = [
    [0.4421, 0.5931, 0.5790],
    [0.4419, 0.6515, 0.5683],
    [0.4431, 0.6496, 0.5671],
    [0.4304, 0.6298, 0.5510],
    [0.4671, 0.5910, 0.5266],
    [0.4177, 0.6503, 0.5645],
]


def t(values: list[float] | list[list[float]]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32)


# ---------------------------------------------------------------- the running example


def test_example_tokens_are_the_sentence() -> None:
    assert EXAMPLE_SENTENCE == "Your journey starts with one step"
    assert tuple(EXAMPLE_SENTENCE.split()) == EXAMPLE_TOKENS


def test_example_inputs_are_the_books_embeddings(inputs: torch.Tensor) -> None:
    assert inputs.shape == (len(EXAMPLE_TOKENS), 3)
    assert inputs.dtype == torch.float32
    assert_close(inputs[1], t([0.55, 0.87, 0.66]))  # x(2), "journey"
    assert_close(inputs[-1], t([0.05, 0.80, 0.55]))  # x(6), "step"


def test_example_inputs_returns_a_fresh_tensor_each_call() -> None:
    first, second = example_inputs(), example_inputs()
    assert first.data_ptr() != second.data_ptr()
    first.mul_(0.0)
    assert_close(example_inputs(), second)
    assert bool((second != 0).all())


def test_example_inputs_dtype() -> None:
    inputs64 = example_inputs(torch.float64)
    assert inputs64.dtype == torch.float64
    assert_close(inputs64.float(), example_inputs())


@pytest.mark.parametrize(
    "dtype", [torch.int64, torch.int32, torch.uint8, torch.bool, torch.complex64], ids=str
)
def test_example_inputs_refuses_a_dtype_that_is_not_floating_point(dtype: torch.dtype) -> None:
    # int64 gave all zeros and bool all True: the embeddings lie in [0, 1).
    with pytest.raises(ValueError, match=rf"dtype must be a floating-point dtype .*got {dtype}"):
        example_inputs(dtype)


@pytest.mark.parametrize("dtype", ["float32", float, None])
def test_example_inputs_refuses_a_dtype_that_is_not_a_torch_dtype(dtype: object) -> None:
    with pytest.raises(
        TypeError, match=rf"dtype must be a torch.dtype, got {type(dtype).__name__}"
    ):
        example_inputs(dtype)  # type: ignore[arg-type]


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64], ids=str)
def test_example_inputs_in_every_floating_dtype(dtype: torch.dtype) -> None:
    assert_close(example_inputs(dtype), example_inputs().to(dtype))


# ---------------------------------------------------------------- 3.3.1: one query


def test_query_scores_book_values(inputs: torch.Tensor) -> None:
    assert_close(query_scores(inputs[1], inputs), t(SCORES_2), **BOOK)


def test_query_scores_are_dot_products(inputs: torch.Tensor) -> None:
    # Independent oracle: plain Python arithmetic, no torch.
    rows = inputs.tolist()
    for q in range(len(rows)):
        expected = [sum(a * b for a, b in zip(row, rows[q], strict=True)) for row in rows]
        assert_close(query_scores(inputs[q], inputs), t(expected))


def test_query_scores_of_no_inputs_is_empty(inputs: torch.Tensor) -> None:
    scores = query_scores(inputs[1], inputs[:0])
    assert scores.shape == (0,)
    assert scores.dtype == inputs.dtype


def test_normalize_by_sum_book_values(inputs: torch.Tensor) -> None:
    weights = normalize_by_sum(query_scores(inputs[1], inputs))
    assert_close(weights, t(WEIGHTS_2_BY_SUM), **BOOK)
    assert_close(weights.sum(), torch.tensor(1.0))


def test_normalize_by_sum_gives_negative_weights_for_negative_scores() -> None:
    # Why the chapter moves on to softmax: a sum-normalised "weight" can be negative.
    scores = t([-1.0, 2.0, 0.5])
    assert bool((normalize_by_sum(scores) < 0).any())
    assert bool((torch.softmax(scores, dim=0) > 0).all())


def test_softmax_naive_and_torch_softmax_book_values(inputs: torch.Tensor) -> None:
    scores = query_scores(inputs[1], inputs)
    assert_close(softmax_naive(scores), t(WEIGHTS_2_SOFTMAX), **BOOK)
    assert_close(torch.softmax(scores, dim=0), t(WEIGHTS_2_SOFTMAX), **BOOK)
    assert_close(softmax_naive(scores).sum(), torch.tensor(1.0))


def test_softmax_naive_overflows_where_torch_softmax_does_not() -> None:
    x = t([1000.0, 1001.0])
    naive = softmax_naive(x)
    assert bool(torch.isnan(naive).all())  # exp(1000) = inf, inf / inf = NaN
    stable = torch.softmax(x, dim=0)
    e = math.e
    assert_close(stable, t([1 / (1 + e), e / (1 + e)]))


def test_softmax_naive_matches_torch_softmax_on_moderate_inputs() -> None:
    x = torch.randn(4, 7, generator=torch.Generator().manual_seed(0))
    assert_close(softmax_naive(x), torch.softmax(x, dim=-1))


def test_context_vector_book_values(inputs: torch.Tensor) -> None:
    weights = torch.softmax(query_scores(inputs[1], inputs), dim=0)
    context_vec_2 = context_vector(weights, inputs)
    assert context_vec_2.shape == (3,)
    assert_close(context_vec_2, t(CONTEXT_VEC_2), **BOOK)


def test_query_scores_rejects_bad_shapes(inputs: torch.Tensor) -> None:
    with pytest.raises(ValueError, match=r"query must have shape \(d_in,\)"):
        query_scores(inputs, inputs)  # a matrix, not one query
    with pytest.raises(ValueError, match=r"query must have shape \(d_in,\)"):
        query_scores(inputs[1, :2], inputs)  # d_in mismatch
    with pytest.raises(ValueError, match=r"inputs \(num_tokens, d_in\)"):
        query_scores(inputs[1], inputs[0])  # inputs must be 2-D


def test_context_vector_rejects_bad_shapes(inputs: torch.Tensor) -> None:
    weights = torch.full((6,), 1 / 6)
    with pytest.raises(ValueError, match=r"attn_weights must have shape \(num_tokens,\)"):
        context_vector(weights[:5], inputs)  # one weight short
    with pytest.raises(ValueError, match=r"attn_weights must have shape \(num_tokens,\)"):
        context_vector(weights.reshape(2, 3), inputs)
    with pytest.raises(ValueError, match=r"inputs \(num_tokens, d_in\)"):
        context_vector(weights, inputs[0])


# ---------------------------------------------------------------- 3.3.2: all queries


def test_simple_attention_scores_book_values(inputs: torch.Tensor) -> None:
    assert_close(simple_attention_scores(inputs), t(ATTN_SCORES), **BOOK)


def test_simple_attention_weights_book_values(inputs: torch.Tensor) -> None:
    weights = simple_attention_weights(simple_attention_scores(inputs))
    assert_close(weights, t(ATTN_WEIGHTS), **BOOK)


def test_simple_context_vectors_book_values(inputs: torch.Tensor) -> None:
    weights = simple_attention_weights(simple_attention_scores(inputs))
    assert_close(simple_context_vectors(weights, inputs), t(ALL_CONTEXT_VECS), **BOOK)


def test_matrix_versions_equal_the_loop_versions_row_by_row(inputs: torch.Tensor) -> None:
    attn_scores = simple_attention_scores(inputs)
    attn_weights = simple_attention_weights(attn_scores)
    all_context_vecs = simple_context_vectors(attn_weights, inputs)
    assert attn_scores.shape == attn_weights.shape == (6, 6)
    assert all_context_vecs.shape == (6, 3)
    for i in range(inputs.shape[0]):
        scores_i = query_scores(inputs[i], inputs)
        weights_i = softmax_naive(scores_i)
        assert_close(attn_scores[i], scores_i)
        assert_close(attn_weights[i], weights_i)
        assert_close(all_context_vecs[i], context_vector(weights_i, inputs))


def test_attention_weight_rows_sum_to_one(inputs: torch.Tensor) -> None:
    attn_weights = simple_attention_weights(simple_attention_scores(inputs))
    assert_close(attn_weights.sum(dim=-1), torch.ones(6))
    assert bool((attn_weights > 0).all())


def test_matrix_versions_accept_a_batch(inputs: torch.Tensor) -> None:
    gen = torch.Generator().manual_seed(1)
    x = torch.stack((inputs, torch.rand(6, 3, generator=gen)))  # (b, num_tokens, d_in)
    weights = simple_attention_weights(simple_attention_scores(x))
    context = simple_context_vectors(weights, x)
    assert weights.shape == (2, 6, 6)
    assert context.shape == (2, 6, 3)
    for b in range(2):
        single = simple_attention_weights(simple_attention_scores(x[b]))
        assert_close(context[b], simple_context_vectors(single, x[b]))
