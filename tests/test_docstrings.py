"""Docstrings are Markdown: cross-references are autorefs, never reST roles.

The API page renders the docstrings with mkdocstrings (``docstring_style: google``), which
reads Markdown. A cross-reference is written ``[`GPTModel`][llm_attention.beyond_gpt.GPTModel]``;
a reST role such as ``:class:`GPTModel``` would reach the reader as literal text. The site test
``tests/website/test_api_page.py`` checks the rendered page; this one checks every docstring of
the package, including those the page does not render (module docstrings, private helpers).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "llm_attention"
REST_ROLE = re.compile(r":(?:class|meth|func|data|attr|mod|exc|obj|ref):`")


def docstrings(path: Path) -> list[tuple[str, str]]:
    """``(where, docstring)`` for the module and every class and function in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in [tree, *ast.walk(tree)]:
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                where = getattr(node, "name", "module")
                found.append((f"{path.name}:{getattr(node, 'lineno', 1)} {where}", doc))
    return found


def test_the_pattern_finds_a_role() -> None:
    assert REST_ROLE.search("see :class:`~llm_attention.MultiHeadAttention`")
    assert not REST_ROLE.search("see [`MultiHeadAttention`][llm_attention.MultiHeadAttention]")


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_rest_roles_in_docstrings(path: Path) -> None:
    roles = [(where, m.group()) for where, doc in docstrings(path) for m in REST_ROLE.finditer(doc)]
    assert not roles, f"reST roles in docstrings (write Markdown autorefs): {roles}"
