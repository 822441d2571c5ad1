"""Beyond the chapter: the committed benchmark results as tables and verdicts.

``python -m llm_attention.benchmarks --out DIR`` writes ``benchmarks.json``; the
results of a full-size run are committed in ``docs/assets/benchmarks/``. The
benchmarks pages of both languages run the ``render`` section below in hidden
blocks while the site is built, so the tables, and whether each target was met,
always come from the committed JSON and never from numbers typed into a page.
Running this file prints the English tables.
"""

# --8<-- [start:render]
import json
from pathlib import Path
from typing import Any

RESULTS = Path("docs/assets/benchmarks/benchmarks.json")  # from the repository root

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "processor": "Processor",
        "cpus": "Logical CPUs",
        "platform": "Operating system",
        "versions": "Python / PyTorch",
        "threads": "PyTorch threads (intra-op / inter-op)",
        "device": "Device",
        "date": "Date (UTC)",
        "command": "Command",
        "timing": "Timing",
        "timing_value": "median of {repeats} runs after {warmup} warm-up runs, round-robin",
        "sizes": "Part 1 sizes",
        "seq_lens": "Part 2 lengths L",
        "item": "Setting",
        "value": "Value",
        "variant": "Implementation",
        "fwd": "Forward, ms",
        "bwd": "Forward + backward, ms",
        "spread": "<br><small>median<br>min–max</small>",
        "ratio": "× fastest",
        "peak_fwd": "Forward peak, MiB",
        "peak_bwd": "Fwd + bwd peak, MiB",
        "diff": "Max abs. diff. vs MultiHeadAttention",
        "not_measured": "not measured",
        "same_layer": "(other weights, no out_proj)",
        "L": "L (tokens)",
        "cached": "Cached step, ms",
        "recompute": "Recompute, ms",
        "speedup": "Speed-up",
        "decode_diff": "Max abs. diff., cached vs recomputed",
        "shape": "Model shape",
        "mib": "KV cache, MiB",
        "share": "× MHA",
        "target": "Target",
        "measured": "Measured (medians)",
        "verdict": "Met?",
        "met": "met",
        "overlap": "Min–max ranges overlap?",
        "yes": "yes",
        "no": "no",
        "not_met": "**not met**",
        "t_sdpa_ref": "`SDPAMultiHeadAttention` forward within 10% of the inline SDPA reference",
        "t_sdpa_torch": "`SDPAMultiHeadAttention` forward faster than `nn.MultiheadAttention`",
        "t_chapter_fwd": "`MultiHeadAttention` no slower than the transcribed book code, forward",
        "t_chapter_bwd": "`MultiHeadAttention` no slower than the transcribed book code, fwd + bwd",
        "t_decode": "A cached decoding step at 1,024 tokens at least 10× faster than recomputing",
    },
    "zh": {
        "processor": "处理器",
        "cpus": "逻辑 CPU 数",
        "platform": "操作系统",
        "versions": "Python / PyTorch",
        "threads": "PyTorch 线程数（算子内 / 算子间）",
        "device": "设备",
        "date": "日期（UTC）",
        "command": "命令",
        "timing": "计时方式",
        "timing_value": "先预热 {warmup} 次，再计时 {repeats} 次取中位数，各实现轮流运行",
        "sizes": "第 1 部分的规模",
        "seq_lens": "第 2 部分的长度 L",
        "item": "项目",
        "value": "取值",
        "variant": "实现",
        "fwd": "前向，ms",
        "bwd": "前向 + 反向，ms",
        "spread": "<br><small>中位数<br>最小–最大</small>",
        "ratio": "× 最快",
        "peak_fwd": "前向峰值，MiB",
        "peak_bwd": "前向 + 反向峰值，MiB",
        "diff": "与 MultiHeadAttention 的最大绝对误差",
        "not_measured": "未测量",
        "same_layer": "（权重不同，没有 out_proj）",
        "L": "L（词元数）",
        "cached": "缓存单步，ms",
        "recompute": "重新计算，ms",
        "speedup": "加速比",
        "decode_diff": "缓存与重新计算的最大绝对误差",
        "shape": "模型形状",
        "mib": "KV 缓存，MiB",
        "share": "× MHA",
        "target": "目标",
        "measured": "测得（中位数）",
        "verdict": "是否达成",
        "met": "达成",
        "overlap": "最小–最大区间是否重叠",
        "yes": "是",
        "no": "否",
        "not_met": "**未达成**",
        "t_sdpa_ref": "`SDPAMultiHeadAttention` 前向与内联 SDPA 参考实现相差不超过 10%",
        "t_sdpa_torch": "`SDPAMultiHeadAttention` 前向快于 `nn.MultiheadAttention`",
        "t_chapter_fwd": "`MultiHeadAttention` 不慢于照抄的书中代码（前向）",
        "t_chapter_bwd": "`MultiHeadAttention` 不慢于照抄的书中代码（前向 + 反向）",
        "t_decode": "1,024 个词元时，借助缓存的单步解码比重新计算至少快 10 倍",
    },
}

#: Names in the results that are descriptions rather than code, per language.
NAMES = {
    "zh": {
        "book code, transcribed": "书中代码（照抄）",
        "inline SDPA reference": "内联 SDPA 参考实现",
        "GroupedQueryAttention + sliding window": "GroupedQueryAttention + 滑动窗口",
        "Mistral-7B-like": "类 Mistral 7B",
    }
}


def load_results(path: Path = RESULTS) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _name(name: str, lang: str) -> str:
    return NAMES.get(lang, {}).get(name, name)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.3f}" if seconds < 0.01 else f"{seconds * 1e3:,.1f}"


