"""Real text: GPT-2 token ids, embeddings, and attention running on them (offline)."""

from __future__ import annotations

import re

import pytest
import torch
from torch.testing import assert_close

from llm_attention import (
    EXAMPLE_SENTENCE,
    GPT2_VOCAB_SIZE,
    MultiHeadAttention,
    TextEmbedding,
    causal_mask,
    embed_text,
    gpt2_encoding,
    token_ids,
    token_strings,
)

# Token ids printed in chapter 2 of the book.
EXAMPLE_IDS = [7120, 7002, 4940, 351, 530, 2239]
TEA_TEXT = "Hello, do you like tea? <|endoftext|> In the sunlit terraces"
TEA_IDS = [15496, 11, 466, 345, 588, 8887, 30, 220, 50256, 554, 262, 4252, 18250, 8812, 2114]


def test_gpt2_encoding_is_loaded_once() -> None:
    enc = gpt2_encoding()
    assert enc is gpt2_encoding()
    assert enc.n_vocab == GPT2_VOCAB_SIZE == 50257


def test_token_ids_of_the_example_sentence() -> None:
    assert token_ids(EXAMPLE_SENTENCE) == EXAMPLE_IDS


def test_token_ids_with_an_allowed_special_token() -> None:
    assert token_ids(TEA_TEXT, allowed_special={"<|endoftext|>"}) == TEA_IDS


def test_special_token_must_be_allowed() -> None:
    with pytest.raises(ValueError, match=re.escape("special token '<|endoftext|>'")):
        token_ids(TEA_TEXT)


def test_token_ids_rejects_non_text() -> None:
    with pytest.raises(TypeError, match=r"text must be a str, got list"):
        token_ids(["Your", "journey"])  # type: ignore[arg-type]


def test_empty_text_has_no_tokens() -> None:
    assert token_ids("") == []


@pytest.mark.parametrize("text", [EXAMPLE_SENTENCE, "  two  spaces", "Hello, world!"])
def test_token_strings_round_trip(text: str) -> None:
    ids = token_ids(text)
    pieces = token_strings(ids)
    assert len(pieces) == len(ids)
    assert "".join(pieces) == text
    assert token_strings(torch.tensor(ids)) == pieces


def test_token_strings_of_multibyte_characters() -> None:
    # A Chinese character can be split across byte-level tokens; each piece alone
    # is then not valid UTF-8 and decodes to U+FFFD, but the ids still decode as a whole.
    text = "注意力机制 attention!"
    ids = token_ids(text)
    pieces = token_strings(ids)
    assert len(pieces) == len(ids)
    assert pieces[-2:] == [" attention", "!"]
    assert gpt2_encoding().decode(ids) == text


def test_token_strings_keep_the_leading_space() -> None:
    assert token_strings(EXAMPLE_IDS) == ["Your", " journey", " starts", " with", " one", " step"]
    assert "".join(token_strings(EXAMPLE_IDS)) == EXAMPLE_SENTENCE


# ---------------------------------------------------------------- embeddings


def test_embed_text_shapes() -> None:
    ids, embeddings = embed_text(EXAMPLE_SENTENCE, 8)
    assert ids.dtype == torch.long
    assert ids.tolist() == EXAMPLE_IDS
    assert embeddings.shape == (6, 8)
    assert embeddings.dtype == torch.float32
    assert not embeddings.requires_grad


def test_embed_text_is_deterministic_for_a_seed() -> None:
    _, first = embed_text(EXAMPLE_SENTENCE, 8, seed=7)
    _, again = embed_text(EXAMPLE_SENTENCE, 8, seed=7)
    _, other = embed_text(EXAMPLE_SENTENCE, 8, seed=8)
    assert_close(first, again, rtol=0, atol=0)
    assert not torch.allclose(first, other)


def test_embed_text_is_a_lookup_in_the_seeded_table() -> None:
    ids, embeddings = embed_text(EXAMPLE_SENTENCE, 4, seed=3)
    torch.manual_seed(3)
    table = torch.nn.Embedding(GPT2_VOCAB_SIZE, 4).weight.detach()
    assert_close(embeddings, table[ids])


