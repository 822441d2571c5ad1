"""Beyond the chapter: time and size the attention variants on this machine.

Run ``python -m llm_attention.benchmarks --help``. One run measures four things
and prints them as markdown tables; with ``--out DIR`` it also writes
``benchmarks.md``, ``benchmarks.json`` (every raw timing plus machine
information) and ``benchmarks.svg`` (bar charts, written as plain SVG text).

1. One attention layer, forward and forward+backward (default: ``b=2``,
   ``num_tokens=1024``, ``d_in = d_out = 768``, ``num_heads=12``, dropout 0,
   float32), for six implementations of the same causal multi-head attention:

   - ``MultiHeadAttentionWrapper`` (3.6.1), with ``d_out = 768 // 12`` per head
     so that the output width matches; it has no ``out_proj``;
   - ``MultiHeadAttention``, the package's 3.6.2 class (input checks included);
   - ``book code, transcribed``: the book's 3.6.2 code as printed (float mask
     turned ``.bool()`` on every call, in-place ``masked_fill_``), no checks;
   - ``SDPAMultiHeadAttention`` (``llm_attention.beyond_sdpa``);
   - ``torch.nn.MultiheadAttention`` (``batch_first=True``, called with
     ``need_weights=False``, the boolean causal ``attn_mask`` and
     ``is_causal=True``). In ``eval()`` mode under ``no_grad`` PyTorch takes its
     fused inference fast path, which turns the mask into an additive float
     mask and does not use the ``is_causal`` hint; with gradients it calls
     ``scaled_dot_product_attention(is_causal=True)``;
   - ``inline SDPA reference``: the same computation as
     ``SDPAMultiHeadAttention`` written as bare functional code with no module
     and no checks: three ``F.linear`` projections, ``view``/``transpose`` into
     heads, ``F.scaled_dot_product_attention(is_causal=True)``,
     ``transpose``/``reshape`` and the ``F.linear`` output projection, using the
     same weights. The gap between it and ``SDPAMultiHeadAttention`` is the cost
     of the module (``nn.Module`` calls, input checks).

   Forward runs in ``eval()`` mode under ``torch.no_grad()``; forward+backward
   in ``train()`` mode (dropout is 0, so the outputs are the same), with an
   input that requires grad and ``backward`` of a fixed random gradient;
   parameter gradients are reset to ``None`` before each run, outside the
   timed region. All variants except the wrapper share one set of weights, and
   their outputs are checked against ``MultiHeadAttention`` before timing.

2. One decoding step with the KV cache against recomputing the sequence, for
   several sequence lengths ``L`` (default 128, 256, 512, 1024), with one
   [`KVCacheMultiHeadAttention`][llm_attention.KVCacheMultiHeadAttention] in ``eval()`` mode under
   ``no_grad``: the cached step feeds one token after a cached prompt of
   ``L - 1`` tokens (the prompt is re-cached before every run, untimed); the
   recomputation is a full forward pass over all ``L`` tokens without the
   cache, which is what generation without a cache does for every new token.

3. KV-cache memory of multi-head, grouped-query and sliding-window attention
   for a GPT-2-small-like and a Mistral-7B-like shape, from
   [`kv_cache_bytes`][llm_attention.kv_cache_bytes] (arithmetic, not a measurement).

4. Why ``MultiHeadAttentionWrapper`` is faster than ``MultiHeadAttention`` on a
   CPU (CPU only; skipped with ``--no-wrapper-vs-mha``). Two child processes, one
   with glibc's default allocator settings and one with ``MALLOC_MMAP_MAX_=0``
   and a huge ``MALLOC_TRIM_THRESHOLD_`` (``NO_MMAP_ENV``: freed memory is
   kept and reused instead of being mapped afresh from the kernel), each measure,
   counting the process's minor page faults (``getrusage``) alongside the time,
   the following. There are ``wrapper_rounds`` child processes per setting,
   alternating between the settings, and the medians are over all of them:

   - the page faults of allocating and filling one fresh float32 tensor, for
     several sizes (``alloc_sizes_mib``), after warm-up;
   - every step of both forward passes at the part 1 sizes (projections, QK^T,
     mask, scale, softmax, AV, merging the heads, ``out_proj``), in ``eval()``
     mode under ``no_grad``, written out step by step with the modules' own
     weights and checked against the modules' outputs;
   - both modules as they are, forward and forward+backward;
   - both modules' forward at other ``(num_tokens, num_heads)`` pairs
     (``wrapper_sweep``, with ``d_model`` fixed), so that the per-head
     ``(b, num_tokens, num_tokens)`` and the all-heads
     ``(b, num_heads, num_tokens, num_tokens)`` score tensors cross the sizes
     of the CPU caches and of the allocator's threshold.

   The JSON also keeps the CPU's cache sizes (from ``/sys``) and the load
   average before and after.

5. With ``--caches`` (instead of parts 1 to 4): every KV cache of the package in a
   GPT-2-small-shaped [`GPTModel`][llm_attention.beyond_gpt.GPTModel], written to
   ``caches.md`` and ``caches.json``; ``llm_attention.benchmark_caches`` says what
   it measures and how.

Timing: ``--warmup`` untimed runs, then ``--repeats`` timed runs with
``time.perf_counter`` (after ``torch.cuda.synchronize`` on CUDA). The variants
are timed round-robin (one run of each, then the next round), so that a burst
of load on a shared machine hits all of them alike; the tables report the
median, and the JSON keeps every run. PyTorch uses its default number of
threads (``--threads`` changes it; ``--quick`` uses one).

Peak memory: on CUDA, ``torch.cuda.max_memory_allocated`` minus the memory
allocated before the run. On CPU, PyTorch keeps no allocation statistics, and
``tracemalloc`` does not see its allocations, so a child process measures the
operating system's view instead: the peak resident set size (``VmHWM`` in
``/proc/self/status``, reset through ``/proc/self/clear_refs`` before each
run) minus the resident size just before the run, after one warm-up run of the
same variant. The child runs with ``MALLOC_MMAP_THRESHOLD_=65536`` so that
glibc returns every freed block over 64 KiB to the system at once, instead of
keeping it for the next variant. The figure includes everything the run
touches: the output, the intermediates, for forward+backward the gradients,
and any scratch memory of the kernels; it is page-granular and Linux-only.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import torch
from torch import nn
from torch.nn.functional import linear, scaled_dot_product_attention

from llm_attention._bench_common import child_env, machine_info
from llm_attention._bench_common import log as _log
from llm_attention._bench_common import status_kib as _status_kib
from llm_attention._bench_common import sync as _sync
from llm_attention.benchmark_caches import (
    QUICK_CACHE_CONFIG,
    CacheBenchConfig,
    cache_probe_main,
    run_cache_benchmarks,
)
from llm_attention.benchmark_caches import to_markdown as caches_markdown
from llm_attention.beyond_gqa import compare_kv_cache_bytes
from llm_attention.beyond_kv_cache import KVCacheMultiHeadAttention
from llm_attention.beyond_sdpa import SDPAMultiHeadAttention
from llm_attention.ch3_5_causal_attention import CausalAttention, causal_mask
from llm_attention.ch3_6_multihead_attention import MultiHeadAttention, MultiHeadAttentionWrapper

__all__ = [
    "ATTENTION_VARIANTS",
    "DECODE_VARIANTS",
    "KV_CACHE_SHAPES",
    "NO_MMAP_ENV",
    "QUICK_CONFIG",
    "WRAPPER_STAGES",
    "BenchmarkConfig",
    "main",
    "run_benchmarks",
    "to_markdown",
    "to_svg",
]

#: The rows of part 1, in table order.
ATTENTION_VARIANTS = (
    "MultiHeadAttentionWrapper",
    "MultiHeadAttention",
    "book code, transcribed",
    "SDPAMultiHeadAttention",
    "torch.nn.MultiheadAttention",
    "inline SDPA reference",
)

#: The two ways of producing the next token's context vector in part 2.
DECODE_VARIANTS = ("cached step", "recompute")

#: Model shapes for part 3. GPT-2 has neither grouped-query nor sliding-window
#: attention; its ``num_kv_groups`` and ``window_size`` are illustrative and keep
#: the Mistral-like ratios (4 query heads per key/value head, half the context).
KV_CACHE_SHAPES: dict[str, dict[str, int]] = {
    "GPT-2 small": {
        "num_layers": 12,
        "num_heads": 12,
        "head_dim": 64,
        "context_length": 1024,
        "num_kv_groups": 3,
        "window_size": 512,
    },
    "Mistral-7B-like": {
        "num_layers": 32,
        "num_heads": 32,
        "head_dim": 128,
        "context_length": 8192,
        "num_kv_groups": 8,
        "window_size": 4096,
    },
}

_MODES = ("forward", "forward_backward")
_MIB = 2**20


@dataclass(frozen=True)
class BenchmarkConfig:
    """Sizes and repetitions of one benchmark run."""

    batch_size: int = 2
    num_tokens: int = 1024
    d_model: int = 768
    num_heads: int = 12
    seq_lens: tuple[int, ...] = (128, 256, 512, 1024)
    repeats: int = 10
    warmup: int = 2
    device: str = "cpu"
    memory: bool = True
    #: part 4: (num_tokens, num_heads) pairs at which the wrapper meets MultiHeadAttention
    wrapper_sweep: tuple[tuple[int, int], ...] = (
        (256, 12), (512, 12), (1024, 12), (2048, 12), (1024, 2), (1024, 3), (1024, 4), (1024, 6),
    )  # fmt: skip
    #: part 4: sizes of the tensors whose page faults are counted, in MiB
    alloc_sizes_mib: tuple[int, ...] = (2, 8, 16, 24, 31, 32, 33, 48, 96)
    #: part 4: child processes per allocator setting, alternating between the settings
    wrapper_rounds: int = 3
    wrapper_vs_mha: bool = True


QUICK_CONFIG = BenchmarkConfig(
    batch_size=1,
    num_tokens=32,
    d_model=32,
    num_heads=4,
    seq_lens=(8, 16, 32),
    repeats=3,
    warmup=1,
    wrapper_sweep=((16, 4), (32, 4), (32, 2)),
    alloc_sizes_mib=(1, 2),
    wrapper_rounds=1,
)


# ---------------------------------------------------------------- the variants


class _BookMultiHeadAttention(nn.Module):
    """The book's 3.6.2 ``MultiHeadAttention``, transcribed without any checks."""

    mask: torch.Tensor

    def __init__(
        self,
        d_in: int,
        d_out: int,
        context_length: int,
        dropout: float,
        num_heads: int,
        qkv_bias: bool = False,
    ) -> None:
        super().__init__()
        self.d_out = d_out
        self.num_heads = num_heads
        self.head_dim = d_out // num_heads
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer(
            "mask", torch.triu(torch.ones(context_length, context_length), diagonal=1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, num_tokens, _ = x.shape
        keys: torch.Tensor = self.W_key(x)
        queries: torch.Tensor = self.W_query(x)
        values: torch.Tensor = self.W_value(x)
        keys = keys.view(b, num_tokens, self.num_heads, self.head_dim)
        values = values.view(b, num_tokens, self.num_heads, self.head_dim)
        queries = queries.view(b, num_tokens, self.num_heads, self.head_dim)
        keys = keys.transpose(1, 2)
        queries = queries.transpose(1, 2)
        values = values.transpose(1, 2)
        attn_scores = queries @ keys.transpose(2, 3)
        mask_bool = self.mask.bool()[:num_tokens, :num_tokens]
        attn_scores.masked_fill_(mask_bool, -torch.inf)
        attn_weights = torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1)
        attn_weights = self.dropout(attn_weights)
        context_vec = (attn_weights @ values).transpose(1, 2)
        context_vec = context_vec.contiguous().view(b, num_tokens, self.d_out)
        output: torch.Tensor = self.out_proj(context_vec)
        return output


@dataclass
class _Variant:
    """A callable attention layer and the module holding its parameters."""

    fn: Callable[[torch.Tensor], torch.Tensor]
    module: nn.Module


def _attention_variants(cfg: BenchmarkConfig) -> dict[str, _Variant]:
    """Build the six implementations of part 1, all but the wrapper on one set of weights."""
    d, num_heads, n = cfg.d_model, cfg.num_heads, cfg.num_tokens
    torch.manual_seed(0)
    chapter = MultiHeadAttention(d, d, n, 0.0, num_heads)
    wrapper = MultiHeadAttentionWrapper(d, d // num_heads, n, 0.0, num_heads)
    weights = {k: v for k, v in chapter.state_dict().items() if k != "mask"}
    book = _BookMultiHeadAttention(d, d, n, 0.0, num_heads)
    book.load_state_dict(weights, strict=False)
    sdpa = SDPAMultiHeadAttention(d, d, n, 0.0, num_heads)
    sdpa.load_state_dict(chapter.state_dict())
    torch_mha = nn.MultiheadAttention(d, num_heads, dropout=0.0, bias=True, batch_first=True)
    with torch.no_grad():
        torch_mha.in_proj_weight.copy_(
            torch.cat([chapter.W_query.weight, chapter.W_key.weight, chapter.W_value.weight])
        )
        assert torch_mha.in_proj_bias is not None
        torch_mha.in_proj_bias.zero_()
        torch_mha.out_proj.weight.copy_(chapter.out_proj.weight)
        torch_mha.out_proj.bias.copy_(chapter.out_proj.bias)
    reference = copy.deepcopy(chapter)

    device = torch.device(cfg.device)
    for module in (chapter, wrapper, book, sdpa, torch_mha, reference):
        module.to(device)
    mask = causal_mask(n, device=device)

    def torch_fn(x: torch.Tensor) -> torch.Tensor:
        out, _ = torch_mha(x, x, x, attn_mask=mask, need_weights=False, is_causal=True)
        return out  # type: ignore[no-any-return]

    w_query, w_key, w_value = (
        reference.W_query.weight,
        reference.W_key.weight,
        reference.W_value.weight,
    )
    w_out, b_out = reference.out_proj.weight, reference.out_proj.bias
    head_dim = d // num_heads

    def reference_fn(x: torch.Tensor) -> torch.Tensor:
        b, num_tokens, _ = x.shape
        # (b, num_tokens, d_in) -> (b, num_tokens, d_out) -> (b, num_heads, num_tokens, head_dim)
        queries = linear(x, w_query).view(b, num_tokens, num_heads, head_dim).transpose(1, 2)
        keys = linear(x, w_key).view(b, num_tokens, num_heads, head_dim).transpose(1, 2)
        values = linear(x, w_value).view(b, num_tokens, num_heads, head_dim).transpose(1, 2)
        context_vec = scaled_dot_product_attention(queries, keys, values, is_causal=True)
        # (b, num_heads, num_tokens, head_dim) -> (b, num_tokens, d_out)
        context_vec = context_vec.transpose(1, 2).reshape(b, num_tokens, d)
        return linear(context_vec, w_out, b_out)

    return {
        "MultiHeadAttentionWrapper": _Variant(wrapper, wrapper),
        "MultiHeadAttention": _Variant(chapter, chapter),
        "book code, transcribed": _Variant(book, book),
        "SDPAMultiHeadAttention": _Variant(sdpa, sdpa),
        "torch.nn.MultiheadAttention": _Variant(torch_fn, torch_mha),
        "inline SDPA reference": _Variant(reference_fn, reference),
    }


@dataclass
class _Case:
    """One timed operation, with an untimed ``setup`` run before each repetition."""

    run: Callable[[], object]
    setup: Callable[[], object] | None = None


def _cases(variants: dict[str, _Variant], cfg: BenchmarkConfig, mode: str) -> dict[str, _Case]:
    """Forward (``eval``, to be run under ``no_grad``) or forward+backward (``train``) cases."""
    device = torch.device(cfg.device)
    generator = torch.Generator().manual_seed(1)
    shape = (cfg.batch_size, cfg.num_tokens, cfg.d_model)
    x = torch.randn(shape, generator=generator).to(device)
    cases: dict[str, _Case] = {}
    for name, variant in variants.items():
        if mode == "forward":
            variant.module.eval()
            cases[name] = _Case(run=functools.partial(variant.fn, x))
        else:
            variant.module.train()
            x_grad = x.clone().requires_grad_(True)
            grad_output = torch.randn(shape, generator=generator).to(device)

            def run(
                fn: Callable[[torch.Tensor], torch.Tensor] = variant.fn,
                x_grad: torch.Tensor = x_grad,
                grad_output: torch.Tensor = grad_output,
            ) -> None:
                torch.autograd.backward(fn(x_grad), grad_output)

            def setup(module: nn.Module = variant.module, x_grad: torch.Tensor = x_grad) -> None:
                module.zero_grad(set_to_none=True)
                x_grad.grad = None

            cases[name] = _Case(run=run, setup=setup)
    return cases


# ---------------------------------------------------------------- measuring


def _time_cases(
    cases: dict[str, _Case], *, repeats: int, warmup: int, device: str
) -> dict[str, list[float]]:
    """Seconds per run of each case: ``warmup`` untimed rounds, then ``repeats`` timed ones."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for round_index in range(warmup + repeats):
        for name, case in cases.items():
            if case.setup is not None:
                case.setup()
            _sync(device)
            start = time.perf_counter()
            case.run()
            _sync(device)
            elapsed = time.perf_counter() - start
            if round_index >= warmup:
                times[name].append(elapsed)
    return times


def _summary(times: list[float]) -> dict[str, Any]:
    return {
        "times_s": times,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
    }


def _add_ratios(rows: dict[str, dict[str, Any]]) -> None:
    fastest = min(row["median_s"] for row in rows.values())
    for row in rows.values():
        row["ratio_to_fastest"] = row["median_s"] / fastest


def _peak_bytes(case: _Case, device: str) -> int:
    """Extra memory at the peak of one run of ``case``, after one warm-up run."""
    for _ in range(2):  # warm-up (lazy initialisation, gradient buffers), then measure
        if case.setup is not None:
            case.setup()
        _sync(device)
        if device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
            before = torch.cuda.memory_allocated()
        else:
            with open("/proc/self/clear_refs", "w") as clear_refs:
                clear_refs.write("5")  # reset VmHWM to the current VmRSS
            before = _status_kib("VmRSS") * 1024
        case.run()
        _sync(device)
        if device.startswith("cuda"):
            peak = torch.cuda.max_memory_allocated()
        else:
            peak = _status_kib("VmHWM") * 1024
    return max(peak - before, 0)


def _probe_memory(cfg: BenchmarkConfig) -> dict[str, dict[str, int]]:
    """Peak extra bytes of every variant and mode (in this process)."""
    variants = _attention_variants(cfg)
    peaks: dict[str, dict[str, int]] = {name: {} for name in variants}
    for mode in _MODES:
        cases = _cases(variants, cfg, mode)
        with torch.set_grad_enabled(mode != "forward"):
            for name, case in cases.items():
                peaks[name][mode] = _peak_bytes(case, cfg.device)
    return peaks


def _config_args(cfg: BenchmarkConfig) -> list[str]:
    return [
        "--batch-size", str(cfg.batch_size),
        "--num-tokens", str(cfg.num_tokens),
        "--d-model", str(cfg.d_model),
        "--num-heads", str(cfg.num_heads),
        "--threads", str(torch.get_num_threads()),
    ]  # fmt: skip


def _measure_memory(cfg: BenchmarkConfig) -> dict[str, Any]:
    """Peak memory per variant and mode, with the method used, or the reason it is missing."""
    if not cfg.memory:
        return {"method": "skipped (--no-memory)", "peak_bytes": None}
    if cfg.device.startswith("cuda"):
        method = "torch.cuda.max_memory_allocated() minus memory_allocated() before the run"
        return {"method": method, "peak_bytes": _probe_memory(cfg)}
    if not os.path.exists("/proc/self/clear_refs"):
        return {"method": "unavailable: needs Linux /proc/self/clear_refs", "peak_bytes": None}
    env = child_env(MALLOC_MMAP_THRESHOLD_="65536")
    command = [sys.executable, "-m", "llm_attention.benchmarks", "--memory-probe"]
    proc = subprocess.run(
        command + _config_args(cfg), capture_output=True, text=True, env=env, check=False
    )
    method = (
        "child process: peak resident set size (VmHWM, reset via /proc/self/clear_refs) "
        "minus resident size before the run, MALLOC_MMAP_THRESHOLD_=65536"
    )
    if proc.returncode != 0:
        return {"method": method, "peak_bytes": None, "error": proc.stderr[-2000:]}
    return {"method": method, "peak_bytes": json.loads(proc.stdout)}


def _bench_attention(cfg: BenchmarkConfig) -> dict[str, Any]:
    """Part 1: time (and size) the six implementations."""
    variants = _attention_variants(cfg)
    # every variant with an out_proj computes the same function: check before timing
    x = torch.randn(cfg.batch_size, cfg.num_tokens, cfg.d_model).to(cfg.device)
    with torch.no_grad():
        for variant in variants.values():
            variant.module.eval()
        expected = variants["MultiHeadAttention"].fn(x)
        max_abs_diff = {
            name: (variant.fn(x) - expected).abs().max().item()
            for name, variant in variants.items()
            if name != "MultiHeadAttentionWrapper"
        }
    for name, diff in max_abs_diff.items():
        if diff > 1e-4:
            raise RuntimeError(f"{name} differs from MultiHeadAttention by {diff:.3g}")

    results: dict[str, Any] = {"max_abs_diff_vs_MultiHeadAttention": max_abs_diff}
    for mode in _MODES:
        _log(f"part 1: {mode.replace('_', '+')}")
        cases = _cases(variants, cfg, mode)
        with torch.set_grad_enabled(mode != "forward"):
            times = _time_cases(cases, repeats=cfg.repeats, warmup=cfg.warmup, device=cfg.device)
        rows = {name: _summary(t) for name, t in times.items()}
        _add_ratios(rows)
        results[mode] = rows
    _log("part 1: peak memory")
    results["memory"] = _measure_memory(cfg)
    return results


def _bench_decode(cfg: BenchmarkConfig) -> list[dict[str, Any]]:
    """Part 2: one cached decoding step against a full forward pass, per sequence length."""
    d, device = cfg.d_model, torch.device(cfg.device)
    torch.manual_seed(0)
    model = KVCacheMultiHeadAttention(d, d, max(cfg.seq_lens), 0.0, cfg.num_heads).to(device)
    model.eval()
    rows = []
    for seq_len in cfg.seq_lens:
        _log(f"part 2: seq_len {seq_len}")
        x = torch.randn(cfg.batch_size, seq_len, d).to(device)
        prompt, new_token = x[:, :-1], x[:, -1:]

        def cache_prompt(prompt: torch.Tensor = prompt) -> None:
            model.reset_cache()
            model(prompt, use_cache=True)

        cases = {
            "cached step": _Case(
                run=functools.partial(model, new_token, use_cache=True),
                setup=cache_prompt,
            ),
            "recompute": _Case(run=functools.partial(model, x)),
        }
        with torch.no_grad():
            cache_prompt()
            step_diff = (model(new_token, use_cache=True) - model(x)[:, -1:]).abs().max().item()
            times = _time_cases(cases, repeats=cfg.repeats, warmup=cfg.warmup, device=cfg.device)
        model.reset_cache()
        cached, recompute = _summary(times["cached step"]), _summary(times["recompute"])
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


def _kv_cache_rows() -> list[dict[str, Any]]:
    """Part 3: KV-cache bytes per shape and variant (batch 1, 16-bit floats)."""
    rows = []
    for shape_name, shape in KV_CACHE_SHAPES.items():
        sizes = compare_kv_cache_bytes(**shape, batch_size=1, bytes_per_element=2)
        for variant, size in sizes.items():
            rows.append(
                {
                    "shape": shape_name,
                    **shape,
                    "variant": variant,
                    "bytes": size,
                    "fraction_of_mha": size / sizes["MultiHeadAttention"],
                }
            )
    return rows


# ------------------------------------ part 4: why the wrapper beats MultiHeadAttention here

#: The steps of ``MultiHeadAttention.forward`` timed one by one in part 4, in order. The
#: wrapper has no "split into heads" and no ``out_proj``; its "merge heads" is ``torch.cat``.
WRAPPER_STAGES = (
    "projections",
    "split into heads",
    "QK^T",
    "mask (in place)",
    "scale",
    "softmax",
    "AV",
    "merge heads",
    "out_proj",
)

#: glibc's allocator settings of the second child process of part 4: never hand a block to
#: ``mmap``, never give freed memory back to the system, so that freed blocks are reused.
NO_MMAP_ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(2**40)}


def _minor_faults() -> int:
    """Minor page faults of this process so far (all threads), or -1 where unknown."""
    try:
        import resource
    except ImportError:  # Windows
        return -1
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)


class _StageClock:
    """Adds up time and minor page faults per stage: ``with clock("softmax"): ...``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.faults: dict[str, int] = {}

    @contextlib.contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        faults = _minor_faults()
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
        self.seconds[stage] = self.seconds.get(stage, 0.0) + elapsed
        self.faults[stage] = self.faults.get(stage, 0) + _minor_faults() - faults


def _mha_stages(mha: MultiHeadAttention, x: torch.Tensor, clock: _StageClock) -> torch.Tensor:
    """``MultiHeadAttention.forward`` in ``eval()`` mode (no dropout), one stage at a time."""
    b, num_tokens, _ = x.shape
    num_heads, head_dim = mha.num_heads, mha.head_dim
    mask: torch.Tensor = mha.mask  # type: ignore[assignment]
    with clock("projections"):
        keys, queries, values = mha.W_key(x), mha.W_query(x), mha.W_value(x)
    with clock("split into heads"):
        # (b, num_tokens, d_out) -> (b, num_heads, num_tokens, head_dim)
        keys = keys.view(b, num_tokens, num_heads, head_dim).transpose(1, 2)
        queries = queries.view(b, num_tokens, num_heads, head_dim).transpose(1, 2)
        values = values.view(b, num_tokens, num_heads, head_dim).transpose(1, 2)
    with clock("QK^T"):
        # (b, num_heads, num_tokens, num_tokens): one tensor for all heads
        attn_scores = queries @ keys.transpose(2, 3)
    with clock("mask (in place)"):
        attn_scores.masked_fill_(mask[:num_tokens, :num_tokens], -torch.inf)
    with clock("scale"):
        scaled = attn_scores / head_dim**0.5
    with clock("softmax"):
        attn_weights = torch.softmax(scaled, dim=-1)
    del scaled  # in the module a temporary, freed as soon as softmax returns
    with clock("AV"):
        context_vec = attn_weights @ values
    with clock("merge heads"):
        # (b, num_heads, num_tokens, head_dim) -> (b, num_tokens, d_out)
        context_vec = context_vec.transpose(1, 2).contiguous().view(b, num_tokens, mha.d_out)
    with clock("out_proj"):
        output: torch.Tensor = mha.out_proj(context_vec)
    return output


def _wrapper_stages(
    wrapper: MultiHeadAttentionWrapper, x: torch.Tensor, clock: _StageClock
) -> torch.Tensor:
    """``MultiHeadAttentionWrapper.forward`` in ``eval()`` mode, one stage at a time."""
    num_tokens = x.shape[1]
    outputs = []  # each head's weights are freed when the head returns
    for head in wrapper.heads:
        assert isinstance(head, CausalAttention)
        head_mask: torch.Tensor = head.mask  # type: ignore[assignment]
        with clock("projections"):
            keys, queries, values = head.W_key(x), head.W_query(x), head.W_value(x)
        with clock("QK^T"):
            # (b, num_tokens, num_tokens): one tensor per head
            attn_scores = queries @ keys.transpose(1, 2)
        with clock("mask (in place)"):
            attn_scores.masked_fill_(head_mask[:num_tokens, :num_tokens], -torch.inf)
        with clock("scale"):
            scaled = attn_scores / keys.shape[-1] ** 0.5
        with clock("softmax"):
            attn_weights = torch.softmax(scaled, dim=-1)
        del scaled
        with clock("AV"):
            outputs.append(attn_weights @ values)
        del attn_weights
    with clock("merge heads"):
        output = torch.cat(outputs, dim=-1)
    return output


def _pair(cfg: BenchmarkConfig, num_tokens: int, num_heads: int) -> dict[str, nn.Module]:
    """The wrapper and MultiHeadAttention at one size, in ``eval()`` mode."""
    d = cfg.d_model
    torch.manual_seed(0)
    return {
        "MultiHeadAttentionWrapper": MultiHeadAttentionWrapper(
            d, d // num_heads, num_tokens, 0.0, num_heads
        ).eval(),
        "MultiHeadAttention": MultiHeadAttention(d, d, num_tokens, 0.0, num_heads).eval(),
    }


def _time_with_faults(
    cases: dict[str, _Case], *, repeats: int, warmup: int
) -> dict[str, dict[str, Any]]:
    """Like ``_time_cases`` (round-robin), also counting minor page faults per run."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    faults: dict[str, list[int]] = {name: [] for name in cases}
    for round_index in range(warmup + repeats):
        for name, case in cases.items():
            if case.setup is not None:
                case.setup()
            before = _minor_faults()
            start = time.perf_counter()
            case.run()
            elapsed = time.perf_counter() - start
            if round_index >= warmup:
                times[name].append(elapsed)
                faults[name].append(_minor_faults() - before)
    return {name: {"times_s": times[name], "faults_runs": faults[name]} for name in cases}


def _probe_allocations(cfg: BenchmarkConfig) -> list[dict[str, Any]]:
    """Page faults and time of filling a fresh float32 tensor, per size (after warm-up)."""
    rows = []
    for size_mib in cfg.alloc_sizes_mib:
        numel = size_mib * _MIB // 4
        faults, seconds = [], []
        for round_index in range(3 + cfg.repeats):
            before = _minor_faults()
            start = time.perf_counter()
            torch.empty(numel).fill_(1.0)  # allocate, touch every page, free
            elapsed = time.perf_counter() - start
            if round_index >= 3:
                faults.append(_minor_faults() - before)
                seconds.append(elapsed)
        rows.append(
            {
                "size_mib": size_mib,
                "pages": size_mib * _MIB // os.sysconf("SC_PAGE_SIZE"),
                "times_s": seconds,
                "faults_runs": faults,
            }
        )
    return rows


def _probe_wrapper(cfg: BenchmarkConfig) -> dict[str, Any]:
    """Part 4 in this process: allocations, stages, whole modules and the size sweep."""
    result: dict[str, Any] = {"allocations": _probe_allocations(cfg)}
    x = torch.randn(cfg.batch_size, cfg.num_tokens, cfg.d_model)
    modules = _pair(cfg, cfg.num_tokens, cfg.num_heads)
    wrapper = modules["MultiHeadAttentionWrapper"]
    mha = modules["MultiHeadAttention"]
    assert isinstance(wrapper, MultiHeadAttentionWrapper) and isinstance(mha, MultiHeadAttention)

    # 1) every stage of both forward passes, round-robin, the staged code checked first
    staged: dict[str, Callable[[_StageClock], torch.Tensor]] = {
        "MultiHeadAttentionWrapper": functools.partial(_wrapper_stages, wrapper, x),
        "MultiHeadAttention": functools.partial(_mha_stages, mha, x),
    }
    clocks: dict[str, list[_StageClock]] = {name: [] for name in staged}
    with torch.no_grad():
        result["stages_max_abs_diff"] = {
            name: (run(_StageClock()) - modules[name](x)).abs().max().item()
            for name, run in staged.items()
        }
        for round_index in range(cfg.warmup + cfg.repeats):
            for name, run in staged.items():
                clock = _StageClock()
                run(clock)
                if round_index >= cfg.warmup:
                    clocks[name].append(clock)
    result["stages"] = {
        name: {
            stage: {
                "times_s": [c.seconds[stage] for c in runs],
                "faults_runs": [c.faults[stage] for c in runs],
            }
            for stage in WRAPPER_STAGES
            if stage in runs[0].seconds
        }
        for name, runs in clocks.items()
    }

    # 2) the two modules as they are, forward and forward+backward
    result["modules"] = {}
    for mode in _MODES:
        cases = _cases({k: _Variant(m, m) for k, m in modules.items()}, cfg, mode)
        with torch.set_grad_enabled(mode != "forward"):
            rows = _time_with_faults(cases, repeats=cfg.repeats, warmup=cfg.warmup)
        result["modules"][mode] = rows

    # 3) other sequence lengths and head counts, forward only
    result["sweep"] = []
    for num_tokens, num_heads in cfg.wrapper_sweep:
        _log(f"part 4: num_tokens {num_tokens}, num_heads {num_heads}")
        pair = _pair(cfg, num_tokens, num_heads)
        x_n = torch.randn(cfg.batch_size, num_tokens, cfg.d_model)
        cases = {name: _Case(run=functools.partial(m, x_n)) for name, m in pair.items()}
        with torch.no_grad():
            rows = _time_with_faults(cases, repeats=cfg.repeats, warmup=cfg.warmup)
        score_bytes = cfg.batch_size * num_tokens * num_tokens * 4  # float32
        result["sweep"].append(
            {
                "num_tokens": num_tokens,
                "num_heads": num_heads,
                "head_scores_bytes": score_bytes,
                "all_scores_bytes": score_bytes * num_heads,
                **rows,
            }
        )
    return result


def _merged(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """One summary of the samples of several child processes (``times_s``, ``faults_runs``)."""
    times = [t for sample in samples for t in sample["times_s"]]
    faults = [f for sample in samples for f in sample["faults_runs"]]
    return {**_summary(times), "minor_faults": statistics.median(faults), "faults_runs": faults}


def _merge_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Part 4's child results of one allocator setting, merged into medians over all rounds."""
    first = rounds[0]
    merged: dict[str, Any] = {
        "rounds": len(rounds),
        "stages_max_abs_diff": {
            name: max(r["stages_max_abs_diff"][name] for r in rounds)
            for name in first["stages_max_abs_diff"]
        },
        "allocations": [
            {
                "size_mib": row["size_mib"],
                "pages": row["pages"],
                **_merged([r["allocations"][i] for r in rounds]),
            }
            for i, row in enumerate(first["allocations"])
        ],
        "stages": {
            name: {stage: _merged([r["stages"][name][stage] for r in rounds]) for stage in steps}
            for name, steps in first["stages"].items()
        },
        "modules": {
            mode: {name: _merged([r["modules"][mode][name] for r in rounds]) for name in rows}
            for mode, rows in first["modules"].items()
        },
        "sweep": [],
    }
    for i, point in enumerate(first["sweep"]):
        row = {k: v for k, v in point.items() if not isinstance(v, dict)}
        for name in ("MultiHeadAttentionWrapper", "MultiHeadAttention"):
            row[name] = _merged([r["sweep"][i][name] for r in rounds])
        row["ratio"] = (
            row["MultiHeadAttention"]["median_s"] / row["MultiHeadAttentionWrapper"]["median_s"]
        )
        merged["sweep"].append(row)
    return merged


def _cpu_caches() -> list[dict[str, Any]]:
    """The caches of CPU 0 as Linux describes them, or an empty list."""
    caches = []
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            fields = {
                key: (index / key).read_text().strip()
                for key in ("level", "type", "size", "shared_cpu_list")
            }
        except OSError:
            continue
        caches.append(fields)
    return caches


def _bench_wrapper(cfg: BenchmarkConfig) -> dict[str, Any]:
    """Part 4: why ``MultiHeadAttentionWrapper`` is faster than ``MultiHeadAttention`` here."""
    if not cfg.wrapper_vs_mha:
        return {"skipped": "--no-wrapper-vs-mha"}
    if cfg.device != "cpu":
        return {"skipped": "CPU only: it counts the page faults of the CPU allocator"}
    if _minor_faults() < 0:
        return {"skipped": "needs the resource module (page-fault counts)"}
    libc = platform.libc_ver()
    result: dict[str, Any] = {
        "page_size": os.sysconf("SC_PAGE_SIZE"),
        "caches": _cpu_caches(),
        "libc": " ".join(filter(None, libc)),
        "load_before": list(os.getloadavg()),
        "runs": {},
    }
    other_cpu = _OtherCPU()
    settings = {"default allocator": {}, "no mmap": NO_MMAP_ENV}
    if libc[0] != "glibc":
        result["runs"]["no mmap"] = {"skipped": "the MALLOC_* variables are glibc's"}
        del settings["no mmap"]
    # the settings alternate, round by round, so that a slow spell of a shared
    # machine does not fall on one setting only
    rounds: dict[str, list[dict[str, Any]]] = {setting: [] for setting in settings}
    errors: dict[str, str] = {}
    for round_index in range(cfg.wrapper_rounds):
        for setting, extra_env in settings.items():
            if setting in errors:
                continue
            _log(f"part 4: child process {round_index + 1}/{cfg.wrapper_rounds}, {setting}")
            env = child_env(**extra_env)
            for key in NO_MMAP_ENV:
                if key not in extra_env:
                    env.pop(key, None)
            command = [sys.executable, "-m", "llm_attention.benchmarks", "--wrapper-probe"]
            command += ["--threads", str(torch.get_num_threads())]
            proc = subprocess.run(
                command,
                input=json.dumps(asdict(cfg)),
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            if proc.returncode != 0:
                errors[setting] = proc.stderr[-2000:]
            else:
                rounds[setting].append(json.loads(proc.stdout))
    for setting, extra_env in settings.items():
        if setting in errors:
            result["runs"][setting] = {"error": errors[setting]}
        else:
            result["runs"][setting] = {"env": extra_env, **_merge_rounds(rounds[setting])}
    order = ("default allocator", "no mmap")
    result["runs"] = {k: result["runs"][k] for k in order if k in result["runs"]}
    result["load_after"] = list(os.getloadavg())
    result["other_cpu"] = other_cpu.report()
    return result


class _OtherCPU:
    """CPU time that other processes (and the hypervisor) took while a part ran.

    The busy time of all CPUs from ``/proc/stat`` (steal time included) minus
    the CPU time of this process and its children. ``share`` is that time as a
    fraction of what all CPUs could have done meanwhile: 0 on a quiet machine.
    """

    def __init__(self) -> None:
        self.start = self._now()

    @staticmethod
    def _now() -> tuple[float, float, float] | None:
        try:
            import resource

            with open("/proc/stat") as stat:
                fields = [int(v) for v in stat.readline().split()[1:9]]
        except (ImportError, OSError, ValueError):
            return None
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields
        busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
        ours = sum(
            usage.ru_utime + usage.ru_stime
            for usage in (
                resource.getrusage(resource.RUSAGE_SELF),
                resource.getrusage(resource.RUSAGE_CHILDREN),
            )
        )
        return time.perf_counter(), busy, ours

    def report(self) -> dict[str, Any]:
        end = self._now()
        if self.start is None or end is None:
            return {"method": "unavailable: needs Linux /proc/stat"}
        wall = end[0] - self.start[0]
        other = max((end[1] - self.start[1]) - (end[2] - self.start[2]), 0.0)
        return {
            "wall_s": wall,
            "other_cpu_s": other,
            "share": other / (wall * (os.cpu_count() or 1)) if wall > 0 else 0.0,
            "load_average": list(os.getloadavg()),
            "method": "/proc/stat busy time (steal included) minus this process and its children",
        }


def run_benchmarks(cfg: BenchmarkConfig) -> dict[str, Any]:
    """Run all four parts and return every number, ready for ``json.dump``."""
    other_cpu = _OtherCPU()
    results = {
        "machine": machine_info(cfg.device),
        "config": asdict(cfg),
        "attention": _bench_attention(cfg),
        "decode": _bench_decode(cfg),
        "kv_cache": _kv_cache_rows(),
        "wrapper_vs_mha": _bench_wrapper(cfg),
    }
    results["other_cpu"] = other_cpu.report()
    return results


# ---------------------------------------------------------------- reporting


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f}" if seconds < 0.01 else f"{seconds * 1e3:.1f}"


def _mib(size: int | None) -> str:
    return "n/a" if size is None else f"{size / _MIB:.1f}"


def to_markdown(results: dict[str, Any]) -> str:
    """The three tables, with the settings and methods they were measured with."""
    machine, cfg, attention = results["machine"], results["config"], results["attention"]
    peaks = attention["memory"]["peak_bytes"]
    lines = [
        "# Attention benchmarks",
        "",
        f"{machine['processor'] or machine['machine']}, {machine['platform']}; "
        f"torch {machine['torch']}, {machine['torch_threads']} threads, "
        f"device `{machine['device']}`; {machine['date_utc']}.",
        f"Median of {cfg['repeats']} runs after {cfg['warmup']} warm-up runs, "
        "timed round-robin across variants.",
        "",
        "## 1. One attention layer",
        "",
        f"b={cfg['batch_size']}, num_tokens={cfg['num_tokens']}, d_in=d_out={cfg['d_model']}, "
        f"num_heads={cfg['num_heads']}, dropout 0, float32. Forward: eval() under no_grad; "
        "forward+backward: train(). Peak memory: extra bytes at the peak of one run "
        f"({attention['memory']['method']}).",
        "",
        "| variant | forward ms | × fastest | fwd+bwd ms | × fastest "
        "| forward peak MiB | fwd+bwd peak MiB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ATTENTION_VARIANTS:
        fwd, both = attention["forward"][name], attention["forward_backward"][name]
        peak = peaks[name] if peaks else {}
        lines.append(
            f"| {name} | {_ms(fwd['median_s'])} | {fwd['ratio_to_fastest']:.2f} "
            f"| {_ms(both['median_s'])} | {both['ratio_to_fastest']:.2f} "
            f"| {_mib(peak.get('forward'))} | {_mib(peak.get('forward_backward'))} |"
        )
    lines += [
        "",
        "## 2. One decoding step: KV cache against recomputing",
        "",
        "KVCacheMultiHeadAttention, same sizes; the cached step feeds token L after a cached "
        "prompt of L - 1 tokens; recompute is a full forward pass over all L tokens.",
        "",
        "| L (tokens) | cached step ms | recompute ms | speed-up |",
        "|---:|---:|---:|---:|",
    ]
    for row in results["decode"]:
        lines.append(
            f"| {row['seq_len']} | {_ms(row['cached step']['median_s'])} "
            f"| {_ms(row['recompute']['median_s'])} | {row['speedup']:.1f}× |"
        )
    lines += [
        "",
        "## 3. KV-cache memory (batch 1, 16-bit floats, kv_cache_bytes)",
        "",
        "| shape | variant | MiB | × MHA |",
        "|---|---|---:|---:|",
    ]
    for row in results["kv_cache"]:
        lines.append(
            f"| {row['shape']} | {row['variant']} | {_mib(row['bytes'])} "
            f"| {row['fraction_of_mha']:.3g} |"
        )
    lines += ["", "Shapes:", ""]
    for name, shape in KV_CACHE_SHAPES.items():
        lines.append(f"- {name}: " + ", ".join(f"{k}={v}" for k, v in shape.items()))
    lines += ["", "## 4. Why the wrapper is faster than MultiHeadAttention here", ""]
    part4 = results.get("wrapper_vs_mha", {})
    if "skipped" in part4:
        lines.append(f"Skipped: {part4['skipped']}.")
        return "\n".join(lines) + "\n"
    lines += [
        f"Forward, b={cfg['batch_size']}, d_in=d_out={cfg['d_model']}; faults: minor page "
        f"faults per run. Load average before/after: {part4['load_before'][0]:.2f}"
        f"/{part4['load_after'][0]:.2f}.",
        "",
        "| allocator | num_tokens | num_heads | scores per head MiB | all heads MiB "
        "| wrapper ms | faults | MHA ms | faults | MHA / wrapper |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for setting, run in part4["runs"].items():
        if "sweep" not in run:
            lines.append(f"| {setting} | {run.get('skipped') or 'failed'} |")
            continue
        for row in run["sweep"]:
            wrapper, mha = row["MultiHeadAttentionWrapper"], row["MultiHeadAttention"]
            lines.append(
                f"| {setting} | {row['num_tokens']} | {row['num_heads']} "
                f"| {_mib(row['head_scores_bytes'])} | {_mib(row['all_scores_bytes'])} "
                f"| {_ms(wrapper['median_s'])} | {wrapper['minor_faults']:.0f} "
                f"| {_ms(mha['median_s'])} | {mha['minor_faults']:.0f} | {row['ratio']:.2f} |"
            )
    return "\n".join(lines) + "\n"


def _bar_panel(
    y: float, title: str, bars: Sequence[tuple[str, float, str]], color: str
) -> tuple[list[str], float]:
    """SVG elements of one horizontal bar chart starting at ``y``, and the next free ``y``."""
    label_width, bar_width, row_height = 250, 380, 22
    elements = [f'<text x="10" y="{y + 16}" class="title">{escape(title)}</text>']
    y += 28
    largest = max((value for _, value, _ in bars), default=1.0) or 1.0
    for label, value, text in bars:
        width = max(bar_width * value / largest, 1.0)
        elements += [
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>',
            f'<rect x="{label_width}" y="{y + 3}" width="{width:.1f}" height="{row_height - 6}" '
            f'fill="{color}"/>',
            f'<text x="{label_width + width + 6:.1f}" y="{y + 15}">{escape(text)}</text>',
        ]
        y += row_height
    return elements, y + 14


def to_svg(results: dict[str, Any]) -> str:
    """Bar charts of parts 1 to 3 as a standalone SVG document."""
    attention = results["attention"]
    panels: list[tuple[str, list[tuple[str, float, str]], str]] = []
    for mode, title, color in (
        ("forward", "1. Forward, median ms (shorter is faster)", "#4c72b0"),
        ("forward_backward", "1. Forward + backward, median ms", "#55a868"),
    ):
        rows = attention[mode]
        bars = [
            (name, rows[name]["median_s"] * 1e3, f"{_ms(rows[name]['median_s'])} ms")
            for name in ATTENTION_VARIANTS
        ]
        panels.append((title, bars, color))
    peaks = attention["memory"]["peak_bytes"]
    if peaks:
        memory_bars = [
            (name, peaks[name]["forward"] / _MIB, f"{_mib(peaks[name]['forward'])} MiB")
            for name in ATTENTION_VARIANTS
        ]
        panels.append(("1. Forward, peak extra memory", memory_bars, "#dd8452"))
    decode_bars = [
        (f"L = {row['seq_len']}", row["speedup"], f"{row['speedup']:.1f}×")
        for row in results["decode"]
    ]
    panels.append(("2. KV cache: speed-up of one decoding step", decode_bars, "#c44e52"))
    for shape in KV_CACHE_SHAPES:
        kv_bars = [
            (row["variant"], row["bytes"] / _MIB, f"{_mib(row['bytes'])} MiB")
            for row in results["kv_cache"]
            if row["shape"] == shape
        ]
        panels.append((f"3. KV-cache memory, {shape}", kv_bars, "#8172b2"))

    elements: list[str] = []
    y = 10.0
    for title, bars, color in panels:
        panel, y = _bar_panel(y, title, bars, color)
        elements += panel
    machine = results["machine"]
    footer = (
        f"{machine['processor'] or machine['machine']}, torch {machine['torch']}, "
        f"{machine['torch_threads']} threads, {machine['device']}"
    )
    elements.append(f'<text x="10" y="{y + 4}" class="note">{escape(footer)}</text>')
    width, height = 760, int(y + 16)
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
            "<title>Attention benchmarks</title>",
            "<style>.title { font-weight: bold; font-size: 13px } .note { fill: #555 }</style>",
            f'<rect width="{width}" height="{height}" fill="white"/>',
            *elements,
            "</svg>",
            "",
        ]
    )


# ---------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m llm_attention.benchmarks",
        description=(
            "Time the chapter's multi-head attention against SDPA, torch.nn.MultiheadAttention "
            "and a KV cache, and tabulate KV-cache memory. Prints markdown tables."
        ),
    )
    default = BenchmarkConfig()
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes on one thread, done in seconds (a smoke test, not a measurement)",
    )
    parser.add_argument(
        "--repeats", type=int, help=f"timed runs per case (default {default.repeats})"
    )
    parser.add_argument("--warmup", type=int, help=f"untimed runs first (default {default.warmup})")
    parser.add_argument(
        "--out", type=Path, help="write benchmarks.md, benchmarks.json and benchmarks.svg here"
    )
    parser.add_argument("--batch-size", type=int, help=f"b (default {default.batch_size})")
    parser.add_argument("--num-tokens", type=int, help=f"part 1 (default {default.num_tokens})")
    parser.add_argument("--d-model", type=int, help=f"d_in = d_out (default {default.d_model})")
    parser.add_argument("--num-heads", type=int, help=f"(default {default.num_heads})")
    parser.add_argument(
        "--seq-lens",
        type=int,
        nargs="+",
        help=f"part 2 sequence lengths (default {' '.join(map(str, default.seq_lens))})",
    )
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--device", help="cpu or cuda (default cpu)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory column")
    parser.add_argument(
        "--no-wrapper-vs-mha",
        action="store_true",
        help="skip part 4 (why the wrapper is faster than MultiHeadAttention on a CPU)",
    )
    parser.add_argument(
        "--caches",
        action="store_true",
        help=(
            "part 5 instead of parts 1-4: every KV cache (MHA, GQA, MQA, MLA, sliding window, "
            "Gemma-style) in a GPT-2-small-shaped model; writes caches.md and caches.json"
        ),
    )
    parser.add_argument("--memory-probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cache-probe", help=argparse.SUPPRESS)
    parser.add_argument("--wrapper-probe", action="store_true", help=argparse.SUPPRESS)
    return parser


