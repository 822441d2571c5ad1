"""Every attention class under the ways PyTorch users really run it.

For each class of the package: ``torch.autocast`` fed by an upstream layer (forward and
backward), ``torch.compile(fullgraph=True)``, ``torch.export`` (with a static number of
tokens for the chapter's classes, which slice their mask as the book does; with a dynamic
one for the classes beyond the chapter), and the meta-device loading pattern (build on
``meta``, ``to_empty``, ``load_state_dict``). Then property tests with hypothesis: every
class against an independent oracle built on ``scaled_dot_product_attention`` from the
module's own weights, over random small shapes, dtypes and ``qkv_bias``; and the KV cache
fed in random chunks.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from attention_registry import REGISTRY, names
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.functional import scaled_dot_product_attention as sdpa

import llm_attention as la

D_IN, CONTEXT = 4, 8

NAMES = list(REGISTRY)
CHAPTER = names(chapter=True)
BEYOND = names(chapter=False)
ONE_SEQUENCE = set(names(one_sequence=True))  # the book's (num_tokens, d_in)


def make(name: str) -> nn.Module:
    """A small module: d_in 4, width 4, two heads, context_length 8, window 3, latent 3."""
    return REGISTRY[name].build(D_IN, 4, CONTEXT, 2, window_size=3, latent_dim=3)


def build(name: str, seed: int = 123) -> nn.Module:
    torch.manual_seed(seed)
    return make(name).eval()


def inputs(b: int = 2, num_tokens: int = 6, seed: int = 0, name: str | None = None) -> torch.Tensor:
    """A batch ``(b, num_tokens, D_IN)``; its first sequence for the classes that take one."""
    x = torch.randn(b, num_tokens, D_IN, generator=torch.Generator().manual_seed(seed))
    return x[0] if name in ONE_SEQUENCE else x


# ---------------------------------------------------------------- autocast
@pytest.mark.parametrize("name", NAMES)
def test_autocast_fed_by_an_upstream_layer(name: str) -> None:
    module = build(name)
    torch.manual_seed(1)
    upstream = nn.Linear(D_IN, D_IN)
    x = inputs(name=name)
    reference = module(upstream(x))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        hidden = upstream(x)
        assert hidden.dtype == torch.bfloat16  # what the module receives under autocast
        out = module(hidden)
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out.float(), reference, atol=3e-2, rtol=3e-2)
    out.float().square().sum().backward()
    grads = [p.grad for p in module.parameters()]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("name", NAMES)
def test_a_dtype_mismatch_outside_autocast_is_still_an_error(name: str) -> None:
    with pytest.raises(TypeError, match=r"x has dtype torch.bfloat16 but the module's parameters"):
        build(name)(inputs(name=name).to(torch.bfloat16))


# ---------------------------------------------------------------- compile and export
@pytest.mark.parametrize("name", NAMES)
def test_compile_fullgraph_equals_eager(name: str) -> None:
    torch._dynamo.reset()
    module = build(name)
    compiled = torch.compile(module, fullgraph=True, backend="eager")
    for num_tokens in (3, CONTEXT):
        x = inputs(num_tokens=num_tokens, name=name)
        torch.testing.assert_close(compiled(x), module(x))


@pytest.mark.parametrize("name", CHAPTER)
def test_export_with_a_static_number_of_tokens(name: str) -> None:
    # The chapter's classes slice their mask as the book does, mask[:num_tokens, :num_tokens]:
    # export traces one number of tokens; each size is its own program.
    module = build(name)
    for num_tokens in (1, 5, CONTEXT):
        x = inputs(num_tokens=num_tokens, seed=num_tokens, name=name)
        exported = torch.export.export(module, (x,)).module()
        torch.testing.assert_close(exported(x), module(x))
        y = inputs(num_tokens=num_tokens, seed=100 + num_tokens, name=name)
        torch.testing.assert_close(exported(y), module(y))  # new values, same shape


@pytest.mark.parametrize("name", BEYOND)
def test_export_with_a_dynamic_number_of_tokens(name: str) -> None:
    module = build(name)
    tokens = torch.export.Dim("T", min=1, max=CONTEXT)
    program = torch.export.export(module, (inputs(),), dynamic_shapes={"x": {1: tokens}})
    exported = program.module()
    for num_tokens in (1, 2, 5, CONTEXT):  # both ends of the range, and between
        x = inputs(num_tokens=num_tokens, seed=num_tokens)
        torch.testing.assert_close(exported(x), module(x))
    # the same parameters (which buffers an exported program keeps differs across torch versions)
    assert sorted(program.graph_signature.parameters) == sorted(
        name for name, _ in module.named_parameters()
    )


# ---------------------------------------------------------------- meta-device loading
@pytest.mark.parametrize("name", NAMES)
def test_meta_device_then_to_empty_then_load_state_dict(name: str) -> None:
    reference = build(name)
    with torch.device("meta"):
        module = make(name)
    # to_empty leaves every tensor uninitialised; fill them with NaN so that a buffer
    # the state dict does not restore cannot look right by chance
    module = module.to_empty(device="cpu")
    with torch.no_grad():
        for tensor in (*module.parameters(), *module.buffers()):
            tensor.fill_(True if tensor.dtype == torch.bool else float("nan"))
    module.load_state_dict(reference.state_dict())
    module.eval()
    for num_tokens in (1, 6, CONTEXT):
        x = inputs(num_tokens=num_tokens, name=name)
        torch.testing.assert_close(module(x), reference(x), rtol=0, atol=0)
    for (key, buffer), (_, want) in zip(
        module.named_buffers(), reference.named_buffers(), strict=True
    ):
        assert torch.equal(buffer, want), key


# ---------------------------------------------------------------- an independent oracle
def oracle(name: str, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The module's function recomputed from its weights with PyTorch's SDPA."""
    m = module
    if name == "SelfAttention_v1":
        assert isinstance(m, la.SelfAttention_v1)
        return sdpa(x @ m.W_query, x @ m.W_key, x @ m.W_value)
    if name == "SelfAttention_v2":
        return sdpa(m.W_query(x), m.W_key(x), m.W_value(x))
    if name == "CausalAttention":
        return sdpa(m.W_query(x), m.W_key(x), m.W_value(x), is_causal=True)
    if name == "MultiHeadAttentionWrapper":
        assert isinstance(m, la.MultiHeadAttentionWrapper)
        return torch.cat([oracle("CausalAttention", head, x) for head in m.heads], dim=-1)
    b, n, _ = x.shape
    heads = m.num_heads
    kv_heads = getattr(m, "num_kv_groups", heads)

    def split(t: torch.Tensor, h: int) -> torch.Tensor:
        return t.view(b, n, h, -1).transpose(1, 2)

    if name == "MultiHeadLatentAttention":
        latent = m.W_kv_down(x)
        q, k, v = (
            split(m.W_query(x), heads),
            split(m.W_key_up(latent), heads),
            split(m.W_value_up(latent), heads),
        )
        context = sdpa(q, k, v, is_causal=True)
        return m.out_proj(context.transpose(1, 2).reshape(b, n, -1))
    q, k, v = split(m.W_query(x), heads), split(m.W_key(x), kv_heads), split(m.W_value(x), kv_heads)
    k = k.repeat_interleave(heads // kv_heads, dim=1)
    v = v.repeat_interleave(heads // kv_heads, dim=1)
    if name == "SlidingWindowAttention":
        allowed = ~la.sliding_window_mask(n, m.window_size)
        context = sdpa(q, k, v, attn_mask=allowed)
    else:
        context = sdpa(q, k, v, is_causal=True)
    return m.out_proj(context.transpose(1, 2).reshape(b, n, -1))


def build_random(name: str, heads: int, head_dim: int, d_in: int, bias: bool, window: int):
    width = heads * head_dim
    return REGISTRY[name].build(
        d_in, width, CONTEXT, heads, qkv_bias=bias, window_size=window, latent_dim=window
    )


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    b=st.integers(1, 3),
    num_tokens=st.integers(1, CONTEXT),
    d_in=st.integers(1, 6),
    heads=st.integers(1, 4),
    head_dim=st.integers(1, 4),
    bias=st.booleans(),
    window=st.integers(1, CONTEXT + 1),
    dtype=st.sampled_from([torch.float32, torch.float64]),
    seed=st.integers(0, 2**16),
)
def test_every_class_matches_an_sdpa_oracle(
    name: str,
    b: int,
    num_tokens: int,
    d_in: int,
    heads: int,
    head_dim: int,
    bias: bool,
    window: int,
    dtype: torch.dtype,
    seed: int,
) -> None:
    torch.manual_seed(seed)
    module = build_random(name, heads, head_dim, d_in, bias, window).to(dtype).eval()
    x = torch.randn(b, num_tokens, d_in, dtype=dtype)
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    with torch.no_grad():
        if name in ONE_SEQUENCE:  # the book's (num_tokens, d_in): one sequence at a time
            got = torch.stack([module(sequence) for sequence in x])
            torch.testing.assert_close(got, oracle(name, module, x), atol=tol, rtol=tol)
            return
        torch.testing.assert_close(module(x), oracle(name, module, x), atol=tol, rtol=tol)
        if name in BEYOND:  # the classes beyond the chapter also take one unbatched sequence
            torch.testing.assert_close(module(x[0]), module(x)[0], atol=tol, rtol=tol)


@settings(max_examples=40, deadline=None)
@given(chunks=st.lists(st.integers(1, 4), min_size=1, max_size=6), seed=st.integers(0, 2**16))
def test_kv_cache_in_random_chunks_equals_the_full_forward(chunks: list[int], seed: int) -> None:
    total = sum(chunks)
    torch.manual_seed(seed)
    module = la.KVCacheMultiHeadAttention(D_IN, 6, 24, 0.0, num_heads=3).eval()
    x = torch.randn(2, total, D_IN)
    with torch.no_grad():
        full = module(x)
        pieces, start = [], 0
        for size in chunks:
            pieces.append(module(x[:, start : start + size], use_cache=True))
            start += size
    torch.testing.assert_close(torch.cat(pieces, dim=1), full, atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------- documented behaviour
@pytest.mark.parametrize("name", [n for n in NAMES if "SelfAttention" not in n])
def test_nan_in_a_later_token_reaches_earlier_outputs_as_in_sdpa(name: str) -> None:
    # Causal masking multiplies the later token's value by a weight of exactly 0, and
    # 0 * NaN is NaN: the docstrings say so, and SDPA behaves the same way.
    module = build(name)
    x = inputs(b=1)
    x[0, -1, 0] = float("nan")
    with torch.no_grad():
        out = module(x)
        reference = sdpa(torch.zeros(1, 6, 1), torch.zeros(1, 6, 1), x[..., :1], is_causal=True)
    assert torch.isnan(out[0, 0]).all()
    assert torch.isnan(reference[0, 0]).all()


# ---------------------------------------------------------------- helpers
@pytest.mark.parametrize("helper", [la.mask_before_softmax, la.mask_after_softmax])
@pytest.mark.parametrize("shape", [(1, 3), (4, 2), (2, 1, 3), (3,)])
def test_mask_helpers_want_square_scores(
    helper: Callable[..., object], shape: tuple[int, ...]
) -> None:
    with pytest.raises(ValueError, match=r"must have shape \(\.\.\., num_tokens, num_tokens\)"):
        helper(torch.rand(shape))


@pytest.mark.parametrize("helper", [la.mask_before_softmax, la.mask_after_softmax])
def test_mask_helpers_want_a_float_tensor(helper: Callable[..., object]) -> None:
    with pytest.raises(TypeError, match=r"must be a torch.Tensor, got list"):
        helper([[1.0]])
    with pytest.raises(TypeError, match=r"must be a floating-point tensor"):
        helper(torch.ones(2, 2, dtype=torch.long))


def test_init_qkv_weights_checks_requires_grad() -> None:
    with pytest.raises(TypeError, match=r"requires_grad must be a bool, got int"):
        la.init_qkv_weights(3, 2, requires_grad=1)  # type: ignore[arg-type]
