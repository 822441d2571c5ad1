"""The cache protocol of ``CachingAttention``, the same for every class that caches.

``forward(x, use_cache=False)``, ``reset_cache()``, ``cache_nbytes()`` and
``num_cached_tokens``, for every class of ``tests/attention_registry.py`` that caches
(``KVCacheMultiHeadAttention``, ``GroupedQueryAttention`` with two groups and with one,
``SlidingWindowAttention``, ``MultiHeadLatentAttention``): cached chunks equal the uncached
forward, the same errors, a failed call leaves the cache as it was, the dtype rule across the
autocast boundary, loading weights empties the cache, the cache follows ``.to()`` and stays
out of ``state_dict``, and ``cache_nbytes()`` equals ``kv_cache_bytes``. What one variant
does on its own (the rolling buffer, MLA's absorbed form, GQA's groups) is tested in its
topic's file.
"""

from __future__ import annotations

import pytest
import torch
from attention_registry import CONTEXT, D_IN, D_OUT, REGISTRY, build, feed, names
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import llm_attention as la

NAMES = names(caches=True)


def test_every_caching_class_is_covered() -> None:
    from llm_attention.caching_attention import CachingAttention

    caching = {
        getattr(la, name)
        for name in la.__all__
        if isinstance(getattr(la, name), type) and issubclass(getattr(la, name), CachingAttention)
    }
    assert caching == {REGISTRY[name].cls for name in NAMES}
    assert {type(build(name)) for name in NAMES} == caching
    # and the protocol is the base's: no class restates it
    for cls in caching:
        for method in ("reset_cache", "cache_nbytes", "_cached_forward", "_forward"):
            assert getattr(cls, method) is getattr(CachingAttention, method), (cls, method)


