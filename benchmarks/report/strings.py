"""Every word the reports print, in English and Chinese: one place for the UI strings.

``ATTENTION`` holds the strings of ``benchmarks.json``'s tables (the command line's
``benchmarks.md`` and the benchmarks page), ``CACHES`` those of ``caches.json``'s (the command
line's ``caches.md`` and the cache sections of the GQA, sliding-window, MLA and KV-cache pages),
``CACHE_LABELS`` the names of the cache variants, and ``NAMES`` the Chinese for the names in the
results that are descriptions rather than code. ``strings(table, lang)`` picks one language.
"""

from __future__ import annotations

LANGS = ("en", "zh")

ATTENTION: dict[str, dict[str, str]] = {
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
        # the command line's headings (benchmarks.md)
        "h_title": "Attention benchmarks",
        "h_machine": "The machine and the settings",
        "h_layer": "1. One attention layer",
        "h_layer_memory": "1. Peak memory and agreement with MultiHeadAttention",
        "h_decode": "2. One decoding step: KV cache against recomputing",
        "h_kv": "3. KV-cache memory (batch 1, 16-bit numbers, kv_cache_bytes)",
        "h_targets": "Targets",
        "h_wrapper": "4. Why the wrapper is faster than MultiHeadAttention here",
        "h_memory_method": "How peak memory was measured",
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
        # 命令行输出（benchmarks.md）的标题
        "h_title": "注意力性能测评",
        "h_machine": "机器与设置",
        "h_layer": "1. 单个注意力层",
        "h_layer_memory": "1. 峰值内存及与 MultiHeadAttention 的误差",
        "h_decode": "2. 单步解码：KV 缓存与重新计算",
        "h_kv": "3. KV 缓存的内存（批次大小 1，16 位数，kv_cache_bytes）",
        "h_targets": "目标",
        "h_wrapper": "4. 包装类为什么在这里更快",
        "h_memory_method": "峰值内存的测量方法",
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


CACHES: dict[str, dict[str, str]] = {
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
            "批次大小 {batch}，float32，随机权重；取 {steps} 个带缓存解码步的中位数；"
            "{processor}，torch {torch}，设备 `{device}`，{threads} 个线程，{date}。*"
        ),
    },
}


#: The cache variants' names; ``{...}`` fields come from the variant's entry in the results.
CACHE_LABELS: dict[str, dict[str, str]] = {
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


def strings(table: dict[str, dict[str, str]], lang: str) -> dict[str, str]:
    """One language's strings of ``table``; ``lang`` is ``"en"`` or ``"zh"``."""
    if lang not in table:
        raise ValueError(f"lang must be one of {sorted(table)}, got {lang!r}")
    return table[lang]


def display_name(text: str, lang: str) -> str:
    """A name from the results in ``lang`` (descriptions are translated, code is not)."""
    return NAMES.get(lang, {}).get(text, text)
