"""``bash tools/dev.sh serve --fast``: the same site, its notebooks not executed (prose edits)."""

from __future__ import annotations

from pathlib import Path

import notebooks
import pytest
import yaml
from mkdocs.utils.yaml import get_yaml_loader

ROOT = Path(__file__).resolve().parents[1]
VARIABLE = "LLM_ATTENTION_EXECUTE_NOTEBOOKS"


def jupyter_execution() -> object:
    """mkdocs-jupyter's ``execute`` as MkDocs reads mkdocs.yml (``!ENV`` resolved)."""
    with (ROOT / "mkdocs.yml").open(encoding="utf-8") as f:
        config = yaml.load(f, Loader=get_yaml_loader())
    (options,) = [
        p["mkdocs-jupyter"]
        for p in config["plugins"]
        if isinstance(p, dict) and "mkdocs-jupyter" in p
    ]
    return options["execute"]


def test_every_build_executes_the_notebooks_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    # tools/hooks/notebooks.py executes them, once; mkdocs-jupyter renders what it executed
    monkeypatch.delenv(VARIABLE, raising=False)
    assert notebooks.EXECUTE_VARIABLE == VARIABLE
    assert notebooks.executes() is True
    assert jupyter_execution() is False
    for off in ("false", "False", "0"):
        monkeypatch.setenv(VARIABLE, off)
        assert notebooks.executes() is False
        assert jupyter_execution() is False
    monkeypatch.setenv(VARIABLE, "true")
    assert notebooks.executes() is True


def test_dev_sh_fast_serve_sets_the_variable() -> None:
    script = (ROOT / "tools" / "dev.sh").read_text(encoding="utf-8")
    fast = script[script.index('"--fast"') :]
    assert f"export {VARIABLE}=false" in fast.split('exec "$VENV', 1)[0]
    assert VARIABLE not in script.replace(fast, "")  # only the fast mode turns it off
