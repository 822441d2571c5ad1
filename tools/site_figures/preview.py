"""Preview figures without building the site: run an example file, draw, screenshot.

    .venv/bin/python tools/site_figures/preview.py OUT examples/ch3_3_simplified_attention.py \\
        'ch3_3.figure_3_7(inputs, attn_scores_2, EXAMPLE_TOKENS, lang)' [more calls...]

Each call is evaluated in the example's namespace once per language (``lang`` is
``"en"`` or ``"zh"``). OUT gets ``preview.html`` and screenshots at 900 px and 390 px,
light and dark, per language (Chromium via playwright). The site's stylesheet is used,
so the colours are the site's; the real check is still the built site.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
:root {{ --md-default-bg-color: #ffffff; --md-default-fg-color--light: #555; }}
[data-md-color-scheme="slate"] {{ --md-default-bg-color: #1e2129;
  --md-default-fg-color--light: #aaa; }}
body {{ font-family: sans-serif; margin: 0; padding: 12px; background: var(--md-default-bg-color);
  color: #222; }}
[data-md-color-scheme="slate"] body, body[data-md-color-scheme="slate"] {{ color: #ddd; }}
main {{ max-width: 44rem; margin: 0 auto; }}
</style><style>{css}</style></head>
<body data-md-color-scheme="{scheme}"><main class="md-typeset">{body}</main></body></html>"""


def main() -> None:
    out, example, *calls = sys.argv[1:]
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.redirect_stdout(io.StringIO()):
        namespace = runpy.run_path(str(ROOT / example))
    modules = {name: importlib.import_module(f"site_figures.{name}") for name in _modules(calls)}
    css = (ROOT / "docs/assets/site.css").read_text(encoding="utf-8")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        for lang in ("en", "zh"):
            body = "".join(
                str(eval(call, {**namespace, **modules, "lang": lang})) for call in calls
            )
            for scheme in ("default", "slate"):
                html = PAGE.format(lang=lang, css=css, scheme=scheme, body=body)
                path = out_dir / f"preview-{lang}-{scheme}.html"
                path.write_text(html, encoding="utf-8")
                for width in (900, 390):
                    page = browser.new_page(viewport={"width": width, "height": 800})
                    page.goto(path.as_uri())
                    overflow = page.evaluate(
                        "document.documentElement.scrollWidth"
                        " > document.documentElement.clientWidth"
                    )
                    shot = out_dir / f"{lang}-{scheme}-{width}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    print(shot, "page overflows sideways!" if overflow else "")
                    page.close()
        browser.close()


def _modules(calls: list[str]) -> set[str]:
    return {call.split(".", 1)[0] for call in calls if "." in call.split("(", 1)[0]}


if __name__ == "__main__":
    main()
