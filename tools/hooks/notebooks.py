"""MkDocs hook: one notebook per chapter page, made from the page, in both languages.

Each notebook exists in two link forms with the same cells and the same outputs: the one the
site renders links to its page relatively (it works in any preview and in every docs version),
the one a reader downloads links absolutely to the published site (``docs_version.site_url``),
so it still works in Colab or on a disk.

- ``on_pre_build``, once per build (the default language's; ``i18n_order.py``): make each
  notebook from its page (``notebook: ch3_3`` in the front matter). It holds the page's
  headings and exactly the code blocks the page shows, their ``--8<--`` lines resolved by the
  page's own snippet parser (``snippets.py``), so it cannot drift from the page, after an
  install cell for the version these docs document (``docs_version.install_command``). Then
  execute it, once, with nbclient: every cell but the install cell, which carries nbclient's
  ``skip-execution`` tag (the build is offline and its package is already there). Write the
  jupytext pages mkdocs-jupyter renders into ``docs/notebooks/``.
  ``LLM_ATTENTION_EXECUTE_NOTEBOOKS=false`` (``bash tools/dev.sh serve --fast``) executes nothing.
- ``on_page_markdown``: put a box under the page's title that links to its notebook, to the
  ``.ipynb`` download and to the committed copy in Colab (``docs_version.colab_url``).
- ``on_pre_page``, after mkdocs-jupyter's: its notebook page renders the executed notebook.
  mkdocs-jupyter's own ``execute`` is off, so nothing runs twice.
- ``on_post_build``, once the whole site is built (``i18n_order.py``): write each download,
  ``[zh/]notebooks/<name>.ipynb``, and fail the build if any page is raw notebook JSON (the
  i18n trap).

The notebooks are deterministic (cell ids from the name and position, no timings, fixed
kernel metadata), so a download and its committed copy, ``notebooks/<lang>/<name>.ipynb``
(``docs_version.notebook_path``, which Colab opens), are the same bytes:
``python tools/sync_notebooks.py SITE_DIR`` refreshes the copies from a build, and
``tests/website/test_notebook_downloads.py`` fails while they differ.

``notebook_ids.py`` gives the rendered notebooks their pages' heading ids.
"""

from __future__ import annotations

import asyncio
import copy
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import docs_version
import i18n_order
import jupytext
import nbformat
import snippets
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

NOTEBOOK_DIR = "notebooks"
HEADING = re.compile(r"^(#{1,4})\s+(.*?)\s*(\{[^}]*\})?\s*$")
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
# The site's default language has its pages at the root, the others under "<lang>/".
DEFAULT_LANGUAGE = "en"
# `bash tools/dev.sh serve --fast` sets it to false: nothing is executed (no outputs).
EXECUTE_VARIABLE = "LLM_ATTENTION_EXECUTE_NOTEBOOKS"
# nbclient (and nbconvert, which runs it) leaves a cell with this tag unexecuted.
SKIP_TAG = "skip-execution"
EXECUTION_TIMEOUT_S = 600

NOTEBOOK_TITLE = {"en": "Notebook · ", "zh": "笔记本 · "}
INTRO = {
    "en": (
        "This notebook holds the code of [{title}]({page}) in the order the page runs it; "
        "the explanations are on the page. Run it top to bottom. "
        "[Download this notebook (.ipynb)]({ipynb})"
    ),
    "zh": (
        "本笔记本按页面上的顺序收录了[{title}]({page})的全部代码，讲解请看原页面。"
        "从上到下依次运行即可。[下载本笔记本（.ipynb）]({ipynb})"
    ),
}
INSTALL_NOTE = {
    "en": (
        "**Install the package first.** The next cell installs `llm-attention` {version}, the "
        "version these pages were built from{source}, together with what it needs (PyTorch "
        "among them). "
        "Run it in Google Colab or in a fresh environment; skip it where the package is already "
        "installed."
    ),
    "zh": (
        "**先安装本包**：下一个单元会安装 `llm-attention` {version}（即建站所用的版本{source}）"
        "及其依赖（包括 PyTorch）。在 Google Colab 或全新的环境中请先运行它；"
        "已经装好本包的环境可以跳过。"
    ),
}
INSTALL_SOURCE = {
    "en": " (taken from the repository's `main` branch)",
    "zh": "，取自仓库的 `main` 分支",
}
NOTEBOOK_LINKS = {
    "en": (
        '!!! abstract "Run this section yourself"\n'
        "    Every code block below is also in [the notebook of this section]({nb_page}), "
        "executed when the site was built: "
        '<a href="{ipynb}" download>download it as .ipynb</a> or '
        '<a href="{colab}">open it in Colab</a>. Its first cell installs the package.\n'
    ),
    "zh": (
        '!!! abstract "自己动手运行"\n'
        "    本节的全部代码也收录在[本节的笔记本]({nb_page})中（建站时已执行）。"
        '可以<a href="{ipynb}" download>下载 .ipynb 文件</a>，'
        '也可以<a href="{colab}">在 Colab 中打开</a>；笔记本的第一个代码单元会安装本包。\n'
    ),
}


