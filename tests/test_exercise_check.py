"""The checker of the exercise "Write MultiHeadAttention yourself": it passes correct classes
and names the first mistake of a broken one.

``Reader`` is a class written the way the book writes it (a float mask buffer, sliced and
turned into booleans in ``forward``), with the steps of ``forward`` as small methods so that
each broken class below overrides one step with one typical mistake.
"""

from __future__ import annotations

import itertools
import re

import pytest
import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

import llm_attention
from llm_attention import AttentionCheckError, MultiHeadAttention, check_my_attention
from llm_attention.exercise_check import _CHANGES, _SETTINGS, _attention

PASS_LINES = [
    "✓ constructor: takes the book's arguments",
    "✓ weights: the book's names and shapes (W_query, W_key, W_value, out_proj)",
    "✓ output shape: (b, num_tokens, d_out)",
    "✓ causal: no token sees a later token",
    "✓ every token sees itself",
    "✓ outputs: equal to the book's MultiHeadAttention with the same weights",
    "✓ dropout: on the attention weights in training mode, off in eval mode",
]
FIRST = "Checked with {name}(d_in=5, d_out=6, context_length=8, dropout=0.0, num_heads=3, qkv_bias=False) on a batch of shape (2, 6, 5)."  # noqa: E501


class Reader(nn.Module):
    """A correct MultiHeadAttention, in the book's style, one method per step."""

    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        assert d_out % num_heads == 0
        self.d_out = d_out
        self.num_heads = num_heads
        self.head_dim = d_out // num_heads
        self.make_layers(d_in, d_out, qkv_bias)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer(
            "mask", torch.triu(torch.ones(context_length, context_length), diagonal=1)
        )

    def make_layers(self, d_in, d_out, qkv_bias):
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)

    def split(self, t, b, n):
        return t.view(b, n, self.num_heads, self.head_dim).transpose(1, 2)

    def scores(self, q, k):
        return q @ k.transpose(2, 3)

    def apply_mask(self, scores, n):
        scores.masked_fill_(self.mask.bool()[:n, :n], -torch.inf)
        return scores

    def weights(self, scores, k):
        return torch.softmax(scores / k.shape[-1] ** 0.5, dim=-1)

    def drop(self, w):
        return self.dropout(w)

    def weigh(self, w, k, v):
        return w @ v

    def merge(self, context, b, n):
        return context.transpose(1, 2).contiguous().view(b, n, self.d_out)

    def project(self, context):
        return self.out_proj(context)

    def forward(self, x):
        b, n, _ = x.shape
        q = self.split(self.W_query(x), b, n)
        k = self.split(self.W_key(x), b, n)
        v = self.split(self.W_value(x), b, n)
        scores = self.apply_mask(self.scores(q, k), n)
        w = self.drop(self.weights(scores, k))
        return self.project(self.merge(self.weigh(w, k, v), b, n))


def flat(text: str) -> str:
    """The message with its line breaks (the checker wraps it at 80 columns) as spaces."""
    return " ".join(text.split())


def failure(cls: type[nn.Module]) -> str:
    with pytest.raises(AttentionCheckError) as info:
        check_my_attention(cls)
    message = str(info.value)
    assert all(len(line) <= 80 or " " not in line for line in message.splitlines()), message
    return flat(message)


# ---------------------------------------------------------------- correct classes pass


class BoolMask(Reader):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__(d_in, d_out, context_length, dropout, num_heads, qkv_bias)
        self.mask = torch.triu(torch.ones(context_length, context_length, dtype=torch.bool), 1)

    def apply_mask(self, scores, n):
        return scores.masked_fill(self.mask[:n, :n], -torch.inf)


class NoMaskBuffer(Reader):
    """No buffer at all: the mask is built in forward."""

    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__(d_in, d_out, context_length, dropout, num_heads, qkv_bias)
        del self.mask

    def apply_mask(self, scores, n):
        future = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
        return scores.masked_fill(future, float("-inf"))


