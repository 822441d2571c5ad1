"""Put a docs version's 404 pages at the root of the gh-pages branch, and push.

GitHub Pages answers every missing address of the site with the branch root's ``404.html``;
mike deploys each version into its own folder (``dev/``, ``0.2/``) and writes no root 404. So
after a deploy, the workflows copy the default version's ``404.html`` (English, whose script
sends a missing ``.../zh/...`` address of that version to its Chinese page) and ``zh/404.html``
to the branch root. Their links are absolute (MkDocs writes 404 pages with ``site_url``), so
they work from the root. Nothing is committed when the root already holds the same files.

    python tools/pages_root_404.py dev [--branch gh-pages] [--remote origin] [--no-push]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

PAGES = ("404.html", "zh/404.html")


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def copy_404_to_root(
    folder: str, *, repo: Path, branch: str = "gh-pages", remote: str = "origin", push: bool = True
) -> bool:
    """Commit ``folder``'s 404 pages at ``branch``'s root; True when something changed."""
    if not folder or "/" in folder or folder.startswith("."):
        raise ValueError(
            f"folder must be one docs version's folder name (dev, 0.2), not {folder!r}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "pages"
        git("worktree", "add", "--quiet", str(tree), branch, cwd=repo)
        try:
            missing = [page for page in PAGES if not (tree / folder / page).is_file()]
            if missing:
                raise FileNotFoundError(
                    f"{branch} has no {', '.join(f'{folder}/{p}' for p in missing)}: "
                    "deploy that version with mike first"
                )
            for page in PAGES:
                target = tree / page
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes((tree / folder / page).read_bytes())
            git("add", *PAGES, cwd=tree)
            if not git("status", "--porcelain", "--", *PAGES, cwd=tree).strip():
                return False
            git("commit", "--quiet", "-m", f"404 pages at the root, from {folder}", cwd=tree)
            if push:
                git("push", "--quiet", remote, branch, cwd=tree)
            return True
        finally:
            git("worktree", "remove", "--force", str(tree), cwd=repo)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="the docs version whose 404 pages go to the root")
    parser.add_argument("--branch", default="gh-pages")
    parser.add_argument("--remote", default="origin")
    parser.add_argument("--no-push", action="store_true")
    args = parser.parse_args()
    changed = copy_404_to_root(
        args.folder, repo=Path.cwd(), branch=args.branch, remote=args.remote, push=not args.no_push
    )
    print(f"root 404 pages {'updated from' if changed else 'already those of'} {args.folder}/")


if __name__ == "__main__":
    main()
