"""MkDocs hook: a "page not found" page in each language, ``404.html`` and ``zh/404.html``.

MkDocs renders the theme's ``404.html`` once per build, and mkdocs-static-i18n runs one build
per language into the same ``site_dir`` (``i18n_order.py``): left alone, the Chinese build
overwrites the English ``404.html``, and its language selector keeps the links of the last
page built (a notebook). This hook:

- gives ``overrides/404.html`` what it needs: ``not_found.lang``, ``not_found.home`` (this
  language's home page), and for the default
  language the other languages' folders and 404 pages (``not_found.others``), so that the
  root 404 page can send a reader who mistyped an address below ``zh/`` to ``zh/404.html``;
  the language selector of a 404 page leads to each language's home page;
- writes every other language's 404 page to ``<lang>/404.html`` and leaves ``404.html`` as
  the default language's build wrote it.

GitHub Pages answers every missing address with the site's root ``404.html``; the script in
``overrides/404.html`` is what makes ``zh/...`` addresses get the Chinese page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import i18n_order

TEMPLATE = "404.html"


def _roots(config: Any) -> list[dict[str, str]]:
    """Each built language's home page: ``{"lang", "name", "link"}``, the default first."""
    base = urlsplit(config["site_url"] or "/").path.rstrip("/")
    plugin = i18n_order.plugin(config)
    by_locale = {lang.locale: lang for lang in plugin.config.languages}
    roots = []
    for locale in i18n_order.languages(config):
        lang = by_locale[locale]
        roots.append({"lang": locale, "name": lang.name, "link": f"{base}{lang.link}"})
    return roots


def on_template_context(context: dict[str, Any], template_name: str, config: Any) -> Any:
    if template_name != TEMPLATE:
        return context
    lang = i18n_order.current_language(config)
    roots = _roots(config)
    # The language selector: Material's partials/alternate.html reads config.extra.alternate,
    # which mkdocs-static-i18n sets per page as an attribute of config.extra (shadowing the
    # dict item in templates) and leaves at the last page's links: set both.
    alternate = [dict(root) for root in roots]
    config["extra"]["alternate"] = alternate
    config["extra"].alternate = alternate
    others = []
    if lang == i18n_order.default_language(config):
        others = [
            {"lang": r["lang"], "root": r["link"], "page": r["link"] + TEMPLATE}
            for r in roots
            if r["lang"] != lang
        ]
    home = next(r["link"] for r in roots if r["lang"] == lang)
    context["not_found"] = {"lang": lang, "home": home, "others": others}
    return context


def on_post_template(output: str, template_name: str, config: Any) -> str:
    if template_name != TEMPLATE:
        return output
    lang = i18n_order.current_language(config)
    if lang == i18n_order.default_language(config):
        return output
    target = i18n_order.language_dir(config, lang) / TEMPLATE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(output, encoding="utf-8")
    # MkDocs writes the returned text to site_dir/404.html: give it back the default
    # language's page, which the first build wrote there
    root_page = Path(config["site_dir"]) / TEMPLATE
    return root_page.read_text(encoding="utf-8") if root_page.is_file() else output
