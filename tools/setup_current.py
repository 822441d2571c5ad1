"""Is the set-up already done? ``tools/dev.sh`` asks before it touches the network.

Exit 0 when the Python running this script has every distribution ``pyproject.toml`` asks for
(the package, its dependencies and the extras ``tools/dev.sh`` installs, plus the pinned torch)
and ``node_modules/`` holds exactly what ``package-lock.json`` pins; otherwise print the first
thing missing and exit 1, and ``tools/dev.sh`` runs the full set-up (pip and ``npm ci``, both
need the network). So a checkout whose set-up is done runs ``bash tools/dev.sh test`` offline,
and ``npm ci`` (which empties ``node_modules/`` first) only runs when something changed.

Usage: ``python tools/setup_current.py EXTRA[,EXTRA...] [REQUIREMENT ...]``.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def python_problem(extras: list[str], pins: list[str]) -> str | None:
    """The first requirement this Python does not satisfy, or None."""
    try:
        import tomllib
        from packaging.requirements import Requirement
    except ImportError as exc:  # Python 3.10, or no packaging: cannot tell, so set up
        return f"cannot check the installed packages ({exc})"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [project["name"], *project.get("dependencies", []), *pins]
    for extra in extras:
        wanted += project.get("optional-dependencies", {}).get(extra, [])
    for line in wanted:
        req = Requirement(line)
        if req.marker is not None and not any(
            req.marker.evaluate({"extra": extra}) for extra in ["", *extras]
        ):
            continue
        try:
            have = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            return f"{req.name} is not installed"
        if not req.specifier.contains(have, prereleases=True):
            return f"{req.name} {have} is installed, {line} is asked for"
    init = (ROOT / "llm_attention" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', init, re.MULTILINE)
    if match and metadata.version(project["name"]) != match[1]:
        return f"the installed {project['name']} is not version {match[1]} of this checkout"
    return None


def node_problem() -> str | None:
    """Why ``node_modules/`` is not what ``package-lock.json`` pins, or None."""
    lock = ROOT / "package-lock.json"
    if not lock.is_file():
        return None  # no front-end assets to install
    installed = ROOT / "node_modules" / ".package-lock.json"  # npm writes it on every install
    if not installed.is_file():
        return "node_modules/ is missing or was not installed by npm"
    want = json.loads(lock.read_text(encoding="utf-8")).get("packages", {})
    have = json.loads(installed.read_text(encoding="utf-8")).get("packages", {})
    want = {name: entry for name, entry in want.items() if name}  # "" is the project itself
    if have != want:
        return "node_modules/ differs from package-lock.json"
    return None


def main(argv: list[str]) -> int:
    extras = [e for e in (argv[0].split(",") if argv else []) if e]
    problem = python_problem(extras, argv[1:]) or node_problem()
    if problem:
        print(problem)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
