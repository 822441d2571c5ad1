"""Part 1: one attention layer, forward and forward+backward, six implementations.

At the default sizes (``b=2``, ``num_tokens=1024``, ``d_in = d_out = 768``, ``num_heads=12``,
dropout 0, float32), the same causal multi-head attention six ways:

- ``MultiHeadAttentionWrapper`` (3.6.1), with ``d_out = 768 // 12`` per head so that the
  output width matches; it has no ``out_proj``;
- ``MultiHeadAttention``, the package's 3.6.2 class (input checks included);
- ``book code, transcribed``: the book's 3.6.2 code as printed (float mask turned
  ``.bool()`` on every call, in-place ``masked_fill_``), no checks;
- ``SDPAMultiHeadAttention``;
- ``torch.nn.MultiheadAttention`` (``batch_first=True``, called with ``need_weights=False``,
  the boolean causal ``attn_mask`` and ``is_causal=True``). In ``eval()`` mode under
  ``no_grad`` PyTorch takes its fused inference fast path, which turns the mask into an
  additive float mask and does not use the ``is_causal`` hint; with gradients it calls
  ``scaled_dot_product_attention(is_causal=True)``;
- ``inline SDPA reference``: the computation of ``SDPAMultiHeadAttention`` as bare
  functional code with the same weights, no module and no checks. The gap between it and
  ``SDPAMultiHeadAttention`` is the cost of the module.

Forward runs in ``eval()`` mode under ``torch.no_grad()``; forward+backward in ``train()``
mode (dropout is 0), with an input that requires grad and ``backward`` of a fixed random
gradient; parameter gradients are reset to ``None`` before each run, outside the timed
region. All variants but the wrapper share one set of weights, and their outputs are checked
against ``MultiHeadAttention`` before timing.

Peak memory: on CUDA, ``torch.cuda.max_memory_allocated`` minus the memory allocated before
the run. On CPU, PyTorch keeps no allocation statistics and ``tracemalloc`` does not see its
allocations, so a child process (``--memory-probe``) measures the operating system's view:
the peak resident set size (``VmHWM``, reset through ``/proc/self/clear_refs`` before each
run) minus the resident size just before the run, after one warm-up run of the same
variant, with ``MALLOC_MMAP_THRESHOLD_=65536``. The figure includes everything the run
touches; it is page-granular and Linux-only.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.functional import linear, scaled_dot_product_attention

from benchmarks.config import BenchmarkConfig
from benchmarks.machine import (
    RETURN_FREED_MEMORY,
    can_measure_peak_rss,
    log,
    peak_rss,
    reset_peak_rss,
    run_child,
)
from benchmarks.timing import Case, add_ratios, round_robin, summary, sync
from llm_attention import (
    MultiHeadAttention,
    MultiHeadAttentionWrapper,
    SDPAMultiHeadAttention,
    causal_mask,
)

#: The rows of part 1, in table order.
ATTENTION_VARIANTS = (
    "MultiHeadAttentionWrapper",
    "MultiHeadAttention",
    "book code, transcribed",
    "SDPAMultiHeadAttention",
    "torch.nn.MultiheadAttention",
    "inline SDPA reference",
)

#: Forward alone (``eval``, under ``no_grad``), and forward+backward (``train``).
MODES = ("forward", "forward_backward")


class BookMultiHeadAttention(nn.Module):
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
        """The book's forward pass, ``(b, num_tokens, d_in) -> (b, num_tokens, d_out)``."""
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
class Variant:
    """A callable attention layer and the module holding its parameters."""

    fn: Callable[[torch.Tensor], torch.Tensor]
    module: nn.Module


def attention_variants(cfg: BenchmarkConfig) -> dict[str, Variant]:
    """Build the six implementations, all but the wrapper on one set of weights."""
    d, num_heads, n = cfg.d_model, cfg.num_heads, cfg.num_tokens
    torch.manual_seed(0)
    chapter = MultiHeadAttention(d, d, n, 0.0, num_heads)
    wrapper = MultiHeadAttentionWrapper(d, d // num_heads, n, 0.0, num_heads)
    weights = {k: v for k, v in chapter.state_dict().items() if k != "mask"}
    book = BookMultiHeadAttention(d, d, n, 0.0, num_heads)
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
        "MultiHeadAttentionWrapper": Variant(wrapper, wrapper),
        "MultiHeadAttention": Variant(chapter, chapter),
        "book code, transcribed": Variant(book, book),
        "SDPAMultiHeadAttention": Variant(sdpa, sdpa),
        "torch.nn.MultiheadAttention": Variant(torch_fn, torch_mha),
        "inline SDPA reference": Variant(reference_fn, reference),
    }


