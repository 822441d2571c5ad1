"""Smoke test of ``python -m benchmarks --caches`` and of its page renderers.

Timings are never asserted: they depend on the machine. Bytes are: every measured
``cache_nbytes()`` must equal what ``kv_cache_bytes`` predicts.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from benchmarks.caches import CACHE_VARIANTS
from benchmarks.config import QUICK_CACHE_CONFIG
from benchmarks.report.caches import (
    cache_bytes_table,
    cache_curve_svg,
    comparison_table,
    decode_table,
    label,
    machine_line,
    to_markdown,
)
from benchmarks.results import CACHES_RESULTS, load_results

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    out = tmp_path_factory.mktemp("caches")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            "--caches",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return out, json.loads((out / "caches.json").read_text(encoding="utf-8")), proc.stdout


def check_results(results: dict[str, Any]) -> None:
    """What must hold for any run, quick or full: the bytes, not the times."""
    cfg, variants = results["config"], results["variants"]
    assert list(variants) == list(CACHE_VARIANTS)
    lengths = list(cfg["context_lengths"])
    for key in CACHE_VARIANTS:
        rows = results["rows"][key]
        assert [row["context_length"] for row in rows] == lengths
        for row in rows:
            assert row["cache_nbytes"] == row["formula_bytes"], (key, row["context_length"])
            assert len(row["step_times_s"]) == cfg["decode_tokens"]
            assert row["tokens_per_s"] > 0
    mha = [row["cache_nbytes"] for row in results["rows"]["mha"]]
    assert all(later == 2 * earlier for earlier, later in itertools.pairwise(mha))  # lengths double
    for key in ("gqa4", "mqa", "mla_large", "mla_small"):  # linear in L, smaller than MHA
        sizes = [row["cache_nbytes"] for row in results["rows"][key]]
        assert (
            all(s * mha[0] == m * sizes[0] for s, m in zip(sizes, mha, strict=True))
            and sizes[0] < mha[0]
        )
    assert results["rows"]["gqa4"][0]["cache_nbytes"] * cfg["n_heads"] == (
        mha[0] * cfg["num_kv_groups"]
    )
    # the sliding window: the cache grows with L up to the window, then stays flat
    for key in ("swa_small", "swa_large"):
        window = variants[key]["window"]
        past = [r["cache_nbytes"] for r in results["rows"][key] if r["context_length"] >= window]
        assert len(past) >= 2 and len(set(past)) == 1, key
    # Gemma-style: past the window only the global layers' caches still grow, like MHA's
    gemma = [row["cache_nbytes"] for row in results["rows"]["gemma"]]
    swa = [row["cache_nbytes"] for row in results["rows"]["swa_large"]]
    n_global = cfg["n_layers"] // variants["gemma"]["global_every"]
    for i, length in enumerate(lengths[1:], start=1):
        if lengths[i - 1] >= variants["gemma"]["window"]:
            growth = gemma[i] - gemma[i - 1]
            assert growth * cfg["n_layers"] == (mha[i] - mha[i - 1]) * n_global, length
    assert all(s <= g <= m for s, g, m in zip(swa, gemma, mha, strict=True))
    assert gemma[-1] < mha[-1]
    for key, info in variants.items():
        assert info["formula_bytes_per_token_per_layer"] > 0, key


def test_quick_run_writes_json_and_markdown(quick: tuple[Path, dict[str, Any], str]) -> None:
    out, results, stdout = quick
    assert (out / "caches.md").read_text(encoding="utf-8") == stdout.rstrip("\n") + "\n"
    assert stdout.strip() == to_markdown(results).strip()  # the page's renderers, in English
    check_results(results)
    assert results["config"]["context_lengths"] == list(QUICK_CACHE_CONFIG.context_lengths)
    for key, info in results["variants"].items():
        assert info["label"] == label(results, key, "en")
        assert info["label"] in stdout
    if Path("/proc/self/clear_refs").exists():
        peaks = results["peak_memory"]["rows"]
        assert set(peaks) == set(CACHE_VARIANTS)
        for key, peak in peaks.items():
            assert peak["peak_rss_bytes"] >= peak["rss_before_bytes"] > 0, key
            assert peak["cache_nbytes"] == results["rows"][key][-1]["cache_nbytes"], key


def test_the_committed_results_hold_the_same_invariants() -> None:
    results = load_results(CACHES_RESULTS)
    assert CACHES_RESULTS == ROOT / "docs" / "assets" / "benchmarks" / "caches.json"
    check_results(results)
    cfg = results["config"]
    # the committed run is the full one, in the GPT-2-small shape
    assert (cfg["n_layers"], cfg["n_heads"], cfg["emb_dim"], cfg["vocab_size"]) == (
        12,
        12,
        768,
        50257,
    )
    assert results["machine"]["device"] == "cpu"
    assert results["peak_memory"]["rows"] is not None


def test_renderers(quick: tuple[Path, dict[str, Any], str]) -> None:
    _, results, _ = quick
    keys = ["mha", "gqa4", "swa_small"]
    for lang in ("en", "zh"):
        table = cache_bytes_table(results, keys, lang)
        assert table.count("\n|") == 1 + len(results["rows"]["mha"])  # separator + rows
        assert table.rstrip().endswith(("True.", "True。"))
        assert len(decode_table(results, keys, lang).splitlines()) == 2 + len(
            results["rows"]["mha"]
        )
        gives_up = {key: f"cost of {key}" for key in CACHE_VARIANTS}
        comparison = comparison_table(results, gives_up, lang)
        for key in CACHE_VARIANTS:
            assert f"cost of {key} |" in comparison
        assert machine_line(results, lang).startswith("*")
        svg = ET.fromstring(cache_curve_svg(results, keys, lang))
        assert svg.tag == f"{SVG}svg" and svg.get("role") == "img"
        assert len(list(svg.iter(f"{SVG}polyline"))) == len(keys)
        labels = [t.text for t in svg.iter(f"{SVG}text")]
        for key in keys:
            assert label(results, key, lang) in labels
            assert label(results, key, lang) in table.splitlines()[0]
    with pytest.raises(ValueError, match=r"unknown variant\(s\) \['nope'\]"):
        cache_bytes_table(results, ["nope"])
    with pytest.raises(ValueError, match="lang must be one of"):
        decode_table(results, keys, lang="fr")
