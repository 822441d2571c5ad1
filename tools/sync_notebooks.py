"""Refresh the committed notebooks (``notebooks/<lang>/<name>.ipynb``) from a site build.

Colab opens a chapter section's notebook from the repository on GitHub, so the notebooks the
build makes are committed: they work from a fresh clone, they are reviewed in pull requests,
and ``tests/website/test_notebook_downloads.py`` fails, offline, while a committed copy differs
from the build's download. This copies each download of a built site, byte for byte, over its
committed copy, and removes copies whose section is gone.

It refuses a build that did not execute the notebooks (``bash tools/dev.sh serve --fast`` or
``LLM_ATTENTION_EXECUTE_NOTEBOOKS=false``): the committed notebooks keep their outputs.

Usage: ``python tools/sync_notebooks.py SITE_DIR`` (a site built by ``tools/build_site.sh``);
``python tools/sync_notebooks.py`` builds one first, into a temporary folder.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "hooks"))
import docs_version  # noqa: E402
import nbformat  # noqa: E402
from notebooks import DEFAULT_LANGUAGE, NOTEBOOK_DIR, chapter_pages, is_executed  # noqa: E402


def download(site_dir: Path, name: str, lang: str) -> Path:
    root = site_dir if lang == DEFAULT_LANGUAGE else site_dir / lang
    return root / NOTEBOOK_DIR / f"{name}.ipynb"


def sync(site_dir: Path, root: Path = ROOT) -> list[str]:
    """Copy the site's downloads over the committed notebooks; what changed, one line each."""
    wanted = {(name, lang) for name, lang, _ in chapter_pages(root / "docs")}
    sources = {}
    for name, lang in sorted(wanted):
        source = download(site_dir, name, lang)
        if not source.is_file():
            raise SystemExit(f"{source} is missing: is {site_dir} a built site of this checkout?")
        if not is_executed(nbformat.read(str(source), as_version=nbformat.NO_CONVERT)):
            raise SystemExit(
                f"{source} was built without executing its cells "
                "(LLM_ATTENTION_EXECUTE_NOTEBOOKS=false): build the site with "
                "tools/build_site.sh; the committed notebooks are left as they are"
            )
        sources[docs_version.notebook_path(name, lang)] = source
    changes = []
    for rel, source in sources.items():
        target = root / rel
        if target.is_file() and target.read_bytes() == source.read_bytes():
            continue
        changes.append(f"{'updated' if target.is_file() else 'added'} {rel}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    for stale in sorted((root / docs_version.NOTEBOOK_DIR).rglob("*.ipynb")):
        if stale.relative_to(root).as_posix() not in sources:
            stale.unlink()
            changes.append(f"removed {stale.relative_to(root).as_posix()}")
    return changes


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        raise SystemExit("usage: python tools/sync_notebooks.py [SITE_DIR]")
    with tempfile.TemporaryDirectory(prefix="llm-attention-site-") as tmp:
        if argv:
            site_dir = Path(argv[0])
        else:
            site_dir = Path(tmp) / "site"
            subprocess.run(
                ["bash", str(ROOT / "tools" / "build_site.sh"), str(site_dir)], check=True
            )
        changes = sync(site_dir)
    print("\n".join(changes) or "the committed notebooks are the build's downloads already")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
