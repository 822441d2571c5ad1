"""tools/hooks/i18n_order.py: the order mkdocs-static-i18n runs a build in, as the hooks assume.

The test builds a two-page site (``index.md``, ``index.zh.md``) with the plugin configured as
mkdocs.yml configures it and a probe hook that logs, at each event, what i18n_order reports and
what is on disk. It checks every fact the module's docstring states, so an upgrade of the
plugin that changes the order fails here, not in a half-built site.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import i18n_order
import pytest
from mkdocs.utils import yaml_load

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / "tools" / "hooks"

PROBE = f"""
import json, sys
from pathlib import Path
from mkdocs.plugins import event_priority
sys.path.insert(0, {str(HOOKS)!r})
import i18n_order

LOG = Path(__file__).with_name("events.jsonl")


def log(event, config, **extra):
    site = Path(config["site_dir"])
    index = site / "search" / "search_index.json"
    langs = []
    if index.is_file():
        docs = json.loads(index.read_text(encoding="utf-8"))["docs"]
        langs = sorted({{"zh" if d["location"].startswith("zh/") else "en" for d in docs}})
    row = dict(
        event=event,
        plugin_language=config.plugins["i18n"].current_language,
        site_dir=str(site),
        zh_built=(site / "zh" / "index.html").is_file(),
        index=langs,
        **extra,
    )
    with LOG.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\\n")


def on_config(config):
    log("config", config)
    return config


def on_pre_build(config):
    log("pre_build", config)


def on_page_markdown(markdown, page, config, files):
    log("page_markdown", config, page=page.file.src_uri, lang=i18n_order.current_language(config))
    return markdown


def on_post_build(config):
    log("post_build", config)
"""

LATE = f"""
import sys
from mkdocs.plugins import event_priority
sys.path.insert(0, {str(HOOKS)!r})
import i18n_order
from probe import log


@event_priority(i18n_order.AFTER_EVERY_LANGUAGE)
def on_post_build(config):
    log(
        "post_build_late",
        config,
        complete=i18n_order.site_is_complete(config),
        languages=i18n_order.languages(config),
        zh_dir=str(i18n_order.language_dir(config, "zh")),
    )
"""


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    project = tmp_path_factory.mktemp("i18n")
    real = yaml_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    i18n = next(p["i18n"] for p in real["plugins"] if isinstance(p, dict) and "i18n" in p)
    languages = [
        {k: lang[k] for k in ("locale", "name", "build", "default") if k in lang}
        for lang in i18n["languages"]
    ]
    config = {
        "site_name": "probe",
        "theme": {"name": "material", "font": False},
        "plugins": [
            "search",
            {
                "i18n": {k: i18n[k] for k in ("docs_structure", "fallback_to_default")}
                | {"languages": languages}
            },
        ],
        "hooks": ["probe.py", "late.py"],
    }
    (project / "mkdocs.yml").write_text(json.dumps(config), encoding="utf-8")
    (project / "probe.py").write_text(PROBE, encoding="utf-8")
    (project / "late.py").write_text(LATE, encoding="utf-8")
    (project / "docs").mkdir()
    (project / "docs" / "index.md").write_text("# Home\n", encoding="utf-8")
    (project / "docs" / "index.zh.md").write_text("# 首页\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", "site"],
        cwd=project,
        env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = (project / "events.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_measured_on_the_installed_plugin() -> None:
    # a new version may build in another order: measure again, then update the docstring
    assert version("mkdocs-static-i18n") == i18n_order.MEASURED_ON
    from mkdocs_static_i18n.plugin import I18n

    priority = I18n.on_post_build.mkdocs_priority  # type: ignore[attr-defined]
    assert priority == i18n_order.PLUGIN_POST_BUILD_PRIORITY > i18n_order.AFTER_EVERY_LANGUAGE


def test_one_build_per_language_the_second_inside_the_first(events: list[dict]) -> None:
    assert [e["event"] for e in events] == [
        "config",  # en, before the plugin's on_config: no language yet
        "pre_build",
        "page_markdown",
        "post_build",  # en, before the plugin builds zh
        "config",  # zh: every event again, with the same config
        "pre_build",
        "page_markdown",
        "post_build",
        "post_build_late",  # zh, inside the en build's post-build step
        "post_build_late",  # en, after the plugin's: the whole site is there
    ]
    assert events[0]["plugin_language"] is None
    # the default language's on_pre_build runs first (notebooks.py does its work there, once)
    assert [e["plugin_language"] for e in events if e["event"] == "pre_build"] == ["en", "zh"]
    assert [e["lang"] for e in events if e["event"] == "page_markdown"] == ["en", "zh"]
    assert [e["page"] for e in events if e["event"] == "page_markdown"] == [
        "index.md",
        "index.zh.md",
    ]
    assert len({e["site_dir"] for e in events}) == 1  # site_dir stays the root


def test_only_the_last_post_build_sees_the_whole_site(events: list[dict]) -> None:
    post = [e for e in events if e["event"].startswith("post_build")]
    assert [(e["zh_built"], e["index"]) for e in post] == [
        (False, ["en"]),
        (True, ["zh"]),  # the nested build's index holds its own pages only
        (True, ["zh"]),
        (True, ["en", "zh"]),  # the merged index
    ]
    late = [e for e in post if e["event"] == "post_build_late"]
    assert [e["complete"] for e in late] == [False, True]
    # the current language at the end is the last one built, not the default
    assert late[-1]["plugin_language"] == "zh"
    assert late[-1]["languages"] == ["en", "zh"]
    assert late[-1]["zh_dir"] == str(Path(late[-1]["site_dir"]) / "zh")
