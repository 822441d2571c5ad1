"""The public surface: a sorted ``__all__``, every name importable, documented shapes."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing
from pathlib import Path
from types import ModuleType

import pytest
import torch
from torch import nn

import llm_attention

PUBLIC_MODULES = sorted(
    info.name
    for info in pkgutil.iter_modules(llm_attention.__path__)
    if not info.name.startswith("_")
)


def test_all_is_sorted() -> None:
    # Plain, case-sensitive sorted(): upper case before lower case.
    assert llm_attention.__all__ == sorted(llm_attention.__all__)


def test_all_has_no_duplicates() -> None:
    assert len(set(llm_attention.__all__)) == len(llm_attention.__all__)


@pytest.mark.parametrize("name", llm_attention.__all__)
def test_every_name_in_all_is_importable(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from llm_attention import {name}", namespace)  # the way a reader imports it
    assert namespace[name] is getattr(llm_attention, name)


def test_the_chapter_modules_are_there() -> None:
    for name in [
        "ch3_3_simplified_attention",
        "ch3_4_trainable_weights",
        "ch3_5_causal_attention",
        "ch3_6_multihead_attention",
        "plotting",
        "text",
    ]:
        assert name in PUBLIC_MODULES


def test_the_exercise_checker_is_public() -> None:
    # The exercise "Write MultiHeadAttention yourself" tells readers to import both names
    # from the top level.
    assert "exercise_check" in PUBLIC_MODULES
    for name in ("check_my_attention", "AttentionCheckError"):
        assert name in llm_attention.__all__
    assert issubclass(llm_attention.AttentionCheckError, AssertionError)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_submodule_all_is_valid(module_name: str) -> None:
    module = importlib.import_module(f"llm_attention.{module_name}")
    assert hasattr(module, "__all__"), f"llm_attention.{module_name} has no __all__"
    assert len(set(module.__all__)) == len(module.__all__)
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.__all__ lists {name!r}, which is undefined"


# Submodules whose names are meant to be imported from the submodule itself.
IMPORT_FROM_SUBMODULE = {
    # The argument checks the classes call, one line per check; the chapter's pages show
    # them imported from here, and they are not part of the attention API itself.
    "checks",
    # A harness around the attention classes (chapter 4's GPT layout) for generation and
    # the cache benchmark; GPTModel is not an attention mechanism of chapter 3.
    "beyond_gpt",
    # The bases the classes beyond the chapter are built on (AttentionBase,
    # CachingAttention): a contributor subclasses them to add a variant; a reader uses the
    # variants, which are re-exported.
    "caching_attention",
}


@pytest.mark.parametrize("module_name", sorted(set(PUBLIC_MODULES) - IMPORT_FROM_SUBMODULE))
def test_submodule_public_names_are_re_exported(module_name: str) -> None:
    module = importlib.import_module(f"llm_attention.{module_name}")
    for name in getattr(module, "__all__", []):
        if name.startswith("_"):
            continue
        assert name in llm_attention.__all__, (
            f"{module_name}.{name} is not in llm_attention.__all__"
        )
        assert getattr(llm_attention, name) is getattr(module, name)


def test_every_name_in_all_comes_from_a_submodule() -> None:
    listed = set()
    for module_name in PUBLIC_MODULES:
        module: ModuleType = importlib.import_module(f"llm_attention.{module_name}")
        listed.update(getattr(module, "__all__", []))
    assert set(llm_attention.__all__) <= listed


# ---------------------------------------------------------------- docstrings
#
# The rule: every public class and function has a docstring. One that takes a
# tensor (by its type hints: a function's parameters, ``forward``'s for an
# nn.Module, ``__init__``'s for any other class) documents the shapes in a
# ``Shape:`` section. One that takes no tensor but returns tensors may give the
# shapes under ``Returns:`` instead. Constants (EXAMPLE_SENTENCE,
# GPT2_VOCAB_SIZE, ...) and callables that never see a tensor (gpt2_encoding,
# token_ids) fall outside the shape rule by this definition, not by name.


def _mentions_tensor(hint: object) -> bool:
    if isinstance(hint, type) and issubclass(hint, torch.Tensor):
        return True
    return any(_mentions_tensor(arg) for arg in typing.get_args(hint))


def _tensor_params(func: object) -> tuple[bool, bool]:
    """(takes a tensor, returns a tensor) according to the type hints."""
    hints = typing.get_type_hints(func)
    returns = _mentions_tensor(hints.pop("return", None))
    if not hints and getattr(func, "__name__", "") == "forward":
        # the chapter classes keep the book's untyped forward(self, x, ...): x is a tensor
        return "x" in inspect.signature(func).parameters, True  # type: ignore[arg-type]
    return any(_mentions_tensor(h) for h in hints.values()), returns


def _public_objects() -> dict[str, object]:
    """Every name in the package's and its submodules' ``__all__``, as ``module.name``."""
    objects = {
        f"llm_attention.{name}": getattr(llm_attention, name) for name in llm_attention.__all__
    }
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(f"llm_attention.{module_name}")
        for name in getattr(module, "__all__", []):
            if not name.startswith("_") and name not in llm_attention.__all__:
                objects[f"llm_attention.{module_name}.{name}"] = getattr(module, name)
    return objects


PUBLIC_OBJECTS = _public_objects()
PUBLIC_CALLABLES = {name: obj for name, obj in PUBLIC_OBJECTS.items() if callable(obj)}


def _signature_owner(obj: object) -> object:
    """Where the type hints are: ``forward`` of a module, ``__init__`` of another class."""
    if inspect.isclass(obj):
        return obj.forward if issubclass(obj, nn.Module) else obj.__init__  # type: ignore[misc]
    return inspect.unwrap(obj)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", PUBLIC_CALLABLES)
def test_public_callables_document_their_shapes(name: str) -> None:
    obj = PUBLIC_CALLABLES[name]
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    if inspect.isclass(obj) and issubclass(obj, nn.Module):
        assert inspect.getdoc(obj.forward), f"{name}.forward has no docstring"
    takes, returns = _tensor_params(_signature_owner(obj))
    if takes:
        assert "Shape:" in doc, f"{name} takes a tensor but its docstring has no Shape: section"
    elif returns:
        returns_section = doc.split("Returns:", 1)[1] if "Returns:" in doc else ""
        assert "Shape:" in doc or "shape" in returns_section, (
            f"{name} returns tensors but documents no shapes"
        )


def test_the_shape_rule_covers_the_tensor_api() -> None:
    # Guard the rule itself: if the type-hint inspection broke, nothing would be checked.
    takes = {
        name.removeprefix("llm_attention.")
        for name, obj in PUBLIC_CALLABLES.items()
        if _tensor_params(_signature_owner(obj))[0]
    }
    for name in [
        "MultiHeadAttention",
        "CausalAttention",
        "SelfAttention_v1",
        "TextEmbedding",
        "query_scores",
        "mask_before_softmax",
        "attention_heatmap_svg",
        "token_strings",
    ]:
        assert name in takes
    assert "token_ids" not in takes
    assert "gpt2_encoding" not in takes
    constants = {
        name for name in llm_attention.__all__ if not callable(getattr(llm_attention, name))
    }
    assert constants == {"EXAMPLE_SENTENCE", "EXAMPLE_TOKENS", "GPT2_VOCAB_SIZE"}


def test_py_typed_is_shipped() -> None:
    package_dir = Path(llm_attention.__file__).parent
    assert (package_dir / "py.typed").is_file()
