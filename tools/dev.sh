#!/usr/bin/env bash
# Developer entry point: set up .venv once, then serve the site or run the tests.
#   bash tools/dev.sh serve   # the site on http://127.0.0.1:8000/llm_attention/, rebuilt on every change
#   bash tools/dev.sh serve --fast   # the same, without executing the notebooks (for prose edits)
#   bash tools/dev.sh test    # pytest (builds the site once for the site tests)
#   bash tools/dev.sh setup   # only the set-up (used by .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

TORCH=2.13.0
EXTRAS=test,lint,docs,browser

setup() {
  if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
  # Only when something is missing or out of date: pip and npm need the network, and npm ci
  # empties node_modules/ first. A checkout whose set-up is done runs offline.
  if missing=$("$VENV/bin/python" tools/setup_current.py "$EXTRAS" "torch==$TORCH"); then
    echo "set-up: $VENV and node_modules/ already hold what pyproject.toml and package-lock.json ask for"
  else
    echo "set-up: $missing; installing"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    # The CPU build first: an unpinned torch would pull a multi-GB CUDA build.
    "$VENV/bin/python" -m pip install -q "torch==$TORCH"
    "$VENV/bin/python" -m pip install -q -e ".[$EXTRAS]"
    # Front-end assets (KaTeX, mermaid, axe-core) come from the npm registry, pinned in
    # package-lock.json. The site build copies KaTeX and mermaid out of node_modules/ itself
    # (tools/hooks/site_assets.py, which also runs npm ci when node_modules/ is missing or stale);
    # the browser suite needs axe-core from here.
    if [ -f package.json ]; then
      npm ci --no-audit --no-fund --loglevel=error
    fi
  fi
  # GPT-2's BPE files from the repository (data/gpt2) into tiktoken's cache: nothing downloads.
  TIKTOKEN_CACHE_DIR=$("$VENV/bin/python" tools/gpt2_offline.py)
  export TIKTOKEN_CACHE_DIR
}

case "${1:-}" in
  setup) setup ;;
  serve)
    setup
    if [ "${2:-}" = "--fast" ]; then
      # for prose edits: the notebooks are not executed (they show no outputs); snippets still run
      export LLM_ATTENTION_EXECUTE_NOTEBOOKS=false
    fi
    NO_MKDOCS_2_WARNING=1 exec "$VENV/bin/mkdocs" serve ;;
  test) setup; shift; exec "$VENV/bin/python" -m pytest "$@" ;;
  *) echo "usage: bash tools/dev.sh serve [--fast]|test|setup" >&2; exit 2 ;;
esac
