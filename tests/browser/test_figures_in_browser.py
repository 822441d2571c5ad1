"""The chapter's figures (``figure.llm-figure``, drawn by tools/site_figures) as a reader sees them.

Every page of the built site that has such a figure, both languages, is opened twice: once in
light mode (first at phone width, 390 px, then widened to desktop width) and once with the
system in dark mode (Material's slate palette). On each, for every figure:

- it renders: each drawing has a size, is visible and holds text; no text is drawn smaller
  than 12 px at desktop width; nothing in it is a raster image;
- at 390 px the page does not scroll sideways and the figure stays inside the screen (its
  drawing may scroll inside its own box, which must then scroll);
- every text is readable: the contrast of its fill against what is painted behind it (the
  box or heat cell it sits on, else the page's background) is at least 4.5:1, or 3:1 for
  large text (WCAG 2: 24 px, or 18.66 px bold), in light and in dark mode;
- axe-core finds no serious or critical violation inside the figures.

New figures are covered as they are added: the pages are found in the built site.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_lib import (
    AXE_JS,
    DESKTOP,
    PHONE,
    SitePage,
    Tab,
    check_requests,
    discover_pages,
    format_problems,
    open_page,
)

pytestmark = pytest.mark.browser

FIGURE = "figure.llm-figure"
NORMAL, LARGE = 4.5, 3.0  # WCAG 2 AA contrast for normal and for large text
MIN_FONT_PX = 12


def figure_pages(site: Path) -> list[SitePage]:
    """The pages whose built HTML holds at least one figure."""
    pages = []
    for page in discover_pages(site):
        html = site / page.path / "index.html"
        if 'class="llm-figure"' in html.read_text(encoding="utf-8"):
            pages.append(page)
    return pages


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "figure_page" in metafunc.fixturenames:
        # conftest's pytest_configure has checked that this names a built site
        pages = figure_pages(Path(os.environ["LLM_ATTENTION_SITE_DIR"]).resolve())
        metafunc.parametrize("figure_page", pages, ids=[p.id for p in pages])


@pytest.fixture(scope="module")
def light(browser: Any) -> Iterator[Tab]:
    tab = Tab(browser, PHONE)
    yield tab
    tab.close()


@pytest.fixture(scope="module")
def dark(browser: Any) -> Iterator[Tab]:
    tab = Tab(browser, DESKTOP, color_scheme="dark")
    yield tab
    tab.close()


# ---------------------------------------------------------------- what the checks run
RENDER_JS = """
([selector, minFont]) => {
  const problems = [];
  const figures = [...document.querySelectorAll(selector)];
  for (const fig of figures) {
    const name = `#${fig.id}`;
    const raster = fig.querySelectorAll("img, image, picture, canvas, object, embed, iframe");
    if (raster.length) {
      problems.push(`${name}: raster content: ${[...raster].map((el) => el.tagName).join(", ")}`);
    }
    const svgs = [...fig.querySelectorAll("svg.lf-svg")];
    if (!svgs.length) problems.push(`${name}: no svg.lf-svg`);
    for (const svg of svgs) {
      const box = svg.getBoundingClientRect();
      const visible = svg.checkVisibility({ opacityProperty: true, visibilityProperty: true });
      if (box.width < 1 || box.height < 1 || !visible) {
        problems.push(`${name}: a drawing is not visible (${Math.round(box.width)} x `
          + `${Math.round(box.height)} px, visible: ${visible})`);
      }
      const texts = [...svg.querySelectorAll("text")].filter((t) => t.textContent.trim());
      if (!texts.length) problems.push(`${name}: a drawing has no text`);
      for (const t of texts) {
        const ctm = t.getScreenCTM();
        const scale = ctm ? Math.hypot(ctm.a, ctm.b) : 1;
        const px = parseFloat(getComputedStyle(t).fontSize) * scale;
        if (px < minFont - 0.05) {
          problems.push(`${name}: ${JSON.stringify(t.textContent.trim())} is drawn at `
            + `${px.toFixed(1)} px, below ${minFont} px`);
        }
      }
    }
  }
  return { count: figures.length, problems };
}
"""

LAYOUT_JS = """
(selector) => {
  const problems = [];
  const doc = document.documentElement;
  const vw = doc.clientWidth;
  if (doc.scrollWidth > vw) {
    problems.push(`the page scrolls sideways: scrollWidth ${doc.scrollWidth} > width ${vw}`);
  }
  const inside = (box) => box.left >= -1 && box.right <= vw + 1;
  for (const fig of document.querySelectorAll(selector)) {
    const box = fig.getBoundingClientRect();
    if (!inside(box)) {
      problems.push(`#${fig.id} leaves the ${vw}px screen (left ${Math.round(box.left)}, `
        + `right ${Math.round(box.right)})`);
    }
    const scroller = fig.querySelector(".llm-figure__scroll");
    if (!scroller) { problems.push(`#${fig.id}: no .llm-figure__scroll`); continue; }
    const sbox = scroller.getBoundingClientRect();
    if (!inside(sbox)) problems.push(`#${fig.id}: its scroll box leaves the screen`);
    const scrolls = ["auto", "scroll"].includes(getComputedStyle(scroller).overflowX);
    for (const svg of scroller.querySelectorAll("svg")) {
      const r = svg.getBoundingClientRect();
      if ((r.right > sbox.right + 1 || r.left < sbox.left - 1) && !scrolls) {
        problems.push(`#${fig.id}: the drawing is wider than its box, which does not scroll`);
      }
    }
  }
  return problems;
}
"""

# The contrast of every text of every figure against what is painted behind it. What is
# behind a point is found by geometry, not by hit-testing (which needs the point on screen):
# the filled shapes drawn before the text (document order is paint order in SVG) that hold the
# point (isPointInFill), composited over the page's background; a pattern fill (the hatching of
# masked cells) is left out. Three points on the text's middle line are tried; the worst counts.
CONTRAST_JS = """
([selector, normal, large]) => {
  const problems = [];
  let checked = 0;
  const parse = (c) => {
    const m = /^rgba?\\(([^)]+)\\)$/.exec(c.trim());
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, alpha, bottom) => ({
    r: top.r * alpha + bottom.r * (1 - alpha),
    g: top.g * alpha + bottom.g * (1 - alpha),
    b: top.b * alpha + bottom.b * (1 - alpha),
  });
  const lum = (c) => {
    const ch = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const hex = (c) => "#" + [c.r, c.g, c.b]
    .map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
  const pageBackground = (el) => {
    const layers = [];
    for (let up = el; up; up = up.parentElement) {
      const c = parse(getComputedStyle(up).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let bg = { r: 255, g: 255, b: 255 };  // the canvas
    for (const c of layers.reverse()) bg = over(c, c.a, bg);
    return bg;
  };
  const alphaOf = (el, style) =>
    parseFloat(style.fillOpacity || "1") * parseFloat(style.opacity || "1");
  const shapesSel = "rect, circle, ellipse, polygon, path";
  for (const fig of document.querySelectorAll(selector)) {
    for (const svg of fig.querySelectorAll("svg")) {
      const base = pageBackground(svg.parentElement);
      const shapes = [...svg.querySelectorAll(shapesSel)]
        .filter((s) => !s.closest("defs, marker, pattern, clipPath, mask"));
      for (const t of svg.querySelectorAll("text")) {
        const content = t.textContent.trim();
        if (!content || t.closest("defs")) continue;
        const style = getComputedStyle(t);
        const ink = parse(style.fill);
        if (!ink) {
          problems.push(`#${fig.id} ${JSON.stringify(content)}: fill ${style.fill} is no colour`);
          continue;
        }
        const below = shapes.filter(
          (s) => s.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING);
        const box = t.getBoundingClientRect();
        let worst = null;
        for (const f of [0.2, 0.5, 0.8]) {
          const x = box.left + box.width * f;
          const y = box.top + box.height / 2;
          let bg = base;
          for (const s of below) {
            const ss = getComputedStyle(s);
            const fill = parse(ss.fill);
            if (!fill) continue;  // none, or a pattern
            const ctm = s.getScreenCTM();
            if (!ctm) continue;
            const local = new DOMPoint(x, y).matrixTransform(ctm.inverse());
            if (!s.isPointInFill(local)) continue;
            bg = over(fill, fill.a * alphaOf(s, ss), bg);
          }
          const fg = over(ink, ink.a * alphaOf(t, style), bg);
          const r = ratio(fg, bg);
          if (!worst || r < worst.r) worst = { r, fg, bg };
        }
        checked += 1;
        const ctm = t.getScreenCTM();
        const px = parseFloat(style.fontSize) * (ctm ? Math.hypot(ctm.a, ctm.b) : 1);
        const bold = parseInt(style.fontWeight, 10) >= 700;
        const isLarge = px >= 24 || (bold && px >= 18.66);
        const need = isLarge ? large : normal;
        if (worst.r < need) {
          problems.push(`#${fig.id} ${JSON.stringify(content)}: contrast `
            + `${worst.r.toFixed(2)}:1 < ${need}:1 (text ${hex(worst.fg)} on ${hex(worst.bg)}, `
            + `${px.toFixed(1)} px${bold ? " bold" : ""}, class ${t.getAttribute("class")})`);
        }
      }
    }
  }
  return { checked, problems };
}
"""

AXE_FIGURES_JS = """
async (selector) => {
  const result = await axe.run({ include: [[selector]] }, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `axe ${v.impact} ${v.id} (${v.help}): `
      + v.nodes.slice(0, 4).map((n) => n.target.join(" ")).join("; "));
}
"""


def check_render(tab: Tab) -> tuple[int, list[str]]:
    res = tab.page.evaluate(RENDER_JS, [FIGURE, MIN_FONT_PX])
    return res["count"], list(res["problems"])


def check_contrast(tab: Tab) -> tuple[int, list[str]]:
    res = tab.page.evaluate(CONTRAST_JS, [FIGURE, NORMAL, LARGE])
    return res["checked"], list(res["problems"])


def check_axe(tab: Tab) -> list[str]:
    if not tab.page.evaluate("() => typeof axe !== 'undefined'"):
        tab.page.add_script_tag(path=str(AXE_JS))
    return list(tab.page.evaluate(AXE_FIGURES_JS, FIGURE))


def expected_count(site_root: Path, figure_page: SitePage) -> int:
    html = (site_root / figure_page.path / "index.html").read_text(encoding="utf-8")
    return html.count('class="llm-figure"')


# ---------------------------------------------------------------- the tests
def test_the_site_has_figures_in_both_languages(site_root: Path) -> None:
    pages = figure_pages(site_root)
    for lang in ("en", "zh"):
        assert any(p.lang == lang and p.rel.startswith("chapter/") for p in pages), (
            f"no chapter page in {lang} has a figure.llm-figure"
        )


def test_figures_in_light_mode_and_at_phone_width(
    light: Tab, base_url: str, site_root: Path, figure_page: SitePage
) -> None:
    page = light.page
    page.set_viewport_size(PHONE)
    open_page(page, light.rec, base_url + figure_page.path)
    problems = [f"at 390 px: {p}" for p in page.evaluate(LAYOUT_JS, FIGURE)]
    page.set_viewport_size(DESKTOP)
    count, found = check_render(light)
    problems += found
    want = expected_count(site_root, figure_page)
    if count != want:
        problems.append(f"the browser shows {count} figures, the HTML has {want}")
    checked, found = check_contrast(light)
    problems += [f"light: {p}" for p in found]
    if not checked:
        problems.append("no figure text was checked for contrast")
    problems += [f"light: {p}" for p in check_axe(light)]
    problems += check_requests(light.rec)
    assert not problems, format_problems(f"figures on {figure_page.path}", problems)


def test_figures_in_dark_mode(dark: Tab, base_url: str, figure_page: SitePage) -> None:
    page = dark.page
    open_page(page, dark.rec, base_url + figure_page.path)
    scheme = page.evaluate("() => document.body.getAttribute('data-md-color-scheme')")
    assert scheme == "slate", f"dark mode did not switch the palette to slate: {scheme!r}"
    count, problems = check_render(dark)
    if not count:
        problems.append("no figure found")
    checked, found = check_contrast(dark)
    problems += [f"dark: {p}" for p in found]
    if not checked:
        problems.append("no figure text was checked for contrast")
    problems += [f"dark: {p}" for p in check_axe(dark)]
    problems += check_requests(dark.rec)
    assert not problems, format_problems(f"figures on {figure_page.path} in dark mode", problems)
