"""Seed tiktoken's cache with GPT-2's BPE files so nothing downloads.

The tests and the site build run offline. ``data/gpt2/`` in this repository holds the
two files that ``tiktoken.get_encoding("gpt2")`` would download (with their licence);
tiktoken looks for them in ``TIKTOKEN_CACHE_DIR`` under the SHA-1 of their download
URL and checks their SHA-256 before use. ``LLM_ATTENTION_GPT2_DIR`` names another
folder holding the two files, if set. Readers' machines never need this: the package
does not read ``data/``, and tiktoken downloads the files there on first use.

Usage: ``python tools/gpt2_offline.py [CACHE_DIR]`` prints the cache directory;
or ``seed_cache()`` from Python, which also sets ``TIKTOKEN_CACHE_DIR``.
"""

from __future__ import annotations

import hashlib
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
# The sha256 tiktoken expects of each file (tiktoken_ext/openai_public.py).
SHA256 = {
    "vocab.bpe": "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
    "encoder.json": "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
}
REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "data" / "gpt2"


def source_dir() -> Path | None:
    """Where the GPT-2 files are: ``$LLM_ATTENTION_GPT2_DIR`` if set, else ``data/gpt2``.

    A folder counts only if both files have the sha256 tiktoken expects.
    """
    env = os.environ.get("LLM_ATTENTION_GPT2_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(DATA_DIR)
    for path in candidates:
        if all(_sha256(path / name) == SHA256[name] for name in CACHE_NAMES):
            return path
    return None


def seed_cache(cache_dir: str | Path | None = None) -> Path | None:
    """Copy the GPT-2 files into a tiktoken cache and export ``TIKTOKEN_CACHE_DIR``.

    Returns the cache directory, or ``None`` when the files are not found (then
    tiktoken downloads them as usual). A cached file whose sha256 is not the expected
    one is replaced.
    """
    if cache_dir is None and os.environ.get("TIKTOKEN_CACHE_DIR"):
        cache_dir = os.environ["TIKTOKEN_CACHE_DIR"]
    cache = Path(cache_dir) if cache_dir else Path(tempfile.gettempdir()) / "llm-attention-tiktoken"
    if all(_sha256(cache / hashed) == SHA256[name] for name, hashed in CACHE_NAMES.items()):
        os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
        return cache
    src = source_dir()
    if src is None:
        return None
    cache.mkdir(parents=True, exist_ok=True)
    for name, hashed in CACHE_NAMES.items():
        tmp = cache / f"{hashed}.{os.getpid()}.tmp"  # whole files only, even with parallel runs
        shutil.copyfile(src / name, tmp)
        os.replace(tmp, cache / hashed)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    return cache


def _sha256(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


if __name__ == "__main__":
    seeded = seed_cache(sys.argv[1] if len(sys.argv) > 1 else None)
    if seeded is None:
        sys.exit(f"GPT-2 BPE files not found in {DATA_DIR} (or $LLM_ATTENTION_GPT2_DIR)")
    print(seeded)
