"""The registry of attention classes (``tests/attention_registry.py``) is complete and true."""

from __future__ import annotations

import pytest
import torch
from attention_registry import ENTRIES, REGISTRY, attention_classes_in_all, names

import llm_attention as la


def test_every_attention_class_of_the_package_is_registered() -> None:
    registered = {entry.cls for entry in ENTRIES}
    missing = sorted(c.__name__ for c in attention_classes_in_all() - registered)
    assert not missing, f"add these classes to tests/attention_registry.py: {missing}"
    assert registered <= attention_classes_in_all()


def test_the_names_are_unique() -> None:
    assert len(REGISTRY) == len(ENTRIES)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_each_entry_builds_its_class_with_the_facts_it_states(name: str) -> None:
    entry = REGISTRY[name]
    module = entry.build(4, 6, 8, 2, qkv_bias=False).eval()
    assert type(module) is entry.cls
    assert entry.chapter == type(module).__module__.startswith("llm_attention.ch3_")
    # the cache protocol, by its methods
    assert entry.caches == all(hasattr(module, m) for m in ("reset_cache", "cache_nbytes"))
    x = torch.randn(2, 5, 4)
    x = x[0] if entry.one_sequence else x
    with torch.no_grad():
        if entry.returns_weights:
            out, weights = module(x, return_attn_weights=True)
            assert weights.shape[-2:] == (5, 5)
        else:
            out = module(x)
        assert out.shape[-1] == 6
        if not entry.one_sequence and not entry.batch_only:  # one unbatched sequence too
            torch.testing.assert_close(module(x[0]), out[0])


def test_the_selectors() -> None:
    assert set(names(caches=True)) == {
        "KVCacheMultiHeadAttention",
        "GroupedQueryAttention",
        "MultiQueryAttention",
        "SlidingWindowAttention",
        "MultiHeadLatentAttention",
    }
    assert {REGISTRY[n].cls for n in names(chapter=True)} == {
        la.SelfAttention_v1,
        la.SelfAttention_v2,
        la.CausalAttention,
        la.MultiHeadAttentionWrapper,
        la.MultiHeadAttention,
    }
