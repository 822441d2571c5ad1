"""The chapter's classes on the pages are the package's, and a copied class block runs.

Each class the chapter builds is shown on its page, in both languages, embedded from the
package's source. For every one, this test reads the built page as a reader sees it, takes the
class block together with the blocks above it that only import or define things (the imports
and helpers the page shows, such as ``causal_mask`` in 3.5.1), runs them in a fresh interpreter
outside the source tree, and checks that the class it gets behaves exactly like the installed
package's class: the same parameters and buffers from the book's seed, identical outputs and
attention weights (with dropout in training mode too), the same error for bad input, and the
book's printed numbers.
"""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest
from test_copy_paste import code_and_outputs
from website_lib import page_files

import llm_attention

# class -> (page, constructor arguments after the book's seed, the seed, input, first row)
CLASSES = {
    "SelfAttention_v1": (
        "chapter/3.4-trainable-weights/index.html",
        "(d_in, 2)",
        123,
        "inputs",
        "[0.2996, 0.8053]",
    ),
    "SelfAttention_v2": (
        "chapter/3.4-trainable-weights/index.html",
        "(d_in, 2)",
        789,
        "inputs",
        "[-0.0739, 0.0713]",
    ),
    "CausalAttention": (
        "chapter/3.5-causal-attention/index.html",
        "(d_in, 2, 6, 0.0)",
        123,
        "batch",
        "[-0.4519, 0.2216]",
    ),
    "MultiHeadAttentionWrapper": (
        "chapter/3.6-multi-head-attention/index.html",
        "(d_in, 2, 6, 0.0, num_heads=2)",
        123,
        "batch",
        "[-0.4519, 0.2216, 0.4772, 0.1063]",
    ),
    "MultiHeadAttention": (
        "chapter/3.6-multi-head-attention/index.html",
        "(d_in, 2, 6, 0.0, num_heads=2)",
        123,
        "batch",
        "[0.3190, 0.4858]",
    ),
}
# the same class with dropout, in training mode: the same seed must drop the same weights
WITH_DROPOUT = {
    "CausalAttention": "(d_in, 2, 6, 0.5)",
    "MultiHeadAttentionWrapper": "(d_in, 2, 6, 0.5, num_heads=2)",
    "MultiHeadAttention": "(d_in, 4, 6, 0.5, num_heads=2)",
}

CHECK = """
import torch
import llm_attention

page_class, package_class = {name}, llm_attention.{name}
assert page_class is not package_class, "the page did not define {name} itself"
inputs = llm_attention.example_inputs()
batch = torch.stack((inputs, inputs))
d_in = inputs.shape[1]


def build(cls, args, seed):
    torch.manual_seed(seed)
    return cls(*args[0], **args[1])


def compare(args, seed, x, train):
    page, package = build(page_class, args, seed), build(package_class, args, seed)
    page_state, package_state = page.state_dict(), package.state_dict()
    assert list(page_state) == list(package_state), (list(page_state), list(package_state))
    for key in package_state:
        assert torch.equal(page_state[key], package_state[key]), key
    page.train(train)
    package.train(train)
    if "{name}" == "MultiHeadAttentionWrapper":  # the book's forward(x): the heads give weights
        torch.manual_seed(1)
        got = (page(x), *[h(x, return_attn_weights=True)[1] for h in page.heads])
        torch.manual_seed(1)
        want = (package(x), *[h(x, return_attn_weights=True)[1] for h in package.heads])
    else:
        torch.manual_seed(1)
        got = page(x, return_attn_weights=True)
        torch.manual_seed(1)
        want = package(x, return_attn_weights=True)
    for g, w in zip(got, want, strict=True):
        assert torch.equal(g, w), (g, w)
    return got[0]


def split(*args, **kwargs):
    return args, kwargs


out = compare(split{args}, {seed}, {x}, train=False)
first_row = [round(v, 4) for v in out[..., 0, :].reshape(-1, out.shape[-1])[0].tolist()]
assert first_row == {first_row}, first_row
print("first row", first_row)
if {dropout!r}:
    compare(split{dropout}, {seed}, batch, train=True)
    print("dropout in training mode: same")

# bad input: the same clear error from both
errors = []
for cls in (page_class, package_class):
    torch.manual_seed({seed})
    module = cls(*split{args}[0], **split{args}[1])
    try:
        module(torch.ones(2, 6, d_in + 1))
    except (TypeError, ValueError) as err:
        errors.append((type(err).__name__, str(err)))
assert len(errors) == 2 and errors[0] == errors[1], errors
print("same error:", errors[0][0])
"""


