"""Seed tiktoken's cache with GPT-2's BPE files so nothing downloads.

The build and test machines have no internet. ``../shared/data/gpt2/`` holds the
two files that ``tiktoken.get_encoding("gpt2")`` would download; tiktoken looks
for them in ``TIKTOKEN_CACHE_DIR`` under the SHA-1 of their download URL and
checks their SHA-256 before use. Readers' machines never need this.

Usage: ``python tools/gpt2_offline.py [CACHE_DIR]`` prints the cache directory;
or ``seed_cache()`` from Python, which also sets ``TIKTOKEN_CACHE_DIR``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

# tiktoken's cache file name (sha1 of the download URL) for each file.
CACHE_NAMES = {
    "vocab.bpe": "6d1cbeee0f20b3d9449abfede4726ed8212e3aee",
    "encoder.json": "6c7ea1a7e38e3a7f062df639a5b80947f075ffe6",
}
REPO_ROOT = Path(__file__).resolve().parents[1]


def source_dir() -> Path | None:
    """Where the GPT-2 files are: ``$LLM_ATTENTION_GPT2_DIR`` or ``../shared/data/gpt2``."""
    env = os.environ.get("LLM_ATTENTION_GPT2_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(REPO_ROOT.parent / "shared" / "data" / "gpt2")
    for path in candidates:
        if all((path / name).is_file() for name in CACHE_NAMES):
            return path
    return None


def seed_cache(cache_dir: str | Path | None = None) -> Path | None:
    """Copy the GPT-2 files into a tiktoken cache and export ``TIKTOKEN_CACHE_DIR``.

    Returns the cache directory, or ``None`` when the files are not on this machine
    (then tiktoken downloads them as usual).
    """
    if cache_dir is None and os.environ.get("TIKTOKEN_CACHE_DIR"):
        cache_dir = os.environ["TIKTOKEN_CACHE_DIR"]
    cache = Path(cache_dir) if cache_dir else Path(tempfile.gettempdir()) / "llm-attention-tiktoken"
    if all((cache / hashed).is_file() for hashed in CACHE_NAMES.values()):
        os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
        return cache
    src = source_dir()
    if src is None:
        return None
    cache.mkdir(parents=True, exist_ok=True)
    for name, hashed in CACHE_NAMES.items():
        shutil.copyfile(src / name, cache / hashed)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    return cache


if __name__ == "__main__":
    seeded = seed_cache(sys.argv[1] if len(sys.argv) > 1 else None)
    if seeded is None:
        sys.exit("GPT-2 BPE files not found: set LLM_ATTENTION_GPT2_DIR")
    print(seeded)
