"""The checker of the exercise "Write MultiHeadAttention yourself" (the steps of 3.6.2).

A reader who writes the ``MultiHeadAttention`` of section 3.6.2 on their own passes the class
to [`check_my_attention`][llm_attention.check_my_attention]. It builds the class with the
book's arguments next to the package's
[`MultiHeadAttention`][llm_attention.MultiHeadAttention], loads the package's weights into it
by the book's names, and compares the two, one property at a time: output shape, causality,
the outputs themselves, dropout. It names the first thing that differs, in the terms of the
chapter.

The diagnosis is computed, not guessed: when the reader's outputs differ, the checker
recomputes the book's attention from the same weights with one deliberate change at a time
(no scaling, softmax over another dimension, heads merged without the transpose, ...) and
names the change whose outputs equal the reader's.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from llm_attention.ch3_6_multihead_attention import MultiHeadAttention

__all__ = ["AttentionCheckError", "check_my_attention"]

_M = TypeVar("_M", bound=nn.Module)
_WIDTH = 80  # the longest line of a message, as wide as a code block on the site


class AttentionCheckError(AssertionError):
    """The reader's attention class differs from the book's; the message says how.

    A subclass of ``AssertionError``, so a failed check reads like a failed ``assert``
    and test runners report it as a failure.
    """

    def __init__(self, message: str) -> None:
        # Wrapped, so that it reads without scrolling in a terminal, a notebook or on the site;
        # the first line leaves room for the "AttentionCheckError: " a traceback puts before it.
        lines = [
            textwrap.fill(
                line,
                _WIDTH,
                initial_indent=" " * len("AttentionCheckError: ") if i == 0 else "",
                break_long_words=False,
                break_on_hyphens=False,
            ).lstrip()
            for i, line in enumerate(message.splitlines())
        ]
        super().__init__("\n".join(lines))


# ---------------------------------------------------------------- the settings it checks


@dataclass(frozen=True)
class _Setting:
    """One call of the reader's constructor; ``d_in != d_out`` so no weight is square."""

    d_in: int = 5
    d_out: int = 6
    context_length: int = 8
    dropout: float = 0.0
    num_heads: int = 3
    qkv_bias: bool = False

    @property
    def head_dim(self) -> int:
        return self.d_out // self.num_heads

    def build(self, cls: type[_M]) -> _M:
        """``cls`` called with this setting's arguments, in the book's order."""
        return cls(
            self.d_in,
            self.d_out,
            self.context_length,
            self.dropout,
            self.num_heads,
            qkv_bias=self.qkv_bias,
        )

    def call(self, name: str) -> str:
        """The constructor call as the reader would write it."""
        return (
            f"{name}({self.d_in}, {self.d_out}, {self.context_length}, {self.dropout}, "
            f"{self.num_heads}, qkv_bias={self.qkv_bias})"
        )

    def described(self, name: str) -> str:
        """The constructor call with every argument named, for the end of a message."""
        return (
            f"{name}(d_in={self.d_in}, d_out={self.d_out}, "
            f"context_length={self.context_length}, dropout={self.dropout}, "
            f"num_heads={self.num_heads}, qkv_bias={self.qkv_bias})"
        )


