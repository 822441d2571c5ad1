"""The one timing loop: round-robin over the cases, untimed set-up, every run kept.

Why not ``torch.utils.benchmark.Timer``: it times one statement at a time (all runs of A,
then all runs of B), runs its ``setup`` once rather than before every run, and reports
summaries. Here the cases take turns, one run of each per round, so that a burst of load on a
shared machine hits every case alike; some cases need an untimed set-up before every run
(re-caching a prompt, clearing gradients); and every run's time (and, for part 4, its page
faults) goes into the JSON.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from benchmarks.machine import minor_faults


@dataclass
class Case:
    """One timed operation, with an untimed ``setup`` run before each repetition."""

    run: Callable[[], object]
    setup: Callable[[], object] | None = None


def sync(device: str) -> None:
    """Wait for the device's queued work (CUDA runs asynchronously) before reading a clock."""
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def round_robin(
    cases: dict[str, Case],
    *,
    repeats: int,
    warmup: int,
    device: str = "cpu",
    faults: bool = False,
) -> dict[str, dict[str, list[Any]]]:
    """``warmup`` untimed rounds, then ``repeats`` timed ones, one run of every case per round.

    Returns ``{name: {"times_s": [...]}}``, with ``"faults_runs"`` (minor page faults per run)
    as well when ``faults`` is true.
    """
    times: dict[str, list[float]] = {name: [] for name in cases}
    fault_counts: dict[str, list[int]] = {name: [] for name in cases}
    for round_index in range(warmup + repeats):
        for name, case in cases.items():
            if case.setup is not None:
                case.setup()
            sync(device)
            before = minor_faults() if faults else 0
            start = time.perf_counter()
            case.run()
            sync(device)
            elapsed = time.perf_counter() - start
            if round_index >= warmup:
                times[name].append(elapsed)
                if faults:
                    fault_counts[name].append(minor_faults() - before)
    if faults:
        return {name: {"times_s": times[name], "faults_runs": fault_counts[name]} for name in cases}
    return {name: {"times_s": times[name]} for name in cases}


def summary(times: list[float]) -> dict[str, Any]:
    """Every time, and their median, minimum and maximum."""
    return {
        "times_s": times,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
    }


def add_ratios(rows: dict[str, dict[str, Any]]) -> None:
    """Add ``ratio_to_fastest`` (median over the fastest median) to every row."""
    fastest = min(row["median_s"] for row in rows.values())
    for row in rows.values():
        row["ratio_to_fastest"] = row["median_s"] / fastest
