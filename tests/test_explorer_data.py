"""tools/hooks/explorer_data.py: the explorer's numbers are the package's.

The browser suite (tests/browser/test_explorer.py) checks that the widget computes from these
numbers what the Python code it shows computes; these tests check, without a browser, that the
exported numbers are the ones that code draws: the same weights, the same embeddings, the same
dropout draws and the same random vectors.
"""

from __future__ import annotations

import json

import pytest
import torch
from explorer_data import (
    DK_VALUES,
    DROPOUT_RATES,
    MAX_HEADS,
    MHA_D_OUT,
    MHA_HEADS,
    SENTENCES,
    explorer_data,
)

import llm_attention as la


@pytest.fixture(scope="module")
def data() -> dict:
    # a JSON round trip, as the browser reads it
    return json.loads(json.dumps(explorer_data()))


def close(exported: list, tensor: torch.Tensor) -> None:
    torch.testing.assert_close(torch.tensor(exported), tensor.float(), rtol=0, atol=1e-7)


def test_the_book_sentence_is_example_inputs(data: dict) -> None:
    book = data["sentences"][0]
    assert book["id"] == "book" and book["tokens"] == list(la.EXAMPLE_TOKENS)
    close(book["embeddings"], la.example_inputs())


@pytest.mark.parametrize("index", range(len(SENTENCES)))
def test_real_sentences_are_gpt2_tokens_and_seeded_embeddings(data: dict, index: int) -> None:
    sentence = data["sentences"][index + 1]
    ids, embeddings = la.embed_text(SENTENCES[index], output_dim=3)
    assert sentence["ids"] == ids.tolist() == la.token_ids(SENTENCES[index])
    assert sentence["tokens"] == la.token_strings(ids)
    close(sentence["embeddings"], embeddings)


def test_weights_are_the_seeded_modules(data: dict, inputs: torch.Tensor) -> None:
    torch.manual_seed(123)
    v1 = la.SelfAttention_v1(3, 2)
    torch.manual_seed(789)
    v2 = la.SelfAttention_v2(3, 2)
    for name in ("W_query", "W_key", "W_value"):
        close(data["weights"]["v1"][name], getattr(v1, name).detach())
        close(data["weights"]["v2"][name], getattr(v2, name).weight.detach().T)
    # as the explorer uses them: queries = x @ W_query
    w = data["weights"]["v2"]
    q = inputs @ torch.tensor(w["W_query"])
    torch.testing.assert_close(q, v2.W_query(inputs).detach(), rtol=0, atol=1e-6)


@pytest.mark.parametrize("num_heads", range(1, MAX_HEADS + 1))
def test_heads_are_the_wrappers(data: dict, inputs: torch.Tensor, num_heads: int) -> None:
    torch.manual_seed(123)
    wrapper = la.MultiHeadAttentionWrapper(3, 2, 6, 0.0, num_heads=num_heads)
    heads = data["heads"][str(num_heads)]
    assert len(heads) == num_heads
    for exported, head in zip(heads, wrapper.heads, strict=True):
        for name in ("W_query", "W_key", "W_value"):
            close(exported[name], getattr(head, name).weight.detach().T)


@pytest.mark.parametrize("num_heads", MHA_HEADS)
def test_mha_is_the_seeded_module_for_every_head_count(data: dict, num_heads: int) -> None:
    """One exported set of weights serves every num_heads the explorer offers: the module
    draws the same four nn.Linear layers whatever the split."""
    torch.manual_seed(123)
    mha = la.MultiHeadAttention(3, MHA_D_OUT, 6, 0.0, num_heads=num_heads)
    w = data["mha"]
    assert w["d_out"] == MHA_D_OUT and w["num_heads"] == list(MHA_HEADS)
    for name in ("W_query", "W_key", "W_value"):
        close(w[name], getattr(mha, name).weight.detach().T)
    close(w["W_out"], mha.out_proj.weight.detach().T)
    close(w["b_out"], mha.out_proj.bias.detach())


@pytest.mark.parametrize("num_heads", MHA_HEADS)
def test_mha_steps_on_the_exported_numbers_give_the_modules_output(
    data: dict, inputs: torch.Tensor, num_heads: int
) -> None:
    """What the explorer computes in 3.6.2, from the exported numbers: project, take each
    head's columns, attend causally, put the heads side by side, apply out_proj. The module,
    on a batch of one sequence, returns the same weights and output."""
    w = {k: torch.tensor(v) for k, v in data["mha"].items() if k.startswith(("W_", "b_"))}
    x = inputs
    n, head_dim = x.shape[0], MHA_D_OUT // num_heads
    q, k, v = x @ w["W_query"], x @ w["W_key"], x @ w["W_value"]
    weights, contexts = [], []
    for h in range(num_heads):
        cols = slice(h * head_dim, (h + 1) * head_dim)
        scores = (q[:, cols] @ k[:, cols].T).masked_fill(la.causal_mask(n), -torch.inf)
        weights.append(torch.softmax(scores / head_dim**0.5, dim=-1))
        contexts.append(weights[-1] @ v[:, cols])
    output = torch.cat(contexts, dim=-1) @ w["W_out"] + w["b_out"]

    torch.manual_seed(123)
    mha = la.MultiHeadAttention(3, MHA_D_OUT, n, 0.0, num_heads=num_heads)
    want, want_weights = mha(x.unsqueeze(0), return_attn_weights=True)
    torch.testing.assert_close(output, want[0].detach(), rtol=0, atol=1e-6)
    torch.testing.assert_close(torch.stack(weights), want_weights[0].detach(), rtol=0, atol=1e-6)


@pytest.mark.parametrize("p", DROPOUT_RATES)
def test_dropout_keeps_what_torch_keeps_on_the_weights(data: dict, p: float) -> None:
    """The keep pattern is exported from dropout on ones; the code the explorer shows applies
    dropout to the attention weights. Same seed, same shape: the same weights survive."""
    for sentence in data["sentences"]:
        n = len(sentence["tokens"])
        weights = torch.softmax(torch.randn(n, n), dim=-1)
        torch.manual_seed(123)
        dropped = torch.nn.Dropout(p)(weights)
        keep = torch.tensor(data["dropout"]["keep"][str(p)][str(n)], dtype=torch.bool)
        assert torch.equal(dropped != 0, keep)
        torch.testing.assert_close(dropped[keep], weights[keep] / (1 - p))


@pytest.mark.parametrize("d_k", DK_VALUES)
def test_dk_draws_are_the_codes(data: dict, d_k: int) -> None:
    torch.manual_seed(123)
    q, k = torch.randn(d_k), torch.randn(6, d_k)
    draw = data["dk"]["draws"][str(d_k)]
    close(draw["q"], q)
    close(draw["K"], k)
