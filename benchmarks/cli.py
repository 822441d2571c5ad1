"""The command line: ``python -m benchmarks --help``.

Parts 1 to 4 (the default) measure one attention layer, one decoding step, KV-cache sizes and
why the wrapper beats ``MultiHeadAttention`` on a CPU, print the tables and, with
``--out DIR``, write ``benchmarks.md``, ``benchmarks.json`` and ``benchmarks.svg``.
``--caches`` measures every KV cache in a GPT model instead and writes ``caches.md`` and
``caches.json``. The hidden ``--*-probe`` options are the entry points of the child processes.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from benchmarks.attention import bench_attention, probe_memory
from benchmarks.caches import probe_peak, run_cache_benchmarks
from benchmarks.config import (
    QUICK_CACHE_CONFIG,
    QUICK_CONFIG,
    BenchmarkConfig,
    CacheBenchConfig,
    from_json,
)
from benchmarks.decode import bench_decode
from benchmarks.kv_memory import kv_cache_rows
from benchmarks.machine import OtherCPU, log, machine_info
from benchmarks.report import attention as attention_report
from benchmarks.report import caches as caches_report
from benchmarks.results import write_results
from benchmarks.wrapper import bench_wrapper, probe_wrapper

PROG = "python -m benchmarks"


def run_benchmarks(cfg: BenchmarkConfig) -> dict[str, Any]:
    """Run parts 1 to 4 and return every number, ready for ``json.dump``."""
    other_cpu = OtherCPU()
    results = {
        "machine": machine_info(cfg.device),
        "config": asdict(cfg),
        "attention": bench_attention(cfg),
        "decode": bench_decode(cfg),
        "kv_cache": kv_cache_rows(),
        "wrapper_vs_mha": bench_wrapper(cfg),
    }
    results["other_cpu"] = other_cpu.report()
    return results


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
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
        "--out",
        type=Path,
        help="write benchmarks.md, benchmarks.json and benchmarks.svg here "
        "(with --caches: caches.md and caches.json)",
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


def _probe(args: argparse.Namespace) -> int | None:
    """The child processes' entry points (the configuration comes as JSON on stdin)."""
    if args.memory_probe:  # part 1's peak memory
        cfg = from_json(BenchmarkConfig, json.load(sys.stdin))
        print(json.dumps(probe_memory(cfg)))
        return 0
    if args.wrapper_probe:  # part 4, under one allocator setting
        cfg = from_json(BenchmarkConfig, json.load(sys.stdin))
        print(json.dumps(probe_wrapper(cfg)))
        return 0
    if args.cache_probe is not None:  # --caches' peak memory of one variant
        cache_cfg = from_json(CacheBenchConfig, json.load(sys.stdin))
        print(json.dumps(probe_peak(cache_cfg, args.cache_probe)))
        return 0
    return None


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
    status = _probe(args)
    if status is not None:
        return status
    command = " ".join([PROG, *(sys.argv[1:] if argv is None else argv)])
    if args.caches:
        return _caches_main(args, parser, command)
    cfg = _config(args, parser)
    results = run_benchmarks(cfg)
    results["command"] = command
    markdown = attention_report.to_markdown(results)
    print(markdown)
    if args.out is not None:
        write_results(args.out, "benchmarks", results, markdown)
        (args.out / "benchmarks.svg").write_text(attention_report.to_svg(results), encoding="utf-8")
        log(f"wrote benchmarks.md, benchmarks.json and benchmarks.svg to {args.out}")
    return 0


def _caches_main(args: argparse.Namespace, parser: argparse.ArgumentParser, command: str) -> int:
    """``--caches``: part 5, written to caches.md and caches.json."""
    cache_cfg = QUICK_CACHE_CONFIG if args.quick else CacheBenchConfig()
    overrides: dict[str, Any] = {"memory": not args.no_memory}
    if args.device is not None:
        if args.device.startswith("cuda") and not torch.cuda.is_available():
            parser.error("--device cuda: CUDA is not available")
        overrides["device"] = args.device
    cache_cfg = dataclasses.replace(cache_cfg, **overrides)
    results = run_cache_benchmarks(cache_cfg, machine_info(cache_cfg.device))
    for key, info in results["variants"].items():
        info["label"] = caches_report.label(results, key, "en")
    results["command"] = command
    markdown = caches_report.to_markdown(results)
    print(markdown)
    if args.out is not None:
        write_results(args.out, "caches", results, markdown)
        log(f"wrote caches.md and caches.json to {args.out}")
    return 0
