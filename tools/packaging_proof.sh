#!/usr/bin/env bash
# Packaging proof: build the wheel and sdist, install the wheel into a fresh virtual
# environment, and use it from outside the source tree.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
rm -rf dist
"$PY" -m build --sdist --wheel --outdir dist . >/dev/null
ls dist
work=$(mktemp -d)
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --upgrade pip
"$work/venv/bin/python" -m pip install -q "torch==2.13.0"   # the CPU build, as readers would pick theirs
"$work/venv/bin/python" -m pip install -q dist/*.whl
# (listings go to variables first: grep -q closing a pipe early would fail the pipeline)
wheel_files=$(unzip -l dist/*.whl)
sdist_files=$(tar -tzf dist/*.tar.gz)
grep -q "llm_attention/py.typed" <<<"$wheel_files" || { echo "py.typed missing from the wheel" >&2; exit 1; }
grep -q "/pyproject.toml$" <<<"$sdist_files" || { echo "pyproject.toml missing from the sdist" >&2; exit 1; }
grep -q "/LICENSE$" <<<"$sdist_files" || { echo "LICENSE missing from the sdist" >&2; exit 1; }
cd "$work"
"$work/venv/bin/python" - <<'PY'
import pathlib

import torch

import llm_attention
from llm_attention import MultiHeadAttention, example_inputs

location = pathlib.Path(llm_attention.__file__).resolve()
assert "site-packages" in str(location), f"imported from the source tree: {location}"
inputs = example_inputs()
torch.manual_seed(123)
mha = MultiHeadAttention(3, 2, context_length=6, dropout=0.0, num_heads=2)
out = mha(torch.stack((inputs, inputs)))
assert out.shape == (2, 6, 2)
torch.testing.assert_close(out[0, 0], torch.tensor([0.3190, 0.4858]), atol=1e-4, rtol=0)
print(f"wheel OK: llm_attention {llm_attention.__version__} from {location.parent}, "
      f"first row {out[0, 0].tolist()}")
PY
rm -rf "$work"
