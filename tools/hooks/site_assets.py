"""MkDocs hook: the front-end assets the site serves itself, and nothing from a CDN.

The site promises readers that every page works offline and behind the Great Firewall: KaTeX
and mermaid are served from ``assets/vendor/``, never from a CDN. They come from the npm
registry (pinned in ``package-lock.json``) and are copied out of ``node_modules/`` by this hook,
so a plain ``mkdocs build --strict`` needs no separate step:

- ``on_config``: make ``docs/assets/vendor/`` hold exactly the pinned files. When
  ``node_modules/`` is missing or holds other versions than ``package-lock.json`` pins, run
  ``npm ci`` first (set ``LLM_ATTENTION_NO_NPM=1`` to forbid that). Without npm, fail at once,
  before any page is built, with the commands that fetch the assets. Then check that every
  ``extra_css`` / ``extra_javascript`` entry is a file of the site: a missing one 404s on every
  page, and MkDocs does not warn (Material then silently loads mermaid from a CDN).
- ``on_post_page``: drop the two scripts the notebook pages would load from a CDN: the mermaid
  loader nbconvert puts into every notebook page (it imports mermaid from cdnjs; the notebooks
  draw no diagrams, the site's own mermaid draws the pages'), and the MathJax script
  mkdocs-jupyter adds (``custom_mathjax_url`` in mkdocs.yml names a file that does not exist,
  so the tag is easy to find; KaTeX, served by the site, typesets math on every page).
- ``on_post_build``: point Material's two CDN fallbacks (mermaid from unpkg when no ``mermaid``
  is loaded, a ResizeObserver polyfill from unpkg for browsers without one) at an empty script,
  so the built site names no CDN and a missing vendored file shows as an undrawn diagram,
  which the browser suite reports, instead of a request to a CDN.

That last step edits Material's minified bundle, a private part of Material, because nothing
public does the same: Material has no option for these two URLs (its issue #7965, "local
hosting of JavaScript dependencies", is open); its privacy plugin, the documented way to
self-host external assets, downloads them at build time (the build must work offline), would
serve unpkg's latest mermaid 11 beside the pinned one, and does not match the polyfill's URL,
which has no ``.js``. Without the edit the site would still make no CDN request in practice:
Material loads mermaid from unpkg only when no ``mermaid`` global exists when a diagram is
drawn (the vendored file, in ``extra_javascript``, defines it), and the polyfill only in a
browser without ResizeObserver. But "no request leaves the site" is what readers behind the
Great Firewall and offline need, and the edit keeps it even when the vendored mermaid fails to
load. So the edit stays, guarded: ``on_config`` checks Material's own bundle before anything is
built (:func:`check_material_urls`): every URL of ``MATERIAL_FALLBACKS`` must be in it (an
edit that matches nothing would otherwise pass silently), and every other ``http(s)://`` URL in
the bundle and the search worker must be one of ``MATERIAL_URLS_NOT_LOADED``, each with the
reason it is not fetched, so a fallback a new Material adds stops the build with what to do.

``python tools/hooks/site_assets.py`` does the ``on_config`` step alone.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.site_assets")

VENDOR = "assets/vendor"  # below docs_dir, and so below the built site's root
# (package, file or folder in node_modules/<package>/, path below assets/vendor/)
COPIES = [
    ("katex", "dist/katex.min.js", "katex/katex.min.js"),
    ("katex", "dist/katex.min.css", "katex/katex.min.css"),
    ("katex", "dist/contrib/auto-render.min.js", "katex/contrib/auto-render.min.js"),
    ("katex", "dist/fonts", "katex/fonts"),
    ("katex", "LICENSE", "katex/LICENSE"),
    ("mermaid", "dist/mermaid.min.js", "mermaid/mermaid.min.js"),
    ("mermaid", "LICENSE", "mermaid/LICENSE"),
]
NO_NPM = "LLM_ATTENTION_NO_NPM"
EMPTY_SCRIPT = "data:text/javascript,"
# Material 9.8's fallbacks, loaded only when the page lacks what they provide; on_post_build
# points them at EMPTY_SCRIPT
MATERIAL_FALLBACKS = (
    "https://unpkg.com/mermaid@11/dist/mermaid.min.js",
    "https://unpkg.com/resize-observer-polyfill",
)
# The other URLs in Material 9.8's bundle and search worker, and why this site never fetches
# them. A URL missing here stops the build (check_material_urls).
MATERIAL_URLS_NOT_LOADED = {
    "https://api.github.com/repos/": "the repository's stars and forks for the header, fetched "
    "only when repo_url names a GitHub repository (the browser suite reports the request)",
    "https://api.github.com/users/": "the same, for a repo_url that names a GitHub user",
    "https://": "the start of GitLab's API address, built from a repo_url that names a GitLab "
    "repository",
    "https://clipboardjs.com/": "clipboard.js's licence banner, a comment",
    "https://bit.ly/2s3ChXG": "a link in the search worker's warning about an invalid query",
    "http://lunrjs.com": "lunr's licence banner in the search worker, a comment",
    "http://tartarus.org/~martin/PorterStemmer/js.txt": "a comment in lunr's stemmer",
}
MATERIAL_SCRIPTS = ("bundle.*.min.js", "workers/search.*.min.js")  # below assets/javascripts/
URL = re.compile(r"https?://[^\s\"'`<>(){}$\\,;\[\]]*")
NBCONVERT_MERMAID = re.compile(
    r"<script type=\"module\">(?:(?!</script>).)*?\.jp-Mermaid(?:(?!</script>).)*?</script>",
    re.S,
)
MATHJAX_TAG = re.compile(r'<script[^>]*src="[^"]*llm-attention-no-mathjax[^"]*"[^>]*>\s*</script>')


class MissingAssetsError(PluginError):
    """The pinned front-end assets are not in node_modules/ and cannot be fetched here."""


def how_to(project: Path, problem: str) -> str:
    return (
        f"The site serves KaTeX and mermaid itself (never from a CDN), copied at build time "
        f"from node_modules/, but {problem}.\n"
        f"Fetch the versions package-lock.json pins (Node.js brings npm), then build again:\n"
        f"    cd {project}\n"
        f"    npm ci\n"
        f"    mkdocs build --strict\n"
        f"(`bash tools/dev.sh setup` runs npm ci with the rest of the set-up.)"
    )


def pinned_versions(project: Path) -> dict[str, str]:
    """``{package: version}`` for the packages COPIES takes files from, from package-lock.json."""
    lock_file = project / "package-lock.json"
    if not lock_file.is_file():
        raise MissingAssetsError(how_to(project, f"{lock_file} is missing"))
    packages = json.loads(lock_file.read_text(encoding="utf-8")).get("packages", {})
    versions = {}
    for name in sorted({package for package, _, _ in COPIES}):
        entry = packages.get(f"node_modules/{name}")
        if not entry or "version" not in entry:
            problem = f"package-lock.json pins no version of {name}"
            raise MissingAssetsError(how_to(project, problem))
        versions[name] = entry["version"]
    return versions


def installed_problem(project: Path, versions: dict[str, str]) -> str | None:
    """Why node_modules/ cannot supply the pinned files, or None when it can."""
    for name, want in versions.items():
        manifest = project / "node_modules" / name / "package.json"
        if not manifest.is_file():
            return f"node_modules/{name} is missing"
        have = json.loads(manifest.read_text(encoding="utf-8")).get("version")
        if have != want:
            return f"node_modules/{name} is version {have}, package-lock.json pins {want}"
    for package, source, _ in COPIES:
        if not (project / "node_modules" / package / source).exists():
            return f"node_modules/{package}/{source} is missing"
    return None


def npm_ci(project: Path, problem: str) -> None:
    """Run ``npm ci`` in ``project``, or raise MissingAssetsError saying why it cannot be run."""
    npm = shutil.which("npm")
    if os.environ.get(NO_NPM):
        problem += f" ({NO_NPM} is set, so npm ci is not run)"
        raise MissingAssetsError(how_to(project, problem))
    if npm is None:
        raise MissingAssetsError(how_to(project, f"{problem} and npm is not on PATH"))
    log.info(f"{problem}: running npm ci for the site's front-end assets")
    cmd = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", "--fetch-retries=1"]
    try:
        proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        raise MissingAssetsError(how_to(project, f"{problem} and npm ci timed out")) from None
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip()[-2000:]
        raise MissingAssetsError(how_to(project, f"{problem} and npm ci failed:\n{output}\n"))


def wanted_files(project: Path) -> dict[str, Path]:
    """``{path below assets/vendor/: file in node_modules/}`` for every file COPIES names."""
    files: dict[str, Path] = {}
    for package, source, target in COPIES:
        src = project / "node_modules" / package / source
        if src.is_dir():
            for file in sorted(p for p in src.rglob("*") if p.is_file()):
                files[f"{target}/{file.relative_to(src).as_posix()}"] = file
        else:
            files[target] = src
    return files


def sync_vendor(project: Path, docs_dir: Path) -> int:
    """Make ``docs_dir/assets/vendor/`` hold exactly the pinned files; the number written.

    Fetches them with npm ci first when node_modules/ cannot supply them. Writes only what
    differs, so ``mkdocs serve`` does not rebuild in a loop.
    """
    versions = pinned_versions(project)
    problem = installed_problem(project, versions)
    if problem is not None:
        npm_ci(project, problem)
        problem = installed_problem(project, versions)
        if problem is not None:
            raise MissingAssetsError(how_to(project, f"after npm ci, {problem}"))
    vendor = docs_dir / VENDOR
    wanted = wanted_files(project)
    written = 0
    for rel, src in wanted.items():
        dest = vendor / rel
        if dest.is_file() and dest.read_bytes() == src.read_bytes():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        written += 1
    for stale in [p for p in vendor.rglob("*") if p.is_file()]:
        if stale.relative_to(vendor).as_posix() not in wanted:
            stale.unlink()
    return written


# the extra_css / extra_javascript entries of each config as mkdocs.yml gives them, taken
# before any plugin adds its own: mkdocs-static-i18n builds the other language with the same,
# already extended, config object and runs every on_config again (i18n_order.py)
_ENTRIES: dict[int, list[tuple[str, str]]] = {}


def check_extra_assets(config: Any) -> None:
    """Every extra_css / extra_javascript entry of mkdocs.yml is a file in docs_dir, not a URL.

    Plugins add assets of their own to these lists (mkdocstrings, markdown-exec) and write
    those files at build time; they are not checked.
    """
    docs_dir = Path(config["docs_dir"])
    entries = _ENTRIES.setdefault(
        id(config),
        [
            (kind, str(getattr(entry, "path", entry)))
            for kind in ("extra_css", "extra_javascript")
            for entry in config[kind]
        ],
    )
    problems = []
    for kind, path in entries:
        if re.match(r"^([a-z][a-z0-9+.-]*:)?//", path, re.I):
            problems.append(f"{kind} loads {path} from outside the site")
        elif not (docs_dir / path).is_file():
            problems.append(f"{kind} names {path}, which is not in {docs_dir}")
    if problems:
        raise PluginError("; ".join(problems))


class MaterialChangedError(PluginError):
    """Material's bundle no longer matches what on_post_build's edit expects."""


def material_scripts(config: Any) -> Path:
    """``assets/javascripts/`` of Material's own files (not the site's overrides)."""
    for folder in config["theme"].dirs:
        scripts = Path(folder) / "assets" / "javascripts"
        if any(scripts.glob(MATERIAL_SCRIPTS[0])):
            return scripts
    raise MaterialChangedError(
        f"no theme folder of this build has assets/javascripts/{MATERIAL_SCRIPTS[0]}: "
        "is the theme still Material for MkDocs?"
    )


def check_material_urls(scripts: Path) -> None:
    """Every fallback URL is in Material's bundle, and it names no URL not accounted for.

    Raises :class:`MaterialChangedError` naming the URLs and what to do.
    """
    texts = {}
    for pattern in MATERIAL_SCRIPTS:
        files = sorted(scripts.glob(pattern))
        if len(files) != 1:
            raise MaterialChangedError(
                f"expected one {scripts / pattern} in Material's files, found {len(files)}"
            )
        texts[files[0].relative_to(scripts).as_posix()] = files[0].read_text(encoding="utf-8")
    bundle = next(iter(texts.values()))
    problems = [
        f"the bundle no longer contains {url}: Material changed how it loads it; find the new "
        f"URL (grep 'https://' in {scripts}/bundle.*.min.js) and update MATERIAL_FALLBACKS"
        for url in MATERIAL_FALLBACKS
        if url not in bundle
    ]
    known = set(MATERIAL_FALLBACKS) | set(MATERIAL_URLS_NOT_LOADED)
    for name, text in texts.items():
        for url in sorted(set(URL.findall(text)) - known):
            problems.append(
                f"{name} names {url}, which this hook does not know: find out when Material "
                "fetches it; if a page may, add it to MATERIAL_FALLBACKS (it then points at an "
                "empty script), and serve what it provides from assets/vendor/ if the site needs "
                "it; if never, add it to MATERIAL_URLS_NOT_LOADED with the reason"
            )
    if problems:
        import material  # the installed Material, for its version

        version = getattr(material, "__version__", "?")
        raise MaterialChangedError(
            f"Material for MkDocs {version}: the site's edit of Material's bundle "
            "(tools/hooks/site_assets.py, on_post_build), which keeps every request on the "
            "site, no longer fits it:\n  - " + "\n  - ".join(problems)
        )


def point_fallbacks_at_empty_script(scripts: Path) -> int:
    """Replace MATERIAL_FALLBACKS in the bundle and its map below ``scripts``; files changed."""
    changed = 0
    for bundle in scripts.glob("bundle.*.js*"):  # the bundle and its source map
        text = bundle.read_text(encoding="utf-8")
        patched = text
        for url in MATERIAL_FALLBACKS:
            patched = patched.replace(url, EMPTY_SCRIPT)
        if patched != text:
            bundle.write_text(patched, encoding="utf-8")
            changed += 1
    return changed


# ---------------------------------------------------------------- hooks
_CHECKED: set[Path] = set()  # mkdocs-static-i18n runs on_config once per language


@event_priority(100)  # before every plugin: fail before they work, see mkdocs.yml's entries
def on_config(config: Any) -> Any:
    project = Path(config["config_file_path"]).resolve().parent
    written = sync_vendor(project, Path(config["docs_dir"]))
    if written:
        log.info(f"copied {written} front-end files from node_modules/ into docs/{VENDOR}/")
    check_extra_assets(config)
    scripts = material_scripts(config)
    if scripts not in _CHECKED:
        check_material_urls(scripts)
        _CHECKED.add(scripts)
    return config


def on_post_page(output: str, page: Any, config: Any) -> str:
    return MATHJAX_TAG.sub("", NBCONVERT_MERMAID.sub("", output))


def on_post_build(config: Any) -> None:
    point_fallbacks_at_empty_script(Path(config["site_dir"]) / "assets" / "javascripts")


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[2]
    try:
        count = sync_vendor(root, root / "docs")
    except PluginError as exc:
        sys.exit(str(exc))
    print(f"docs/{VENDOR}/ is up to date ({count} files copied from node_modules/)")
