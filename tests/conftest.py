"""Shared test set-up: GPT-2's BPE files come from data/gpt2, never from the network."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools" / "hooks"))  # MkDocs hooks
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from gpt2_offline import seed_cache

GPT2_CACHE = seed_cache()


@pytest.fixture
def inputs() -> torch.Tensor:
    """The chapter's six-token example, ``(6, 3)``."""
    from llm_attention import example_inputs

    return example_inputs()


@pytest.fixture
def batch(inputs: torch.Tensor) -> torch.Tensor:
    """Two copies of the example stacked into a batch, ``(2, 6, 3)``, as in 3.5.3."""
    return torch.stack((inputs, inputs))


def pytest_report_header() -> str:
    return f"tiktoken cache: {GPT2_CACHE or 'not seeded (GPT-2 files not found)'}"
