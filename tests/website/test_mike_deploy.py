"""``mike deploy`` with our hook and templates, into a throwaway git repository (no remote).

Each test builds a two-page (en, zh) MkDocs project that uses the real
``tools/hooks/build_version.py``, ``tools/hooks/docs_version.py`` and ``overrides/``, with its
own ``llm_attention/__init__.py`` holding the version under test, and runs mike as the workflows
do (.github/workflows/pages.yml for ``main``, release.yml for a tag). A few seconds each; the
whole site under mike is ``tools/mike_proof.sh``'s (run by .ci/run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
MIKE = Path(sys.executable).parent / "mike"
SITE_URL = "https://llm-attention.github.io/llm_attention/"

CONFIG = f"""\
site_name: mike proof
site_url: {SITE_URL}
theme: {{name: material, custom_dir: overrides, font: false, language: en}}
hooks: [tools/hooks/build_version.py]
strict: !ENV [LLM_ATTENTION_STRICT, false]
plugins:
  - i18n:
      docs_structure: suffix
      fallback_to_default: false
      reconfigure_material: true
      languages:
        - {{locale: en, default: true, name: English, build: true}}
        - {{locale: zh, name: 简体中文, build: true}}
"""


def _git(project: Path, *args: str) -> str:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="proof",
        GIT_AUTHOR_EMAIL="proof@example.invalid",
        GIT_COMMITTER_NAME="proof",
        GIT_COMMITTER_EMAIL="proof@example.invalid",
    )
    proc = subprocess.run(
        ["git", *args], cwd=project, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, f"git {' '.join(args)} failed:\n{proc.stderr}"
    return proc.stdout


def _project(tmp_path: Path, version: str, tags: tuple[str, ...] = ()) -> Path:
    """A git repository holding a two-page project at ``version``, with ``tags`` on HEAD."""
    project = tmp_path / "project"
    hooks = project / "tools" / "hooks"
    hooks.mkdir(parents=True)
    for name in ("build_version.py", "docs_version.py"):
        shutil.copyfile(ROOT / "tools" / "hooks" / name, hooks / name)
    shutil.copytree(ROOT / "overrides", project / "overrides")
    (project / "llm_attention").mkdir()
    (project / "llm_attention" / "__init__.py").write_text(f'__version__ = "{version}"\n')
    (project / "docs").mkdir()
    (project / "docs" / "index.md").write_text("# Home\n\nA page.\n", encoding="utf-8")
    (project / "docs" / "index.zh.md").write_text("# 首页\n\n一页。\n", encoding="utf-8")
    (project / "mkdocs.yml").write_text(CONFIG, encoding="utf-8")
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "project")
    for tag in tags:
        _git(project, "tag", tag)
    return project


def _mike(project: Path, *args: str, strict: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        NO_MKDOCS_2_WARNING="1",
        # mike runs `mkdocs build` from PATH, as in the workflows (.venv/bin on PATH)
        PATH=f"{MIKE.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        GIT_COMMITTER_NAME="proof",
        GIT_COMMITTER_EMAIL="proof@example.invalid",
    )
    if strict:
        env["LLM_ATTENTION_STRICT"] = "true"
    else:
        env.pop("LLM_ATTENTION_STRICT", None)
    return subprocess.run(
        [str(MIKE), *args], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )


def _deployed(project: Path, path: str) -> str:
    return _git(project, "show", f"gh-pages:{path}")


def _versions(project: Path) -> list[dict[str, object]]:
    return list(json.loads(_deployed(project, "versions.json")))


@pytest.fixture(autouse=True)
def _need_mike() -> None:
    if not MIKE.is_file():
        pytest.fail(f"mike is missing ({MIKE}): .venv/bin/pip install -e '.[docs]'")


def test_main_deploys_dev_with_the_banner_and_the_selector(tmp_path: Path) -> None:
    project = _project(tmp_path, "0.4.0.dev0")
    # as .github/workflows/pages.yml does on a push to main, before any release
    proc = _mike(project, "deploy", "--update-aliases", "dev")
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = _mike(project, "set-default", "dev")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert [(v["version"], v["aliases"]) for v in _versions(project)] == [("dev", [])]
    # the site's root leads to dev while there is no release
    assert 'url=dev/"' in _deployed(project, "index.html")  # mike's redirect page
    for path, lang in (("dev/index.html", "en"), ("dev/zh/index.html", "zh")):
        soup = BeautifulSoup(_deployed(project, path), "html.parser")
        assert soup.html is not None and soup.html["lang"] == lang
        config = json.loads(soup.select_one("#__config").string)  # type: ignore[union-attr,arg-type]
        assert config["version"]["provider"] == "mike", path
        assert soup.select_one("[data-llm-build=dev]") is not None, f"{path}: no dev banner"
        line = soup.select_one(".llm-build-version")
        assert line is not None and "0.4.0.dev0" in line.get_text(), path
        canonical = soup.select_one("link[rel=canonical]")
        assert canonical is not None and canonical["href"].startswith(f"{SITE_URL}dev/"), path
        # the language selector's links are absolute paths: in dev/ as well
        languages = {a["hreflang"]: a["href"] for a in soup.select("a.md-select__link[hreflang]")}
        assert languages == {"en": "/llm_attention/dev/", "zh": "/llm_attention/dev/zh/"}, path
    # every address in the sitemap is in dev/ (mike's own site_url had no trailing slash)
    urls = re.findall(r'<loc>([^<]+)</loc>|href="([^"]+)"', _deployed(project, "dev/sitemap.xml"))
    urls = [loc or href for loc, href in urls]
    assert len(urls) == 6, urls
    assert all(url.startswith(f"{SITE_URL}dev/") for url in urls), urls


def test_a_release_deploys_its_folder_as_latest_without_the_banner(tmp_path: Path) -> None:
    project = _project(tmp_path, "0.4.0.dev0")
    assert _mike(project, "deploy", "--update-aliases", "dev").returncode == 0
    # the tagged commit: __version__ 0.4.1, tag v0.4.1 (release.yml's docs job)
    (project / "llm_attention" / "__init__.py").write_text('__version__ = "0.4.1"\n')
    _git(project, "commit", "-q", "-am", "release 0.4.1")
    _git(project, "tag", "v0.4.1")
    proc = _mike(project, "deploy", "--update-aliases", "--title", "0.4.1", "0.4", "latest")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _mike(project, "set-default", "latest").returncode == 0
    versions = {v["version"]: v for v in _versions(project)}
    assert set(versions) == {"dev", "0.4"}
    assert versions["0.4"]["aliases"] == ["latest"]
    assert versions["0.4"]["title"] == "0.4.1"
    assert 'url=latest/"' in _deployed(project, "index.html")
    for path in ("0.4/index.html", "0.4/zh/index.html"):
        soup = BeautifulSoup(_deployed(project, path), "html.parser")
        assert soup.select_one("[data-llm-build=dev]") is None, f"{path}: a release has no banner"
        line = soup.select_one(".llm-build-version")
        assert line is not None and "0.4.1" in line.get_text() and "v0.4.1" in line.get_text()


def test_mike_refuses_a_folder_the_version_does_not_belong_in(tmp_path: Path) -> None:
    project = _project(tmp_path, "0.4.0.dev0")
    proc = _mike(project, "deploy", "0.4", "latest")
    assert proc.returncode != 0
    assert "belongs in 'dev'" in proc.stdout + proc.stderr
    assert "gh-pages" not in _git(project, "branch", "--list")


def test_mike_refuses_a_lenient_build(tmp_path: Path) -> None:
    project = _project(tmp_path, "0.4.0.dev0")
    proc = _mike(project, "deploy", "dev", strict=False)
    assert proc.returncode != 0
    assert "must be strict" in proc.stdout + proc.stderr


def test_a_dev_build_links_the_latest_release_once_one_is_tagged(tmp_path: Path) -> None:
    project = _project(tmp_path, "0.5.0.dev0", tags=("v0.3.0", "v0.4.1", "v0.10.0rc1", "vnext"))
    assert _mike(project, "deploy", "dev").returncode == 0
    for path in ("dev/index.html", "dev/zh/index.html"):
        banner = BeautifulSoup(_deployed(project, path), "html.parser").select_one(
            "[data-llm-build=dev]"
        )
        assert banner is not None
        assert "0.4.1" in banner.get_text(), f"{path}: the newest release tag is v0.4.1"
        link = banner.select_one(f'a[href="{SITE_URL}latest/"]')
        assert link is not None, f"{path}: no link to the latest release's docs"