def _timing(row: dict[str, Any]) -> str:
    """The median, and under it in small print the range of the timed runs."""
    return f"{_ms(row['median_s'])}<br><small>{_ms(row['min_s'])}–{_ms(row['max_s'])}</small>"


def _table(header: list[str], rows: list[list[str]], align: str) -> str:
    """A markdown table; ``align`` has one letter per column, ``l`` or ``r``."""
    rule = ["---" if a == "l" else "---:" for a in align]
    lines = [header, rule, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines) + "\n"


def render_machine(results: dict[str, Any], lang: str) -> str:
    t, m, cfg = TEXT[lang], results["machine"], results["config"]
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
    return _table([t["item"], t["value"]], rows, "ll")


def render_attention_times(results: dict[str, Any], lang: str) -> str:
    t, part = TEXT[lang], results["attention"]
    fwd, both = part["forward"], part["forward_backward"]
    fastest_fwd = min(row["median_s"] for row in fwd.values())
    fastest_both = min(row["median_s"] for row in both.values())
    rows = [
        [
            _name(name, lang),
            _timing(fwd[name]),
            f"{fwd[name]['median_s'] / fastest_fwd:.2f}",
            _timing(both[name]),
            f"{both[name]['median_s'] / fastest_both:.2f}",
        ]
        for name in fwd
    ]
    header = [t["variant"], t["fwd"] + t["spread"], t["ratio"], t["bwd"] + t["spread"], t["ratio"]]
    return _table(header, rows, "lrrrr")


def render_attention_memory(results: dict[str, Any], lang: str) -> str:
    t, part = TEXT[lang], results["attention"]
    peaks = part["memory"]["peak_bytes"] or {}
    diffs = part["max_abs_diff_vs_MultiHeadAttention"]
    rows = []
    for name in part["forward"]:
        peak = peaks.get(name, {})
        row = [_name(name, lang)]
        for mode in ("forward", "forward_backward"):
            size = peak.get(mode)
            row.append(t["not_measured"] if size is None else f"{size / 2**20:,.1f}")
        row.append(f"{diffs[name]:.1e}" if name in diffs else t["same_layer"])
        rows.append(row)
    header = [t["variant"], t["peak_fwd"], t["peak_bwd"], t["diff"]]
    return _table(header, rows, "lrrr")


def render_decode(results: dict[str, Any], lang: str) -> str:
    t = TEXT[lang]
    rows = [
        [
            str(row["seq_len"]),
            _timing(row["cached step"]),
            _timing(row["recompute"]),
            f"{row['speedup']:,.1f}×",
            f"{row['max_abs_diff']:.1e}",
        ]
        for row in results["decode"]
    ]
    header = [t["L"], t["cached"] + t["spread"], t["recompute"] + t["spread"]]
    header += [t["speedup"], t["decode_diff"]]
    return _table(header, rows, "rrrrr")


def render_kv_cache(results: dict[str, Any], lang: str) -> str:
    t = TEXT[lang]
    rows = [
        [
            _name(row["shape"], lang),
            _name(row["variant"], lang),
            f"{row['bytes'] / 2**20:,.1f}",
            f"{row['fraction_of_mha']:.3g}",
        ]
        for row in results["kv_cache"]
    ]
    return _table([t["shape"], t["variant"], t["mib"], t["share"]], rows, "llrr")


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether the min-max ranges of two timings overlap."""
    return a["min_s"] <= b["max_s"] and b["min_s"] <= a["max_s"]


def check_targets(results: dict[str, Any]) -> list[tuple[str, str, bool | None, bool | None]]:
    """Each target as (text key, measured medians, met?, ranges overlap?); None: not measured."""
    fwd = results["attention"]["forward"]
    both = results["attention"]["forward_backward"]

    def compare(rows: dict[str, Any], name: str, other: str) -> tuple[str, float, bool]:
        a, b = rows[name]["median_s"], rows[other]["median_s"]
        return f"{_ms(a)} / {_ms(b)} ms = {a / b:.2f}", a / b, _overlap(rows[name], rows[other])

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
        measured = f"{_ms(recompute['median_s'])} / {_ms(cached['median_s'])} ms"
        measured += f" = {row['speedup']:,.1f}×"
        targets.append(("t_decode", measured, row["speedup"] >= 10, _overlap(cached, recompute)))
    else:
        targets.append(("t_decode", "", None, None))
    return targets


def render_targets(results: dict[str, Any], lang: str) -> str:
    t = TEXT[lang]
    rows = []
    for key, measured, met, overlap in check_targets(results):
        verdict = t["not_measured"] if met is None else t["met"] if met else t["not_met"]
        ranges = "–" if overlap is None else t["yes"] if overlap else t["no"]
        rows.append([t[key], measured or "–", verdict, ranges])
    header = [t["target"], t["measured"], t["verdict"], t["overlap"]]
    return _table(header, rows, "lrll")


def render_memory_method(results: dict[str, Any], lang: str) -> str:
    """The method the run recorded for peak memory, quoted as the tool wrote it."""
    return f"`{results['attention']['memory']['method']}`\n"


# --8<-- [end:render]

if __name__ == "__main__":
    results = load_results(Path(__file__).resolve().parents[1] / RESULTS)
    for render in (
        render_machine,
        render_attention_times,
        render_attention_memory,
        render_decode,
        render_kv_cache,
        render_targets,
        render_memory_method,
    ):
        print(render(results, "en"))
