"""tools/pages_root_404.py: GitHub Pages serves the branch root's 404.html, mike writes none."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pages_root_404 import copy_404_to_root


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def deployed(tmp_path: Path) -> tuple[Path, Path]:
    """A clone whose origin has a gh-pages branch as mike leaves it: dev/ and no root 404."""
    origin = tmp_path / "origin.git"
    _git("init", "--quiet", "--bare", str(origin), cwd=tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    _git("init", "--quiet", cwd=work)
    _git("config", "user.name", "test", cwd=work)
    _git("config", "user.email", "test@example.org", cwd=work)
    _git("checkout", "--quiet", "--orphan", "gh-pages", cwd=work)
    (work / "dev" / "zh").mkdir(parents=True)
    (work / "dev" / "404.html").write_text("<html lang=en>not found</html>", encoding="utf-8")
    (work / "dev" / "zh" / "404.html").write_text("<html lang=zh>未找到</html>", encoding="utf-8")
    (work / "index.html").write_text("redirect to dev/", encoding="utf-8")
    _git("add", ".", cwd=work)
    _git("commit", "--quiet", "-m", "Deployed dev", cwd=work)
    _git("remote", "add", "origin", str(origin), cwd=work)
    _git("push", "--quiet", "origin", "gh-pages", cwd=work)
    _git("checkout", "--quiet", "--orphan", "main", cwd=work)
    return origin, work


def test_the_default_version_s_404_pages_reach_the_root_and_are_pushed(
    deployed: tuple[Path, Path],
) -> None:
    origin, work = deployed
    assert copy_404_to_root("dev", repo=work) is True
    for page in ("404.html", "zh/404.html"):
        pushed = _git("show", f"gh-pages:{page}", cwd=origin)
        assert pushed == _git("show", f"gh-pages:dev/{page}", cwd=origin)
    assert "未找到" in _git("show", "gh-pages:zh/404.html", cwd=origin)
    # a second run has nothing to commit
    assert copy_404_to_root("dev", repo=work) is False
    assert _git("worktree", "list", cwd=work).count("\n") == 1


def test_a_version_that_is_not_deployed_is_named(deployed: tuple[Path, Path]) -> None:
    _, work = deployed
    with pytest.raises(FileNotFoundError, match=r"gh-pages has no 0\.2/404\.html"):
        copy_404_to_root("0.2", repo=work)
    with pytest.raises(ValueError, match="folder must be one docs version"):
        copy_404_to_root("../dev", repo=work)
