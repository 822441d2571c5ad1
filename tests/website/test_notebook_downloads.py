"""The notebooks readers download: they run anywhere, and the repository holds the same files.

Each chapter section's ``.ipynb`` (``[zh/]notebooks/<name>.ipynb``) installs the documented
version first, carries the build's outputs (the ones its page shows) and links absolutely to
the published site (tests/notebook_lib.py). The committed copy that Colab opens,
``notebooks/<lang>/<name>.ipynb``, is the same bytes, and each chapter page links to it.
"""

from __future__ import annotations

from pathlib import Path

import docs_version
import pytest
from bs4 import BeautifulSoup
from notebook_lib import ROOT, is_install_cell, problems, read
from notebooks import chapter_pages
from test_copy_paste import code_and_outputs, normalise

VERSION = docs_version.package_version()
PAGES = {(name, lang): page for name, lang, page in chapter_pages(ROOT / "docs")}
REFRESH = "python tools/sync_notebooks.py {site}"


def lang_root(site_dir: Path, lang: str) -> Path:
    return site_dir if lang == "en" else site_dir / lang


def download(site_dir: Path, name: str, lang: str) -> Path:
    return lang_root(site_dir, lang) / "notebooks" / f"{name}.ipynb"


def chapter_html(site_dir: Path, name: str, lang: str) -> Path:
    rel = PAGES[(name, lang)].relative_to(ROOT / "docs").as_posix()
    rel = rel.removesuffix(".zh.md").removesuffix(".md")
    return lang_root(site_dir, lang) / rel / "index.html"


def test_every_section_has_a_notebook_in_both_languages() -> None:
    names = {name for name, _ in PAGES}
    assert len(names) == 7
    assert set(PAGES) == {(name, lang) for name in names for lang in ("en", "zh")}


@pytest.mark.parametrize(("name", "lang"), sorted(PAGES))
def test_the_download_runs_anywhere(site_dir: Path, name: str, lang: str) -> None:
    path = download(site_dir, name, lang)
    assert path.is_file(), f"{path} was not built"
    assert problems(read(path), name, lang, VERSION) == []


@pytest.mark.parametrize(("name", "lang"), sorted(PAGES))
def test_the_download_carries_the_outputs_its_page_shows(
    site_dir: Path, name: str, lang: str
) -> None:
    nb = read(download(site_dir, name, lang))
    cells = [cell for cell in nb.cells if cell.cell_type == "code" and not is_install_cell(cell)]
    page = code_and_outputs(chapter_html(site_dir, name, lang))
    assert [normalise(cell.source) for cell in cells] == [normalise(code) for code, _ in page]
    for cell, (_, shown) in zip(cells, page, strict=True):
        printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert normalise(printed) == normalise(shown or ""), f"cell {cell.id}"


@pytest.mark.parametrize(("name", "lang"), sorted(PAGES))
def test_the_committed_notebook_is_the_download(site_dir: Path, name: str, lang: str) -> None:
    committed = ROOT / docs_version.notebook_path(name, lang)
    built = download(site_dir, name, lang)
    refresh = REFRESH.format(site=site_dir)
    assert committed.is_file(), f"{committed} is missing: run `{refresh}` and commit it"
    assert committed.read_bytes() == built.read_bytes(), (
        f"{committed.relative_to(ROOT)} differs from the build's {built}: run `{refresh}` "
        "and commit the notebooks"
    )


def test_no_committed_notebook_is_left_over() -> None:
    committed = {p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").rglob("*.ipynb")}
    assert committed == {docs_version.notebook_path(name, lang) for name, lang in PAGES}


@pytest.mark.parametrize(("name", "lang"), sorted(PAGES))
def test_the_chapter_page_opens_its_notebook_in_colab(site_dir: Path, name: str, lang: str) -> None:
    soup = BeautifulSoup(
        chapter_html(site_dir, name, lang).read_text(encoding="utf-8"), "html.parser"
    )
    box = soup.select_one("article .admonition.abstract")
    assert box is not None, "no notebook box under the title"
    hrefs = {a.get_text(" ", strip=True): a["href"] for a in box.select("a[href]")}
    colab = docs_version.colab_url(name, lang, VERSION)
    label = {"en": "open it in Colab", "zh": "在 Colab 中打开"}[lang]
    assert hrefs.get(label) == colab, hrefs
    # the committed file it opens exists (Colab reads it from GitHub at git_ref(VERSION))
    assert colab.endswith("/" + docs_version.notebook_path(name, lang))
    assert (ROOT / docs_version.notebook_path(name, lang)).is_file()
    # next to the download, which is a file of this site
    download_link = box.select_one("a[download]")
    assert download_link is not None
    assert download_link["href"].endswith(f"notebooks/{name}.ipynb")
    assert not download_link["href"].startswith(("http:", "https:"))
