#!/usr/bin/env bash
# Build the site strictly, executing every embedded snippet and notebook, into ${1:-site}.
# Used by .ci/run and by the GitHub Pages workflow, so both build the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
SITE_DIR=${1:-site}
PY=${PYTHON:-.venv/bin/python}
export NO_MKDOCS_2_WARNING=1
start=$(date +%s)
log=$(mktemp)
# --strict turns every warning (a broken link or anchor, a missing translation, a snippet
# that raised, a missing snippet file or section) into a failure.
if ! "$PY" -m mkdocs build --strict --site-dir "$SITE_DIR" >"$log" 2>&1; then
  grep -vE "IPKernelApp|^\s*$" "$log" | tail -60
  echo "site build FAILED" >&2
  exit 1
fi
grep -E "WARNING|Documentation built" "$log" || true
en=$(find "$SITE_DIR" -name index.html -not -path "$SITE_DIR/zh/*" -not -path "$SITE_DIR/assets/*" | wc -l)
zh=$(find "$SITE_DIR/zh" -name index.html -not -path "*/assets/*" | wc -l)
echo "site built in $(( $(date +%s) - start ))s: $en English pages, $zh Chinese pages -> $SITE_DIR"
