"""The reports of ``caches.json`` (``--caches``): Markdown tables and the cache-size chart.

The command line prints ``to_markdown``; the GQA, sliding-window, MLA and KV-cache pages call
the table and chart functions in hidden blocks, with ``lang="en"`` or ``lang="zh"``, so the
numbers on the pages are the ones the tool wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.report.markdown import MIB, mib, table
from benchmarks.report.strings import CACHE_LABELS, CACHES, strings
from benchmarks.report.svg import line_chart_svg

__all__ = [
    "cache_bytes_table",
    "cache_curve_svg",
    "comparison_table",
    "decode_table",
    "label",
    "machine_line",
    "to_markdown",
]


def _check_keys(results: dict[str, Any], keys: Sequence[str]) -> list[str]:
    unknown = [key for key in keys if key not in results["variants"]]
    if unknown:
        raise ValueError(
            f"unknown variant(s) {unknown}; the results have {list(results['variants'])}"
        )
    return list(keys)


def label(results: dict[str, Any], key: str, lang: str = "en") -> str:
    """The variant's name in the page's language, with its size (groups, latent, window)."""
    labels = strings(CACHE_LABELS, lang)
    info = results["variants"][key]
    kind = key.split("_")[0]  # mla_large -> mla, swa_small -> swa
    return labels[kind].format(**info, local=info.get("global_every", 1) - 1)


def _per_length_table(
    results: dict[str, Any],
    keys: Sequence[str],
    lang: str,
    cell: Callable[[dict[str, Any]], str],
) -> str:
    """One row per context length, one column per variant, ``cell(point)`` in each."""
    text, keys = strings(CACHES, lang), _check_keys(results, keys)
    header = [text["context"], *(label(results, key, lang) for key in keys)]
    rows = [
        [f"{row['context_length']:,}", *(cell(results["rows"][key][i]) for key in keys)]
        for i, row in enumerate(results["rows"][keys[0]])
    ]
    return table(header, rows, "r" * len(header)).rstrip("\n")


def cache_bytes_table(results: dict[str, Any], keys: Sequence[str], lang: str = "en") -> str:
    """Markdown: measured cache MiB per context length (rows) and variant (columns)."""
    lines = _per_length_table(results, keys, lang, lambda point: mib(point["cache_nbytes"]))
    ok = all(
        point["cache_nbytes"] == point["formula_bytes"]
        for key in keys
        for point in results["rows"][key]
    )
    return "\n".join([lines, "", strings(CACHES, lang)["all_equal"].format(ok=ok)])


def decode_table(results: dict[str, Any], keys: Sequence[str], lang: str = "en") -> str:
    """Markdown: tokens per second of cached decoding per context length and variant."""
    return _per_length_table(results, keys, lang, lambda point: f"{point['tokens_per_s']:.1f}")


def comparison_table(results: dict[str, Any], gives_up: dict[str, str], lang: str = "en") -> str:
    """Markdown: a row per variant (in ``gives_up``'s order), formula beside measurements."""
    text, keys = strings(CACHES, lang), _check_keys(results, list(gives_up))
    largest = max(results["config"]["context_lengths"])
    peaks = (results.get("peak_memory") or {}).get("rows") or {}
    header = [
        text["variant"],
        text["formula"],
        text["measured"],
        text["cache_at"].format(L=largest),
        text["peak"],
        text["speed_at"].format(L=largest),
        text["gives_up"],
    ]
    rows = []
    for key in keys:
        info, last = results["variants"][key], results["rows"][key][-1]
        peak = peaks.get(key)
        peak_text = (
            f"{mib(peak['peak_rss_bytes'] - peak['rss_before_bytes'])} MiB" if peak else "n/a"
        )
        rows.append(
            [
                label(results, key, lang),
                f"{info['formula_bytes_per_token_per_layer']:,}",
                f"{info['measured_bytes_per_token_per_layer']:,.0f}",
                f"{mib(last['cache_nbytes'])} MiB",
                peak_text,
                f"{last['tokens_per_s']:.1f}",
                gives_up[key],
            ]
        )
    return table(header, rows, "lrrrrrl") + "\n" + text["per_token_note"]


def machine_line(results: dict[str, Any], lang: str = "en") -> str:
    """An italic caption: model shape, machine, torch, threads and date of the run."""
    cfg, machine = results["config"], results["machine"]
    return strings(CACHES, lang)["caption"].format(
        n_layers=cfg["n_layers"],
        n_heads=cfg["n_heads"],
        emb_dim=cfg["emb_dim"],
        batch=cfg["batch_size"],
        steps=cfg["decode_tokens"],
        processor=machine.get("processor") or machine.get("machine", ""),
        torch=machine["torch"],
        device=machine["device"],
        threads=machine.get("torch_threads", "?"),
        date=str(machine.get("date_utc", ""))[:10],
    )


def cache_curve_svg(results: dict[str, Any], keys: Sequence[str], lang: str = "en") -> str:
    """An inline SVG line chart: measured cache MiB against context length, one line per variant.

    Text uses ``currentColor``, so the chart follows the page's light or dark scheme;
    each line also has its own dash pattern and a label at its end.
    """
    text, keys = strings(CACHES, lang), _check_keys(results, keys)
    lengths = [row["context_length"] for row in results["rows"][keys[0]]]
    series = [
        (label(results, key, lang), [row["cache_nbytes"] / MIB for row in results["rows"][key]])
        for key in keys
    ]
    description = "; ".join(
        f"{label(results, key, lang)}: "
        + ", ".join(mib(row["cache_nbytes"]) for row in results["rows"][key])
        for key in keys
    )
    lengths_text = ", ".join(f"{length:,}" for length in lengths)
    return line_chart_svg(
        series,
        [f"{length:,}" for length in lengths],
        title=text["chart_title"],
        x_axis=text["x_axis"],
        y_axis=text["y_axis"],
        summary=f"{text['chart_title']} ({lengths_text}), MiB: {description}",
        css_class="cache-curve",
    )


def to_markdown(results: dict[str, Any]) -> str:
    """Every table of a run, as the command line prints it and writes ``caches.md``."""
    keys = list(results["variants"])
    gives = {key: "" for key in keys}
    blocks = [
        "## KV-cache bytes (measured `cache_nbytes()`, whole model)",
        cache_bytes_table(results, keys),
        "## Cached decoding, tokens per second",
        decode_table(results, keys),
        "## Per variant",
        comparison_table(results, gives),
        "",
        machine_line(results),
        f"\nPeak memory: {results['peak_memory']['method']}",
    ]
    return "\n\n".join(blocks) + "\n"