def test_same_token_gets_the_same_vector_without_positions() -> None:
    assert token_ids("step by step")[0] != token_ids("step by step")[2]  # "step" vs " step"
    ids, embeddings = embed_text(" step step", 4)
    assert ids[0] == ids[1]
    assert_close(embeddings[0], embeddings[1])


def test_positional_embeddings_are_added() -> None:
    text = EXAMPLE_SENTENCE
    _, tokens_only = embed_text(text, 8)
    _, with_positions = embed_text(text, 8, context_length=16)
    torch.manual_seed(123)  # embed_text's default seed: the token table is drawn first
    pos_table = TextEmbedding(8, context_length=16).pos_embedding
    assert pos_table is not None
    difference = with_positions - tokens_only
    assert not torch.allclose(difference, torch.zeros_like(difference))
    assert_close(difference, pos_table.weight[:6].detach())


def test_same_token_at_two_positions_differs_only_with_positional_embeddings() -> None:
    ids, embeddings = embed_text(" step step", 4, context_length=4)
    assert ids[0] == ids[1]
    assert not torch.allclose(embeddings[0], embeddings[1])


def test_text_embedding_batched_ids() -> None:
    torch.manual_seed(0)
    layer = TextEmbedding(5, context_length=8)
    ids = torch.tensor([EXAMPLE_IDS, EXAMPLE_IDS[::-1]])
    out = layer(ids)
    assert out.shape == (2, 6, 5)
    assert_close(out[0], layer(ids[0]))
    assert_close(out[1], layer(ids[1]))


def test_multihead_attention_on_a_real_sentence() -> None:
    ids, embeddings = embed_text(EXAMPLE_SENTENCE, 8, context_length=16)
    num_tokens = ids.shape[0]
    torch.manual_seed(123)
    mha = MultiHeadAttention(8, 8, 16, 0.0, num_heads=2).eval()
    with torch.no_grad():  # one sentence is a batch of one: (1, num_tokens, 8)
        context_vecs, attn_weights = mha(embeddings.unsqueeze(0), return_attn_weights=True)
        first_alone = mha(embeddings[:1].unsqueeze(0))[0]
    context_vecs, attn_weights = context_vecs[0], attn_weights[0]
    assert context_vecs.shape == (num_tokens, 8)
    assert attn_weights.shape == (2, num_tokens, num_tokens)
    assert bool(torch.isfinite(context_vecs).all())
    assert_close(attn_weights.sum(dim=-1), torch.ones(2, num_tokens))
    assert bool((attn_weights[:, causal_mask(num_tokens)] == 0).all())
    # Causal: "Your" sees only itself, so the rest of the sentence does not matter to it.
    assert_close(context_vecs[:1], first_alone)


# ---------------------------------------------------------------- errors


def test_text_embedding_rejects_non_integer_ids() -> None:
    layer = TextEmbedding(4)
    with pytest.raises(TypeError, match=r"ids must be an integer tensor"):
        layer(torch.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"ids must be an integer tensor"):
        layer(torch.tensor([True, False]))
    with pytest.raises(TypeError, match=r"ids must be a torch.Tensor, got list"):
        layer(EXAMPLE_IDS)


@pytest.mark.parametrize("bad_id", [-1, GPT2_VOCAB_SIZE, 10**6])
def test_text_embedding_rejects_out_of_range_ids(bad_id: int) -> None:
    layer = TextEmbedding(4)
    with pytest.raises(ValueError, match=r"ids must lie in \[0, vocab_size\) = \[0, 50257\)"):
        layer(torch.tensor([1, bad_id]))


def test_text_embedding_rejects_wrong_rank() -> None:
    with pytest.raises(ValueError, match=r"ids must have shape \(num_tokens,\) or"):
        TextEmbedding(4)(torch.zeros(1, 2, 3, dtype=torch.long))


