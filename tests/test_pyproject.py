"""The package metadata in pyproject.toml: build floor, classifiers, dependencies, URLs, markers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return data


def test_setuptools_floor_reads_the_pep_639_license(pyproject: dict[str, Any]) -> None:
    # the string `license` and `license-files` need setuptools 77 (76 rejects the file)
    assert isinstance(pyproject["project"]["license"], str)
    assert pyproject["project"]["license-files"]
    (requirement,) = [r for r in pyproject["build-system"]["requires"] if "setuptools" in r]
    floor = re.fullmatch(r"setuptools>=(\d+)\.(\d+)\.(\d+)", requirement.replace(" ", ""))
    assert floor, requirement
    assert tuple(map(int, floor.groups())) >= (77, 0, 3)


def test_no_license_classifier_beside_the_license_expression(pyproject: dict[str, Any]) -> None:
    classifiers = pyproject["project"]["classifiers"]
    assert not [c for c in classifiers if c.startswith("License ::")]


def test_python_classifiers_start_at_requires_python(pyproject: dict[str, Any]) -> None:
    minimum = re.fullmatch(r">=3\.(\d+)", pyproject["project"]["requires-python"])
    assert minimum, pyproject["project"]["requires-python"]
    prefix = "Programming Language :: Python :: 3."
    minors = sorted(
        int(c[len(prefix) :]) for c in pyproject["project"]["classifiers"] if c.startswith(prefix)
    )
    assert minors[0] == int(minimum.group(1))
    assert minors == list(range(minors[0], minors[-1] + 1)), "a gap in the Python classifiers"
    # and they claim exactly the versions CI tests
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((ROOT / ".github/workflows/tests.yml").read_text(encoding="utf-8"))
    tested = {
        int(row["python"].split(".")[1])
        for job in workflow["jobs"].values()
        for row in job.get("strategy", {}).get("matrix", {}).get("include", [])
    }
    assert set(minors) == tested


def test_numpy_is_declared(pyproject: dict[str, Any]) -> None:
    # torch imports with a warning without it (tools/packaging_proof.sh imports with -W error)
    names = [
        re.split(r"[<>=!~; \[]", d, maxsplit=1)[0] for d in pyproject["project"]["dependencies"]
    ]
    assert "numpy" in names


def test_project_urls(pyproject: dict[str, Any]) -> None:
    urls = pyproject["project"]["urls"]
    assert set(urls) >= {"Homepage", "Documentation", "Source", "Issues", "Changelog"}
    site = re.search(r"^site_url: (\S+)$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    assert site and urls["Documentation"] == urls["Homepage"] == site.group(1)
    assert urls["Issues"] == urls["Source"] + "/issues"
    assert urls["Changelog"] == urls["Source"] + "/blob/main/CHANGELOG.md"


def collected(*args: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return [line for line in proc.stdout.splitlines() if "::" in line]


def test_site_marker_selects_exactly_the_site_tests() -> None:
    # tests/website's conftest.py marks every test there `site` (tests/browser's does too, but
    # collecting it needs Playwright); `pytest -m "not site"` is the quick package run.
    paths = ("tests/website", "tests/test_readme.py")
    site = collected("-m", "site", *paths)
    quick = collected("-m", "not site", *paths)
    assert site and all(t.startswith("tests/website/") for t in site)
    assert quick and all(t.startswith("tests/test_readme.py") for t in quick)
