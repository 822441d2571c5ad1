"""One version: ``llm_attention.__version__``, which the installed metadata repeats."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest

import llm_attention

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_installed_metadata_has_the_package_version() -> None:
    # An editable install records the version when it is installed: after changing
    # __version__, reinstall (bash tools/dev.sh setup) and this passes again.
    assert version("llm-attention") == llm_attention.__version__, (
        "the installed metadata and llm_attention.__version__ disagree; "
        "reinstall the package: pip install -e ."
    )


def test_pyproject_reads_the_version_from_the_package() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert "version" not in project["project"], "pyproject.toml states a second version"
    assert "version" in project["project"]["dynamic"]
    dynamic = project["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "llm_attention.__version__"}
