"""Section 3.3: a simple self-attention mechanism without trainable weights.

Every function here works directly on the embedding vectors: the attention
score of a query against an input is their dot product, the scores are
normalised into weights, and the context vector is the weighted sum of the
inputs. 3.3.1 does this for one query; 3.3.2 does it for all queries at once
with two matrix products.
"""

from __future__ import annotations

import torch

__all__ = [
    "EXAMPLE_SENTENCE",
    "EXAMPLE_TOKENS",
    "context_vector",
    "example_inputs",
    "normalize_by_sum",
    "query_scores",
    "simple_attention_scores",
    "simple_attention_weights",
    "simple_context_vectors",
    "softmax_naive",
]

EXAMPLE_SENTENCE = "Your journey starts with one step"
"""The sentence of the chapter's running example."""

EXAMPLE_TOKENS: tuple[str, ...] = ("Your", "journey", "starts", "with", "one", "step")
"""The six tokens of [`EXAMPLE_SENTENCE`][llm_attention.EXAMPLE_SENTENCE].

One per row of [`example_inputs`][llm_attention.example_inputs].
"""

_EXAMPLE_EMBEDDINGS = (
    (0.43, 0.15, 0.89),  # Your     x(1)
    (0.55, 0.87, 0.66),  # journey  x(2)
    (0.57, 0.85, 0.64),  # starts   x(3)
    (0.22, 0.58, 0.33),  # with     x(4)
    (0.77, 0.25, 0.10),  # one      x(5)
    (0.05, 0.80, 0.55),  # step     x(6)
)


def example_inputs(dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The chapter's six 3-dimensional token embeddings, as a fresh tensor.

    Row ``i`` is the embedding ``x(i+1)`` of ``EXAMPLE_TOKENS[i]``. A new tensor is
    returned on every call, so changing it in place cannot leak into other code.

    Args:
        dtype: a floating-point dtype (``torch.float64``, ``torch.bfloat16``, ...);
            an integer or bool dtype would round the embeddings to zeros and ones, and
            raises ``ValueError`` instead.

    Shape:
        ``(6, 3)``: ``(num_tokens, d_in)``.
    """
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype, got {type(dtype).__name__}")
    if not dtype.is_floating_point:
        raise ValueError(
            f"dtype must be a floating-point dtype (e.g. torch.float32), got {dtype}; "
            "the embeddings lie in [0, 1)"
        )
    return torch.tensor(_EXAMPLE_EMBEDDINGS, dtype=dtype)


def query_scores(query: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """Attention scores of one query against every input: ``w_i = x(i) . query``.

    Step 1 of 3.3.1 ("score"), one dot product per input row, so each score can be
    read as "how similar is input ``i`` to the query".

    Shape:
        ``query``: ``(d_in,)``; ``inputs``: ``(num_tokens, d_in)``; result: ``(num_tokens,)``.
    """
    if query.dim() != 1 or inputs.dim() != 2 or inputs.shape[-1] != query.shape[0]:
        raise ValueError(
            "query must have shape (d_in,) and inputs (num_tokens, d_in) with the same d_in, "
            f"got query {tuple(query.shape)} and inputs {tuple(inputs.shape)}"
        )
    if inputs.shape[0] == 0:
        return inputs.new_empty(0)
    return torch.stack([torch.dot(x_i, query) for x_i in inputs])  # (num_tokens,)


def normalize_by_sum(attn_scores: torch.Tensor) -> torch.Tensor:
    """Normalise scores by dividing by their sum (the first, naive normalisation).

    The result sums to 1 along the last dimension, but negative scores give
    negative "weights", which is why the chapter moves on to softmax.

    Shape:
        any; normalised along the last dimension.
    """
    return attn_scores / attn_scores.sum(dim=-1, keepdim=True)


def softmax_naive(x: torch.Tensor) -> torch.Tensor:
    """Softmax written straight from its definition: ``exp(x_i) / sum_j exp(x_j)``.

    Step 2 of 3.3.1 ("normalize"), second attempt. Kept for teaching only.
    ``exp`` overflows to ``inf`` for inputs above about 88 in float32, and
    ``inf / inf`` is NaN; ``torch.softmax`` subtracts the maximum first and does
    not have this problem.

    Shape:
        any; normalised along the last dimension.
    """
    exps = torch.exp(x)  # every exp(x_i) is positive, whatever the sign of x_i
    return exps / exps.sum(dim=-1, keepdim=True)


def context_vector(attn_weights: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """One context vector: the inputs weighted by ``attn_weights`` and summed.

    ``z = sum_i a_i x(i)``: step 3 of 3.3.1 ("mix"), written as a loop over
    (weight, input) pairs.

    Shape:
        ``attn_weights``: ``(num_tokens,)``; ``inputs``: ``(num_tokens, d_in)``;
        result: ``(d_in,)``.
    """
    if attn_weights.dim() != 1 or inputs.dim() != 2 or inputs.shape[0] != attn_weights.shape[0]:
        raise ValueError(
            "attn_weights must have shape (num_tokens,) and inputs (num_tokens, d_in), "
            f"got attn_weights {tuple(attn_weights.shape)} and inputs {tuple(inputs.shape)}"
        )
    context_vec = torch.zeros(inputs.shape[1], dtype=inputs.dtype, device=inputs.device)
    for a_i, x_i in zip(attn_weights, inputs, strict=True):
        context_vec += a_i * x_i
    return context_vec


def simple_attention_scores(inputs: torch.Tensor) -> torch.Tensor:
    """Scores of every query against every input at once: ``inputs @ inputs^T``.

    Entry ``[i, j]`` is ``x(i) . x(j)``: row ``i`` is
    [`query_scores`][llm_attention.query_scores] for query ``i``.

    Shape:
        ``inputs``: ``(num_tokens, d_in)`` or ``(b, num_tokens, d_in)``;
        result: ``(..., num_tokens, num_tokens)``.
    """
    return inputs @ inputs.transpose(-2, -1)


def simple_attention_weights(attn_scores: torch.Tensor) -> torch.Tensor:
    """Softmax of each row of the score matrix, so every row sums to 1.

    Shape:
        ``(..., num_tokens, num_tokens)``, unchanged.
    """
    return torch.softmax(attn_scores, dim=-1)


def simple_context_vectors(attn_weights: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """All context vectors at once: ``attn_weights @ inputs``.

    Row ``i`` is [`context_vector`][llm_attention.context_vector] of row ``i`` of the weights.

    Shape:
        ``attn_weights``: ``(..., num_tokens, num_tokens)``; ``inputs``:
        ``(..., num_tokens, d_in)``; result: ``(..., num_tokens, d_in)``.
    """
    return attn_weights @ inputs
