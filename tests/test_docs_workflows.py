"""The workflows publish the docs with mike as CONTRIBUTING.md says.

- ``.github/workflows/pages.yml``: every push and pull request builds and tests the site as
  .ci/run does; only a push to ``main`` deploys, as the docs version ``dev``, and makes ``dev``
  the site's default while no release exists;
- ``.github/workflows/release.yml``: a tag ``vX.Y.Z`` deploys the docs folder ``X.Y``
  (``docs_version.docs_folder``) aliased ``latest``, and makes ``latest`` the default.

The deploy steps' shell scripts are run here, with a stand-in ``mike`` and ``git`` that record
their arguments, in a folder that holds the real ``tools/hooks`` and a chosen ``__version__``.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from build_version import deploy_folder
from docs_version import docs_folder

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"


def _workflow(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return dict(data)


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def _step(job: dict[str, Any], needle: str) -> dict[str, Any]:
    steps = [s for s in job["steps"] if needle in s.get("run", "")]
    assert len(steps) == 1, f"expected one step running {needle!r}, found {len(steps)}"
    return dict(steps[0])


# ---------------------------------------------------------------- the rule the scripts use
def test_the_folder_follows_the_version_and_a_release_needs_its_tag() -> None:
    assert deploy_folder("0.2.0.dev0") == docs_folder("0.2.0.dev0") == "dev"
    assert deploy_folder("0.3.1", "v0.3.1") == docs_folder("0.3.1") == "0.3"
    for version, tag in (("0.3.1", "v0.3.2"), ("0.3.1", "0.3.1"), ("0.3.0.dev0", "v0.3.0.dev0")):
        with pytest.raises(ValueError, match="is not the release"):
            deploy_folder(version, tag)


# ---------------------------------------------------------------- pages.yml
def test_pages_builds_and_tests_every_push_and_pull_request_as_ci_does() -> None:
    flow = _workflow("pages.yml")
    assert flow["on"]["push"]["branches"] == ["main"]
    assert "pull_request" in flow["on"]
    build = flow["jobs"]["build"]
    assert "if" not in build, "the build and tests run for pull requests too"
    runs = _runs(build)
    assert "bash tools/dev.sh setup" in runs
    assert "bash tools/build_site.sh site" in runs
    assert 'LLM_ATTENTION_SITE_DIR="$PWD/site"' in runs and "pytest -q tests/website" in runs
    assert "mike" not in runs, "the build job must not deploy"
    assert flow["permissions"] == {"contents": "read"}, "only the deploy job may write"


def test_pages_deploys_with_mike_only_on_a_push_to_main_after_the_build() -> None:
    flow = _workflow("pages.yml")
    jobs_with_mike = [name for name, job in flow["jobs"].items() if "mike" in _runs(job)]
    assert jobs_with_mike == ["deploy"]
    deploy = flow["jobs"]["deploy"]
    condition = deploy["if"].replace('"', "'")
    assert "github.event_name == 'push'" in condition
    assert "github.ref == 'refs/heads/main'" in condition
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"contents": "write"}
    assert deploy["concurrency"] == {"group": "gh-pages", "cancel-in-progress": False}
    step = _step(deploy, "mike deploy")
    assert step["env"]["LLM_ATTENTION_STRICT"] == "true"
    assert "actions/deploy-pages" not in (WORKFLOWS / "pages.yml").read_text(encoding="utf-8"), (
        "GitHub Pages serves the gh-pages branch that mike writes, not an uploaded artifact"
    )


# ---------------------------------------------------------------- release.yml
def test_release_publishes_the_docs_of_the_tag_after_pypi() -> None:
    flow = _workflow("release.yml")
    assert flow["on"]["push"]["tags"] == ["v*"]
    docs = flow["jobs"]["docs"]
    assert docs["needs"] == "publish"
    assert docs["permissions"] == {"contents": "write"}
    assert docs["concurrency"] == {"group": "gh-pages", "cancel-in-progress": False}
    runs = _runs(docs)
    assert "bash tools/build_site.sh site" in runs
    assert "pytest -q tests/website" in runs
    step = _step(docs, "mike deploy")
    assert step["env"]["RELEASE_TAG"] == "${{ github.ref_name }}"
    assert step["env"]["LLM_ATTENTION_STRICT"] == "true"
    others = [name for name, job in flow["jobs"].items() if name != "docs" and "mike" in _runs(job)]
    assert others == []


# ---------------------------------------------------------------- the deploy scripts, run
FAKE = """#!/bin/sh
echo "{name} $*" >> "$CALLS"
if [ "{name} $1 $2" = "mike list latest" ]; then exit "$LATEST_MISSING"; fi
exit 0
"""


def _run_script(
    tmp_path: Path, script: str, version: str, env: dict[str, str], latest_exists: bool
) -> tuple[int, list[str], str]:
    """Run a workflow step's ``run`` in a checkout-like folder; (status, calls, stderr)."""
    work = tmp_path / "checkout"
    (work / "tools" / "hooks").mkdir(parents=True)
    for name in ("build_version.py", "docs_version.py"):
        shutil.copyfile(ROOT / "tools" / "hooks" / name, work / "tools" / "hooks" / name)
    (work / "llm_attention").mkdir()
    (work / "llm_attention" / "__init__.py").write_text(f'__version__ = "{version}"\n')
    bin_dir = work / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    scripts = {
        "python": f'#!/bin/sh\nexec "{sys.executable}" "$@"\n',  # this venv's, with its packages
        "mike": FAKE.replace("{name}", "mike"),
        "git": FAKE.replace("{name}", "git"),
    }
    for name, text in scripts.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod((bin_dir / name).stat().st_mode | stat.S_IEXEC)
    calls = tmp_path / "calls.txt"
    calls.touch()
    proc = subprocess.run(
        ["bash", "-e", "-c", script],  # GitHub's bash runs a step with -e
        cwd=work,
        env={
            **os.environ,
            **env,
            "CALLS": str(calls),
            "LATEST_MISSING": "0" if latest_exists else "1",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = calls.read_text().splitlines()
    return proc.returncode, [c for c in lines if c.startswith("mike")], proc.stderr


@pytest.mark.parametrize("latest_exists", [False, True])
def test_the_pages_script_deploys_dev_and_sets_the_default_only_before_a_release(
    tmp_path: Path, latest_exists: bool
) -> None:
    step = _step(_workflow("pages.yml")["jobs"]["deploy"], "mike deploy")
    status, calls, err = _run_script(tmp_path, step["run"], "0.2.0.dev0", {}, latest_exists)
    assert status == 0, err
    assert calls[0] == "mike deploy --push --update-aliases dev"
    if latest_exists:
        assert calls[1:] == ["mike list latest"], "a release's `latest` stays the default"
    else:
        assert calls[1:] == ["mike list latest", "mike set-default --push dev"]


def test_the_pages_script_refuses_to_deploy_a_release_version_from_main(tmp_path: Path) -> None:
    step = _step(_workflow("pages.yml")["jobs"]["deploy"], "mike deploy")
    status, calls, _ = _run_script(tmp_path, step["run"], "0.3.0", {}, False)
    assert status != 0 and calls == []


def test_the_release_script_deploys_x_y_as_latest_and_makes_it_the_default(
    tmp_path: Path,
) -> None:
    step = _step(_workflow("release.yml")["jobs"]["docs"], "mike deploy")
    env = {"RELEASE_TAG": "v0.3.1"}
    status, calls, err = _run_script(tmp_path, step["run"], "0.3.1", env, False)
    assert status == 0, err
    assert calls == [
        "mike deploy --push --update-aliases --title 0.3.1 0.3 latest",
        "mike set-default --push latest",
    ]


def test_the_release_script_refuses_a_tag_that_is_not_the_version(tmp_path: Path) -> None:
    step = _step(_workflow("release.yml")["jobs"]["docs"], "mike deploy")
    status, calls, err = _run_script(
        tmp_path, step["run"], "0.3.1", {"RELEASE_TAG": "v0.3.2"}, False
    )
    assert status != 0 and calls == [], err


@pytest.mark.parametrize(("workflow", "job"), [("pages.yml", "deploy"), ("release.yml", "docs")])
def test_the_default_version_s_404_pages_go_to_the_root_after_the_deploy(
    workflow: str, job: str
) -> None:
    # GitHub Pages serves only the gh-pages root's 404.html; mike writes none
    steps = _workflow(workflow)["jobs"][job]["steps"]
    runs = [step.get("run", "") for step in steps]
    deploy = next(i for i, run in enumerate(runs) if "mike deploy" in run)
    copy = next(i for i, run in enumerate(runs) if "tools/pages_root_404.py" in run)
    assert copy > deploy
    if workflow == "pages.yml":
        assert "mike list latest" in runs[copy], "dev's 404 pages only while dev is the default"
    else:
        assert steps[copy]["env"]["RELEASE_TAG"] == "${{ github.ref_name }}"
