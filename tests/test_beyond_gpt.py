"""The GPT harness (``llm_attention.beyond_gpt``): its configuration, its token ids, ``generate``.

Cached generation against uncached runs with every class that caches, and with a model that
mixes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

import llm_attention as la
from llm_attention.beyond_gpt import GPTModel, generate

VOCAB = 300  # more than 255, so uint8 ids cannot name every token
TINY: dict[str, Any] = {
    "vocab_size": VOCAB,
    "context_length": 12,
    "emb_dim": 8,
    "n_heads": 2,
    "n_layers": 2,
    "drop_rate": 0.0,
    "qkv_bias": False,
}


def tiny(**changes: Any) -> GPTModel:
    torch.manual_seed(3)
    return GPTModel(TINY | changes)


# ---------------------------------------------------------------- token ids


@pytest.mark.parametrize("dtype", [torch.int8, torch.int16, torch.uint8, torch.int32], ids=str)
def test_every_integer_id_dtype_gives_the_logits_of_int64(dtype: torch.dtype) -> None:
    model = tiny()
    ids = torch.tensor([[0, 5, 127], [1, 2, 3]])
    with torch.no_grad():
        torch.testing.assert_close(model(ids.to(dtype)), model(ids))


@pytest.mark.parametrize(
    ("idx", "error", "message"),
    [
        (torch.tensor([[1, VOCAB]]), ValueError, r"got 300 at position \(0, 1\)"),
        (torch.tensor([[1, 2], [-1, 0]]), ValueError, r"got -1 at position \(1, 0\)"),
        (torch.tensor([[True, False]]), TypeError, r"got dtype torch.bool"),
        (torch.tensor([[1 + 0j]]), TypeError, r"got dtype torch.complex64"),
        (torch.tensor([[1.0]]), TypeError, r"got dtype torch.float32"),
        (torch.tensor([1, 2]), ValueError, r"idx must have shape \(b, num_tokens\), got \(2,\)"),
        (torch.zeros(1, 0, dtype=torch.long), ValueError, r"idx must contain at least one token"),
        ([[1, 2]], TypeError, r"idx must be a torch.Tensor, got list"),
    ],
    ids=lambda v: str(v).replace("\n", ""),
)
def test_bad_ids_are_named_before_the_cache_moves(idx: object, error: type, message: str) -> None:
    model = tiny()
    with torch.no_grad():
        model(torch.tensor([[4, 5]]), use_cache=True)
        nbytes = model.cache_nbytes()
        with pytest.raises(error, match=message):
            model(idx, use_cache=True)
    assert model.num_cached_tokens == 2
    assert model.cache_nbytes() == nbytes


def test_out_of_range_message_names_the_rule() -> None:
    with pytest.raises(ValueError, match=r"idx must lie in \[0, vocab_size\) = \[0, 300\)"):
        tiny()(torch.tensor([[VOCAB + 5]]))


@pytest.mark.parametrize(
    "ids",
    [
        torch.tensor([[3, 299]]),
        torch.tensor([[3, 300]]),
        torch.tensor([[-2]]),
        torch.tensor([[7]], dtype=torch.uint8),
        torch.tensor([[7]], dtype=torch.int16),
        torch.tensor([[True]]),
        torch.tensor([[2.0]]),
        torch.tensor([[2 + 0j]]),
    ],
    ids=lambda t: f"{t.dtype}-{t.tolist()}",
)
def test_gpt_model_and_text_embedding_accept_the_same_ids(ids: torch.Tensor) -> None:
    embedding = la.TextEmbedding(8, vocab_size=VOCAB)
    model = tiny()

    def outcome(call: Any) -> tuple[type, str] | None:
        try:
            call()
        except (TypeError, ValueError) as error:
            return type(error), str(error).replace("idx", "ids")
        return None

    with torch.no_grad():
        assert outcome(lambda: model(ids)) == outcome(lambda: embedding(ids))


# ---------------------------------------------------------------- the configuration


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"vocab_size": 0}, ValueError, r'cfg\["vocab_size"\] must be >= 1, got 0'),
        ({"vocab_size": -3}, ValueError, r'cfg\["vocab_size"\] must be >= 1, got -3'),
        ({"vocab_size": 5.0}, TypeError, r'cfg\["vocab_size"\] must be an int, got float'),
        ({"vocab_size": None}, TypeError, r'cfg\["vocab_size"\] must be an int, got NoneType'),
        ({"context_length": 0}, ValueError, r'cfg\["context_length"\] must be >= 1, got 0'),
        ({"emb_dim": "8"}, TypeError, r'cfg\["emb_dim"\] must be an int, got str'),
        ({"n_layers": True}, TypeError, r'cfg\["n_layers"\] must be an int, got bool'),
        ({"n_heads": 0}, ValueError, r'cfg\["n_heads"\] must be >= 1, got 0'),
        (
            {"n_heads": 3},
            ValueError,
            r'cfg\["emb_dim"\] \(8\) must be divisible by cfg\["n_heads"\] \(3\)',
        ),
        ({"drop_rate": 1.0}, ValueError, r'cfg\["drop_rate"\] must be in \[0, 1\), got 1.0'),
        ({"drop_rate": float("nan")}, ValueError, r'cfg\["drop_rate"\] must be in \[0, 1\)'),
        (
            {"drop_rate": "0.1"},
            TypeError,
            r'cfg\["drop_rate"\] must be a float in \[0, 1\), got str',
        ),
        ({"qkv_bias": 1}, TypeError, r'cfg\["qkv_bias"\] must be a bool, got int'),
    ],
    ids=repr,
)
def test_every_config_key_is_checked(changes: dict[str, Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        GPTModel(TINY | changes)


def test_a_missing_key_is_named() -> None:
    cfg = {key: value for key, value in TINY.items() if key != "vocab_size"}
    with pytest.raises(KeyError, match=r"missing \['vocab_size'\]"):
        GPTModel(cfg)
    with pytest.raises(TypeError, match=r"cfg must be a dict \(see GPT_CONFIG_124M\), got list"):
        GPTModel([("vocab_size", 5)])  # type: ignore[arg-type]


def test_with_an_attention_factory_n_heads_and_qkv_bias_are_not_read() -> None:
    cfg = {key: value for key, value in TINY.items() if key not in ("n_heads", "qkv_bias")}
    model = GPTModel(cfg, lambda layer: la.KVCacheMultiHeadAttention(8, 8, 12, 0.0, 4))
    assert model(torch.tensor([[1, 2]])).shape == (1, 2, VOCAB)
    with pytest.raises(ValueError, match=r'cfg\["vocab_size"\] must be >= 1, got 0'):
        GPTModel(
            cfg | {"vocab_size": 0}, lambda layer: la.KVCacheMultiHeadAttention(8, 8, 12, 0.0, 4)
        )


# ---------------------------------------------------------------- generate and the model's mode


def _modes(model: nn.Module) -> list[bool]:
    return [module.training for module in model.modules()]


def test_generate_gives_a_training_model_its_mode_back() -> None:
    model = tiny(drop_rate=0.5)
    model.train()
    out = generate(model, torch.tensor([[1, 2, 3]]), 4)
    assert model.training
    assert all(_modes(model))
    model.eval()  # and the tokens are those of eval mode: no dropout while decoding
    assert torch.equal(generate(model, torch.tensor([[1, 2, 3]]), 4), out)
    assert not any(_modes(model))


def test_generate_restores_each_submodule_s_own_mode() -> None:
    model = tiny()
    model.train()
    model.trf_blocks[0].eval()  # e.g. a frozen first block
    before = _modes(model)
    assert any(before) and not all(before)
    generate(model, torch.tensor([[1, 2]]), 3, use_cache=False)
    assert _modes(model) == before


def test_generate_restores_the_mode_when_a_call_raises() -> None:
    model = tiny()
    model.train()

    class Broken(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            raise RuntimeError("broken layer")

    model.final_norm = Broken()
    with pytest.raises(RuntimeError, match="broken layer"):
        generate(model, torch.tensor([[1, 2]]), 3)
    assert all(_modes(model))


def test_generate_checks_its_arguments_before_touching_the_model() -> None:
    model = tiny()
    model.train()
    with torch.no_grad():
        model(torch.tensor([[4, 5, 6]]), use_cache=True)
    nbytes = model.cache_nbytes()
    with pytest.raises(ValueError, match=r"idx has 11 tokens; .* reads 13, .* \(12\)"):
        generate(model, torch.ones(1, 11, dtype=torch.long), 3)
    with pytest.raises(ValueError, match=r"idx must lie in \[0, vocab_size\)"):
        generate(model, torch.tensor([[VOCAB]]), 3)
    assert model.num_cached_tokens == 3  # the cache and the mode are as they were
    assert model.cache_nbytes() == nbytes
    assert all(_modes(model))
    # the last new token is never read: 10 + 3 tokens fit a context of 12
    for use_cache in (True, False):
        out = generate(model, torch.ones(1, 10, dtype=torch.long), 3, use_cache=use_cache)
        assert out.shape == (1, 13)


# ---------------------------------------------------------------- generating with every cache
MIXED: dict[str, Any] = {  # 3 layers, so one can differ from the others
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
    model = GPTModel(MIXED, LAYERS[name])
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
    model = GPTModel(MIXED)
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
