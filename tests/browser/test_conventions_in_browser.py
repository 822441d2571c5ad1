"""Readers' conventions in the browser (issue 19, item 6): hreflang alternates without the
sitemap requests they used to cost, the header's repository link and the edit button without
a request to GitHub, and the "page not found" page in each language as GitHub Pages serves it.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_lib import (
    DESKTOP,
    PHONE,
    SitePage,
    Tab,
    _SiteHandler,
    check_language_switch,
    check_requests,
    format_problems,
    open_page,
    site_prefix,
)
from playwright.sync_api import Error as PlaywrightError

pytestmark = pytest.mark.browser

# a page of each kind: home, chapter, a page with an API listing, a notebook
PAGES = ["", "chapter/3.3-self-attention/", "api/", "notebooks/ch3_5/"]
HREFLANG = {"en": "en", "zh": "zh-Hans"}
NOT_FOUND_TITLE = {"en": "Page not found", "zh": "找不到页面"}

ALTERNATES_JS = """
() => [...document.head.querySelectorAll("link[hreflang]")]
  .filter((l) => l.relList.contains("alternate"))
  .map((l) => [l.hreflang, l.href])
"""


def settle(tab: Tab) -> None:
    """Let the bundle's requests after the load (the language sitemaps) come back."""
    with contextlib.suppress(PlaywrightError):
        tab.page.wait_for_load_state("networkidle", timeout=5_000)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("rel", PAGES)
def test_alternates_are_there_and_no_request_fails(
    fresh_tab: Tab, base_url: str, lang: str, rel: str
) -> None:
    page = SitePage(lang, rel)
    open_page(fresh_tab.page, fresh_tab.rec, base_url + page.path)
    settle(fresh_tab)
    found = dict(fresh_tab.page.evaluate(ALTERNATES_JS))
    en, zh = SitePage("en", rel).path, SitePage("zh", rel).path
    # absolute addresses on the published site: compare the paths below it
    prefix = site_prefix_of(base_url)
    paths = {k: v.split(prefix, 1)[-1] if prefix in v else v for k, v in found.items()}
    assert paths == {HREFLANG["en"]: en, HREFLANG["zh"]: zh, "x-default": en}, found
    problems = check_requests(fresh_tab.rec)
    assert not problems, format_problems(f"{page.path or '/'} with its alternates", problems)


def site_prefix_of(base_url: str) -> str:
    """``/llm_attention/`` from ``http://127.0.0.1:PORT/llm_attention/``."""
    return "/" + base_url.split("/", 3)[3]


@pytest.mark.parametrize("rel", ["chapter/3.3-self-attention/", "notebooks/ch3_5/"])
def test_language_switch_still_keeps_the_page(fresh_tab: Tab, base_url: str, rel: str) -> None:
    for lang in ("en", "zh"):
        page = SitePage(lang, rel)
        open_page(fresh_tab.page, fresh_tab.rec, base_url + page.path)
        settle(fresh_tab)
        problems = check_language_switch(fresh_tab.page, fresh_tab.rec, base_url, page)
        assert not problems, format_problems(f"switching from {page.path}", problems)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_header_links_to_the_repository_and_the_page_can_be_edited(
    fresh_tab: Tab, base_url: str, lang: str
) -> None:
    page = SitePage(lang, "chapter/3.3-self-attention/")
    open_page(fresh_tab.page, fresh_tab.rec, base_url + page.path)
    settle(fresh_tab)
    source = fresh_tab.page.locator("header a.md-source")
    assert source.is_visible(), "no repository link in the header"
    assert source.get_attribute("href") == "https://github.com/llm-attention/llm_attention"
    edit = fresh_tab.page.locator("article a.md-content__button[rel=edit]")
    assert edit.is_visible(), "no edit button"
    suffix = ".zh.md" if lang == "zh" else ".md"
    assert edit.get_attribute("href").endswith(f"/docs/chapter/3.3-self-attention{suffix}")
    # Material fills the repository link with stars and forks from api.github.com; not here
    problems = check_requests(fresh_tab.rec)
    assert not problems, format_problems(page.path, problems)


