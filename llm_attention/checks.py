"""Argument and input checks shared by every attention module (one line per check in the classes).

Each check raises ``ValueError`` or ``TypeError`` with a message that names the
offending argument and states the rule, so that a mistake surfaces at the call
site instead of as a shape error deep inside a matrix product.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import torch
from torch import nn

__all__ = [
    "check_args",
    "check_bool",
    "check_dropout",
    "check_heads",
    "check_input",
    "check_kv_groups",
    "check_positive_int",
    "check_token_ids",
    "check_tokens",
]


def check_positive_int(name: str, value: object) -> int:
    """Return ``value`` as an ``int`` after checking that it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def check_dropout(dropout: object) -> float:
    """Return ``dropout`` as a ``float`` after checking that it lies in ``[0, 1)``."""
    if isinstance(dropout, bool) or not isinstance(dropout, Real):
        raise TypeError(f"dropout must be a float in [0, 1), got {type(dropout).__name__}")
    value = float(dropout)
    if math.isnan(value) or not 0.0 <= value < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    return value


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` after checking that it is a ``bool``."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return value


def check_heads(d_out: int, num_heads: int) -> int:
    """Return ``head_dim = d_out // num_heads`` after checking divisibility.

    Both must be ints >= 1 (checked here, so ``num_heads=0`` is a ``ValueError``
    that names it, not a ``ZeroDivisionError``), and ``num_heads`` must divide ``d_out``.
    """
    check_positive_int("d_out", d_out)
    check_positive_int("num_heads", num_heads)
    if d_out % num_heads != 0:
        raise ValueError(f"d_out ({d_out}) must be divisible by num_heads ({num_heads})")
    return d_out // num_heads


def check_tokens(
    x: object,
    *,
    d_in: int,
    context_length: int | None = None,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """Check an input of shape ``(num_tokens, d_in)`` or ``(b, num_tokens, d_in)`` (beyond classes).

    The classes beyond the chapter accept one sequence or a batch; the chapter's classes
    take exactly the book's shapes and use [`check_input`][llm_attention.checks.check_input].

    Args:
        x: the input tensor.
        d_in: the required size of the last dimension.
        context_length: if given, the largest allowed ``num_tokens``.
        dtype: if given, the dtype of the module's parameters, which ``x`` must match.

    Returns:
        ``x`` itself, so the check can be used inline; its shape is unchanged,
        ``(num_tokens, d_in)`` or ``(b, num_tokens, d_in)``.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(
            f"x must be a floating-point tensor (token embeddings), got dtype {x.dtype}; "
            "token ids must go through an embedding layer first"
        )
    if x.dim() not in (2, 3):
        raise ValueError(
            "x must have shape (num_tokens, d_in) or (b, num_tokens, d_in), "
            f"got {x.dim()} dimension(s) with shape {tuple(x.shape)}"
        )
    if x.shape[-1] != d_in:
        raise ValueError(f"x's last dimension must equal d_in ({d_in}), got shape {tuple(x.shape)}")
    num_tokens = x.shape[-2]
    if num_tokens < 1:
        raise ValueError(f"x must contain at least one token, got shape {tuple(x.shape)}")
    if context_length is not None and num_tokens > context_length:
        raise ValueError(
            f"x has {num_tokens} tokens, more than context_length ({context_length}); "
            "the causal mask only covers context_length positions"
        )
    if dtype is not None:
        _check_dtype(x, dtype)
    return x


def _autocast_dtype(device_type: str) -> torch.dtype | None:
    """The dtype ``torch.autocast`` computes in on ``device_type``, or ``None`` when it is off."""
    if hasattr(torch, "get_autocast_dtype"):  # torch >= 2.4
        if not torch.is_autocast_enabled(device_type):
            return None
        return torch.get_autocast_dtype(device_type)
    if device_type == "cpu":  # torch 2.2 and 2.3: one flag per device type
        return torch.get_autocast_cpu_dtype() if torch.is_autocast_cpu_enabled() else None
    if device_type == "cuda":
        return torch.get_autocast_gpu_dtype() if torch.is_autocast_enabled() else None
    return None


def _check_dtype(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Check that ``x`` has ``dtype``, the dtype of the module's parameters.

    A float64 input to a float32 module would otherwise fail deep inside the first
    matrix product with a message that names neither of them. Under
    ``torch.autocast`` on ``x``'s device, an input in autocast's dtype is what an
    upstream layer emits, and is accepted: autocast casts the operands of each
    matrix product, as it does for ``nn.Linear``.
    """
    if x.dtype != dtype and x.dtype != _autocast_dtype(x.device.type):
        raise TypeError(
            f"x has dtype {x.dtype} but the module's parameters are {dtype}; "
            f"convert one of them, e.g. module.to({dtype}) or x.to({dtype})"
        )
    return x


def check_kv_groups(num_heads: int, num_kv_groups: int) -> int:
    """Return ``group_size = num_heads // num_kv_groups`` after checking divisibility.

    Grouped-query attention shares each key/value group among ``group_size``
    query heads, so the groups must split the heads evenly. Both must be ints >= 1
    (checked here, so ``num_kv_groups=0`` is a ``ValueError`` that names it).
    """
    check_positive_int("num_heads", num_heads)
    check_positive_int("num_kv_groups", num_kv_groups)
    if num_heads % num_kv_groups != 0:
        raise ValueError(
            f"num_heads ({num_heads}) must be divisible by num_kv_groups ({num_kv_groups})"
        )
    return num_heads // num_kv_groups


#: The dtypes a tensor of token ids may have: the integer dtypes that every torch
#: operation supports (``min``/``max`` are not implemented for uint16, uint32 and uint64).
_ID_DTYPES = (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8)


def check_token_ids(
    ids: object,
    *,
    vocab_size: int,
    name: str = "ids",
    dims: tuple[int, ...] | None = (1, 2),
) -> torch.Tensor:
    """Check a tensor of token ids before an embedding lookup, and return it as int32 or int64.

    ``nn.Embedding`` takes only int32 and int64 ids and reports any other dtype, or an
    id outside its table, with a message that names neither. The rule here: ``ids``
    is a tensor of an integer dtype (int64, int32, int16, int8 or uint8; not bool,
    floating point or complex), with ``dims`` dimensions, and every id lies in
    ``[0, vocab_size)``. int16, int8 and uint8 ids are widened to int64 (a lossless
    copy); int32 and int64 ids are returned as they are.

    Args:
        ids: the token ids.
        vocab_size: the number of rows of the embedding table.
        name: the argument's name in error messages (``ids``, ``idx``).
        dims: the allowed numbers of dimensions; ``None`` allows any.

    Returns:
        ``ids``, or its int64 copy; the shape is unchanged.
    """
    shapes = {1: "(num_tokens,)", 2: "(b, num_tokens)"}
    if not isinstance(ids, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(ids).__name__}")
    if ids.dtype not in _ID_DTYPES:
        raise TypeError(
            f"{name} must be an integer tensor of token ids (int64, int32, int16, int8 or "
            f"uint8), got dtype {ids.dtype}"
        )
    if dims is not None and ids.dim() not in dims:
        expected = " or ".join(shapes.get(d, f"{d} dimensions") for d in dims)
        raise ValueError(f"{name} must have shape {expected}, got {tuple(ids.shape)}")
    if ids.dtype not in (torch.int64, torch.int32):
        ids = ids.long()  # before comparing: uint8 >= 50257 would compare with 50257 % 256
    outside = (ids < 0) | (ids >= vocab_size)
    if bool(outside.any()):
        where = tuple(int(i) for i in outside.nonzero()[0])
        position = where[0] if len(where) == 1 else where
        raise ValueError(
            f"{name} must lie in [0, vocab_size) = [0, {vocab_size}), "
            f"got {int(ids[where])} at position {position}"
        )
    return ids


# ---------------------------------------------------------------- the chapter's one-line checks
class _NotGiven:
    """The default of [`check_args`][llm_attention.checks.check_args]: nothing to check."""

    def __repr__(self) -> str:
        return "<not given>"


_NOT_GIVEN: object = _NotGiven()


def check_args(
    d_in: object = _NOT_GIVEN,
    d_out: object = _NOT_GIVEN,
    context_length: object = _NOT_GIVEN,
    dropout: object = _NOT_GIVEN,
    num_heads: object = _NOT_GIVEN,
    qkv_bias: object = _NOT_GIVEN,
    *,
    num_tokens: object = _NOT_GIVEN,
    d_k: object = _NOT_GIVEN,
    requires_grad: object = _NOT_GIVEN,
) -> None:
    """Check the arguments of a chapter class, passed in the order its constructor takes them.

    ``MultiHeadAttention`` calls ``check_args(d_in, d_out, context_length, dropout,
    num_heads, qkv_bias)``; the other classes pass what they have, and what is not
    passed is not checked. The sizes (``d_in``, ``d_out``, ``context_length``,
    ``num_heads``, ``num_tokens``, ``d_k``) must be ints >= 1, ``dropout`` a float
    in ``[0, 1)``, ``qkv_bias`` and ``requires_grad`` bools, and ``d_out`` must be
    divisible by ``num_heads`` when both are given (the book's ``assert``). The first
    broken rule raises ``TypeError`` or ``ValueError`` that names the argument.
    """
    sizes = {
        "d_in": d_in,
        "d_out": d_out,
        "context_length": context_length,
        "num_heads": num_heads,
        "num_tokens": num_tokens,
        "d_k": d_k,
    }
    for name, value in sizes.items():
        if value is not _NOT_GIVEN:
            check_positive_int(name, value)
    if dropout is not _NOT_GIVEN:
        check_dropout(dropout)
    for name, flag in (("qkv_bias", qkv_bias), ("requires_grad", requires_grad)):
        if flag is not _NOT_GIVEN:
            check_bool(name, flag)
    if d_out is not _NOT_GIVEN and num_heads is not _NOT_GIVEN:
        check_heads(d_out, num_heads)  # type: ignore[arg-type]


def check_input(x: object, shape: str, module: nn.Module) -> None:
    """Check that ``x`` has the shape a chapter class takes, e.g. ``"(b, num_tokens, d_in)"``.

    ``d_in`` and the parameters' dtype come from ``module.W_query`` (an
    ``nn.Parameter`` of shape ``(d_in, d_out)`` or an ``nn.Linear``), and
    ``context_length`` from ``module.mask`` when the module has that buffer. Any
    other input raises ``TypeError`` or ``ValueError`` that names the expected shape
    and, where there is one, the usual fix (``x.unsqueeze(0)`` for one sequence).
    """
    names = [name.strip() for name in shape.strip("()").split(",")]
    W_query = module.W_query
    if isinstance(W_query, nn.Linear):
        d_in, weight = W_query.in_features, W_query.weight
    else:  # an nn.Parameter of shape (d_in, d_out)
        weight = torch.as_tensor(W_query)
        d_in = weight.shape[0]
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor of shape {shape}, got {type(x).__name__}")
    if x.dim() != len(names):
        if x.dim() == len(names) - 1 and names[0] == "b":
            hint = "; for one sequence, add the batch dimension: x.unsqueeze(0)"
        elif x.dim() == len(names) + 1:
            hint = (
                f"; {type(module).__name__} takes one sequence: pass x[0], "
                "or use CausalAttention for a batch"
            )
        else:
            hint = ""
        raise ValueError(f"x must have shape {shape}, got {tuple(x.shape)}{hint}")
    # the rank is the book's: the rest (float, d_in, length, dtype) as for every class
    mask = module._buffers.get("mask")
    context_length = None if mask is None else int(mask.shape[-1])
    check_tokens(x, d_in=int(d_in), context_length=context_length, dtype=weight.dtype)
