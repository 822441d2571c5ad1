"""MkDocs hook: check that the installed Material still has what the site's search worker uses.

The site's search (one language per search, Chinese queries cut into words, a glossary term's
section first) is ``docs/assets/javascripts/workers/language-search.js``. It is a search worker
in Material's sense: ``overrides/main.html`` names it in the ``search`` key of Material's
configuration (the ``config`` block), the one setting Material 9 gives for a custom search, and
it runs Material's own worker inside itself, changing the messages both ways. Material has no
public hook for the index, the query or the result (no option, no block, no JavaScript API:
``document$``, ``location$`` and ``component$`` carry pages and components, not search
messages), so this is the narrowest place to make these changes, but it depends on things that
a Material release may change without notice:

- the ``config`` block of ``base.html`` holds Material's configuration as JSON in
  ``<script id="__config">``, read by the bundle when it starts, with the worker's URL under
  ``search``; the bundle starts the worker named there;
- the messages (``SearchMessage``): type 0 sets up with ``data.docs``, a list of documents with
  ``location`` and ``tags``; type 2 is a query with ``data`` a string; type 3 is a result with
  ``data.items``, a list of lists of documents;
- Material's worker listens with the global ``addEventListener("message")``, answers with the
  global ``postMessage`` and loads lunr's language scripts from ``"../lunr"``, relative to the
  worker's URL (so ``language-search.js`` sits next to it, in ``assets/javascripts/workers/``).

``on_config`` reads these from the installed Material (its ``base.html``, its minified worker
and the sources in its source maps) and stops the build with a :class:`MaterialChangedError` that
names what changed and what to do, instead of a search that silently stops keeping to one
language or putting the term's section first. ``tests/test_material_guards.py`` makes each
check fire on a doctored copy of Material's files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

WORKER = "docs/assets/javascripts/workers/language-search.js"
WORKERS_DIR = "assets/javascripts/workers"


class MaterialChangedError(PluginError):
    """Material's files no longer have something the site's search worker relies on."""


@dataclass(frozen=True)
class Expect:
    """One fact about Material's files: ``pattern`` is found in ``where``."""

    where: str  # "base.html", "worker" (the minified worker) or a source path in a source map
    pattern: str  # a regular expression, searched with re.S
    means: str  # what language-search.js or overrides/main.html relies on, in words


MESSAGE = "src/templates/assets/javascripts/integrations/search/worker/message/index.ts"
SETUP = "src/templates/assets/javascripts/integrations/search/worker/_/index.ts"
SEARCH = "src/templates/assets/javascripts/integrations/search/_/index.ts"
CONFIG = "src/templates/assets/javascripts/integrations/search/config/index.ts"
APP_CONFIG = "src/templates/assets/javascripts/_/index.ts"
SEARCH_COMPONENT = "src/templates/assets/javascripts/components/search/_/index.ts"

EXPECTED = [
    Expect(
        "base.html",
        r"\{%\s*block config\s*%\}.*<script id=\"__config\" type=\"application/json\">.*"
        r"\"search\":\s*\"assets/javascripts/workers/search\.[0-9a-f]+\.min\.js\"\s*\|\s*url",
        'the config block writes Material\'s configuration into <script id="__config">, '
        'with the search worker\'s URL under "search" (overrides/main.html replaces it)',
    ),
    Expect(
        APP_CONFIG,
        r"getElement\(\"#__config\"\).*JSON\.parse\(script\.textContent",
        'the bundle reads its configuration from <script id="__config"> when it starts',
    ),
    Expect(
        SEARCH_COMPONENT,
        r"setupSearchWorker\(config\.search\b",
        'the bundle starts the search worker named by the configuration\'s "search"',
    ),
    Expect(
        MESSAGE,
        r"enum SearchMessageType \{\s*SETUP,[^}]*?\bREADY,[^}]*?\bQUERY,[^}]*?\bRESULT\b[^,}]*\}",
        "the message types are numbered SETUP 0, READY 1, QUERY 2, RESULT 3",
    ),
    Expect(
        MESSAGE,
        r"interface SearchSetupMessage \{[^}]*data: SearchIndex\b",
        "a setup message's data is the search index",
    ),
    Expect(
        MESSAGE,
        r"interface SearchQueryMessage \{[^}]*data: string\b",
        "a query message's data is the query, a string",
    ),
    Expect(
        MESSAGE,
        r"interface SearchResultMessage \{[^}]*data: SearchResult\b",
        "a result message's data is a SearchResult",
    ),
    Expect(
        SETUP,
        r"type: SearchMessageType\.SETUP,\s*data: \{\s*config,\s*docs,",
        "the page sends the index's documents as data.docs of the setup message",
    ),
    Expect(
        CONFIG,
        r"interface SearchDocument \{[^}]*location: string[^}]*tags\?: string\[\]",
        "a search document has a location and a list of tags",
    ),
    Expect(
        SEARCH,
        r"interface SearchResult \{[^}]*items: SearchItem\[\]\[\]",
        "a result's items are a list of lists of documents, one list per page",
    ),
    Expect(
        "worker",
        r"(?<![.\w])addEventListener\(\"message\",",
        "Material's worker listens with the worker's global addEventListener",
    ),
    Expect(
        "worker",
        r"(?<![.\w])postMessage\(",
        "Material's worker answers with the worker's global postMessage",
    ),
    Expect(
        "worker",
        r"\"\.\./lunr\"",
        "Material's worker loads lunr's language scripts from \"../lunr\", relative to the "
        "worker's URL (language-search.js sits next to Material's worker for this)",
    ),
]


