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

function onPage() {
  typesetMath();
  keepAnchorOnLanguageSwitch();
}

if (typeof document$ !== "undefined") {
  document$.subscribe(onPage);
} else {
  document.addEventListener("DOMContentLoaded", onPage);
}
