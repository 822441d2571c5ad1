"""The build-time guards on the two places the site relies on Material's private parts.

- ``tools/hooks/search_worker.py`` checks that Material still has what the site's search worker
  (``docs/assets/javascripts/workers/language-search.js``) relies on: the ``search`` key of its
  configuration, the search messages, its worker's globals and its ``"../lunr"``.
- ``tools/hooks/site_assets.py`` checks that Material's bundle still holds the CDN fallback URLs
  it points at an empty script, and no other URL it does not account for.

Each guard passes on the installed Material and fires, naming what changed, on a doctored copy
of Material's files.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

# the guards read the installed Material's files: only where the docs are built
material = pytest.importorskip("material")

import search_worker  # noqa: E402
import site_assets  # noqa: E402
from search_worker import EXPECTED, Expect, MaterialChangedError  # noqa: E402

TEMPLATES = Path(material.__file__).parent / "templates"
SCRIPTS = TEMPLATES / "assets" / "javascripts"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the Material files the guards read: base.html, the bundle, the worker, maps."""
    (tmp_path / "assets" / "javascripts" / "workers").mkdir(parents=True)
    shutil.copy(TEMPLATES / "base.html", tmp_path / "base.html")
    for pattern in ("bundle.*.min.js*", "workers/search.*.min.js*"):
        for file in SCRIPTS.glob(pattern):
            shutil.copy(file, tmp_path / "assets" / "javascripts" / file.relative_to(SCRIPTS))
    return tmp_path


def one(folder: Path, pattern: str) -> Path:
    (found,) = folder.glob(pattern)
    return found


def edit_map_source(map_file: Path, source_end: str, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in the source ending in ``source_end`` of a source map."""
    data = json.loads(map_file.read_text(encoding="utf-8"))
    (i,) = [i for i, src in enumerate(data["sources"]) if src.endswith(source_end)]
    assert old in data["sourcesContent"][i], (source_end, old)
    data["sourcesContent"][i] = data["sourcesContent"][i].replace(old, new)
    map_file.write_text(json.dumps(data), encoding="utf-8")


# ---------------------------------------------------------------- the search worker's guard
def test_installed_material_has_what_the_search_worker_relies_on() -> None:
    texts = search_worker.material_texts(TEMPLATES)
    assert search_worker.problems(texts) == []
    search_worker.check(TEMPLATES)


FACT_IDS = [f"{i}-{fact.where.split('/')[-2:][0]}" for i, fact in enumerate(EXPECTED)]


@pytest.mark.parametrize("fact", EXPECTED, ids=FACT_IDS)
def test_each_fact_fires_when_its_text_changes(fact: Expect) -> None:
    """Remove what one fact matches from Material's texts: the problems name that fact."""
    texts = search_worker.material_texts(TEMPLATES)
    texts[fact.where] = re.sub(fact.pattern, "", texts[fact.where], flags=re.S)
    found = search_worker.problems(texts)
    assert any(fact.means in problem for problem in found), found


def test_fires_when_the_message_types_are_renumbered(copy: Path) -> None:
    """A Material whose QUERY and RESULT swap numbers stops the build, saying so."""
    map_file = one(copy / "assets" / "javascripts", "bundle.*.min.js.map")
    edit_map_source(
        map_file,
        "integrations/search/worker/message/index.ts",
        "  QUERY,                               /* Search query */\n"
        "  RESULT                               /* Search results */",
        "  RESULT,                              /* Search results */\n"
        "  QUERY                                /* Search query */",
    )
    with pytest.raises(MaterialChangedError, match=r"numbered SETUP 0, READY 1, QUERY 2, RESULT 3"):
        search_worker.check(copy)


def test_fires_when_the_worker_key_is_renamed(copy: Path) -> None:
    base = copy / "base.html"
    text = base.read_text(encoding="utf-8")
    base.write_text(text.replace('"search": "assets', '"worker": "assets'))
    with pytest.raises(
        MaterialChangedError, match=r"base\.html no longer shows that the config block"
    ):
        search_worker.check(copy)


def test_fires_when_the_worker_loads_lunr_from_elsewhere(copy: Path) -> None:
    worker = one(copy / "assets" / "javascripts" / "workers", "search.*.min.js")
    worker.write_text(worker.read_text(encoding="utf-8").replace('"../lunr"', '"./lunr"'))
    with pytest.raises(MaterialChangedError, match=r'worker no longer shows .*"\.\./lunr"'):
        search_worker.check(copy)


def test_fires_when_material_ships_no_source_map(copy: Path) -> None:
    one(copy / "assets" / "javascripts" / "workers", "search.*.min.js.map").unlink()
    with pytest.raises(MaterialChangedError, match=r"ships no source map"):
        search_worker.check(copy)


def test_the_build_stops_without_the_sites_worker(tmp_path: Path) -> None:
    """A docs folder without language-search.js in assets/javascripts/workers/ stops the build."""
    with pytest.raises(search_worker.PluginError, match=r"language-search\.js is missing"):
        search_worker.on_config({"docs_dir": str(tmp_path)})


# ---------------------------------------------------------------- the CDN fallbacks' guard
def test_installed_material_bundle_names_only_known_urls() -> None:
    site_assets.check_material_urls(SCRIPTS)


def test_fires_when_a_fallback_url_changes(copy: Path) -> None:
    """A new mermaid fallback URL: the old one is missing, and the new one is unknown."""
    bundle = one(copy / "assets" / "javascripts", "bundle.*.min.js")
    old = site_assets.MATERIAL_FALLBACKS[0]
    new = old.replace("mermaid@11", "mermaid@12")
    bundle.write_text(bundle.read_text(encoding="utf-8").replace(old, new))
    with pytest.raises(site_assets.MaterialChangedError) as raised:
        site_assets.check_material_urls(copy / "assets" / "javascripts")
    message = str(raised.value)
    assert f"the bundle no longer contains {old}" in message
    assert f"names {new}, which this hook does not know" in message


def test_fires_on_a_new_url_in_the_search_worker(copy: Path) -> None:
    worker = one(copy / "assets" / "javascripts" / "workers", "search.*.min.js")
    url = "https://cdn.jsdelivr.net/npm/lunr-languages/min/lunr.zh.min.js"
    worker.write_text(worker.read_text(encoding="utf-8") + f'\nimportScripts("{url}");\n')
    with pytest.raises(site_assets.MaterialChangedError, match=re.escape(f"names {url}")):
        site_assets.check_material_urls(copy / "assets" / "javascripts")


def test_the_edit_leaves_no_fallback_url(copy: Path) -> None:
    """On a copy of the bundle and its map, the edit replaces every fallback URL."""
    scripts = copy / "assets" / "javascripts"
    assert site_assets.point_fallbacks_at_empty_script(scripts) == 2  # the bundle and its map
    for file in scripts.glob("bundle.*"):
        text = file.read_text(encoding="utf-8")
        assert not [url for url in site_assets.MATERIAL_FALLBACKS if url in text], file.name
        assert site_assets.EMPTY_SCRIPT in text
    # a second run finds nothing left to change (mkdocs-static-i18n runs it once per language)
    assert site_assets.point_fallbacks_at_empty_script(scripts) == 0
