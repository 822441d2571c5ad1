"""The settings of a run: sizes, repetitions and variants, full-size and ``--quick``.

``BenchmarkConfig`` drives parts 1 to 4 (``benchmarks.json``), ``CacheBenchConfig`` the
``--caches`` run (``caches.json``). Both are written into their JSON as they were used, and
sent as JSON to the child processes (``from_json``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, TypeVar


@dataclass(frozen=True)
class BenchmarkConfig:
    """Sizes and repetitions of one run of parts 1 to 4."""

    batch_size: int = 2
    num_tokens: int = 1024
    d_model: int = 768
    num_heads: int = 12
    seq_lens: tuple[int, ...] = (128, 256, 512, 1024)
    repeats: int = 10
    warmup: int = 2
    device: str = "cpu"
    memory: bool = True
    #: part 4: (num_tokens, num_heads) pairs at which the wrapper meets MultiHeadAttention
    wrapper_sweep: tuple[tuple[int, int], ...] = (
        (256, 12), (512, 12), (1024, 12), (2048, 12), (1024, 2), (1024, 3), (1024, 4), (1024, 6),
    )  # fmt: skip
    #: part 4: sizes of the tensors whose page faults are counted, in MiB
    alloc_sizes_mib: tuple[int, ...] = (2, 8, 16, 24, 31, 32, 33, 48, 96)
    #: part 4: child processes per allocator setting, alternating between the settings
    wrapper_rounds: int = 3
    wrapper_vs_mha: bool = True


QUICK_CONFIG = BenchmarkConfig(
    batch_size=1,
    num_tokens=32,
    d_model=32,
    num_heads=4,
    seq_lens=(8, 16, 32),
    repeats=3,
    warmup=1,
    wrapper_sweep=((16, 4), (32, 4), (32, 2)),
    alloc_sizes_mib=(1, 2),
    wrapper_rounds=1,
)


@dataclass(frozen=True)
class CacheBenchConfig:
    """Model shape, variants and repetitions of one ``--caches`` run."""

    vocab_size: int = 50257
    emb_dim: int = 768
    n_heads: int = 12
    n_layers: int = 12
    batch_size: int = 1
    context_lengths: tuple[int, ...] = (256, 512, 1024, 2048)
    num_kv_groups: int = 4
    latent_large: int = 256
    latent_small: int = 128
    window_small: int = 128
    window_large: int = 512
    global_every: int = 6
    decode_tokens: int = 16
    prefill_chunk: int = 128
    memory: bool = True
    device: str = "cpu"


QUICK_CACHE_CONFIG = CacheBenchConfig(
    vocab_size=97,
    emb_dim=32,
    n_heads=4,
    n_layers=2,
    context_lengths=(16, 32),
    num_kv_groups=2,
    latent_large=16,
    latent_small=8,
    window_small=8,
    window_large=16,
    global_every=2,
    decode_tokens=4,
    prefill_chunk=8,
)

Config = TypeVar("Config", BenchmarkConfig, CacheBenchConfig)


def from_json(cls: type[Config], values: dict[str, Any]) -> Config:
    """A configuration from its ``dataclasses.asdict`` form after a JSON round trip.

    JSON turns tuples into lists; the fields that are tuples become tuples again.
    """
    fields = {}
    for field in dataclasses.fields(cls):
        value = values[field.name]
        if isinstance(value, list):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        fields[field.name] = value
    return cls(**fields)