# ---------------------------------------------------------------- pages -> notebooks
def shown_code_blocks_and_headings(
    markdown: str, snippet_options: dict[str, Any] | None
) -> list[tuple[str, str]]:
    """``("heading", text)`` and ``("code", source)`` items in page order.

    A code block counts when it is an executed Python fence whose source is shown
    (markdown-exec's ``exec="on"`` with ``source=...``): exactly the blocks a reader sees.
    Its snippet lines are resolved with ``snippet_options`` (left as they are with None).
    """
    body = FRONT_MATTER.sub("", markdown, count=1)
    items: list[tuple[str, str]] = []
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        fence = snippets.FENCE.match(lines[i])
        if fence:
            indent, ticks, info = fence.group("indent"), fence.group("ticks"), fence.group("info")
            block: list[str] = []
            i += 1
            while i < len(lines) and not re.match(rf"^\s*{ticks}\s*$", lines[i]):
                block.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
                i += 1
            i += 1
            is_shown_python = (
                info.strip().startswith("python") and 'exec="on"' in info and "source=" in info
            )
            if is_shown_python:
                if snippet_options is not None:
                    block = snippets.expand(block, snippet_options)
                items.append(("code", "\n".join(block).strip("\n")))
            continue
        heading = HEADING.match(lines[i])
        if heading and not lines[i].startswith("    "):
            items.append(("heading", f"{heading.group(1)} {heading.group(2)}"))
        i += 1
    return items


def install_cells(lang: str, version: str) -> list[Any]:
    """A note and the cell that installs the documented version (tagged: the build skips it)."""
    source = "" if docs_version.is_release(version) else INSTALL_SOURCE[lang]
    note = nbformat.v4.new_markdown_cell(INSTALL_NOTE[lang].format(version=version, source=source))
    requirement = docs_version.install_command(version).removeprefix("pip install ")
    cell = nbformat.v4.new_code_cell(f"%pip install -q {requirement}")
    cell.metadata["tags"] = [SKIP_TAG]
    return [note, cell]


def page_to_notebook(
    markdown: str,
    lang: str,
    page_url: str,
    ipynb_url: str,
    snippet_options: dict[str, Any] | None,
    name: str = "notebook",
    version: str | None = None,
) -> Any:
    """The notebook of a page: title, intro, install cells, then its headings and shown code.

    Without ``version`` there are no install cells (``notebook_ids.py`` needs the headings
    only). Cell ids are ``<name>-<position>``, so the same page gives the same notebook.
    """
    items = shown_code_blocks_and_headings(markdown, snippet_options)
    title = next((text.lstrip("# ") for kind, text in items if kind == "heading"), "")
    cells = []
    pending_headings: list[str] = []
    for kind, text in items:
        if kind == "heading":
            if text.startswith("# "):
                cells.append(nbformat.v4.new_markdown_cell(f"# {NOTEBOOK_TITLE[lang]}{title}"))
                intro = INTRO[lang].format(title=title, page=page_url, ipynb=ipynb_url)
                cells.append(nbformat.v4.new_markdown_cell(intro))
                if version is not None:
                    cells.extend(install_cells(lang, version))
            else:
                pending_headings.append(text)
        else:
            if pending_headings:
                cells.append(nbformat.v4.new_markdown_cell("\n\n".join(pending_headings)))
                pending_headings = []
            cells.append(nbformat.v4.new_code_cell(text))
    for position, cell in enumerate(cells):
        cell.id = f"{name}-{position:02d}"
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = notebook_metadata()
    return nb


def notebook_metadata() -> dict[str, Any]:
    """The same on every machine: what the kernel reports (its Python version) is dropped."""
    return {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }


def chapter_pages(docs_dir: Path) -> list[tuple[str, str, Path]]:
    """``(notebook_name, lang, page_path)`` for every page that asks for a notebook."""
    found = []
    for page in sorted(docs_dir.rglob("*.md")):
        if page.parent.name == NOTEBOOK_DIR:
            continue
        fm = FRONT_MATTER.match(page.read_text(encoding="utf-8"))
        if not fm:
            continue
        m = re.search(r"^notebook:\s*(\S+)\s*$", fm.group(1), re.M)
        if m:
            lang = "zh" if page.name.endswith(".zh.md") else "en"
            found.append((m.group(1), lang, page))
    return found


