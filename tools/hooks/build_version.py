"""MkDocs hook: which package version the pages were built from, for the templates and mike.

Sets ``config.extra.build`` (read by ``overrides/main.html`` and
``overrides/partials/copyright.html``) from :mod:`docs_version`:

- ``version``, ``ref``, ``ref_url``: ``__version__``, its git ref (``main`` or ``vX.Y.Z``) and
  that ref on GitHub, for the line "Built from llm_attention <version> (<ref>)" on every page;
- ``is_release``: false on ``main``, whose pages carry the banner "development version";
- ``latest``, ``latest_url``: the newest release tagged in this checkout (``vX.Y.Z``) and the
  address of mike's ``latest`` alias, which the release workflow points at its docs. Both are
  ``None`` before the first release, and the banner then says that none exists.

Under ``mike deploy`` (mike sets ``MIKE_DOCS_VERSION`` for the build it runs) it also checks
that mike deploys the folder this version belongs in (``docs_version.docs_folder``) and that
the build is strict, as ``tools/build_site.sh``'s is, sets ``site_url`` to that folder's address
(``docs_version.site_url``), and turns on Material's version selector (``extra.version``), which
reads mike's ``versions.json`` one folder above the site. A plain
``mkdocs build`` is a single version with no ``versions.json`` beside it, so it has no selector
and requests nothing that is not there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import docs_version
from mkdocs.exceptions import PluginError

# set by `mike deploy` for the `mkdocs build` it runs: the folder it is deploying
MIKE_VERSION_VAR = "MIKE_DOCS_VERSION"
# Material's version selector over mike's versions.json, with each version's aliases shown.
# (Not its `outdated` banner for older releases: Material 9.8.2's script for it calls
# `new URL(base_url)` with the relative base_url and throws on every page.)
VERSION_SELECTOR = {"provider": "mike", "alias": True}


def _release_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def latest_release(root: Path = docs_version.ROOT) -> str | None:
    """The newest release among the checkout's ``vX.Y.Z`` tags; ``None`` if there is none.

    Without git, or outside a repository, there is none: the banner then names no release.
    """
    try:
        proc = subprocess.run(
            ["git", "tag", "--list", "v*"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    releases = []
    for tag in proc.stdout.split():
        try:
            if docs_version.is_release(tag[1:]):
                releases.append(tag[1:])
        except ValueError:
            continue  # v-something that is no version of ours
    return max(releases, key=_release_key, default=None)


def build_info(version: str, latest: str | None) -> dict[str, Any]:
    """What the templates show for a build of ``version`` (see the module's docstring)."""
    ref = docs_version.git_ref(version)
    return {
        "version": version,
        "ref": ref,
        "ref_url": f"{docs_version.REPO_URL}/tree/{ref}",
        "is_release": docs_version.is_release(version),
        "folder": docs_version.docs_folder(version),
        "latest": latest,
        "latest_url": f"{docs_version.SITE_ROOT}{docs_version.LATEST_ALIAS}/" if latest else None,
    }


def on_config(config: Any) -> Any:
    version = docs_version.package_version()
    deploying = os.environ.get(MIKE_VERSION_VAR)
    if deploying:
        folder = docs_version.docs_folder(version)
        if deploying != folder:
            raise PluginError(
                f"mike is deploying {deploying!r}, but __version__ {version} belongs in "
                f"{folder!r} (tools/hooks/docs_version.py: docs_folder)"
            )
        if not config.strict:
            raise PluginError(
                "a deployed build must be strict, as tools/build_site.sh's is: "
                "run mike with LLM_ATTENTION_STRICT=true"
            )
        config.extra["version"] = dict(VERSION_SELECTOR)
        # mike's plugin sets site_url to urljoin(site_url, folder), with no trailing slash (the
        # sitemap's alternates read ".../devzh/"). The one rule instead, at every on_config:
        # this runs after mike's (which runs again for each language) and before the language
        # plugin's (priority -100, tools/hooks/i18n_order.py), which reads site_url.
        config.site_url = docs_version.site_url(version)
    config.extra["build"] = build_info(version, latest_release())
    return config


def deploy_folder(version: str, tag: str | None = None) -> str:
    """The mike folder a build of ``version`` deploys to; with ``tag``, only for that release.

    Raises ``ValueError`` when ``tag`` is given and is not ``v<version>`` of a release.
    """
    if tag is not None and (tag != f"v{version}" or not docs_version.is_release(version)):
        raise ValueError(f"tag {tag} is not the release __version__ {version} names")
    return docs_version.docs_folder(version)


def main(argv: list[str]) -> int:
    """The mike folder to deploy, for the workflows (one rule: ``docs_version.docs_folder``).

    ``build_version.py folder`` prints it for ``__version__`` (``dev`` on main);
    ``build_version.py folder vX.Y.Z`` prints it only if the tag names ``__version__``, a release.
    """
    if not argv or argv[0] != "folder" or len(argv) > 2:
        print("usage: python tools/hooks/build_version.py folder [vX.Y.Z]", file=sys.stderr)
        return 2
    try:
        print(deploy_folder(docs_version.package_version(), *argv[1:]))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
