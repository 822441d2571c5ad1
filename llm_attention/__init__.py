"""The attention mechanisms of chapter 3 of *Build a Large Language Model (From Scratch)*.

The modules follow the chapter's order:

- :mod:`llm_attention.ch3_3_simplified_attention`: 3.3, self-attention without trainable weights
- :mod:`llm_attention.ch3_4_trainable_weights`: 3.4, scaled dot-product attention
- :mod:`llm_attention.ch3_5_causal_attention`: 3.5, causal masking and dropout
- :mod:`llm_attention.ch3_6_multihead_attention`: 3.6, multi-head attention
- :mod:`llm_attention.text`: real sentences as GPT-2 tokens and embeddings
- :mod:`llm_attention.plotting`: attention-weight heatmaps as SVG

Every public name is re-exported here, so ``from llm_attention import MultiHeadAttention``
works as in the book.
"""

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
from llm_attention.plotting import attention_heatmap_svg
from llm_attention.text import (
    GPT2_VOCAB_SIZE,
    TextEmbedding,
    embed_text,
    gpt2_encoding,
    token_ids,
    token_strings,
)

__version__ = "0.1.0"

__all__ = [
    "EXAMPLE_SENTENCE",
    "EXAMPLE_TOKENS",
    "GPT2_VOCAB_SIZE",
    "CausalAttention",
    "MultiHeadAttention",
    "MultiHeadAttentionWrapper",
    "SelfAttention_v1",
    "SelfAttention_v2",
    "TextEmbedding",
    "attention_heatmap_svg",
    "attention_scores",
    "causal_mask",
    "context_vector",
    "context_vectors",
    "embed_text",
    "example_inputs",
    "gpt2_encoding",
    "init_qkv_weights",
    "mask_after_softmax",
    "mask_before_softmax",
    "normalize_by_sum",
    "project_qkv",
    "query_scores",
    "scaled_attention_weights",
    "simple_attention_scores",
    "simple_attention_weights",
    "simple_context_vectors",
    "softmax_naive",
    "token_ids",
    "token_strings",
]
