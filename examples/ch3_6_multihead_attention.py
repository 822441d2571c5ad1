"""Section 3.6: multi-head attention, as stacked heads and with weight splits.

The site embeds the named sections of this file (``# --8<-- [start:name]``) into
the 3.6 pages of both languages and runs them while it is built; running this
file top to bottom prints the same outputs.
"""

# --8<-- [start:batch]
import torch

from llm_attention import example_inputs

inputs = example_inputs()  # "Your journey starts with one step", (6, 3)
batch = torch.stack((inputs, inputs))  # two copies, as in 3.5.3
print(batch.shape)  # (b, num_tokens, d_in)
# --8<-- [end:batch]

# The pages show both classes from the package's own source and run that code;
# this file imports them, so it runs top to bottom on its own.
from llm_attention import MultiHeadAttention, MultiHeadAttentionWrapper

# --8<-- [start:wrapper]
torch.manual_seed(123)
context_length = batch.shape[1]  # 6 tokens
d_in, d_out = 3, 2
mha = MultiHeadAttentionWrapper(d_in, d_out, context_length, 0.0, num_heads=2)
context_vecs = mha(batch)
print(context_vecs)
print("context_vecs.shape:", context_vecs.shape)
# --8<-- [end:wrapper]

# --8<-- [start:wrapper-heads]
head_outputs = [head(batch) for head in mha.heads]  # CausalAttention each
print([out.shape for out in head_outputs])
concatenated = torch.cat(head_outputs, dim=-1)  # joined along the last dimension
print("Concatenated heads:", torch.equal(concatenated, context_vecs))

# the wrapper returns no weights; ask a head for its own
_, head_weights = mha.heads[0](batch, return_attn_weights=True)
print("Head 0's weights:", head_weights.shape)  # (b, num_tokens, num_tokens)
# --8<-- [end:wrapper-heads]

# --8<-- [start:mha]
torch.manual_seed(123)
mha = MultiHeadAttention(d_in, d_out, context_length, 0.0, num_heads=2)
context_vecs = mha(batch)
print(context_vecs)
print("context_vecs.shape:", context_vecs.shape)
# --8<-- [end:mha]

# --8<-- [start:wrapper-equals-mha]
torch.manual_seed(123)
wrapper = MultiHeadAttentionWrapper(d_in, 1, context_length, 0.0, num_heads=2)  # 2 heads of 1
mha_2 = MultiHeadAttention(d_in, 2, context_length, 0.0, num_heads=2)  # 2 in all, head_dim 1

with torch.no_grad():
    hd = mha_2.head_dim
    for h, head in enumerate(wrapper.heads):
        rows = slice(h * hd, (h + 1) * hd)  # head h's block of W_query, W_key, W_value
        mha_2.W_query.weight[rows] = head.W_query.weight
        mha_2.W_key.weight[rows] = head.W_key.weight
        mha_2.W_value.weight[rows] = head.W_value.weight
    mha_2.out_proj.weight.copy_(torch.eye(mha_2.d_out))  # out_proj: the identity
    mha_2.out_proj.bias.zero_()

difference = (mha_2(batch) - wrapper(batch)).abs().max()
print("Same function:", torch.allclose(mha_2(batch), wrapper(batch)))
print(f"Largest difference: {difference:.1e}")
# --8<-- [end:wrapper-equals-mha]

# --8<-- [start:d-out-meaning]
torch.manual_seed(123)
wrapper = MultiHeadAttentionWrapper(d_in, 4, context_length, 0.0, num_heads=2)
mha_4 = MultiHeadAttention(d_in, 4, context_length, 0.0, num_heads=2)
print("Wrapper, d_out=4:           ", wrapper(batch).shape)  # 4 per head
print("MultiHeadAttention, d_out=4:", mha_4(batch).shape)  # 4 in all
print("MultiHeadAttention head_dim:", mha_4.head_dim)
# --8<-- [end:d-out-meaning]

# --8<-- [start:walk-setup]
torch.manual_seed(123)
# sizes that all differ, so every shape below can be read off
mha = MultiHeadAttention(d_in, 12, context_length, 0.0, num_heads=3)
b, num_tokens, _ = batch.shape
print("b =", b, " num_tokens =", num_tokens, " d_out =", mha.d_out)
print("num_heads =", mha.num_heads, " head_dim =", mha.head_dim)
# --8<-- [end:walk-setup]

# --8<-- [start:step-1]
# 1) project: (b, num_tokens, d_in) -> (b, num_tokens, d_out)
keys = mha.W_key(batch)
queries = mha.W_query(batch)
values = mha.W_value(batch)
print(keys.shape)
# --8<-- [end:step-1]

# --8<-- [start:step-2]
# 2) split: (b, num_tokens, d_out) -> (b, num_tokens, num_heads, head_dim)
keys = keys.view(b, num_tokens, mha.num_heads, mha.head_dim)
queries = queries.view(b, num_tokens, mha.num_heads, mha.head_dim)
values = values.view(b, num_tokens, mha.num_heads, mha.head_dim)
print(keys.shape)

#    heads first: -> (b, num_heads, num_tokens, head_dim)
keys = keys.transpose(1, 2)
queries = queries.transpose(1, 2)
values = values.transpose(1, 2)
print(keys.shape)
# --8<-- [end:step-2]

# --8<-- [start:step-3]
# 3) attend in all heads at once: (b, num_heads, num_tokens, num_tokens)
attn_scores = queries @ keys.transpose(2, 3)
print(attn_scores.shape)

