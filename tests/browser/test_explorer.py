"""The attention explorer (docs/explorer.md, docs/explorer.zh.md), driven as a reader drives it.

The widget (docs/assets/explorer.js) computes attention in the browser from numbers the build
exports (tools/hooks/explorer_data.py), and shows the Python code that computes the same view with
``llm_attention``. These tests set its controls through the page, read the numbers it shows,
run the code it shows in this process, and compare; they also check that it opens on the
book's numbers, speaks the page's language, works from the keyboard, passes axe in light and
dark mode, fits a phone, and that the comparison catches a broken widget (fault injection).
The DOM the tests rely on is the widget's contract (``data-*`` attributes, control names).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from browser_lib import (
    DESKTOP,
    LANG_PREFIX,
    LANGS,
    PHONE,
    Tab,
    check_accessibility,
    check_layout,
    check_requests,
    format_problems,
    open_page,
)
from playwright.sync_api import Page, Route

pytestmark = pytest.mark.browser

PATH = "explorer/"
ROOT_SEL = "[data-attention-explorer]"
READY_SEL = "[data-attention-explorer][data-ready='true']"
BOOK_WEIGHTS = ["0.1385", "0.2379", "0.2333", "0.1240", "0.1082", "0.1581"]
TOL = 1e-4  # the view shows 4 decimals
HEATMAP_TOL = 0.005 + 1e-6  # the heatmap shows 2
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
CJK = re.compile(r"[\u4e00-\u9fff]")
SENTENCES = ("book", "s1", "s2", "s3")
QUERIES = ("0", "1", "last")
OPTIONAL = ("weights", "scale", "causal", "dropout", "heads", "num_heads")
APPLIES = {
    "3.3": (),
    "3.4": ("weights", "scale"),
    "3.5": ("weights", "scale", "causal", "dropout"),
    "3.6": ("heads",),  # 3.6.1, MultiHeadAttentionWrapper
    "3.6.2": ("num_heads",),  # MultiHeadAttention, d_out = 4 split into num_heads heads
}
MULTI_HEAD = ("3.6", "3.6.2")
MHA_D_OUT = 4
# 3.6.2 shows these matrices, each computed by the code under it into the variable of its name
# (the output of out_proj is the code's ``context``)
MATRICES = {"queries": "queries", "keys": "keys", "values": "values", "merged": "merged"}
MATRICES["output"] = "context"


def _url(base_url: str, lang: str, query: str = "") -> str:
    return base_url + LANG_PREFIX[lang] + PATH + query


def open_explorer(tab: Tab, base_url: str, lang: str, query: str = "") -> Page:
    """Open the explorer page and wait until the widget has drawn its first view."""
    open_page(tab.page, tab.rec, _url(base_url, lang, query))
    tab.page.wait_for_selector(READY_SEL, state="attached", timeout=15_000)
    return tab.page


# ---------------------------------------------------------------- states and the controls
@dataclass(frozen=True)
class Setting:
    """One state of the explorer; ``query`` is "0", "1" or "last"."""

    stage: str
    sentence: str
    query: str
    weights: str = "v2"
    scale: bool = True
    causal: bool = True
    dropout: str = "0"
    heads: int = 2
    num_heads: int = 2

    def factors(self) -> list[tuple[str, str]]:
        """The settings that apply at this stage, as (name, value) pairs."""
        return [(name, str(getattr(self, name))) for name in APPLIES[self.stage]]

    def __str__(self) -> str:
        extra = ", ".join(f"{n}={v}" for n, v in self.factors())
        return f"[{self.stage} {self.sentence} q={self.query}{', ' + extra if extra else ''}]"


def grid() -> list[Setting]:
    """The states the comparison runs over: every stage, each setting that applies to a stage
    with each sentence and each query kind at least once (see test_grid_covers_...)."""
    states = [Setting("3.3", s, q) for s in SENTENCES for q in QUERIES]
    for (wi, w), (ci, sc), (si, s) in itertools.product(
        enumerate(("v1", "v2")), enumerate((True, False)), enumerate(SENTENCES)
    ):
        states.append(Setting("3.4", s, QUERIES[(wi + ci + si) % 3], weights=w, scale=sc))
    for shift in (0, 2):
        for (wi, w), (ci, sc), (ki, causal), (di, p) in itertools.product(
            enumerate(("v1", "v2")),
            enumerate((True, False)),
            enumerate((True, False)),
            enumerate(("0", "0.1", "0.5")),
        ):
            k = wi + ci + ki + di + shift
            states.append(
                Setting(
                    "3.5",
                    SENTENCES[k % 4],
                    QUERIES[(k + shift) % 3],
                    weights=w,
                    scale=sc,
                    causal=causal,
                    dropout=p,
                )
            )
    for h in (1, 2, 3):
        for si, s in enumerate(SENTENCES):
            states.append(Setting("3.6", s, QUERIES[(h + si) % 3], heads=h))
    for hi, h in enumerate((1, 2, 4)):
        for si, s in enumerate(SENTENCES):
            states.append(Setting("3.6.2", s, QUERIES[(hi + si) % 3], num_heads=h))
    return states


GRID = grid()


def apply(page: Page, setting: Setting) -> int:
    """Set the controls to ``setting`` as a reader would; the query's token index."""
    root = page.locator(ROOT_SEL)
    root.locator(f"input[type=radio][name=stage][value='{setting.stage}']").click()
    root.locator("select[name=sentence]").select_option(setting.sentence)
    last = root.locator("select[name=query] option").count() - 1
    q = last if setting.query == "last" else int(setting.query)
    root.locator("select[name=query]").select_option(str(q))
    if "weights" in APPLIES[setting.stage]:
        root.locator("select[name=weights]").select_option(setting.weights)
        box = root.locator("input[type=checkbox][name=scale]")
        box.check() if setting.scale else box.uncheck()
    if "causal" in APPLIES[setting.stage]:
        box = root.locator("input[type=checkbox][name=causal]")
        box.check() if setting.causal else box.uncheck()
        root.locator("select[name=dropout]").select_option(setting.dropout)
    if "heads" in APPLIES[setting.stage]:
        root.locator("select[name=heads]").select_option(str(setting.heads))
    if "num_heads" in APPLIES[setting.stage]:
        root.locator("select[name=num_heads]").select_option(str(setting.num_heads))
    return q


