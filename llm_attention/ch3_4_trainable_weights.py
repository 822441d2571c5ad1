"""Section 3.4: self-attention with trainable weights (scaled dot-product attention).

3.4.1 computes one context vector step by step: project the inputs into
queries, keys and values with three weight matrices, score the query against
every key, scale by ``sqrt(d_k)``, softmax, and weight the values. The step
functions below are those steps, so a page can run and print them one at a time.
3.4.2 packs the same computation into ``SelfAttention_v1`` (raw ``nn.Parameter``
matrices) and ``SelfAttention_v2`` (``nn.Linear`` layers).
"""

from __future__ import annotations

# --8<-- [start:imports]
import torch
from torch import nn

from llm_attention.checks import check_args, check_input

# --8<-- [end:imports]

__all__ = [
    "SelfAttention_v1",
    "SelfAttention_v2",
    "attention_scores",
    "context_vectors",
    "init_qkv_weights",
    "project_qkv",
    "scaled_attention_weights",
]


def init_qkv_weights(
    d_in: int, d_out: int, *, requires_grad: bool = False
) -> tuple[nn.Parameter, nn.Parameter, nn.Parameter]:
    """Create ``W_query``, ``W_key`` and ``W_value`` as in 3.4.1.

    Each is ``nn.Parameter(torch.rand(d_in, d_out))``, drawn in the order query,
    key, value, so ``torch.manual_seed(123)`` beforehand gives the book's matrices.
    ``requires_grad`` defaults to ``False`` as in the book's walk-through, which
    keeps printed tensors free of ``grad_fn``.

    Shape:
        each matrix: ``(d_in, d_out)``.
    """
    check_args(d_in, d_out, requires_grad=requires_grad)
    W_query = nn.Parameter(torch.rand(d_in, d_out), requires_grad=requires_grad)
    W_key = nn.Parameter(torch.rand(d_in, d_out), requires_grad=requires_grad)
    W_value = nn.Parameter(torch.rand(d_in, d_out), requires_grad=requires_grad)
    return W_query, W_key, W_value


def project_qkv(
    inputs: torch.Tensor,
    W_query: torch.Tensor,
    W_key: torch.Tensor,
    W_value: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Step 1: project the inputs into queries, keys and values.

    ``Q = X W_q``, ``K = X W_k``, ``V = X W_v``.

    Shape:
        ``inputs``: ``(..., num_tokens, d_in)`` (or one token, ``(d_in,)``);
        each ``W``: ``(d_in, d_out)``; each result: ``(..., num_tokens, d_out)``.
    """
    for name, W in (("W_query", W_query), ("W_key", W_key), ("W_value", W_value)):
        if W.dim() != 2 or W.shape[0] != inputs.shape[-1]:
            raise ValueError(
                f"{name} must have shape (d_in, d_out) with d_in = inputs.shape[-1] "
                f"({inputs.shape[-1]}), got {tuple(W.shape)}"
            )
    return inputs @ W_query, inputs @ W_key, inputs @ W_value


def attention_scores(queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """Step 2: unnormalised attention scores ``Q K^T``.

    Entry ``[i, j]`` is how strongly query ``i`` matches key ``j``. A single query
    of shape ``(d_out,)`` gives one row of scores.

    Shape:
        ``queries``: ``(..., num_queries, d_out)`` or ``(d_out,)``; ``keys``:
        ``(..., num_tokens, d_out)``; result: ``(..., num_queries, num_tokens)``.
    """
    return queries @ keys.transpose(-2, -1)


def scaled_attention_weights(attn_scores: torch.Tensor, d_k: int) -> torch.Tensor:
    """Step 3: scale the scores by ``1 / sqrt(d_k)`` and softmax each row.

    ``softmax(scores / sqrt(d_k))``. Without the scaling, scores grow with the key
    dimension and softmax saturates towards a one-hot row with tiny gradients.

    Shape:
        ``(..., num_tokens)``, unchanged; each row sums to 1.
    """
    check_args(d_k=d_k)
    return torch.softmax(attn_scores / d_k**0.5, dim=-1)


def context_vectors(attn_weights: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Step 4: weight the values: ``attn_weights @ V``.

    Shape:
        ``attn_weights``: ``(..., num_queries, num_tokens)`` or ``(num_tokens,)``;
        ``values``: ``(..., num_tokens, d_out)``; result: ``(..., num_queries, d_out)``.
    """
    return attn_weights @ values


# --8<-- [start:v1-class]
class SelfAttention_v1(nn.Module):
    # --8<-- [end:v1-class]
    """Self-attention with three raw weight matrices (3.4.2, first version).

    The four steps of 3.4.1 in one module, with ``W_query``, ``W_key`` and
    ``W_value`` as ``nn.Parameter(torch.rand(d_in, d_out))`` so nothing is hidden
    behind a layer class. Computes

    ``softmax(Q K^T / sqrt(d_k)) V`` with ``Q = X W_query``, ``K = X W_key``,
    ``V = X W_value`` and ``d_k = d_out``.

    Args:
        d_in: size of each input embedding.
        d_out: size of each query, key, value and output vector.

    Shape:
        - input ``x``: ``(num_tokens, d_in)``, one sequence, as in the book
        - output: ``(num_tokens, d_out)``
        - attention weights (``forward(x, return_attn_weights=True)``):
          ``(num_tokens, num_tokens)``
    """

    # --8<-- [start:v1-init]
    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        check_args(d_in, d_out)  # a clear error if one is bad
        # query, then key, then value: the book's seed gives the book's matrices
        self.W_query = nn.Parameter(torch.rand(d_in, d_out))
        self.W_key = nn.Parameter(torch.rand(d_in, d_out))
        self.W_value = nn.Parameter(torch.rand(d_in, d_out))

    # --8<-- [end:v1-init]
    # --8<-- [start:v1-forward]
    def forward(self, x, return_attn_weights=False):
        """Return the context vectors (and the attention weights if asked)."""
        check_input(x, "(num_tokens, d_in)", self)  # other x: a clear error
        # 1) project: (num_tokens, d_in) -> (num_tokens, d_out)
        queries = x @ self.W_query
        keys = x @ self.W_key
        values = x @ self.W_value
        # 2) score every query against every key: (num_tokens, num_tokens)
        attn_scores = queries @ keys.T
        # 3) scale by sqrt(d_k), with d_k = keys.shape[-1], and softmax each row
        attn_weights = torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1)
        # 4) weight the values: (num_tokens, d_out)
        context_vec = attn_weights @ values
        if return_attn_weights:  # for plots: the weights too
            return context_vec, attn_weights
        return context_vec

    # --8<-- [end:v1-forward]


