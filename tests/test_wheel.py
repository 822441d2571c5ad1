"""The wheel holds the package readers import and nothing else, and works on its own.

Builds the wheel offline (``python -m build --wheel --no-isolation``: the setuptools of this
environment, no download) from a copy of the files setuptools reads, so that nothing in the
checkout (a stale ``build/``) can slip in. ``tools/packaging_proof.sh`` goes further: it builds
with isolation, installs the wheel into a fresh virtual environment and uses it there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: What setuptools reads to build the wheel (pyproject.toml names the rest).
SOURCES = (
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "NOTICE",
    "MANIFEST.in",
    "CITATION.cff",
    "llm_attention",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), "."],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (built,) = out.glob("llm_attention-*.whl")
    return built


def test_the_wheel_holds_only_the_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    dist_info = [n for n in names if n.split("/")[0].endswith(".dist-info")]
    package = sorted(set(names) - set(dist_info))
    modules = sorted(f"llm_attention/{p.name}" for p in (ROOT / "llm_attention").glob("*.py"))
    assert package == sorted([*modules, "llm_attention/py.typed"])
    assert {n.split("/")[0] for n in dist_info} == {wheel.name.split("-py3")[0] + ".dist-info"}
    for name in names:  # no benchmark tool, no site tools, no data from docs/
        assert not name.startswith(("benchmarks/", "tools/", "docs/", "tests/", "examples/"))
        assert "bench" not in name, name
        assert not name.endswith((".json", ".svg", ".md")), name


def test_no_timers_probes_or_repository_paths_in_the_package(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    for name in archive.namelist():
        if name.endswith(".py"):
            text = archive.read(name).decode("utf-8")
            for needle in ("/proc/", "perf_counter", "docs/assets", "getrusage", "subprocess"):
                assert needle not in text, (name, needle)


def test_every_public_name_imports_from_the_wheel_alone(wheel: Path, tmp_path: Path) -> None:
    # The unpacked wheel first on the path, run from elsewhere: llm_attention comes from the
    # wheel's files, and the benchmark tool is not there.
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    code = """
import importlib, importlib.util, pkgutil, sys
import llm_attention
where = llm_attention.__file__
assert where.startswith(sys.argv[1]), where
for name in llm_attention.__all__:
    getattr(llm_attention, name)
for info in pkgutil.iter_modules(llm_attention.__path__):
    importlib.import_module("llm_attention." + info.name)
assert importlib.util.find_spec("benchmarks") is None, "the benchmark tool came along"
x = llm_attention.example_inputs()
print(llm_attention.MultiHeadAttention(3, 2, 6, 0.0, 2)(x[None]).shape)
"""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(tmp_path / "site")
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "site")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "torch.Size([1, 6, 2])"