# three heads of 2, two heads of 3, and the query/key/value biases
_SETTINGS = (_Setting(), _Setting(num_heads=2), _Setting(qkv_bias=True))
_DROPOUT_SETTING = _Setting(dropout=0.5)
_BATCH, _NUM_TOKENS = 2, 6  # fewer tokens than context_length: the mask must be sliced
_BOOK_SIGNATURE = "(d_in, d_out, context_length, dropout, num_heads, qkv_bias=False)"
_LAYERS = ("W_query", "W_key", "W_value", "out_proj")
_TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal up to float32 rounding; NaN equals NaN (a wrong mask can make NaN rows)."""
    return a.shape == b.shape and torch.allclose(a, b, equal_nan=True, **_TOLERANCE)


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed the CPU generator inside, and leave the reader's random state as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def _inputs(setting: _Setting, num_tokens: int = _NUM_TOKENS, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(_BATCH, num_tokens, setting.d_in, generator=generator)


def _shape(shape: torch.Size | tuple[int, ...]) -> str:
    return str(tuple(shape))


def _token(i: int) -> str:
    return f"token {i + 1}"


# ---------------------------------------------------------------- the book's computation,
# with one deliberate change at a time

_Params = dict[str, torch.Tensor]


def _attention(
    params: _Params,
    x: torch.Tensor,
    setting: _Setting,
    change: str = "",
    dropout_at: str = "",
) -> torch.Tensor:
    """The forward pass of 3.6.2 from the weights in ``params``, changed as ``change`` says.

    ``dropout_at`` names the tensor that dropout (``setting.dropout``, training mode) is
    applied to: ``"weights"`` is the book's place.
    """

    def drop(t: torch.Tensor, here: str) -> torch.Tensor:
        return F.dropout(t, setting.dropout, training=True) if dropout_at == here else t

    b, n, _ = x.shape
    heads, head_dim, d_out = setting.num_heads, setting.head_dim, setting.d_out
    x = drop(x, "inputs")
    q, k, v = (
        F.linear(x, params[f"{name}.weight"], params.get(f"{name}.bias"))
        for name in ("W_query", "W_key", "W_value")
    )
    if change == "split_direct":
        q, k, v = (t.reshape(b, heads, n, head_dim) for t in (q, k, v))
    else:
        q, k, v = (t.view(b, n, heads, head_dim).transpose(1, 2) for t in (q, k, v))
    v = drop(v, "values")
    scores = k @ q.transpose(2, 3) if change == "keys_queries_swapped" else q @ k.transpose(2, 3)
    future = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
    masks = {
        "no_mask": None,
        "mask_after_softmax": None,
        "mask_diagonal": torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=0),
        "mask_transposed": future.T,
        "mask_inverted": ~future,
    }
    mask = masks.get(change, future)
    if mask is not None:
        scores = scores.masked_fill(mask, 0.0 if change == "mask_zero" else -torch.inf)
    if change == "scale_multiplied":
        scores = scores * head_dim**0.5
    else:
        divisors = {
            "no_scale": 1.0,
            "scale_d_out": d_out**0.5,
            "scale_d_in": setting.d_in**0.5,
            "scale_head_dim": float(head_dim),
        }
        scores = scores / divisors.get(change, head_dim**0.5)
    scores = drop(scores, "scores")
    dim = {"softmax_queries": -2, "softmax_heads": 1}.get(change, -1)
    weights = torch.softmax(scores, dim=dim)
    if change == "mask_after_softmax":
        weights = weights.masked_fill(future, 0.0)
    weights = drop(weights, "weights")
    context = weights @ (k if change == "values_are_keys" else v)
    if change in ("split_direct", "merge_direct"):
        context = context.reshape(b, n, d_out)
    elif change == "merge_interleaved":
        context = context.permute(0, 2, 3, 1).reshape(b, n, d_out)
    else:
        context = context.transpose(1, 2).reshape(b, n, d_out)
    context = drop(context, "context")
    if change == "no_out_proj":
        return context
    out = F.linear(context, params["out_proj.weight"], params["out_proj.bias"])
    return drop(out, "output")


def _scale_line(s: _Setting) -> str:
    return f"head_dim = d_out // num_heads = {s.d_out} // {s.num_heads} = {s.head_dim}"


# change -> what it means, in the reader's terms (a function of the setting, for the numbers)
_CHANGES: dict[str, Callable[[_Setting], str]] = {
    "no_mask": lambda s: (
        "no causal mask: your outputs equal the book's computation without the mask, so every "
        "token sees the whole sequence. Fill the scores above the diagonal with -inf before the "
        "softmax: attn_scores.masked_fill_(mask_bool, -torch.inf). (masked_fill without the "
        "underscore returns a new tensor and leaves attn_scores as it was.)"
    ),
    "mask_zero": lambda s: (
        "the mask fills the hidden scores with 0 instead of -inf: a score of 0 still gets a "
        "weight after the softmax (exp(0) = 1), so tokens see later tokens. Fill them with "
        "-torch.inf."
    ),
    "mask_transposed": lambda s: (
        "the mask hides the wrong triangle: your outputs equal the book's computation with the "
        "mask transposed, which hides the earlier tokens and shows the later ones. The mask is "
        "True (or 1) above the diagonal: torch.triu(torch.ones(context_length, context_length), "
        "diagonal=1)."
    ),
    "mask_inverted": lambda s: (
        "the mask is inverted: your outputs equal the book's computation with True and False "
        "swapped in the mask, which hides each token itself and everything before it. For "
        "masked_fill_, True marks a hidden position: the positions above the diagonal."
    ),
    "mask_diagonal": lambda s: (
        "a token cannot see itself: your mask also hides the diagonal, so token 1, which may "
        "only look at itself, has every score masked and its output is NaN. Use "
        "torch.triu(..., diagonal=1), which starts one above the diagonal."
    ),
    "mask_after_softmax": lambda s: (
        "the mask is applied after the softmax: your outputs equal the book's computation with "
        "the weights above the diagonal set to 0 after the softmax, so the weights of a row no "
        "longer sum to 1. Fill the scores with -inf before the softmax (section 3.5.1)."
    ),
    "no_scale": lambda s: (
        "your scores are not scaled by sqrt(head_dim): your outputs equal the book's "
        "computation without the scaling. Divide the scores by head_dim**0.5 before the "
        f"softmax ({_scale_line(s)})."
    ),
    "scale_d_out": lambda s: (
        "your scores are scaled by sqrt(d_out) instead of sqrt(head_dim): each head's scores "
        "are dot products of vectors head_dim wide, so divide by head_dim**0.5 "
        f"({_scale_line(s)}), not by d_out**0.5."
    ),
    "scale_d_in": lambda s: (
        "your scores are scaled by sqrt(d_in) instead of sqrt(head_dim): the queries and keys "
        f"of a head are head_dim wide, so divide by head_dim**0.5 ({_scale_line(s)})."
    ),
    "scale_head_dim": lambda s: (
        "your scores are divided by head_dim instead of sqrt(head_dim): divide by "
        f"head_dim**0.5 ({_scale_line(s)})."
    ),
    "scale_multiplied": lambda s: (
        "your scores are multiplied by sqrt(head_dim) instead of divided by it: "
        f"attn_scores / head_dim**0.5 ({_scale_line(s)})."
    ),
    "softmax_queries": lambda s: (
        "softmax over the wrong dimension: your outputs equal the book's computation with the "
        "softmax over dim=-2 (the queries) instead of dim=-1 (the keys). Each row of attention "
        "weights, one query against every key, must sum to 1: torch.softmax(..., dim=-1)."
    ),
    "softmax_heads": lambda s: (
        "softmax over the wrong dimension: your outputs equal the book's computation with the "
        "softmax over dim=1 (the heads) instead of dim=-1 (the keys). Each row of attention "
        "weights, one query against every key, must sum to 1: torch.softmax(..., dim=-1)."
    ),
    "keys_queries_swapped": lambda s: (
        "queries and keys are swapped in the scores: your outputs equal the book's computation "
        "with keys @ queries.transpose(2, 3). Row i of the scores holds the query of token i "
        "against every key: queries @ keys.transpose(2, 3)."
    ),
    "values_are_keys": lambda s: (
        "the attention weights multiply the keys instead of the values: your outputs equal the "
        "book's computation with attn_weights @ keys. Use attn_weights @ values."
    ),
    "split_direct": lambda s: (
        "heads are split in the wrong order: your outputs equal the book's computation with the "
        "queries, keys and values viewed directly as (b, num_heads, num_tokens, head_dim), "
        "which cuts the sequence into pieces instead of each token's vector. View them as "
        "(b, num_tokens, num_heads, head_dim), then .transpose(1, 2)."
    ),
    "merge_direct": lambda s: (
        "heads are merged in the wrong order: your outputs equal the book's computation with "
        "the context vectors viewed as (b, num_tokens, d_out) straight from "
        "(b, num_heads, num_tokens, head_dim), without the transpose back. Transpose first: "
        "context_vec.transpose(1, 2).contiguous().view(b, num_tokens, d_out)."
    ),
    "merge_interleaved": lambda s: (
        "heads are merged in the wrong order: your outputs equal the book's computation with "
        "the heads' columns interleaved, (b, num_tokens, head_dim, num_heads) flattened, "
        "instead of placed side by side. After .transpose(1, 2) the context vectors are "
        "(b, num_tokens, num_heads, head_dim); join the last two dimensions in that order."
    ),
    "no_out_proj": lambda s: (
        "out_proj is not applied: your outputs equal the book's context vectors before the "
        "output projection. End forward with context_vec = self.out_proj(context_vec)."
    ),
}

# dropout in training mode, at another place than the attention weights
_DROPOUT_PLACES = {
    "inputs": "the inputs x",
    "values": "the values",
    "scores": "the attention scores (before the softmax)",
    "context": "the merged context vectors (before out_proj)",
    "output": "the output of out_proj",
}


# ---------------------------------------------------------------- one setting, both classes


@dataclass
class _Pair:
    """The reader's module and the package's, with the same weights, for one setting."""

    setting: _Setting
    name: str
    theirs: nn.Module
    book: MultiHeadAttention
    params: _Params

    def context(self, x: torch.Tensor) -> str:
        call = self.setting.described(self.name)
        return f"Checked with {call} on a batch of shape {_shape(x.shape)}."

    def fail(self, x: torch.Tensor, *lines: str) -> AttentionCheckError:
        return AttentionCheckError("\n".join([*lines, self.context(x)]))

    def run(self, x: torch.Tensor) -> torch.Tensor:
        """The reader's output for ``x``, checked to be a float tensor of the right shape."""
        with torch.no_grad():
            try:
                out = self.theirs(x)
            except Exception as error:
                raise self._call_failed(x, error) from error
        if not isinstance(out, torch.Tensor):
            raise self.fail(
                x,
                f"your forward returns a {type(out).__name__}, not a tensor: the book's returns "
                "the context vectors, one tensor of shape (b, num_tokens, d_out).",
            )
        b, n, _ = x.shape
        expected = (b, n, self.setting.d_out)
        if tuple(out.shape) != expected:
            lines = [
                "output shape is wrong: expected (b, num_tokens, d_out) = "
                f"{_shape(expected)}, got {_shape(out.shape)}."
            ]
            if tuple(out.shape) == (b, self.setting.num_heads, n, self.setting.head_dim):
                lines.append(
                    "That is (b, num_heads, num_tokens, head_dim): the heads are not merged "
                    "back. Transpose them back with .transpose(1, 2), then view the result as "
                    "(b, num_tokens, d_out)."
                )
            raise self.fail(x, *lines)
        if not out.is_floating_point():
            raise self.fail(x, f"your output has dtype {out.dtype}, not a floating-point dtype.")
        return out.float()

    def _call_failed(self, x: torch.Tensor, error: Exception) -> AttentionCheckError:
        lines = [
            f"calling your module on a batch of shape {_shape(x.shape)}, that is "
            f"(b, num_tokens, d_in), raised {type(error).__name__}: {error}"
        ]
        n, full = x.shape[1], self.setting.context_length
        mask_sized = "size" in str(error) and str(full) in str(error)
        if n < full and mask_sized and self._runs_on(_inputs(self.setting, full)):
            lines.append(
                f"It runs on {full} tokens, the full context_length, but not on {n}: slice "
                "the mask to the input's length, mask[:num_tokens, :num_tokens]."
            )
        if "view size is not compatible" in str(error):
            lines.append(
                "Call .contiguous() before .view(), or use .reshape(): after .transpose() the "
                "numbers of one token are no longer next to each other in memory (section 3.6.2)."
            )
        return self.fail(x, *lines)

    def _runs_on(self, x: torch.Tensor) -> bool:
        try:
            with torch.no_grad():
                self.theirs(x)
        except Exception:
            return False
        return True

    def diagnose(self, x: torch.Tensor, out: torch.Tensor) -> str | None:
        """The one change to the book's computation that gives the reader's ``out``, if any."""
        for change, message in _CHANGES.items():
            with torch.no_grad():
                variant = _attention(self.params, x, self.setting, change)
            if _same(out, variant):
                return message(self.setting)
        return None