def notebook_path(docs_dir: Path, name: str, lang: str) -> Path:
    suffix = ".zh.md" if lang == "zh" else ".md"
    return docs_dir / NOTEBOOK_DIR / f"{name}{suffix}"


def language_prefix(lang: str) -> str:
    """Where a language's pages are on the site, relative to its root: ``""`` or ``"zh/"``."""
    return "" if lang == DEFAULT_LANGUAGE else f"{lang}/"


def download_url(name: str, lang: str, version: str) -> str:
    """The published address of a notebook's ``.ipynb`` download."""
    return f"{docs_version.site_url(version)}{language_prefix(lang)}{NOTEBOOK_DIR}/{name}.ipynb"


def build_notebooks(
    docs_dir: Path, snippet_options: dict[str, Any], version: str, absolute: bool
) -> dict[tuple[str, str], Any]:
    """Every page's notebook, unexecuted; ``absolute``: its links are to the published site."""
    notebooks = {}
    for name, lang, page in chapter_pages(docs_dir):
        rel_page = page.relative_to(docs_dir).as_posix()
        rel_page = rel_page.removesuffix(".zh.md").removesuffix(".md")
        if absolute:
            site = docs_version.site_url(version) + language_prefix(lang)
            page_link, ipynb = f"{site}{rel_page}/", download_url(name, lang, version)
        else:
            # the notebook page is /[zh/]notebooks/<name>/; the chapter page is a sibling tree
            page_link, ipynb = f"../../{rel_page}/", f"../{name}.ipynb"
        markdown = page.read_text(encoding="utf-8")
        notebooks[(name, lang)] = page_to_notebook(
            markdown, lang, page_link, ipynb, snippet_options, name=name, version=version
        )
    return notebooks


# ---------------------------------------------------------------- execution
def executes() -> bool:
    """Whether this build executes the notebooks (``LLM_ATTENTION_EXECUTE_NOTEBOOKS``)."""
    value = os.environ.get(EXECUTE_VARIABLE, "true").strip().lower()
    return value not in {"false", "0", "no", "off"}


def execute_all(notebooks: dict[str, Any]) -> None:
    """Execute the notebooks (label -> notebook), in place, as many at once as there are CPUs.

    Each runs every cell but the install cell, in order, in a fresh kernel in an empty folder.
    The outputs are made deterministic: no timings, consecutive prints in one output, the
    notebook's metadata as it was before the kernel reported its own.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    async def execute(label: str, nb: Any, slots: asyncio.Semaphore) -> None:
        async with slots:
            with tempfile.TemporaryDirectory(prefix="llm-attention-notebook-") as workdir:
                client = NotebookClient(
                    nb,
                    timeout=EXECUTION_TIMEOUT_S,
                    kernel_name="python3",
                    allow_errors=False,
                    record_timing=False,
                    coalesce_streams=True,
                    skip_cells_with_tag=SKIP_TAG,
                    resources={"metadata": {"path": workdir}},
                )
                try:
                    await client.async_execute()
                except CellExecutionError as exc:
                    raise PluginError(f"notebook {label} failed:\n{exc}") from None

    async def execute_every() -> None:
        slots = asyncio.Semaphore(os.cpu_count() or 1)
        await asyncio.gather(*(execute(label, nb, slots) for label, nb in notebooks.items()))

    asyncio.run(execute_every())
    for nb in notebooks.values():
        nb.metadata = notebook_metadata()
        for cell in nb.cells:
            cell.metadata.pop("execution", None)


def with_outputs(nb: Any, executed: Any) -> Any:
    """``nb`` (the same cells, other links) with ``executed``'s outputs."""
    result = copy.deepcopy(executed)
    for cell, own in zip(result.cells, nb.cells, strict=True):
        if cell.id != own.id or cell.cell_type != own.cell_type:
            raise PluginError(f"notebook cells differ between link forms: {cell.id}, {own.id}")
        cell.source = own.source
    return result


def is_executed(nb: Any) -> bool:
    """Every code cell but the install cell ran."""
    return all(
        cell.execution_count is not None
        for cell in nb.cells
        if cell.cell_type == "code" and SKIP_TAG not in cell.metadata.get("tags", [])
    )


