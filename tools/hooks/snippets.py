"""The one snippet parser: pymdownx.snippets, configured as mkdocs.yml configures it.

A page embeds code with ``--8<-- "examples/file.py:section"``, and pymdownx.snippets resolves
that line when MkDocs renders the page. The notebooks (``notebooks.py``) show the same code,
so they resolve the same lines with the same extension and the same options (``base_path``,
``check_paths``, ``dedent_subsections``), taken from ``mkdocs.yml``'s ``markdown_extensions``:
a notebook cannot parse the section markers differently from its page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import markdown
from mkdocs.exceptions import PluginError
from pymdownx.snippets import SnippetExtension, SnippetMissingError

EXTENSION = "pymdownx.snippets"
# A code fence's opening or closing line, as the pages write it (notebooks.py finds the
# code blocks with it, cjk_lines.py skips them)
FENCE = re.compile(r"^(?P<indent>\s*)(?P<ticks>`{3,})(?P<info>.*)$")


def options_from(config: Any) -> dict[str, Any]:
    """The extension's options in a MkDocs config, with ``base_path`` made absolute.

    pymdownx.snippets resolves ``base_path`` against the working directory; here it is resolved
    against the folder of ``mkdocs.yml``, so the result does not depend on where MkDocs runs.
    """
    if EXTENSION not in config["markdown_extensions"]:
        raise PluginError(f"the notebooks embed code as the pages do, but {EXTENSION} is off")
    options = dict(config["mdx_configs"].get(EXTENSION, {}))
    root = Path(config["config_file_path"]).resolve().parent
    return with_root(options, root)


def with_root(options: Mapping[str, Any], root: Path) -> dict[str, Any]:
    options = dict(options)
    base = options.get("base_path", ["."])
    bases = [base] if isinstance(base, str | Path) else list(base)
    options["base_path"] = [str(root / b) for b in bases]
    return options


def expand(lines: list[str], options: Mapping[str, Any]) -> list[str]:
    """``lines`` with every snippet line replaced by what it embeds, as the page shows it."""
    md = markdown.Markdown(extensions=[SnippetExtension(**options)])
    try:
        return list(md.preprocessors["snippet"].run(list(lines)))
    except SnippetMissingError as exc:
        snippet_lines = [ln.strip() for ln in lines if "8<" in ln]
        raise PluginError(f"{exc} (snippet lines: {snippet_lines})") from None
