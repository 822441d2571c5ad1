"""The cache protocol, the same for every class that generates.

``forward(x, use_cache=False)``, ``reset_cache()`` and ``cache_nbytes()``, for
``KVCacheMultiHeadAttention``, ``GroupedQueryAttention``, ``SlidingWindowAttention`` and
``MultiHeadLatentAttention``: cached chunks equal the uncached forward, the same errors,
the cache follows ``.to()`` and stays out of ``state_dict``, ``cache_nbytes()`` equals
``kv_cache_bytes``, the sliding window's rolling buffer, MLA's absorbed decode form, and
oracles: the chapter's classes and SDPA.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.functional import scaled_dot_product_attention as sdpa

import llm_attention as la
from llm_attention.beyond_gpt import GPTModel, generate

D_IN, D_OUT, HEADS, CONTEXT = 6, 12, 4, 24

FACTORIES: dict[str, Callable[..., nn.Module]] = {
    "KVCacheMultiHeadAttention": lambda ctx=CONTEXT, bias=False: la.KVCacheMultiHeadAttention(
        D_IN, D_OUT, ctx, 0.0, HEADS, qkv_bias=bias
    ),
    "GroupedQueryAttention": lambda ctx=CONTEXT, bias=False: la.GroupedQueryAttention(
        D_IN, D_OUT, ctx, 0.0, HEADS, num_kv_groups=2, qkv_bias=bias
    ),
    "MultiQueryAttention": lambda ctx=CONTEXT, bias=False: la.GroupedQueryAttention(
        D_IN, D_OUT, ctx, 0.0, HEADS, num_kv_groups=1, qkv_bias=bias
    ),
    "SlidingWindowAttention": lambda ctx=CONTEXT, bias=False: la.SlidingWindowAttention(
        D_IN, D_OUT, ctx, 0.0, HEADS, window_size=5, qkv_bias=bias
    ),
    "MultiHeadLatentAttention": lambda ctx=CONTEXT, bias=False: la.MultiHeadLatentAttention(
        D_IN, D_OUT, ctx, 0.0, HEADS, latent_dim=5, qkv_bias=bias
    ),
}
NAMES = list(FACTORIES)
CLASSES = {
    la.KVCacheMultiHeadAttention,
    la.GroupedQueryAttention,
    la.SlidingWindowAttention,
    la.MultiHeadLatentAttention,
}


def build(name: str, ctx: int = CONTEXT, bias: bool = False, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return FACTORIES[name](ctx, bias).eval()


def feed(module: nn.Module, x: torch.Tensor, chunks: list[int], **kwargs: bool) -> torch.Tensor:
    """Feed ``x`` through the cache in pieces of the given sizes (under no_grad)."""
    outputs, start = [], 0
    with torch.no_grad():
        for size in chunks:
            outputs.append(module(x[..., start : start + size, :], use_cache=True, **kwargs))
            start += size
    assert start == x.shape[-2]
    return torch.cat(outputs, dim=-2)


def test_every_generating_class_is_covered() -> None:
    generating = {
        getattr(la, name)
        for name in la.__all__
        if isinstance(getattr(la, name), type) and hasattr(getattr(la, name), "cache_nbytes")
    }
    assert generating == CLASSES
    assert {type(build(name)) for name in NAMES} == CLASSES


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


def test_mla_absorb_must_be_a_bool() -> None:
    module = build("MultiHeadLatentAttention")
    with torch.no_grad(), pytest.raises(TypeError, match="absorb must be a bool, got str"):
        module(torch.randn(1, 3, D_IN), use_cache=True, absorb="yes")


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
    fresh = FACTORIES[name]()
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


def test_sliding_window_cache_stays_flat_past_the_window() -> None:
    module = la.SlidingWindowAttention(D_IN, D_OUT, 64, 0.0, HEADS, window_size=8).eval()
    sizes = []
    with torch.no_grad():
        for _ in range(64):
            module(torch.randn(1, 1, D_IN), use_cache=True)
            sizes.append(module.cache_nbytes())
    assert len(set(sizes)) == 1  # allocated once, for the window, never grown
    assert module.cache_k is not None and module.cache_k.shape[2] == 8
    growing = la.KVCacheMultiHeadAttention(D_IN, D_OUT, 64, 0.0, HEADS)
    with torch.no_grad():
        growing(torch.randn(1, 1, D_IN), use_cache=True)
    assert growing.cache_nbytes() == 8 * sizes[-1]  # 64 positions against 8


def test_a_window_wider_than_the_context_caches_only_the_context() -> None:
    module = la.SlidingWindowAttention(D_IN, D_OUT, 6, 0.0, HEADS, window_size=50).eval()
    with torch.no_grad():
        module(torch.randn(1, 6, D_IN), use_cache=True)
    assert module.cache_nbytes() == predicted(module, 1) == 2 * 6 * D_OUT * 4


def test_kv_cache_bytes_for_latent_attention() -> None:
    assert la.kv_cache_bytes(num_layers=2, context_length=10, batch_size=3, latent_dim=7) == (
        2 * 10 * 3 * 7 * 2
    )
    with pytest.raises(ValueError, match=r"either latent_dim .* or num_kv_heads and head_dim"):
        la.kv_cache_bytes(
            num_layers=1, context_length=1, batch_size=1, latent_dim=4, num_kv_heads=2
        )
    with pytest.raises(TypeError, match="needs num_kv_heads and head_dim, or latent_dim"):
        la.kv_cache_bytes(num_layers=1, context_length=1, batch_size=1, num_kv_heads=2)
    with pytest.raises(ValueError, match="latent_dim must be >= 1, got 0"):
        la.kv_cache_bytes(num_layers=1, context_length=1, batch_size=1, latent_dim=0)


# ---------------------------------------------------------------- the sliding window's buffer
@settings(max_examples=40, deadline=None)
@given(
    window=st.integers(1, 12),
    chunks=st.lists(st.integers(1, 20), min_size=1, max_size=6).filter(lambda c: sum(c) <= 40),
    seed=st.integers(0, 2**16),
)
def test_rolling_buffer_is_right_for_every_chunk_size_and_window(
    window: int, chunks: list[int], seed: int
) -> None:
    # chunks up to 20 tokens against windows down to 1: prefill chunks longer than the window
    torch.manual_seed(seed)
    module = la.SlidingWindowAttention(D_IN, D_OUT, 40, 0.0, HEADS, window).eval()
    x = torch.randn(2, sum(chunks), D_IN)
    with torch.no_grad():
        full = module(x)
    torch.testing.assert_close(feed(module, x, chunks), full, atol=1e-5, rtol=0)


def test_a_prefill_longer_than_the_window_then_decoding() -> None:
    module = la.SlidingWindowAttention(D_IN, D_OUT, 32, 0.0, HEADS, window_size=4).eval()
    x = torch.randn(1, 20, D_IN)
    with torch.no_grad():
        full = module(x)
    torch.testing.assert_close(feed(module, x, [13] + [1] * 7), full, atol=1e-5, rtol=0)


# ---------------------------------------------------------------- MLA: absorbed and rebuilt
@pytest.mark.parametrize("bias", [False, True])
def test_mla_absorbed_and_rebuilt_decoding_agree(bias: bool) -> None:
    module = build("MultiHeadLatentAttention", bias=bias)
    x = torch.randn(2, 12, D_IN)
    absorbed = feed(module, x, [5, 1, 1, 3, 2], absorb=True)
    module.reset_cache()
    rebuilt = feed(module, x, [5, 1, 1, 3, 2], absorb=False)
    torch.testing.assert_close(absorbed, rebuilt, atol=1e-5, rtol=0)


def test_mla_absorbed_scores_equal_the_scores_against_rebuilt_keys() -> None:
    m = build("MultiHeadLatentAttention")
    x = torch.randn(1, 7, D_IN)
    with torch.no_grad():
        latent = m.W_kv_down(x)  # (1, 7, latent_dim)
        q = m.W_query(x).view(1, 7, HEADS, -1).transpose(1, 2)
        k = m.W_key_up(latent).view(1, 7, HEADS, -1).transpose(1, 2)
        up_k = m.W_key_up.weight.view(HEADS, m.head_dim, m.latent_dim)
        torch.testing.assert_close((q @ up_k) @ latent.unsqueeze(1).transpose(2, 3), q @ k.mT)


def test_mla_is_mha_with_low_rank_key_and_value_projections() -> None:
    # oracle: the chapter's MultiHeadAttention with W_key = W_key_up W_kv_down (and the same
    # for values), a matrix of rank latent_dim, computes the same function
    mla = build("MultiHeadLatentAttention", bias=True)
    mha = la.MultiHeadAttention(D_IN, D_OUT, CONTEXT, 0.0, HEADS, qkv_bias=True).eval()
    with torch.no_grad():
        mha.W_query.load_state_dict(mla.W_query.state_dict())
        mha.out_proj.load_state_dict(mla.out_proj.state_dict())
        for full, up in ((mha.W_key, mla.W_key_up), (mha.W_value, mla.W_value_up)):
            full.weight.copy_(up.weight @ mla.W_kv_down.weight)
            full.bias.copy_(up.weight @ mla.W_kv_down.bias)
        x = torch.randn(2, 9, D_IN)
        torch.testing.assert_close(mla(x), mha(x), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(feed(mla, x, [4, 1, 1, 3]), mha(x), atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------- oracles: chapter classes, SDPA
def test_cached_gqa_with_one_group_per_head_is_cached_mha() -> None:
    torch.manual_seed(1)
    mha = la.KVCacheMultiHeadAttention(D_IN, D_OUT, CONTEXT, 0.0, HEADS).eval()
    gqa = la.GroupedQueryAttention(D_IN, D_OUT, CONTEXT, 0.0, HEADS, num_kv_groups=HEADS).eval()
    gqa.load_state_dict(mha.state_dict())
    x = torch.randn(2, 11, D_IN)
    torch.testing.assert_close(feed(gqa, x, [6, 1, 4]), feed(mha, x, [6, 1, 4]))


def test_cached_sliding_window_wider_than_the_text_is_cached_mha() -> None:
    torch.manual_seed(1)
    mha = la.KVCacheMultiHeadAttention(D_IN, D_OUT, CONTEXT, 0.0, HEADS).eval()
    swa = la.SlidingWindowAttention(D_IN, D_OUT, CONTEXT, 0.0, HEADS, window_size=CONTEXT).eval()
    swa.load_state_dict(mha.state_dict(), strict=False)
    x = torch.randn(2, 11, D_IN)
    torch.testing.assert_close(feed(swa, x, [6, 1, 4]), feed(mha, x, [6, 1, 4]))


@pytest.mark.parametrize("name", ["GroupedQueryAttention", "MultiQueryAttention"])
def test_cached_gqa_matches_sdpa_with_enable_gqa_semantics(name: str) -> None:
    m = build(name)
    x = torch.randn(2, 10, D_IN)
    with torch.no_grad():
        q = m.W_query(x).view(2, 10, HEADS, -1).transpose(1, 2)
        k = m.W_key(x).view(2, 10, m.num_kv_groups, -1).transpose(1, 2)
        v = m.W_value(x).view(2, 10, m.num_kv_groups, -1).transpose(1, 2)
        k = k.repeat_interleave(m.group_size, dim=1)
        v = v.repeat_interleave(m.group_size, dim=1)
        context = sdpa(q, k, v, is_causal=True).transpose(1, 2).reshape(2, 10, D_OUT)
        expected = m.out_proj(context)
    torch.testing.assert_close(feed(m, x, [3, 1, 1, 5]), expected, atol=1e-5, rtol=0)


def test_cached_sliding_window_matches_sdpa_with_the_band_mask() -> None:
    m = build("SlidingWindowAttention")
    x = torch.randn(2, 17, D_IN)
    with torch.no_grad():
        q, k, v = (
            w(x).view(2, 17, HEADS, -1).transpose(1, 2) for w in (m.W_query, m.W_key, m.W_value)
        )
        allowed = ~la.sliding_window_mask(17, m.window_size)
        context = sdpa(q, k, v, attn_mask=allowed).transpose(1, 2).reshape(2, 17, D_OUT)
        expected = m.out_proj(context)
    torch.testing.assert_close(feed(m, x, [9, 1, 1, 6]), expected, atol=1e-5, rtol=0)


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
    assert all(getattr(module, n).dtype == torch.bfloat16 for n in module._cache_buffers)
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
        module = FACTORIES[name]()
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


# ---------------------------------------------------------------- a GPT model around them
TINY = {
    "vocab_size": 50,
    "context_length": 20,
    "emb_dim": 12,
    "n_heads": 4,
    "n_layers": 3,
    "drop_rate": 0.0,
    "qkv_bias": False,
}
LAYERS: dict[str, Callable[[int], nn.Module]] = {
    "default (KVCacheMultiHeadAttention)": lambda layer: la.KVCacheMultiHeadAttention(
        12, 12, 20, 0.0, 4
    ),
    "GroupedQueryAttention": lambda layer: la.GroupedQueryAttention(12, 12, 20, 0.0, 4, 2),
    "SlidingWindowAttention": lambda layer: la.SlidingWindowAttention(12, 12, 20, 0.0, 4, 3),
    "MultiHeadLatentAttention": lambda layer: la.MultiHeadLatentAttention(12, 12, 20, 0.0, 4, 6),
    "local and global layers": lambda layer: (
        la.KVCacheMultiHeadAttention(12, 12, 20, 0.0, 4)
        if layer == 2
        else la.SlidingWindowAttention(12, 12, 20, 0.0, 4, 3)
    ),
}


@pytest.mark.parametrize("name", LAYERS)
def test_cached_generation_gives_the_same_tokens_as_uncached(name: str) -> None:
    torch.manual_seed(5)
    model = GPTModel(TINY, LAYERS[name])
    prompt = torch.randint(0, 50, (2, 4))
    cached = generate(model, prompt, 16)
    assert model.cache_nbytes() > 0
    uncached = generate(model, prompt, 16, use_cache=False)
    assert model.cache_nbytes() == 0  # generate resets first; the uncached run caches nothing
    assert cached.shape == (2, 20)
    assert torch.equal(cached, uncached)
    assert torch.equal(cached[:, :4], prompt)
    with torch.no_grad():  # and the logits of a cached pass are those of an uncached one
        model.reset_cache()
        logits = torch.cat(
            [model(cached[:, :7], use_cache=True), model(cached[:, 7:], use_cache=True)], 1
        )
        torch.testing.assert_close(logits, model(cached), atol=1e-4, rtol=0)


def test_gpt_model_errors() -> None:
    model = GPTModel(TINY)
    with torch.no_grad():
        with pytest.raises(ValueError, match=r"positions 0..20 do not fit context_length \(20\)"):
            model(torch.zeros(1, 21, dtype=torch.long))
        model(torch.zeros(1, 18, dtype=torch.long), use_cache=True)
        with pytest.raises(ValueError, match=r"positions 18..20 .* call reset_cache\(\)"):
            model(torch.zeros(1, 3, dtype=torch.long), use_cache=True)
        with pytest.raises(TypeError, match="idx must be an integer tensor of token ids"):
            model(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="max_new_tokens must be >= 1, got 0"):
        generate(model, torch.zeros(1, 3, dtype=torch.long), 0)
    # the default attention, from the configuration: GPT-2's layout
    assert all(isinstance(b.att, la.KVCacheMultiHeadAttention) for b in model.trf_blocks)
