"""The order in which mkdocs-static-i18n runs a build, written down once for the hooks.

Measured on mkdocs-static-i18n 1.3.1 with MkDocs 1.6.1 (``plugin.py``'s ``on_config`` and
``on_post_build``, and a probe hook that logged every event; tests/test_i18n_order.py checks
the facts the hooks rely on against the installed plugin). One ``mkdocs build`` is one MkDocs
build per language, the second nested inside the first:

1. The default language (``en``) runs every event, ``on_config`` to ``on_post_build``. On the
   very first ``on_config``, hooks that run before the plugin's own (priority -100) see no
   current language yet (``None``).
2. The plugin's ``on_post_build`` (priority -100, so after every hook at the default priority
   0) calls ``mkdocs.commands.build.build`` again for each other language (``zh``), with the
   same config object: every event runs again, ``on_config`` and ``on_pre_build`` included,
   with ``current_language == "zh"`` and ``building`` set. ``site_dir`` stays the site's root
   (the Chinese pages are written below ``zh/`` by their destination paths) and is not
   cleaned in between.
3. In that nested build, ``on_post_build`` sees the search index of the Chinese pages only;
   the plugin's own step returns at once.
4. Back in the default language's ``on_post_build``, the plugin merges both builds' search
   entries and writes the index again, clears ``building``, and returns. Hooks with a priority
   below -100 (:data:`AFTER_EVERY_LANGUAGE`) then run once more, and only now is the whole
   site there: every language's pages and the merged index. The current language is still the
   last one built (``zh``), not the default.

So: a per-page event (``on_page_markdown``, ``on_page_content``) asks
:func:`current_language`; an ``on_config`` / ``on_pre_build`` step runs once per language and
must be idempotent; work on the finished site runs at :data:`AFTER_EVERY_LANGUAGE` and returns
early unless :func:`site_is_complete`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PLUGIN = "i18n"
MEASURED_ON = "1.3.1"  # mkdocs-static-i18n
# The plugin's on_post_build, which builds the other languages, runs at this priority.
PLUGIN_POST_BUILD_PRIORITY = -100
# An on_post_build at this priority runs after the plugin's: see site_is_complete.
AFTER_EVERY_LANGUAGE = -200


def plugin(config: Any) -> Any:
    """The mkdocs-static-i18n plugin of this build."""
    return config.plugins[PLUGIN]


def current_language(config: Any) -> str:
    """The language whose pages are being built (per-page events)."""
    lang = plugin(config).current_language
    if lang is None:  # only in the first on_config, before the plugin's own
        return str(plugin(config).default_language)
    return str(lang)


def default_language(config: Any) -> str:
    return str(plugin(config).default_language)


def languages(config: Any) -> list[str]:
    """Every language built, the default first."""
    built = list(plugin(config).build_languages)
    default = default_language(config)
    return [default, *(lang for lang in built if lang != default)]


def language_dir(config: Any, lang: str) -> Path:
    """Where ``lang``'s pages are written: the site's root for the default, ``zh/`` else."""
    site_dir = Path(config["site_dir"])
    return site_dir if lang == default_language(config) else site_dir / lang


def site_is_complete(config: Any) -> bool:
    """In an ``on_post_build`` at :data:`AFTER_EVERY_LANGUAGE`: whether this is the last one.

    True once per ``mkdocs build``: in the default language's step, after the other languages
    were built and the search index merged. False in the nested builds' steps.
    """
    return not plugin(config).building
