"""Every page says which package version it was built from; a build of ``main`` says it is one.

``tools/hooks/build_version.py`` and ``overrides/`` put a line in every page's footer ("Built
from llm_attention <version> (<ref>)", in the page's language) and, on a development version, a
banner above the header. The expected texts come from ``__version__`` and ``docs_version``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from build_version import latest_release
from docs_version import LATEST_ALIAS, REPO_URL, SITE_ROOT, git_ref, is_release, package_version
from website_lib import page_files

VERSION = package_version()
REF = git_ref(VERSION)
LINE = {
    "en": f"Built from llm_attention {VERSION} ({REF})",
    "zh": f"本页构建自 llm_attention {VERSION}（{REF}）",
}
BANNER_START = {"en": "Development version.", "zh": "开发版本。"}


def _pages(site: Path) -> list[tuple[str, str, Path]]:
    pages = [(lang, rel, html) for lang in LINE for rel, html in page_files(site, lang).items()]
    assert len(pages) > 40, f"only {len(pages)} pages found in {site}"
    return pages


def _soup(html: Path) -> BeautifulSoup:
    return BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")


def test_every_page_names_the_version_it_was_built_from(site_dir: Path) -> None:
    problems = []
    for lang, rel, html in _pages(site_dir):
        soup = _soup(html)
        if soup.html is None or not str(soup.html.get("lang", "")).startswith(lang):
            problems.append(f"{lang}:{rel}: <html lang> is not {lang}")
        line = soup.select_one("footer .md-copyright .llm-build-version")
        if line is None:
            problems.append(f"{lang}:{rel}: no version line in the footer")
            continue
        text = " ".join(line.get_text().split())
        if text != LINE[lang]:
            problems.append(f"{lang}:{rel}: version line {text!r}, expected {LINE[lang]!r}")
        link = line.select_one("a")
        if link is None or link.get("href") != f"{REPO_URL}/tree/{REF}":
            problems.append(f"{lang}:{rel}: the ref does not link to {REPO_URL}/tree/{REF}")
    assert not problems, "\n".join(problems)


def test_a_development_build_carries_the_banner_on_every_page(site_dir: Path) -> None:
    latest = latest_release()
    problems = []
    for lang, rel, html in _pages(site_dir):
        banner = _soup(html).select_one(".md-banner [data-llm-build=dev]")
        if is_release(VERSION):
            if banner is not None:
                problems.append(f"{lang}:{rel}: a release's page carries the dev banner")
            continue
        if banner is None:
            problems.append(f"{lang}:{rel}: no dev banner")
            continue
        text = " ".join(banner.get_text().split())
        if not text.startswith(BANNER_START[lang]) or VERSION not in text or "main" not in text:
            problems.append(f"{lang}:{rel}: the banner does not say main and {VERSION}: {text!r}")
        to_latest = banner.select_one(f'a[href="{SITE_ROOT}{LATEST_ALIAS}/"]')
        if latest and (to_latest is None or latest not in text):
            problems.append(f"{lang}:{rel}: the banner does not link release {latest}'s docs")
        if not latest and to_latest is not None:
            problems.append(f"{lang}:{rel}: the banner links a latest release that does not exist")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_plain_build_asks_for_no_versions_json(site_dir: Path, lang: str) -> None:
    # Material's version selector fetches ../versions.json, which only mike's gh-pages has
    # (the hook turns the selector on under `mike deploy` only).
    html = site_dir / ("zh/index.html" if lang == "zh" else "index.html")
    config = _soup(html).select_one("script#__config")
    assert config is not None and config.string
    assert json.loads(config.string)["version"] is None


COPYRIGHT_START = {"en": "Code MIT licensed.", "zh": "代码以 MIT 许可证发布。"}


def test_the_footer_s_copyright_is_in_the_page_s_language(site_dir: Path) -> None:
    problems = []
    for lang, rel, html in _pages(site_dir):
        block = _soup(html).select_one("footer .md-copyright__highlight")
        text = " ".join(block.get_text().split()) if block else ""
        if not text.startswith(COPYRIGHT_START[lang]):
            problems.append(f"{lang}:{rel}: copyright {text[:40]!r}")
    assert not problems, "\n".join(problems)
