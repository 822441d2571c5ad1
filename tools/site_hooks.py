"""MkDocs hooks for the site: offline GPT-2 files, notebooks made from the pages, checks.

- ``on_config``: seed tiktoken's cache from ``../shared/data/gpt2`` when it is there,
  so the build never downloads.
  It also makes markdown-exec show what a block's code writes to ``sys.stdout`` from
  outside the block (a library function's ``print``), not only the block's own prints.
- ``on_pre_build``: write one jupytext notebook per chapter page that names one in its
  front matter (``notebook: ch3_3``), in both languages, into ``docs/notebooks/``.
  The notebook holds the page's headings and exactly the code blocks the page shows,
  resolved from the same ``--8<--`` snippet lines, so it cannot drift from the page.
  mkdocs-jupyter then executes and renders it.
- ``on_page_content``: give each notebook's headings the explicit ids of its page's
  headings (nbconvert derives them from the text), so both languages share them.
- ``on_post_page``: drop the MathJax script mkdocs-jupyter adds to notebook pages (it
  points to a CDN; KaTeX, served by the site, typesets math on every page).
- ``on_post_build``: write each notebook as a downloadable ``.ipynb`` next to its page,
  and fail the build if any page is raw notebook JSON (the i18n trap).
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import sys
from pathlib import Path
from typing import Any

import jupytext
import nbformat
from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("mkdocs.hooks.site_hooks")
sys.path.insert(0, str(ROOT / "tools"))
from gpt2_offline import seed_cache  # noqa: E402

NOTEBOOK_DIR = "notebooks"
LANGS = ("en", "zh")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<ticks>`{3,})(?P<info>.*)$")
SNIPPET = re.compile(r'^\s*-{1,}8<-{1,}\s+"(?P<path>[^"]+?)(?::(?P<section>[\w\-]+))?"\s*$')
HEADING = re.compile(r"^(#{1,4})\s+(.*?)\s*(\{[^}]*\})?\s*$")
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
MATHJAX_TAG = re.compile(r'<script[^>]*src="[^"]*llm-attention-no-mathjax[^"]*"[^>]*>\s*</script>')

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


# ---------------------------------------------------------------- snippets
def read_snippet(path: str, section: str | None) -> list[str]:
    """Return the lines of ``path`` (relative to the repository), or of one named section."""
    file = ROOT / path
    if not file.is_file():
        raise PluginError(f"snippet file not found: {path}")
    lines = file.read_text(encoding="utf-8").splitlines()
    marker = re.compile(r"^\s*#\s*-{1,}8<-{1,}\s*\[(start|end):([\w\-]+)\]\s*$")
    if section is None:
        return [ln for ln in lines if not marker.match(ln)]
    out: list[str] = []
    inside = False
    for ln in lines:
        m = marker.match(ln)
        if m and m.group(2) == section:
            if m.group(1) == "start":
                inside = True
                continue
            break
        if inside and not m:
            out.append(ln)
    if not inside:
        raise PluginError(f"snippet section {section!r} not found in {path}")
    # Not dedented, like pymdownx.snippets with dedent_subsections: false: a page joins a
    # class line and its indented methods from separate sections into one block.
    return out


def expand(lines: list[str]) -> list[str]:
    out: list[str] = []
    for ln in lines:
        m = SNIPPET.match(ln)
        if m:
            out.extend(read_snippet(m.group("path"), m.group("section")))
        else:
            out.append(ln)
    return out


# ---------------------------------------------------------------- pages -> notebooks
def shown_code_blocks_and_headings(markdown: str) -> list[tuple[str, str]]:
    """``("heading", text)`` and ``("code", source)`` items in page order.

    A code block counts when it is an executed Python fence whose source is shown
    (markdown-exec's ``exec="on"`` with ``source=...``): exactly the blocks a reader sees.
    """
    body = FRONT_MATTER.sub("", markdown, count=1)
    items: list[tuple[str, str]] = []
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
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
                items.append(("code", "\n".join(expand(block)).strip("\n")))
            continue
        heading = HEADING.match(lines[i])
        if heading and not lines[i].startswith("    "):
            items.append(("heading", f"{heading.group(1)} {heading.group(2)}"))
        i += 1
    return items


def page_to_notebook(markdown: str, lang: str, page_url: str, ipynb_name: str) -> Any:
    items = shown_code_blocks_and_headings(markdown)
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


def build_notebooks(docs_dir: Path) -> dict[tuple[str, str], Any]:
    notebooks = {}
    for name, lang, page in chapter_pages(docs_dir):
        # the notebook page is /[zh/]notebooks/<name>/; the chapter page is a sibling tree
        rel_page = page.relative_to(docs_dir).as_posix()
        rel_page = rel_page.removesuffix(".zh.md").removesuffix(".md") + ".md"
        page_link = f"../../{rel_page[:-3]}/"
        nb = page_to_notebook(page.read_text(encoding="utf-8"), lang, page_link, f"../{name}.ipynb")
        notebooks[(name, lang)] = nb
    return notebooks


# ---------------------------------------------------------------- hooks


def on_config(config: Any) -> Any:
    # The pages' hidden figure blocks import site_figures from tools/. MkDocs restores
    # sys.path after it loads a hook, so the folder is added here, for the whole build.
    if str(ROOT / "tools") not in sys.path:
        sys.path.append(str(ROOT / "tools"))
    if str(ROOT) not in sys.path:  # and the benchmarks/ package, for the benchmark pages
        sys.path.append(str(ROOT))
    seed_cache()
    capture_library_output()
    return config


def capture_library_output() -> None:
    """Put on the page what a block's code prints to ``sys.stdout``, wherever it prints it.

    markdown-exec gives each executed block a ``print`` of its own that writes into the page;
    a ``print`` inside a library function the block calls (``check_my_attention`` prints one
    line per check) writes to the real ``sys.stdout`` and would be lost in the build's log,
    although a reader who runs the block sees it (tests/website/test_copy_paste.py runs the
    blocks and compares). This wraps markdown-exec's ``exec_python`` so that, while a block
    runs, ``sys.stdout`` is the block's own output buffer.
    """
    from markdown_exec._internal.formatters import python as md_python

    original = md_python.exec_python
    if getattr(original, "captures_stdout", False):
        return  # mkdocs serve calls on_config on every rebuild

    def exec_python(code: str, filename: str, exec_globals: dict[str, Any] | None = None) -> None:
        block_print = (exec_globals or {}).get("print")
        buffer = next(iter(getattr(block_print, "args", ())), None)
        if not isinstance(buffer, io.StringIO):
            raise PluginError(
                "markdown-exec no longer hands each block print=partial(_buffer_print, buffer); "
                "update capture_library_output in tools/site_hooks.py"
            )
        with contextlib.redirect_stdout(buffer):
            original(code, filename, exec_globals)

    exec_python.captures_stdout = True  # type: ignore[attr-defined]
    md_python.exec_python = exec_python


def on_pre_build(config: Any) -> None:
    docs_dir = Path(config["docs_dir"])
    (docs_dir / NOTEBOOK_DIR).mkdir(exist_ok=True)
    wanted = set()
    for (name, lang), nb in build_notebooks(docs_dir).items():
        path = notebook_path(docs_dir, name, lang)
        wanted.add(path)
        text = jupytext.writes(nb, fmt="md")
        # write only on change, so `mkdocs serve` does not rebuild in a loop
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for stale in (docs_dir / NOTEBOOK_DIR).glob("*.md"):
        if stale not in wanted:
            stale.unlink()


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


CJK = "\u3400-\u4dbf\u4e00-\u9fff"  # Chinese characters
CJK_PUNCT = "\u3000-\u303f\uff00-\uffef“”‘’"  # full-width punctuation and Chinese quotes
# inline markup that may stand between the last (first) visible character of a line and the break
CLOSE = r"(?:\*{1,3}|_{1,3}|\]\([^()\s]*\))?"  # **bold**, *em*, [link](url)
OPEN = r"(?:\*{1,3}|_{1,3}|\[)?"
# inline content a line may begin with after full-width punctuation; not a block start
# (list item, heading, table, admonition, $$ or ``` on its own line)
INLINE_START = r"`(?!``)|\$(?!\$)|\[|\*{1,3}\S|_|[A-Za-z]|\d(?!\d*[.)]\s)"
SOFT_BREAK = re.compile(
    # a Chinese character or punctuation on both sides
    rf"(?P<cjk>[{CJK}{CJK_PUNCT}]{CLOSE})\n[ \t]*(?={OPEN}[{CJK}{CJK_PUNCT}])"
    # full-width punctuation before code, math, a link or a Latin word
    rf"|(?P<punct>[{CJK_PUNCT}]{CLOSE})\n[ \t]*(?={INLINE_START})"
    # code, math, a link or a Latin word before full-width punctuation
    rf"|(?P<inline>[\w`$)*_\]])\n[ \t]*(?=[{CJK_PUNCT}])"
)


def join_soft_breaks(text: str) -> str:
    """Drop the soft line breaks in ``text`` that would render as a stray space."""
    return SOFT_BREAK.sub(lambda m: next(g for g in m.groups() if g is not None), text)


def join_cjk_lines(markdown: str) -> str:
    """Join soft line breaks that would put a space next to Chinese text, outside code fences.

    A line break inside a paragraph renders as a space, which is right between English
    words and wrong between Chinese characters or next to full-width punctuation. A break
    between a Chinese character and a Latin word, a number or code stays a space, the
    site's style (第 3.4 节). Lines inside fences are left alone.
    """
    out: list[str] = []
    chunk: list[str] = []
    in_fence = ""
    for line in markdown.split("\n"):
        fence = FENCE.match(line)
        if in_fence:
            out.append(line)
            if re.match(rf"^\s*{in_fence}\s*$", line):
                in_fence = ""
            continue
        if fence:
            out.append(join_soft_breaks("\n".join(chunk))) if chunk else None
            chunk = []
            out.append(line)
            in_fence = fence.group("ticks")
            continue
        chunk.append(line)
    if chunk:
        out.append(join_soft_breaks("\n".join(chunk)))
    return "\n".join(out)


def reset_global_state() -> None:
    """Undo global settings a previous page's code may have changed (torch's print options).

    All pages run in the build's one Python process; each page must print what a fresh
    interpreter prints (tests/website/test_copy_paste.py checks it).
    """
    import torch

    torch.set_printoptions(profile="default")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Prepare a page: fresh global state, joined Chinese lines, notebook links."""
    reset_global_state()
    lang = config.plugins["i18n"].current_language
    if lang == "zh":
        markdown = join_cjk_lines(markdown)
    name = page.meta.get("notebook")
    if not name:
        return markdown
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