def is_definition_block(code: str) -> bool:
    """A block that only imports or defines (what a reader copies along with a class)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
    return bool(tree.body) and all(isinstance(node, allowed) for node in tree.body)


def class_block_with_definitions(html: Path, name: str) -> tuple[str, str]:
    """``(definitions shown above the class block, the class block)`` from a built page."""
    codes = [code for code, _ in code_and_outputs(html)]
    header = f"class {name}(nn.Module):"
    found = [i for i, code in enumerate(codes) if header in code]
    assert len(found) == 1, f"{html}: expected one block with {header!r}, found {len(found)}"
    index = found[0]
    assert is_definition_block(codes[index]), f"{html}: the {name} block does more than define it"
    above = [code for code in codes[:index] if is_definition_block(code)]
    return "\n\n".join(above), codes[index]


def run_check(definitions: str, class_block: str, name: str, workdir: Path) -> str:
    _, args, seed, x, first_row = CLASSES[name]
    script = "\n\n".join(
        [
            definitions,
            class_block,
            CHECK.format(
                name=name,
                args=args,
                seed=seed,
                x=x,
                first_row=first_row,
                dropout=WITH_DROPOUT.get(name, ""),
            ),
        ]
    )
    path = workdir / f"copied_{name}.py"
    path.write_text(script, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(path)], cwd=workdir, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, (
        f"the copied {name} block does not behave like the package's class:\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", list(CLASSES))
def test_copied_class_block_equals_the_package_class(
    site_dir: Path, tmp_path: Path, lang: str, name: str
) -> None:
    html = page_files(site_dir, lang)[CLASSES[name][0]]
    definitions, class_block = class_block_with_definitions(html, name)
    printed = run_check(definitions, class_block, name, tmp_path)
    assert "first row" in printed and "same error" in printed


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_both_languages_show_the_same_class_code(site_dir: Path, lang: str) -> None:
    for name, (page, *_) in CLASSES.items():
        blocks = {
            lg: class_block_with_definitions(page_files(site_dir, lg)[page], name)
            for lg in ("en", lang)
        }
        assert blocks["en"] == blocks[lang], f"{name}: the {lang} page shows other code than en"


def test_the_class_block_is_the_package_source(site_dir: Path) -> None:
    # What the page shows is the package's source, minus the overload stubs and docstrings.
    for name, (page, *_) in CLASSES.items():
        _, class_block = class_block_with_definitions(page_files(site_dir, "en")[page], name)
        source = inspect.getsource(getattr(llm_attention, name))
        for line in class_block.splitlines():
            assert line in source.splitlines(), f"{name}: page line not in the package: {line!r}"
        assert "@overload" not in class_block


def test_the_class_code_fits_the_code_box(site_dir: Path) -> None:
    # 82 characters fit the code box of a 1280-pixel-wide browser without a scrollbar.
    for name, (page, *_) in CLASSES.items():
        definitions, class_block = class_block_with_definitions(
            page_files(site_dir, "en")[page], name
        )
        long = [ln for ln in (definitions + "\n" + class_block).splitlines() if len(ln) > 82]
        assert not long, f"{name}: lines wider than the code box: {long}"


@pytest.mark.parametrize(
    ("name", "mutation"),
    [
        ("SelfAttention_v1", ("keys.shape[-1] ** 0.5", "1")),  # no scaling
        ("CausalAttention", ("diagonal=1", "diagonal=0")),  # the mask hides the diagonal too
        ("MultiHeadAttention", ("self.out_proj(context_vec)", "context_vec")),  # no out_proj
    ],
)
def test_the_check_catches_a_different_class(
    site_dir: Path, tmp_path: Path, name: str, mutation: tuple[str, str]
) -> None:
    # Guard the test itself: a class block that computes something else must fail it.
    html = page_files(site_dir, "en")[CLASSES[name][0]]
    definitions, class_block = class_block_with_definitions(html, name)
    old, new = mutation
    text = definitions + "\n\n" + class_block
    assert old in text
    mutated = text.replace(old, new)
    with pytest.raises(AssertionError, match="does not behave like"):
        run_check("", mutated, name, tmp_path)


@pytest.mark.parametrize(("lang", "label"), [("en", "Source code in"), ("zh", "源代码位于")])
def test_the_api_page_shows_each_class_source(site_dir: Path, lang: str, label: str) -> None:
    from bs4 import BeautifulSoup

    html = page_files(site_dir, lang)["api/index.html"].read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    for name in CLASSES:
        entry = soup.find(id=f"llm_attention.{name}")
        assert entry is not None, f"{lang} API page: no entry for {name}"
        source = entry.find_next("details", class_="mkdocstrings-source")
        assert source is not None, f"{lang} API page: {name} shows no source"
        assert source.summary.get_text().startswith(label), source.summary.get_text()
        code = source.get_text()
        assert f"class {name}(nn.Module):" in code and "def forward(" in code
        assert "--8<--" not in code, f"{lang} API page: {name}'s source shows snippet markers"


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", list(CLASSES))
def test_the_class_as_shown_is_within_the_budget(site_dir: Path, lang: str, name: str) -> None:
    # What the reader sees on the page, not only the package source: at most 4 statements
    # more than the book's class (tests/test_chapter_class_budget.py counts the same way).
    from test_chapter_class_budget import BOOK_STATEMENTS, EXTRA_ALLOWED, count_statements

    _, class_block = class_block_with_definitions(
        page_files(site_dir, lang)[CLASSES[name][0]], name
    )
    shown = count_statements(class_block)
    assert shown <= BOOK_STATEMENTS[name] + EXTRA_ALLOWED, (
        f"{lang} page shows {name} with {shown} statements; the book's has {BOOK_STATEMENTS[name]}"
    )
