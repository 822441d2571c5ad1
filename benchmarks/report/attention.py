"""The reports of ``benchmarks.json`` (parts 1 to 4): Markdown tables, findings, bar charts.

Every function takes the results (as ``json.load`` reads them) and a language, ``"en"`` or
``"zh"``. The command line writes ``benchmarks.md`` with ``to_markdown`` and
``benchmarks.svg`` with ``to_svg``; the benchmarks page calls the ``render_*`` functions in
hidden blocks, so the page and the command line print the same tables from the same code.
"""

from __future__ import annotations

from typing import Any

from benchmarks.attention import ATTENTION_VARIANTS
from benchmarks.kv_memory import KV_CACHE_SHAPES
from benchmarks.report.markdown import MIB, mib, ms, table, timing
from benchmarks.report.strings import ATTENTION, display_name, strings
from benchmarks.report.svg import BarPanel, bar_charts_svg

__all__ = [
    "check_targets",
    "render_attention_memory",
    "render_attention_times",
    "render_decode",
    "render_kv_cache",
    "render_machine",
    "render_memory_method",
    "render_targets",
    "render_wrapper_allocations",
    "render_wrapper_caches",
    "render_wrapper_findings",
    "render_wrapper_modules",
    "render_wrapper_stages",
    "render_wrapper_sweep",
    "to_markdown",
    "to_svg",
    "wrapper_findings",
]


def render_machine(results: dict[str, Any], lang: str) -> str:
    """The machine, the versions, the command and the sizes of the run."""
    t, m, cfg = strings(ATTENTION, lang), results["machine"], results["config"]
    device = m["device"] + (f" ({m['cuda_device']})" if "cuda_device" in m else "")
    rows = [
        [t["processor"], f"{m['processor']} ({m['machine']}, {m['cpu_capability']})"],
        [t["cpus"], str(m["cpu_count"])],
        [t["platform"], m["platform"]],
        [t["versions"], f"{m['python']} / {m['torch']}"],
        [t["threads"], f"{m['torch_threads']} / {m['torch_interop_threads']}"],
        [t["device"], device],
        [t["date"], m["date_utc"]],
        [t["command"], f"`{results.get('command', '?')}`"],
        [t["timing"], t["timing_value"].format(**cfg)],
        [
            t["sizes"],
            f"b={cfg['batch_size']}, num_tokens={cfg['num_tokens']}, "
            f"d_in=d_out={cfg['d_model']}, num_heads={cfg['num_heads']}, float32",
        ],
        [t["seq_lens"], ", ".join(str(n) for n in cfg["seq_lens"])],
    ]
    if "share" in results.get("other_cpu", {}):
        other = results["other_cpu"]
        rows.append(
            [t["other_cpu"], t["other_cpu_value"].format(**other, percent=100 * other["share"])]
        )
    return table([t["item"], t["value"]], rows, "ll")


def render_attention_times(results: dict[str, Any], lang: str) -> str:
    """Part 1: median times with their ranges, and each over the fastest."""
    t, part = strings(ATTENTION, lang), results["attention"]
    fwd, both = part["forward"], part["forward_backward"]
    fastest_fwd = min(row["median_s"] for row in fwd.values())
    fastest_both = min(row["median_s"] for row in both.values())
    rows = [
        [
            display_name(name, lang),
            timing(fwd[name]),
            f"{fwd[name]['median_s'] / fastest_fwd:.2f}",
            timing(both[name]),
            f"{both[name]['median_s'] / fastest_both:.2f}",
        ]
        for name in fwd
    ]
    header = [t["variant"], t["fwd"] + t["spread"], t["ratio"], t["bwd"] + t["spread"], t["ratio"]]
    return table(header, rows, "lrrrr")


def render_attention_memory(results: dict[str, Any], lang: str) -> str:
    """Part 1: peak memory and the largest difference from ``MultiHeadAttention``."""
    t, part = strings(ATTENTION, lang), results["attention"]
    peaks = part["memory"]["peak_bytes"] or {}
    diffs = part["max_abs_diff_vs_MultiHeadAttention"]
    rows = []
    for name in part["forward"]:
        peak = peaks.get(name, {})
        row = [display_name(name, lang)]
        for mode in ("forward", "forward_backward"):
            size = peak.get(mode)
            row.append(t["not_measured"] if size is None else mib(size))
        row.append(f"{diffs[name]:.1e}" if name in diffs else t["same_layer"])
        rows.append(row)
    header = [t["variant"], t["peak_fwd"], t["peak_bwd"], t["diff"]]
    return table(header, rows, "lrrr")