NOTEBOOK_HEADING = re.compile(
    r'<h(?P<level>[1-6]) id="(?P<id>[^"]*)">(?P<text>.*?)<a class="anchor-link" href="#[^"]*">',
    re.S,
)


def notebook_heading_ids(markdown: str, lang: str) -> list[str | None]:
    """The explicit ids (``{ #id }``) of the headings the page's notebook shows, in order.

    The notebook's title takes the page title's id; ``None`` where a heading has none.
    """
    explicit: dict[str, str] = {}
    for line in markdown.splitlines():
        m = HEADING.match(line)
        anchor = re.search(r"#([\w\-]+)", m.group(3) or "") if m else None
        if m and anchor:
            explicit[f"{m.group(1)} {m.group(2)}"] = anchor.group(1)
    title = next((v for k, v in explicit.items() if k.startswith("# ")), None)
    ids: list[str | None] = []
    for cell in page_to_notebook(markdown, lang, "", "").cells:
        for line in cell.source.splitlines() if cell.cell_type == "markdown" else []:
            m = HEADING.match(line)
            if m:
                ids.append(
                    title if m.group(1) == "#" else explicit.get(f"{m.group(1)} {m.group(2)}")
                )
    return ids


# the snippet markers in the package source, as Pygments highlights them in a source listing
SOURCE_MARKER = re.compile(r'<span class="c1"># --8&lt;-- \[(?:start|end):[-\w]+\]</span>')