class Reshape(Reader):
    """.reshape instead of .contiguous().view, and the scale from head_dim."""

    def merge(self, context, b, n):
        return context.transpose(1, 2).reshape(b, n, self.d_out)

    def weights(self, scores, k):
        return torch.softmax(scores / self.head_dim**0.5, dim=3)


@pytest.mark.parametrize("cls", [MultiHeadAttention, Reader, BoolMask, NoMaskBuffer, Reshape])
def test_a_correct_class_passes(cls: type[nn.Module], capsys: pytest.CaptureFixture[str]) -> None:
    assert check_my_attention(cls) is True
    printed = capsys.readouterr().out.splitlines()
    assert printed == PASS_LINES


def test_the_checker_leaves_the_random_state_alone() -> None:
    torch.manual_seed(42)
    state = torch.get_rng_state()
    check_my_attention(Reader)
    assert torch.equal(torch.get_rng_state(), state)


def test_the_book_computation_of_the_checker_is_the_package_class() -> None:
    # The variants are the package's computation with one change: the unchanged one must be
    # the package's class, in eval mode and with dropout in training mode.
    for setting in (*_SETTINGS, _SETTINGS[0].__class__(dropout=0.5)):
        torch.manual_seed(0)
        mha = MultiHeadAttention(5, 6, 8, setting.dropout, setting.num_heads, setting.qkv_bias)
        params = {k: v.detach() for k, v in mha.named_parameters()}
        x = torch.randn(2, 6, 5)
        with torch.no_grad():
            torch.testing.assert_close(_attention(params, x, setting), mha.eval()(x))
            torch.manual_seed(3)
            ours = _attention(params, x, setting, dropout_at="weights")
            torch.manual_seed(3)
            torch.testing.assert_close(ours, mha.train()(x))


def test_every_change_gives_outputs_of_its_own() -> None:
    # A diagnosis is only evidence if no two changes (and no change and the book) agree.
    for setting in _SETTINGS:
        torch.manual_seed(0)
        mha = MultiHeadAttention(5, 6, 8, 0.0, setting.num_heads, setting.qkv_bias)
        params = {k: v.detach() for k, v in mha.named_parameters()}
        x = torch.randn(2, 6, 5)
        outputs = {c: _attention(params, x, setting, c) for c in ["", *_CHANGES]}
        for (a, out_a), (b, out_b) in itertools.combinations(outputs.items(), 2):
            assert not torch.allclose(out_a, out_b, atol=1e-3, equal_nan=True), (setting, a, b)


# ---------------------------------------------------------------- the constructor


class NoQkvBias(Reader):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads):
        super().__init__(d_in, d_out, context_length, dropout, num_heads)


class HeadsSecond(Reader):
    def __init__(self, d_in, num_heads, d_out, context_length, dropout, qkv_bias=False):
        super().__init__(d_in, d_out, context_length, dropout, num_heads, qkv_bias)


class RenamedArgument(Reader):
    def __init__(self, d_in, d_out, context_length, dropout, n_heads, qkv_bias=False):
        super().__init__(d_in, d_out, context_length, dropout, n_heads, qkv_bias)


class Unfinished(Reader):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        raise NotImplementedError("fill in __init__")


def test_a_missing_argument_is_a_wrong_signature() -> None:
    message = failure(NoQkvBias)
    assert message == (
        "wrong constructor signature: NoQkvBias cannot be called with the book's arguments "
        "NoQkvBias(d_in, d_out, context_length, dropout, num_heads, qkv_bias=False); the call "
        "NoQkvBias(5, 6, 8, 0.0, 3, False) fails: too many positional arguments. Your class's "
        "signature is NoQkvBias(d_in, d_out, context_length, dropout, num_heads)."
    )


def test_arguments_in_another_order_are_a_wrong_signature() -> None:
    message = failure(HeadsSecond)
    assert message.startswith(
        "wrong constructor signature: HeadsSecond(d_in, num_heads, d_out, context_length, "
        "dropout, qkv_bias=False) takes the book's arguments in another order"
    )