def material_templates(config: Any) -> Path:
    """The folder of Material's own templates and assets (not the site's overrides)."""
    for folder in config["theme"].dirs:
        path = Path(folder)
        if (path / "base.html").is_file() and (path / WORKERS_DIR).is_dir():
            return path
    raise MaterialChangedError(
        f"no theme folder of this build has base.html and {WORKERS_DIR}/: is the theme still "
        f"Material for MkDocs? The site's search worker ({WORKER}) runs Material's."
    )


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    if len(found) != 1:
        raise MaterialChangedError(
            f"expected one {folder / pattern} in Material's files, found {len(found)}: "
            f"{[p.name for p in found]}"
        )
    return found[0]


def map_sources(map_file: Path) -> dict[str, str]:
    """``{source path: source text}`` of a source map's ``sourcesContent``."""
    data = json.loads(map_file.read_text(encoding="utf-8"))
    contents = data.get("sourcesContent") or []
    return {
        src: text
        for src, text in zip(data.get("sources", []), contents, strict=False)
        if isinstance(text, str)
    }


def material_texts(templates: Path) -> dict[str, str]:
    """The texts :data:`EXPECTED` names: base.html, the minified worker, the maps' sources."""
    worker = _one(templates / WORKERS_DIR, "search.*.min.js")
    bundle = _one(templates / "assets" / "javascripts", "bundle.*.min.js")
    texts: dict[str, str] = {}
    for js in (bundle, worker):
        map_file = js.with_name(js.name + ".map")
        if not map_file.is_file():
            raise MaterialChangedError(
                f"Material ships no source map {map_file.name}: the build cannot check the "
                f"search protocol the site's search worker ({WORKER}) relies on"
            )
        for src, text in map_sources(map_file).items():
            texts[re.sub(r"^(\.\./)+", "", src)] = text
    texts["base.html"] = (templates / "base.html").read_text(encoding="utf-8")
    texts["worker"] = worker.read_text(encoding="utf-8")
    return texts


def problems(texts: dict[str, str], expected: list[Expect] = EXPECTED) -> list[str]:
    """Each expected fact that Material's files no longer show, in words."""
    found = []
    for fact in expected:
        text = texts.get(fact.where)
        if text is None:
            found.append(f"{fact.where} is gone; it showed that {fact.means}")
        elif not re.search(fact.pattern, text, re.S):
            found.append(f"{fact.where} no longer shows that {fact.means}")
    return found


def check(templates: Path) -> None:
    """Raise :class:`MaterialChangedError` unless the files in ``templates`` show every fact."""
    found = problems(material_texts(templates))
    if found:
        import material  # the installed Material, for its version

        version = getattr(material, "__version__", "?")
        raise MaterialChangedError(
            f"Material for MkDocs {version} changed what the site's search worker ({WORKER}) "
            f"relies on:\n  - "
            + "\n  - ".join(found)
            + f"\nRead the changed sources (Material's {templates}/, and the sources in its "
            "source maps), adapt language-search.js and the config block of overrides/main.html, "
            "run tests/browser/test_search_ranking.py, then update EXPECTED in "
            "tools/hooks/search_worker.py. Or pin the Material version that works "
            "(CONTRIBUTING.md, 'The docs stack')."
        )


_CHECKED: set[Path] = set()  # mkdocs-static-i18n runs on_config once per language


def on_config(config: Any) -> Any:
    ours = Path(config["docs_dir"]) / WORKERS_DIR / Path(WORKER).name
    if not ours.is_file():
        raise PluginError(
            f"{ours} is missing: overrides/main.html names it as Material's search worker, and "
            f"it must sit in {WORKERS_DIR}/, next to Material's (see {WORKER})"
        )
    templates = material_templates(config)
    if templates not in _CHECKED:
        check(templates)
        _CHECKED.add(templates)
    return config
