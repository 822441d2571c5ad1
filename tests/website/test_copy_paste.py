"""Copy-paste works: a page's code blocks, run in order in a fresh interpreter, print what it shows.

For every page in both languages, the test reads the built HTML as a reader sees it: each
Python code block, and the output block shown right after it (if any). It runs all of a
page's Python blocks in order in a new ``python`` process, outside the source tree, and
checks that each block printed exactly the output the page shows (and nothing when the page
shows none). Hidden blocks (figures) are not on the page, so a page whose visible code
depends on one fails here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from website_lib import page_files

MARKER = "=====llm-attention-block-{}====="
SKIP = ("api/", "notebooks/")  # API signatures; notebooks are executed by the build itself


def code_and_outputs(html: Path) -> list[tuple[str, str | None]]:
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    body = soup.select_one("article.md-content__inner")
    assert body is not None
    blocks = body.select("div.highlight.language-python, div.highlight.language-text")
    pairs: list[tuple[str, str | None]] = []
    for block in blocks:
        text = block.select_one("pre").get_text()
        if "language-python" in block["class"]:
            pairs.append((text, None))
        elif pairs and pairs[-1][1] is None and _follows(block, pairs, blocks):
            pairs[-1] = (pairs[-1][0], text)
        else:
            raise AssertionError(f"{html}: an output block with no code block before it:\n{text}")
    return pairs


def _follows(block: Tag, pairs: list[tuple[str, str | None]], blocks: list[Tag]) -> bool:
    previous = blocks[blocks.index(block) - 1]
    return "language-python" in previous["class"]


def normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def all_pages(site: Path) -> list[tuple[str, Path]]:
    out = []
    for lang in ("en", "zh"):
        for rel, html in sorted(page_files(site, lang).items()):
            if not rel.startswith(SKIP) and rel != "404.html":
                out.append((f"{lang}:{rel}", html))
    return out


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "page_html" in metafunc.fixturenames:
        site = os.environ.get("LLM_ATTENTION_SITE_DIR")
        # The parameter list needs the page names before the site fixture exists; without a
        # prebuilt site, one test covers all pages of the site built by the fixture.
        if site:
            pages = all_pages(Path(site))
            metafunc.parametrize("page_html", [p for _, p in pages], ids=[n for n, _ in pages])
        else:
            metafunc.parametrize("page_html", [None], ids=["all-pages"])


def run_page(pairs: list[tuple[str, str | None]], workdir: Path) -> list[str]:
    script = []
    for i, (code, _) in enumerate(pairs):
        script.append(f"print({MARKER.format(i)!r}, flush=True)")
        script.append(code)
    path = workdir / "page.py"
    path.write_text("\n".join(script), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(path)],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ),
    )
    assert proc.returncode == 0, f"the page's code failed when pasted:\n{proc.stderr[-3000:]}"
    chunks = proc.stdout.split("\n")
    outputs: list[list[str]] = []
    for line in chunks:
        if line.startswith("=====llm-attention-block-"):
            outputs.append([])
        elif outputs:
            outputs[-1].append(line)
    return ["\n".join(lines) for lines in outputs]


def check_page(html: Path, workdir: Path) -> int:
    pairs = code_and_outputs(html)
    if not pairs:
        return 0
    printed = run_page(pairs, workdir)
    assert len(printed) == len(pairs)
    for (code, shown), got in zip(pairs, printed, strict=True):
        want = normalise(shown or "")
        assert normalise(got) == want, (
            f"{html}: a block printed something else than the page shows.\n"
            f"--- code ---\n{code}\n--- page shows ---\n{want}\n--- printed ---\n{normalise(got)}"
        )
    return len(pairs)


def test_code_blocks_run_and_print_what_the_page_shows(
    page_html: Path | None, site_dir: Path, tmp_path: Path
) -> None:
    if page_html is not None:
        check_page(page_html, tmp_path)
        return
    total = 0
    for _, html in all_pages(site_dir):
        total += check_page(html, tmp_path)
    assert total > 0, "no code blocks found on any page"


def test_the_build_shows_what_library_code_prints() -> None:
    # A block's own print() and a print() inside a function it calls (as check_my_attention
    # does) both reach the page, in order, as they reach a reader's terminal.
    from exec_env import capture_library_output
    from markdown_exec._internal.formatters.python import _run_python

    capture_library_output()
    capture_library_output()  # a second call (mkdocs serve) does not wrap twice
    code = "import sys\nprint('first')\nsys.stdout.write('second\\n')\nprint('third')"
    assert _run_python(code) == "first\nsecond\nthird\n"
