"""Smoke test of ``python -m benchmarks`` (parts 1 to 4): it runs and writes every row.

Timings are never asserted: they depend on the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from benchmarks.attention import ATTENTION_VARIANTS
from benchmarks.cli import main
from benchmarks.config import QUICK_CONFIG
from benchmarks.decode import DECODE_VARIANTS
from benchmarks.kv_memory import KV_CACHE_SHAPES
from benchmarks.report import attention as report
from benchmarks.results import load_results
from benchmarks.wrapper import WRAPPER_STAGES

KV_VARIANTS = [
    "MultiHeadAttention",
    "GroupedQueryAttention",
    "SlidingWindowAttention",
    "GroupedQueryAttention + sliding window",
]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("bench")
    root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def test_writes_the_three_files(quick_run: tuple[Path, str]) -> None:
    out, _ = quick_run
    for name in ("benchmarks.md", "benchmarks.json", "benchmarks.svg"):
        assert (out / name).is_file(), name
        assert (out / name).stat().st_size > 0, name


def test_json_has_every_row_and_the_machine(quick_run: tuple[Path, str]) -> None:
    out, _ = quick_run
    results = json.loads((out / "benchmarks.json").read_text(encoding="utf-8"))
    for key in ("platform", "processor", "torch", "torch_threads", "device"):
        assert key in results["machine"], key
    assert results["config"]["repeats"] == QUICK_CONFIG.repeats
    if Path("/proc/stat").exists():  # how much of the machine other processes took meanwhile
        other = results["other_cpu"]
        assert other["wall_s"] > 0 and other["other_cpu_s"] >= 0 and other["share"] >= 0

    attention = results["attention"]
    for mode in ("forward", "forward_backward"):
        assert list(attention[mode]) == list(ATTENTION_VARIANTS)
        for name, row in attention[mode].items():
            assert len(row["times_s"]) == QUICK_CONFIG.repeats, name
            assert row["min_s"] <= row["median_s"] <= row["max_s"], name
            assert row["ratio_to_fastest"] >= 1.0, name
        assert min(row["ratio_to_fastest"] for row in attention[mode].values()) == 1.0
    # every variant but the wrapper computes the chapter's function with its weights
    diffs = attention["max_abs_diff_vs_MultiHeadAttention"]
    assert set(diffs) == set(ATTENTION_VARIANTS) - {"MultiHeadAttentionWrapper"}
    assert max(diffs.values()) < 1e-4
    memory = attention["memory"]
    assert memory["method"]
    if memory["peak_bytes"] is not None:  # None where /proc/self/clear_refs is missing
        assert list(memory["peak_bytes"]) == list(ATTENTION_VARIANTS)
        for peaks in memory["peak_bytes"].values():
            assert set(peaks) == {"forward", "forward_backward"}
            assert all(isinstance(v, int) and v >= 0 for v in peaks.values())

    assert [row["seq_len"] for row in results["decode"]] == list(QUICK_CONFIG.seq_lens)
    for row in results["decode"]:
        for variant in DECODE_VARIANTS:
            assert len(row[variant]["times_s"]) == QUICK_CONFIG.repeats
        assert row["speedup"] > 0
        assert row["max_abs_diff"] < 1e-4  # the cached step is the recomputed last row

    pairs = [(row["shape"], row["variant"]) for row in results["kv_cache"]]
    assert pairs == [(shape, variant) for shape in KV_CACHE_SHAPES for variant in KV_VARIANTS]
    gpt2_mha = results["kv_cache"][0]
    assert gpt2_mha["bytes"] == 37_748_736  # 2 * 12 * 1024 * 12 * 64 * 2


def test_part_4_times_every_step_with_both_allocator_settings(
    quick_run: tuple[Path, str],
) -> None:
    out, _ = quick_run
    part = json.loads((out / "benchmarks.json").read_text(encoding="utf-8"))["wrapper_vs_mha"]
    if "skipped" in part:
        pytest.skip(part["skipped"])
    assert list(part["runs"]) == ["default allocator", "no mmap"]
    assert part["load_before"] and part["load_after"]
    wrapper_stages = [s for s in WRAPPER_STAGES if s not in ("split into heads", "out_proj")]
    for setting, run in part["runs"].items():
        if "skipped" in run:  # no glibc: the MALLOC_* variables mean nothing
            assert setting == "no mmap"
            continue
        assert "error" not in run, run.get("error")
        # the step-by-step code computes exactly what the modules compute
        assert max(run["stages_max_abs_diff"].values()) < 1e-5
        assert list(run["stages"]["MultiHeadAttention"]) == list(WRAPPER_STAGES)
        assert list(run["stages"]["MultiHeadAttentionWrapper"]) == wrapper_stages
        for steps in run["stages"].values():
            assert all(
                step["median_s"] > 0 and step["minor_faults"] >= 0 for step in steps.values()
            )
        for mode in ("forward", "forward_backward"):
            assert set(run["modules"][mode]) == {"MultiHeadAttentionWrapper", "MultiHeadAttention"}
        points = [(p["num_tokens"], p["num_heads"]) for p in run["sweep"]]
        assert points == [tuple(p) for p in QUICK_CONFIG.wrapper_sweep]
        sizes = [a["size_mib"] for a in run["allocations"]]
        assert sizes == list(QUICK_CONFIG.alloc_sizes_mib)
        # Page-fault counts are measurements of this machine at this moment (other
        # processes, the allocator's state): recorded and shown, never asserted. A fresh
        # CI clone counted faults in the "no mmap" run that a quiet machine did not.
        assert all(
            isinstance(a["minor_faults"], int) and a["minor_faults"] >= 0
            for a in run["allocations"]
        )


def test_the_page_renders_part_4(quick_run: tuple[Path, str]) -> None:
    out, _ = quick_run
    results = load_results(out / "benchmarks.json")
    if "skipped" in results["wrapper_vs_mha"] or len(report._part4_runs(results)) < 2:
        pytest.skip("part 4 needs glibc")
    for lang in ("en", "zh"):
        for render in (
            report.render_wrapper_caches,
            report.render_wrapper_allocations,
            report.render_wrapper_stages,
            report.render_wrapper_modules,
            report.render_wrapper_sweep,
            report.render_wrapper_findings,
        ):
            text = render(results, lang)
            assert text.strip() and "{" not in text, (render.__name__, lang)


def test_markdown_table_lists_every_row_and_is_printed(quick_run: tuple[Path, str]) -> None:
    out, stdout = quick_run
    markdown = (out / "benchmarks.md").read_text(encoding="utf-8")
    assert stdout.strip() == markdown.strip()
    for name in ATTENTION_VARIANTS:
        assert f"| {name} |" in markdown, name
    for seq_len in QUICK_CONFIG.seq_lens:
        assert f"| {seq_len} |" in markdown
    for shape in KV_CACHE_SHAPES:
        for variant in KV_VARIANTS:
            assert f"| {shape} | {variant} |" in markdown
    assert "## 4. Why the wrapper is faster than MultiHeadAttention here" in markdown
    # the command line prints the page's tables: one renderer for both
    results = load_results(out / "benchmarks.json")
    for render in (report.render_attention_times, report.render_decode, report.render_kv_cache):
        assert render(results, "en") in markdown, render.__name__


def test_svg_is_well_formed_and_labelled(quick_run: tuple[Path, str]) -> None:
    out, _ = quick_run
    root = ET.parse(out / "benchmarks.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {"".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")}
    for name in ATTENTION_VARIANTS:
        assert name in texts, name
    assert len(list(root.iter("{http://www.w3.org/2000/svg}rect"))) > len(ATTENTION_VARIANTS)
    results = load_results(out / "benchmarks.json")
    assert (out / "benchmarks.svg").read_text(encoding="utf-8") == report.to_svg(results)


def test_help_lists_the_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    for flag in (
        "--quick",
        "--repeats",
        "--out",
        "--threads",
        "--seq-lens",
        "--no-wrapper-vs-mha",
        "--caches",
    ):
        assert flag in help_text
    assert "--memory-probe" not in help_text  # internal
    assert "--wrapper-probe" not in help_text
    assert "--cache-probe" not in help_text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--d-model", "10", "--num-heads", "3"], "must be divisible by --num-heads"),
        (["--repeats", "0"], "--repeats must be >= 1"),
        (["--seq-lens", "1", "8"], "--seq-lens must be >= 2"),
    ],
)
def test_bad_flags_are_reported(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