def test_a_renamed_argument_is_a_wrong_signature() -> None:
    message = failure(RenamedArgument)
    assert message.startswith("wrong constructor signature: RenamedArgument cannot be called")
    assert message.endswith(
        "Your class's signature is RenamedArgument(d_in, d_out, context_length, dropout, "
        "n_heads, qkv_bias=False). It has no parameter named num_heads."
    )


def test_a_class_that_cannot_be_constructed() -> None:
    message = failure(Unfinished)
    assert message == (
        "Unfinished cannot be constructed: Unfinished(5, 6, 8, 0.0, 3, qkv_bias=False) raised "
        "NotImplementedError: fill in __init__"
    )


# ---------------------------------------------------------------- the weights


class ShortNames(Reader):
    def make_layers(self, d_in, d_out, qkv_bias):
        self.W_q = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)


class NoOutProj(Reader):
    def make_layers(self, d_in, d_out, qkv_bias):
        super().make_layers(d_in, d_out, qkv_bias)
        del self.out_proj

    def project(self, context):
        return context


class SwappedLinear(Reader):
    def make_layers(self, d_in, d_out, qkv_bias):
        super().make_layers(d_in, d_out, qkv_bias)
        self.W_query = nn.Linear(d_out, d_in, bias=qkv_bias)


class OutProjToDIn(Reader):
    def make_layers(self, d_in, d_out, qkv_bias):
        super().make_layers(d_in, d_out, qkv_bias)
        self.out_proj = nn.Linear(d_out, d_in)


class BareParameter(Reader):
    def make_layers(self, d_in, d_out, qkv_bias):
        super().make_layers(d_in, d_out, qkv_bias)
        self.W_query = nn.Parameter(torch.rand(d_in, d_out))  # as SelfAttention_v1


class IgnoresQkvBias(Reader):
    def make_layers(self, d_in, d_out, qkv_bias):
        super().make_layers(d_in, d_out, False)


class AlwaysQkvBias(Reader):
    def make_layers(self, d_in, d_out, qkv_bias):
        super().make_layers(d_in, d_out, True)


class OutProjWithoutBias(Reader):
    def make_layers(self, d_in, d_out, qkv_bias):
        super().make_layers(d_in, d_out, qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out, bias=False)


class ExtraParameter(Reader):
    def make_layers(self, d_in, d_out, qkv_bias):
        super().make_layers(d_in, d_out, qkv_bias)
        self.temperature = nn.Parameter(torch.ones(1))


class MaskParameter(Reader):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__(d_in, d_out, context_length, dropout, num_heads, qkv_bias)
        del self.mask
        self.mask = nn.Parameter(torch.triu(torch.ones(context_length, context_length), 1))


def test_wrong_layer_names() -> None:
    message = failure(ShortNames)
    assert message.startswith("your class has no `W_query` layer. The book's MultiHeadAttention")
    assert (
        "Your class has parameters the book's does not: `W_q.weight` (6, 5); give your layers "
        "the book's names." in message
    )


def test_no_out_proj_layer() -> None:
    message = failure(NoOutProj)
    assert message.startswith("your class has no `out_proj` layer.")
    assert message.endswith(
        "Checked with NoOutProj(d_in=5, d_out=6, context_length=8, dropout=0.0, num_heads=3, "
        "qkv_bias=False)."
    )


def test_a_projection_with_its_sizes_swapped() -> None:
    assert failure(SwappedLinear).startswith(
        "your `W_query.weight` has shape (5, 6) but the book's is (d_out, d_in) = (6, 5): "
        "create the layer as nn.Linear(d_in, d_out, bias=qkv_bias)"
    )
    assert failure(OutProjToDIn).startswith(
        "your `out_proj.weight` has shape (5, 6) but the book's is (d_out, d_out) = (6, 6): "
        "create the layer as nn.Linear(d_out, d_out)"
    )


