"""Behaviour the API page states, run while the site is built.

The site embeds the named sections of this file (``# --8<-- [start:name]``) into the API
pages of both languages; running this file top to bottom prints the same outputs.
"""

# --8<-- [start:version]
import llm_attention

print(llm_attention.__version__)
# --8<-- [end:version]

# --8<-- [start:nan]
import torch
from torch.nn.functional import scaled_dot_product_attention

from llm_attention import MultiHeadAttention, example_inputs

x = example_inputs().unsqueeze(0)  # a batch of one sequence of six tokens, (1, 6, 3)
x[0, 5, 0] = float("nan")  # a NaN in the last token only

torch.manual_seed(123)
mha = MultiHeadAttention(3, 2, 6, 0.0, num_heads=2)
print("first token, MultiHeadAttention:", mha(x)[0, 0])

q = k = v = x  # SDPA on the raw inputs, (1, 6, 3)
print("first token, SDPA:", scaled_dot_product_attention(q, k, v, is_causal=True)[0, 0])
print("weight of token 6 for token 1:", mha(x, return_attn_weights=True)[1][0, 0, 0, 5].item())
# --8<-- [end:nan]
