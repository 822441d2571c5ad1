"""MkDocs hook: the Python the pages' code runs in is the one a reader's code runs in.

markdown-exec runs every page's code blocks in the build's one Python process. This hook
makes that process behave like a reader's fresh interpreter:

- ``on_config``: put the repository's root and ``tools/`` on ``sys.path`` for the whole build
  (MkDocs restores ``sys.path`` after it loads a hook), so the pages' blocks import
  ``site_figures`` and the repository's top-level packages; seed tiktoken's cache with GPT-2's
  BPE files from the repository's ``data/gpt2`` (``tools/gpt2_offline.py``), so the build never
  downloads; and show on the page what a block's code prints from outside the block.
- ``on_page_markdown``: undo global settings a previous page's code changed (torch's print
  options).
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

TOOLS = Path(__file__).resolve().parents[1]
ROOT = TOOLS.parent
sys.path.insert(0, str(TOOLS))  # while MkDocs loads this hook
from gpt2_offline import seed_cache  # noqa: E402


def on_config(config: Any) -> Any:
    # runs once per language (i18n_order.py), and on every rebuild of `mkdocs serve`
    for folder in (ROOT, TOOLS):
        if str(folder) not in sys.path:
            sys.path.append(str(folder))
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
        return  # on_config runs more than once per process: wrap once

    def exec_python(code: str, filename: str, exec_globals: dict[str, Any] | None = None) -> None:
        block_print = (exec_globals or {}).get("print")
        buffer = next(iter(getattr(block_print, "args", ())), None)
        if not isinstance(buffer, io.StringIO):
            raise PluginError(
                "markdown-exec no longer hands each block print=partial(_buffer_print, buffer); "
                "update capture_library_output in tools/hooks/exec_env.py"
            )
        with contextlib.redirect_stdout(buffer):
            original(code, filename, exec_globals)

    exec_python.captures_stdout = True  # type: ignore[attr-defined]
    md_python.exec_python = exec_python


def reset_global_state() -> None:
    """Undo global settings a previous page's code may have changed (torch's print options).

    All pages run in the build's one Python process; each page must print what a fresh
    interpreter prints (tests/website/test_copy_paste.py checks it).
    """
    import torch

    torch.set_printoptions(profile="default")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    reset_global_state()
    return markdown
