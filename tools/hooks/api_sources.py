"""MkDocs hook: the API page's source listings show the file, not the snippet markers.

The package's source carries ``# --8<-- [start:name]`` / ``[end:name]`` lines that tell the
chapter pages which lines to embed (``snippets.py``). mkdocstrings shows each class's source
on the API page; ``on_page_content`` drops the markers there, leaving their lines empty so the
line numbers still match the file, and labels the listings in Chinese on the Chinese page.
"""

from __future__ import annotations

import re
from typing import Any

import i18n_order

# the snippet markers in the package source, as Pygments highlights them in a source listing
SOURCE_MARKER = re.compile(r'<span class="c1"># --8&lt;-- \[(?:start|end):[-\w]+\]</span>')


def api_source_listings(html: str, lang: str) -> str:
    """The API page's source listings: drop the snippet markers, label them in zh."""
    html = SOURCE_MARKER.sub("", html)
    if lang == "zh":
        html = html.replace("<summary>Source code in <code>", "<summary>源代码位于 <code>")
    return html


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    if not page.file.src_uri.startswith("api."):
        return html
    return api_source_listings(html, i18n_order.current_language(config))
