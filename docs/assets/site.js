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

// Search in Chinese: the index holds words (jieba segments the text at build time), and
// Material's search worker splits the Chinese of a query into index words itself, but it
// never finds the last word of a run of Chinese characters, so 注意力权重 is searched as
// 注意力 alone. Split Chinese runs into words with the browser's own segmenter before the
// query reaches the worker; the worker then gets one word per run. Runs of one-character
// segments stay together (the segmenter cuts words it does not know, like 权重, into
// characters; the worker matches such a run against the index as a whole).
// Material 9 has no query-transform hook; a query is the worker message {type: 2, data}.
function segmentChinese(query) {
  if (typeof Intl === "undefined" || typeof Intl.Segmenter !== "function") return query;
  const segmenter = new Intl.Segmenter("zh", { granularity: "word" });
  return query.replace(/\p{sc=Han}+/gu, (run) => {
    const words = [];
    for (const { segment } of segmenter.segment(run)) {
      const last = words.length - 1;
      if (segment.length === 1 && last >= 0 && words[last].single) {
        words[last].text += segment;
      } else {
        words.push({ text: segment, single: segment.length === 1 });
      }
    }
    return words.map((word) => word.text).join(" ");
  });
}

if (typeof Worker === "function") {
  const postMessage = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (message, ...rest) {
    if (message && message.type === 2 && typeof message.data === "string") {
      message = { ...message, data: segmentChinese(message.data) };
    }
    return postMessage.call(this, message, ...rest);
  };
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
