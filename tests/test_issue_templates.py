"""The issue forms ask for what a report needs to be rerun (.github/ISSUE_TEMPLATE)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

TEMPLATES = Path(__file__).resolve().parents[1] / ".github" / "ISSUE_TEMPLATE"


def form(name: str) -> dict[str, Any]:
    data = yaml.safe_load((TEMPLATES / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict), name
    for key in ("name", "description", "body"):
        assert data.get(key), (name, key)
    return data


def required_fields(data: dict[str, Any]) -> dict[str, str]:
    """The id and label of each required field of an issue form."""
    return {
        field["id"]: field["attributes"]["label"]
        for field in data["body"]
        if field["type"] != "markdown" and field.get("validations", {}).get("required")
    }


def test_bug_report_asks_for_versions_and_what_happened() -> None:
    fields = required_fields(form("bug_report.yml"))
    assert set(fields) >= {
        "os",
        "python-version",
        "torch-version",
        "llm-attention-version",
        "what-was-run",
        "what-happened",
    }


def test_docs_form_asks_for_the_page_and_language() -> None:
    data = form("docs_translation.yml")
    assert set(required_fields(data)) >= {"page-url", "language"}
    (language,) = [f for f in data["body"] if f.get("id") == "language"]
    options = language["attributes"]["options"]
    assert any("English" in o for o in options) and any("中文" in o for o in options)


def test_issue_config_sends_blank_issues_to_the_forms() -> None:
    config = yaml.safe_load((TEMPLATES / "config.yml").read_text(encoding="utf-8"))
    assert config["blank_issues_enabled"] is False
    for link in config["contact_links"]:
        assert link["url"].startswith("https://"), link