def _config(args: argparse.Namespace, parser: argparse.ArgumentParser) -> BenchmarkConfig:
    base = QUICK_CONFIG if args.quick else BenchmarkConfig()
    values: dict[str, Any] = asdict(base)
    for key in ("repeats", "warmup", "batch_size", "num_tokens", "d_model", "num_heads", "device"):
        if getattr(args, key) is not None:
            values[key] = getattr(args, key)
    if args.seq_lens is not None:
        values["seq_lens"] = tuple(args.seq_lens)
    values["memory"] = not args.no_memory
    values["wrapper_vs_mha"] = not args.no_wrapper_vs_mha
    cfg = BenchmarkConfig(**values)
    for key in ("repeats", "batch_size", "num_tokens", "d_model", "num_heads"):
        if getattr(cfg, key) < 1:
            parser.error(f"--{key.replace('_', '-')} must be >= 1")
    if cfg.warmup < 0:
        parser.error("--warmup must be >= 0")
    if cfg.d_model % cfg.num_heads != 0:
        parser.error(f"--d-model ({cfg.d_model}) must be divisible by --num-heads")
    if min(cfg.seq_lens) < 2:
        parser.error("--seq-lens must be >= 2 (a prompt of L - 1 tokens plus one new token)")
    if cfg.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device cuda: CUDA is not available")
    return cfg


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be >= 1")
    # --quick: tiny operations gain nothing from threads, and on a busy machine
    # each one would wait for a descheduled worker thread
    threads = 1 if args.quick and args.threads is None else args.threads
    if threads is not None:
        torch.set_num_threads(threads)
    if args.wrapper_probe:  # part 4's child process: the configuration comes on stdin
        values = json.load(sys.stdin)
        for key in ("seq_lens", "alloc_sizes_mib"):
            values[key] = tuple(values[key])
        values["wrapper_sweep"] = tuple(tuple(pair) for pair in values["wrapper_sweep"])
        print(json.dumps(_probe_wrapper(BenchmarkConfig(**values))))
        return 0
    if args.cache_probe is not None:  # part 5's child process: the configuration comes on stdin
        return cache_probe_main(args.cache_probe)
    if args.caches:
        return _caches_main(args, parser, argv)
    cfg = _config(args, parser)
    if args.memory_probe:
        print(json.dumps(_probe_memory(cfg)))
        return 0

    results = run_benchmarks(cfg)
    results["command"] = " ".join(["python -m llm_attention.benchmarks", *(argv or sys.argv[1:])])
    markdown = to_markdown(results)
    print(markdown)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "benchmarks.md").write_text(markdown, encoding="utf-8")
        with open(args.out / "benchmarks.json", "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
            f.write("\n")
        (args.out / "benchmarks.svg").write_text(to_svg(results), encoding="utf-8")
        _log(f"wrote benchmarks.md, benchmarks.json and benchmarks.svg to {args.out}")
    return 0


def _caches_main(
    args: argparse.Namespace, parser: argparse.ArgumentParser, argv: Sequence[str] | None
) -> int:
    """``--caches``: part 5, written to caches.md and caches.json."""
    cache_cfg = QUICK_CACHE_CONFIG if args.quick else CacheBenchConfig()
    overrides: dict[str, Any] = {"memory": not args.no_memory}
    if args.device is not None:
        if args.device.startswith("cuda") and not torch.cuda.is_available():
            parser.error("--device cuda: CUDA is not available")
        overrides["device"] = args.device
    cache_cfg = dataclasses.replace(cache_cfg, **overrides)
    results = run_cache_benchmarks(cache_cfg, machine_info(cache_cfg.device))
    results["command"] = " ".join(["python -m llm_attention.benchmarks", *(argv or sys.argv[1:])])
    markdown = caches_markdown(results)
    print(markdown)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "caches.md").write_text(markdown, encoding="utf-8")
        with open(args.out / "caches.json", "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
            f.write("\n")
        _log(f"wrote caches.md and caches.json to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
