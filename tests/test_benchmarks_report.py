"""The reports of the committed results: what the pages and the command line print.

The committed files in ``docs/assets/benchmarks/`` come from a full-size run; these tests
render them with ``benchmarks.report`` in both languages, as the pages do when the site is
built, and check the one table renderer, the one chart renderer and the strings.
"""

from __future__ import annotations

import ast
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from benchmarks.config import CacheBenchConfig
from benchmarks.report import attention as report
from benchmarks.report.markdown import table
from benchmarks.report.strings import ATTENTION, CACHE_LABELS, CACHES, NAMES, strings
from benchmarks.report.svg import PALETTE, escape, line_chart_svg
from benchmarks.results import ATTENTION_RESULTS, CACHES_RESULTS, RESULTS_DIR, load_results

ROOT = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"
PAGE_RENDERERS = [
    report.render_machine,
    report.render_attention_times,
    report.render_attention_memory,
    report.render_decode,
    report.render_kv_cache,
    report.render_targets,
    report.render_memory_method,
    report.render_wrapper_caches,
    report.render_wrapper_allocations,
    report.render_wrapper_stages,
    report.render_wrapper_modules,
    report.render_wrapper_sweep,
    report.render_wrapper_findings,
]


def test_the_results_live_where_the_pages_read_them() -> None:
    assert RESULTS_DIR == ROOT / "docs" / "assets" / "benchmarks"
    for path in (ATTENTION_RESULTS, CACHES_RESULTS, RESULTS_DIR / "benchmarks.svg"):
        assert path.is_file(), path


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("render", PAGE_RENDERERS, ids=lambda f: f.__name__)
def test_every_page_table_renders_from_the_committed_run(render: object, lang: str) -> None:
    results = load_results(ATTENTION_RESULTS)
    text = render(results, lang)  # type: ignore[operator]
    assert text.strip()
    assert not re.search(r"\{[a-z_]+(:[^}]*)?\}", text), text  # every field filled in


def test_the_committed_chart_is_what_the_renderer_draws() -> None:
    # The page shows benchmarks.svg; it must be the bar charts of the committed numbers.
    results = load_results(ATTENTION_RESULTS)
    committed = (RESULTS_DIR / "benchmarks.svg").read_text(encoding="utf-8")
    assert committed == report.to_svg(results)
    root = ET.fromstring(committed)
    fills = {rect.get("fill") for rect in root.iter(f"{SVG}rect")} - {"white"}
    assert fills <= {colour for colour, _ in PALETTE}


def test_the_command_line_markdown_is_the_pages_tables() -> None:
    results = load_results(ATTENTION_RESULTS)
    markdown = report.to_markdown(results)
    for render in [*PAGE_RENDERERS[:7], report.render_wrapper_sweep]:
        assert render(results, "en") in markdown, render.__name__
    assert report.render_wrapper_findings(results, "en").strip() in markdown


def test_the_targets_are_decided_from_the_numbers() -> None:
    results = load_results(ATTENTION_RESULTS)
    targets = dict((key, met) for key, _, met, _ in report.check_targets(results))
    fwd = results["attention"]["forward"]
    ratio = fwd["SDPAMultiHeadAttention"]["median_s"] / fwd["inline SDPA reference"]["median_s"]
    assert targets["t_sdpa_ref"] == (ratio <= 1.10)
    decode = next(row for row in results["decode"] if row["seq_len"] == 1024)
    assert targets["t_decode"] == (decode["speedup"] >= 10)


def test_both_languages_have_the_same_strings() -> None:
    for table_ in (ATTENTION, CACHES, CACHE_LABELS):
        assert set(table_["en"]) == set(table_["zh"])
        for key, en in table_["en"].items():
            fields = set(re.findall(r"\{(\w+)", en))
            assert fields == set(re.findall(r"\{(\w+)", table_["zh"][key])), key
    assert set(NAMES) == {"zh"}
    with pytest.raises(ValueError, match="lang must be one of"):
        strings(ATTENTION, "fr")


def test_the_one_table_renderer() -> None:
    assert table(["a", "b"], [["1", "2"]], "lr") == "| a | b |\n| --- | ---: |\n| 1 | 2 |\n"
    with pytest.raises(ValueError, match="align must be"):
        table(["a", "b"], [], "l")


def test_escape_covers_text_and_attributes() -> None:
    assert escape('<a & "b">') == "&lt;a &amp; &quot;b&quot;&gt;"
    svg = line_chart_svg(
        [('x "<1>"', [1.0, 2.0])],
        ["1", "2"],
        title="t & u",
        x_axis="x",
        y_axis="y",
        summary='s "quoted" <tag>',
        css_class="c",
    )
    root = ET.fromstring(svg)  # well-formed despite the quotes and brackets
    assert root.get("aria-label") == 's "quoted" <tag>'
    assert 'x "<1>"' in [t.text for t in root.iter(f"{SVG}text")]


def test_the_mla_page_per_token_counts_use_the_tools_defaults() -> None:
    # examples/beyond_mla.py:per-token shows a reader the cache per token in the tool's
    # default model without importing the tool (a pip install has no benchmarks package):
    # its constants must be the defaults of CacheBenchConfig.
    source = (ROOT / "examples" / "beyond_mla.py").read_text(encoding="utf-8")
    section = source.split("# --8<-- [start:per-token]")[1].split("# --8<-- [end:per-token]")[0]
    assert "benchmarks" not in section.replace("benchmark tool", "")
    constants = {}
    for node in ast.parse(section).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Tuple):
            names = [t.id for t in node.targets[0].elts if isinstance(t, ast.Name)]
            values = ast.literal_eval(node.value)
            constants.update(zip(names, values, strict=True))
    default = CacheBenchConfig()
    assert constants == {
        "n_heads": default.n_heads,
        "head_dim": default.emb_dim // default.n_heads,
        "num_kv_groups": default.num_kv_groups,
        "latent_large": default.latent_large,
        "latent_small": default.latent_small,
    }
