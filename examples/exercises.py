"""The solutions to chapter 3's three exercises, and the site's own "Write MultiHeadAttention
yourself" with its checker.

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

# --8<-- [start:write-mha-skeleton]
import torch
from torch import nn


class MyMultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        assert d_out % num_heads == 0, "d_out must be divisible by num_heads"
        self.d_out = d_out
        self.num_heads = num_heads
        self.head_dim = d_out // num_heads
        # The layers: W_query, W_key, W_value (d_in -> d_out, bias=qkv_bias),
        # out_proj (d_out -> d_out), a dropout layer, and the causal mask as a
        # buffer: context_length x context_length, ones above the diagonal.

    def forward(self, x):
        # b, num_tokens, _ = x.shape
        # 1. project x: queries, keys, values, each (b, num_tokens, d_out)
        # 2. split into heads: view as (b, num_tokens, num_heads, head_dim),
        #    then transpose(1, 2) to (b, num_heads, num_tokens, head_dim)
        # 3. scores: queries @ keys^T -> (b, num_heads, num_tokens, num_tokens)
        # 4. causal mask: -inf above the diagonal (the mask cut to num_tokens)
        # 5. scale by sqrt(head_dim), softmax over the keys (the last dimension)
        # 6. dropout on the attention weights
        # 7. weight the values -> (b, num_heads, num_tokens, head_dim)
        # 8. merge the heads: transpose(1, 2), then view as (b, num_tokens, d_out)
        # 9. out_proj
        raise NotImplementedError("write the steps of section 3.6.2 here")


# --8<-- [end:write-mha-skeleton]

# --8<-- [start:write-mha-check-skeleton]
from llm_attention import AttentionCheckError, check_my_attention

try:
    check_my_attention(MyMultiHeadAttention)
except AttentionCheckError as error:
    print("AttentionCheckError:", error)
# --8<-- [end:write-mha-check-skeleton]

# --8<-- [start:write-mha-solution]
import torch
from torch import nn


class MyMultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        assert d_out % num_heads == 0, "d_out must be divisible by num_heads"
        self.d_out = d_out
        self.num_heads = num_heads
        self.head_dim = d_out // num_heads
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        ones = torch.ones(context_length, context_length)
        self.register_buffer("mask", torch.triu(ones, diagonal=1))

    def forward(self, x):
        b, num_tokens, _ = x.shape
        # 1. project: each (b, num_tokens, d_out)
        queries = self.W_query(x)
        keys = self.W_key(x)
        values = self.W_value(x)
        # 2. split into heads: (b, num_heads, num_tokens, head_dim)
        split = (b, num_tokens, self.num_heads, self.head_dim)
        queries = queries.view(split).transpose(1, 2)
        keys = keys.view(split).transpose(1, 2)
        values = values.view(split).transpose(1, 2)
        # 3. scores: (b, num_heads, num_tokens, num_tokens)
        attn_scores = queries @ keys.transpose(2, 3)
        # 4. causal mask, cut to this input's length
        hidden = self.mask.bool()[:num_tokens, :num_tokens]
        attn_scores = attn_scores.masked_fill(hidden, -torch.inf)
        # 5. scale, then softmax over the keys
        attn_weights = torch.softmax(attn_scores / self.head_dim**0.5, dim=-1)
        # 6. dropout on the attention weights
        attn_weights = self.dropout(attn_weights)
        # 7. weight the values: (b, num_heads, num_tokens, head_dim)
        context_vec = attn_weights @ values
        # 8. merge the heads: (b, num_tokens, num_heads, head_dim) -> (b, num_tokens, d_out)
        context_vec = context_vec.transpose(1, 2).contiguous().view(b, num_tokens, self.d_out)
        # 9. mix the heads
        return self.out_proj(context_vec)


# --8<-- [end:write-mha-solution]

# --8<-- [start:write-mha-check-solution]
check_my_attention(MyMultiHeadAttention)
# --8<-- [end:write-mha-check-solution]


# --8<-- [start:write-mha-broken]
class ForgetsToScale(MyMultiHeadAttention):
    def forward(self, x):  # the solution's forward, with step 5 left unscaled
        b, num_tokens, _ = x.shape
        split = (b, num_tokens, self.num_heads, self.head_dim)
        queries = self.W_query(x).view(split).transpose(1, 2)
        keys = self.W_key(x).view(split).transpose(1, 2)
        values = self.W_value(x).view(split).transpose(1, 2)
        attn_scores = queries @ keys.transpose(2, 3)
        hidden = self.mask.bool()[:num_tokens, :num_tokens]
        attn_scores = attn_scores.masked_fill(hidden, -torch.inf)
        attn_weights = torch.softmax(attn_scores, dim=-1)  # no / self.head_dim**0.5
        attn_weights = self.dropout(attn_weights)
        context_vec = (attn_weights @ values).transpose(1, 2)
        context_vec = context_vec.contiguous().view(b, num_tokens, self.d_out)
        return self.out_proj(context_vec)


try:
    check_my_attention(ForgetsToScale)
except AttentionCheckError as error:
    print("AttentionCheckError:", error)
# --8<-- [end:write-mha-broken]