# ---------------------------------------------------------------- 404, as GitHub Pages serves it
class _PagesHandler(_SiteHandler):
    """A missing address gets the site's root 404.html with status 404, as on GitHub Pages."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@contextlib.contextmanager
def serve_like_pages(directory: Path) -> Iterator[str]:
    prefix = site_prefix(directory)
    handler = functools.partial(
        type("Handler", (_PagesHandler,), {"prefix": prefix}), directory=str(directory)
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def pages_url(site_root: Path) -> Iterator[str]:
    with serve_like_pages(site_root) as url:
        yield url


NOT_FOUND_JS = """
() => ({
  lang: document.documentElement.lang,
  h1: (document.querySelector("article h1") || {}).textContent || "",
  nav: [...document.querySelectorAll("nav.md-nav--primary a.md-nav__link[href]")]
    .map((a) => new URL(a.href).pathname),
})
"""


@pytest.mark.parametrize(
    ("missing", "lang"),
    [("no-such-page/", "en"), ("chapter/3.9-nothing/", "en"), ("zh/no-such-page/", "zh")],
)
def test_a_missing_address_gets_the_not_found_page_in_its_language(
    fresh_tab: Tab, pages_url: str, artifacts_dir: Path, missing: str, lang: str
) -> None:
    url = pages_url + missing
    open_page(fresh_tab.page, fresh_tab.rec, url)
    with contextlib.suppress(PlaywrightError):
        fresh_tab.page.wait_for_url(
            "**/zh/404.html" if lang == "zh" else url, timeout=5_000, wait_until="load"
        )
    settle(fresh_tab)
    shown = fresh_tab.page.evaluate(NOT_FOUND_JS)
    assert shown["lang"] == lang, shown
    assert NOT_FOUND_TITLE[lang] in shown["h1"], shown
    prefix = site_prefix_of(pages_url)
    zh_nav = [p for p in shown["nav"] if p.startswith(prefix + "zh/")]
    assert shown["nav"] and len(zh_nav) == (len(shown["nav"]) if lang == "zh" else 0), shown["nav"]
    slug = missing.strip("/").replace("/", "_")
    fresh_tab.page.screenshot(path=str(artifacts_dir / f"404-{lang}-{slug}.png"))
    # The 404 of the address itself is the point. Sending a zh/ address on to zh/404.html
    # aborts what the English page was still loading (net::ERR_ABORTED). Nothing else may fail.
    rec = fresh_tab.rec
    rec.http_errors[:] = [e for e in rec.http_errors if not e.endswith(url)]
    rec.console_errors[:] = [e for e in rec.console_errors if "404" not in e or url not in e]
    if lang != "en":
        rec.failed_requests[:] = [e for e in rec.failed_requests if "ERR_ABORTED" not in e]
    problems = check_requests(rec)
    assert not problems, format_problems(f"404 for {missing}", problems)
    if lang != "en":  # the page it was sent to loads cleanly on its own
        rec.reset()
        fresh_tab.page.reload(wait_until="load")
        settle(fresh_tab)
        problems = check_requests(rec)
        assert not problems, format_problems(f"{lang}/404.html", problems)


# ---------------------------------------------------------------- looks
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("name", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_header_edit_button_and_404(
    browser: Any, base_url: str, artifacts_dir: Path, scheme: str, name: str, viewport: Any
) -> None:
    """Screenshots to look at (artifacts dir, conventions-*.png); asserts the links can be seen."""
    tab = Tab(browser, viewport, color_scheme=scheme)
    try:
        for lang in ("en", "zh"):
            for rel in ("chapter/3.3-self-attention/", "404.html"):
                page = SitePage(lang, rel)
                open_page(tab.page, tab.rec, base_url + page.path)
                slug = f"conventions-{lang}-{rel.strip('/').replace('/', '_')}-{name}-{scheme}"
                tab.page.screenshot(path=str(artifacts_dir / f"{slug}.png"))
                if rel != "404.html":
                    assert tab.page.locator("article a.md-content__button[rel=edit]").is_visible()
                    source = tab.page.locator("a.md-source").first
                    if name == "desktop":
                        assert source.is_visible(), "no repository link in the desktop header"
                    else:
                        assert source.count() >= 1
    finally:
        tab.close()