# ---------------------------------------------------------------- cached == uncached
@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    chunks=st.lists(st.integers(1, 9), min_size=1, max_size=8).filter(lambda c: sum(c) <= CONTEXT),
    b=st.integers(1, 3),
    bias=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_cached_chunks_of_random_sizes_equal_the_uncached_forward(
    name: str, chunks: list[int], b: int, bias: bool, seed: int
) -> None:
    module = build(name, bias=bias, seed=seed)
    x = torch.randn(b, sum(chunks), D_IN, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        full = module(x)
    torch.testing.assert_close(feed(module, x, chunks), full, atol=1e-5, rtol=0)
    assert module.num_cached_tokens == sum(chunks)


@pytest.mark.parametrize("name", NAMES)
def test_prefill_then_one_token_at_a_time_with_attention_weights(name: str) -> None:
    module = build(name)
    x = torch.randn(2, 10, D_IN)
    with torch.no_grad():
        full, full_weights = module(x, return_attn_weights=True)
        out, weights = module(x[:, :4], use_cache=True, return_attn_weights=True)
        assert weights.shape[-2:] == (4, 4)
        torch.testing.assert_close(out, full[:, :4], atol=1e-5, rtol=0)
        for t in range(4, 10):
            out, weights = module(x[:, t : t + 1], use_cache=True, return_attn_weights=True)
            torch.testing.assert_close(out, full[:, t : t + 1], atol=1e-5, rtol=0)
            row = full_weights[:, :, t, : t + 1]  # the full row up to and including t
            kept = weights.shape[-1]  # the sliding window returns only the positions it read
            torch.testing.assert_close(
                weights[:, :, 0], row[..., t + 1 - kept :], atol=1e-6, rtol=0
            )


@pytest.mark.parametrize("name", NAMES)
def test_unbatched_input_is_cached_as_a_batch_of_one(name: str) -> None:
    module = build(name)
    x = torch.randn(7, D_IN)
    with torch.no_grad():
        full = module(x)
    cached = feed(module, x, [3, 1, 3])
    assert cached.shape == (7, D_OUT)
    torch.testing.assert_close(cached, full, atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", NAMES)
def test_a_call_without_cache_leaves_the_cache_alone(name: str) -> None:
    module = build(name)
    x = torch.randn(1, 8, D_IN)
    with torch.no_grad():
        module(x[:, :3], use_cache=True)
        nbytes = module.cache_nbytes()
        module(torch.randn(1, 5, D_IN))  # no cache: nothing is written
        rest = module(x[:, 3:], use_cache=True)
        full = module(x)
    assert module.cache_nbytes() == nbytes
    torch.testing.assert_close(rest, full[:, 3:], atol=1e-5, rtol=0)


# ---------------------------------------------------------------- the same errors
@pytest.mark.parametrize("name", NAMES)
def test_going_past_context_length_is_an_error_and_caches_nothing(name: str) -> None:
    module = build(name, ctx=6)
    with torch.no_grad():
        module(torch.randn(1, 4, D_IN), use_cache=True)
        module(torch.randn(1, 2, D_IN), use_cache=True)  # exactly context_length: fine
        with pytest.raises(ValueError, match=r"7 is more than context_length \(6\)"):
            module(torch.randn(1, 1, D_IN), use_cache=True)
    assert module.num_cached_tokens == 6
    module.reset_cache()
    assert module.num_cached_tokens == 0 and module.cache_nbytes() == 0


@pytest.mark.parametrize("name", NAMES)
def test_a_different_batch_size_needs_a_reset(name: str) -> None:
    module = build(name)
    with torch.no_grad():
        module(torch.randn(2, 3, D_IN), use_cache=True)
        with pytest.raises(ValueError, match="batch size 3 but the cache holds 2"):
            module(torch.randn(3, 1, D_IN), use_cache=True)
        module.reset_cache()
        module(torch.randn(3, 1, D_IN), use_cache=True)
    assert module.num_cached_tokens == 1


@pytest.mark.parametrize("name", NAMES)
def test_caching_with_gradients_is_refused(name: str) -> None:
    module = build(name)
    with pytest.raises(RuntimeError, match=r"use_cache=True is for inference"):
        module(torch.randn(1, 3, D_IN), use_cache=True)
    assert module.num_cached_tokens == 0 and module.cache_nbytes() == 0


@pytest.mark.parametrize("name", NAMES)
def test_bad_arguments(name: str) -> None:
    module = build(name)
    with torch.no_grad():
        with pytest.raises(TypeError, match="use_cache must be a bool, got int"):
            module(torch.randn(1, 3, D_IN), use_cache=1)
        with pytest.raises(ValueError, match=r"last dimension must equal d_in \(6\)"):
            module(torch.randn(1, 3, D_IN + 1), use_cache=True)
        with pytest.raises(TypeError, match=r"x has dtype torch.float64"):
            module(torch.randn(1, 3, D_IN, dtype=torch.float64), use_cache=True)
    assert module.num_cached_tokens == 0


# ---------------------------------------------------------------- .to(), state_dict
@pytest.mark.parametrize("name", NAMES)
def test_the_cache_follows_to_and_stays_out_of_the_state_dict(name: str) -> None:
    module = build(name)
    x = torch.randn(2, 9, D_IN, dtype=torch.float64)
    with torch.no_grad():
        module(x[:, :4].float(), use_cache=True)
    nbytes = module.cache_nbytes()
    # .to(torch.float64) stands in for .to(device): buffers follow, plain attributes would not
    module.to(torch.float64)
    assert module.cache_nbytes() == 2 * nbytes
    caches = [getattr(module, n) for n in module._cache_buffers]
    assert caches and all(c.dtype == torch.float64 for c in caches)
    assert not any("cache" in key for key in module.state_dict())
    with torch.no_grad():
        rest = feed(module, x[:, 4:], [1, 4])
        expected = module(x)[:, 4:]
    torch.testing.assert_close(rest, expected, atol=1e-6, rtol=0)
    # a state dict saved mid-sequence loads into a fresh module without any cache
    fresh = build(name, seed=1)
    fresh.load_state_dict(module.state_dict())
    assert fresh.cache_nbytes() == 0


# ---------------------------------------------------------------- cache_nbytes == kv_cache_bytes
def predicted(module: nn.Module, b: int) -> int:
    """What kv_cache_bytes says this module's cache holds (one layer)."""
    common = {"num_layers": 1, "batch_size": b, "bytes_per_element": 4}
    if isinstance(module, la.MultiHeadLatentAttention):
        return la.kv_cache_bytes(
            context_length=module.context_length, latent_dim=module.latent_dim, **common
        )
    heads = getattr(module, "num_kv_groups", module.num_heads)
    kept = min(getattr(module, "window_size", module.context_length), module.context_length)
    return la.kv_cache_bytes(
        context_length=kept, num_kv_heads=heads, head_dim=module.head_dim, **common
    )


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("b", [1, 3])
def test_cache_nbytes_equals_kv_cache_bytes_after_t_tokens(name: str, b: int) -> None:
    module = build(name)
    assert module.cache_nbytes() == 0  # nothing before the first cached call
    with torch.no_grad():
        for t in range(1, CONTEXT + 1):
            module(torch.randn(b, 1, D_IN), use_cache=True)
            assert module.cache_nbytes() == predicted(module, b), t


def test_the_caches_shrink_as_the_formulas_say() -> None:
    b, t = 2, CONTEXT
    sizes = {}
    for name in NAMES:
        module = build(name)
        with torch.no_grad():
            module(torch.randn(b, t, D_IN), use_cache=True)
        sizes[name] = module.cache_nbytes()
    mha = sizes["KVCacheMultiHeadAttention"]
    assert sizes["GroupedQueryAttention"] * 2 == mha  # 4 heads, 2 groups
    assert sizes["MultiQueryAttention"] * 4 == mha
    assert sizes["SlidingWindowAttention"] * CONTEXT == mha * 5  # window 5 of 24 positions
    assert sizes["MultiHeadLatentAttention"] * 2 * D_OUT == mha * 5  # latent 5 vs 2 * d_out


# ---------------------------------------------------------------- hardening, cached path
@pytest.mark.parametrize("name", NAMES)
def test_cached_decoding_under_autocast(name: str) -> None:
    module = build(name)
    torch.manual_seed(2)
    upstream = nn.Linear(D_IN, D_IN)
    x = torch.randn(1, 8, D_IN)
    with torch.no_grad():
        reference = module(upstream(x))
        with torch.autocast("cpu", dtype=torch.bfloat16):
            hidden = upstream(x)
            assert hidden.dtype == torch.bfloat16
            out = feed(module, hidden, [5, 1, 2])
    assert out.dtype == torch.bfloat16
    # the dtype rule: the cache holds the parameters' dtype, also under autocast
    assert all(getattr(module, n).dtype == torch.float32 for n in module._cache_buffers)
    torch.testing.assert_close(out.float(), reference, atol=5e-2, rtol=5e-2)


@pytest.mark.parametrize("name", NAMES)
def test_cached_decoding_compiles(name: str) -> None:
    torch._dynamo.reset()
    module = build(name)
    x = torch.randn(1, 8, D_IN)
    with torch.no_grad():
        full = module(x)
    compiled = torch.compile(module, fullgraph=True, backend="eager")
    torch.testing.assert_close(feed(compiled, x, [4, 1, 1, 1, 1]), full, atol=1e-5, rtol=0)
    assert module.num_cached_tokens == 8  # the compiled calls updated the module's own cache


@pytest.mark.parametrize("name", NAMES)
def test_meta_device_loading_then_cached_decoding(name: str) -> None:
    reference = build(name)
    with torch.device("meta"):
        module = REGISTRY[name].build(D_IN, D_OUT, CONTEXT, 4)
    module = module.to_empty(device="cpu")
    with torch.no_grad():
        for tensor in (*module.parameters(), *module.buffers()):
            tensor.fill_(True if tensor.dtype == torch.bool else float("nan"))
    module.load_state_dict(reference.state_dict())
    module.eval()
    assert module.cache_nbytes() == 0
    x = torch.randn(2, 9, D_IN)
    with torch.no_grad():
        expected = reference(x)
    torch.testing.assert_close(feed(module, x, [4, 1, 4]), expected, atol=1e-5, rtol=0)


def test_no_variant_restates_the_forward() -> None:
    # every class beyond the chapter runs the base's steps; SDPA replaces only _attend
    from llm_attention.caching_attention import AttentionBase

    for name in names(chapter=False):
        cls = REGISTRY[name].cls
        assert issubclass(cls, AttentionBase)
        assert cls._full_forward is AttentionBase._full_forward, name
        assert cls._merge_heads is AttentionBase._merge_heads, name
        assert cls._split_heads is AttentionBase._split_heads, name
    assert la.SDPAMultiHeadAttention._attend is not AttentionBase._attend


# ---------------------------------------------------------------- defect 1: dtype rule, atomicity
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("chunk", [1, 3], ids=["chunks-of-1", "chunks-of-3"])
@pytest.mark.parametrize(
    "autocast_first", [True, False], ids=["autocast-then-plain", "plain-then-autocast"]
)
def test_the_cache_dtype_rule_across_the_autocast_boundary(
    name: str, chunk: int, autocast_first: bool
) -> None:
    # The cache holds the parameters' dtype; entries made under autocast are cast to it, so a
    # sequence may start under autocast and go on without it, and the other way round.
    module = build(name)
    x = torch.randn(2, 12, D_IN)
    pieces = [chunk] * (6 // chunk)
    with torch.no_grad():
        reference = module(x)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast_first):
            first = feed(module, x[:, :6], pieces)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=not autocast_first):
            rest = feed(module, x[:, 6:], pieces)
    assert all(getattr(module, n).dtype == torch.float32 for n in module._cache_buffers)
    assert module.num_cached_tokens == 12
    out = torch.cat((first, rest), dim=1).float()
    torch.testing.assert_close(out, reference, atol=5e-2, rtol=5e-2)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("num_tokens", [1, 3])
@pytest.mark.parametrize("prefilled", [0, 7], ids=["empty-cache", "7-tokens-cached"])
def test_a_call_that_fails_leaves_the_cache_as_it_was(
    name: str, num_tokens: int, prefilled: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = build(name)
    x = torch.randn(2, prefilled + num_tokens + 2, D_IN)
    with torch.no_grad():
        full = module(x)
        if prefilled:  # 7 tokens: more than the sliding window's 5 slots, so all are live
            module(x[:, :prefilled], use_cache=True)
    before = {n: getattr(module, n) for n in module._cache_buffers}
    copies = {n: None if t is None else t.clone() for n, t in before.items()}
    count, nbytes = module.num_cached_tokens, module.cache_nbytes()

    def broken_softmax(*args: object, **kwargs: object) -> torch.Tensor:
        raise RuntimeError("softmax failed")

    # the failure comes in the middle of the call: after the projections, inside attention
    monkeypatch.setattr(torch, "softmax", broken_softmax)
    with torch.no_grad(), pytest.raises(RuntimeError, match="softmax failed"):
        module(x[:, prefilled : prefilled + num_tokens], use_cache=True)
    monkeypatch.undo()

    assert module.num_cached_tokens == count
    assert module.cache_nbytes() == nbytes
    for n, copy in copies.items():
        cache = getattr(module, n)
        if copy is None:  # a cache the failed call allocated is not kept
            assert cache is None, n
            continue
        assert cache is before[n], n  # the same tensors...
        # ...holding the same positions: the first num_cached_tokens (every slot of a full
        # rolling buffer); a linear cache's free positions after them hold nothing
        held = min(count, cache.shape[-2])
        assert torch.equal(cache[..., :held, :], copy[..., :held, :]), n
    # and the sequence goes on as if the failed call had not happened
    rest = feed(module, x[:, prefilled:], [num_tokens, 2])
    torch.testing.assert_close(rest, full[:, prefilled:], atol=1e-5, rtol=0)


# ---------------------------------------------------------------- defect 5: loading weights
@pytest.mark.parametrize("name", NAMES)
def test_load_state_dict_empties_a_live_cache(name: str) -> None:
    # The cached keys and values were made with the old weights: loading new ones resets the
    # cache, so the next cached call does not mix the two.
    module, other = build(name, seed=0), build(name, seed=1)
    x = torch.randn(2, 8, D_IN)
    with torch.no_grad():
        module(x[:, :5], use_cache=True)
        expected = other(x)
    assert module.cache_nbytes() > 0
    module.load_state_dict(other.state_dict())
    assert module.num_cached_tokens == 0
    assert module.cache_nbytes() == 0
    torch.testing.assert_close(feed(module, x, [5, 1, 2]), expected, atol=1e-5, rtol=0)


def test_loading_a_whole_model_empties_every_layer_cache() -> None:
    from llm_attention.beyond_gpt import GPTModel

    cfg = {
        "vocab_size": 50,
        "context_length": 20,
        "emb_dim": 12,
        "n_heads": 4,
        "n_layers": 2,
        "drop_rate": 0.0,
        "qkv_bias": False,
    }

    def layer(index: int) -> nn.Module:
        if index == 0:
            return la.SlidingWindowAttention(12, 12, 20, 0.0, 4, 3)
        return la.MultiHeadLatentAttention(12, 12, 20, 0.0, 4, 6)

    torch.manual_seed(0)
    model, other = GPTModel(cfg, layer).eval(), GPTModel(cfg, layer).eval()
    ids = torch.randint(0, 50, (1, 9))
    with torch.no_grad():
        model(ids[:, :6], use_cache=True)
        assert model.cache_nbytes() > 0
        model.load_state_dict(other.state_dict())
        assert model.cache_nbytes() == 0
        cached = torch.cat(
            [model(ids[:, :6], use_cache=True), model(ids[:, 6:], use_cache=True)], 1
        )
        torch.testing.assert_close(cached, other(ids), atol=1e-5, rtol=0)
