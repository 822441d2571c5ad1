"""Part 5 (``--caches``): every KV cache of the package, in a GPT-2-small-shaped model.

``python -m benchmarks --caches --out DIR`` builds
[`GPTModel`][llm_attention.beyond_gpt.GPTModel] in the GPT-2-small shape (12 layers, 12 heads,
768 dimensions, vocabulary 50257, float32, batch 1, random weights) once for every attention
variant and context length, in one session so that the ratios are comparable, and records:

- **cache bytes**: ``model.cache_nbytes()`` after ``L`` tokens, the sum of every layer's
  ``cache_nbytes()``, next to what ``kv_cache_bytes`` predicts for the same model;
- **tokens per second** of cached decoding near ``L``: the model is prefilled with
  ``L - decode_tokens`` tokens (in chunks of ``prefill_chunk``, through the cache), then
  ``decode_tokens`` single-token steps are timed and the median step is reported;
- **peak memory** at the largest ``L``, in a child process per variant (``--cache-probe``):
  the peak resident set size (``VmHWM``) during prefill and decoding, next to the resident
  size with the model built and no cache (so the difference is the cache plus the
  activations of a prefill chunk).

The variants (``CACHE_VARIANTS``) are multi-head attention, grouped-query attention with 4
groups and with 1 (multi-query), multi-head latent attention with two latent sizes,
sliding-window attention with two windows, and a Gemma-style stack in which every
``global_every``-th layer is global and the others slide. The results go to ``caches.json``;
``benchmarks.report.caches`` turns them into the tables and the chart of the CLI and the pages.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import torch
from torch import nn

from benchmarks.config import CacheBenchConfig
from benchmarks.machine import (
    RETURN_FREED_MEMORY,
    can_measure_peak_rss,
    log,
    peak_rss,
    reset_peak_rss,
    run_child,
)
from benchmarks.timing import sync
from llm_attention import (
    GroupedQueryAttention,
    KVCacheMultiHeadAttention,
    MultiHeadLatentAttention,
    SlidingWindowAttention,
    kv_cache_bytes,
)
from llm_attention.beyond_gpt import GPTModel

#: The variants, in table order.
CACHE_VARIANTS = ("mha", "gqa4", "mqa", "mla_large", "mla_small", "swa_small", "swa_large", "gemma")


def _variants(cfg: CacheBenchConfig) -> dict[str, dict[str, Any]]:
    """Cache parameters and per-layer factory (given the context length) of each variant."""
    d, h = cfg.emb_dim, cfg.n_heads

    def mha(ctx: int) -> nn.Module:
        return KVCacheMultiHeadAttention(d, d, ctx, 0.0, h)

    def gqa(groups: int) -> Callable[[int], nn.Module]:
        return lambda ctx: GroupedQueryAttention(d, d, ctx, 0.0, h, groups)

    def mla(latent: int) -> Callable[[int], nn.Module]:
        return lambda ctx: MultiHeadLatentAttention(d, d, ctx, 0.0, h, latent)

    def swa(window: int) -> Callable[[int], nn.Module]:
        return lambda ctx: SlidingWindowAttention(d, d, ctx, 0.0, h, window)

    g, every = cfg.num_kv_groups, cfg.global_every
    return {
        "mha": {"num_kv_heads": h, "factory": mha},
        "gqa4": {"num_kv_heads": g, "factory": gqa(g)},
        "mqa": {"num_kv_heads": 1, "factory": gqa(1)},
        "mla_large": {"latent_dim": cfg.latent_large, "factory": mla(cfg.latent_large)},
        "mla_small": {"latent_dim": cfg.latent_small, "factory": mla(cfg.latent_small)},
        "swa_small": {
            "num_kv_heads": h,
            "window": cfg.window_small,
            "factory": swa(cfg.window_small),
        },
        "swa_large": {
            "num_kv_heads": h,
            "window": cfg.window_large,
            "factory": swa(cfg.window_large),
        },
        "gemma": {
            "num_kv_heads": h,
            "window": cfg.window_large,
            "global_every": every,
            "factory": swa(cfg.window_large),
            "global_factory": mha,
        },
    }


def _is_global(layer: int, every: int) -> bool:
    return (layer + 1) % every == 0


def formula_bytes(cfg: CacheBenchConfig, spec: dict[str, Any], context_length: int) -> int:
    """What ``kv_cache_bytes`` predicts for the whole model of one variant, in float32."""
    common = {"batch_size": cfg.batch_size, "bytes_per_element": 4}
    head_dim = cfg.emb_dim // cfg.n_heads
    if "latent_dim" in spec:
        return kv_cache_bytes(
            num_layers=cfg.n_layers,
            context_length=context_length,
            latent_dim=spec["latent_dim"],
            **common,
        )
    kv = {"num_kv_heads": spec["num_kv_heads"], "head_dim": head_dim, **common}
    if "global_every" not in spec:
        kept = min(spec.get("window", context_length), context_length)
        return kv_cache_bytes(num_layers=cfg.n_layers, context_length=kept, **kv)
    n_global = sum(_is_global(layer, spec["global_every"]) for layer in range(cfg.n_layers))
    local = min(spec["window"], context_length)
    return kv_cache_bytes(
        num_layers=n_global, context_length=context_length, **kv
    ) + kv_cache_bytes(num_layers=cfg.n_layers - n_global, context_length=local, **kv)


def _build(cfg: CacheBenchConfig, spec: dict[str, Any], context_length: int) -> GPTModel:
    def attention(layer: int) -> nn.Module:
        if "global_every" in spec and _is_global(layer, spec["global_every"]):
            module: nn.Module = spec["global_factory"](context_length)
        else:
            module = spec["factory"](context_length)
        return module

    model_cfg = {
        "vocab_size": cfg.vocab_size,
        "context_length": context_length,
        "emb_dim": cfg.emb_dim,
        "n_heads": cfg.n_heads,
        "n_layers": cfg.n_layers,
        "drop_rate": 0.0,
        "qkv_bias": False,
    }
    torch.manual_seed(123)
    return GPTModel(model_cfg, attention).to(cfg.device).eval()


def _prefill(model: GPTModel, ids: torch.Tensor, chunk: int) -> None:
    for start in range(0, ids.shape[1], chunk):
        model(ids[:, start : start + chunk], use_cache=True)


def _measure_point(
    cfg: CacheBenchConfig, spec: dict[str, Any], context_length: int
) -> dict[str, Any]:
    """Cache bytes after ``context_length`` tokens and the median decoding step near it.

    Each step depends on the cache the step before left, so the steps are timed in order
    here rather than round-robin; the variants take turns one level up, per context length.
    """
    model = _build(cfg, spec, context_length)
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, cfg.vocab_size, (cfg.batch_size, context_length), generator=generator)
    ids = ids.to(cfg.device)
    prompt_len = context_length - cfg.decode_tokens
    steps: list[float] = []
    with torch.inference_mode():
        _prefill(model, ids[:, :prompt_len], cfg.prefill_chunk)
        for position in range(prompt_len, context_length):
            sync(cfg.device)
            start = time.perf_counter()
            model(ids[:, position : position + 1], use_cache=True)
            sync(cfg.device)
            steps.append(time.perf_counter() - start)
        measured = model.cache_nbytes()
    median = float(statistics.median(steps))
    return {
        "context_length": context_length,
        "cache_nbytes": measured,
        "formula_bytes": formula_bytes(cfg, spec, context_length),
        "step_times_s": steps,
        "median_step_s": median,
        "tokens_per_s": 1.0 / median,
    }


def probe_peak(cfg: CacheBenchConfig, key: str) -> dict[str, int]:
    """In a child process: RSS with the model built, and the peak during prefill and decoding."""
    spec = _variants(cfg)[key]
    context_length = max(cfg.context_lengths)
    model = _build(cfg, spec, context_length)
    ids = torch.randint(0, cfg.vocab_size, (cfg.batch_size, context_length))
    with torch.inference_mode():
        model(ids[:, :1], use_cache=True)  # warm-up: lazy initialisation, first allocations
        model.reset_cache()
    before = reset_peak_rss()
    with torch.inference_mode():
        _prefill(model, ids[:, : context_length - cfg.decode_tokens], cfg.prefill_chunk)
        for position in range(context_length - cfg.decode_tokens, context_length):
            model(ids[:, position : position + 1], use_cache=True)
    return {
        "rss_before_bytes": before,
        "peak_rss_bytes": peak_rss(),
        "cache_nbytes": model.cache_nbytes(),
        "weights_bytes": sum(p.nelement() * p.element_size() for p in model.parameters()),
    }


def _measure_peaks(cfg: CacheBenchConfig) -> dict[str, Any]:
    method = (
        "child process per variant: peak resident set size (VmHWM, reset via "
        "/proc/self/clear_refs after the model is built) during prefill and decoding, "
        "MALLOC_MMAP_THRESHOLD_=65536"
    )
    if not cfg.memory:
        return {"method": "skipped (--no-memory)", "rows": None}
    if cfg.device != "cpu":
        return {"method": "skipped: the RSS probe measures CPU memory only", "rows": None}
    if not can_measure_peak_rss():
        return {"method": "unavailable: needs Linux /proc/self/clear_refs", "rows": None}
    env = dict(os.environ, **RETURN_FREED_MEMORY)
    rows: dict[str, Any] = {}
    for key in CACHE_VARIANTS:
        log(f"caches: peak memory, {key}")
        proc = run_child(["--cache-probe", key], env=env, stdin=json.dumps(asdict(cfg)))
        if proc.returncode != 0:
            return {"method": method, "rows": None, "error": proc.stderr[-2000:]}
        rows[key] = json.loads(proc.stdout)
    return {"method": method, "context_length": max(cfg.context_lengths), "rows": rows}


def run_cache_benchmarks(cfg: CacheBenchConfig, machine: dict[str, Any]) -> dict[str, Any]:
    """Measure every variant at every context length; return every number for ``json.dump``.

    The variants' ``label`` (their English names) is added by the command line, from
    ``benchmarks.report.caches``.
    """
    specs = _variants(cfg)
    rows: dict[str, list[dict[str, Any]]] = {key: [] for key in CACHE_VARIANTS}
    for context_length in cfg.context_lengths:
        for key in CACHE_VARIANTS:  # round-robin: a burst of load hits every variant alike
            log(f"caches: L = {context_length}, {key}")
            rows[key].append(_measure_point(cfg, specs[key], context_length))
    variants = {}
    for key in CACHE_VARIANTS:
        spec = specs[key]
        info = {k: v for k, v in spec.items() if not k.endswith("factory")}
        largest = rows[key][-1]
        # one token, one layer, one sequence
        per_token_layer = formula_bytes(cfg, spec, 1) // (cfg.n_layers * cfg.batch_size)
        info["formula_bytes_per_token_per_layer"] = per_token_layer
        info["measured_bytes_per_token_per_layer"] = largest["cache_nbytes"] / (
            largest["context_length"] * cfg.n_layers * cfg.batch_size
        )
        variants[key] = info
    return {
        "machine": machine,
        "config": asdict(cfg) | {"head_dim": cfg.emb_dim // cfg.n_heads, "dtype": "float32"},
        "variants": variants,
        "rows": rows,
        "peak_memory": _measure_peaks(cfg),
    }
