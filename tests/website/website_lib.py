"""Helpers shared by the site tests."""

from __future__ import annotations

import re
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


# A URL on a CDN or a font host: the site serves every script, stylesheet and font itself.
CDN_URL = re.compile(
    r"(?:https?:)?//(?:[\w-]+\.)*"
    r"(?:unpkg\.com|jsdelivr\.net|cdnjs\.cloudflare\.com|googleapis\.com|gstatic\.com"
    r"|polyfill\.io|bootcdn\.net|staticfile\.org|[\w-]*cdn[\w-]*\.[a-z]{2,})[^\s\"'`)<>]*",
    re.I,
)
# What a stylesheet fetches: @import and url(), when they leave the site.
CSS_EXTERNAL = re.compile(
    r"@import\s+(?:url\(\s*)?[\"']?\s*(?:[a-z][a-z0-9+.-]*:)?//[^\s\"')]*"
    r"|url\(\s*[\"']?\s*(?:https?:)?//[^\s\"')]*",
    re.I,
)
TEXT_SUFFIXES = (".html", ".css", ".js", ".mjs", ".map", ".json", ".xml", ".txt", ".svg")


def built_text_files(site: Path) -> list[Path]:
    """Every text file of the built site that a browser may fetch or run."""
    return sorted(p for p in site.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES)


def cdn_urls(site: Path) -> dict[str, list[str]]:
    """``{file: [CDN URLs it names]}`` over the built site; empty when none does."""
    found = {}
    for file in built_text_files(site):
        urls = sorted(set(CDN_URL.findall(file.read_text(encoding="utf-8", errors="replace"))))
        if urls:
            found[file.relative_to(site).as_posix()] = urls
    return found