def test_a_bare_parameter_instead_of_a_linear_layer() -> None:
    assert failure(BareParameter).startswith(
        "your `W_query` is a bare parameter of shape (5, 6), not an nn.Linear layer: the book's "
        "is nn.Linear(d_in, d_out, bias=qkv_bias), whose weight `W_query.weight` has shape "
        "(d_out, d_in) = (6, 5)."
    )


def test_the_biases() -> None:
    message = failure(IgnoresQkvBias)
    assert message.startswith("with qkv_bias=True your `W_query` has no bias")
    assert "qkv_bias=True)." in message  # the setting that showed it
    assert failure(AlwaysQkvBias).startswith(
        "with qkv_bias=False your `W_query` has a bias, but the book's has none"
    )
    assert failure(OutProjWithoutBias).startswith("your `out_proj` has no bias")


def test_an_extra_parameter() -> None:
    assert failure(ExtraParameter).startswith(
        "your class has a trainable parameter `temperature` of shape (1,) that the book's "
        "MultiHeadAttention does not have"
    )
    assert failure(MaskParameter).startswith(
        "your `mask` is a trainable parameter; register it as a buffer instead"
    )


# ---------------------------------------------------------------- calling it


class Raises(Reader):
    def forward(self, x):
        raise NotImplementedError("write the forward pass")


class UnslicedMask(Reader):
    def apply_mask(self, scores, n):
        return scores.masked_fill(self.mask.bool(), -torch.inf)


class NoContiguous(Reader):
    def merge(self, context, b, n):
        return context.transpose(1, 2).view(b, n, self.d_out)


class ReturnsTuple(Reader):
    def forward(self, x):
        return super().forward(x), None


class Unmerged(Reader):
    def merge(self, context, b, n):
        return context

    def project(self, context):
        return context


def test_forward_raises() -> None:
    assert failure(Raises) == flat(
        "calling your module on a batch of shape (2, 6, 5), that is (b, num_tokens, d_in), "
        "raised NotImplementedError: write the forward pass\n" + FIRST.format(name="Raises")
    )


def test_a_mask_that_is_not_sliced_to_the_input() -> None:
    message = failure(UnslicedMask)
    assert message.startswith("calling your module on a batch of shape (2, 6, 5)")
    assert (
        "It runs on 8 tokens, the full context_length, but not on 6: slice the mask to the "
        "input's length, mask[:num_tokens, :num_tokens]." in message
    )


def test_view_without_contiguous() -> None:
    message = failure(NoContiguous)
    assert "raised RuntimeError: view size is not compatible" in message
    assert "Call .contiguous() before .view(), or use .reshape()" in message


def test_forward_returns_a_tuple() -> None:
    assert failure(ReturnsTuple).startswith(
        "your forward returns a tuple, not a tensor: the book's returns the context vectors"
    )


def test_the_output_shape() -> None:
    assert failure(Unmerged) == flat(
        "output shape is wrong: expected (b, num_tokens, d_out) = (2, 6, 6), got (2, 3, 6, 2).\n"
        "That is (b, num_heads, num_tokens, head_dim): the heads are not merged back. "
        "Transpose them back with .transpose(1, 2), then view the result as "
        "(b, num_tokens, d_out).\n" + FIRST.format(name="Unmerged")
    )


# ---------------------------------------------------------------- one mistake each


class NoMask(Reader):
    def apply_mask(self, scores, n):
        scores.masked_fill(self.mask.bool()[:n, :n], -torch.inf)  # the result is dropped
        return scores


class MaskWithZero(Reader):
    def apply_mask(self, scores, n):
        return scores.masked_fill(self.mask.bool()[:n, :n], 0.0)


class MaskTransposed(Reader):
    def apply_mask(self, scores, n):
        past = torch.tril(torch.ones(n, n, dtype=torch.bool), diagonal=-1)
        return scores.masked_fill(past, -torch.inf)


class MaskInverted(Reader):
    def apply_mask(self, scores, n):
        return scores.masked_fill(~self.mask.bool()[:n, :n], -torch.inf)


