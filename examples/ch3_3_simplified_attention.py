"""Section 3.3: self-attention without trainable weights, on the chapter's six tokens.

The site embeds the named sections of this file (``# --8<-- [start:name]``) into the
3.3 pages of both languages and runs them while it is built; running this file top
to bottom prints the same outputs.
"""

# --8<-- [start:inputs]
import torch

from llm_attention import EXAMPLE_TOKENS, example_inputs

inputs = example_inputs()  # (num_tokens, d_in) = (6, 3), one row per token
for token, x in zip(EXAMPLE_TOKENS, inputs, strict=True):  # a loop gives the rows
    print(f"{token:>8}", x)
print("inputs.shape:", inputs.shape)
# --8<-- [end:inputs]

# --8<-- [start:scores]
query = inputs[1]  # x(2), the embedding of "journey": the query we follow

# step 1, score: one dot product per input row, omega_2i = x(i) . x(2)
attn_scores_2 = torch.stack([torch.dot(x_i, query) for x_i in inputs])
print(attn_scores_2)
# --8<-- [end:scores]

# --8<-- [start:dot-product]
x_1 = inputs[0]
by_hand = x_1[0] * query[0] + x_1[1] * query[1] + x_1[2] * query[2]
print("by hand:    ", by_hand)
print("torch.dot:  ", torch.dot(x_1, query))
print("x_1 @ query:", x_1 @ query)  # @ on two 1-D tensors: their dot product
# --8<-- [end:dot-product]

# --8<-- [start:dot-product-cos]
# the same score, written as length x length x cos(angle)
cos = torch.cosine_similarity(x_1, query, dim=0)
print("|x1| |x2| cos:", x_1.norm() * query.norm() * cos)
cos_all = torch.cosine_similarity(inputs, query, dim=-1)
print("cos(angle) with x(2):", cos_all)
# --8<-- [end:dot-product-cos]

# --8<-- [start:normalize-sum]
# step 2, normalize (first attempt): divide each score by the sum of all six
attn_weights_2_tmp = attn_scores_2 / attn_scores_2.sum()
print("Attention weights:", attn_weights_2_tmp)
print("Sum:", attn_weights_2_tmp.sum())

# dividing by the sum breaks as soon as a score is negative
signed_scores = torch.tensor([2.0, -1.0, -0.5])
print("Signed scores / their sum:", signed_scores / signed_scores.sum())
# --8<-- [end:normalize-sum]


# --8<-- [start:softmax-naive]
# step 2, normalize (second attempt): exponentiate, then divide by the sum
def softmax_naive(x):
    exps = torch.exp(x)  # every exp(x_i) is positive, whatever the sign of x_i
    return exps / exps.sum()  # for one row of scores


attn_weights_2_naive = softmax_naive(attn_scores_2)
print("Attention weights:", attn_weights_2_naive)
print("Sum:", attn_weights_2_naive.sum())
print("Signed scores:", softmax_naive(signed_scores))
# --8<-- [end:softmax-naive]

# --8<-- [start:softmax-torch]
attn_weights_2 = torch.softmax(attn_scores_2, dim=0)  # step 2, normalize
print("Attention weights:", attn_weights_2)
print("Sum:", attn_weights_2.sum())
# --8<-- [end:softmax-torch]

# --8<-- [start:overflow]
big_scores = torch.tensor([1000.0, 999.0, 998.0])
print("exp(big_scores):    ", torch.exp(big_scores))  # overflows: inf
print("softmax_naive:      ", softmax_naive(big_scores))  # inf / inf: nan
print("minus the max first:", softmax_naive(big_scores - big_scores.max()))
print("torch.softmax:      ", torch.softmax(big_scores, dim=0))
# --8<-- [end:overflow]

# --8<-- [start:context]
# step 3, mix: z(2) = sum of alpha_2i x(i), each input times its weight
context_vec_2 = torch.zeros_like(query)
for alpha_2i, x_i in zip(attn_weights_2, inputs, strict=True):
    context_vec_2 += alpha_2i * x_i
print(context_vec_2)
# --8<-- [end:context]

# --8<-- [start:all-scores]
attn_scores = inputs @ inputs.T  # step 1, score: (6, 3) @ (3, 6) -> (6, 6)
print(attn_scores)
print("Row 2 = attn_scores_2:", torch.allclose(attn_scores[1], attn_scores_2))
# --8<-- [end:all-scores]

# --8<-- [start:all-weights]
attn_weights = torch.softmax(attn_scores, dim=-1)  # step 2, normalize each row
print(attn_weights)
print("Row sums:", attn_weights.sum(dim=-1))
# --8<-- [end:all-weights]

# --8<-- [start:all-context]
all_context_vecs = attn_weights @ inputs  # step 3, mix: (6, 6) @ (6, 3) -> (6, 3)
print(all_context_vecs)
row_2 = all_context_vecs[1]
print("Row 2 = context_vec_2:", torch.allclose(row_2, context_vec_2))
# --8<-- [end:all-context]

# --8<-- [start:package]
from llm_attention import (
    simple_attention_scores,
    simple_attention_weights,
    simple_context_vectors,
)

scores = simple_attention_scores(inputs)  # inputs @ inputs^T
weights = simple_attention_weights(scores)  # softmax of each row
context_vecs = simple_context_vectors(weights, inputs)  # weights @ inputs
print("Same result:", torch.allclose(context_vecs, all_context_vecs))
# --8<-- [end:package]
