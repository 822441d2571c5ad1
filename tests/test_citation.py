"""CITATION.cff is valid Citation File Format 1.2.0 and names the package's one version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import llm_attention

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def citation() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert isinstance(data, dict), "CITATION.cff is not a YAML mapping"
    return data


def test_citation_has_the_keys_cff_requires(citation: dict[str, Any]) -> None:
    assert citation["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):
        assert isinstance(citation[key], str | list) and citation[key], key
    for author in citation["authors"]:
        # a person (family-names) or an entity (name)
        assert "family-names" in author or "name" in author, author


def test_citation_version_is_the_package_version(citation: dict[str, Any]) -> None:
    # YAML would read 0.1 as a float: the version must stay the string __version__ is
    assert citation["version"] == llm_attention.__version__


def test_citation_agrees_with_pyproject(citation: dict[str, Any]) -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert citation["license"] == project["license"]
    assert citation["repository-code"] == project["urls"]["Source"]
    assert citation["url"] == project["urls"]["Documentation"]
    assert [a["name"] for a in citation["authors"]] == [a["name"] for a in project["authors"]]


def test_citation_references_the_book(citation: dict[str, Any]) -> None:
    (book,) = [r for r in citation["references"] if r["type"] == "book"]
    assert book["title"] == "Build a Large Language Model (From Scratch)"
    assert book["authors"][0]["family-names"] == "Raschka"
    assert book["year"] == 2024
    assert book["isbn"].replace("-", "") == "9781633437166"
    assert "Manning" in book["publisher"]["name"]
