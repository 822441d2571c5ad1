"""The built site, for the site tests.

``LLM_ATTENTION_SITE_DIR`` names an already-built site (``.ci/run`` builds it once with
``mkdocs build --strict`` and points the tests at it). Without it, the site is built
here, strictly, into a temporary folder, once per test session.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``site``: ``pytest -m "not site"`` is the quick run."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in item.path.resolve().parents:
            item.add_marker(pytest.mark.site)


def _build(target: Path) -> None:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(target)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{log[-6000:]}"


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("LLM_ATTENTION_SITE_DIR")
    if given:
        path = Path(given).resolve()
        assert (path / "index.html").is_file(), (
            f"LLM_ATTENTION_SITE_DIR={given} holds no built site"
        )
        return path
    target = tmp_path_factory.mktemp("site")
    _build(target)
    return target