mask = mha.mask[:num_tokens, :num_tokens]  # (num_tokens, num_tokens), broadcast
attn_scores = attn_scores.masked_fill(mask, -torch.inf)
attn_weights = torch.softmax(attn_scores / mha.head_dim**0.5, dim=-1)
print(attn_weights.shape)
# --8<-- [end:step-3]

# --8<-- [start:step-4]
# 4) weight the values: (b, num_heads, num_tokens, head_dim)
context_vec = attn_weights @ values
print(context_vec.shape)

#    merge: -> (b, num_tokens, num_heads, head_dim) -> (b, num_tokens, d_out)
context_vec = context_vec.transpose(1, 2)
print(context_vec.shape, "contiguous:", context_vec.is_contiguous())
context_vec = context_vec.contiguous().view(b, num_tokens, mha.d_out)
print(context_vec.shape)
# --8<-- [end:step-4]

# --8<-- [start:step-5]
# 5) mix the heads: (b, num_tokens, d_out) -> (b, num_tokens, d_out)
context_vec = mha.out_proj(context_vec)
print(context_vec.shape)
print("Same as mha(batch):", torch.allclose(context_vec, mha(batch)))
# --8<-- [end:step-5]

# --8<-- [start:contiguous]
merged = (attn_weights @ values).transpose(1, 2)
print("contiguous:", merged.is_contiguous(), " stride:", merged.stride())
try:
    merged.view(b, num_tokens, mha.d_out)
except RuntimeError as err:
    print("RuntimeError:", err)
merged = merged.contiguous()  # copy the elements into row-major order
print(merged.stride(), merged.view(b, num_tokens, mha.d_out).shape)

# head_dim = 1, as in the book's small example: view happens to work
tiny = torch.zeros(2, 2, 6, 1).transpose(1, 2)
print("head_dim = 1:", tiny.is_contiguous(), tiny.view(2, 6, 2).shape)

# the (num_tokens, num_tokens) mask lines up with the last two dimensions
print(torch.broadcast_shapes(mask.shape, attn_scores.shape))
# --8<-- [end:contiguous]

# --8<-- [start:out-proj]
print(mha.W_query)  # d_in -> d_out: the only layers that see d_in
print(mha.out_proj)  # d_out -> d_out: mixes the concatenated heads
# --8<-- [end:out-proj]

# --8<-- [start:einsum-check]
from torch.nn.functional import scaled_dot_product_attention as sdpa

from llm_attention import causal_mask

torch.manual_seed(123)
d_in, d_out = 5, 8  # different on purpose
mha_check = MultiHeadAttention(d_in, d_out, context_length, 0.0, num_heads=2)
x = torch.randn(b, num_tokens, d_in)
heads = (b, num_tokens, mha_check.num_heads, mha_check.head_dim)

# nn.Linear stores its weight as (d_out, d_in): "oi", not "io"
queries = torch.einsum("bni,oi->bno", x, mha_check.W_query.weight)
keys = torch.einsum("bni,oi->bno", x, mha_check.W_key.weight)
values = torch.einsum("bni,oi->bno", x, mha_check.W_value.weight)
queries = queries.view(heads)  # (b, num_tokens, num_heads, head_dim)
keys = keys.view(heads)
values = values.view(heads)

scale = mha_check.head_dim**0.5
attn_scores = torch.einsum("bqhd,bkhd->bhqk", queries, keys) / scale
attn_scores = attn_scores.masked_fill(causal_mask(num_tokens), -torch.inf)
attn_weights = torch.softmax(attn_scores, dim=-1)
context_vec = torch.einsum("bhqk,bkhd->bqhd", attn_weights, values)
out_einsum = mha_check.out_proj(context_vec.reshape(b, num_tokens, d_out))

# PyTorch's fused kernel wants the heads first: (b, num_heads, ...)
q, k, v = (t.transpose(1, 2) for t in (queries, keys, values))
context_vec = sdpa(q, k, v, is_causal=True).transpose(1, 2)
out_sdpa = mha_check.out_proj(context_vec.reshape(b, num_tokens, d_out))

expected = mha_check(x)
assert torch.allclose(out_einsum, expected, atol=1e-6)
assert torch.allclose(out_sdpa, expected, atol=1e-6)
print("einsum and sdpa match MultiHeadAttention with d_in=5, d_out=8")

try:  # the classic slip: reading the weight as (d_in, d_out)
    torch.einsum("bni,io->bno", x, mha_check.W_query.weight)
except RuntimeError as err:
    print("RuntimeError:", err)
# --8<-- [end:einsum-check]

# --8<-- [start:real-sentence]
from llm_attention import embed_text, token_strings

sentence = "The cat sat on the mat because it"
ids, embeddings = embed_text(sentence, output_dim=16)
tokens = token_strings(ids)  # GPT-2 tokens keep their leading space
print(tokens)

torch.manual_seed(123)
mha_text = MultiHeadAttention(16, 16, len(ids), dropout=0.1, num_heads=4)
mha_text.eval()  # dropout off while we look at the weights
with torch.no_grad():  # one sentence is a batch of one: unsqueeze(0) adds b = 1
    context_vecs, attn_weights = mha_text(embeddings.unsqueeze(0), return_attn_weights=True)
print(context_vecs.shape)  # (b, num_tokens, d_out)
print(attn_weights.shape)  # (b, num_heads, num_tokens, num_tokens)
# --8<-- [end:real-sentence]