# Everything the view shows, as text, in one round trip.
VIEW_JS = """
(root) => {
  const cells = (tr) => (tr ? [...tr.querySelectorAll("td")].map((td) => td.textContent.trim())
                            : null);
  const table = root.querySelector("table[data-query-row]");
  const byHead = (a, b) => Number(a.dataset.head) - Number(b.dataset.head);
  const formula = root.querySelector("[data-formula]");
  const code = root.querySelector("pre[data-code] code");
  return {
    state: JSON.parse(root.dataset.state),
    tokens: [...table.querySelectorAll("thead th")].slice(1).map((th) => th.textContent),
    scores: cells(table.querySelector("tr[data-row=scores]")),
    before: cells(table.querySelector("tr[data-row=weights-before-dropout]")),
    weights: [...table.querySelectorAll("tr[data-row=weights]")].sort(byHead).map(cells),
    context: [...root.querySelectorAll("[data-context] [data-value]")]
      .map((el) => el.textContent.trim()),
    heatmaps: [...root.querySelectorAll("table[data-heatmap]")].sort(byHead).map((t) => {
      const rows = [...t.querySelectorAll("tbody tr")];
      return {
        current: rows.findIndex((tr) => tr.getAttribute("aria-current") === "true"),
        rows: rows.map(cells),
      };
    }),
    formula: {
      katex: !!(formula && formula.querySelector(".katex")),
      error: !!(formula && formula.querySelector(".katex-error")),
      raw: !!(formula && /\\\\[A-Za-z]/.test(
        (formula.querySelector(".katex-html") || formula).textContent)),
    },
    code: code ? code.textContent : null,
    status: (root.querySelector("[data-status]") || {}).textContent || "",
    // 3.6.2: each matrix's rows, and the head each column is shown under
    matrices: Object.fromEntries([...root.querySelectorAll("table[data-matrix]")].map((t) => [
      t.dataset.matrix,
      {
        rows: [...t.querySelectorAll("tbody tr")].map(cells),
        heads: [...t.querySelectorAll("thead tr:last-child th[scope=col]")]
          .filter((th) => th.textContent.trim() !== "")
          .map((th) => (th.dataset.head === undefined ? null : Number(th.dataset.head))),
      },
    ])),
    // the notices that dropout zeroed a query's whole row, each beside its heatmap
    dropped: [...root.querySelectorAll("[data-dropout-notice]")]
      .map((el) => Number(el.dataset.query)),
    notices: [...root.querySelectorAll("[data-dropout-notice]")].map((el) => ({
      text: el.textContent,
      besideHeatmap: !!el.parentElement.querySelector("table[data-heatmap]"),
      rowMarked: !!el.parentElement.querySelector(`table[data-heatmap] tbody `
        + `tr:nth-child(${Number(el.dataset.query) + 1})[data-dropped=true]`),
    })),
  };
}
"""


def read_view(page: Page) -> dict[str, Any]:
    return dict(page.locator(ROOT_SEL).evaluate(VIEW_JS))


def num(text: str) -> float:
    return -math.inf if text == "-inf" else float(text)


# ---------------------------------------------------------------- the code the view shows
@dataclass
class Run:
    """What the code shown under a view computed, or the error it raised."""

    values: dict[str, Any]
    stdout: str
    error: str | None = None


_RUNS: dict[str, Run] = {}


CODE_NAMES = ("weights", "context", "scores", "queries", "keys", "values", "merged")


def run_code(code: str, names: tuple[str, ...] = CODE_NAMES) -> Run:
    """Execute ``code`` in a fresh namespace (once per distinct code string)."""
    if code not in _RUNS:
        if "embed_text" in code:
            _need_gpt2_files()
        namespace: dict[str, Any] = {"__name__": "__explorer_code__"}
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(code, "<explorer code>", "exec"), namespace)
        except Exception as exc:  # reported as a problem of the view
            _RUNS[code] = Run({}, out.getvalue(), f"{type(exc).__name__}: {exc}")
        else:
            values = {n: namespace[n].detach() for n in names if n in namespace}
            if "ids" in namespace and "token_strings" in namespace:
                values["tokens"] = namespace["token_strings"](namespace["ids"])
            _RUNS[code] = Run(values, out.getvalue())
    return _RUNS[code]


def _need_gpt2_files() -> None:
    # tests/conftest.py seeds tiktoken's cache from the repository's data/gpt2; never download
    from gpt2_offline import seed_cache

    if seed_cache() is None:
        pytest.fail("GPT-2's BPE files are not on this machine (see tools/gpt2_offline.py)")


def _close(label: str, shown: list[str], want: list[float], tol: float) -> list[str]:
    if len(shown) != len(want):
        return [f"{label}: shows {len(shown)} values, the code gives {len(want)}"]
    bad = [
        i
        for i, (s, w) in enumerate(zip(shown, want, strict=True))
        if not (num(s) == w or abs(num(s) - w) <= tol)
    ]
    if not bad:
        return []
    want_text = ", ".join("-inf" if w == -math.inf else f"{w:.4f}" for w in want)
    return [f"{label}: shows [{', '.join(shown)}], the code gives [{want_text}]"]


