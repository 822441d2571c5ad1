"""The README's example runs and prints the book's numbers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def test_readme_python_example_runs(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "README has no Python example"
    script = tmp_path / "readme_example.py"
    script.write_text(blocks[0], encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert "tensor([0.3190, 0.4858]" in proc.stdout


#: Where readers are told how to install the package.
INSTALL_PAGES = ("README.md", "docs/index.md", "docs/index.zh.md")


@pytest.mark.parametrize("name", INSTALL_PAGES)
def test_install_is_from_the_repository_until_a_release(name: str) -> None:
    # No release is on PyPI yet: the install line points at the repository pyproject names,
    # and no sentence says the package is on PyPI. (After the first release, change both.)
    text = (ROOT / name).read_text(encoding="utf-8")
    source = re.search(
        r'^Source = "(\S+)"$', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M
    )
    assert source, "pyproject.toml has no Source URL"
    assert f'pip install "llm-attention @ git+{source.group(1)}"' in text
    assert not re.search(r"^pip install llm-attention\b", text, re.M)
    for claim in ("is on PyPI", "on PyPI and", "已发布在 PyPI", "已在 PyPI"):
        assert claim not in text, (name, claim)


def test_readme_links_to_the_site() -> None:
    site = re.search(r"^site_url: (\S+)$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    assert site, "mkdocs.yml has no site_url"
    first_lines = "\n".join(README.read_text(encoding="utf-8").splitlines()[:8])
    assert site.group(1) in first_lines
