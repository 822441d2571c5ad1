"""Every page, both languages, for readers whose system asks for dark mode.

The palette follows ``prefers-color-scheme``, so these readers get Material's slate scheme
and its own colours. Only what depends on colour is checked again: axe-core's contrast rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser_lib import (
    DESKTOP,
    SitePage,
    Tab,
    check_accessibility,
    check_requests,
    format_problems,
    open_page,
)

pytestmark = pytest.mark.browser

COLOUR_RULES = ["color-contrast", "link-in-text-block"]


@pytest.fixture(scope="module")
def dark(browser: Any) -> Iterator[Tab]:
    tab = Tab(browser, DESKTOP, color_scheme="dark")
    yield tab
    tab.close()


def test_dark_mode_contrast(dark: Tab, base_url: str, site_page: SitePage) -> None:
    open_page(dark.page, dark.rec, base_url + site_page.path)
    scheme = dark.page.evaluate("() => document.body.getAttribute('data-md-color-scheme')")
    assert scheme == "slate", f"dark mode did not switch the palette to slate: {scheme!r}"
    problems = check_accessibility(dark.page, COLOUR_RULES) + check_requests(dark.rec)
    assert not problems, format_problems(f"{site_page.path or '/'} in dark mode", problems)
