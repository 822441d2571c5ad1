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
        "other_cpu": "Other processes during the run",
        "other_cpu_value": "{percent:.1f}% of all CPUs ({other_cpu_s:.1f} CPU-s in {wall_s:.0f} s)",
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
        "no_part4": "*Part 4 is not in this results file ({reason}).*",
        "setting_default": "glibc defaults",
        "setting_no_mmap": "no mmap, memory kept",
        "stage": "Step",
        "ms_faults": "{name}<br><small>ms (page faults)</small>",
        "total": "**Sum of the steps**",
        "none": "–",
        "size": "Tensor, MiB",
        "pages": "Pages",
        "faults": "Page faults",
        "fill_ms": "Allocate + fill, ms",
        "tokens": "num_tokens",
        "heads": "num_heads",
        "head_mib": "Scores per head, MiB",
        "all_mib": "All heads, MiB",
        "wrap_short": "Wrapper",
        "mha_short": "MHA",
        "mha_over_wrap": "MHA / wrapper",
        "module": "Module",
        "mode": "Pass",
        "forward": "forward",
        "forward_backward": "forward + backward",
        "faults_per_run": "page faults per run",
        "caches": (
            "Caches of this CPU: {caches}; one memory page: {page_kib} KiB; {libc}. "
            "Part 4 ran {rounds} child process(es) per setting, alternating between the two; "
            "meanwhile other processes used {other_percent} of all CPUs."
        ),
        "cache_item": "L{level}{kind} {size} ({scope})",
        "cache_shared": "shared",
        "cache_per_core": "per core",
        "f_total": (
            "**The gap, and how it closes.** At the layer sizes above, the forward pass of "
            "`MultiHeadAttention` takes {mha:.1f} ms and the wrapper's {wrap:.1f} ms "
            "({ratio:.2f}×) with glibc's default settings; when freed memory is kept and reused "
            "(`MALLOC_MMAP_MAX_=0`), {mha_nm:.1f} ms and {wrap_nm:.1f} ms ({ratio_nm:.2f}×). "
            "Forward + backward: {ratio_b:.2f}× and {ratio_b_nm:.2f}×."
        ),
        "f_faults": (
            "**Page faults.** One forward pass of `MultiHeadAttention` takes {mha_faults:,.0f} "
            "minor page faults, {mha_fault_mib:,.0f} MiB of memory fresh from the kernel; "
            "the wrapper's takes {wrap_faults:,.0f}. The steps that fault are {stages}: "
            "each writes a new `(b, num_heads, num_tokens, num_tokens)` tensor of "
            "{all_mib:,.0f} MiB."
        ),
        "f_cost": (
            "**What the faults cost.** Summed over the steps, `MultiHeadAttention` takes "
            "{fault_ms:.1f} ms longer with the default settings than with memory kept, "
            "while the whole gap to the wrapper is {gap_ms:.1f} ms."
        ),
        "f_cache": (
            "**The caches.** Without page faults, masking, scaling and softmax take "
            "{mha_elem:.1f} ms on the one {all_mib:,.0f} MiB tensor of `MultiHeadAttention` and "
            "{wrap_elem:.1f} ms on the wrapper's {num_heads} tensors of {head_mib:,.0f} MiB "
            "(L3 cache: {l3}): a difference of {cache_ms:.1f} ms, {cache_percent:.0f}% of the "
            "steps of `MultiHeadAttention`."
        ),
        "f_copy": (
            "**The copy before `.view()`.** Merging the heads with "
            "`.transpose(1, 2).contiguous()` takes {merge:.2f} ms, the wrapper's `torch.cat` "
            "{cat:.2f} ms."
        ),
        "f_out_proj": (
            "**`out_proj`.** The wrapper has none; in `MultiHeadAttention` it takes "
            "{out_proj:.1f} ms. Without page faults and without `out_proj`, the steps of "
            "`MultiHeadAttention` add up to {mha_rest:.1f} ms, the wrapper's to {wrap_nm:.1f} ms."
        ),
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
        "other_cpu": "运行期间其他进程的占用",
        "other_cpu_value": (
            "全部 CPU 的 {percent:.1f}%（{wall_s:.0f} 秒内共 {other_cpu_s:.1f} CPU 秒）"
        ),
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
        "no_part4": "*这份结果文件里没有第 4 部分（{reason}）。*",
        "setting_default": "glibc 默认设置",
        "setting_no_mmap": "不用 mmap，保留内存",
        "stage": "步骤",
        "ms_faults": "{name}<br><small>ms（缺页次数）</small>",
        "total": "**各步合计**",
        "none": "–",
        "size": "张量，MiB",
        "pages": "页数",
        "faults": "缺页次数",
        "fill_ms": "分配并填充，ms",
        "tokens": "num_tokens",
        "heads": "num_heads",
        "head_mib": "每个头的分数，MiB",
        "all_mib": "全部头，MiB",
        "wrap_short": "包装类",
        "mha_short": "MHA",
        "mha_over_wrap": "MHA / 包装类",
        "module": "模块",
        "mode": "计算",
        "forward": "前向",
        "forward_backward": "前向 + 反向",
        "faults_per_run": "每次运行的缺页次数",
        "caches": (
            "这颗 CPU 的缓存：{caches}；一个内存页 {page_kib} KiB；{libc}。"
            "第 4 部分每种设置运行 {rounds} 个子进程，两种设置交替进行；"
            "其间其他进程占用了全部 CPU 的 {other_percent}。"
        ),
        "cache_item": "L{level}{kind} {size}（{scope}）",
        "cache_shared": "共享",
        "cache_per_core": "每核",
        "f_total": (
            "**差距及其消失。**在上文的层规模下，按 glibc 的默认设置，`MultiHeadAttention` "
            "的前向要 {mha:.1f} ms，包装类要 {wrap:.1f} ms（{ratio:.2f} 倍）；让释放的内存留下来"
            "重复使用（`MALLOC_MMAP_MAX_=0`）之后，两者分别是 {mha_nm:.1f} ms 和 {wrap_nm:.1f} ms"
            "（{ratio_nm:.2f} 倍）。前向加反向：{ratio_b:.2f} 倍和 {ratio_b_nm:.2f} 倍。"
        ),
        "f_faults": (
            "**缺页。**`MultiHeadAttention` 的一次前向引发 {mha_faults:,.0f} 次缺页异常（page "
            "fault，都是无须读盘的 minor fault），相当于从内核新要了 {mha_fault_mib:,.0f} MiB "
            "内存；包装类只有 {wrap_faults:,.0f} 次。发生缺页的步骤是{stages}："
            "每一步都写出一个新的 `(b, num_heads, num_tokens, num_tokens)` 张量，"
            "大小 {all_mib:,.0f} MiB。"
        ),
        "f_cost": (
            "**缺页的代价。**把各步加起来，默认设置下的 `MultiHeadAttention` 比保留内存时多花 "
            "{fault_ms:.1f} ms，而它与包装类的全部差距是 {gap_ms:.1f} ms。"
        ),
        "f_cache": (
            "**缓存。**没有缺页时，遮蔽、缩放和 softmax 在 `MultiHeadAttention` "
            "那一个 {all_mib:,.0f} MiB 的张量上共花 {mha_elem:.1f} ms，在包装类的 {num_heads} 个 "
            "{head_mib:,.0f} MiB 的张量上共花 {wrap_elem:.1f} ms（L3 缓存：{l3}），相差 "
            "{cache_ms:.1f} ms，占 `MultiHeadAttention` 各步合计的 {cache_percent:.0f}%。"
        ),
        "f_copy": (
            "**`.view()` 之前的那次复制。**用 `.transpose(1, 2).contiguous()` 合并各头要 "
            "{merge:.2f} ms，包装类的 `torch.cat` 要 {cat:.2f} ms。"
        ),
        "f_out_proj": (
            "**`out_proj`。**包装类没有输出投影；`MultiHeadAttention` 的 `out_proj` 要 "
            "{out_proj:.1f} ms。既没有缺页、又去掉 `out_proj` 时，`MultiHeadAttention` 各步合计 "
            "{mha_rest:.1f} ms，包装类是 {wrap_nm:.1f} ms。"
        ),
    },
}

