"""Every page, both languages, at phone width (390 px): screenshots, nothing widens the page,
and no inline formula scrolls.

Desktop screenshots are taken while the desktop checks run (test_pages_in_browser.py); all of
them land in one folder, ``LLM_ATTENTION_ARTIFACTS`` (default ``artifacts/screenshots``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_lib import (
    CHECKED,
    SitePage,
    Tab,
    check_inline_math_scroll,
    check_layout,
    check_requests,
    format_problems,
    open_page,
)

pytestmark = pytest.mark.browser


def test_phone_layout(phone: Tab, base_url: str, artifacts_dir: Path, site_page: SitePage) -> None:
    CHECKED[site_page.lang].add(site_page.rel)
    open_page(phone.page, phone.rec, base_url + site_page.path)
    phone.page.screenshot(path=str(artifacts_dir / f"{site_page.slug}-phone.png"), full_page=True)
    problems = (
        check_layout(phone.page) + check_inline_math_scroll(phone.page) + check_requests(phone.rec)
    )
    assert not problems, format_problems(f"{site_page.path or '/'} at 390 px", problems)
