"""Section 3.5: causal attention, dropout and CausalAttention, on the six tokens.

The site embeds the named sections of this file (``# --8<-- [start:name]``) into
the 3.5 pages of both languages and runs them while it is built; running this
file top to bottom prints the same outputs.
"""

# --8<-- [start:weights]
import torch

from llm_attention import SelfAttention_v2, example_inputs

inputs = example_inputs()  # "Your journey starts with one step", (6, 3)
d_in, d_out = inputs.shape[1], 2

torch.manual_seed(789)
sa_v2 = SelfAttention_v2(d_in, d_out)
context_vec, attn_weights = sa_v2(inputs, return_attn_weights=True)
print(attn_weights)  # every row spreads its weight over all six tokens
# --8<-- [end:weights]

# The pages show causal_mask from the package's own source and run that code.
from llm_attention import causal_mask

# --8<-- [start:mask]
context_length = attn_weights.shape[0]
ones = torch.ones(context_length, context_length)
print(torch.tril(ones))  # 1 on and below the diagonal: what each query may see

mask = causal_mask(context_length)  # the complement: True above the diagonal, the future
print(mask)
print("mask is tril == 0:", torch.equal(mask, torch.tril(ones) == 0))
# --8<-- [end:mask]

# --8<-- [start:method-1]
# Method 1: softmax first, then zero the future and renormalise
masked_simple = attn_weights.masked_fill(mask, 0.0)  # (1) zero the future
print(masked_simple)

row_sums = masked_simple.sum(dim=-1, keepdim=True)  # (2) what is left
print(row_sums.flatten())
masked_simple_norm = masked_simple / row_sums  # (3) rows sum to 1 again
print(masked_simple_norm)

from llm_attention import mask_after_softmax

same = torch.allclose(masked_simple_norm, mask_after_softmax(attn_weights))
print("Same as mask_after_softmax:", same)
# --8<-- [end:method-1]

# --8<-- [start:method-2]
# Method 2: mask the scores with -inf, then softmax once
from llm_attention import mask_before_softmax

queries = sa_v2.W_query(inputs)
keys = sa_v2.W_key(inputs)
attn_scores = queries @ keys.T

masked = attn_scores.masked_fill(mask, -torch.inf)  # (1) -inf above the diagonal
print(masked)
d_k = keys.shape[-1]
attn_weights = torch.softmax(masked / d_k**0.5, dim=-1)  # (2) exp(-inf) = 0
print(attn_weights)
print("Same as mask_before_softmax:", torch.equal(masked, mask_before_softmax(attn_scores)))
# --8<-- [end:method-2]

# --8<-- [start:agree]
print("Methods agree:", torch.allclose(masked_simple_norm, attn_weights))
# --8<-- [end:agree]

# --8<-- [start:conventions]
from torch.nn.functional import scaled_dot_product_attention as sdpa

values = sa_v2.W_value(inputs)
context_vec = attn_weights @ values  # the causal result of method 2

# sdpa reads a boolean attn_mask as True = "may attend"
wrong = sdpa(queries, keys, values, attn_mask=mask)
right = sdpa(queries, keys, values, attn_mask=~mask)
built_in = sdpa(queries, keys, values, is_causal=True)
print("attn_mask=mask:  ", torch.allclose(wrong, context_vec))
print("attn_mask=~mask: ", torch.allclose(right, context_vec))
print("is_causal=True:  ", torch.allclose(built_in, context_vec))

# What the wrong call computed: attention to the later tokens only
future_scores = attn_scores.masked_fill(~mask, -torch.inf)
future_weights = torch.softmax(future_scores / d_k**0.5, dim=-1)
print(future_weights[0])  # "Your" attends only to the five later tokens
same = torch.allclose(wrong[0], future_weights[0] @ values)
print("wrong[0] uses only later tokens:", same)

# The last token has no later token: its row of the wrong mask allows nothing.
# A plain softmax over a row of -inf is 0/0, NaN; sdpa returns zeros for that row.
print(future_weights[-1])
print(f"wrong[-1] with torch {torch.__version__}:", wrong[-1])
# --8<-- [end:conventions]

# --8<-- [start:dropout-ones]
torch.manual_seed(123)
dropout = torch.nn.Dropout(0.5)  # zero each element with probability 0.5
example = torch.ones(6, 6)
dropped_ones = dropout(example)
print(dropped_ones)  # kept elements become 1 / (1 - 0.5) = 2
# --8<-- [end:dropout-ones]

# --8<-- [start:dropout-weights]
torch.manual_seed(123)
dropped = dropout(attn_weights)  # same seed, same pattern
print(dropped)
# --8<-- [end:dropout-weights]

# --8<-- [start:dropout-scaling]
torch.manual_seed(123)
dropout_02 = torch.nn.Dropout(0.2)
out = dropout_02(torch.ones(1000, 1000))
print("1 / p       =", 1 / 0.2)
print("1 / (1 - p) =", 1 / (1 - 0.2))
print("Values after dropout:", out.unique())
print("Fraction zeroed:", (out == 0).float().mean().item())
print("Mean (the input's mean is 1):", out.mean().item())
# --8<-- [end:dropout-scaling]

# --8<-- [start:dropout-eval]
# Properties that hold on every machine, whatever mask the seed gives there
kept = dropped != 0
doubled = torch.allclose(dropped[kept], 2 * attn_weights[kept])
print("Kept weights are doubled:", doubled)

dropout.eval()  # evaluation mode: dropout does nothing
unchanged = torch.equal(dropout(attn_weights), attn_weights)
print("eval() leaves the weights alone:", unchanged)
# --8<-- [end:dropout-eval]

# --8<-- [start:batch]
batch = torch.stack((inputs, inputs))  # two copies of the six tokens
print(batch.shape)  # (b, num_tokens, d_in)
# --8<-- [end:batch]

# The pages show CausalAttention from the package's own source
# and run that code; this file imports them, so it runs top to bottom on its own.
from llm_attention import CausalAttention

# --8<-- [start:causal-class]
torch.manual_seed(123)
context_length = batch.shape[1]
ca = CausalAttention(d_in, d_out, context_length, 0.0)
context_vecs = ca(batch)
print(context_vecs)
print("context_vecs.shape:", context_vecs.shape)
# --8<-- [end:causal-class]

# --8<-- [start:one-sequence]
one = ca(inputs.unsqueeze(0))  # one sequence: add a batch dimension of size 1
print(one.shape)
print("Same as the batch's first sequence:", torch.allclose(one[0], context_vecs[0]))
# --8<-- [end:one-sequence]

# --8<-- [start:buffer]
print(list(ca.state_dict().keys()))  # the mask is saved with the weights
print([name for name, _ in ca.named_parameters()])  # but is not trained
# --8<-- [end:buffer]

# --8<-- [start:buffer-meta]
import copy

# "meta" is a device every machine has; a GPU would behave the same way
moved = copy.deepcopy(ca).to("meta")
print(moved.W_query.weight.device, moved.mask.device)
# --8<-- [end:buffer-meta]

# --8<-- [start:too-long]
long_batch = torch.cat((batch, batch[:, :2]), dim=1)  # 8 tokens; context_length is 6
try:
    ca(long_batch)
except ValueError as err:
    print("ValueError:", err)
# --8<-- [end:too-long]
