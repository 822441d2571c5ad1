"""Section 3.7: the chapter's classes side by side, and multi-head attention on real text.

The site embeds the named sections of this file (``# --8<-- [start:name]``): ``quickstart``
on the home page, the others on the 3.7 summary page, in both languages, and runs them
while it is built. Running this file top to bottom prints the same outputs.
"""

# --8<-- [start:quickstart]
import torch

from llm_attention import MultiHeadAttention, example_inputs

inputs = example_inputs()  # 6 tokens, 3 dimensions: (num_tokens, d_in)
batch = torch.stack((inputs, inputs), dim=0)  # (b, num_tokens, d_in)
d_in, d_out, context_length = 3, 2, 6

torch.manual_seed(123)  # the book's seed, right before the weights are drawn
mha = MultiHeadAttention(d_in, d_out, context_length, 0.0, num_heads=2)
context_vecs = mha(batch)
print(context_vecs)
print("context_vecs.shape:", context_vecs.shape)
# --8<-- [end:quickstart]

# --8<-- [start:classes]
import torch

from llm_attention import (
    CausalAttention,
    MultiHeadAttention,
    MultiHeadAttentionWrapper,
    SelfAttention_v1,
    SelfAttention_v2,
    example_inputs,
)

inputs = example_inputs()  # one sequence: (num_tokens, d_in) = (6, 3)
batch = torch.stack((inputs, inputs), dim=0)  # (b, num_tokens, d_in) = (2, 6, 3)
d_in, d_out, context_length = 3, 2, 6

# each class with the input the book gives it:
# one sequence in 3.4, a batch from 3.5 on (any other shape is a clear error)
modules_and_inputs = [
    (SelfAttention_v1(d_in, d_out), inputs),
    (SelfAttention_v2(d_in, d_out), inputs),
    (CausalAttention(d_in, d_out, context_length, 0.0), batch),
    (MultiHeadAttentionWrapper(d_in, d_out, context_length, 0.0, num_heads=2), batch),
    (MultiHeadAttention(d_in, d_out, context_length, 0.0, num_heads=2), batch),
]
print(f"{'class':<26} {'params':>6}  input -> output")
for module, x in modules_and_inputs:
    name = type(module).__name__
    num_params = sum(p.numel() for p in module.parameters())
    print(f"{name:<26} {num_params:>6}  {tuple(x.shape)} -> {tuple(module(x).shape)}")
# --8<-- [end:classes]

# --8<-- [start:real-text]
import torch

from llm_attention import MultiHeadAttention, embed_text, token_strings

# GPT-2 token ids -> token + position embeddings, 768 wide (seed 123)
text = "Your journey starts with one step"
ids, x = embed_text(text, 768, context_length=1024)
print(ids)
print(token_strings(ids))
print("x:", x.shape)  # (num_tokens, d_in)

d_in, d_out, context_length, num_heads = 768, 768, 1024, 12  # GPT-2 small
torch.manual_seed(123)
mha = MultiHeadAttention(d_in, d_out, context_length, 0.0, num_heads)
mha.eval()
batch = x.unsqueeze(0)  # (b, num_tokens, d_in) = (1, 6, 768)
with torch.no_grad():
    context_vec, attn_weights = mha(batch, return_attn_weights=True)
print("head_dim:", mha.head_dim)  # d_out // num_heads
print("context_vec:", context_vec.shape)  # (b, num_tokens, d_out)
# (b, num_heads, num_tokens, num_tokens): one matrix of weights per head
print("attn_weights:", attn_weights.shape)
# --8<-- [end:real-text]

# --8<-- [start:gpt2-params]
num_params = sum(p.numel() for p in mha.parameters())
print(f"{num_params:,} parameters")  # 4 * 768 * 768 + 768 (exercise 3.3)
print("Causal mask (a buffer, not a parameter):", tuple(mha.mask.shape))
# --8<-- [end:gpt2-params]