def api_source_listings(html: str, lang: str) -> str:
    """The API page's source listings: drop the snippet markers, label them in zh.

    The markers only tell the chapter pages which lines to embed. Their lines stay, empty,
    so that the line numbers still match the file.
    """
    html = SOURCE_MARKER.sub("", html)
    if lang == "zh":
        html = html.replace("<summary>Source code in <code>", "<summary>源代码位于 <code>")
    return html


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """API source listings without snippet markers; notebook heading ids like their pages'.

    nbconvert makes heading ids from the heading text: English and Chinese ids differ (the
    language switch cannot keep the reader's section), and Chinese headings get empty or
    clashing ids that the table of contents does not even link to.
    """
    if page.file.src_uri.startswith("api."):
        return api_source_listings(html, config.plugins["i18n"].current_language)
    if not page.file.src_uri.startswith(f"{NOTEBOOK_DIR}/"):
        return html
    name = Path(page.file.src_uri).name.split(".")[0]
    lang = config.plugins["i18n"].current_language
    pages = chapter_pages(Path(config["docs_dir"]))
    source = next((p for n, lang_, p in pages if n == name and lang_ == lang), None)
    if source is None:
        return html
    ids = notebook_heading_ids(source.read_text(encoding="utf-8"), lang)
    toc = []
    stack = list(reversed(list(page.toc)))
    while stack:
        item = stack.pop()
        toc.append(item)
        stack.extend(reversed(item.children))
    found = NOTEBOOK_HEADING.findall(html)
    if not (len(found) == len(ids) == len(toc)):
        log.warning(
            f"notebook {page.file.src_uri}: {len(found)} headings, {len(toc)} in its table of "
            f"contents, {len(ids)} on its page: heading ids left as nbconvert made them"
        )
        return html
    for item, anchor in zip(toc, ids, strict=True):
        item.id = anchor or item.id
    new_ids = iter(ids)

    def explicit_id(m: re.Match[str]) -> str:
        anchor = next(new_ids) or m["id"]
        return f'<h{m["level"]} id="{anchor}">{m["text"]}<a class="anchor-link" href="#{anchor}">'

    return NOTEBOOK_HEADING.sub(explicit_id, html)


def on_post_page(output: str, page: Any, config: Any) -> str:
    return MATHJAX_TAG.sub("", output)


def on_post_build(config: Any) -> None:
    # mkdocs-static-i18n builds the other languages from inside the default language's
    # post-build step, into <site>/<lang>/; write every language's notebooks each time.
    site_dir = Path(config["site_dir"])
    root = site_dir.parent if site_dir.name in LANGS[1:] else site_dir
    for (name, lang), nb in build_notebooks(Path(config["docs_dir"])).items():
        lang_root = root if lang == LANGS[0] else root / lang
        if not lang_root.is_dir():
            continue  # that language is not built yet
        target = lang_root / NOTEBOOK_DIR / f"{name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(target))
    raw = [
        str(p.relative_to(site_dir))
        for p in site_dir.rglob("*.html")
        if '"nbformat"' in p.read_text(encoding="utf-8", errors="replace")
    ]
    if raw:
        raise PluginError(f"pages rendered as raw notebook JSON: {raw}")
