"""Part 4: why ``MultiHeadAttentionWrapper`` is faster than ``MultiHeadAttention`` on a CPU.

CPU only. Two kinds of child process (``--wrapper-probe``), one with glibc's default
allocator settings and one with ``NO_MMAP_ENV`` (freed memory is kept and reused instead of
being mapped afresh from the kernel), each measure, counting the process's minor page faults
(``getrusage``) next to the time:

- the page faults of allocating and filling one fresh float32 tensor, for several sizes
  (``alloc_sizes_mib``), after warm-up;
- every step of both forward passes at the part 1 sizes (``WRAPPER_STAGES``), in ``eval()``
  mode under ``no_grad``, written out step by step with the modules' own weights and checked
  against the modules' outputs;
- both modules as they are, forward and forward+backward;
- both modules' forward at other ``(num_tokens, num_heads)`` pairs (``wrapper_sweep``), so
  that the per-head and the all-heads score tensors cross the sizes of the CPU caches and of
  the allocator's threshold.

The child processes are kept on purpose: glibc reads ``MALLOC_*`` only when a process starts,
and a fresh process starts with none of the other setting's freed memory. There are
``wrapper_rounds`` of them per setting, alternating between the settings, so that a slow spell
of a shared machine does not fall on one setting only; the medians are over all of them. The
JSON also keeps the CPU's cache sizes (from ``/sys``) and the load average before and after.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import nn

from benchmarks.attention import MODES, Variant, cases
from benchmarks.config import BenchmarkConfig
from benchmarks.machine import OtherCPU, log, minor_faults, run_child
from benchmarks.timing import Case, round_robin, summary
from llm_attention import CausalAttention, MultiHeadAttention, MultiHeadAttentionWrapper

#: The steps of ``MultiHeadAttention.forward`` timed one by one, in order. The wrapper has no
#: "split into heads" and no ``out_proj``; its "merge heads" is ``torch.cat``.
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

#: glibc's allocator settings of the second child process: never hand a block to ``mmap``,
#: never give freed memory back to the system, so that freed blocks are reused.
NO_MMAP_ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(2**40)}

_MIB = 2**20


class StageClock:
    """Adds up time and minor page faults per stage: ``with clock("softmax"): ...``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.faults: dict[str, int] = {}

    @contextlib.contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        """Time the ``with`` block and count its page faults, added to ``stage``."""
        faults = minor_faults()
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
        self.seconds[stage] = self.seconds.get(stage, 0.0) + elapsed
        self.faults[stage] = self.faults.get(stage, 0) + minor_faults() - faults


def mha_stages(mha: MultiHeadAttention, x: torch.Tensor, clock: StageClock) -> torch.Tensor:
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


