"""Helpers shared by the site tests."""

from __future__ import annotations

from pathlib import Path

LANG_PREFIX = {"en": "", "zh": "zh/"}


def page_files(site: Path, lang: str) -> dict[str, Path]:
    """Map each page's path (relative to its language root) to its HTML file."""
    root = site / LANG_PREFIX[lang] if LANG_PREFIX[lang] else site
    pages = {}
    for html in root.rglob("index.html"):
        rel = html.relative_to(root).as_posix()
        if lang == "en" and rel.startswith("zh/"):
            continue
        if rel.startswith(("assets/", "search/")):
            continue
        pages[rel] = html
    return pages