def render_decode(results: dict[str, Any], lang: str) -> str:
    """Part 2: a cached decoding step against recomputing, per length."""
    t = strings(ATTENTION, lang)
    rows = [
        [
            str(row["seq_len"]),
            timing(row["cached step"]),
            timing(row["recompute"]),
            f"{row['speedup']:,.1f}×",
            f"{row['max_abs_diff']:.1e}",
        ]
        for row in results["decode"]
    ]
    header = [t["L"], t["cached"] + t["spread"], t["recompute"] + t["spread"]]
    header += [t["speedup"], t["decode_diff"]]
    return table(header, rows, "rrrrr")


def render_kv_cache(results: dict[str, Any], lang: str) -> str:
    """Part 3: KV-cache MiB per model shape and variant."""
    t = strings(ATTENTION, lang)
    rows = [
        [
            display_name(row["shape"], lang),
            display_name(row["variant"], lang),
            mib(row["bytes"]),
            f"{row['fraction_of_mha']:.3g}",
        ]
        for row in results["kv_cache"]
    ]
    return table([t["shape"], t["variant"], t["mib"], t["share"]], rows, "llrr")


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether the min-max ranges of two timings overlap."""
    return bool(a["min_s"] <= b["max_s"] and b["min_s"] <= a["max_s"])


def check_targets(results: dict[str, Any]) -> list[tuple[str, str, bool | None, bool | None]]:
    """Each target as (text key, measured medians, met?, ranges overlap?); None: not measured."""
    fwd = results["attention"]["forward"]
    both = results["attention"]["forward_backward"]

    def compare(rows: dict[str, Any], name: str, other: str) -> tuple[str, float, bool]:
        a, b = rows[name]["median_s"], rows[other]["median_s"]
        return f"{ms(a)} / {ms(b)} ms = {a / b:.2f}", a / b, _overlap(rows[name], rows[other])

    sdpa_ref, ratio_ref, overlap_ref = compare(
        fwd, "SDPAMultiHeadAttention", "inline SDPA reference"
    )
    sdpa_torch, ratio_torch, overlap_torch = compare(
        fwd, "SDPAMultiHeadAttention", "torch.nn.MultiheadAttention"
    )
    chapter_fwd, ratio_fwd, overlap_fwd = compare(
        fwd, "MultiHeadAttention", "book code, transcribed"
    )
    chapter_bwd, ratio_bwd, overlap_bwd = compare(
        both, "MultiHeadAttention", "book code, transcribed"
    )
    targets: list[tuple[str, str, bool | None, bool | None]] = [
        ("t_sdpa_ref", sdpa_ref, ratio_ref <= 1.10, overlap_ref),
        ("t_sdpa_torch", sdpa_torch, ratio_torch < 1.0, overlap_torch),
        ("t_chapter_fwd", chapter_fwd, ratio_fwd <= 1.0, overlap_fwd),
        ("t_chapter_bwd", chapter_bwd, ratio_bwd <= 1.0, overlap_bwd),
    ]
    decode = [row for row in results["decode"] if row["seq_len"] == 1024]
    if decode:
        row = decode[0]
        cached, recompute = row["cached step"], row["recompute"]
        measured = f"{ms(recompute['median_s'])} / {ms(cached['median_s'])} ms"
        measured += f" = {row['speedup']:,.1f}×"
        targets.append(("t_decode", measured, row["speedup"] >= 10, _overlap(cached, recompute)))
    else:
        targets.append(("t_decode", "", None, None))
    return targets


def render_targets(results: dict[str, Any], lang: str) -> str:
    """The package's targets, what the run measured, and whether each was met."""
    t = strings(ATTENTION, lang)
    rows = []
    for key, measured, met, overlap in check_targets(results):
        verdict = t["not_measured"] if met is None else t["met"] if met else t["not_met"]
        ranges = "–" if overlap is None else t["yes"] if overlap else t["no"]
        rows.append([t[key], measured or "–", verdict, ranges])
    header = [t["target"], t["measured"], t["verdict"], t["overlap"]]
    return table(header, rows, "lrll")


def render_memory_method(results: dict[str, Any], lang: str) -> str:
    """The method the run recorded for peak memory, quoted as the tool wrote it."""
    return f"`{results['attention']['memory']['method']}`\n"


# Part 4: why the wrapper is faster than MultiHeadAttention on this CPU.
WRAPPER, MHA = "MultiHeadAttentionWrapper", "MultiHeadAttention"
SETTINGS = {"default allocator": "setting_default", "no mmap": "setting_no_mmap"}
ELEMENTWISE = ("mask (in place)", "scale", "softmax")


