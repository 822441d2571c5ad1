"""MkDocs hook: one notebook per chapter page, made from the page, in both languages.

- ``on_pre_build``: write one jupytext notebook per page that names one in its front matter
  (``notebook: ch3_3``), in both languages, into ``docs/notebooks/``. The notebook holds the
  page's headings and exactly the code blocks the page shows, their ``--8<--`` lines resolved
  by the page's own snippet parser (``snippets.py``), so it cannot drift from the page.
  mkdocs-jupyter then executes and renders it.
- ``on_page_markdown``: put a box under the page's title that links to its notebook.
- ``on_post_build``, once the whole site is built (``i18n_order.py``): write each notebook as
  a downloadable ``.ipynb`` next to its page, and fail the build if any page is raw notebook
  JSON (the i18n trap).

``notebook_ids.py`` gives the rendered notebooks their pages' heading ids.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import i18n_order
import jupytext
import nbformat
import snippets
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

NOTEBOOK_DIR = "notebooks"
HEADING = re.compile(r"^(#{1,4})\s+(.*?)\s*(\{[^}]*\})?\s*$")
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)

NOTEBOOK_TITLE = {"en": "Notebook · ", "zh": "笔记本 · "}
INTRO = {
    "en": (
        "This notebook holds the code of [{title}]({page}) in the order the page runs it; "
        "the explanations are on the page. Run it top to bottom with "
        "`pip install llm-attention` done. [Download this notebook (.ipynb)]({ipynb})"
    ),
    "zh": (
        "本笔记本按页面上的顺序收录了[{title}]({page})的全部代码，讲解请看原页面。"
        "先 `pip install llm-attention`，再从上到下依次运行即可。"
        "[下载本笔记本（.ipynb）]({ipynb})"
    ),
}
NOTEBOOK_LINKS = {
    "en": (
        '!!! abstract "Run this section yourself"\n'
        "    Every code block below is also in [the notebook of this section]({nb_page}), "
        "executed when the site was built, or "
        '<a href="{ipynb}" download>download it as .ipynb</a>.\n'
    ),
    "zh": (
        '!!! abstract "自己动手运行"\n'
        "    本节的全部代码也收录在[本节的笔记本]({nb_page})中（建站时已执行），"
        '也可以<a href="{ipynb}" download>下载 .ipynb 文件</a>。\n'
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


def page_to_notebook(
    markdown: str,
    lang: str,
    page_url: str,
    ipynb_name: str,
    snippet_options: dict[str, Any] | None,
) -> Any:
    items = shown_code_blocks_and_headings(markdown, snippet_options)
    title = next((text.lstrip("# ") for kind, text in items if kind == "heading"), "")
    cells = []
    pending_headings: list[str] = []
    for kind, text in items:
        if kind == "heading":
            if text.startswith("# "):
                cells.append(nbformat.v4.new_markdown_cell(f"# {NOTEBOOK_TITLE[lang]}{title}"))
                intro = INTRO[lang].format(title=title, page=page_url, ipynb=ipynb_name)
                cells.append(nbformat.v4.new_markdown_cell(intro))
            else:
                pending_headings.append(text)
        else:
            if pending_headings:
                cells.append(nbformat.v4.new_markdown_cell("\n\n".join(pending_headings)))
                pending_headings = []
            cells.append(nbformat.v4.new_code_cell(text))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


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


def build_notebooks(docs_dir: Path, snippet_options: dict[str, Any]) -> dict[tuple[str, str], Any]:
    notebooks = {}
    for name, lang, page in chapter_pages(docs_dir):
        # the notebook page is /[zh/]notebooks/<name>/; the chapter page is a sibling tree
        rel_page = page.relative_to(docs_dir).as_posix()
        rel_page = rel_page.removesuffix(".zh.md").removesuffix(".md") + ".md"
        page_link = f"../../{rel_page[:-3]}/"
        markdown = page.read_text(encoding="utf-8")
        nb = page_to_notebook(markdown, lang, page_link, f"../{name}.ipynb", snippet_options)
        notebooks[(name, lang)] = nb
    return notebooks


# ---------------------------------------------------------------- hooks
def on_pre_build(config: Any) -> None:
    # runs once per language (i18n_order.py): writes nothing the second time
    docs_dir = Path(config["docs_dir"])
    (docs_dir / NOTEBOOK_DIR).mkdir(exist_ok=True)
    wanted = set()
    for (name, lang), nb in build_notebooks(docs_dir, snippets.options_from(config)).items():
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
    box = NOTEBOOK_LINKS[lang].format(nb_page=nb_page, ipynb=ipynb)
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("# "):
            return "\n".join([*lines[: i + 1], "", box, *lines[i + 1 :]])
    return box + "\n" + markdown


@event_priority(i18n_order.AFTER_EVERY_LANGUAGE)
def on_post_build(config: Any) -> None:
    if not i18n_order.site_is_complete(config):
        return
    notebooks = build_notebooks(Path(config["docs_dir"]), snippets.options_from(config))
    for (name, lang), nb in notebooks.items():
        target = i18n_order.language_dir(config, lang) / NOTEBOOK_DIR / f"{name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(target))
    site_dir = Path(config["site_dir"])
    raw = [
        str(p.relative_to(site_dir))
        for p in site_dir.rglob("*.html")
        if '"nbformat"' in p.read_text(encoding="utf-8", errors="replace")
    ]
    if raw:
        raise PluginError(f"pages rendered as raw notebook JSON: {raw}")
