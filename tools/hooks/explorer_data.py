"""MkDocs hook: the numbers the attention explorer needs, exported from the package.

The explorer (docs/assets/explorer.js, on the pages explorer.md and explorer.zh.md) computes
attention in the browser from ``assets/explorer/data.json``, which this hook writes once every
language is built (``i18n_order.py``). Each number in it comes from ``llm_attention`` and torch,
drawn the way the Python code the explorer shows draws it, so the code reproduces the view:

- ``sentences``: the book's six tokens (``example_inputs()``) and a few real sentences,
  tokenized with GPT-2's encoding and embedded with ``embed_text(text, output_dim=3)``;
- ``weights``: W_q, W_k, W_v of ``SelfAttention_v1`` (seed 123) and ``SelfAttention_v2``
  (seed 789), as ``(d_in, d_out)`` matrices, so that ``queries = x @ W_query``;
- ``heads``: the heads of ``MultiHeadAttentionWrapper`` (seed 123) for 1 to 3 heads;
- ``mha``: ``MultiHeadAttention(d_in=3, d_out=4)`` (seed 123): its W_query, W_key, W_value
  as ``(d_in, d_out)`` matrices and ``out_proj`` as ``(d_out, d_out)`` plus its bias, so that
  ``output = merged @ W_out + b_out``. Its weights do not depend on ``num_heads`` (the same
  four ``nn.Linear`` layers are drawn in the same order), so one set serves 1, 2 and 4 heads;
- ``dropout``: which weights ``torch.nn.Dropout(p)`` keeps after ``torch.manual_seed(123)``,
  for every rate offered and every sentence length (the browser cannot replay torch's
  random numbers, so it uses torch's own draws);
- ``dk``: a query and six keys of ``torch.randn`` (seed 123) for each d_k of the scaling demo.

Run ``python tools/hooks/explorer_data.py`` to print the JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import i18n_order
from mkdocs.plugins import event_priority

ROOT = Path(__file__).resolve().parents[2]

D_IN, D_OUT = 3, 2
MAX_HEADS = 3
# 3.6.2: the book's MultiHeadAttention has d_out = 2 and two heads, so each head is one column
# wide and its "division by sqrt(head_dim)" divides by 1. With d_out = 4 each of two heads is two
# columns wide, as each head of the wrapper in 3.6.1 is, and the split is visible.
MHA_D_OUT = 4
MHA_HEADS = (1, 2, 4)  # the divisors of MHA_D_OUT
DROPOUT_RATES = (0.1, 0.5)
DROPOUT_SEED = 123
DK_SEED = 123
DK_VALUES = tuple(2**k for k in range(10))  # 1 to 512
DK_KEYS = 6
# Short real sentences: GPT-2 splits some words into pieces ("Att" + "ention"), and "bank" and
# "it" are words whose meaning depends on the others.
SENTENCES = (
    "The cat sat on the mat",
    "Attention is all you need",
    "I saw the bank by the river",
)


def _num(v: float) -> float:
    """A float32 value with the digits that identify it (9 significant), not 17."""
    return float(f"{v:.9g}")


def _rows(t: Any) -> list[list[float]]:
    return [[_num(v) for v in row] for row in t.tolist()]


def explorer_data() -> dict[str, Any]:
    """Everything the explorer computes from, as plain lists of floats."""
    import torch

    import llm_attention as la

    sentences = [
        {
            "id": "book",
            "text": la.EXAMPLE_SENTENCE,
            "tokens": list(la.EXAMPLE_TOKENS),
            "embeddings": _rows(la.example_inputs()),
        }
    ]
    for i, text in enumerate(SENTENCES, start=1):
        ids, embeddings = la.embed_text(text, output_dim=D_IN)
        sentences.append(
            {
                "id": f"s{i}",
                "text": text,
                "ids": ids.tolist(),
                "tokens": la.token_strings(ids),
                "embeddings": _rows(embeddings),
            }
        )

    torch.manual_seed(123)
    v1 = la.SelfAttention_v1(D_IN, D_OUT)
    torch.manual_seed(789)
    v2 = la.SelfAttention_v2(D_IN, D_OUT)
    weights = {
        "v1": {
            "seed": 123,
            **{n: _rows(getattr(v1, n).detach()) for n in ("W_query", "W_key", "W_value")},
        },
        "v2": {
            "seed": 789,
            # nn.Linear stores (d_out, d_in) and computes x @ weight.T
            **{n: _rows(getattr(v2, n).weight.detach().T) for n in ("W_query", "W_key", "W_value")},
        },
    }

    heads = {}
    for num_heads in range(1, MAX_HEADS + 1):
        torch.manual_seed(123)
        wrapper = la.MultiHeadAttentionWrapper(D_IN, D_OUT, 6, 0.0, num_heads=num_heads)
        heads[str(num_heads)] = [
            {n: _rows(getattr(h, n).weight.detach().T) for n in ("W_query", "W_key", "W_value")}
            for h in wrapper.heads
        ]

    torch.manual_seed(123)
    mha = la.MultiHeadAttention(D_IN, MHA_D_OUT, 6, 0.0, num_heads=2)
    mha_weights = {
        "seed": 123,
        "d_out": MHA_D_OUT,
        "num_heads": list(MHA_HEADS),
        **{n: _rows(getattr(mha, n).weight.detach().T) for n in ("W_query", "W_key", "W_value")},
        "W_out": _rows(mha.out_proj.weight.detach().T),
        "b_out": [_num(v) for v in mha.out_proj.bias.detach().tolist()],
    }

    lengths = sorted({len(s["tokens"]) for s in sentences})
    keep: dict[str, dict[str, Any]] = {}
    for p in DROPOUT_RATES:
        keep[str(p)] = {}
        for n in lengths:
            torch.manual_seed(DROPOUT_SEED)
            kept = torch.nn.Dropout(p)(torch.ones(n, n)) != 0
            keep[str(p)][str(n)] = [[int(v) for v in row] for row in kept.tolist()]

    dk = {}
    for d_k in DK_VALUES:
        torch.manual_seed(DK_SEED)
        q, k = torch.randn(d_k), torch.randn(DK_KEYS, d_k)
        dk[str(d_k)] = {"q": [_num(v) for v in q.tolist()], "K": _rows(k)}

    return {
        "package": la.__version__,
        "torch": torch.__version__,
        "d_in": D_IN,
        "d_out": D_OUT,
        "sentences": sentences,
        "weights": weights,
        "heads": heads,
        "mha": mha_weights,
        "dropout": {"seed": DROPOUT_SEED, "rates": list(DROPOUT_RATES), "keep": keep},
        "dk": {"seed": DK_SEED, "values": list(DK_VALUES), "num_keys": DK_KEYS, "draws": dk},
    }


def write(site_dir: Path) -> Path:
    target = site_dir / "assets" / "explorer" / "data.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(explorer_data(), separators=(",", ":")), encoding="utf-8")
    return target


@event_priority(i18n_order.AFTER_EVERY_LANGUAGE)
def on_post_build(config: Any) -> None:
    # both languages' pages load the one file at the site's root: write it once
    if i18n_order.site_is_complete(config):
        write(Path(config["site_dir"]))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    json.dump(explorer_data(), sys.stdout, indent=1)