#: Names in the results that are descriptions rather than code, per language.
NAMES = {
    "zh": {
        "book code, transcribed": "书中代码（照抄）",
        "inline SDPA reference": "内联 SDPA 参考实现",
        "GroupedQueryAttention + sliding window": "GroupedQueryAttention + 滑动窗口",
        "Mistral-7B-like": "类 Mistral 7B",
        "projections": "投影",
        "split into heads": "拆分成多个头",
        "mask (in place)": "遮蔽（原地）",
        "scale": "缩放",
        "merge heads": "合并各头",
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
    if "share" in results.get("other_cpu", {}):
        other = results["other_cpu"]
        rows.append(
            [t["other_cpu"], t["other_cpu_value"].format(**other, percent=100 * other["share"])]
        )
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
        return TEXT[lang]["no_part4"].format(reason=part.get("skipped", "–")) + "\n"
    return None


def render_wrapper_caches(results: dict[str, Any], lang: str) -> str:
    if (missing := _missing_part4(results, lang)) is not None:
        return missing
    t, part = TEXT[lang], results["wrapper_vs_mha"]
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
    if (missing := _missing_part4(results, lang)) is not None:
        return missing
    t, runs = TEXT[lang], _part4_runs(results)
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
    return _table(header, rows, "r" * len(header))


def render_wrapper_stages(results: dict[str, Any], lang: str) -> str:
    """Each step of both forward passes: ms and page faults, per allocator setting."""
    if (missing := _missing_part4(results, lang)) is not None:
        return missing
    t, runs = TEXT[lang], _part4_runs(results)
    header = [t["stage"]]
    for setting in runs:
        for name in (MHA, WRAPPER):
            header.append(t["ms_faults"].format(name=f"{name}<br>{t[SETTINGS[setting]]}"))
    stages = list(next(iter(runs.values()))["stages"][MHA])
    rows = []
    for stage in stages:
        row = [_name(stage, lang)]
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
    return _table(header, rows, "l" + "r" * (len(header) - 1))


def render_wrapper_modules(results: dict[str, Any], lang: str) -> str:
    """The two modules as they are: median ms and page faults per run."""
    if (missing := _missing_part4(results, lang)) is not None:
        return missing
    t, runs = TEXT[lang], _part4_runs(results)
    header = [t["mode"], t["module"]]
    header += [t["ms_faults"].format(name=t[SETTINGS[setting]]) for setting in runs]
    rows = []
    for mode in ("forward", "forward_backward"):
        for name in (MHA, WRAPPER):
            row = [t[mode], f"`{name}`"]
            row += [_ms_faults(run["modules"][mode][name], t) for run in runs.values()]
            rows.append(row)
    return _table(header, rows, "ll" + "r" * len(runs))


def render_wrapper_sweep(results: dict[str, Any], lang: str) -> str:
    """Forward passes at other sizes: the wrapper against MultiHeadAttention."""
    if (missing := _missing_part4(results, lang)) is not None:
        return missing
    t, runs = TEXT[lang], _part4_runs(results)
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
            f"{point['head_scores_bytes'] / 2**20:,.1f}",
            f"{point['all_scores_bytes'] / 2**20:,.1f}",
        ]
        for run in runs.values():
            p = run["sweep"][i]
            row += [_ms_faults(p[WRAPPER], t), _ms_faults(p[MHA], t), f"**{p['ratio']:.2f}**"]
        rows.append(row)
    return _table(header, rows, "r" * len(header))


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

    def ms(run: dict[str, Any], name: str, stages: tuple[str, ...] | None = None) -> float:
        steps = run["stages"][name]
        return 1e3 * sum(v["median_s"] for k, v in steps.items() if stages is None or k in stages)

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
        "mha_fault_mib": fwd[MHA]["minor_faults"] * part["page_size"] / 2**20,
        "stages": _join([f"“{_name(s, lang)}”" for s in faulting], lang),
        "all_mib": head_bytes * cfg["num_heads"] / 2**20,
        "head_mib": head_bytes / 2**20,
        "num_heads": cfg["num_heads"],
        "fault_ms": ms(default, MHA) - ms(kept, MHA),
        "gap_ms": ms(default, MHA) - ms(default, WRAPPER),
        "mha_elem": ms(kept, MHA, ELEMENTWISE),
        "wrap_elem": ms(kept, WRAPPER, ELEMENTWISE),
        "cache_ms": ms(kept, MHA, ELEMENTWISE) - ms(kept, WRAPPER, ELEMENTWISE),
        "cache_percent": 100
        * (ms(kept, MHA, ELEMENTWISE) - ms(kept, WRAPPER, ELEMENTWISE))
        / ms(kept, MHA),
        "l3": _cache_size(l3[0]) if l3 else "?",
        "merge": ms(kept, MHA, ("merge heads",)),
        "cat": ms(kept, WRAPPER, ("merge heads",)),
        "out_proj": ms(kept, MHA, ("out_proj",)),
        "mha_rest": ms(kept, MHA) - ms(kept, MHA, ("out_proj",)),
        "wrap_nm": ms(kept, WRAPPER),
    }


def render_wrapper_findings(results: dict[str, Any], lang: str) -> str:
    """The findings of part 4 as a list, every figure taken from the results."""
    if (missing := _missing_part4(results, lang)) is not None:
        return missing
    t, figures = TEXT[lang], wrapper_findings(results, lang)
    keys = ("f_total", "f_faults", "f_cost", "f_cache", "f_copy", "f_out_proj")
    return "\n".join(f"- {t[key].format(**figures)}" for key in keys) + "\n"


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
        render_wrapper_caches,
        render_wrapper_allocations,
        render_wrapper_stages,
        render_wrapper_modules,
        render_wrapper_sweep,
        render_wrapper_findings,
    ):
        print(render(results, "en"))