def _part4_runs(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The child runs of part 4 that produced numbers, by setting."""
    part = results.get("wrapper_vs_mha", {})
    return {k: v for k, v in part.get("runs", {}).items() if "stages" in v}


def _cache_size(size: str) -> str:
    """Linux's "48K" or "32768K" as "48 KiB" or "32 MiB"."""
    if not size.endswith("K") or not size[:-1].isdigit():
        return size
    kib = int(size[:-1])
    return f"{kib // 1024} MiB" if kib % 1024 == 0 else f"{kib} KiB"


def _ms_faults(stage: dict[str, Any] | None, t: dict[str, str]) -> str:
    if stage is None:
        return t["none"]
    return f"{stage['median_s'] * 1e3:,.2f} ({stage['minor_faults']:,.0f})"


def _missing_part4(results: dict[str, Any], lang: str) -> str | None:
    """A note in place of a part 4 table when the results have no part 4 numbers."""
    if len(_part4_runs(results)) < 2:
        part = results.get("wrapper_vs_mha", {})
        return strings(ATTENTION, lang)["no_part4"].format(reason=part.get("skipped", "–")) + "\n"
    return None


def render_wrapper_caches(results: dict[str, Any], lang: str) -> str:
    """Part 4: the CPU's caches, the page size, the C library and the rounds."""
    if (missing := _missing_part4(results, lang)) is not None:
        return missing
    t, part = strings(ATTENTION, lang), results["wrapper_vs_mha"]
    caches = [
        t["cache_item"].format(
            level=c["level"],
            kind="d" if c["type"] == "Data" else "",
            size=_cache_size(c["size"]),
            scope=t["cache_shared" if "-" in c["shared_cpu_list"] else "cache_per_core"],
        )
        for c in part["caches"]
        if c["type"] != "Instruction"
    ]
    return t["caches"].format(
        caches=("、" if lang == "zh" else ", ").join(caches),
        page_kib=part["page_size"] // 1024,
        libc=part["libc"],
        rounds=part["runs"]["default allocator"].get("rounds", 1),
        other_percent=(
            f"{100 * part['other_cpu']['share']:.1f}%"
            if "share" in part.get("other_cpu", {})
            else "?"
        ),
    )


def render_wrapper_allocations(results: dict[str, Any], lang: str) -> str:
    """Part 4: page faults and time of a fresh tensor, per size and allocator setting."""
    if (missing := _missing_part4(results, lang)) is not None:
        return missing
    t, runs = strings(ATTENTION, lang), _part4_runs(results)
    header = [t["size"], t["pages"]]
    for setting in runs:
        header += [f"{t['faults']}<br><small>{t[SETTINGS[setting]]}</small>"]
        header += [f"{t['fill_ms']}<br><small>{t[SETTINGS[setting]]}</small>"]
    first = next(iter(runs.values()))["allocations"]
    rows = []
    for i, alloc in enumerate(first):
        row = [str(alloc["size_mib"]), f"{alloc['pages']:,}"]
        for run in runs.values():
            a = run["allocations"][i]
            row += [f"{a['minor_faults']:,.0f}", f"{a['median_s'] * 1e3:,.2f}"]
        rows.append(row)
    return table(header, rows, "r" * len(header))


def render_wrapper_stages(results: dict[str, Any], lang: str) -> str:
    """Each step of both forward passes: ms and page faults, per allocator setting."""
    if (missing := _missing_part4(results, lang)) is not None:
        return missing
    t, runs = strings(ATTENTION, lang), _part4_runs(results)
    header = [t["stage"]]
    for setting in runs:
        for name in (MHA, WRAPPER):
            header.append(t["ms_faults"].format(name=f"{name}<br>{t[SETTINGS[setting]]}"))
    stages = list(next(iter(runs.values()))["stages"][MHA])
    rows = []
    for stage in stages:
        row = [display_name(stage, lang)]
        for run in runs.values():
            row += [_ms_faults(run["stages"][name].get(stage), t) for name in (MHA, WRAPPER)]
        rows.append(row)
    total = [t["total"]]
    for run in runs.values():
        for name in (MHA, WRAPPER):
            steps = run["stages"][name].values()
            seconds = sum(s["median_s"] for s in steps)
            faults = sum(s["minor_faults"] for s in steps)
            total.append(f"**{seconds * 1e3:,.1f}** ({faults:,.0f})")
    rows.append(total)
    return table(header, rows, "l" + "r" * (len(header) - 1))


def render_wrapper_modules(results: dict[str, Any], lang: str) -> str:
    """The two modules as they are: median ms and page faults per run."""
    if (missing := _missing_part4(results, lang)) is not None:
        return missing
    t, runs = strings(ATTENTION, lang), _part4_runs(results)
    header = [t["mode"], t["module"]]
    header += [t["ms_faults"].format(name=t[SETTINGS[setting]]) for setting in runs]
    rows = []
    for mode in ("forward", "forward_backward"):
        for name in (MHA, WRAPPER):
            row = [t[mode], f"`{name}`"]
            row += [_ms_faults(run["modules"][mode][name], t) for run in runs.values()]
            rows.append(row)
    return table(header, rows, "ll" + "r" * len(runs))


def render_wrapper_sweep(results: dict[str, Any], lang: str) -> str:
    """Forward passes at other sizes: the wrapper against MultiHeadAttention."""
    if (missing := _missing_part4(results, lang)) is not None:
        return missing
    t, runs = strings(ATTENTION, lang), _part4_runs(results)
    header = [t["tokens"], t["heads"], t["head_mib"], t["all_mib"]]
    for setting in runs:
        for key in ("wrap_short", "mha_short"):
            header.append(t["ms_faults"].format(name=f"{t[key]}<br>{t[SETTINGS[setting]]}"))
        header.append(f"{t['mha_over_wrap']}<br>{t[SETTINGS[setting]]}")
    first = next(iter(runs.values()))["sweep"]
    rows = []
    for i, point in enumerate(first):
        row = [
            f"{point['num_tokens']:,}",
            str(point["num_heads"]),
            mib(point["head_scores_bytes"]),
            mib(point["all_scores_bytes"]),
        ]
        for run in runs.values():
            p = run["sweep"][i]
            row += [_ms_faults(p[WRAPPER], t), _ms_faults(p[MHA], t), f"**{p['ratio']:.2f}**"]
        rows.append(row)
    return table(header, rows, "r" * len(header))


def _join(items: list[str], lang: str) -> str:
    """Join quoted names: “a”, “b” and “c” in English, “a”、“b”和“c” in Chinese."""
    if len(items) < 2:
        return "".join(items)
    if lang == "zh":
        return "、".join(items[:-1]) + "和" + items[-1]
    return ", ".join(items[:-1]) + " and " + items[-1]


def wrapper_findings(results: dict[str, Any], lang: str) -> dict[str, Any]:
    """The figures the findings quote, computed from part 4 of the results."""
    runs = _part4_runs(results)
    default, kept = runs["default allocator"], runs["no mmap"]
    cfg, part = results["config"], results["wrapper_vs_mha"]

    def stage_ms(run: dict[str, Any], name: str, stages: tuple[str, ...] | None = None) -> float:
        steps = run["stages"][name]
        chosen = [v["median_s"] for k, v in steps.items() if stages is None or k in stages]
        return 1e3 * float(sum(chosen))

    def module_ratio(run: dict[str, Any], mode: str) -> float:
        rows = run["modules"][mode]
        return float(rows[MHA]["median_s"] / rows[WRAPPER]["median_s"])

    fwd, fwd_kept = default["modules"]["forward"], kept["modules"]["forward"]
    head_bytes = cfg["batch_size"] * cfg["num_tokens"] ** 2 * 4
    l3 = [c["size"] for c in part["caches"] if c["level"] == "3"]
    faulting = [k for k, v in default["stages"][MHA].items() if v["minor_faults"] > 0]
    return {
        "mha": fwd[MHA]["median_s"] * 1e3,
        "wrap": fwd[WRAPPER]["median_s"] * 1e3,
        "ratio": module_ratio(default, "forward"),
        "mha_nm": fwd_kept[MHA]["median_s"] * 1e3,
        "wrap_nm_module": fwd_kept[WRAPPER]["median_s"] * 1e3,
        "ratio_nm": module_ratio(kept, "forward"),
        "ratio_b": module_ratio(default, "forward_backward"),
        "ratio_b_nm": module_ratio(kept, "forward_backward"),
        "mha_faults": fwd[MHA]["minor_faults"],
        "wrap_faults": fwd[WRAPPER]["minor_faults"],
        "mha_fault_mib": fwd[MHA]["minor_faults"] * part["page_size"] / MIB,
        "stages": _join([f"“{display_name(s, lang)}”" for s in faulting], lang),
        "all_mib": head_bytes * cfg["num_heads"] / MIB,
        "head_mib": head_bytes / MIB,
        "num_heads": cfg["num_heads"],
        "fault_ms": stage_ms(default, MHA) - stage_ms(kept, MHA),
        "gap_ms": stage_ms(default, MHA) - stage_ms(default, WRAPPER),
        "mha_elem": stage_ms(kept, MHA, ELEMENTWISE),
        "wrap_elem": stage_ms(kept, WRAPPER, ELEMENTWISE),
        "cache_ms": stage_ms(kept, MHA, ELEMENTWISE) - stage_ms(kept, WRAPPER, ELEMENTWISE),
        "cache_percent": 100
        * (stage_ms(kept, MHA, ELEMENTWISE) - stage_ms(kept, WRAPPER, ELEMENTWISE))
        / stage_ms(kept, MHA),
        "l3": _cache_size(l3[0]) if l3 else "?",
        "merge": stage_ms(kept, MHA, ("merge heads",)),
        "cat": stage_ms(kept, WRAPPER, ("merge heads",)),
        "out_proj": stage_ms(kept, MHA, ("out_proj",)),
        "mha_rest": stage_ms(kept, MHA) - stage_ms(kept, MHA, ("out_proj",)),
        "wrap_nm": stage_ms(kept, WRAPPER),
    }


def render_wrapper_findings(results: dict[str, Any], lang: str) -> str:
    """The findings of part 4 as a list, every figure taken from the results."""
    if (missing := _missing_part4(results, lang)) is not None:
        return missing
    t, figures = strings(ATTENTION, lang), wrapper_findings(results, lang)
    keys = ("f_total", "f_faults", "f_cost", "f_cache", "f_copy", "f_out_proj")
    return "\n".join(f"- {t[key].format(**figures)}" for key in keys) + "\n"


def to_markdown(results: dict[str, Any], lang: str = "en") -> str:
    """Every table of a run, as the command line prints it and writes ``benchmarks.md``."""
    t = strings(ATTENTION, lang)
    sections = [
        ("h_machine", render_machine),
        ("h_layer", render_attention_times),
        ("h_layer_memory", render_attention_memory),
        ("h_decode", render_decode),
        ("h_kv", render_kv_cache),
        ("h_targets", render_targets),
        ("h_wrapper", render_wrapper_sweep),
        ("h_memory_method", render_memory_method),
    ]
    blocks = [f"# {t['h_title']}"]
    blocks += [
        f"## {t[heading]}\n\n{render(results, lang).rstrip()}" for heading, render in sections
    ]
    if _missing_part4(results, lang) is None:
        blocks.append(render_wrapper_findings(results, lang).rstrip())
    return "\n\n".join(blocks) + "\n"


def to_svg(results: dict[str, Any]) -> str:
    """Bar charts of parts 1 to 3 as a standalone SVG document (labels in English)."""
    attention = results["attention"]
    panels = []
    for mode, title in (
        ("forward", "1. Forward, median ms (shorter is faster)"),
        ("forward_backward", "1. Forward + backward, median ms"),
    ):
        rows = attention[mode]
        bars = [
            (variant, rows[variant]["median_s"] * 1e3, f"{ms(rows[variant]['median_s'])} ms")
            for variant in ATTENTION_VARIANTS
        ]
        panels.append(BarPanel(title, bars))
    peaks = attention["memory"]["peak_bytes"]
    if peaks:
        memory_bars = [
            (variant, peaks[variant]["forward"] / MIB, f"{mib(peaks[variant]['forward'])} MiB")
            for variant in ATTENTION_VARIANTS
        ]
        panels.append(BarPanel("1. Forward, peak extra memory", memory_bars))
    decode_bars = [
        (f"L = {row['seq_len']}", row["speedup"], f"{row['speedup']:.1f}×")
        for row in results["decode"]
    ]
    panels.append(BarPanel("2. KV cache: speed-up of one decoding step", decode_bars))
    for shape in KV_CACHE_SHAPES:
        kv_bars = [
            (row["variant"], row["bytes"] / MIB, f"{mib(row['bytes'])} MiB")
            for row in results["kv_cache"]
            if row["shape"] == shape
        ]
        panels.append(BarPanel(f"3. KV-cache memory, {shape}", kv_bars))
    machine = results["machine"]
    footer = (
        f"{machine['processor'] or machine['machine']}, torch {machine['torch']}, "
        f"{machine['torch_threads']} threads, {machine['device']}"
    )
    return bar_charts_svg(panels, title="Attention benchmarks", footer=footer)
