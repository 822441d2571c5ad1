"""Real text: GPT-2 token ids and token embeddings for attention to run on.

Chapter 3 works on six hand-made 3-dimensional embeddings. These helpers turn a
real sentence into what chapter 2 produces, so the same modules can run on it:
GPT-2 token ids from ``tiktoken.get_encoding("gpt2")``, then a seeded token
embedding layer, optionally plus positional embeddings.

tiktoken downloads GPT-2's two BPE files the first time the encoding is used
and caches them (see ``TIKTOKEN_CACHE_DIR``); after that it works offline.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from numbers import Integral

import tiktoken
import torch
from torch import nn

from llm_attention.checks import check_positive_int, check_token_ids

__all__ = [
    "GPT2_VOCAB_SIZE",
    "TextEmbedding",
    "embed_text",
    "gpt2_encoding",
    "token_ids",
    "token_strings",
]

GPT2_VOCAB_SIZE = 50257
"""Number of tokens in GPT-2's byte-pair encoding."""


@functools.cache
def gpt2_encoding() -> tiktoken.Encoding:
    """GPT-2's byte-pair encoding, ``tiktoken.get_encoding("gpt2")``, loaded once."""
    return tiktoken.get_encoding("gpt2")


def token_ids(text: str, *, allowed_special: set[str] | None = None) -> list[int]:
    """Encode ``text`` into GPT-2 token ids.

    Args:
        text: the text to encode.
        allowed_special: special tokens such as ``"<|endoftext|>"`` that may appear
            in ``text``; any other special token raises tiktoken's ``ValueError``.

    Returns:
        a list of ``num_tokens`` ints in ``[0, 50257)``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return gpt2_encoding().encode(text, allowed_special=allowed_special or set())


def token_strings(ids: Sequence[int] | torch.Tensor) -> list[str]:
    r"""Decode each token id on its own, for labelling plots and tables.

    GPT-2 tokens usually carry their leading space (``" journey"``); it is kept. A
    token can also be one control character: ids 188 to 219 are the bytes 0 to 31
    (id 215 is ``"\x1b"``), and [`attention_heatmap_svg`][llm_attention.attention_heatmap_svg]
    draws such labels as visible symbols.

    Every id must be an int in ``[0, 50257)`` (a tensor: an integer dtype); the first
    one that is not raises ``TypeError`` or ``ValueError`` naming the id and its position.

    Shape:
        ``ids``: ``(num_tokens,)``; result: ``num_tokens`` strings.
    """
    if isinstance(ids, torch.Tensor):
        ids = check_token_ids(ids, vocab_size=GPT2_VOCAB_SIZE, dims=None).reshape(-1).tolist()
    elif isinstance(ids, str) or not isinstance(ids, Sequence):
        raise TypeError(
            f"ids must be a list of int token ids or a torch.Tensor, got {type(ids).__name__}"
        )
    for position, i in enumerate(ids):
        if isinstance(i, bool) or not isinstance(i, Integral):
            raise TypeError(
                f"ids must hold int token ids, got {type(i).__name__} ({i!r}) "
                f"at position {position}"
            )
        if not 0 <= i < GPT2_VOCAB_SIZE:
            raise ValueError(
                f"ids must lie in [0, vocab_size) = [0, {GPT2_VOCAB_SIZE}) (GPT-2's vocabulary), "
                f"got {i} at position {position}"
            )
    enc = gpt2_encoding()
    return [enc.decode([int(i)]) for i in ids]


class TextEmbedding(nn.Module):
    """Token embeddings, optionally plus positional embeddings, as in chapter 2.

    ``E[token_id] (+ P[position])``: an ``nn.Embedding(vocab_size, output_dim)``
    lookup and, when ``context_length`` is given, an
    ``nn.Embedding(context_length, output_dim)`` for absolute positions. The
    token table is created first, so ``torch.manual_seed`` before construction
    fixes both tables.

    Args:
        output_dim: size of each embedding vector (``d_in`` of the attention module).
        context_length: number of positions; ``None`` for no positional embeddings.
        vocab_size: number of token ids.

    Shape:
        - input ``ids``: ``(num_tokens,)`` or ``(b, num_tokens)``, an integer dtype
          (int64, int32, int16, int8 or uint8; the last three are widened to int64),
          every id in ``[0, vocab_size)``
        - output: ``(num_tokens, output_dim)`` or ``(b, num_tokens, output_dim)``
    """

    def __init__(
        self,
        output_dim: int,
        context_length: int | None = None,
        vocab_size: int = GPT2_VOCAB_SIZE,
    ) -> None:
        super().__init__()
        self.output_dim = check_positive_int("output_dim", output_dim)
        self.vocab_size = check_positive_int("vocab_size", vocab_size)
        self.token_embedding = nn.Embedding(vocab_size, output_dim)
        self.context_length: int | None = None
        self.pos_embedding: nn.Embedding | None = None
        if context_length is not None:
            self.context_length = check_positive_int("context_length", context_length)
            self.pos_embedding = nn.Embedding(context_length, output_dim)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Look up the embeddings of ``ids`` (and add the positional ones)."""
        ids = check_token_ids(ids, vocab_size=self.vocab_size)
        num_tokens = ids.shape[-1]
        if self.context_length is not None and num_tokens > self.context_length:
            raise ValueError(
                f"ids has {num_tokens} tokens, more than context_length ({self.context_length})"
            )
        embeddings: torch.Tensor = self.token_embedding(ids)  # (..., num_tokens, output_dim)
        if self.pos_embedding is not None:
            positions = torch.arange(num_tokens, device=ids.device)
            embeddings = embeddings + self.pos_embedding(positions)
        return embeddings


def embed_text(
    text: str,
    output_dim: int,
    *,
    context_length: int | None = None,
    seed: int = 123,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Tokenize ``text`` with GPT-2's encoding and embed it with a seeded layer.

    A shortcut for ``torch.manual_seed(seed)``, a
    [`TextEmbedding`][llm_attention.TextEmbedding] and one
    lookup. The embeddings are random (untrained), which is all attention needs to
    run; they carry no meaning yet.

    Args:
        text: the text to embed.
        output_dim: size of each embedding vector.
        context_length: if given, add positional embeddings for this many positions.
        seed: the seed set before the embedding tables are drawn.

    Returns:
        ``(ids, embeddings)`` with shapes ``(num_tokens,)`` and ``(num_tokens, output_dim)``.
    """
    ids = torch.tensor(token_ids(text), dtype=torch.long)
    if ids.numel() == 0:
        raise ValueError("text must contain at least one token, got an empty string")
    torch.manual_seed(seed)
    embedding = TextEmbedding(output_dim, context_length)
    with torch.no_grad():
        embeddings = embedding(ids)
    return ids, embeddings
