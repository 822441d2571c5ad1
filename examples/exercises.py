"""The solutions to chapter 3's three exercises.

The site embeds the named sections of this file (``# --8<-- [start:name]``) into the
exercises pages of both languages and runs them while it is built; running this file
top to bottom prints the same outputs.
"""

# --8<-- [start:ex3-1]
import torch

from llm_attention import SelfAttention_v1, SelfAttention_v2, example_inputs

inputs = example_inputs()  # (num_tokens, d_in) = (6, 3)
d_in, d_out = 3, 2

torch.manual_seed(123)
sa_v1 = SelfAttention_v1(d_in, d_out)
torch.manual_seed(789)
sa_v2 = SelfAttention_v2(d_in, d_out)
print("Before copying:", torch.allclose(sa_v1(inputs), sa_v2(inputs)))

# v1 holds each projection as a (d_in, d_out) matrix; nn.Linear holds its
# weight as (d_out, d_in). Overwrite v1's three matrices, in place, with the
# transposes of v2's weights.
with torch.no_grad():
    for name in ("W_query", "W_key", "W_value"):
        linear = getattr(sa_v2, name)  # nn.Linear(d_in, d_out, bias=False)
        getattr(sa_v1, name).copy_(linear.weight.T)

print(sa_v1(inputs))
print(sa_v2(inputs))
print("After copying:", torch.allclose(sa_v1(inputs), sa_v2(inputs)))
# --8<-- [end:ex3-1]

# --8<-- [start:ex3-2]
import torch

from llm_attention import MultiHeadAttentionWrapper, example_inputs

inputs = example_inputs()
batch = torch.stack((inputs, inputs), dim=0)  # (b, num_tokens, d_in)

d_in, d_out, context_length = 3, 1, 6  # d_out = 1: each head is 1 wide

torch.manual_seed(123)
mha = MultiHeadAttentionWrapper(d_in, d_out, context_length, 0.0, num_heads=2)
context_vecs = mha(batch)  # 2 heads of width 1, concatenated
print(context_vecs)
print("context_vecs.shape:", context_vecs.shape)
# --8<-- [end:ex3-2]

# --8<-- [start:ex3-3]
from llm_attention import MultiHeadAttention

d_in, d_out, context_length, num_heads = 768, 768, 1024, 12
gpt2_mha = MultiHeadAttention(d_in, d_out, context_length, 0.0, num_heads)
print("head_dim:", gpt2_mha.head_dim)  # 768 // 12 = 64

for name, param in gpt2_mha.named_parameters():
    print(f"{name:<16} {tuple(param.shape)!s:<12} {param.numel():>9,}")

num_params = sum(p.numel() for p in gpt2_mha.parameters())
print(f"{'total':<29} {num_params:>9,}")
print("4 * 768 * 768 + 768 =", f"{4 * 768 * 768 + 768:,}")
# --8<-- [end:ex3-3]
