"""tools/hooks/snippets.py: the notebooks resolve ``--8<--`` lines with the pages' own parser.

The pages embed code with pymdownx.snippets; the notebooks (tools/hooks/notebooks.py) must show
the same lines. Both go through pymdownx.snippets with the options of ``mkdocs.yml``, so these
tests check that the notebooks take those options, and what that parser gives for the forms the
pages use: a named section (markers of other sections dropped, indentation kept, not
dedented), a whole file, an indented snippet line, and a missing section.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import snippets
from mkdocs.exceptions import PluginError
from mkdocs.utils import yaml_load
from notebooks import chapter_pages, shown_code_blocks_and_headings

ROOT = Path(__file__).resolve().parents[1]


def site_config() -> dict[str, Any]:
    """The parts of mkdocs.yml that snippets.options_from reads, as MkDocs gives them."""
    raw = yaml_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    extensions: dict[str, Any] = {}
    for item in raw["markdown_extensions"]:
        extensions.update(item if isinstance(item, dict) else {item: None})
    return {
        "markdown_extensions": list(extensions),
        "mdx_configs": {name: opts for name, opts in extensions.items() if opts},
        "config_file_path": str(ROOT / "mkdocs.yml"),
    }


def test_the_notebooks_take_the_pages_options() -> None:
    raw = site_config()["mdx_configs"]["pymdownx.snippets"]
    options = snippets.options_from(site_config())
    assert options["base_path"] == [str(ROOT / b) for b in raw["base_path"]]
    assert options["check_paths"] is raw["check_paths"] is True
    assert options["dedent_subsections"] is raw["dedent_subsections"] is False


SOURCE = """\
import torch
# --8<-- [start:cls]
class A:
    # --8<-- [start:inner]
    def f(self):
        return 1
    # --8<-- [end:inner]
# --8<-- [end:cls]
print(A().f())
"""


@pytest.fixture
def options(tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "ex.py").write_text(SOURCE, encoding="utf-8")
    config = site_config() | {"config_file_path": str(tmp_path / "mkdocs.yml")}
    return snippets.options_from(config)


def test_a_section_keeps_its_lines_and_their_indentation(options: dict[str, Any]) -> None:
    assert snippets.expand(['--8<-- "ex.py:cls"'], options) == [
        "class A:",
        "    def f(self):",
        "        return 1",
    ]
    # not dedented: a page joins a class line and its indented methods from two sections
    assert snippets.expand(['--8<-- "ex.py:inner"'], options) == [
        "    def f(self):",
        "        return 1",
    ]


def test_a_whole_file_drops_every_marker(options: dict[str, Any]) -> None:
    lines = snippets.expand(["x = 0", '--8<-- "ex.py"'], options)
    assert lines[0] == "x = 0"
    assert [ln for ln in lines[1:] if ln] == [ln for ln in SOURCE.splitlines() if "8<" not in ln]


def test_an_indented_snippet_line_indents_what_it_embeds(options: dict[str, Any]) -> None:
    assert snippets.expand(['  --8<-- "ex.py:inner"'], options)[0] == "      def f(self):"


def test_a_missing_section_or_file_stops_the_build(options: dict[str, Any]) -> None:
    with pytest.raises(PluginError, match=r"'nope'.*ex\.py:nope"):
        snippets.expand(['--8<-- "ex.py:nope"'], options)
    with pytest.raises(PluginError, match=r"missing\.py"):
        snippets.expand(['--8<-- "missing.py:cls"'], options)


def test_every_notebook_cell_of_every_page_resolves() -> None:
    """Every page's shown code resolves, and no notebook cell keeps a snippet line or marker."""
    options = snippets.options_from(site_config())
    cells = 0
    for name, lang, page in chapter_pages(ROOT / "docs"):
        items = shown_code_blocks_and_headings(page.read_text(encoding="utf-8"), options)
        for kind, text in items:
            if kind == "code":
                cells += 1
                assert "--8<--" not in text, f"{name} ({lang}): {text[:200]}"
    assert cells > 20
