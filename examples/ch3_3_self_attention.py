"""Section 3.3: self-attention without trainable weights, on the chapter's six tokens.

The site embeds the named sections of this file (``# --8<-- [start:name]``) into the
3.3 pages of both languages and runs them while it is built; running this file top
to bottom prints the same outputs.
"""

# --8<-- [start:inputs]
import torch

from llm_attention import EXAMPLE_TOKENS, example_inputs

inputs = example_inputs()  # one 3-dimensional embedding per token
print(EXAMPLE_TOKENS)
print(inputs)
# --8<-- [end:inputs]

# --8<-- [start:scores]
from llm_attention import query_scores

query = inputs[1]  # x(2), the embedding of "journey"
attn_scores_2 = query_scores(query, inputs)  # x(i) . query for every i
print(attn_scores_2)
# --8<-- [end:scores]

# --8<-- [start:dot-product]
manual = sum(x_i * q_i for x_i, q_i in zip(inputs[0], query, strict=True))
print(manual, torch.dot(inputs[0], query))
# --8<-- [end:dot-product]

# --8<-- [start:normalize]
from llm_attention import normalize_by_sum, softmax_naive

attn_weights_2_tmp = normalize_by_sum(attn_scores_2)
print("Divide by the sum:", attn_weights_2_tmp, attn_weights_2_tmp.sum())

attn_weights_2_naive = softmax_naive(attn_scores_2)
print("Naive softmax:    ", attn_weights_2_naive, attn_weights_2_naive.sum())

attn_weights_2 = torch.softmax(attn_scores_2, dim=0)
print("torch.softmax:    ", attn_weights_2, attn_weights_2.sum())
# --8<-- [end:normalize]

# --8<-- [start:overflow]
big_scores = torch.tensor([1000.0, 999.0, 998.0])
print("Naive softmax:", softmax_naive(big_scores))  # exp(1000) overflows to inf; inf/inf is NaN
print("torch.softmax:", torch.softmax(big_scores, dim=0))  # subtracts the max first
# --8<-- [end:overflow]

# --8<-- [start:context]
from llm_attention import context_vector

context_vec_2 = context_vector(attn_weights_2, inputs)  # sum of a_i * x(i)
print(context_vec_2)
# --8<-- [end:context]

# --8<-- [start:all-scores]
from llm_attention import simple_attention_scores

attn_scores = simple_attention_scores(inputs)  # inputs @ inputs.T
print(attn_scores)
# --8<-- [end:all-scores]

# --8<-- [start:all-weights]
from llm_attention import simple_attention_weights

attn_weights = simple_attention_weights(attn_scores)  # softmax over each row
print(attn_weights)
print("Row sums:", attn_weights.sum(dim=-1))
# --8<-- [end:all-weights]

# --8<-- [start:all-context]
from llm_attention import simple_context_vectors

all_context_vecs = simple_context_vectors(attn_weights, inputs)  # attn_weights @ inputs
print(all_context_vecs)
print("Row 2 equals context_vec_2:", torch.allclose(all_context_vecs[1], context_vec_2))
# --8<-- [end:all-context]
