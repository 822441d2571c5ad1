"""Every page, both languages, at desktop width: what a reader sees once the page has loaded.

Each page is opened once (``desktop_reports``); each test below reports one kind of problem.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from browser_lib import LANGS, SitePage, discover_pages, format_problems

pytestmark = pytest.mark.browser

Reports = Callable[[SitePage], dict[str, list[str]]]


def _assert_clean(reports: Reports, site_page: SitePage, check: str) -> None:
    problems = reports(site_page)[check]
    assert not problems, format_problems(f"{site_page.path or '/'} [{check}]", problems)


def test_both_languages_have_the_same_pages(site_root: Path) -> None:
    pages = discover_pages(site_root)
    by_lang = {lang: {p.rel for p in pages if p.lang == lang} for lang in LANGS}
    assert len(by_lang["en"]) >= 10, f"only {len(by_lang['en'])} English pages found in {site_root}"
    assert by_lang["en"] == by_lang["zh"], (
        f"only in English: {sorted(by_lang['en'] - by_lang['zh'])}; "
        f"only in Chinese: {sorted(by_lang['zh'] - by_lang['en'])}"
    )
    assert "api/" in by_lang["en"]
    assert any(rel.startswith("notebooks/") for rel in by_lang["en"])


def test_page_loads_cleanly_and_stays_on_this_machine(
    desktop_reports: Reports, site_page: SitePage
) -> None:
    """No console error, uncaught exception, failed request, HTTP error or off-site request."""
    _assert_clean(desktop_reports, site_page, "load")


def test_every_formula_is_typeset(desktop_reports: Reports, site_page: SitePage) -> None:
    _assert_clean(desktop_reports, site_page, "math")


def test_every_diagram_and_image_is_drawn(desktop_reports: Reports, site_page: SitePage) -> None:
    _assert_clean(desktop_reports, site_page, "diagrams")


def test_notebook_shows_executed_outputs(desktop_reports: Reports, notebook_page: SitePage) -> None:
    _assert_clean(desktop_reports, notebook_page, "notebook")


def test_every_code_block_has_a_working_copy_button(
    desktop_reports: Reports, site_page: SitePage
) -> None:
    _assert_clean(desktop_reports, site_page, "code_copy")


def test_no_serious_accessibility_violation(desktop_reports: Reports, site_page: SitePage) -> None:
    """axe-core: no serious or critical violation."""
    _assert_clean(desktop_reports, site_page, "accessibility")


def test_nothing_overflows_at_desktop_width(desktop_reports: Reports, site_page: SitePage) -> None:
    _assert_clean(desktop_reports, site_page, "layout")


def test_no_inline_formula_scrolls_at_desktop_width(
    desktop_reports: Reports, site_page: SitePage
) -> None:
    """No scrollbar under an inline formula (display math may scroll)."""
    _assert_clean(desktop_reports, site_page, "inline_math")


def test_language_switch_keeps_page_and_section(
    desktop_reports: Reports, site_page: SitePage
) -> None:
    _assert_clean(desktop_reports, site_page, "language_switch")
