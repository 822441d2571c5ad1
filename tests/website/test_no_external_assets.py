"""The built site loads nothing from outside itself: no CDN script, stylesheet or font.

Readers offline or behind the Great Firewall get the same pages. The browser suite checks the
requests a page really makes; these checks read the built files, so they also catch what a
page would fetch only in some browsers or some states (a fallback, an @import).
"""

from __future__ import annotations

import re
from pathlib import Path

from website_lib import CSS_EXTERNAL, built_text_files, cdn_urls

# an HTML attribute that makes the browser fetch something
FETCHING_ATTR = re.compile(
    r"<(?:script|img|iframe|source|audio|video)\b[^>]*\ssrc=[\"']([^\"']+)"
    r"|<link\b[^>]*\shref=[\"']([^\"']+)",
    re.I,
)
OUTSIDE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)


def test_no_page_loads_markdown_exec_pyodide_assets(site_dir: Path) -> None:
    """markdown-exec is configured without its pyodide fence, so it emits no Pyodide assets."""
    pages = [
        p.relative_to(site_dir).as_posix()
        for p in site_dir.rglob("*.html")
        if "_markdown_exec_pyodide" in p.read_text(encoding="utf-8", errors="replace")
    ]
    assert not pages, f"pages referencing _markdown_exec_pyodide: {pages[:5]} ({len(pages)})"
    files = [p.relative_to(site_dir).as_posix() for p in site_dir.rglob("_markdown_exec_pyodide*")]
    assert not files, f"Pyodide assets in the built site: {files}"


def test_no_stylesheet_imports_from_outside_the_site(site_dir: Path) -> None:
    """No built .css file, and no <style> in a page, @imports or url()s an external URL."""
    found = {}
    for file in built_text_files(site_dir):
        if file.suffix in (".css", ".html"):
            urls = CSS_EXTERNAL.findall(file.read_text(encoding="utf-8", errors="replace"))
            if urls:
                found[file.relative_to(site_dir).as_posix()] = sorted(set(urls))
    assert not found, f"stylesheets that fetch from outside the site: {found}"


def test_no_built_file_names_a_cdn(site_dir: Path) -> None:
    """No built HTML, CSS, JS, source map or JSON file names a CDN or font host.

    This covers what loads only conditionally: Material's fallbacks (mermaid, a ResizeObserver
    polyfill) and the mermaid loader nbconvert writes into notebook pages, which
    tools/hooks/site_assets.py disarms.
    """
    found = cdn_urls(site_dir)
    assert not found, f"{len(found)} built files name a CDN: {found}"


def test_no_page_tag_fetches_from_outside_the_site(site_dir: Path) -> None:
    """Every script, stylesheet, icon and image a page's tags fetch is a file of the site."""
    found = {}
    for page in site_dir.rglob("*.html"):
        html = page.read_text(encoding="utf-8", errors="replace")
        urls = []
        for m in FETCHING_ATTR.finditer(html):
            url = m.group(1) or m.group(2)
            tag = m.group(0)
            if m.group(2) and re.search(r"rel=[\"'](?:canonical|alternate|prev|next)", tag):
                continue  # links to pages, not fetched
            if OUTSIDE.match(url):
                urls.append(url)
        if urls:
            found[page.relative_to(site_dir).as_posix()] = sorted(set(urls))
    assert not found, f"pages whose tags fetch from outside the site: {found}"
