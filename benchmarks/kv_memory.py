"""Part 3: KV-cache bytes of multi-head, grouped-query and sliding-window attention.

Arithmetic, not a measurement: ``kv_cache_bytes`` for a GPT-2-small-like and a
Mistral-7B-like shape, batch 1, 16-bit numbers.
"""

from __future__ import annotations

from typing import Any

from llm_attention import compare_kv_cache_bytes

#: The model shapes. GPT-2 has neither grouped-query nor sliding-window attention; its
#: ``num_kv_groups`` and ``window_size`` are illustrative and keep the Mistral-like ratios
#: (4 query heads per key/value head, half the context).
KV_CACHE_SHAPES: dict[str, dict[str, int]] = {
    "GPT-2 small": {
        "num_layers": 12,
        "num_heads": 12,
        "head_dim": 64,
        "context_length": 1024,
        "num_kv_groups": 3,
        "window_size": 512,
    },
    "Mistral-7B-like": {
        "num_layers": 32,
        "num_heads": 32,
        "head_dim": 128,
        "context_length": 8192,
        "num_kv_groups": 8,
        "window_size": 4096,
    },
}


def kv_cache_rows() -> list[dict[str, Any]]:
    """KV-cache bytes per shape and variant, and each as a fraction of multi-head attention's."""
    rows = []
    for shape_name, shape in KV_CACHE_SHAPES.items():
        sizes = compare_kv_cache_bytes(**shape, batch_size=1, bytes_per_element=2)
        for variant, size in sizes.items():
            rows.append(
                {
                    "shape": shape_name,
                    **shape,
                    "variant": variant,
                    "bytes": size,
                    "fraction_of_mha": size / sizes["MultiHeadAttention"],
                }
            )
    return rows
