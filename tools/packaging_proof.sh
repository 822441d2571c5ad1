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
unzip -l dist/*.whl | grep -q "llm_attention/py.typed" || { echo "py.typed missing from the wheel" >&2; exit 1; }
tar -tzf dist/*.tar.gz | grep -q "pyproject.toml" || { echo "sdist is incomplete" >&2; exit 1; }
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