def mismatches(view: dict[str, Any], run: Run, q: int) -> list[str]:
    """Where the view and the code under it disagree (empty when they agree to 1e-4)."""
    if run.error:
        return [f"the code shown raises {run.error}"]
    problems = []
    stage = view["state"]["stage"]
    multi = stage in MULTI_HEAD
    weights, context = run.values["weights"], run.values["context"]
    heads = weights if multi else weights.unsqueeze(0)
    if len(view["weights"]) != heads.shape[0]:
        problems.append(f"{len(view['weights'])} weights rows shown for {heads.shape[0]} heads")
    for h, row in enumerate(view["weights"][: heads.shape[0]]):
        problems += _close(f"weights row (head {h})", row, heads[h, q].tolist(), TOL)
    problems += _close("context vector", view["context"], context[q].tolist(), TOL)
    if not multi:
        if view["scores"] is None:
            problems.append("no scores row shown")
        elif "scores" in run.values:
            problems += _close("scores row", view["scores"], run.values["scores"][q].tolist(), TOL)
    if len(view["heatmaps"]) != heads.shape[0]:
        problems.append(f"{len(view['heatmaps'])} heatmaps shown for {heads.shape[0]} heads")
    for h, heatmap in enumerate(view["heatmaps"][: heads.shape[0]]):
        if heatmap["current"] != q:
            problems.append(f"heatmap {h} marks row {heatmap['current']}, the query is {q}")
        for i, row in enumerate(heatmap["rows"]):
            problems += _close(f"heatmap {h} row {i}", row, heads[h, i].tolist(), HEATMAP_TOL)
    # a notice for each query whose whole row of weights is zero (dropout dropped them all)
    zeroed = [i for head in heads for i, row in enumerate(head) if bool((row == 0).all())]
    if view["dropped"] != zeroed:
        problems.append(f"dropout notices for queries {view['dropped']}, all-zero rows {zeroed}")
    for notice in view["notices"]:
        if not (notice["besideHeatmap"] and notice["rowMarked"]):
            problems.append(f"a dropout notice away from its heatmap's marked row: {notice}")
    if stage == "3.6.2":
        problems += _matrix_problems(view, run, heads.shape[0])
    elif view["matrices"]:
        problems.append(f"3.6.2's matrices shown at {stage}: {sorted(view['matrices'])}")
    if "False" in run.stdout:
        problems.append(f"the code prints False: {run.stdout.strip()[-200:]}")
    return problems