# --8<-- [start:v2-class]
class SelfAttention_v2(nn.Module):
    # --8<-- [end:v2-class]
    """Self-attention with ``nn.Linear`` projections (3.4.2, second version).

    Computes the same ``softmax(Q K^T / sqrt(d_k)) V`` as
    [`SelfAttention_v1`][llm_attention.SelfAttention_v1].
    ``nn.Linear`` stores its weight as ``(d_out, d_in)`` and initialises it with a
    scaled uniform distribution, which trains better than ``torch.rand``; the two
    versions give equal outputs once ``W_query = v2.W_query.weight.T`` and so on
    are copied across (exercise 3.1).

    Args:
        d_in: size of each input embedding.
        d_out: size of each query, key, value and output vector.
        qkv_bias: add a bias to the three projections.

    Shape:
        - input ``x``: ``(num_tokens, d_in)``, one sequence, as in the book
        - output: ``(num_tokens, d_out)``
        - attention weights (``forward(x, return_attn_weights=True)``):
          ``(num_tokens, num_tokens)``
    """

    # --8<-- [start:v2-init]
    def __init__(self, d_in: int, d_out: int, qkv_bias: bool = False) -> None:
        super().__init__()
        check_args(d_in, d_out, qkv_bias=qkv_bias)  # a clear error if one is bad
        # nn.Linear keeps its weight as (d_out, d_in) and computes x @ weight.T
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)

    # --8<-- [end:v2-init]
    # --8<-- [start:v2-forward]
    def forward(self, x, return_attn_weights=False):
        """Return the context vectors (and the attention weights if asked)."""
        check_input(x, "(num_tokens, d_in)", self)  # other x: a clear error
        # 1) project: (num_tokens, d_in) -> (num_tokens, d_out)
        queries = self.W_query(x)
        keys = self.W_key(x)
        values = self.W_value(x)
        # 2) score every query against every key: (num_tokens, num_tokens)
        attn_scores = queries @ keys.T
        # 3) scale by sqrt(d_k), with d_k = keys.shape[-1], and softmax each row
        attn_weights = torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1)
        # 4) weight the values: (num_tokens, d_out)
        context_vec = attn_weights @ values
        if return_attn_weights:  # for plots: the weights too
            return context_vec, attn_weights
        return context_vec

    # --8<-- [end:v2-forward]
