#!/usr/bin/env bash
# Packaging proof: build the wheel and sdist, check them with twine as PyPI will, check
# that both carry the package's one version (and, for a release, that the tag names it),
# install the wheel into a fresh virtual environment, and use it from outside the source tree.
# .ci/run and the release workflow (.github/workflows/release.yml) both run this script; the
# release publishes the dist/ it leaves behind.
#   RELEASE_TAG=v0.1.0 bash tools/packaging_proof.sh   # also: the tag must be v<version>
# Without RELEASE_TAG, a v* tag on HEAD is checked the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
# a stale build/ (setuptools' staging folder) could carry removed modules into the wheel
rm -rf dist build
"$PY" -m build --sdist --wheel --outdir dist . >/dev/null
ls dist
"$PY" -m twine check --strict dist/*
# The version: the literal in the package source (what setuptools reads), then each archive's.
# (listings go to variables first: grep -q closing a pipe early would fail the pipeline)
version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' llm_attention/__init__.py)
wheel_metadata=$(unzip -p dist/*.whl '*.dist-info/METADATA')
sdist_metadata=$(tar -xzOf dist/*.tar.gz --wildcards '*/PKG-INFO')
wheel_version=$(grep -m1 '^Version: ' <<<"$wheel_metadata")
sdist_version=$(grep -m1 '^Version: ' <<<"$sdist_metadata")
wheel_version=${wheel_version#Version: } sdist_version=${sdist_version#Version: }
if [ -z "$version" ] || [ "$wheel_version" != "$version" ] || [ "$sdist_version" != "$version" ]; then
  echo "version mismatch: __version__ $version, wheel $wheel_version, sdist $sdist_version" >&2
  exit 1
fi
tag=${RELEASE_TAG-$(git describe --tags --exact-match --match 'v*' HEAD 2>/dev/null || true)}
if [ -n "$tag" ] && [ "$tag" != "v$version" ]; then
  echo "release tag $tag does not name the package version $version: tag v$version," \
    "or change __version__ in llm_attention/__init__.py" >&2
  exit 1
fi
echo "version $version${tag:+ (tag $tag)}: __version__, wheel and sdist agree; twine check passed"
work=$(mktemp -d)
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --upgrade pip
"$work/venv/bin/python" -m pip install -q "torch==2.13.0"   # the CPU build, as readers would pick theirs
"$work/venv/bin/python" -m pip install -q dist/*.whl
wheel_files=$(unzip -l dist/*.whl)
sdist_files=$(tar -tzf dist/*.tar.gz)
grep -q "llm_attention/py.typed" <<<"$wheel_files" || { echo "py.typed missing from the wheel" >&2; exit 1; }
# The wheel is the package and nothing else: the site's drawing code (tools/site_figures),
# the other build tools and the benchmark tool (benchmarks/) stay in the repository.
strays=$(unzip -Z1 dist/*.whl | grep -vE '^llm_attention/|^llm_attention-[^/]+\.dist-info/' || true)
[ -z "$strays" ] || { echo "files outside llm_attention/ in the wheel: $strays" >&2; exit 1; }
benches=$(unzip -Z1 dist/*.whl | grep -i 'bench' || true)
[ -z "$benches" ] || { echo "benchmark code in the wheel: $benches" >&2; exit 1; }
grep -q "/pyproject.toml$" <<<"$sdist_files" || { echo "pyproject.toml missing from the sdist" >&2; exit 1; }
grep -q "/LICENSE$" <<<"$sdist_files" || { echo "LICENSE missing from the sdist" >&2; exit 1; }
grep -q "/CHANGELOG.md$" <<<"$sdist_files" || { echo "CHANGELOG.md missing from the sdist" >&2; exit 1; }
grep -q "/CITATION.cff$" <<<"$sdist_files" || { echo "CITATION.cff missing from the sdist" >&2; exit 1; }
# The sdist builds the wheel and ships no tests: they need the whole repository (conftest.py,
# examples/, benchmarks/, tools/, docs/) and run from a checkout (MANIFEST.in prunes tests/).
sdist_tests=$(grep -E '^[^/]+/tests/' <<<"$sdist_files" || true)
[ -z "$sdist_tests" ] || { echo "tests in the sdist (MANIFEST.in prunes them): $sdist_tests" >&2; exit 1; }
cd "$work"
# Only the declared dependencies are installed: importing the package prints no warning
# (torch warns on import without NumPy, hence numpy in pyproject.toml's dependencies).
"$work/venv/bin/python" -W error -c "import llm_attention" \
  || { echo "import llm_attention warns or fails in a fresh venv" >&2; exit 1; }
"$work/venv/bin/python" - <<'PY'
import pathlib
from importlib.metadata import version

import torch

import llm_attention
from llm_attention import MultiHeadAttention, example_inputs

location = pathlib.Path(llm_attention.__file__).resolve()
assert "site-packages" in str(location), f"imported from the source tree: {location}"
assert version("llm-attention") == llm_attention.__version__, "metadata and __version__ differ"
inputs = example_inputs()
torch.manual_seed(123)
mha = MultiHeadAttention(3, 2, context_length=6, dropout=0.0, num_heads=2)
out = mha(torch.stack((inputs, inputs)))
assert out.shape == (2, 6, 2)
# every public name and module imports from the installed wheel; the benchmark tool is not there
import importlib
import importlib.util
import pkgutil

for name in llm_attention.__all__:
    getattr(llm_attention, name)
for info in pkgutil.iter_modules(llm_attention.__path__):
    importlib.import_module(f"llm_attention.{info.name}")
assert importlib.util.find_spec("benchmarks") is None, "benchmarks/ was installed"
torch.testing.assert_close(out[0, 0], torch.tensor([0.3190, 0.4858]), atol=1e-4, rtol=0)
print(f"wheel OK: llm_attention {llm_attention.__version__} from {location.parent}, "
      f"first row {out[0, 0].tolist()}")
PY
rm -rf "$work"
