"""Which version of the package a build documents, and the addresses that follow from it.

Not a hook: the hooks (notebooks, version banner), the workflows and the tests import it, so
that a page, its notebook, its Colab link and its install line name the same version.

The rule is the version string itself (``llm_attention.__version__``, PEP 440):

- a development version (``0.1.0.dev0``) is what ``main`` holds. Its docs are mike's ``dev``
  version, its notebooks install the package from the repository's ``main`` branch, and its
  Colab links open the notebooks committed on ``main``;
- a release (``0.1.0``) is what a tag ``v0.1.0`` holds. Its docs are mike's ``0.1`` version
  (aliased ``latest``), its notebooks install ``llm-attention==0.1.0`` from PyPI, and its Colab
  links open the notebooks committed at the tag.

Releasing is therefore: set ``__version__`` to the release, regenerate the committed notebooks
(a test fails until they match), tag ``v<version>``; then set ``main`` to the next ``.devN``.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPOSITORY = "llm-attention/llm_attention"
REPO_URL = f"https://github.com/{REPOSITORY}"
# The published site's root: mike puts each documented version in a folder under it.
SITE_ROOT = "https://llm-attention.github.io/llm_attention/"
DIST_NAME = "llm-attention"
DEV_ALIAS = "dev"
LATEST_ALIAS = "latest"
# The folder of the committed notebooks, in the repository (Colab opens them from GitHub).
NOTEBOOK_DIR = "notebooks"

_VERSION = re.compile(r'^__version__ = "([^"]+)"$', re.MULTILINE)
_RELEASE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_DEV = re.compile(r"^\d+\.\d+\.\d+\.dev\d+$")


def package_version(root: Path = ROOT) -> str:
    """``__version__`` as written in the package source (what setuptools reads)."""
    text = (root / "llm_attention" / "__init__.py").read_text(encoding="utf-8")
    match = _VERSION.search(text)
    if match is None:
        raise ValueError('llm_attention/__init__.py has no line __version__ = "..."')
    return match[1]


def is_release(version: str) -> bool:
    """``X.Y.Z`` is a release, ``X.Y.Z.devN`` is ``main``; anything else is refused."""
    if _RELEASE.match(version):
        return True
    if _DEV.match(version):
        return False
    raise ValueError(
        f"__version__ {version!r} is neither a release X.Y.Z nor a development version X.Y.Z.devN"
    )


def docs_folder(version: str) -> str:
    """mike's version folder for these docs: ``dev``, or ``X.Y`` for a release."""
    if not is_release(version):
        return DEV_ALIAS
    major, minor, _ = _RELEASE.match(version).groups()  # type: ignore[union-attr]
    return f"{major}.{minor}"


def git_ref(version: str) -> str:
    """The branch or tag whose files these docs describe."""
    return f"v{version}" if is_release(version) else "main"


def site_url(version: str) -> str:
    """The published address of these docs, ending in ``/``."""
    return f"{SITE_ROOT}{docs_folder(version)}/"


def install_command(version: str) -> str:
    """The pip requirement a reader installs to run these docs' code."""
    if is_release(version):
        return f"pip install {DIST_NAME}=={version}"
    return f'pip install "{DIST_NAME} @ git+{REPO_URL}@main"'


def notebook_path(name: str, language: str) -> str:
    """A committed notebook's path in the repository (``notebooks/en/ch3_3.ipynb``)."""
    return f"{NOTEBOOK_DIR}/{language}/{name}.ipynb"


def colab_url(name: str, language: str, version: str) -> str:
    """Open the committed notebook in Google Colab, from the public repository on GitHub."""
    path = notebook_path(name, language)
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{git_ref(version)}/{path}"