def _construct(cls: type[nn.Module], setting: _Setting) -> nn.Module:
    name = cls.__name__
    try:
        with _seeded(1):
            return setting.build(cls)
    except Exception as error:
        raise AttentionCheckError(
            f"{name} cannot be constructed: {setting.call(name)} raised "
            f"{type(error).__name__}: {error}"
        ) from error


def _check_signature(cls: type[nn.Module]) -> None:
    name = cls.__name__
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):  # no signature to read: the calls will tell
        return
    s = _Setting()
    calls = [
        (f"{name}(5, 6, 8, 0.0, 3)", (s.d_in, s.d_out, s.context_length, s.dropout, 3), {}),
        (
            f"{name}(5, 6, 8, 0.0, 3, False)",
            (s.d_in, s.d_out, s.context_length, s.dropout, 3, False),
            {},
        ),
        (
            f"{name}(d_in=5, d_out=6, context_length=8, dropout=0.0, num_heads=3, qkv_bias=False)",
            (),
            {
                "d_in": s.d_in,
                "d_out": s.d_out,
                "context_length": s.context_length,
                "dropout": s.dropout,
                "num_heads": 3,
                "qkv_bias": False,
            },
        ),
    ]
    book_order = ["d_in", "d_out", "context_length", "dropout", "num_heads", "qkv_bias"]
    for call, args, kwargs in calls:
        try:
            signature.bind(*args, **kwargs)
        except TypeError as error:
            message = (
                f"wrong constructor signature: {name} cannot be called with the book's "
                f"arguments {name}{_BOOK_SIGNATURE}; the call {call} fails: {error}. "
                f"Your class's signature is {name}{signature}."
            )
            lacking = [p for p in book_order if p not in signature.parameters]
            if kwargs and lacking:
                message += f" It has no parameter named {', '.join(lacking)}."
            raise AttentionCheckError(message) from None
    positional = [
        p.name
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if set(book_order) <= set(positional) and positional[:6] != book_order:
        raise AttentionCheckError(
            f"wrong constructor signature: {name}{signature} takes the book's arguments in "
            f"another order; the book's is {name}{_BOOK_SIGNATURE}, and its code passes "
            "them by position, as in MultiHeadAttention(d_in, d_out, context_length, 0.0, "
            "num_heads=2)."
        )


# ---------------------------------------------------------------- the weights


def _load_weights(pair_name: str, theirs: nn.Module, book: nn.Module, s: _Setting) -> _Params:
    """Copy the book's parameters into ``theirs`` by the book's names; return them."""
    params = {k: v.detach().clone() for k, v in book.named_parameters()}
    have = dict(theirs.named_parameters(remove_duplicate=False))
    described = s.described(pair_name)

    def fail(message: str) -> AttentionCheckError:
        return AttentionCheckError(f"{message}\nChecked with {described}.")

    unknown = sorted(k for k in have if k not in params)
    for layer in _LAYERS:
        in_name, in_size = ("d_out", s.d_out) if layer == "out_proj" else ("d_in", s.d_in)
        bias_arg = "" if layer == "out_proj" else ", bias=qkv_bias"
        linear = f"nn.Linear({in_name}, d_out{bias_arg})"
        expected = f"(d_out, {in_name}) = {_shape((s.d_out, in_size))}"
        if layer in have:
            raise fail(
                f"your `{layer}` is a bare parameter of shape {_shape(have[layer].shape)}, not "
                f"an nn.Linear layer: the book's is {linear}, whose weight `{layer}.weight` has "
                f"shape {expected}."
            )
        if not any(k.startswith(f"{layer}.") for k in have):
            message = (
                f"your class has no `{layer}` layer. The book's MultiHeadAttention has four "
                "layers: W_query, W_key and W_value, each nn.Linear(d_in, d_out), and out_proj, "
                "nn.Linear(d_out, d_out); the checker loads its weights into yours by these "
                "names."
            )
            if unknown:
                listed = ", ".join(f"`{k}` {_shape(have[k].shape)}" for k in unknown)
                message += (
                    f" Your class has parameters the book's does not: {listed}; give your "
                    "layers the book's names."
                )
            raise fail(message)
        weight = have.get(f"{layer}.weight")
        if weight is None:
            raise fail(f"your `{layer}` has no weight: make it {linear}.")
        if tuple(weight.shape) != (s.d_out, in_size):
            raise fail(
                f"your `{layer}.weight` has shape {_shape(weight.shape)} but the book's is "
                f"{expected}: create the layer as {linear} (nn.Linear(in_features, "
                "out_features) stores its weight as (out_features, in_features))."
            )
        bias = have.get(f"{layer}.bias")
        if layer == "out_proj" and bias is None:
            raise fail(
                "your `out_proj` has no bias; the book's is nn.Linear(d_out, d_out), with the "
                "default bias=True."
            )
        if layer != "out_proj" and s.qkv_bias and bias is None:
            raise fail(f"with qkv_bias=True your `{layer}` has no bias: create it as {linear}.")
        if layer != "out_proj" and not s.qkv_bias and bias is not None:
            raise fail(
                f"with qkv_bias=False your `{layer}` has a bias, but the book's has none: "
                f"create it as {linear}."
            )
        if bias is not None and tuple(bias.shape) != (s.d_out,):
            raise fail(
                f"your `{layer}.bias` has shape {_shape(bias.shape)} but the book's is "
                f"(d_out,) = {_shape((s.d_out,))}."
            )
    for key in unknown:
        if key == "mask":
            raise fail(
                "your `mask` is a trainable parameter; register it as a buffer instead, "
                'self.register_buffer("mask", ...): a buffer is saved and moved with the module, '
                "but the optimizer does not train it."
            )
        raise fail(
            f"your class has a trainable parameter `{key}` of shape {_shape(have[key].shape)} "
            "that the book's MultiHeadAttention does not have: its only parameters are the "
            "weights and biases of W_query, W_key, W_value and out_proj."
        )
    try:
        result = theirs.load_state_dict(params, strict=False)
    except Exception as error:
        raise fail(
            f"loading the book's weights into your class failed: {type(error).__name__}: {error}"
        ) from error
    if result.unexpected_keys:  # pragma: no cover - the names were checked above
        raise fail(f"your class does not accept the weights {result.unexpected_keys}.")
    return params


def _pair(cls: type[nn.Module], setting: _Setting) -> _Pair:
    theirs = _construct(cls, setting)
    with _seeded(123):
        book = setting.build(MultiHeadAttention)
    params = _load_weights(cls.__name__, theirs, book, setting)
    theirs.eval()
    book.eval()
    return _Pair(setting, cls.__name__, theirs, book, params)


# ---------------------------------------------------------------- the behaviour


def _first_leak(pair: _Pair, x: torch.Tensor, out: torch.Tensor) -> tuple[int, int] | None:
    """``(i, j)`` with ``i < j`` such that changing token ``j`` changes token ``i``'s output."""
    leaks = []
    for j in range(1, x.shape[1]):
        changed = x.clone()
        changed[:, j] += 1.0
        moved = ~torch.isclose(pair.run(changed), out, equal_nan=True, **_TOLERANCE)
        earlier = moved.any(dim=2).any(dim=0)[:j].nonzero()
        if len(earlier):
            leaks.append((int(earlier[0]), j))
    return min(leaks) if leaks else None


def _check_causal(pair: _Pair) -> None:
    x = _inputs(pair.setting)
    out = pair.run(x)
    leak = _first_leak(pair, x, out)
    if leak is None:
        return
    i, j = leak
    evidence = (
        f"{_token(i)} sees {_token(j)} (counting tokens from 1, so x[:, {i}] and x[:, {j}]): "
        f"changing the input of {_token(j)} changed the output of {_token(i)}, which comes "
        "before it."
    )
    diagnosis = pair.diagnose(x, out)
    if diagnosis is not None:
        raise pair.fail(x, diagnosis, f"This is why {evidence}")
    raise pair.fail(
        x,
        evidence,
        "A causal mask must hide every later token: fill the scores above the diagonal with "
        "-inf before the softmax.",
    )


def _check_sees_itself(pair: _Pair) -> None:
    x = _inputs(pair.setting)
    out = pair.run(x)
    bad = ~torch.isfinite(out).all(dim=2).all(dim=0)
    if bad.any():
        diagnosis = pair.diagnose(x, out)
        if diagnosis is not None:
            raise pair.fail(x, diagnosis)
        first = int(bad.nonzero()[0])
        if first == 0:
            raise pair.fail(
                x,
                "token 1 cannot see itself: its output is NaN, which happens when every score "
                "in its row is masked. Token 1 may only look at itself, so the mask must leave "
                "the diagonal open: torch.triu(..., diagonal=1).",
            )
        raise pair.fail(
            x,
            f"your output contains NaN or inf, first at {_token(first)} (x[:, {first}]), "
            "although the input is finite.",
        )
    changed = x.clone()
    changed[:, 0] += 1.0
    if _same(pair.run(changed)[:, 0], out[:, 0]):
        raise pair.fail(
            x,
            "token 1 cannot see itself: changing its input does not change its output. Token 1 "
            "may only look at itself, so the mask must leave the diagonal open: "
            "torch.triu(..., diagonal=1).",
        )


def _check_outputs(pair: _Pair) -> None:
    x = _inputs(pair.setting)
    out = pair.run(x)
    with torch.no_grad():
        expected = pair.book(x)
    if _same(out, expected):
        return
    diagnosis = pair.diagnose(x, out)
    if diagnosis is not None:
        raise pair.fail(x, diagnosis)
    gap = (out - expected).abs().nan_to_num(nan=torch.inf)
    close = torch.isclose(out, expected, equal_nan=True, **_TOLERANCE)
    b, t, f = (int(i) for i in (~close).nonzero()[0])
    raise pair.fail(
        x,
        f"outputs differ from the book's MultiHeadAttention (llm_attention.MultiHeadAttention "
        f"with the same weights) by up to {gap.max().item():.3g}; the first difference is "
        f"out[{b}, {t}, {f}] (sequence {b + 1}, token {t + 1}, feature {f + 1}, counting from "
        f"1): yours {out[b, t, f].item():.4f}, the book's {expected[b, t, f].item():.4f}.",
    )


def _check_dropout(cls: type[nn.Module]) -> str:
    """Check dropout in eval and training mode; return the line to print."""
    pair = _pair(cls, _DROPOUT_SETTING)
    s = pair.setting
    x = _inputs(s)
    first, second = pair.run(x), pair.run(x)
    with torch.no_grad():
        expected = pair.book(x)
    if not _same(first, second):
        raise pair.fail(
            x,
            f"dropout is applied in eval mode: after .eval(), with dropout={s.dropout}, two "
            "calls on the same input gave different outputs. An nn.Dropout layer does nothing "
            "in eval mode; torch.nn.functional.dropout drops in every mode unless you pass "
            "training=self.training.",
        )
    if not _same(first, expected):
        gap = (first - expected).abs().nan_to_num(nan=torch.inf).max().item()
        raise pair.fail(
            x,
            f"with dropout={s.dropout} your outputs in eval mode differ from the book's by up "
            f"to {gap:.3g}: in eval mode dropout must do nothing, so the outputs should be "
            "those of dropout=0.0.",
        )
    pair.theirs.train()
    with _seeded(7):
        trained = pair.run(x)
    pair.theirs.eval()
    if _same(trained, first):
        raise pair.fail(
            x,
            f"dropout is not applied in training mode: after .train(), with dropout={s.dropout}, "
            "your output is the same as in eval mode. Apply your dropout layer to the attention "
            "weights, after the softmax and before they weight the values.",
        )
    with torch.no_grad():
        pair.book.train()
        with _seeded(7):
            book_trained = pair.book(x)
        pair.book.eval()
    if _same(trained, book_trained):
        return "✓ dropout: on the attention weights in training mode, off in eval mode"
    for place, what in _DROPOUT_PLACES.items():
        with _seeded(7), torch.no_grad():
            variant = _attention(pair.params, x, s, dropout_at=place)
        if _same(trained, variant):
            raise pair.fail(
                x,
                f"dropout is applied to {what} instead of the attention weights: in training "
                "mode your output equals the book's computation with dropout moved there (same "
                "random seed). Apply it to attn_weights, after the softmax and before they "
                "weight the values.",
            )
    return (
        "✓ dropout: active in training mode, off in eval mode\n"
        "  (your random draws differ from the book's: where you apply it was not compared)"
    )


# ---------------------------------------------------------------- the checker


def check_my_attention(attention_class: type[nn.Module]) -> bool:
    """Check a multi-head attention class of your own against the book's (3.6.2).

    Builds ``attention_class`` with the book's signature,
    ``attention_class(d_in, d_out, context_length, dropout, num_heads, qkv_bias=False)``, for
    three settings (``d_in=5, d_out=6, context_length=8`` with three heads of 2, two heads of
    3, and ``qkv_bias=True``) and builds the package's
    [`MultiHeadAttention`][llm_attention.MultiHeadAttention] with the same arguments. The
    package's weights are loaded into your class with ``load_state_dict`` under the book's
    names: ``W_query.weight``, ``W_key.weight``, ``W_value.weight`` (and their ``.bias`` with
    ``qkv_bias=True``), ``out_proj.weight`` and ``out_proj.bias``. Your class may register a
    ``mask`` buffer (float, as in the book, or boolean) or none; it is not copied.

    The checks, in order, each printed with a ✓ when it passes:

    1. constructor: the book's arguments are accepted;
    2. weights: the four layers have the book's names and shapes;
    3. output shape: ``(b, num_tokens, d_out)`` for 6 tokens (fewer than
       ``context_length``), 8 tokens and 1 token;
    4. causal: changing a later token never changes an earlier token's output;
    5. every token sees itself: no NaN, and token 1's output depends on token 1;
    6. outputs: equal to the book's in eval mode with ``dropout=0.0``;
    7. dropout (``dropout=0.5``): nothing in eval mode, something in training mode, and with
       the same random seed the book's result when it is applied to the attention weights.

    When the outputs differ, the checker recomputes the book's attention from the same
    weights with one change at a time (no scaling, scaling by ``sqrt(d_out)``, softmax over
    another dimension, heads split or merged without the transpose, no ``out_proj``, a wrong
    mask, ...) and names the change whose outputs equal yours. Tokens in the messages are
    counted from 1, and the message gives the index too (token 2 is ``x[:, 1]``).

    The checker leaves PyTorch's random state as it found it.

    Args:
        attention_class: your class itself (not an instance), a subclass of
            ``torch.nn.Module``.

    Returns:
        ``True`` when every check passes.

    Raises:
        AttentionCheckError: at the first check that fails, with a message that names what
            differs and how to fix it. It subclasses ``AssertionError``.
        TypeError: ``attention_class`` is not a subclass of ``torch.nn.Module``.

    Example:
        ```python
        from llm_attention import check_my_attention

        check_my_attention(MyMultiHeadAttention)
        ```
    """
    if isinstance(attention_class, nn.Module):
        name = type(attention_class).__name__
        raise TypeError(
            f"attention_class must be the class itself, not an instance: call "
            f"check_my_attention({name}), not check_my_attention({name}(...))"
        )
    if not isinstance(attention_class, type):
        raise TypeError(
            f"attention_class must be a class, got {type(attention_class).__name__}: "
            "call check_my_attention(MyMultiHeadAttention)"
        )
    if not issubclass(attention_class, nn.Module):
        name = attention_class.__name__
        raise TypeError(
            f"attention_class must be a subclass of torch.nn.Module, got {name}: "
            f"define it as class {name}(nn.Module) and call super().__init__() first in "
            "__init__"
        )

    try:
        _run_checks(attention_class)
    except AttentionCheckError as error:
        # Start the traceback here, at the reader's call, not deep inside the checker; an
        # error raised by the reader's own code stays attached as the cause.
        raise error.with_traceback(None) from error.__cause__
    return True


def _run_checks(attention_class: type[nn.Module]) -> None:
    _check_signature(attention_class)
    for setting in (*_SETTINGS, _DROPOUT_SETTING):
        _construct(attention_class, setting)
    print("✓ constructor: takes the book's arguments")

    pairs = [_pair(attention_class, setting) for setting in _SETTINGS]
    _pair(attention_class, _DROPOUT_SETTING)
    print("✓ weights: the book's names and shapes (W_query, W_key, W_value, out_proj)")

    for pair in pairs:
        for num_tokens in (_NUM_TOKENS, pair.setting.context_length, 1):
            pair.run(_inputs(pair.setting, num_tokens))
    print("✓ output shape: (b, num_tokens, d_out)")

    for pair in pairs:
        _check_causal(pair)
    print("✓ causal: no token sees a later token")

    for pair in pairs:
        _check_sees_itself(pair)
    print("✓ every token sees itself")

    for pair in pairs:
        _check_outputs(pair)
    print("✓ outputs: equal to the book's MultiHeadAttention with the same weights")

    print(_check_dropout(attention_class))
