"""Section 3.5: hiding future words with causal attention.

A language model predicts the next token, so when it builds the context vector
of token ``i`` it must not look at tokens after ``i``. 3.5.1 shows two ways to
mask the future that give the same weights: zero the weights above the diagonal
after softmax and renormalise each row, or fill the scores above the diagonal
with ``-inf`` before softmax. 3.5.2 adds dropout on the attention weights, and
3.5.3 packs everything into [`CausalAttention`][llm_attention.CausalAttention].
"""

from __future__ import annotations

# --8<-- [start:imports]
import torch
from torch import nn

from llm_attention.checks import check_args, check_input

# --8<-- [end:imports]

__all__ = [
    "CausalAttention",
    "causal_mask",
    "mask_after_softmax",
    "mask_before_softmax",
]


# --8<-- [start:causal-mask]
def causal_mask(
    num_tokens: int,
    *,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Boolean mask that is ``True`` strictly above the diagonal (the future).

    ``True`` means *blocked*, the convention of ``Tensor.masked_fill`` and of
    ``torch.nn.MultiheadAttention``'s ``attn_mask``. Note that
    ``torch.nn.functional.scaled_dot_product_attention`` uses the opposite
    convention (``True`` = may attend): pass it ``~causal_mask(n)``.

    Shape:
        ``(num_tokens, num_tokens)``, dtype ``torch.bool``.
    """
    check_args(num_tokens=num_tokens)
    ones = torch.ones(num_tokens, num_tokens, dtype=torch.bool, device=device)
    # triu keeps the upper triangle; diagonal=1 starts one above the diagonal, so
    # each token may still attend to itself
    return torch.triu(ones, diagonal=1)


# --8<-- [end:causal-mask]


def mask_after_softmax(attn_weights: torch.Tensor) -> torch.Tensor:
    """First method of 3.5.1: zero the future weights, then renormalise each row.

    ``tril(A)`` divided by its row sums. The softmax denominator cancels in the
    division, so the result equals
    [`mask_before_softmax`][llm_attention.mask_before_softmax] followed by softmax.

    Shape:
        ``(..., num_tokens, num_tokens)``, unchanged.
    """
    num_tokens = _check_square("attn_weights", attn_weights)
    mask = causal_mask(num_tokens, device=attn_weights.device)
    masked = attn_weights.masked_fill(mask, 0.0)
    return masked / masked.sum(dim=-1, keepdim=True)


def mask_before_softmax(attn_scores: torch.Tensor) -> torch.Tensor:
    """Second method of 3.5.1: set the future scores to ``-inf`` before softmax.

    ``exp(-inf) = 0``, so after softmax the future weights are exactly zero and
    each row already sums to 1; no renormalisation is needed.

    Shape:
        ``(..., num_tokens, num_tokens)``, unchanged.
    """
    num_tokens = _check_square("attn_scores", attn_scores)
    mask = causal_mask(num_tokens, device=attn_scores.device)
    return attn_scores.masked_fill(mask, -torch.inf)


def _check_square(name: str, matrix: object) -> int:
    """Return ``num_tokens`` after checking ``matrix`` is ``(..., num_tokens, num_tokens)``."""
    if not isinstance(matrix, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(matrix).__name__}")
    if matrix.dim() < 2 or matrix.shape[-1] != matrix.shape[-2]:
        raise ValueError(
            f"{name} must have shape (..., num_tokens, num_tokens), one row per query and "
            f"one column per key of the same tokens, got {tuple(matrix.shape)}"
        )
    if not matrix.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {matrix.dtype}")
    return matrix.shape[-1]


# --8<-- [start:causal-attention-class]
class CausalAttention(nn.Module):
    # --8<-- [end:causal-attention-class]
    """Single-head causal self-attention with dropout (3.5.3).

    [`SelfAttention_v2`][llm_attention.SelfAttention_v2] plus two things a language model
    needs: a causal mask, so token ``i`` only attends to tokens ``0..i``, and
    dropout on the attention weights during training. Computes

    ``dropout(softmax(mask(Q K^T) / sqrt(d_k))) V``

    where ``mask`` sets the entries above the diagonal to ``-inf``. The mask is a
    registered buffer (``self.mask``), so it moves with ``.to(device)`` and is
    saved in the ``state_dict``.

    Note:
        A NaN or inf in any token's input makes the outputs of the earlier tokens NaN
        too. The mask gives the later token a weight of exactly 0, and ``0 * nan`` is
        NaN, not 0; PyTorch's ``scaled_dot_product_attention`` behaves the same way.
        Check ``torch.isfinite(x).all()`` first if the input may hold such values.

    Args:
        d_in: size of each input embedding.
        d_out: size of each query, key, value and output vector.
        context_length: the longest sequence the module accepts (size of the mask).
        dropout: probability of zeroing an attention weight in training, in ``[0, 1)``.
        qkv_bias: add a bias to the query, key and value projections.

    Shape:
        - input ``x``: ``(b, num_tokens, d_in)`` with ``num_tokens <= context_length``;
          one sequence is ``x.unsqueeze(0)``
        - output: ``(b, num_tokens, d_out)``
        - attention weights (``forward(x, return_attn_weights=True)``):
          ``(b, num_tokens, num_tokens)``, after dropout, so in ``eval()`` mode each
          row sums to 1.
    """

    # --8<-- [start:causal-attention-init]
    def __init__(
        self,
        d_in: int,
        d_out: int,
        context_length: int,
        dropout: float,
        qkv_bias: bool = False,
    ) -> None:
        super().__init__()
        check_args(d_in, d_out, context_length, dropout, qkv_bias=qkv_bias)
        self.d_out = d_out
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.dropout = nn.Dropout(dropout)
        # a buffer: in the state_dict and moved by .to(), but never trained
        self.register_buffer("mask", causal_mask(context_length))

    # --8<-- [end:causal-attention-init]
    # --8<-- [start:causal-attention-forward]
    def forward(self, x, return_attn_weights=False):
        """Return the context vectors (and the attention weights if asked)."""
        check_input(x, "(b, num_tokens, d_in)", self)  # other x: a clear error
        num_tokens = x.shape[1]
        # 1) project: (b, num_tokens, d_in) -> (b, num_tokens, d_out)
        queries = self.W_query(x)
        keys = self.W_key(x)
        values = self.W_value(x)
        # 2) score every query against every key: (b, num_tokens, num_tokens)
        attn_scores = queries @ keys.transpose(1, 2)
        # 3) hide the future: -inf above the diagonal, which softmax turns into 0
        attn_scores.masked_fill_(self.mask[:num_tokens, :num_tokens], -torch.inf)
        # 4) scale, softmax each row, then drop some weights (training only)
        attn_weights = torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1)
        attn_weights = self.dropout(attn_weights)
        # 5) weight the values: (b, num_tokens, d_out)
        context_vec = attn_weights @ values
        if return_attn_weights:  # for plots: the weights too
            return context_vec, attn_weights
        return context_vec

    # --8<-- [end:causal-attention-forward]