class MaskDiagonal(Reader):
    def apply_mask(self, scores, n):
        mask = torch.triu(torch.ones(n, n, dtype=torch.bool))  # diagonal=0
        return scores.masked_fill(mask, -torch.inf)


class MaskAfterSoftmax(Reader):
    def apply_mask(self, scores, n):
        return scores

    def weights(self, scores, k):
        n = scores.shape[-1]
        w = torch.softmax(scores / k.shape[-1] ** 0.5, dim=-1)
        return w.masked_fill(self.mask.bool()[:n, :n], 0.0)


class NoScale(Reader):
    def weights(self, scores, k):
        return torch.softmax(scores, dim=-1)


class ScaleByDOut(Reader):
    def weights(self, scores, k):
        return torch.softmax(scores / self.d_out**0.5, dim=-1)


class ScaleByDIn(Reader):
    def weights(self, scores, k):
        return torch.softmax(scores / self.W_query.in_features**0.5, dim=-1)


class ScaleByHeadDim(Reader):
    def weights(self, scores, k):
        return torch.softmax(scores / self.head_dim, dim=-1)


class ScaleMultiplied(Reader):
    def weights(self, scores, k):
        return torch.softmax(scores * self.head_dim**0.5, dim=-1)


class SoftmaxOverQueries(Reader):
    def weights(self, scores, k):
        return torch.softmax(scores / k.shape[-1] ** 0.5, dim=2)


class SoftmaxOverHeads(Reader):
    def weights(self, scores, k):
        return torch.softmax(scores / k.shape[-1] ** 0.5, dim=1)


class KeysTimesQueries(Reader):
    def scores(self, q, k):
        return k @ q.transpose(2, 3)


class WeighsKeys(Reader):
    def weigh(self, w, k, v):
        return w @ k


class SplitWithoutTranspose(Reader):
    def split(self, t, b, n):
        return t.view(b, self.num_heads, n, self.head_dim)

    def merge(self, context, b, n):
        return context.contiguous().view(b, n, self.d_out)


class MergeWithoutTranspose(Reader):
    def merge(self, context, b, n):
        return context.contiguous().view(b, n, self.d_out)


class MergeInterleaved(Reader):
    def merge(self, context, b, n):
        return context.permute(0, 2, 3, 1).reshape(b, n, self.d_out)


class ForgetsOutProj(Reader):
    def project(self, context):
        return context


# class, the change it makes, the key phrase, what else the message says (or None)
ONE_MISTAKE = [
    (NoMask, "no_mask", "no causal mask", "This is why token 1 sees token 2"),
    (MaskWithZero, "mask_zero", "the mask fills the hidden scores with 0 instead of -inf", None),
    (MaskTransposed, "mask_transposed", "the mask hides the wrong triangle", None),
    (MaskInverted, "mask_inverted", "the mask is inverted", None),
    (MaskDiagonal, "mask_diagonal", "a token cannot see itself", None),
    (MaskAfterSoftmax, "mask_after_softmax", "the mask is applied after the softmax", None),
    (NoScale, "no_scale", "your scores are not scaled by sqrt(head_dim)", None),
    (ScaleByDOut, "scale_d_out", "scaled by sqrt(d_out) instead of sqrt(head_dim)", None),
    (ScaleByDIn, "scale_d_in", "scaled by sqrt(d_in) instead of sqrt(head_dim)", None),
    (ScaleByHeadDim, "scale_head_dim", "divided by head_dim instead of sqrt(head_dim)", None),
    (ScaleMultiplied, "scale_multiplied", "multiplied by sqrt(head_dim)", None),
    (SoftmaxOverQueries, "softmax_queries", "softmax over the wrong dimension", "dim=-2"),
    (SoftmaxOverHeads, "softmax_heads", "softmax over the wrong dimension", "dim=1 (the heads)"),
    (KeysTimesQueries, "keys_queries_swapped", "queries and keys are swapped", None),
    (WeighsKeys, "values_are_keys", "the attention weights multiply the keys", None),
    (SplitWithoutTranspose, "split_direct", "heads are split in the wrong order", None),
    (MergeWithoutTranspose, "merge_direct", "heads are merged in the wrong order", "transpose"),
    (MergeInterleaved, "merge_interleaved", "heads are merged in the wrong order", "interleaved"),
    (ForgetsOutProj, "no_out_proj", "out_proj is not applied", None),
]


