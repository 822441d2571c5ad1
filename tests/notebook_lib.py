"""What every notebook a reader gets must hold: the downloads (site tests) and the committed copies.

A reader opens it in Colab, Jupyter or VS Code, away from the site, so it must:

- install the documented version first: its first code cell is the install cell, naming
  ``docs_version.install_command`` of that version, tagged so that the build does not run it;
- carry the outputs of the build: every other code cell was executed, in order, and a cell
  that prints shows what it printed, never an error;
- link only absolutely, to the published docs of that version in its own language;
- be the same bytes wherever it is made: cell ids from its name and position, no timings, the
  kernel metadata fixed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import docs_version
import nbformat
from notebooks import SKIP_TAG, language_prefix, notebook_metadata

ROOT = Path(__file__).resolve().parents[1]
# Markdown links and images, and HTML href/src attributes (quoted or not)
MARKDOWN_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)")
HTML_LINK = re.compile(r"\b(?:href|src)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.I)


def read(path: Path) -> Any:
    return nbformat.read(str(path), as_version=nbformat.NO_CONVERT)


def links(nb: Any) -> list[str]:
    """Every link target in the notebook's markdown cells and in its outputs' HTML."""
    texts = [cell.source for cell in nb.cells if cell.cell_type == "markdown"]
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            texts.append(str(output.get("data", {}).get("text/html", "")))
    found = []
    for text in texts:
        found += MARKDOWN_LINK.findall(text)
        found += ["".join(groups) for groups in HTML_LINK.findall(text)]
    return found


def is_install_cell(cell: Any) -> bool:
    return cell.cell_type == "code" and SKIP_TAG in cell.metadata.get("tags", [])


def problems(nb: Any, name: str, lang: str, version: str) -> list[str]:
    """Everything wrong with notebook ``name`` in ``lang`` for the docs of ``version``."""
    found: list[str] = []
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        found.append(f"not a valid notebook: {exc.message}")
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    if not code:
        return [*found, "no code cells"]

    # the install cell first, and only it unexecuted
    requirement = docs_version.install_command(version).removeprefix("pip install ")
    install = code[0]
    if install.source != f"%pip install -q {requirement}":
        found.append(f"first code cell is not the install cell of {version}: {install.source!r}")
    if not is_install_cell(install):
        found.append(f"the install cell is not tagged {SKIP_TAG!r} (the build would run it)")
    if install.execution_count is not None or install.outputs:
        found.append("the install cell was executed")
    before = nb.cells[nb.cells.index(install) - 1]
    if before.cell_type != "markdown" or "Colab" not in before.source:
        found.append("no note before the install cell saying when to run it")

    # the build's outputs on every other code cell
    counts = [cell.execution_count for cell in code[1:]]
    if counts != list(range(1, len(code))):
        found.append(f"code cells not all executed in order: execution counts {counts}")
    for cell in code[1:]:
        if "print(" in cell.source and not cell.outputs:
            found.append(f"cell {cell.id} prints but has no output")
        for output in cell.outputs:
            if output.output_type == "error" or output.get("name") == "stderr":
                found.append(f"cell {cell.id} has an error output: {output}")

    # absolute links, to this version's docs in this language
    site = docs_version.site_url(version) + language_prefix(lang)
    for link in links(nb):
        if not link.startswith(("https://", "http://")):
            found.append(f"relative link {link!r}")
        elif link.startswith(docs_version.SITE_ROOT) and not link.startswith(site):
            found.append(f"link {link!r} is not to {site}")
    if not any(link.startswith(site) for link in links(nb)):
        found.append(f"no link to its page under {site}")

    # deterministic: the same page gives the same bytes on any machine
    if dict(nb.metadata) != notebook_metadata():
        found.append(f"notebook metadata is not the fixed one: {dict(nb.metadata)}")
    ids = [cell.get("id") for cell in nb.cells]
    if ids != [f"{name}-{i:02d}" for i in range(len(nb.cells))]:
        found.append(f"cell ids are not <name>-<position>: {ids[:3]}...")
    timed = [cell.id for cell in nb.cells if "execution" in cell.metadata]
    if timed:
        found.append(f"cells carry execution timings: {timed}")
    return found
