"""The attention mechanisms of chapter 3 of *Build a Large Language Model (From Scratch)*.

The modules follow the chapter's order:

- ``llm_attention.ch3_3_simplified_attention``: 3.3, self-attention without trainable weights
- ``llm_attention.ch3_4_trainable_weights``: 3.4, scaled dot-product attention
- ``llm_attention.ch3_5_causal_attention``: 3.5, causal masking and dropout
- ``llm_attention.ch3_6_multihead_attention``: 3.6, multi-head attention
- ``llm_attention.exercise_check``: the checker of the exercise "Write MultiHeadAttention
  yourself" (3.6.2)
- ``llm_attention.caching_attention``: the two bases the classes beyond 3.6.2 are built on
  (``AttentionBase``, ``CachingAttention``; imported from the submodule)
- ``llm_attention.beyond_sdpa``: beyond 3.6.2, the same attention on PyTorch's fused kernel
- ``llm_attention.beyond_kv_cache``: beyond 3.6.2, a key-value cache for generating text
- ``llm_attention.beyond_gqa``: beyond 3.6.2, grouped-query attention and KV-cache sizes
- ``llm_attention.beyond_sliding_window``: beyond 3.6.2, sliding-window attention
- ``llm_attention.beyond_mla``: beyond 3.6.2, multi-head latent attention
- ``llm_attention.beyond_gpt``: a GPT model (chapter 4's layout) that generates with any of them
  (a harness around the attention classes; its names are imported from the submodule)
- ``llm_attention.text``: real sentences as GPT-2 tokens and embeddings
- ``llm_attention.plotting``: attention-weight heatmaps as SVG

Every public name is re-exported here, so ``from llm_attention import MultiHeadAttention``
works as in the book. The benchmark tool that times and sizes the classes is not part of the
package: it lives in the repository's top-level ``benchmarks/`` (``python -m benchmarks``).
"""

from llm_attention.beyond_gqa import (
    GroupedQueryAttention,
    compare_kv_cache_bytes,
    kv_cache_bytes,
)
from llm_attention.beyond_kv_cache import KVCacheMultiHeadAttention
from llm_attention.beyond_mla import MultiHeadLatentAttention
from llm_attention.beyond_sdpa import SDPAMultiHeadAttention
from llm_attention.beyond_sliding_window import SlidingWindowAttention, sliding_window_mask
from llm_attention.ch3_3_simplified_attention import (
    EXAMPLE_SENTENCE,
    EXAMPLE_TOKENS,
    context_vector,
    example_inputs,
    normalize_by_sum,
    query_scores,
    simple_attention_scores,
    simple_attention_weights,
    simple_context_vectors,
    softmax_naive,
)
from llm_attention.ch3_4_trainable_weights import (
    SelfAttention_v1,
    SelfAttention_v2,
    attention_scores,
    context_vectors,
    init_qkv_weights,
    project_qkv,
    scaled_attention_weights,
)
from llm_attention.ch3_5_causal_attention import (
    CausalAttention,
    causal_mask,
    mask_after_softmax,
    mask_before_softmax,
)
from llm_attention.ch3_6_multihead_attention import MultiHeadAttention, MultiHeadAttentionWrapper
from llm_attention.exercise_check import AttentionCheckError, check_my_attention
from llm_attention.plotting import attention_heatmap_svg
from llm_attention.text import (
    GPT2_VOCAB_SIZE,
    TextEmbedding,
    embed_text,
    gpt2_encoding,
    token_ids,
    token_strings,
)

# The package's one version: pyproject.toml reads it from here ([tool.setuptools.dynamic]),
# and a release tag vX.Y.Z must match it (tools/packaging_proof.sh checks both).
__version__ = "0.2.0.dev0"

# Plain sorted(), as tests/test_public_api.py checks; ruff's RUF022 wants its own
# isort-style order (constants, then classes, then functions) instead.
__all__ = [  # noqa: RUF022
    "AttentionCheckError",
    "CausalAttention",
    "EXAMPLE_SENTENCE",
    "EXAMPLE_TOKENS",
    "GPT2_VOCAB_SIZE",
    "GroupedQueryAttention",
    "KVCacheMultiHeadAttention",
    "MultiHeadAttention",
    "MultiHeadAttentionWrapper",
    "MultiHeadLatentAttention",
    "SDPAMultiHeadAttention",
    "SelfAttention_v1",
    "SelfAttention_v2",
    "SlidingWindowAttention",
    "TextEmbedding",
    "attention_heatmap_svg",
    "attention_scores",
    "causal_mask",
    "check_my_attention",
    "compare_kv_cache_bytes",
    "context_vector",
    "context_vectors",
    "embed_text",
    "example_inputs",
    "gpt2_encoding",
    "init_qkv_weights",
    "kv_cache_bytes",
    "mask_after_softmax",
    "mask_before_softmax",
    "normalize_by_sum",
    "project_qkv",
    "query_scores",
    "scaled_attention_weights",
    "simple_attention_scores",
    "simple_attention_weights",
    "simple_context_vectors",
    "sliding_window_mask",
    "softmax_naive",
    "token_ids",
    "token_strings",
]