def _matrix_problems(view: dict[str, Any], run: Run, num_heads: int) -> list[str]:
    """3.6.2: Q, K, V, the merged heads and out_proj's output are the code's, and the columns
    of Q, K, V and the merge are shown under their heads: head h has columns h * head_dim to
    (h + 1) * head_dim - 1."""
    problems = []
    if sorted(view["matrices"]) != sorted(MATRICES):
        return [f"matrices shown: {sorted(view['matrices'])}, expected {sorted(MATRICES)}"]
    head_dim = MHA_D_OUT // num_heads
    for name, variable in MATRICES.items():
        shown, want = view["matrices"][name], run.values[variable]
        if len(shown["rows"]) != want.shape[0]:
            problems.append(f"{name}: {len(shown['rows'])} rows shown, the code {want.shape[0]}")
        for i, row in enumerate(shown["rows"][: want.shape[0]]):
            problems += _close(f"{name} row {i}", row, want[i].tolist(), TOL)
        grouped = [j // head_dim for j in range(MHA_D_OUT)] if name != "output" else [None] * 4
        if shown["heads"] != grouped:
            problems.append(f"{name}: columns shown under heads {shown['heads']}, not {grouped}")
    return problems


def dropout_problems(view: dict[str, Any], p: float) -> list[str]:
    """With dropout p > 0, each shown weight is 0 or its before-dropout weight times 1/(1-p)."""
    if view["before"] is None:
        return ["dropout is on but no before-dropout row is shown"]
    after, before = [num(v) for v in view["weights"][0]], [num(v) for v in view["before"]]
    if len(after) != len(before):
        return [f"{len(after)} weights after dropout, {len(before)} before"]
    problems = []
    for j, (a, b) in enumerate(zip(after, before, strict=True)):
        # both are rounded to 4 decimals: allow half a unit on each side, the second scaled
        tol = 0.5e-4 * (1 + 1 / (1 - p)) + 1e-9
        if a != 0 and abs(a - b / (1 - p)) > tol:
            problems.append(
                f"key {j}: weight after dropout {a:.4f} is not {b:.4f} / (1 - {p}) "
                f"= {b / (1 - p):.4f}"
            )
    return problems


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def tabs(browser: Any) -> Iterator[dict[str, Tab]]:
    """A desktop tab per language, shared by this module's tests that open the page afresh."""
    opened = {lang: Tab(browser, DESKTOP) for lang in LANGS}
    yield opened
    for tab in opened.values():
        tab.close()


@pytest.fixture(scope="module")
def grid_views(tabs: dict[str, Tab], base_url: str) -> list[tuple[Setting, int, dict[str, Any]]]:
    """Every state of GRID set in both languages: (setting, query index, {lang: view})."""
    for lang, tab in tabs.items():
        open_explorer(tab, base_url, lang)
    views = []
    for setting in GRID:
        shown, qs = {}, set()
        for lang, tab in tabs.items():
            qs.add(apply(tab.page, setting))
            shown[lang] = read_view(tab.page)
        assert len(qs) == 1, f"{setting}: the query menus differ between the languages"
        views.append((setting, qs.pop(), shown))
    return views


# ---------------------------------------------------------------- 1. the opening state
@pytest.mark.parametrize("lang", LANGS)
def test_opens_on_the_books_state(tabs: dict[str, Tab], base_url: str, lang: str) -> None:
    page = open_explorer(tabs[lang], base_url, lang)
    view = read_view(page)
    state = view["state"]
    assert (state["stage"], state["sentence"], state["query"]) == ("3.3", "book", 1), state
    assert view["weights"] == [BOOK_WEIGHTS], view["weights"]
    assert view["tokens"][1] == "journey", view["tokens"]
    assert page.locator(f"{ROOT_SEL} input[name=stage][value='3.3']").is_checked()
    assert "journey" in page.locator(f"{ROOT_SEL} select[name=query] option:checked").inner_text()
    assert view["formula"]["katex"] and not view["formula"]["error"], view["formula"]


LABELS_JS = """
(root) => [...root.querySelectorAll("label, legend, caption, [data-status], .ae-code-label")]
  .filter((el) => el.checkVisibility() && !el.closest("section[data-dk] table"))
  .map((el) => el.textContent.trim())
"""


@pytest.mark.parametrize("lang", LANGS)
def test_labels_are_in_the_pages_language(tabs: dict[str, Tab], base_url: str, lang: str) -> None:
    page = open_explorer(tabs[lang], base_url, lang)
    root = page.locator(ROOT_SEL)
    texts = root.evaluate(LABELS_JS)
    assert len(texts) >= 8, texts
    if lang == "zh":
        assert [t for t in texts if not CJK.search(t)] == [], "labels without Chinese"
        assert page.locator(f"{ROOT_SEL} label", has_text="句子").count() == 1
        assert root.locator("fieldset legend").inner_text().strip() == "本章的阶段"
        assert root.locator("tr[data-row=weights] th").inner_text().strip() == "权重"
    else:
        assert [t for t in texts if CJK.search(t)] == [], "Chinese labels on the English page"
        assert page.locator(f"{ROOT_SEL} label", has_text="Query token").count() == 1
        assert root.locator("fieldset legend").inner_text().strip() == "Stage of the chapter"


@pytest.mark.parametrize("lang", LANGS)
def test_the_url_sets_the_initial_state(tabs: dict[str, Tab], base_url: str, lang: str) -> None:
    page = open_explorer(tabs[lang], base_url, lang, "?stage=3.5&query=0&sentence=s1")
    state = read_view(page)["state"]
    assert (state["stage"], state["sentence"], state["query"]) == ("3.5", "s1", 0), state
    assert page.locator(f"{ROOT_SEL} input[name=stage][value='3.5']").is_checked()
    assert page.locator(f"{ROOT_SEL} select[name=sentence]").input_value() == "s1"
    assert page.locator(f"{ROOT_SEL} select[name=query]").input_value() == "0"
    # 3.6.2 opens from its link; ?stage=3.6.1 is 3.6, the wrapper
    for query, stage in (("?stage=3.6.2", "3.6.2"), ("?stage=3.6.1", "3.6")):
        page = open_explorer(tabs[lang], base_url, lang, query)
        view = read_view(page)
        assert view["state"]["stage"] == stage, (query, view["state"])
        assert page.locator(f"{ROOT_SEL} input[name=stage][value='{stage}']").is_checked()
        assert bool(view["matrices"]) == (stage == "3.6.2"), (query, sorted(view["matrices"]))


# ---------------------------------------------------------------- 2. the package computes it
def test_grid_covers_every_setting_with_every_sentence_and_query() -> None:
    assert 60 <= len(GRID) <= 120, len(GRID)
    assert len(set(GRID)) == len(GRID), "a state appears twice"
    have = {(s.stage, s.sentence, s.query) for s in GRID}
    for stage in APPLIES:
        for sentence in SENTENCES:
            assert any((stage, sentence, q) in have for q in QUERIES), (stage, sentence)
        for q in QUERIES:
            assert any((stage, s, q) in have for s in SENTENCES), (stage, q)
    pairs = {(s.stage, *f, s.sentence) for s in GRID for f in s.factors()}
    queries = {(s.stage, *f, s.query) for s in GRID for f in s.factors()}
    values = {
        "weights": ("v1", "v2"),
        "scale": ("True", "False"),
        "causal": ("True", "False"),
        "dropout": ("0", "0.1", "0.5"),
        "heads": ("1", "2", "3"),
        "num_heads": ("1", "2", "4"),
    }
    for stage, names in APPLIES.items():
        for name in names:
            for value in values[name]:
                for sentence in SENTENCES:
                    assert (stage, name, value, sentence) in pairs, (stage, name, value, sentence)
                for q in QUERIES:
                    assert (stage, name, value, q) in queries, (stage, name, value, q)


def test_every_view_matches_the_python_code_it_shows(
    grid_views: list[tuple[Setting, int, dict[str, Any]]],
) -> None:
    """The shown weights row, scores row, context vector and heatmaps equal what the code
    under the view computes with llm_attention (``weights[q]``; 3.6 and 3.6.2:
    ``weights[:, q]``); in 3.6.2 also the projections, the merged heads and the output."""
    problems = []
    for setting, q, shown in grid_views:
        view = shown["en"]
        state = view["state"]
        want = (setting.stage, setting.sentence, q)
        if (state["stage"], state["sentence"], state["query"]) != want:
            problems.append(f"{setting}: the controls set state {state}")
            continue
        for name, value in setting.factors():
            if str(state[name]) != value:
                problems.append(f"{setting}: the controls set {name}={state[name]!r}")
        if not view["formula"]["katex"] or view["formula"]["error"] or view["formula"]["raw"]:
            problems.append(f"{setting}: formula not typeset: {view['formula']}")
        problems += [f"{setting} {p}" for p in mismatches(view, run_code(view["code"]), q)]
    assert not problems, format_problems(f"{len(GRID)} states", problems[:40])


def test_code_and_numbers_are_the_same_in_both_languages(
    grid_views: list[tuple[Setting, int, dict[str, Any]]],
) -> None:
    problems = []
    for setting, _, shown in grid_views:
        en, zh = shown["en"], shown["zh"]
        if en["code"] != zh["code"]:
            problems.append(f"{setting}: the code differs:\n{en['code']}\n---\n{zh['code']}")
        parts = ("state", "tokens", "scores", "before", "weights", "context", "heatmaps")
        for part in (*parts, "matrices", "dropped"):
            if en[part] != zh[part]:
                problems.append(f"{setting}: {part} differs: {en[part]} / {zh[part]}")
    assert not problems, format_problems("en vs zh", problems[:20])


def test_tokens_are_the_packages_tokens(
    grid_views: list[tuple[Setting, int, dict[str, Any]]],
) -> None:
    """The table's header is the sentence's tokens: EXAMPLE_TOKENS for the book's sentence,
    ``token_strings(ids)`` of the code's ``embed_text`` for the real ones."""
    from llm_attention import EXAMPLE_TOKENS

    seen = {}
    for setting, _, shown in grid_views:
        view = shown["en"]
        run = run_code(view["code"])
        tokens = run.values.get("tokens", list(EXAMPLE_TOKENS))
        want = [json.dumps(t, ensure_ascii=False)[1:-1] for t in tokens]
        assert view["tokens"] == want, f"{setting}: header {view['tokens']}, code {want}"
        seen[setting.sentence] = len(want)
    assert set(seen) == set(SENTENCES), seen


def test_dropout_scales_the_kept_weights(
    grid_views: list[tuple[Setting, int, dict[str, Any]]],
) -> None:
    problems, dropped, kept = [], 0, 0
    for setting, _, shown in grid_views:
        view = shown["en"]
        p = float(setting.dropout) if setting.stage == "3.5" else 0.0
        if p == 0:
            if view["before"] is not None:
                problems.append(f"{setting}: a before-dropout row without dropout")
            continue
        problems += [f"{setting} {x}" for x in dropout_problems(view, p)]
        before = [num(v) for v in view["before"]]
        after = [num(v) for v in view["weights"][0]]
        dropped += sum(a == 0 and b > 0 for a, b in zip(after, before, strict=False))
        kept += sum(a > 0 for a in after)
    assert not problems, format_problems("dropout", problems[:20])
    assert dropped > 0 and kept > 0, f"dropout dropped {dropped} and kept {kept} weights"


def test_dropout_notices_appear_in_the_grid(
    grid_views: list[tuple[Setting, int, dict[str, Any]]],
) -> None:
    """The grid has views where dropout zeroes a query's whole row, and views with dropout
    where it does not; test_every_view_matches_... checks each notice against the code."""
    with_notice = [s for s, _, shown in grid_views if shown["en"]["dropped"]]
    without = [s for s, _, shown in grid_views if s.dropout != "0" and not shown["en"]["dropped"]]
    assert with_notice and without, (with_notice, without)


@dataclass(frozen=True)
class Notice:
    """A state where dropout zeroes the whole row of ``query`` (``token``), and one of the same
    sentence and rate where it zeroes no row."""

    state: Setting
    query: int
    token: str
    quiet: Setting


@pytest.fixture(scope="module")
def notice(site_root: Path) -> Notice:
    """Found in the keep patterns the build exported: torch's own draws after
    ``manual_seed(123)``, which another machine may draw differently (reader question 7).
    With the causal mask a query's first tokens keep few weights, so p = 0.5 drops one's all."""
    data = json.loads((site_root / "assets" / "explorer" / "data.json").read_text("utf-8"))
    for p in reversed(data["dropout"]["rates"]):
        for sentence in data["sentences"]:
            n = len(sentence["tokens"])
            keep = data["dropout"]["keep"][str(p)][str(n)]
            causal = [i for i in range(n) if not any(keep[i][: i + 1])]
            full = [i for i in range(n) if not any(keep[i])]
            if causal and not full:
                i = causal[0]
                token = json.dumps(sentence["tokens"][i], ensure_ascii=False)[1:-1]
                state = Setting("3.5", sentence["id"], str(i), dropout=str(p))
                return Notice(state, i, token, replace(state, causal=False))
    pytest.fail("no exported dropout draw zeroes a whole causal row and no full row")


def notice_text(lang: str, notice: Notice) -> list[str]:
    i, token = notice.query + 1, notice.token
    if lang == "zh":
        return [f"dropout 把查询 {i}（“{token}”）的权重全部置为 0：", "上下文向量全为 0。"]
    return [f"Dropout zeroed every weight of query {i} (“{token}”)", "all zeros"]


@pytest.mark.parametrize("lang", LANGS)
def test_a_fully_dropped_row_is_explained(
    tabs: dict[str, Tab], base_url: str, lang: str, notice: Notice
) -> None:
    page = open_explorer(tabs[lang], base_url, lang)
    q = apply(page, notice.state)
    view = read_view(page)
    run = run_code(view["code"])
    assert bool((run.values["weights"][q] == 0).all()), "the code does not drop the whole row"
    assert view["context"] == ["0.0000", "0.0000"], view["context"]
    assert view["dropped"] == [q], view["dropped"]
    (shown,) = view["notices"]
    assert shown["besideHeatmap"] and shown["rowMarked"], shown
    for part in notice_text(lang, notice):
        assert part in shown["text"], (part, shown["text"])
    assert not mismatches(view, run, q)
    # the notice is about the matrix: it stays when another query is picked, and goes when
    # no row is fully dropped
    for other, dropped in (
        (replace(notice.state, query="last"), [q]),
        (notice.quiet, []),
        (replace(notice.state, dropout="0"), []),
    ):
        where = apply(page, other)
        view = read_view(page)
        assert view["dropped"] == dropped, (other, view["notices"])
        assert len(view["notices"]) == len(dropped), (other, view["notices"])
        assert not mismatches(view, run_code(view["code"]), where), other


# Everything the Chinese widget says: the text of its elements outside code and math, the
# options of its menus and its accessible names.
UI_TEXT_JS = """
(root) => {
  const texts = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest("pre, code, .katex, script, style")) continue;
    if (node.textContent.trim()) texts.push(node.parentElement.textContent.trim());
  }
  for (const el of root.querySelectorAll("[aria-label], [title]")) {
    texts.push(el.getAttribute("aria-label") || el.getAttribute("title"));
  }
  return [...new Set(texts)];
}
"""
# a half-width colon, comma, semicolon, full stop, ? or !, or bracket, with Chinese text right
# before or after it (a space between included): Chinese sentences take （），。：；？！
# Chinese characters, CJK punctuation, full-width forms and the quotes Chinese text uses
HAN = "\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef“”‘’"
HALF_WIDTH_BY_CJK = re.compile(rf"[{HAN}]\s?[:,;.?!()]|[:,;?!()]\s?[{HAN}]")


def test_the_half_width_pattern_is_precise() -> None:
    good = ("头 1：权重", "书中的例句（第 3.3.1 节）：Your", "softmax(q·k / √d_k)", "1/(1−p) = 2")
    for text in good:
        assert not HALF_WIDTH_BY_CJK.search(text), text
    for bad in ("头 1: 权重", "例句 (3.3.1)", "（第 3.3.1 节）: Your", "权重, 上下文", "全为零."):
        assert HALF_WIDTH_BY_CJK.search(bad), bad


def test_chinese_ui_strings_use_full_width_punctuation(
    tabs: dict[str, Tab], base_url: str, notice: Notice
) -> None:
    """Every stage, the dropout notice and the d_k demo, as the Chinese page shows them."""
    page = open_explorer(tabs["zh"], base_url, "zh")
    root = page.locator(ROOT_SEL)
    texts: set[str] = set(root.evaluate(UI_TEXT_JS))
    for setting in [notice.state, *HOLD_UP_STATES, Setting("3.3", "s1", "0")]:
        apply(page, setting)
        texts |= set(root.evaluate(UI_TEXT_JS))
    assert any("dropout 把查询" in t for t in texts), "the dropout notice was not shown"
    assert any("（4）合并" in t for t in texts), "3.6.2 was not shown"
    bad = sorted(t for t in texts if HALF_WIDTH_BY_CJK.search(t))
    assert not bad, "half-width punctuation in Chinese UI strings:\n" + "\n".join(bad)


@pytest.mark.parametrize("lang", LANGS)
def test_copy_buttons_copy_the_code(tabs: dict[str, Tab], base_url: str, lang: str) -> None:
    """Both code blocks carry Material's copy button (the widget draws them as Material draws
    its own), and clicking one puts the code shown, as shown, on the clipboard."""
    page = open_explorer(tabs[lang], base_url, lang, "?stage=3.6&sentence=s2&query=0")
    view = read_view(page)
    for block, marker in (("pre[data-code]", "num_heads=2"), ("pre[data-dk-code]", "d_k = ")):
        page.evaluate("() => navigator.clipboard.writeText('before the click')")
        page.locator(f"{ROOT_SEL} {block} button.md-code__button[data-md-type=copy]").click()
        page.wait_for_function(
            "async () => (await navigator.clipboard.readText()) !== 'before the click'"
        )
        copied = page.evaluate("() => navigator.clipboard.readText()").rstrip()
        shown = page.locator(f"{ROOT_SEL} {block} code").inner_text().rstrip()
        assert copied == shown, (block, copied, shown)
        assert marker in copied, copied
    assert "Attention is all you need" in view["code"], view["code"]


DK_JS = """
(root) => {
  const dk = root.querySelector("section[data-dk]");
  const cells = (row) => [...dk.querySelectorAll(`tr[data-row=${row}] td`)]
    .map((td) => td.textContent.trim());
  return {
    range: dk.querySelector("input[type=range][name=dk]").value,
    shown: dk.querySelector("[data-dk-value]").textContent,
    unscaled: cells("unscaled"),
    scaled: cells("scaled"),
    code: dk.querySelector("pre[data-dk-code] code").textContent,
  };
}
"""


@pytest.mark.parametrize("lang", LANGS)
def test_dk_demo_matches_its_code(tabs: dict[str, Tab], base_url: str, lang: str) -> None:
    """The d_k slider, moved with the keyboard: the rows equal ``unscaled``/``scaled`` of the
    code shown under it."""
    page = open_explorer(tabs[lang], base_url, lang)
    root = page.locator(ROOT_SEL)
    slider = root.locator("section[data-dk] input[type=range][name=dk]")
    slider.focus()
    problems, seen = [], []
    for key, value in [
        (None, 6),
        ("ArrowRight", 7),
        ("ArrowLeft", 6),
        ("ArrowLeft", 5),
        ("Home", 0),
        ("ArrowRight", 1),
        ("End", 9),
        ("ArrowLeft", 8),
    ]:
        if key:
            page.keyboard.press(key)
        dk = root.evaluate(DK_JS)
        d_k = 2**value
        seen.append(dk["range"])
        where = f"after {key or 'opening'} (d_k = {d_k})"
        if dk["range"] != str(value):
            problems.append(f"{where}: the slider is at {dk['range']}, expected {value}")
            continue
        if str(d_k) not in dk["shown"]:
            problems.append(f"{where}: shows {dk['shown']!r}")
        if f"d_k = {d_k}\n" not in dk["code"]:
            problems.append(f"{where}: the code does not set d_k = {d_k}")
        run = run_code(dk["code"], names=("unscaled", "scaled"))
        if run.error:
            problems.append(f"{where}: the code raises {run.error}")
            continue
        for row in ("unscaled", "scaled"):
            problems += [
                f"{where} {p}" for p in _close(row, dk[row], run.values[row].tolist(), TOL)
            ]
    assert not problems, format_problems(f"d_k demo ({lang})", problems)
    assert page.evaluate("() => document.activeElement.name") == "dk"


# ---------------------------------------------------------------- 3. it holds up
def _explore(page: Page, settings: list[Setting], check: Callable[[], list[str]]) -> list[str]:
    """Set each state in turn and run ``check`` there; its problems, labelled by state."""
    problems = []
    for setting in settings:
        apply(page, setting)
        problems += [f"{setting} {p}" for p in check()]
    return problems


# the widest views (3.6.2 with four heads, three heads of the wrapper, the longest sentence),
# dropout at p = 0.5 under the mask (where whole rows tend to go), and the rest of the controls
HOLD_UP_STATES = [
    Setting("3.6.2", "s3", "last", num_heads=4),
    Setting("3.5", "s3", "1", dropout="0.5"),
    Setting("3.6", "s3", "last", heads=3),
    Setting("3.5", "book", "last", causal=False, dropout="0.1", weights="v1", scale=False),
    Setting("3.4", "s2", "0"),
]
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture
def tab_for(browser: Any) -> Iterator[Callable[..., Tab]]:
    """Tabs of their own, closed after the test: ``tab_for(viewport, scheme)``."""
    opened: list[Tab] = []

    def make(viewport: dict[str, int] = DESKTOP, scheme: str = "light") -> Tab:
        opened.append(Tab(browser, viewport, color_scheme=scheme))
        return opened[-1]

    yield make
    for tab in opened:
        tab.close()


@pytest.mark.parametrize("lang", LANGS)
def test_no_console_error_or_request_off_the_site(
    tab_for: Callable[..., Tab], base_url: str, lang: str
) -> None:
    """Opening the widget and working every control: no console error, no uncaught
    exception, no failed request, nothing requested from outside 127.0.0.1."""
    tab = tab_for()
    page = open_explorer(tab, base_url, lang)
    _explore(page, [*HOLD_UP_STATES, *GRID[::5]], lambda: [])
    page.locator(f"{ROOT_SEL} section[data-dk] input[name=dk]").fill("9")
    problems = check_requests(tab.rec)
    assert not problems, format_problems(f"explorer ({lang})", problems)


@pytest.mark.parametrize("size", VIEWPORTS)
@pytest.mark.parametrize("lang", LANGS)
def test_no_serious_axe_violation(
    tab_for: Callable[..., Tab], base_url: str, lang: str, size: str
) -> None:
    """axe-core, run once the widget is ready, then in 3.6.2 (four heads) and in 3.5 with
    dropout and its notice, each on the longest sentence."""
    page = open_explorer(tab_for(VIEWPORTS[size]), base_url, lang)
    problems = [f"[opened] {p}" for p in check_accessibility(page)]
    problems += _explore(page, HOLD_UP_STATES[:2], lambda: check_accessibility(page))
    assert not problems, format_problems(f"explorer ({lang}, {size})", problems)


OVERFLOW_JS = """
() => {
  const doc = document.scrollingElement || document.documentElement;
  return { scroll: doc.scrollWidth, width: document.documentElement.clientWidth };
}
"""


@pytest.mark.parametrize("lang", LANGS)
def test_fits_a_phone(tab_for: Callable[..., Tab], base_url: str, lang: str) -> None:
    """At 390 px the page never scrolls sideways, in any stage (the widget's own boxes may
    scroll), and nothing in the article sticks out of the screen (check_layout)."""
    page = open_explorer(tab_for(PHONE), base_url, lang)

    def fits() -> list[str]:
        size = page.evaluate(OVERFLOW_JS)
        wide = size["scroll"] > size["width"]
        overflow = [f"the page scrolls sideways: {size['scroll']} > {size['width']}"]
        return (overflow if wide else []) + check_layout(page)

    problems = [f"[opened] {p}" for p in fits()] + _explore(page, HOLD_UP_STATES, fits)
    assert not problems, format_problems(f"explorer at 390 px ({lang})", problems)


@pytest.mark.parametrize("lang", LANGS)
def test_dark_mode_renders(tab_for: Callable[..., Tab], base_url: str, lang: str) -> None:
    """With the system in dark mode the palette is slate and the widget draws its view, with
    no console error, in the opening view, in 3.6.2, with dropout and with three heads."""
    tab = tab_for(DESKTOP, "dark")
    page = open_explorer(tab, base_url, lang)
    scheme = page.evaluate("() => document.body.getAttribute('data-md-color-scheme')")
    assert scheme == "slate", f"dark mode did not switch the palette: {scheme!r}"
    assert read_view(page)["weights"] == [BOOK_WEIGHTS]

    def drawn() -> list[str]:
        view = read_view(page)
        return [] if view["weights"] and view["heatmaps"] else [f"nothing drawn: {view}"]

    problems = _explore(page, HOLD_UP_STATES[:3], drawn) + check_requests(tab.rec)
    assert not problems, format_problems(f"explorer in dark mode ({lang})", problems)


@pytest.mark.parametrize("lang", LANGS)
def test_dark_mode_contrast(tab_for: Callable[..., Tab], base_url: str, lang: str) -> None:
    """In dark mode the tables, labels and buttons keep their contrast (axe's colour rules)."""
    page = open_explorer(tab_for(DESKTOP, "dark"), base_url, lang)

    def check() -> list[str]:
        return check_accessibility(page, COLOUR_RULES)

    problems = [f"[opened] {p}" for p in check()] + _explore(page, HOLD_UP_STATES[:3], check)
    assert not problems, format_problems(f"explorer in dark mode ({lang})", problems)


# ---------------------------------------------------------------- 4. the keyboard
FOCUS_JS = """
(root) => {
  const el = document.activeElement;
  if (!el || !root.contains(el)) return null;
  const visible = el.checkVisibility ? el.checkVisibility() : true;
  let name;
  if (el.name) name = el.type === "radio" ? `stage=${el.value}` : el.name;
  else if (el.matches("button")) name = "button";
  else name = `<${el.tagName.toLowerCase()}>`;  // a scroll box made focusable
  return { name, visible, disabled: !!el.disabled, hidden: !!el.closest("[hidden]") };
}
"""


def tab_order(page: Page) -> list[dict[str, Any]]:
    """From the top of the widget, press Tab until the focus leaves it; what got the focus."""
    root = page.locator(ROOT_SEL)
    # a starting point just inside the top of the widget, which Tab itself never stops on
    root.evaluate("(root) => { root.tabIndex = -1; root.focus(); }")
    reached = []
    try:
        for _ in range(60):
            page.keyboard.press("Tab")
            focus = root.evaluate(FOCUS_JS)
            if focus is None:
                break
            reached.append(focus)
    finally:
        root.evaluate("(root) => root.removeAttribute('tabindex')")
    return reached


@pytest.mark.parametrize("lang", LANGS)
def test_tab_reaches_every_enabled_control_in_order(
    tabs: dict[str, Tab], base_url: str, lang: str
) -> None:
    page = open_explorer(tabs[lang], base_url, lang)
    for stage in APPLIES:
        page.locator(f"{ROOT_SEL} input[name=stage][value='{stage}']").click()
        reached = tab_order(page)
        names = [f["name"] for f in reached if not f["name"].startswith("<")]
        # the two copy buttons: the view's code, then the d_k demo's
        expected = [
            "sentence",
            "query",
            f"stage={stage}",
            *APPLIES[stage],
            "button",
            "dk",
            "button",
        ]
        assert names == expected, f"stage {stage}: Tab reached {names}"
        wrong = [f for f in reached if not f["visible"] or f["disabled"] or f["hidden"]]
        assert not wrong, f"stage {stage}: Tab reached hidden or disabled elements {wrong}"
        for name in OPTIONAL:
            control = page.locator(f"{ROOT_SEL} [name={name}]")
            off = name not in APPLIES[stage]
            assert control.is_disabled() == off, f"stage {stage}: {name} disabled is {not off}"
            assert control.is_visible() != off, f"stage {stage}: {name} visible is {off}"


@pytest.mark.parametrize("lang", LANGS)
def test_arrow_keys_change_the_stage(tabs: dict[str, Tab], base_url: str, lang: str) -> None:
    page = open_explorer(tabs[lang], base_url, lang)
    page.locator(f"{ROOT_SEL} input[name=stage][value='3.3']").focus()
    before = read_view(page)
    for key, stage in [
        ("ArrowRight", "3.4"),
        ("ArrowDown", "3.5"),
        ("ArrowRight", "3.6"),
        ("ArrowDown", "3.6.2"),
        ("ArrowLeft", "3.6"),
        ("ArrowLeft", "3.5"),
        ("ArrowUp", "3.4"),
        ("ArrowLeft", "3.3"),
    ]:
        page.keyboard.press(key)
        after = read_view(page)
        assert after["state"]["stage"] == stage, f"{key}: stage {after['state']['stage']}"
        assert page.evaluate("() => document.activeElement.value") == stage
        assert after["weights"] != before["weights"], f"{key}: the weights row did not change"
        assert after["code"] != before["code"], f"{key}: the code did not change"
        assert after["status"] != before["status"], f"{key}: the status text did not change"
        before = after


@pytest.mark.parametrize("lang", LANGS)
def test_space_toggles_the_scaling(tabs: dict[str, Tab], base_url: str, lang: str) -> None:
    page = open_explorer(tabs[lang], base_url, lang, "?stage=3.4")
    box = page.locator(f"{ROOT_SEL} input[type=checkbox][name=scale]")
    box.focus()
    before = read_view(page)
    assert before["state"]["scale"] is True, before["state"]
    for scaled in (False, True):
        page.keyboard.press("Space")
        after = read_view(page)
        assert box.is_checked() == scaled
        assert after["state"]["scale"] is scaled, after["state"]
        assert after["weights"] != before["weights"], "the weights row did not change"
        assert after["status"] != before["status"], "the status text did not change"
        assert ("sqrt(d_k)" in after["code"]) != scaled, after["code"]
        assert not mismatches(after, run_code(after["code"]), after["state"]["query"])
        before = after


# ---------------------------------------------------------------- 5. fault injection
@dataclass(frozen=True)
class Fault:
    name: str
    find: str
    put: str
    setting: Setting
    caught_as: str = "weights row"  # what the report of the broken widget says


FAULTS = [
    Fault("no-scaling", "1 / Math.sqrt(dK)", "1", Setting("3.4", "book", "1")),
    Fault("mask-off-by-one", "j > i", "j > i + 1", Setting("3.5", "book", "1", causal=True)),
    Fault("dropout-unscaled", "v / (1 - p)", "v", Setting("3.5", "book", "last", dropout="0.5")),
    # 3.6.2: every head takes the first head_dim columns, and out_proj without its bias
    Fault("split-first-columns", "h * headDim + c", "c", Setting("3.6.2", "s1", "last")),
    Fault(
        "out-proj-no-bias",
        "v + w.b_out[j]",
        "v",
        Setting("3.6.2", "book", "1", num_heads=4),
        "context vector",
    ),
    # every row with dropout is said to be fully dropped (a notice for each query)
    Fault(
        "dropout-notice-everywhere",
        "row.every((v) => v === 0)",
        "true",
        Setting("3.5", "book", "1", dropout="0.1"),
        "dropout notices",
    ),
]


def _serve_broken(tab: Tab, fault: Fault) -> list[str]:
    """Serve this tab explorer.js with the fault in it; the list gets each URL served so."""
    served: list[str] = []

    def handle(route: Route) -> None:
        response = route.fetch()
        source = response.text()
        assert source.count(fault.find) == 1, f"{fault.find!r} is not once in explorer.js"
        route.fulfill(response=response, body=source.replace(fault.find, fault.put))
        served.append(route.request.url)

    tab.context.route("**/assets/explorer.js", handle)
    return served


def _check_state(page: Page, setting: Setting) -> tuple[list[str], str]:
    """What the grid comparison reports in one state (and the dropout check, with dropout)."""
    q = apply(page, setting)
    view = read_view(page)
    problems = mismatches(view, run_code(view["code"]), q)
    if setting.stage == "3.5" and setting.dropout != "0":
        problems += dropout_problems(view, float(setting.dropout))
    return problems, view["code"]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_a_broken_widget_is_caught(
    tab_for: Callable[..., Tab], base_url: str, fault: Fault
) -> None:
    """Serve explorer.js with one targeted mutation: the checks that pass on the real widget
    in the same state report the broken one's numbers."""
    broken = tab_for()
    served = _serve_broken(broken, fault)
    problems, code = _check_state(open_explorer(broken, base_url, "en"), fault.setting)
    assert served, "the broken explorer.js was never requested"
    clean, real_code = _check_state(open_explorer(tab_for(), base_url, "en"), fault.setting)
    assert not clean, format_problems(f"the real widget {fault.setting}", clean)
    assert code == real_code, "the fault changed the code shown, not only the numbers"
    assert any(fault.caught_as in p for p in problems), problems
    if fault.name == "dropout-unscaled":
        assert any("/ (1 - 0.5)" in p for p in problems), problems


# ---------------------------------------------------------------- 6. screenshots
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", VIEWPORTS)
def test_screenshots(
    tab_for: Callable[..., Tab],
    base_url: str,
    artifacts_dir: Path,
    notice: Notice,
    size: str,
    scheme: str,
) -> None:
    """explorer{,-mha,-dropout}-{en,zh}[-dark]-{desktop,phone}.png in the suite's screenshot
    folder: the opening view, 3.6.2 with two heads, and 3.5 with the dropout notice."""
    tab = tab_for(VIEWPORTS[size], scheme)
    views = {"": None, "-mha": Setting("3.6.2", "book", "1"), "-dropout": notice.state}
    for lang in LANGS:
        for name, setting in views.items():
            page = open_explorer(tab, base_url, lang)
            if setting:
                apply(page, setting)
            dark = "-dark" if scheme == "dark" else ""
            shot = artifacts_dir / f"explorer{name}-{lang}{dark}-{size}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000, f"{shot} is nearly empty"
            assert not check_requests(tab.rec), check_requests(tab.rec)
