"""The browser suite: the built site, served on 127.0.0.1 and driven in Chromium by Playwright.

Run it after building the site, as its own step (plain ``pytest`` leaves it out, see
``addopts`` in pyproject.toml)::

    bash tools/build_site.sh site
    LLM_ATTENTION_SITE_DIR=site .venv/bin/python -m pytest tests/browser

``LLM_ATTENTION_SITE_DIR`` (required) names the built site; ``LLM_ATTENTION_ARTIFACTS`` the
folder for the screenshots (default ``artifacts/screenshots``); ``LLM_ATTENTION_CHROMIUM`` the
browser (default ``/usr/bin/chromium``). A missing site, browser or Playwright is an error,
never a skip.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    from playwright.sync_api import sync_playwright
except ImportError as exc:  # an error with the fix, not a skip
    raise pytest.UsageError(
        f"Playwright is missing ({exc}): .venv/bin/python -m pip install -e '.[browser]'"
    ) from exc

from browser_lib import (
    AXE_JS,
    CHECKED,
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    Tab,
    check_page,
    discover_pages,
    serve,
)

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``site``: ``pytest -m "not site"`` is the quick run."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in item.path.resolve().parents:
            item.add_marker(pytest.mark.site)


HOW_TO = (
    "build the site, then point the browser suite at it:\n"
    "    bash tools/build_site.sh site\n"
    "    LLM_ATTENTION_SITE_DIR=site .venv/bin/python -m pytest tests/browser"
)


def _site_dir() -> Path:
    given = os.environ.get("LLM_ATTENTION_SITE_DIR")
    if not given:
        raise pytest.UsageError(f"LLM_ATTENTION_SITE_DIR is not set: {HOW_TO}")
    site = Path(given).resolve()
    for needed in ("index.html", "zh/index.html", "search/search_index.json"):
        if not (site / needed).is_file():
            raise pytest.UsageError(
                f"LLM_ATTENTION_SITE_DIR={given} holds no built site ({needed} missing): {HOW_TO}"
            )
    return site


def pytest_configure(config: pytest.Config) -> None:
    # Fail at once, with the fix, when the suite cannot run: never skip silently.
    _site_dir()
    if not Path(CHROMIUM).is_file():
        raise pytest.UsageError(
            f"no Chromium at {CHROMIUM}: apt-get install -y chromium fonts-noto-cjk "
            "(or set LLM_ATTENTION_CHROMIUM)"
        )
    if not AXE_JS.is_file():
        raise pytest.UsageError(f"axe-core is missing ({AXE_JS}): npm ci")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    pages = discover_pages(_site_dir())
    if "site_page" in metafunc.fixturenames:
        metafunc.parametrize("site_page", pages, ids=[p.id for p in pages])
    if "notebook_page" in metafunc.fixturenames:
        notebooks = [p for p in pages if p.is_notebook]
        metafunc.parametrize("notebook_page", notebooks, ids=[p.id for p in notebooks])


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def site_root() -> Path:
    return _site_dir()


@pytest.fixture(scope="session")
def base_url(site_root: Path) -> Iterator[str]:
    with serve(site_root) as url:
        yield url


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(os.environ.get("LLM_ATTENTION_ARTIFACTS", ROOT / "artifacts" / "screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    for old in [*path.glob("*-desktop.png"), *path.glob("*-phone.png")]:
        old.unlink()  # only this run's screenshots; nothing else in the folder is touched
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def desktop(browser: Any) -> Iterator[Tab]:

    tab = Tab(browser, DESKTOP)
    yield tab
    tab.close()


@pytest.fixture(scope="session")
def phone(browser: Any) -> Iterator[Tab]:

    tab = Tab(browser, PHONE)
    yield tab
    tab.close()


@pytest.fixture
def fresh_tab(browser: Any) -> Iterator[Tab]:
    """A desktop tab of its own, for tests that must not disturb the shared ones."""

    tab = Tab(browser, DESKTOP)
    yield tab
    tab.close()


@pytest.fixture(scope="session")
def desktop_reports(
    desktop: Tab, base_url: str, artifacts_dir: Path
) -> Any:  # a function: SitePage -> {check: problems}
    """Each page is opened once at desktop width; every per-page test reads its report."""
    cache: dict[Any, dict[str, list[str]]] = {}

    def report(site_page: Any) -> dict[str, list[str]]:
        if site_page not in cache:
            CHECKED[site_page.lang].add(site_page.rel)
            shot = artifacts_dir / f"{site_page.slug}-desktop.png"
            cache[site_page] = check_page(
                desktop.page, desktop.rec, base_url, site_page, screenshot=shot
            )
        return cache[site_page]

    return report


# ---------------------------------------------------------------- summary
_STARTED = time.monotonic()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if any(CHECKED.values()):
        counts = ", ".join(f"{len(v)} {k} pages" for k, v in CHECKED.items())
        shots = os.environ.get("LLM_ATTENTION_ARTIFACTS", str(ROOT / "artifacts" / "screenshots"))
        terminalreporter.write_line(
            f"browser suite: {counts} checked in {time.monotonic() - _STARTED:.0f}s; "
            f"screenshots in {shots}"
        )
