// Site behaviour that the theme does not provide. Everything here runs from the site itself.

// Typeset math with KaTeX (served from assets/vendor) after every page load,
// including Material's instant navigation.
function typesetMath() {
  if (typeof renderMathInElement !== "function") return;
  renderMathInElement(document.body, {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    throwOnError: false,
    ignoredClasses: ["highlight", "jp-CodeCell", "md-search"],
  });
}

// Keep the reader's section when switching language: the language links point to the
// same page in the other language; carry the #anchor along (both languages use the same ids).
function keepAnchorOnLanguageSwitch() {
  document.querySelectorAll("a.md-select__link[hreflang]").forEach((link) => {
    link.addEventListener("click", (event) => {
      if (!location.hash) return;
      const target = new URL(link.href, location.href);
      target.hash = location.hash;
      event.preventDefault();
      location.href = target.toString();
    });
  });
}

// Give the search dialog a name: Material marks it role="dialog" without one, so screen
// readers announce a nameless dialog. Use the theme's own (translated) word for search.
function nameSearchDialog() {
  const dialog = document.querySelector(".md-search[role=dialog]");
  if (!dialog || dialog.hasAttribute("aria-label")) return;
  const options = document.querySelector(".md-search__options[aria-label]");
  dialog.setAttribute("aria-label", options ? options.getAttribute("aria-label") : "Search");
}

// A box that scrolls sideways (notebook code cells and outputs, wide formulas and figures)
// must be reachable from the keyboard, or keyboard users cannot scroll it. Material does this
// for its own code blocks; do the same for the rest, whenever the box's size changes.
const SCROLL_BOXES = [
  ".jupyter-wrapper .highlight-ipynb",
  ".jupyter-wrapper .jp-OutputArea-output pre",
  ".md-typeset div.arithmatex",
  ".md-typeset .attention-figure",
  ".md-typeset .md-typeset__scrollwrap", // Material's wrapper around a wide table
].join(", ");

const scrollBoxObserver =
  typeof ResizeObserver === "function"
    ? new ResizeObserver((entries) => entries.forEach((entry) => markScrollable(entry.target)))
    : null;

function markScrollable(box) {
  if (box.scrollWidth > box.clientWidth + 1) {
    box.setAttribute("tabindex", "0");
  } else if (box.getAttribute("tabindex") === "0") {
    box.removeAttribute("tabindex");
  }
}

function focusableScrollBoxes() {
  document.querySelectorAll(SCROLL_BOXES).forEach((box) => {
    markScrollable(box);
    if (scrollBoxObserver) scrollBoxObserver.observe(box);
  });
  // the math fonts arrive later and widen formulas inside boxes whose size stays the same
  if (document.fonts) {
    document.fonts.ready.then(() => document.querySelectorAll(SCROLL_BOXES).forEach(markScrollable));
  }
}

function onPage() {
  typesetMath();
  keepAnchorOnLanguageSwitch();
  nameSearchDialog();
  focusableScrollBoxes(); // after typesetting: formulas change size
}

if (typeof document$ !== "undefined") {
  document$.subscribe(onPage);
} else {
  document.addEventListener("DOMContentLoaded", onPage);
}
