"""Part 2: one decoding step with the KV cache against recomputing the sequence.

For every sequence length ``L`` of ``BenchmarkConfig.seq_lens``, one
``KVCacheMultiHeadAttention`` in ``eval()`` mode under ``no_grad``: the cached step feeds one
token after a cached prompt of ``L - 1`` tokens (the prompt is re-cached before every run,
untimed); the recomputation is a full forward pass over all ``L`` tokens without the cache,
which is what generation without a cache does for every new token.
"""

from __future__ import annotations

import functools
from typing import Any

import torch

from benchmarks.config import BenchmarkConfig
from benchmarks.machine import log
from benchmarks.timing import Case, round_robin, summary
from llm_attention import KVCacheMultiHeadAttention

#: The two ways of producing the next token's context vector.
DECODE_VARIANTS = ("cached step", "recompute")


def bench_decode(cfg: BenchmarkConfig) -> list[dict[str, Any]]:
    """Part 2: one cached decoding step against a full forward pass, per sequence length."""
    d, device = cfg.d_model, torch.device(cfg.device)
    torch.manual_seed(0)
    model = KVCacheMultiHeadAttention(d, d, max(cfg.seq_lens), 0.0, cfg.num_heads).to(device)
    model.eval()
    rows = []
    for seq_len in cfg.seq_lens:
        log(f"part 2: seq_len {seq_len}")
        x = torch.randn(cfg.batch_size, seq_len, d).to(device)
        prompt, new_token = x[:, :-1], x[:, -1:]

        def cache_prompt(prompt: torch.Tensor = prompt) -> None:
            model.reset_cache()
            model(prompt, use_cache=True)

        cases = {
            "cached step": Case(
                run=functools.partial(model, new_token, use_cache=True),
                setup=cache_prompt,
            ),
            "recompute": Case(run=functools.partial(model, x)),
        }
        with torch.no_grad():
            cache_prompt()
            step_diff = (model(new_token, use_cache=True) - model(x)[:, -1:]).abs().max().item()
            runs = round_robin(cases, repeats=cfg.repeats, warmup=cfg.warmup, device=cfg.device)
        model.reset_cache()
        cached, recompute = (summary(runs[name]["times_s"]) for name in DECODE_VARIANTS)
        rows.append(
            {
                "seq_len": seq_len,
                "cached step": cached,
                "recompute": recompute,
                "speedup": recompute["median_s"] / cached["median_s"],
                "max_abs_diff": step_diff,
            }
        )
    return rows
