"""Deploy the whole site with mike as .github/workflows/pages.yml does, into a throwaway repo.

Run by .ci/run (about as long as one site build)::

    .venv/bin/python tools/mike_proof.py

It copies the checkout's files (tracked and untracked, not ignored) into a temporary git
repository with no remote, runs ``mike deploy --update-aliases dev`` and ``mike set-default dev``
there (strict, with this checkout's ``.venv`` and ``node_modules``), and checks the gh-pages
branch mike wrote:

- ``versions.json`` lists ``dev`` and nothing else; the root ``index.html`` leads to ``dev/``;
- ``dev/`` holds every page of both languages, each with the dev banner, the version line and
  Material's version selector turned on;
- served as GitHub Pages serves it (under ``/llm_attention/``), the home page in each language
  loads in Chromium with no console error, failed request or request off the machine, and
  Material draws its version selector from ``versions.json`` (``tests/browser/browser_lib.py``).

Nothing is pushed and the checkout is not touched. Exits non-zero with the problems.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "hooks"))
sys.path.insert(0, str(ROOT / "tests" / "browser"))

import docs_version  # noqa: E402

BIN = ROOT / ".venv" / "bin"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "mike proof",
    "GIT_AUTHOR_EMAIL": "proof@example.invalid",
    "GIT_COMMITTER_NAME": "mike proof",
    "GIT_COMMITTER_EMAIL": "proof@example.invalid",
}


def run(cmd: list[str], cwd: Path, **env: str) -> str:
    proc = subprocess.run(
        cmd, cwd=cwd, env={**os.environ, **GIT_ENV, **env}, capture_output=True, text=True
    )
    if proc.returncode != 0:
        log = (proc.stdout + proc.stderr)[-6000:]
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{log}")
    return proc.stdout


def copy_checkout(repo: Path) -> None:
    """The checkout's files as git sees them, in a fresh repository with one commit."""
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT)
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if src.is_file() and not src.is_symlink():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / rel)
    for shared in (".venv", "node_modules"):  # not copied: linked, and ignored
        (repo / shared).symlink_to((ROOT / shared).resolve(), target_is_directory=True)
    run(["git", "init", "-q", "-b", "main"], repo)
    (repo / ".git" / "info" / "exclude").write_text(".venv\nnode_modules\n")
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-q", "-m", "checkout"], repo)


def deployed(repo: Path, path: str) -> str:
    return run(["git", "show", f"gh-pages:{path}"], repo)


def check_branch(repo: Path, folder: str, version: str) -> list[str]:
    from bs4 import BeautifulSoup

    problems = []
    versions = json.loads(deployed(repo, "versions.json"))
    if [(v["version"], v["aliases"]) for v in versions] != [(folder, [])]:
        problems.append(f"versions.json lists {versions}, not only {folder!r}")
    if f'url={folder}/"' not in deployed(repo, "index.html"):
        problems.append(f"the root index.html does not lead to {folder}/")
    files = run(["git", "ls-tree", "-r", "--name-only", "gh-pages", f"{folder}/"], repo).split()
    pages = [f for f in files if f.endswith("/index.html") or f == f"{folder}/index.html"]
    pages = [p for p in pages if "/assets/" not in p and "/search/" not in p]
    built = sorted(
        f"{folder}/{p.relative_to(repo / 'site').as_posix()}"
        for p in (repo / "site").rglob("index.html")
        if not {"assets", "search"} & set(p.relative_to(repo / "site").parts)
    )
    if sorted(pages) != built or len(built) < 40:
        problems.append(f"gh-pages {folder}/ holds {len(pages)} pages, the build {len(built)}")
    for page in pages:
        soup = BeautifulSoup(deployed(repo, page), "html.parser")
        config = json.loads(soup.select_one("script#__config").string)  # type: ignore[union-attr,arg-type]
        if (config.get("version") or {}).get("provider") != "mike":
            problems.append(f"{page}: Material's version selector is not on")
        if soup.select_one("[data-llm-build=dev]") is None:
            problems.append(f"{page}: no dev banner")
        line = soup.select_one(".llm-build-version")
        if line is None or version not in line.get_text():
            problems.append(f"{page}: no line naming {version}")
    return problems


def check_in_browser(repo: Path, folder: str) -> list[str]:
    """Serve gh-pages as GitHub Pages would and open each language's home page."""
    from browser_lib import CHROMIUM, CHROMIUM_ARGS, DESKTOP, Tab, check_requests, open_page, serve
    from playwright.sync_api import sync_playwright

    out = repo.parent / "gh-pages"
    run(["git", "worktree", "add", "-q", str(out), "gh-pages"], repo)
    prefix = urlsplit(docs_version.SITE_ROOT).path
    problems = []
    with serve(out, prefix=prefix) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = Tab(browser, DESKTOP)
        for path, label in (("", "root"), ("zh/", "zh")):
            # the root redirects to the default version; zh is opened in it directly
            start = url + (f"{folder}/{path}" if path else "")
            open_page(tab.page, tab.rec, start)
            where = f"{label} ({tab.page.url})"
            landed = urlsplit(tab.page.url).path.startswith(f"{prefix}{folder}/")
            if not landed:
                problems.append(f"{where}: not in {prefix}{folder}/")
            elif not path:
                # mike's root page redirects with location.replace() while it is still being
                # parsed; Chromium then sometimes reports the root document itself as aborted
                # (a race: it passed here and failed in CI). Landing under dev/ shows the root
                # was served and redirected (check_branch checks its content), so that one
                # report, and only that one, is not a problem.
                aborted = f"{start}: net::ERR_ABORTED"
                tab.rec.failed_requests = [f for f in tab.rec.failed_requests if f != aborted]
            problems += [f"{where}: {p}" for p in check_requests(tab.rec)]
            selector = tab.page.locator(".md-version .md-version__current")
            try:
                selector.first.wait_for(state="attached", timeout=10_000)
                shown = selector.first.inner_text().strip()
                if shown != folder:
                    problems.append(f"{where}: the version selector shows {shown!r}")
            except Exception as exc:
                problems.append(f"{where}: no version selector drawn ({type(exc).__name__})")
        tab.close()
        browser.close()
    return problems


def main() -> int:
    version = docs_version.package_version()
    folder = docs_version.docs_folder(version)
    if folder != docs_version.DEV_ALIAS:
        print(f"__version__ {version} is a release: this proof deploys main's dev docs; skipped")
        return 0
    with tempfile.TemporaryDirectory(prefix="mike-proof-") as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        copy_checkout(repo)
        env = {
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "LLM_ATTENTION_STRICT": "true",
            "NO_MKDOCS_2_WARNING": "1",
        }
        # as .github/workflows/pages.yml's deploy job, without --push
        run([str(BIN / "mike"), "deploy", "--update-aliases", folder], repo, **env)
        run([str(BIN / "mike"), "set-default", folder], repo, **env)
        problems = check_branch(repo, folder, version)
        problems += check_in_browser(repo, folder)
    if problems:
        print("mike proof FAILED:\n  - " + "\n  - ".join(problems), file=sys.stderr)
        return 1
    print(f"mike proof: gh-pages holds {folder}/ ({version}), versions.json and the root redirect")
    return 0


if __name__ == "__main__":
    sys.exit(main())
