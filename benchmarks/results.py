"""Where the committed results live, and reading them back.

A full run's files are committed in ``docs/assets/benchmarks/``; the site's pages read them
from there when the site is built (``load_results(CACHES_RESULTS)``). These paths exist only in
a checkout of the repository, which is why they live here and not in ``llm_attention``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.machine import ROOT

#: The committed results, read by the pages.
RESULTS_DIR = ROOT / "docs" / "assets" / "benchmarks"
#: Parts 1 to 4 (``python -m benchmarks``): the benchmarks page.
ATTENTION_RESULTS = RESULTS_DIR / "benchmarks.json"
#: ``python -m benchmarks --caches``: the GQA, sliding-window, MLA and KV-cache pages.
CACHES_RESULTS = RESULTS_DIR / "caches.json"


def load_results(path: str | Path) -> dict[str, Any]:
    """A results file as ``json.load`` reads it."""
    with open(path, encoding="utf-8") as f:
        results: dict[str, Any] = json.load(f)
    return results


def write_results(out: Path, stem: str, results: dict[str, Any], markdown: str) -> None:
    """``STEM.json`` (every number) and ``STEM.md`` (the tables) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.md").write_text(markdown, encoding="utf-8")
    with open(out / f"{stem}.json", "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
