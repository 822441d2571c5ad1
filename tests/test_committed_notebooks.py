"""The committed notebooks (``notebooks/<lang>/<name>.ipynb``), which "Open in Colab" opens.

They are copies of the site build's downloads (``tools/sync_notebooks.py``); the site test
``tests/website/test_notebook_downloads.py`` checks they are the same bytes. These tests need
no build: each committed notebook runs anywhere (tests/notebook_lib.py), holds the cells its
page makes today (the code, the links, the install line), and the refresh tool never puts a
notebook without outputs in their place.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import docs_version
import nbformat
import pytest
import snippets
from notebook_lib import ROOT, problems, read
from notebooks import build_notebooks, chapter_pages
from sync_notebooks import sync
from test_snippets import site_config

VERSION = docs_version.package_version()
EXPECTED = sorted({(name, lang) for name, lang, _ in chapter_pages(ROOT / "docs")})


def committed(name: str, lang: str) -> Path:
    return ROOT / docs_version.notebook_path(name, lang)


def test_one_committed_notebook_per_section_and_language() -> None:
    assert len(EXPECTED) == 14
    found = {p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").rglob("*.ipynb")}
    assert found == {docs_version.notebook_path(name, lang) for name, lang in EXPECTED}


@pytest.mark.parametrize(("name", "lang"), EXPECTED)
def test_the_committed_notebook_runs_anywhere(name: str, lang: str) -> None:
    assert problems(read(committed(name, lang)), name, lang, VERSION) == []


@pytest.mark.parametrize(("name", "lang"), EXPECTED)
def test_the_committed_notebook_holds_what_its_page_makes_today(name: str, lang: str) -> None:
    options = snippets.options_from(site_config())
    fresh = build_notebooks(ROOT / "docs", options, VERSION, absolute=True)[(name, lang)]
    nb = read(committed(name, lang))

    def cells(notebook: nbformat.NotebookNode) -> list[tuple[str, str, str, dict]]:
        return [(c.id, c.cell_type, c.source, dict(c.metadata)) for c in notebook.cells]

    assert cells(nb) == cells(fresh), (
        f"{docs_version.notebook_path(name, lang)} is stale (its page or code changed): "
        "run `python tools/sync_notebooks.py` and commit the notebooks"
    )


@pytest.mark.parametrize(("name", "lang"), EXPECTED)
def test_the_committed_notebook_is_as_nbformat_writes_it(name: str, lang: str) -> None:
    # an editor that saves it (Jupyter adds its metadata) makes it differ from the download
    path = committed(name, lang)
    assert path.read_text(encoding="utf-8") == nbformat.writes(read(path)) + "\n"


def fake_site(tmp_path: Path) -> Path:
    """A site whose downloads are the committed notebooks."""
    site = tmp_path / "site"
    for name, lang in EXPECTED:
        target = site / ("" if lang == "en" else lang) / "notebooks" / f"{name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(committed(name, lang), target)
    return site


def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    root.mkdir()
    (root / "docs").symlink_to(ROOT / "docs")
    return root


def test_the_refresh_copies_the_downloads_byte_for_byte(tmp_path: Path) -> None:
    site, root = fake_site(tmp_path), checkout(tmp_path)
    stale = root / "notebooks" / "en" / "ch3_0.ipynb"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}", encoding="utf-8")
    changes = sync(site, root)
    assert len(changes) == 15 and "removed notebooks/en/ch3_0.ipynb" in changes
    for name, lang in EXPECTED:
        copy = root / docs_version.notebook_path(name, lang)
        assert copy.read_bytes() == committed(name, lang).read_bytes()
    assert sync(site, root) == []


def test_the_refresh_refuses_a_build_that_did_not_execute(tmp_path: Path) -> None:
    site, root = fake_site(tmp_path), checkout(tmp_path)
    sync(site, root)
    before = {p: p.read_bytes() for p in (root / "notebooks").rglob("*.ipynb")}
    unexecuted = site / "zh" / "notebooks" / "ch3_5.ipynb"
    nb = read(unexecuted)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count, cell.outputs = None, []
    nbformat.write(nb, str(unexecuted))
    with pytest.raises(SystemExit, match="built without executing"):
        sync(site, root)
    assert {p: p.read_bytes() for p in (root / "notebooks").rglob("*.ipynb")} == before