def cases(variants: dict[str, Variant], cfg: BenchmarkConfig, mode: str) -> dict[str, Case]:
    """Forward (``eval``, to be run under ``no_grad``) or forward+backward (``train``) cases."""
    device = torch.device(cfg.device)
    generator = torch.Generator().manual_seed(1)
    shape = (cfg.batch_size, cfg.num_tokens, cfg.d_model)
    x = torch.randn(shape, generator=generator).to(device)
    result: dict[str, Case] = {}
    for name, variant in variants.items():
        if mode == "forward":
            variant.module.eval()
            result[name] = Case(run=functools.partial(variant.fn, x))
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

            result[name] = Case(run=run, setup=setup)
    return result


def peak_bytes(case: Case, device: str) -> int:
    """Extra memory at the peak of one run of ``case``, after one warm-up run."""
    for _ in range(2):  # warm-up (lazy initialisation, gradient buffers), then measure
        if case.setup is not None:
            case.setup()
        sync(device)
        if device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
            before = torch.cuda.memory_allocated()
        else:
            before = reset_peak_rss()
        case.run()
        sync(device)
        peak = torch.cuda.max_memory_allocated() if device.startswith("cuda") else peak_rss()
    return max(peak - before, 0)


def probe_memory(cfg: BenchmarkConfig) -> dict[str, dict[str, int]]:
    """Peak extra bytes of every variant and mode, in this process (``--memory-probe``)."""
    variants = attention_variants(cfg)
    peaks: dict[str, dict[str, int]] = {name: {} for name in variants}
    for mode in MODES:
        mode_cases = cases(variants, cfg, mode)
        with torch.set_grad_enabled(mode != "forward"):
            for name, case in mode_cases.items():
                peaks[name][mode] = peak_bytes(case, cfg.device)
    return peaks


def measure_memory(cfg: BenchmarkConfig) -> dict[str, Any]:
    """Peak memory per variant and mode, with the method used, or the reason it is missing."""
    if not cfg.memory:
        return {"method": "skipped (--no-memory)", "peak_bytes": None}
    if cfg.device.startswith("cuda"):
        method = "torch.cuda.max_memory_allocated() minus memory_allocated() before the run"
        return {"method": method, "peak_bytes": probe_memory(cfg)}
    if not can_measure_peak_rss():
        return {"method": "unavailable: needs Linux /proc/self/clear_refs", "peak_bytes": None}
    env = dict(os.environ, **RETURN_FREED_MEMORY)
    proc = run_child(
        ["--memory-probe", "--threads", str(torch.get_num_threads())],
        env=env,
        stdin=json.dumps(asdict(cfg)),
    )
    method = (
        "child process: peak resident set size (VmHWM, reset via /proc/self/clear_refs) "
        "minus resident size before the run, MALLOC_MMAP_THRESHOLD_=65536"
    )
    if proc.returncode != 0:
        return {"method": method, "peak_bytes": None, "error": proc.stderr[-2000:]}
    return {"method": method, "peak_bytes": json.loads(proc.stdout)}


def bench_attention(cfg: BenchmarkConfig) -> dict[str, Any]:
    """Part 1: time (and size) the six implementations."""
    variants = attention_variants(cfg)
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
    for mode in MODES:
        log(f"part 1: {mode.replace('_', '+')}")
        mode_cases = cases(variants, cfg, mode)
        with torch.set_grad_enabled(mode != "forward"):
            runs = round_robin(
                mode_cases, repeats=cfg.repeats, warmup=cfg.warmup, device=cfg.device
            )
        rows = {name: summary(run["times_s"]) for name, run in runs.items()}
        add_ratios(rows)
        results[mode] = rows
    log("part 1: peak memory")
    results["memory"] = measure_memory(cfg)
    return results
