"""Section 3.4: self-attention with trainable weights (scaled dot-product attention).

The site embeds the named sections of this file (``# --8<-- [start:name]``) into the
3.4 pages of both languages and runs them while it is built; running this file top
to bottom prints the same outputs.
"""

# --8<-- [start:setup]
import torch

from llm_attention import example_inputs

inputs = example_inputs()  # (6, 3), the six tokens of 3.3
x_2 = inputs[1]  # the second token, "journey"
d_in = inputs.shape[1]  # 3: size of each input embedding
d_out = 2  # size of each query, key and value

torch.manual_seed(123)
# three (d_in, d_out) matrices of uniform random numbers, drawn query first
W_query = torch.nn.Parameter(torch.rand(d_in, d_out), requires_grad=False)
W_key = torch.nn.Parameter(torch.rand(d_in, d_out), requires_grad=False)
W_value = torch.nn.Parameter(torch.rand(d_in, d_out), requires_grad=False)
print(W_query)
# --8<-- [end:setup]

# --8<-- [start:helper]
from llm_attention import init_qkv_weights

torch.manual_seed(123)
drawn = init_qkv_weights(d_in, d_out)  # the package's helper for the three lines above
same = [torch.equal(a, b) for a, b in zip(drawn, (W_query, W_key, W_value), strict=True)]
print("Same matrices:", all(same))
# --8<-- [end:helper]

# --8<-- [start:query-2]
query_2 = x_2 @ W_query  # step 1: q(2) = x(2) W_q, (3,) @ (3, 2) -> (2,)
key_2 = x_2 @ W_key
value_2 = x_2 @ W_value
print(query_2)
# --8<-- [end:query-2]

# --8<-- [start:keys-values]
keys = inputs @ W_key  # step 1: K = X W_k, (6, 3) @ (3, 2) -> (6, 2)
values = inputs @ W_value  # V = X W_v
print("keys.shape:", keys.shape)
print("values.shape:", values.shape)
# --8<-- [end:keys-values]

# --8<-- [start:score-22]
keys_2 = keys[1]
attn_score_22 = query_2.dot(keys_2)  # step 2: omega_22 = q(2) . k(2)
print(attn_score_22)
# --8<-- [end:score-22]

# --8<-- [start:scores-2]
attn_scores_2 = query_2 @ keys.T  # step 2: (2,) @ (2, 6) -> (6,)
print(attn_scores_2)
# --8<-- [end:scores-2]

# --8<-- [start:weights-2]
d_k = keys.shape[-1]  # 2
attn_weights_2 = torch.softmax(attn_scores_2 / d_k**0.5, dim=-1)  # step 3
print(attn_weights_2)
print("Sum:", attn_weights_2.sum())
# --8<-- [end:weights-2]

# --8<-- [start:why-scale-spread]
torch.manual_seed(0)
for d in (4, 1024):
    # 10,000 random (q, k) pairs, entries with mean 0 and variance 1
    q, k = torch.randn(10_000, d), torch.randn(10_000, d)
    dots = (q * k).sum(dim=-1)  # their dot products q . k
    scaled = dots / d**0.5
    std, std_scaled = dots.std(), scaled.std()
    print(f"d_k = {d:4d}: std of q.k {std:5.2f}, scaled {std_scaled:.2f}")
# --8<-- [end:why-scale-spread]

# --8<-- [start:why-scale-softmax]
torch.manual_seed(123)
for d in (4, 1024):
    query, six_keys = torch.randn(d), torch.randn(6, d)
    scores = six_keys @ query  # one query against six random keys
    unscaled = torch.softmax(scores, dim=-1)
    scaled = torch.softmax(scores / d**0.5, dim=-1)
    print(f"d_k = {d}, scores: {scores}")
    print("  softmax(scores)            ", unscaled.round(decimals=3))
    print("  softmax(scores / sqrt(d_k))", scaled.round(decimals=3))
    slope = (unscaled * (1 - unscaled)).max()  # largest a(1 - a)
    slope_scaled = (scaled * (1 - scaled)).max()
    print(f"  largest slope a(1-a): {slope:.4f}, scaled {slope_scaled:.4f}")
# --8<-- [end:why-scale-softmax]

# --8<-- [start:context-2]
context_vec_2 = attn_weights_2 @ values  # step 4: sum of alpha_2i v(i)
print(context_vec_2)
# --8<-- [end:context-2]

# The pages show these two classes from the package's own source and run that code;
# this file imports them, so it runs top to bottom on its own.
from llm_attention import SelfAttention_v1, SelfAttention_v2

# --8<-- [start:v1]
torch.manual_seed(123)
sa_v1 = SelfAttention_v1(d_in, d_out)  # __init__ draws the three matrices
print(sa_v1(inputs))  # calling the module runs forward(inputs)

# the package's flag: the attention weights as well, to compare with 3.4.1
context_vecs, weights = sa_v1(inputs, return_attn_weights=True)
print("Row 2 = context_vec_2:", torch.allclose(context_vecs[1], context_vec_2))
print("Row 2 = attn_weights_2:", torch.allclose(weights[1], attn_weights_2))
# --8<-- [end:v1]

# --8<-- [start:v1-one-sequence]
batch = torch.stack((inputs, inputs))  # two sequences: (2, 6, 3)
try:
    sa_v1(batch)
except ValueError as err:  # the check in forward
    print("ValueError:", err)
# --8<-- [end:v1-one-sequence]

# --8<-- [start:v2]
torch.manual_seed(789)
sa_v2 = SelfAttention_v2(d_in, d_out)
print(sa_v2(inputs))
# --8<-- [end:v2]

# --8<-- [start:v1-vs-v2]
print("v1: W_query, (d_in, d_out), from torch.rand")
print(sa_v1.W_query.data)
print("v2: W_query.weight, (d_out, d_in), from nn.Linear")
print(sa_v2.W_query.weight.data)

# give v1 the weights of v2: each v1 matrix is the transpose of a v2 weight
with torch.no_grad():
    for name in ("W_query", "W_key", "W_value"):
        getattr(sa_v1, name).copy_(getattr(sa_v2, name).weight.T)

print("Same outputs:", torch.allclose(sa_v1(inputs), sa_v2(inputs)))
# --8<-- [end:v1-vs-v2]
