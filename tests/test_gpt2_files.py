"""The repository's copy of GPT-2's BPE files (``data/gpt2/``): what tiktoken expects, used offline.

The tests and the site build read them through ``tools/gpt2_offline.py``, which seeds a tiktoken
cache; the package never reads them (readers' tiktoken downloads the files on first use).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pytest
import tiktoken
import tiktoken.load
import tiktoken_ext.openai_public as openai_public

# tools/ is on sys.path (tests/conftest.py)
from gpt2_offline import CACHE_NAMES, DATA_DIR, SHA256, seed_cache, source_dir

ROOT = Path(__file__).resolve().parents[1]
# The book's chapter 2 prints these ids for this sentence.
SENTENCE = "Your journey starts with one step"
SENTENCE_IDS = [7120, 7002, 4940, 351, 530, 2239]


def tiktoken_expects() -> dict[str, Any]:
    """The URLs and sha256 values that tiktoken's own ``gpt2`` constructor asks for."""
    asked: dict[str, Any] = {}

    def record(**kwargs: Any) -> dict[bytes, int]:
        asked.update(kwargs)
        return {}

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(openai_public, "data_gym_to_mergeable_bpe_ranks", record)
        openai_public.gpt2()
    return asked


def test_the_committed_files_are_the_ones_tiktoken_checks() -> None:
    asked = tiktoken_expects()
    for name, kind in (("vocab.bpe", "vocab_bpe"), ("encoder.json", "encoder_json")):
        data = (DATA_DIR / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == asked[f"{kind}_hash"] == SHA256[name], name
        # tiktoken's cache names a file by the SHA-1 of its download URL
        url = asked[f"{kind}_file"]
        assert url.endswith("/" + name)
        assert hashlib.sha1(url.encode()).hexdigest() == CACHE_NAMES[name], name


def test_the_seeded_cache_gives_the_known_ids_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_download(blobpath: str) -> bytes:
        raise AssertionError(f"tiktoken tried to download {blobpath}")

    monkeypatch.setattr(tiktoken.load, "read_file", no_download)
    monkeypatch.delenv("LLM_ATTENTION_GPT2_DIR", raising=False)
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    cache = tmp_path / "tiktoken-cache"
    assert seed_cache(cache) == cache
    assert os.environ["TIKTOKEN_CACHE_DIR"] == str(cache)
    assert sorted(p.name for p in cache.iterdir()) == sorted(CACHE_NAMES.values())
    # a fresh Encoding from tiktoken's own constructor (get_encoding would reuse a loaded one)
    enc = tiktoken.Encoding(**openai_public.gpt2())
    assert enc.encode(SENTENCE) == SENTENCE_IDS
    assert enc.decode(SENTENCE_IDS) == SENTENCE


def test_a_damaged_cache_is_seeded_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LLM_ATTENTION_GPT2_DIR", raising=False)
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    for hashed in CACHE_NAMES.values():
        (cache / hashed).write_bytes(b"truncated")
    seed_cache(cache)
    for name, hashed in CACHE_NAMES.items():
        assert (cache / hashed).read_bytes() == (DATA_DIR / name).read_bytes(), name


def test_the_files_sit_in_the_repository_with_their_licence() -> None:
    assert DATA_DIR == ROOT / "data" / "gpt2"
    licence = (DATA_DIR / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("Modified MIT License")
    assert "Copyright (c) 2019 OpenAI" in licence
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    for name, digest in SHA256.items():
        assert digest in readme, name
        assert f"| `{name}` | {(DATA_DIR / name).stat().st_size} |" in readme, name


def test_the_package_never_reads_the_repository_copy() -> None:
    # readers' tiktoken downloads the files; the package must not depend on a checkout
    pattern = re.compile(r"""data/gpt2|["']data["']|gpt2_offline|LLM_ATTENTION_GPT2_DIR""")
    for module in sorted((ROOT / "llm_attention").glob("*.py")):
        text = module.read_text(encoding="utf-8")
        assert not pattern.search(text), module.name


def test_a_folder_with_other_files_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    for name in CACHE_NAMES:
        (other / name).write_bytes(b"not GPT-2's file")
    monkeypatch.setenv("LLM_ATTENTION_GPT2_DIR", str(other))
    assert source_dir() == DATA_DIR
    for name in CACHE_NAMES:
        (other / name).write_bytes((DATA_DIR / name).read_bytes())
    assert source_dir() == other
