"""MkDocs hook: each page's "edit this page" button opens the file that really makes the page.

MkDocs builds the button's address from ``repo_url``, ``edit_uri`` (mkdocs.yml) and each
file's ``edit_uri``, which is its source path (``chapter/3.3-self-attention.zh.md`` for the
Chinese page: the i18n plugin keeps the suffix). That is right for every page written by hand.
The notebook pages are not: ``notebooks.py`` generates ``docs/notebooks/<name>.md`` from the
chapter page that names the notebook in its front matter, and the generated files are not in
the repository. Their button opens that chapter page, in the same language, instead.

``File.edit_uri`` is MkDocs' public place for this ("for generated files this should be set").
A page generated from no page of ours gets no button. tests/website/test_conventions.py checks
that every button opens a file the repository holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import notebooks
from mkdocs.plugins import event_priority


def _sources(docs_dir: Path) -> dict[str, str]:
    """``{generated page's src_uri: the page it is made from}``, both below docs/."""
    sources = {}
    for name, lang, page in notebooks.chapter_pages(docs_dir):
        made = notebooks.notebook_path(docs_dir, name, lang).relative_to(docs_dir).as_posix()
        sources[made] = page.relative_to(docs_dir).as_posix()
    return sources


@event_priority(-150)  # after the i18n plugin's on_files (-100) has chosen each language's files
def on_files(files: Any, config: Any) -> Any:
    docs_dir = Path(config["docs_dir"])
    sources = _sources(docs_dir)
    for file in files.documentation_pages():
        if file.src_uri in sources:
            file.edit_uri = sources[file.src_uri]
        elif file.src_uri.startswith(notebooks.NOTEBOOK_DIR + "/"):
            file.edit_uri = None  # generated, and from no page we know of
    return files