# ---------------------------------------------------------------- hooks
# (name, lang) -> the notebook the site renders and the one readers download, for this build
_built: dict[tuple[str, str], dict[str, Any]] = {}
_render_dir = tempfile.TemporaryDirectory(prefix="llm-attention-notebooks-")


def on_pre_build(config: Any) -> None:
    # once per build: the nested builds of the other languages reuse what this one made
    if i18n_order.current_language(config) != i18n_order.default_language(config):
        return
    docs_dir = Path(config["docs_dir"])
    options = snippets.options_from(config)
    version = docs_version.package_version()
    on_site = build_notebooks(docs_dir, options, version, absolute=False)
    downloads = build_notebooks(docs_dir, options, version, absolute=True)
    if executes():
        execute_all({f"{name} ({lang})": nb for (name, lang), nb in downloads.items()})
    _built.clear()
    for key, download in downloads.items():
        _built[key] = {"site": with_outputs(on_site[key], download), "download": download}
    (docs_dir / NOTEBOOK_DIR).mkdir(exist_ok=True)
    wanted = set()
    for (name, lang), nb in on_site.items():
        path = notebook_path(docs_dir, name, lang)
        wanted.add(path)
        text = jupytext.writes(nb, fmt="md")
        # write only on change, so `mkdocs serve` does not rebuild in a loop
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for stale in (docs_dir / NOTEBOOK_DIR).glob("*.md"):
        if stale not in wanted:
            stale.unlink()


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """A box under the title of a page that has a notebook, with links to it."""
    name = page.meta.get("notebook")
    if not name:
        return markdown
    lang = i18n_order.current_language(config)
    depth = page.file.src_uri.count("/")  # docs/chapter/x.md -> 1
    nb_page = "../" * depth + f"{NOTEBOOK_DIR}/{name}.md"
    # the built page lives at <dir>/<page>/index.html, one level deeper than its source
    ipynb = "../" * (depth + 1) + f"{NOTEBOOK_DIR}/{name}.ipynb"
    colab = docs_version.colab_url(name, lang, docs_version.package_version())
    box = NOTEBOOK_LINKS[lang].format(nb_page=nb_page, ipynb=ipynb, colab=colab)
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("# "):
            return "\n".join([*lines[: i + 1], "", box, *lines[i + 1 :]])
    return box + "\n" + markdown


# what mkdocs-jupyter's nb2html appends to a page made from an .ipynb file (not from a .md):
# the highlighting styles again, as a Python list's repr inside a <style> element
APPENDED_STYLE = "\n        <style>\n        ["


@event_priority(-50)  # after mkdocs-jupyter's on_pre_page, which replaces page.render
def on_pre_page(page: Any, config: Any, files: Any) -> Any:
    """A notebook page renders this build's notebook, with its outputs.

    mkdocs-jupyter renders the file at ``page.file.abs_src_path`` (the jupytext page, which
    holds no outputs): while it renders, that path is the executed notebook's.
    """
    src_uri = page.file.src_uri
    if not src_uri.startswith(f"{NOTEBOOK_DIR}/") or not src_uri.endswith(".md"):
        return page
    key = (Path(src_uri).name.split(".")[0], i18n_order.current_language(config))
    if key not in _built:
        raise PluginError(f"no notebook was made for {src_uri}")
    executed = Path(_render_dir.name) / key[1] / f"{key[0]}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(_built[key]["site"], str(executed))
    jupyter_render = page.render

    def render(config: Any, files: Any) -> None:
        source = page.file.abs_src_path
        page.file.abs_src_path = str(executed)
        try:
            jupyter_render(config, files)
        finally:
            page.file.abs_src_path = source
        cut = page.content.rfind(APPENDED_STYLE)
        if cut < 0 or not page.content.endswith("</style>\n        "):
            raise PluginError(
                "mkdocs-jupyter no longer appends a <style> to a notebook made from an .ipynb "
                "file: update APPENDED_STYLE in tools/hooks/notebooks.py"
            )
        page.content = page.content[:cut]

    page.render = render
    return page


@event_priority(i18n_order.AFTER_EVERY_LANGUAGE)
def on_post_build(config: Any) -> None:
    if not i18n_order.site_is_complete(config):
        return
    for (name, lang), built in _built.items():
        target = i18n_order.language_dir(config, lang) / NOTEBOOK_DIR / f"{name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(built["download"], str(target))
    site_dir = Path(config["site_dir"])
    raw = [
        str(p.relative_to(site_dir))
        for p in site_dir.rglob("*.html")
        if '"nbformat"' in p.read_text(encoding="utf-8", errors="replace")
    ]
    if raw:
        raise PluginError(f"pages rendered as raw notebook JSON: {raw}")
