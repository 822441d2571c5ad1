"""A plain ``mkdocs build --strict`` never publishes a site that needs a CDN.

KaTeX and mermaid are copied from ``node_modules/`` by ``tools/hooks/site_assets.py`` during the
build. Without them the build used to succeed anyway: KaTeX 404ed on every page and Material
quietly loaded mermaid from a CDN. Each test builds a one-page site in a temporary project
that uses the real hook and the real ``extra_css`` / ``extra_javascript`` (a few seconds), and
does not need the built site.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from mkdocs.utils import yaml_load
from website_lib import cdn_urls

ROOT = Path(__file__).resolve().parents[2]
HOOK = ROOT / "tools" / "hooks" / "site_assets.py"
MARKDOWN_EXTENSIONS = """\
markdown_extensions:
  - pymdownx.arithmatex: {generic: true}
  - pymdownx.superfences:
      custom_fences:
        - name: mermaid
          class: mermaid
          format: !!python/name:pymdownx.superfences.fence_code_format
"""
PAGE = """# Plain build

Inline math $\\alpha_{ij}$ and a diagram:

```mermaid
flowchart LR
  A --> B
```
"""


def _project(tmp_path: Path, node_modules: str) -> Path:
    """A one-page MkDocs project beside the real hook; ``node_modules``: none, link or stale."""
    real = yaml_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assets = {"extra_css": real["extra_css"], "extra_javascript": real["extra_javascript"]}
    text = (
        "site_name: plain build\n"
        "theme: {name: material, font: false}\n"
        f"hooks: [{json.dumps(str(HOOK))}]\n"
        + yaml.safe_dump(assets, sort_keys=False)
        + MARKDOWN_EXTENSIONS
    )
    project = tmp_path / "project"
    (project / "docs" / "assets").mkdir(parents=True)
    (project / "mkdocs.yml").write_text(text, encoding="utf-8")
    (project / "docs" / "index.md").write_text(PAGE, encoding="utf-8")
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(ROOT / name, project / name)
    for asset in (ROOT / "docs" / "assets").glob("*.*"):  # site.css, site.js, explorer.js, ...
        shutil.copyfile(asset, project / "docs" / "assets" / asset.name)
    if node_modules == "link":
        if not (ROOT / "node_modules" / "katex").is_dir():
            pytest.fail(f"node_modules/ is missing in {ROOT}: run npm ci there first")
        (project / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    elif node_modules == "stale":
        katex = project / "node_modules" / "katex"
        katex.mkdir(parents=True)
        (katex / "package.json").write_text('{"name": "katex", "version": "0.0.1"}')
    return project


def _build(project: Path) -> tuple[int, str, float]:
    """``mkdocs build --strict`` in ``project`` with no npm to fall back on."""
    env = dict(
        os.environ,
        NO_MKDOCS_2_WARNING="1",
        LLM_ATTENTION_NO_NPM="1",  # the hook must not fetch anything here
        PATH=str(Path(sys.executable).parent),  # and finds no npm
    )
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", "site"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start


def test_without_node_modules_the_build_fails_at_once_with_the_fix(tmp_path: Path) -> None:
    project = _project(tmp_path, node_modules="none")
    code, log, seconds = _build(project)
    assert code != 0, f"the build succeeded without the front-end assets:\n{log[-3000:]}"
    assert "node_modules/katex is missing" in log, log[-3000:]
    assert "npm ci" in log and "mkdocs build --strict" in log, log[-3000:]
    assert not (project / "site" / "index.html").exists(), "a page was written before failing"
    assert seconds < 60, f"the build took {seconds:.0f}s to fail"


def test_with_other_versions_in_node_modules_the_build_fails(tmp_path: Path) -> None:
    project = _project(tmp_path, node_modules="stale")
    code, log, _ = _build(project)
    assert code != 0, f"the build succeeded with katex 0.0.1 in node_modules:\n{log[-3000:]}"
    assert "node_modules/katex is version 0.0.1, package-lock.json pins" in log, log[-3000:]


def test_with_node_modules_the_build_serves_every_asset_itself(tmp_path: Path) -> None:
    project = _project(tmp_path, node_modules="link")
    code, log, _ = _build(project)
    assert code == 0, f"mkdocs build --strict failed:\n{log[-3000:]}"
    site = project / "site"
    real = yaml_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    for asset in [*real["extra_css"], *real["extra_javascript"]]:
        assert (site / asset).is_file(), f"{asset} is not in the built site"
    fonts = list((site / "assets" / "vendor" / "katex" / "fonts").glob("*.woff2"))
    assert fonts, "KaTeX's fonts are not in the built site"
    assert not cdn_urls(site), f"built files name a CDN: {cdn_urls(site)}"


def test_an_extra_asset_the_site_lacks_fails_the_build(tmp_path: Path) -> None:
    """MkDocs itself does not warn when an extra_javascript file is missing: it 404s."""
    project = _project(tmp_path, node_modules="link")
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("- assets/site.js", "- assets/nowhere.js"), encoding="utf-8")
    code, log, _ = _build(project)
    assert code != 0, f"the build succeeded with a missing script:\n{log[-3000:]}"
    assert "extra_javascript names assets/nowhere.js" in log, log[-3000:]