def test_every_change_has_a_broken_class() -> None:
    assert sorted(change for _, change, _, _ in ONE_MISTAKE) == sorted(_CHANGES)


@pytest.mark.parametrize(
    ("cls", "change", "phrase", "also"), ONE_MISTAKE, ids=[c.__name__ for c, *_ in ONE_MISTAKE]
)
def test_one_mistake_is_named(
    cls: type[nn.Module], change: str, phrase: str, also: str | None
) -> None:
    message = failure(cls)
    assert phrase in message.splitlines()[0]
    assert message.startswith(_CHANGES[change](_SETTINGS[0]))  # the first setting shows it
    assert message.endswith(FIRST.format(name=cls.__name__))
    if also is not None:
        assert also in message


def test_the_scaling_messages_give_head_dim() -> None:
    message = failure(ScaleByDOut)
    assert "head_dim = d_out // num_heads = 6 // 3 = 2" in message


def test_the_causal_evidence_names_both_tokens() -> None:
    message = failure(SoftmaxOverQueries)
    assert (
        "This is why token 1 sees token 2 (counting tokens from 1, so x[:, 0] and x[:, 1]): "
        "changing the input of token 2 changed the output of token 1, which comes before it."
    ) in message


# ---------------------------------------------------------------- two mistakes: no single change


class NoMaskNoScale(NoMask):
    def weights(self, scores, k):
        return torch.softmax(scores, dim=-1)


class SeesTheNextToken(Reader):
    """Token i also sees token i + 1 (a mask starting two above the diagonal)."""

    def apply_mask(self, scores, n):
        mask = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=2)
        return scores.masked_fill(mask, -torch.inf)


class MaskDiagonalNoScale(MaskDiagonal):
    def weights(self, scores, k):
        return torch.softmax(scores, dim=-1)


class OffByALittle(Reader):
    def forward(self, x):
        out = super().forward(x)
        if x.shape[1] > 2:
            out[:, 2, 1] += 0.01
        return out


def test_a_leak_with_no_single_cause() -> None:
    assert failure(NoMaskNoScale) == flat(
        "token 1 sees token 2 (counting tokens from 1, so x[:, 0] and x[:, 1]): changing the "
        "input of token 2 changed the output of token 1, which comes before it.\n"
        "A causal mask must hide every later token: fill the scores above the diagonal with "
        "-inf before the softmax.\n" + FIRST.format(name="NoMaskNoScale")
    )


def test_the_first_leak_is_named() -> None:
    message = failure(SeesTheNextToken)
    assert message.startswith("token 1 sees token 2 ")


def test_token_one_cannot_see_itself_with_no_single_cause() -> None:
    assert failure(MaskDiagonalNoScale).startswith(
        "token 1 cannot see itself: its output is NaN, which happens when every score in its "
        "row is masked."
    )


def test_outputs_that_differ_in_one_place() -> None:
    message = failure(OffByALittle)
    match = re.fullmatch(
        r"outputs differ from the book's MultiHeadAttention \(llm_attention.MultiHeadAttention "
        r"with the same weights\) by up to (\S+); the first difference is out\[0, 2, 1\] "
        r"\(sequence 1, token 3, feature 2, counting from 1\): yours (\S+), the book's (\S+)\. "
        + re.escape(FIRST.format(name="OffByALittle")),
        message,
    )
    assert match is not None, message
    assert float(match[1]) == pytest.approx(0.01, abs=1e-4)
    assert float(match[2]) - float(match[3]) == pytest.approx(0.01, abs=2e-4)


# ---------------------------------------------------------------- dropout


