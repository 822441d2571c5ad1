"""What the browser suite checks, as plain functions over a Playwright page.

Every ``check_*`` function returns a list of problems (empty when the page is fine), so the
per-page tests and the fault-injection tests call the same code: the fault tests doctor a
copy of the built site and assert that the check reports the fault.

The site is served by :func:`serve` (a threaded ``http.server`` on 127.0.0.1) and opened in
Chromium with :func:`open_page`, which records console errors, failed requests, HTTP errors
and requests that leave 127.0.0.1 into a :class:`Recorder`.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("en", "zh")
LANG_PREFIX = {"en": "", "zh": "zh/"}
CHROMIUM = os.environ.get("LLM_ATTENTION_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
RENDER_TIMEOUT_MS = 10_000
CHECKED: dict[str, set[str]] = {lang: set() for lang in LANGS}  # pages opened, for the summary

# Material draws each mermaid diagram into a *closed* shadow root, which scripts cannot see.
# Keep a reference to every shadow root so the diagram check can look inside.
SHADOW_ROOT_SPY = """
(() => {
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    try { Object.defineProperty(this, "__testShadowRoot", { value: root }); } catch (e) {}
    return root;
  };
})();
"""


# ---------------------------------------------------------------- the site
@dataclass(frozen=True)
class SitePage:
    """One built page: its language and its path below that language's root (``""`` = home)."""

    lang: str
    rel: str

    @property
    def path(self) -> str:
        """The page's URL path below the site root, e.g. ``zh/chapter/3.3-self-attention/``."""
        return LANG_PREFIX[self.lang] + self.rel

    @property
    def other(self) -> SitePage:
        """The same page in the other language."""
        return SitePage("zh" if self.lang == "en" else "en", self.rel)

    @property
    def is_notebook(self) -> bool:
        return self.rel.startswith("notebooks/")

    @property
    def id(self) -> str:
        return f"{self.lang}:{self.rel or 'home'}"

    @property
    def slug(self) -> str:
        return f"{self.lang}-{self.rel.strip('/').replace('/', '_') or 'home'}"


def discover_pages(site: Path) -> list[SitePage]:
    """Every page of the built site, both languages: each ``index.html`` but assets/ and search/."""
    pages = []
    for lang in LANGS:
        root = site / LANG_PREFIX[lang]
        for html in root.rglob("index.html"):
            rel = html.parent.relative_to(root).as_posix()
            rel = "" if rel == "." else rel + "/"
            if lang == "en" and rel.startswith("zh/"):
                continue
            if rel.startswith(("assets/", "search/")):
                continue
            pages.append(SitePage(lang, rel))
    return sorted(pages, key=lambda p: (p.lang, p.rel))


