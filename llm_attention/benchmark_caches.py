"""Beyond the chapter: measure every KV cache in a GPT model (``benchmarks --caches``).

``python -m llm_attention.benchmarks --caches --out DIR`` builds
[`GPTModel`][llm_attention.beyond_gpt.GPTModel] in the GPT-2-small shape (12 layers,
12 heads, 768 dimensions, vocabulary 50257, float32, batch 1, random weights)
once for every attention variant and context length, in one session so that the
ratios are comparable, and records:

- **cache bytes**: ``model.cache_nbytes()`` after ``L`` tokens, the sum of every
  layer's [`cache_nbytes`][llm_attention.beyond_kv_cache.CacheProtocol.cache_nbytes], next to what
  [`kv_cache_bytes`][llm_attention.kv_cache_bytes] predicts for the same model;
- **tokens per second** of cached decoding near ``L``: the model is prefilled with
  ``L - decode_tokens`` tokens (in chunks of ``prefill_chunk``, through the cache),
  then ``decode_tokens`` single-token steps are timed and the median step is
  reported;
- **peak memory** at the largest ``L``, in a child process per variant: the peak
  resident set size (``VmHWM``) during prefill and decoding, next to the resident
  size with the model built and no cache (so the difference is the cache plus the
  activations of a prefill chunk).

The variants (``CACHE_VARIANTS``) are multi-head attention, grouped-query
attention with 4 groups and with 1 (multi-query), multi-head latent attention with
two latent sizes, sliding-window attention with two windows, and a Gemma-style
stack in which every ``global_every``-th layer is global and the others slide.

The results go to ``caches.json`` and ``caches.md``; the site's pages render them
with the table and chart functions of this module, so the numbers on the pages
are the ones this tool wrote.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import torch
from torch import nn

from llm_attention._bench_common import child_env
from llm_attention._bench_common import log as _log
from llm_attention._bench_common import status_kib as _status_kib
from llm_attention._bench_common import sync as _sync
from llm_attention.beyond_gpt import GPTModel
from llm_attention.beyond_gqa import GroupedQueryAttention, kv_cache_bytes
from llm_attention.beyond_kv_cache import KVCacheMultiHeadAttention
from llm_attention.beyond_mla import MultiHeadLatentAttention
from llm_attention.beyond_sliding_window import SlidingWindowAttention

__all__ = [
    "CACHE_VARIANTS",
    "QUICK_CACHE_CONFIG",
    "RESULTS_PATH",
    "CacheBenchConfig",
    "cache_bytes_table",
    "cache_curve_svg",
    "comparison_table",
    "decode_table",
    "label",
    "load_results",
    "machine_line",
    "run_cache_benchmarks",
    "to_markdown",
]

#: The variants, in table order.
CACHE_VARIANTS = ("mha", "gqa4", "mqa", "mla_large", "mla_small", "swa_small", "swa_large", "gemma")
#: Where the site reads the committed results from (relative to the repository root).
RESULTS_PATH = Path("docs/assets/benchmarks/caches.json")
_MIB = 2**20


@dataclass(frozen=True)
class CacheBenchConfig:
    """Model shape, variants and repetitions of one cache benchmark run."""

    vocab_size: int = 50257
    emb_dim: int = 768
    n_heads: int = 12
    n_layers: int = 12
    batch_size: int = 1
    context_lengths: tuple[int, ...] = (256, 512, 1024, 2048)
    num_kv_groups: int = 4
    latent_large: int = 256
    latent_small: int = 128
    window_small: int = 128
    window_large: int = 512
    global_every: int = 6
    decode_tokens: int = 16
    prefill_chunk: int = 128
    memory: bool = True
    device: str = "cpu"


QUICK_CACHE_CONFIG = CacheBenchConfig(
    vocab_size=97,
    emb_dim=32,
    n_heads=4,
    n_layers=2,
    context_lengths=(16, 32),
    num_kv_groups=2,
    latent_large=16,
    latent_small=8,
    window_small=8,
    window_large=16,
    global_every=2,
    decode_tokens=4,
    prefill_chunk=8,
)


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
        "mla_large": {
            "latent_dim": cfg.latent_large,
            "factory": mla(cfg.latent_large),
        },
        "mla_small": {
            "latent_dim": cfg.latent_small,
            "factory": mla(cfg.latent_small),
        },
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
    """Cache bytes after ``context_length`` tokens and the median decoding step near it."""
    model = _build(cfg, spec, context_length)
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, cfg.vocab_size, (cfg.batch_size, context_length), generator=generator)
    ids = ids.to(cfg.device)
    prompt_len = context_length - cfg.decode_tokens
    steps: list[float] = []
    with torch.inference_mode():
        _prefill(model, ids[:, :prompt_len], cfg.prefill_chunk)
        for position in range(prompt_len, context_length):
            _sync(cfg.device)
            start = time.perf_counter()
            model(ids[:, position : position + 1], use_cache=True)
            _sync(cfg.device)
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


def _probe_peak(cfg: CacheBenchConfig, key: str) -> dict[str, int]:
    """In a child process: RSS with the model built, and the peak during prefill and decoding."""
    spec = _variants(cfg)[key]
    context_length = max(cfg.context_lengths)
    model = _build(cfg, spec, context_length)
    ids = torch.randint(0, cfg.vocab_size, (cfg.batch_size, context_length))
    with torch.inference_mode():
        model(ids[:, :1], use_cache=True)  # warm-up: lazy initialisation, first allocations
        model.reset_cache()
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")  # reset VmHWM to the current VmRSS
    before = _status_kib("VmRSS") * 1024
    with torch.inference_mode():
        _prefill(model, ids[:, : context_length - cfg.decode_tokens], cfg.prefill_chunk)
        for position in range(context_length - cfg.decode_tokens, context_length):
            model(ids[:, position : position + 1], use_cache=True)
    return {
        "rss_before_bytes": before,
        "peak_rss_bytes": _status_kib("VmHWM") * 1024,
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
    if not os.path.exists("/proc/self/clear_refs"):
        return {"method": "unavailable: needs Linux /proc/self/clear_refs", "rows": None}
    env = child_env(MALLOC_MMAP_THRESHOLD_="65536")
    rows: dict[str, Any] = {}
    for key in CACHE_VARIANTS:
        _log(f"caches: peak memory, {key}")
        proc = subprocess.run(
            [sys.executable, "-m", "llm_attention.benchmarks", "--cache-probe", key],
            input=json.dumps(asdict(cfg)),
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if proc.returncode != 0:
            return {"method": method, "rows": None, "error": proc.stderr[-2000:]}
        rows[key] = json.loads(proc.stdout)
    return {"method": method, "context_length": max(cfg.context_lengths), "rows": rows}


def cache_probe_main(key: str) -> int:
    """Entry point of the peak-memory child process (configuration on stdin)."""
    values = json.load(sys.stdin)
    values["context_lengths"] = tuple(values["context_lengths"])
    print(json.dumps(_probe_peak(CacheBenchConfig(**values), key)))
    return 0


def run_cache_benchmarks(cfg: CacheBenchConfig, machine: dict[str, Any]) -> dict[str, Any]:
    """Measure every variant at every context length; return every number for ``json.dump``."""
    specs = _variants(cfg)
    rows: dict[str, list[dict[str, Any]]] = {key: [] for key in CACHE_VARIANTS}
    for context_length in cfg.context_lengths:
        for key in CACHE_VARIANTS:  # round-robin: a burst of load hits every variant alike
            _log(f"caches: L = {context_length}, {key}")
            rows[key].append(_measure_point(cfg, specs[key], context_length))
    variants = {}
    for key in CACHE_VARIANTS:
        spec = specs[key]
        info = {k: v for k, v in spec.items() if not k.endswith("factory")}
        info["label"] = _label_of(key, info, "en")
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


# ---------------------------------------------------------------- rendering (CLI and pages)

_TEXT = {
    "en": {
        "context": "context length $L$",
        "tokens": "tokens",
        "cache_mib": "KV cache, MiB (measured)",
        "tok_s": "tokens/s",
        "variant": "variant",
        "formula": "bytes per token per layer: formula",
        "measured": "measured",
        "cache_at": "cache at $L$ = {L:,}",
        "peak": "peak memory over the weights",
        "speed_at": "tokens/s at $L$ = {L:,}",
        "gives_up": "what the model gives up",
        "all_equal": "Every measured value equals `kv_cache_bytes` for the same model: {ok}.",
        "per_token_note": (
            "Per token and layer, averaged over all layers at the largest $L$; for the "
            "sliding window and the Gemma-style stack it falls as $L$ grows past the window."
        ),
        "chart_title": "KV-cache memory of the whole model against context length",
        "x_axis": "context length (tokens)",
        "y_axis": "MiB",
        "caption": (
            "*{n_layers} layers, {n_heads} heads, {emb_dim} dimensions (12, 12 and 768 are "
            "GPT-2 small), batch {batch}, float32, random weights; median of {steps} cached "
            "decoding steps; "
            "{processor}, torch {torch}, device `{device}`, {threads} thread(s), {date}.*"
        ),
    },
    "zh": {
        "context": "上下文长度 $L$",
        "tokens": "词元",
        "cache_mib": "KV 缓存，MiB（实测）",
        "tok_s": "词元/秒",
        "variant": "变体",
        "formula": "每词元每层字节数：公式",
        "measured": "实测",
        "cache_at": "$L$ = {L:,} 时的缓存",
        "peak": "峰值内存（权重之外）",
        "speed_at": "$L$ = {L:,} 时的词元/秒",
        "gives_up": "模型付出的代价",
        "all_equal": "每个实测值都等于同一模型的 `kv_cache_bytes`：{ok}。",
        "per_token_note": (
            "每词元每层的实测值按最大的 $L$ 对所有层求平均；滑动窗口和 Gemma 式堆叠在 "
            "$L$ 超过窗口后，这个平均值会随 $L$ 增大而下降。"
        ),
        "chart_title": "整个模型的 KV 缓存随上下文长度的变化",
        "x_axis": "上下文长度（词元）",
        "y_axis": "MiB",
        "caption": (
            "*{n_layers} 层，{n_heads} 个头，{emb_dim} 维（12、12、768 即 GPT-2 small），"
            "批量 {batch}，float32，随机权重；取 {steps} 个带缓存解码步的中位数；"
            "{processor}，torch {torch}，设备 `{device}`，{threads} 个线程，{date}。*"
        ),
    },
}


def _t(lang: str) -> dict[str, str]:
    if lang not in _TEXT:
        raise ValueError(f"lang must be one of {sorted(_TEXT)}, got {lang!r}")
    return _TEXT[lang]


def _check_keys(results: dict[str, Any], keys: Sequence[str]) -> list[str]:
    unknown = [key for key in keys if key not in results["variants"]]
    if unknown:
        raise ValueError(
            f"unknown variant(s) {unknown}; the results have {list(results['variants'])}"
        )
    return list(keys)


_LABELS = {
    "en": {
        "mha": "MHA",
        "gqa4": "GQA ({num_kv_heads} groups)",
        "mqa": "MQA (1 group)",
        "mla": "MLA (latent {latent_dim})",
        "swa": "SWA (window {window})",
        "gemma": "Gemma-style ({local} local : 1 global, window {window})",
    },
    "zh": {
        "mha": "MHA",
        "gqa4": "GQA（{num_kv_heads} 组）",
        "mqa": "MQA（1 组）",
        "mla": "MLA（潜在向量 {latent_dim} 维）",
        "swa": "SWA（窗口 {window}）",
        "gemma": "Gemma 式（{local} 层局部 : 1 层全局，窗口 {window}）",
    },
}


def _label_of(key: str, info: dict[str, Any], lang: str) -> str:
    _t(lang)
    kind = key.split("_")[0]  # mla_large -> mla, swa_small -> swa
    local = info.get("global_every", 1) - 1
    return _LABELS[lang][kind].format(**info, local=local)


def label(results: dict[str, Any], key: str, lang: str = "en") -> str:
    """The variant's name in the page's language, with its size (groups, latent, window)."""
    return _label_of(key, results["variants"][key], lang)


def load_results(path: str | Path = RESULTS_PATH) -> dict[str, Any]:
    """The committed results (``caches.json``)."""
    with open(path, encoding="utf-8") as f:
        results: dict[str, Any] = json.load(f)
    return results


def _mib(size: float) -> str:
    return f"{size / _MIB:,.1f}"


def _per_length_table(
    results: dict[str, Any],
    keys: Sequence[str],
    lang: str,
    cell: Callable[[dict[str, Any]], str],
) -> list[str]:
    """Markdown rows: one per context length, one column per variant, ``cell(point)`` in each."""
    text, keys = _t(lang), _check_keys(results, keys)
    lines = [
        f"| {text['context']} | " + " | ".join(label(results, key, lang) for key in keys) + " |",
        "|---:|" + "---:|" * len(keys),
    ]
    for i, row in enumerate(results["rows"][keys[0]]):
        cells = [cell(results["rows"][key][i]) for key in keys]
        lines.append(f"| {row['context_length']:,} | " + " | ".join(cells) + " |")
    return lines


def cache_bytes_table(results: dict[str, Any], keys: Sequence[str], lang: str = "en") -> str:
    """Markdown: measured cache MiB per context length (rows) and variant (columns)."""
    lines = _per_length_table(results, keys, lang, lambda point: _mib(point["cache_nbytes"]))
    ok = all(
        point["cache_nbytes"] == point["formula_bytes"]
        for key in keys
        for point in results["rows"][key]
    )
    return "\n".join([*lines, "", _t(lang)["all_equal"].format(ok=ok)])


def decode_table(results: dict[str, Any], keys: Sequence[str], lang: str = "en") -> str:
    """Markdown: tokens per second of cached decoding per context length and variant."""
    return "\n".join(
        _per_length_table(results, keys, lang, lambda point: f"{point['tokens_per_s']:.1f}")
    )


def comparison_table(results: dict[str, Any], gives_up: dict[str, str], lang: str = "en") -> str:
    """Markdown: a row per variant (in ``gives_up``'s order), formula beside measurements."""
    text, keys = _t(lang), _check_keys(results, list(gives_up))
    largest = max(results["config"]["context_lengths"])
    peaks = (results.get("peak_memory") or {}).get("rows") or {}
    head = [
        text["variant"],
        text["formula"],
        text["measured"],
        text["cache_at"].format(L=largest),
        text["peak"],
        text["speed_at"].format(L=largest),
        text["gives_up"],
    ]
    lines = ["| " + " | ".join(head) + " |", "|---|---:|---:|---:|---:|---:|---|"]
    for key in keys:
        info, last = results["variants"][key], results["rows"][key][-1]
        peak = peaks.get(key)
        peak_text = (
            f"{_mib(peak['peak_rss_bytes'] - peak['rss_before_bytes'])} MiB" if peak else "n/a"
        )
        cells = [
            label(results, key, lang),
            f"{info['formula_bytes_per_token_per_layer']:,}",
            f"{info['measured_bytes_per_token_per_layer']:,.0f}",
            f"{_mib(last['cache_nbytes'])} MiB",
            peak_text,
            f"{last['tokens_per_s']:.1f}",
            gives_up[key],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join([*lines, "", text["per_token_note"]])


def machine_line(results: dict[str, Any], lang: str = "en") -> str:
    """An italic caption: model shape, machine, torch, threads and date of the run."""
    cfg, machine = results["config"], results["machine"]
    return _t(lang)["caption"].format(
        n_layers=cfg["n_layers"],
        n_heads=cfg["n_heads"],
        emb_dim=cfg["emb_dim"],
        batch=cfg["batch_size"],
        steps=cfg["decode_tokens"],
        processor=machine.get("processor") or machine.get("machine", ""),
        torch=machine["torch"],
        device=machine["device"],
        threads=machine.get("torch_threads", "?"),
        date=str(machine.get("date_utc", ""))[:10],
    )


# one colour and one dash pattern per line, so that lines differ without colour too
_STYLES = [
    ("#1f77b4", ""),
    ("#d95f02", "8 4"),
    ("#1b9e77", "2 3"),
    ("#c0392b", "10 3 2 3"),
    ("#7570b3", "4 4"),
    ("#8c6d31", "12 4"),
    ("#d6338a", "3 2"),
    ("#555555", "6 2 2 2"),
]


def cache_curve_svg(results: dict[str, Any], keys: Sequence[str], lang: str = "en") -> str:
    """An inline SVG line chart: measured cache MiB against context length, one line per variant.

    Text uses ``currentColor``, so the chart follows the page's light or dark scheme;
    each line also has its own dash pattern and a label at its end.
    """
    text, keys = _t(lang), _check_keys(results, keys)
    lengths = [row["context_length"] for row in results["rows"][keys[0]]]
    largest = max(row["cache_nbytes"] for key in keys for row in results["rows"][key]) / _MIB
    largest = float(largest) or 1.0
    names = [label(results, key, lang) for key in keys]
    # room on the right for the longest label (CJK characters are about twice as wide)
    label_w = max(sum(14 if ord(c) > 0x2E7F else 8 for c in name) for name in names)
    left, top, bottom, plot_w, plot_h = 64, 40, 48, 430, 312
    width, height = left + plot_w + 20 + label_w, top + plot_h + bottom

    def x_at(i: int) -> float:  # context lengths are spaced evenly (they double)
        return left + plot_w * i / max(len(lengths) - 1, 1)

    def y_at(mib: float) -> float:
        return float(top + plot_h * (1 - mib / largest))

    parts = [
        f'<text x="{left}" y="20" font-weight="bold">{escape(text["chart_title"])}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="currentColor"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="currentColor"/>',
    ]
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        y = y_at(largest * fraction)
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{largest * fraction:,.0f}</text>"
        )
    for i, length in enumerate(lengths):
        x = x_at(i)
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{length:,}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle">'
        f"{escape(text['x_axis'])}</text>"
    )
    parts.append(
        f'<text x="{left - 6}" y="{top - 14}" text-anchor="end">{escape(text["y_axis"])}</text>'
    )
    ends: list[tuple[float, str]] = []
    for n, key in enumerate(keys):
        colour, dash = _STYLES[n % len(_STYLES)]
        points = [
            (x_at(i), y_at(row["cache_nbytes"] / _MIB))
            for i, row in enumerate(results["rows"][key])
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"'
            f"{dash_attr}/>"
        )
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points]
        ends.append((points[-1][1], names[n]))
    # labels at the lines' ends, spread apart (at least `gap` pixels) within the plot
    gap = 16.0
    ends.sort()
    ys = [y for y, _ in ends]
    for i in range(1, len(ys)):
        ys[i] = max(ys[i], ys[i - 1] + gap)
    ys[-1] = min(ys[-1], top + plot_h)
    for i in range(len(ys) - 2, -1, -1):
        ys[i] = min(ys[i], ys[i + 1] - gap)
    for y, (_, name) in zip(ys, ends, strict=True):
        parts.append(f'<text x="{left + plot_w + 10}" y="{y + 4:.1f}">{escape(name)}</text>')
    description = "; ".join(
        f"{label(results, key, lang)}: "
        + ", ".join(_mib(row["cache_nbytes"]) for row in results["rows"][key])
        for key in keys
    )
    lengths_text = ", ".join(f"{length:,}" for length in lengths)
    summary = f"{text['chart_title']} ({lengths_text}), MiB: {description}"
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(summary, {chr(34): "&quot;"})}" '
            'class="cache-curve" font-family="sans-serif" font-size="14" fill="currentColor" '
            'style="max-width: 100%; height: auto">',
            f"<title>{escape(summary)}</title>",
            *parts,
            "</svg>",
        ]
    )


def to_markdown(results: dict[str, Any]) -> str:
    """Every table of a run, as the command line prints it."""
    keys = list(results["variants"])
    gives = {key: "" for key in keys}
    blocks = [
        "## KV-cache bytes (measured `cache_nbytes()`, whole model)",
        cache_bytes_table(results, keys),
        "## Cached decoding, tokens per second",
        decode_table(results, keys),
        "## Per variant",
        comparison_table(results, gives),
        "",
        machine_line(results),
        f"\nPeak memory: {results['peak_memory']['method']}",
    ]
    return "\n\n".join(blocks) + "\n"