class FunctionalDropout(Reader):
    def drop(self, w):
        return F.dropout(w, self.dropout.p)  # training=True by default


class NeverDrops(Reader):
    def drop(self, w):
        return w


class DropsContext(NeverDrops):
    def merge(self, context, b, n):
        return self.dropout(super().merge(context, b, n))


class DropsOutput(NeverDrops):
    def project(self, context):
        return self.dropout(super().project(context))


class DropsValues(NeverDrops):
    def forward(self, x):
        b, n, _ = x.shape
        q, k = self.split(self.W_query(x), b, n), self.split(self.W_key(x), b, n)
        v = self.split(self.dropout(self.W_value(x)), b, n)  # before the split
        w = self.weights(self.apply_mask(self.scores(q, k), n), k)
        return self.project(self.merge(w @ v, b, n))


class ManualDropout(Reader):
    """Dropout on the weights, right, but with a mask of its own: other random draws."""

    def drop(self, w):
        if not self.training:
            return w
        keep = torch.rand_like(w) >= self.dropout.p
        return w * keep / (1 - self.dropout.p)


class ScalesInEval(Reader):
    def drop(self, w):
        return self.dropout(w) if self.training else w * (1 - self.dropout.p)


DROPOUT_SETTING = "Checked with {name}(d_in=5, d_out=6, context_length=8, dropout=0.5, num_heads=3, qkv_bias=False) on a batch of shape (2, 6, 5)."  # noqa: E501


def test_dropout_in_eval_mode() -> None:
    message = failure(FunctionalDropout)
    assert message == flat(
        "dropout is applied in eval mode: after .eval(), with dropout=0.5, two calls on the "
        "same input gave different outputs. An nn.Dropout layer does nothing in eval mode; "
        "torch.nn.functional.dropout drops in every mode unless you pass "
        "training=self.training.\n" + DROPOUT_SETTING.format(name="FunctionalDropout")
    )


def test_no_dropout_in_training_mode() -> None:
    assert failure(NeverDrops).startswith(
        "dropout is not applied in training mode: after .train(), with dropout=0.5, your output "
        "is the same as in eval mode."
    )


@pytest.mark.parametrize(
    ("cls", "what"),
    [
        (DropsContext, "the merged context vectors (before out_proj)"),
        (DropsOutput, "the output of out_proj"),
        (DropsValues, "the values"),
    ],
)
def test_dropout_in_the_wrong_place(cls: type[nn.Module], what: str) -> None:
    assert failure(cls).startswith(
        f"dropout is applied to {what} instead of the attention weights: in training mode your "
        "output equals the book's computation with dropout moved there (same random seed)."
    )


def test_dropout_somewhere_unknown_passes_with_a_caveat(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert check_my_attention(ManualDropout) is True
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "✓ dropout: active in training mode, off in eval mode",
        "  (your random draws differ from the book's: where you apply it was not compared)",
    ]


def test_dropout_that_changes_eval_outputs() -> None:
    assert failure(ScalesInEval).startswith(
        "with dropout=0.5 your outputs in eval mode differ from the book's by up to "
    )


# ---------------------------------------------------------------- the checker's own arguments


def test_an_instance_instead_of_the_class() -> None:
    with pytest.raises(TypeError, match=r"^attention_class must be the class itself, not an"):
        check_my_attention(Reader(5, 6, 8, 0.0, 3))  # type: ignore[arg-type]


def test_not_a_class() -> None:
    with pytest.raises(TypeError, match=r"^attention_class must be a class, got str"):
        check_my_attention("MultiHeadAttention")  # type: ignore[arg-type]


def test_a_class_that_is_not_a_module() -> None:
    class Plain:
        pass

    with pytest.raises(
        TypeError, match=r"^attention_class must be a subclass of torch.nn.Module, got Plain"
    ):
        check_my_attention(Plain)  # type: ignore[arg-type]


def test_the_error_is_an_assertion_error() -> None:
    assert issubclass(AttentionCheckError, AssertionError)
    assert llm_attention.check_my_attention is check_my_attention