def test_text_embedding_rejects_input_longer_than_context_length() -> None:
    layer = TextEmbedding(4, context_length=5)
    layer(torch.tensor(EXAMPLE_IDS[:5]))
    with pytest.raises(ValueError, match=r"ids has 6 tokens, more than context_length \(5\)"):
        layer(torch.tensor(EXAMPLE_IDS))


def test_text_embedding_constructor_arguments() -> None:
    with pytest.raises(ValueError, match=r"output_dim must be >= 1"):
        TextEmbedding(0)
    with pytest.raises(ValueError, match=r"context_length must be >= 1"):
        TextEmbedding(4, context_length=0)
    with pytest.raises(TypeError, match=r"vocab_size must be an int"):
        TextEmbedding(4, vocab_size=10.0)  # type: ignore[arg-type]


def test_embed_text_rejects_empty_text() -> None:
    with pytest.raises(ValueError, match=r"text must contain at least one token"):
        embed_text("", 8)


@pytest.mark.parametrize(
    "dtype", [torch.int8, torch.int16, torch.uint8, torch.int32, torch.int64], ids=str
)
def test_text_embedding_accepts_every_integer_id_dtype(dtype: torch.dtype) -> None:
    # int8, int16 and uint8 passed the old dtype check and then failed inside nn.Embedding.
    torch.manual_seed(0)
    layer = TextEmbedding(4, context_length=3, vocab_size=100)
    ids = torch.tensor([[0, 7, 99]])
    expected = layer(ids)
    assert_close(layer(ids.to(dtype)), expected)


@pytest.mark.parametrize(
    "ids", [torch.tensor([1 + 0j]), torch.tensor([1.0], dtype=torch.float16)], ids=str
)
def test_text_embedding_rejects_complex_and_float_ids(ids: torch.Tensor) -> None:
    with pytest.raises(TypeError, match=rf"ids must be an integer tensor .*got dtype {ids.dtype}"):
        TextEmbedding(4)(ids)


def test_text_embedding_names_the_first_id_out_of_range_and_its_position() -> None:
    layer = TextEmbedding(4, vocab_size=10)
    with pytest.raises(ValueError, match=r"\[0, 10\), got 12 at position \(1, 0\)"):
        layer(torch.tensor([[1, 2], [12, -1]]))


@pytest.mark.parametrize(
    ("ids", "error", "message"),
    [
        (
            [-1],
            ValueError,
            r"ids must lie in \[0, vocab_size\) = \[0, 50257\).*got -1 at position 0",
        ),
        ([5, -7], ValueError, r"got -7 at position 1"),
        ([0, GPT2_VOCAB_SIZE], ValueError, r"got 50257 at position 1"),
        ([10**30], ValueError, rf"got {10**30} at position 0"),
        ([1.5], TypeError, r"ids must hold int token ids, got float \(1.5\) at position 0"),
        ([1, True], TypeError, r"ids must hold int token ids, got bool \(True\) at position 1"),
        ([1, "2"], TypeError, r"got str \('2'\) at position 1"),
        ("abc", TypeError, r"ids must be a list of int token ids or a torch.Tensor, got str"),
        (5, TypeError, r"ids must be a list of int token ids or a torch.Tensor, got int"),
        (torch.tensor([3, -1]), ValueError, r"got -1 at position 1"),
        (
            torch.tensor([1.0]),
            TypeError,
            r"ids must be an integer tensor .*got dtype torch.float32",
        ),
    ],
    ids=repr,
)
def test_token_strings_names_a_bad_id(ids: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        token_strings(ids)  # type: ignore[arg-type]


def test_token_strings_accepts_small_integer_tensors() -> None:
    ids = torch.tensor(EXAMPLE_IDS[:3])
    assert token_strings(ids.to(torch.int32)) == token_strings(EXAMPLE_IDS[:3])
    assert token_strings(torch.tensor([188, 215], dtype=torch.uint8)) == token_strings([188, 215])