def wrapper_stages(
    wrapper: MultiHeadAttentionWrapper, x: torch.Tensor, clock: StageClock
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


def _fill(numel: int) -> None:
    torch.empty(numel).fill_(1.0)


def _probe_allocations(cfg: BenchmarkConfig) -> list[dict[str, Any]]:
    """Page faults and time of filling a fresh float32 tensor, per size (after warm-up)."""
    rows = []
    for size_mib in cfg.alloc_sizes_mib:
        numel = size_mib * _MIB // 4
        # allocate, touch every page, free
        fill = Case(run=functools.partial(_fill, numel))
        run = round_robin({"fill": fill}, repeats=cfg.repeats, warmup=3, faults=True)["fill"]
        rows.append(
            {
                "size_mib": size_mib,
                "pages": size_mib * _MIB // os.sysconf("SC_PAGE_SIZE"),
                **run,
            }
        )
    return rows


def probe_wrapper(cfg: BenchmarkConfig) -> dict[str, Any]:
    """Part 4 in this process (``--wrapper-probe``): allocations, stages, modules, sweep."""
    result: dict[str, Any] = {"allocations": _probe_allocations(cfg)}
    x = torch.randn(cfg.batch_size, cfg.num_tokens, cfg.d_model)
    modules = _pair(cfg, cfg.num_tokens, cfg.num_heads)
    wrapper = modules["MultiHeadAttentionWrapper"]
    mha = modules["MultiHeadAttention"]
    assert isinstance(wrapper, MultiHeadAttentionWrapper) and isinstance(mha, MultiHeadAttention)

    # 1) every stage of both forward passes, round-robin, the staged code checked first
    staged: dict[str, Callable[[StageClock], torch.Tensor]] = {
        "MultiHeadAttentionWrapper": functools.partial(wrapper_stages, wrapper, x),
        "MultiHeadAttention": functools.partial(mha_stages, mha, x),
    }
    clocks: dict[str, list[StageClock]] = {name: [] for name in staged}
    with torch.no_grad():
        result["stages_max_abs_diff"] = {
            name: (run(StageClock()) - modules[name](x)).abs().max().item()
            for name, run in staged.items()
        }
        for round_index in range(cfg.warmup + cfg.repeats):
            for name, run in staged.items():
                clock = StageClock()
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
    for mode in MODES:
        mode_cases = cases({k: Variant(m, m) for k, m in modules.items()}, cfg, mode)
        with torch.set_grad_enabled(mode != "forward"):
            rows = round_robin(mode_cases, repeats=cfg.repeats, warmup=cfg.warmup, faults=True)
        result["modules"][mode] = rows

    # 3) other sequence lengths and head counts, forward only
    result["sweep"] = []
    for num_tokens, num_heads in cfg.wrapper_sweep:
        log(f"part 4: num_tokens {num_tokens}, num_heads {num_heads}")
        pair = _pair(cfg, num_tokens, num_heads)
        x_n = torch.randn(cfg.batch_size, num_tokens, cfg.d_model)
        pair_cases = {name: Case(run=functools.partial(m, x_n)) for name, m in pair.items()}
        with torch.no_grad():
            rows = round_robin(pair_cases, repeats=cfg.repeats, warmup=cfg.warmup, faults=True)
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
    return {**summary(times), "minor_faults": statistics.median(faults), "faults_runs": faults}


def _merge_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The child results of one allocator setting, merged into medians over all rounds."""
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


def bench_wrapper(cfg: BenchmarkConfig) -> dict[str, Any]:
    """Part 4: child processes per allocator setting, taking turns, merged per setting."""
    if not cfg.wrapper_vs_mha:
        return {"skipped": "--no-wrapper-vs-mha"}
    if cfg.device != "cpu":
        return {"skipped": "CPU only: it counts the page faults of the CPU allocator"}
    if minor_faults() < 0:
        return {"skipped": "needs the resource module (page-fault counts)"}
    libc = platform.libc_ver()
    result: dict[str, Any] = {
        "page_size": os.sysconf("SC_PAGE_SIZE"),
        "caches": _cpu_caches(),
        "libc": " ".join(filter(None, libc)),
        "load_before": list(os.getloadavg()),
        "runs": {},
    }
    other_cpu = OtherCPU()
    settings: dict[str, dict[str, str]] = {"default allocator": {}, "no mmap": NO_MMAP_ENV}
    if libc[0] != "glibc":
        result["runs"]["no mmap"] = {"skipped": "the MALLOC_* variables are glibc's"}
        del settings["no mmap"]
    rounds: dict[str, list[dict[str, Any]]] = {setting: [] for setting in settings}
    errors: dict[str, str] = {}
    for round_index in range(cfg.wrapper_rounds):
        for setting, extra_env in settings.items():
            if setting in errors:
                continue
            log(f"part 4: child process {round_index + 1}/{cfg.wrapper_rounds}, {setting}")
            env = {k: v for k, v in os.environ.items() if k not in NO_MMAP_ENV}
            proc = run_child(
                ["--wrapper-probe", "--threads", str(torch.get_num_threads())],
                env={**env, **extra_env},
                stdin=json.dumps(asdict(cfg)),
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