def site_prefix(site: Path) -> str:
    """The URL path the site is built for (``/llm_attention/`` for a project site), from the
    home page's canonical link; ``/`` when there is none.

    The site is served under that path, as on GitHub Pages and under ``mkdocs serve``: some
    links the theme writes (the home page's language links) are absolute paths.
    """
    html = (site / "index.html").read_text(encoding="utf-8")
    m = re.search(r'<link rel="canonical" href="([^"]+)"', html)
    path = urlsplit(m.group(1)).path if m else "/"
    return path if path.endswith("/") else path + "/"


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files of one folder, under a URL prefix; quiet."""

    prefix = "/"
    extensions_map = {  # noqa: RUF012 - overrides the base class's attribute
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
        ".woff2": "font/woff2",
        ".woff": "font/woff",
        ".ttf": "font/ttf",
        ".svg": "image/svg+xml",
        ".ipynb": "application/x-ipynb+json",
    }

    def translate_path(self, path: str) -> str:
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "__outside_the_site_prefix__")
        return super().translate_path("/" + path[len(self.prefix) :])

    def list_directory(self, path: Any) -> None:
        # a folder without index.html is a 404, as on GitHub Pages, never a listing
        self.send_error(404, "Not Found")
        return None

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path, prefix: str | None = None) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) in a thread; yield the site's base URL.

    ``prefix`` is the URL path the site lives under; by default :func:`site_prefix`.
    """
    prefix = site_prefix(directory) if prefix is None else prefix
    handler_class = type("Handler", (_SiteHandler,), {"prefix": prefix})
    handler = functools.partial(handler_class, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ---------------------------------------------------------------- recording a page load
@dataclass
class Recorder:
    """What a page did while loading: console errors, failed and external requests."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    active: bool = True

    def reset(self) -> None:
        for name in (
            "console_errors",
            "page_errors",
            "failed_requests",
            "http_errors",
            "external_requests",
        ):
            getattr(self, name).clear()
        self.active = True


def is_local(url: str) -> bool:
    """True for URLs that stay on this machine: 127.0.0.1, and data:/blob: URLs."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname == "127.0.0.1"


def attach_recorder(page: Page) -> Recorder:
    """Record, from now on, what ``page`` logs and requests (see :class:`Recorder`)."""
    rec = Recorder()

    def on_console(msg: Any) -> None:
        if rec.active and msg.type == "error":
            loc = msg.location or {}
            where = f" ({loc.get('url')}:{loc.get('lineNumber')})" if loc.get("url") else ""
            rec.console_errors.append(f"{msg.text}{where}")

    def on_page_error(err: Any) -> None:
        if rec.active:
            rec.page_errors.append(str(err))

    def on_request(req: Any) -> None:
        if rec.active and not is_local(req.url):
            rec.external_requests.append(req.url)

    def on_request_failed(req: Any) -> None:
        if rec.active:
            rec.failed_requests.append(f"{req.url}: {req.failure}")

    def on_response(resp: Any) -> None:
        if rec.active and resp.status >= 400:
            rec.http_errors.append(f"HTTP {resp.status} {resp.url}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("request", on_request)
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)
    return rec


RENDERED_JS = """
() => {
  if (document.readyState !== "complete" || document.fonts.status !== "loaded") return false;
  for (const img of document.images) if (img.loading === "lazy") img.loading = "eager";
  const math = [...document.querySelectorAll(".arithmatex")]
    .every((el) => el.querySelector(".katex, .katex-error"));
  const diagrams = [...document.querySelectorAll(".mermaid")].every((el) => {
    const root = el.__testShadowRoot || el.shadowRoot;
    return (root && root.querySelector("svg")) || el.querySelector("svg");
  });
  const images = [...document.images].every((img) => img.complete);
  return math && diagrams && images;
}
"""


def open_page(
    page: Page, rec: Recorder, url: str, render_timeout_ms: int = RENDER_TIMEOUT_MS
) -> None:
    """Load ``url`` and wait until math, diagrams and images are drawn (or the timeout is up).

    Waiting never fails: what is still missing afterwards is what the checks report.
    """
    # leave the previous page first, so its unfinished requests are not blamed on this one
    rec.active = False
    with contextlib.suppress(PlaywrightError):
        page.goto("about:blank")
    rec.reset()
    try:
        page.goto(url, wait_until="load", timeout=30_000)
    except PlaywrightError as exc:
        rec.page_errors.append(f"navigation to {url} failed: {exc}")
        return
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(RENDERED_JS, timeout=render_timeout_ms)


class Tab:
    """A browser context with one page, and the recorder of what that page does."""

    def __init__(self, browser: Any, viewport: dict[str, int], color_scheme: str = "light") -> None:
        self.context = browser.new_context(
            viewport=viewport,
            permissions=["clipboard-read", "clipboard-write"],
            locale="en-US",
            color_scheme=color_scheme,
            reduced_motion="reduce",
        )
        self.context.add_init_script(SHADOW_ROOT_SPY)
        self.page = self.context.new_page()
        self.rec = attach_recorder(self.page)

    def close(self) -> None:
        self.context.close()


# ---------------------------------------------------------------- checks
def check_requests(rec: Recorder) -> list[str]:
    """No console errors, no uncaught exceptions, no failed requests, nothing off 127.0.0.1."""
    problems = [f"console error: {m}" for m in rec.console_errors]
    problems += [f"uncaught exception: {m}" for m in rec.page_errors]
    problems += [f"request failed: {m}" for m in rec.failed_requests]
    problems += [f"bad response: {m}" for m in rec.http_errors]
    problems += [f"request leaves 127.0.0.1: {u}" for u in rec.external_requests]
    return problems


# Raw TeX a reader should never see: display delimiters, \( \) \[ \] and TeX commands.
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\[A-Za-z]{2,}|\$[^$\n]{0,80}[\\^_{][^$\n]{0,80}\$")

MATH_JS = """
() => {
  const describe = (el) => el.outerHTML.replace(/\\s+/g, " ").slice(0, 160);
  const math = [...document.querySelectorAll(".arithmatex")];
  const untypeset = math.filter((el) => !el.querySelector(".katex")).map(describe);
  const errors = [...document.querySelectorAll(".katex-error")]
    .map((el) => `${el.textContent.slice(0, 80)} -- ${el.getAttribute("title") || ""}`);
  // with throwOnError: false KaTeX draws an unknown command as its name, in red
  document.querySelectorAll(".katex-html").forEach((el) => {
    if (/\\\\[A-Za-z]/.test(el.textContent)) {
      const source = el.closest(".katex").querySelector("annotation");
      errors.push(`unknown command drawn as text in ${source ? source.textContent : "?"}`);
    }
  });
  // The visible text of the article, without code, drawn formulas and figures.
  const root = document.querySelector("article") || document.body;
  const skip = "pre, code, .katex, script, style, svg, textarea, .highlight, .mermaid,"
    + " .jp-InputArea, .jp-OutputArea, .md-clipboard, .md-code__nav";
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    if (parent.checkVisibility && !parent.checkVisibility()) continue;
    parts.push(node.data);
  }
  return { count: math.length, untypeset, errors, text: parts.join(" ") };
}
"""


def check_math(page: Page) -> list[str]:
    """Every ``.arithmatex`` holds KaTeX output, KaTeX reported no error, no raw TeX is visible."""
    res = page.evaluate(MATH_JS)
    problems = [f"formula not typeset by KaTeX: {html}" for html in res["untypeset"]]
    problems += [f"KaTeX could not typeset: {err}" for err in res["errors"]]
    text = res["text"]
    for m in RAW_TEX.finditer(text):
        context = text[max(0, m.start() - 40) : m.end() + 40].replace("\n", " ")
        problems.append(f"raw TeX visible in the page text: {m.group(0)!r} in ...{context}...")
    return problems


DIAGRAMS_JS = """
() => {
  const problems = [];
  const short = (s) => (s || "").replace(/\\s+/g, " ").trim().slice(0, 80);
  document.querySelectorAll(".mermaid").forEach((el, i) => {
    const root = el.__testShadowRoot || el.shadowRoot;
    const svg = (root && root.querySelector("svg")) || el.querySelector("svg");
    if (!svg) {
      problems.push(`mermaid diagram ${i + 1} not drawn (no svg): ${short(el.textContent)}`);
    } else if (svg.getAttribute("aria-roledescription") === "error"
               || /Syntax error|Parse error/i.test(svg.textContent)) {
      problems.push(`mermaid diagram ${i + 1} drawn as an error: ${short(svg.textContent)}`);
    } else if (svg.childElementCount === 0) {
      problems.push(`mermaid diagram ${i + 1} is an empty svg`);
    }
  });
  for (const img of document.images) {
    if (!img.complete || img.naturalWidth === 0) {
      problems.push(`image did not load: ${img.getAttribute("src")}`);
    }
  }
  const figures = document.querySelectorAll("article figure svg, article .attention-figure svg");
  figures.forEach((svg, i) => {
    const box = svg.getBoundingClientRect();
    if (svg.childElementCount === 0 || box.width === 0 || box.height === 0) {
      problems.push(`figure svg ${i + 1} is empty or has no size`);
    }
  });
  return problems;
}
"""


def check_diagrams(page: Page) -> list[str]:
    """Every mermaid block holds a drawn svg, every image loaded, every figure svg has a size."""
    return list(page.evaluate(DIAGRAMS_JS))


NOTEBOOK_JS = """
() => {
  const outputs = [...document.querySelectorAll(".jp-OutputArea-output")];
  const stderr = "[data-mime-type='application/vnd.jupyter.stderr']";
  const errors = outputs
    .filter((el) => /Traceback \\(most recent call last\\)/.test(el.textContent)
      || ((el.matches(stderr) || el.querySelector(stderr)) && /Error\\b/.test(el.textContent)))
    .map((el) => el.textContent.replace(/\\s+/g, " ").slice(0, 160));
  return { cells: document.querySelectorAll(".jp-Cell").length, outputs: outputs.length, errors };
}
"""


def check_notebook(page: Page) -> list[str]:
    """A notebook page shows executed outputs, and none of them is an error."""
    res = page.evaluate(NOTEBOOK_JS)
    problems = []
    if res["cells"] == 0:
        problems.append("notebook page shows no notebook cells (.jp-Cell)")
    if res["outputs"] == 0:
        problems.append("notebook page shows no executed outputs (.jp-OutputArea-output)")
    problems += [f"notebook output is an error: {e}" for e in res["errors"]]
    return problems


CODE_BLOCKS_JS = """
() => {
  const article = document.querySelector("article") || document.body;
  const buttons = [...article.querySelectorAll(
    "button[data-clipboard-target], button.md-clipboard, button.md-code__button[data-md-type=copy]"
  )];
  const covered = new Map();
  buttons.forEach((button, i) => {
    const target = button.getAttribute("data-clipboard-target");
    const code = target ? document.querySelector(target) : null;
    if (code) covered.set(code, i);
  });
  return [...article.querySelectorAll("pre > code")].map((code) => ({
    first_line: code.innerText.split("\\n")[0].slice(0, 80),
    button: covered.has(code) ? covered.get(code) : null,
  }));
}
"""

SELECTOR_COPY_BUTTONS = (
    "article button[data-clipboard-target], article button.md-clipboard,"
    " article button.md-code__button[data-md-type=copy]"
)

PREPARE_COPY_JS = """
async ([selector, index, sentinel]) => {
  const button = document.querySelectorAll(selector)[index];
  // show the block first: open the collapsed admonition or the tab it sits in
  for (let el = button.parentElement; el; el = el.parentElement) {
    if (el.tagName === "DETAILS" && !el.open) el.open = true;
    if (el.classList.contains("tabbed-block")) {
      const blocks = [...el.parentElement.children];
      const inputs = el.closest(".tabbed-set").querySelectorAll(":scope > input");
      const input = inputs[blocks.indexOf(el)];
      if (input && !input.checked) input.click();
    }
  }
  await navigator.clipboard.writeText(sentinel);
  button.scrollIntoView({ block: "center" });
  const box = button.getBoundingClientRect();
  const code = document.querySelector(button.getAttribute("data-clipboard-target"));
  return {
    // what Material copies: the code's rendered text, trailing whitespace trimmed
    expected: code ? code.innerText.replace(/\\r\\n/g, "\\n").trimEnd() : null,
    x: box.left + box.width / 2,
    y: box.top + box.height / 2,
    visible: box.width > 0 && box.height > 0,
  };
}
"""


def check_code_copy(page: Page, *, limit: int | None = None) -> list[str]:
    """Every ``pre > code`` in the article has a copy button, and the button copies its text.

    Clicks up to ``limit`` buttons (all when None), as a reader would, with the mouse, and
    compares the clipboard with the block. Needs a browser context with the clipboard-read
    and clipboard-write permissions.
    """
    blocks = page.evaluate(CODE_BLOCKS_JS)
    problems = [
        f"code block without a copy button: {b['first_line']!r}"
        for b in blocks
        if b["button"] is None
    ]
    indices = [b["button"] for b in blocks if b["button"] is not None]
    if limit is not None:
        indices = indices[:limit]
    for index in indices:
        sentinel = f"clipboard-before-click-{index}"
        button = page.evaluate(PREPARE_COPY_JS, [SELECTOR_COPY_BUTTONS, index, sentinel])
        if button["expected"] is None or not button["visible"]:
            problems.append(f"copy button {index + 1} has no code block or cannot be seen")
            continue
        page.mouse.click(button["x"], button["y"])
        copied = page.evaluate("() => navigator.clipboard.readText()")
        copied = copied.replace("\r\n", "\n").rstrip()
        expected = button["expected"].rstrip()
        if copied == sentinel:
            problems.append(f"copy button {index + 1} copied nothing: {expected[:60]!r}")
        elif copied != expected:
            problems.append(
                f"copy button {index + 1} copied {copied[:80]!r}, the block shows {expected[:80]!r}"
            )
    return problems


AXE_RUN_JS = """
async (rules) => {
  const options = { resultTypes: ["violations"] };
  if (rules) options.runOnly = { type: "rule", values: rules };
  const result = await axe.run(document, options);
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      count: v.nodes.length,
      nodes: v.nodes.slice(0, 4).map((n) =>
        `${n.target.join(" ")}: ${(n.failureSummary || "").replace(/\\s+/g, " ").slice(0, 200)}`),
    }));
}
"""


def check_accessibility(page: Page, rules: list[str] | None = None) -> list[str]:
    """axe-core finds no serious or critical violation on the page (only ``rules``, if given)."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(AXE_RUN_JS, rules)
    problems = []
    for v in violations:
        nodes = "; ".join(v["nodes"])
        problems.append(
            f"axe {v['impact']} {v['id']} ({v['help']}), {v['count']} element(s): {nodes}"
        )
    return problems


HEADING_IDS_JS = """
() => [...document.querySelectorAll(
  "article h1[id], article h2[id], article h3[id], article h4[id], article h5[id], article h6[id],"
  + " article a[id^='q-']"
)].map((el) => el.id)
"""


def check_language_switch(page: Page, rec: Recorder, base_url: str, current: SitePage) -> list[str]:
    """The language selector leads to the same page in the other language, keeping the #anchor.

    ``page`` shows ``current``. Goes to a section of it (a heading in the middle of the page),
    clicks the selector's link for the other language, and checks where it lands. Leaves
    ``page`` on the other language's page.
    """
    target = current.other
    ids = page.evaluate(HEADING_IDS_JS)
    headings = [i for i in ids if not i.startswith("q-")]
    anchor = headings[len(headings) // 2] if headings else ""
    if anchor:
        page.evaluate("(id) => { location.hash = id; }", anchor)
    link = page.locator(f"a.md-select__link[hreflang={target.lang}]").first
    if page.locator(f"a.md-select__link[hreflang={target.lang}]").count() == 0:
        return [f"no language selector link to {target.lang!r}"]
    rec.active = False  # the landing page's own load is checked as a page of its own
    try:
        with page.expect_navigation(wait_until="load", timeout=15_000) as nav:
            try:
                page.locator(".md-select").first.hover(timeout=3_000)
                link.click(timeout=3_000)
            except PlaywrightError:
                # the hover menu did not open: follow the link as a script would
                link.evaluate("(a) => a.click()")
        response = nav.value
    except PlaywrightError as exc:
        return [f"language switch to {target.lang} did not navigate: {exc.message[:200]}"]
    problems = []
    landed = urlsplit(page.url)
    want = urlsplit(base_url + target.path)
    if landed.path != want.path:
        problems.append(f"language switch landed on {landed.path}, not on {want.path}")
    if response is None or response.status >= 400:
        status = "no response" if response is None else f"HTTP {response.status}"
        problems.append(f"language switch landed on a missing page ({status}): {page.url}")
        return problems
    html_lang = page.evaluate("() => document.documentElement.lang")
    if not html_lang.startswith(target.lang):
        problems.append(f"the page reached has lang={html_lang!r}, not {target.lang!r}")
    if anchor:
        if landed.fragment != anchor:
            problems.append(
                f"language switch dropped the section: opened #{anchor}, landed on "
                f"{'#' + landed.fragment if landed.fragment else 'no anchor'}"
            )
        if not page.evaluate("(id) => !!document.getElementById(id)", anchor):
            problems.append(f"#{anchor} does not exist on {target.path}")
    missing = [i for i in ids if i not in set(page.evaluate(HEADING_IDS_JS))]
    if missing:
        problems.append(
            f"section ids of {current.path or '/'} missing from {target.path}: {missing} "
            "(the switch cannot keep these sections; give headings identical explicit ids)"
        )
    return problems


LAYOUT_JS = """
() => {
  const doc = document.documentElement;
  const vw = doc.clientWidth;
  const problems = [];
  if (doc.scrollWidth > vw) {
    problems.push(`the page scrolls sideways: scrollWidth ${doc.scrollWidth} > width ${vw}`);
  }
  const describe = (el) => {
    const cls = (el.getAttribute("class") || "").trim().split(/\\s+/).slice(0, 2).join(".");
    const text = (el.innerText || el.textContent || "").replace(/\\s+/g, " ").trim().slice(0, 50);
    return `<${el.tagName.toLowerCase()}${cls ? " class=" + cls : ""}> ${JSON.stringify(text)}`;
  };
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const fits = (box) => box.left >= -1 && box.right <= vw + 1;
  const article = document.querySelector("article") || document.body;
  // what a reader cannot see anyway: the inside of drawings, KaTeX's MathML copy
  const invisible = "svg *, .katex-mathml, .katex-mathml *, script, style";
  const reported = [];
  for (const el of article.querySelectorAll("*")) {
    if (el.matches(invisible)) continue;
    if (reported.some((r) => r.contains(el))) continue;
    const box = el.getBoundingClientRect();
    if ((box.width === 0 && box.height === 0) || fits(box)) continue;
    // inside a box that scrolls sideways and itself fits the screen: fine
    let boxed = false;
    for (let up = el.parentElement; up && up !== article && !boxed; up = up.parentElement) {
      boxed = scrolls(up) && fits(up.getBoundingClientRect());
    }
    if (boxed) continue;
    problems.push(`${describe(el)} sticks out of the ${vw}px screen`
      + ` (left ${Math.round(box.left)}, right ${Math.round(box.right)})`);
    reported.push(el);
  }
  return problems;
}
"""


def check_layout(page: Page) -> list[str]:
    """Nothing widens the page: wide code, tables, math and figures scroll inside their own box."""
    return list(page.evaluate(LAYOUT_JS))


# An inline formula whose box scrolls draws a scrollbar under itself in the middle of a
# sentence (Chromium on Windows and Linux shows a small arrowed bar): KaTeX's output is often
# a pixel wider than the box it is measured into. Display math may scroll; inline math not.
INLINE_MATH_SCROLL_JS = """
() => {
  const problems = [];
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  // arithmatex's inline spans, and KaTeX's own inline output elsewhere (notebook cells)
  const inline = [
    ...document.querySelectorAll("span.arithmatex"),
    ...[...document.querySelectorAll(".katex")].filter((el) => !el.closest(".arithmatex")),
  ].filter((el) => !el.closest(".katex-display, div.arithmatex"));
  for (const formula of inline) {
    for (const el of [formula, ...formula.querySelectorAll("*")]) {
      if (scrolls(el) && el.scrollWidth > el.clientWidth) {
        const source = formula.querySelector("annotation");
        const tex = (source ? source.textContent : formula.textContent).trim().slice(0, 60);
        problems.push(`inline formula ${JSON.stringify(tex)} scrolls sideways: `
          + `<${el.tagName.toLowerCase()} class=${el.className}> overflow-x `
          + `${getComputedStyle(el).overflowX}, scrollWidth ${el.scrollWidth} > `
          + `clientWidth ${el.clientWidth}`);
        break;
      }
    }
  }
  return problems;
}
"""


def check_inline_math_scroll(page: Page) -> list[str]:
    """No inline formula's box scrolls sideways (and so draws no scrollbar inside a sentence)."""
    return list(page.evaluate(INLINE_MATH_SCROLL_JS))


def check_page(
    page: Page,
    rec: Recorder,
    base_url: str,
    site_page: SitePage,
    *,
    screenshot: Path | None = None,
    copy_limit: int | None = None,
) -> dict[str, list[str]]:
    """Open ``site_page`` and run every per-page check; ``{check name: problems}``.

    Runs the checks in an order that leaves the page intact for the next one; the language
    switch comes last because it navigates away.
    """
    open_page(page, rec, base_url + site_page.path)
    report: dict[str, list[str]] = {}
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    report["math"] = check_math(page)
    report["diagrams"] = check_diagrams(page)
    report["notebook"] = check_notebook(page) if site_page.is_notebook else []
    report["layout"] = check_layout(page)
    report["inline_math"] = check_inline_math_scroll(page)
    report["accessibility"] = check_accessibility(page)
    report["code_copy"] = check_code_copy(page, limit=copy_limit)
    report["load"] = check_requests(rec)  # everything since the page was opened
    report["language_switch"] = check_language_switch(page, rec, base_url, site_page)
    return report


def search_box(page: Page) -> Locator:
    """Material's search box, opened and focused (narrow screens open it from a header button)."""
    box = page.locator("input.md-search__input")
    if not box.is_visible():
        page.locator("label.md-header__button[for=__search]").first.click()
        box.wait_for(state="visible", timeout=5_000)
    box.click()
    return box


def search_results(page: Page, query: str, timeout_ms: int = 15_000) -> list[str]:
    """Type ``query`` into Material's search box; the result pages' URLs, best first."""
    box = search_box(page)
    box.fill(query)
    box.press("End")  # Material searches on keyup
    # one item per page, its first link the page's best match; the other links are sections
    links = page.locator(".md-search-result__item > .md-search-result__link:first-child")
    try:
        links.first.wait_for(state="attached", timeout=timeout_ms)
    except PlaywrightTimeoutError:
        return []
    page.wait_for_timeout(300)  # let the list settle: results arrive per keystroke
    return [str(h) for h in links.evaluate_all("(els) => els.map((a) => a.href)")]


def format_problems(where: str, problems: list[str]) -> str:
    return f"{where}: {len(problems)} problem(s)\n  - " + "\n  - ".join(problems)
