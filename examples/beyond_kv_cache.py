"""Beyond the chapter: a key-value (KV) cache for generating text.

The site embeds the named sections of this file (``# --8<-- [start:name]``)
into the "KV cache" pages of both languages and runs them while it is built;
running this file top to bottom prints the same outputs.
"""

# --8<-- [start:setup]
import torch

from llm_attention import KVCacheMultiHeadAttention, embed_text, token_strings

sentence = "Your journey starts with one step"
ids, inputs = embed_text(sentence, output_dim=16)  # (num_tokens, d_in)
tokens = token_strings(ids)  # GPT-2 tokens, leading spaces included
print(tokens)
print("inputs.shape:", inputs.shape)

d_in, d_out, context_length = 16, 18, 8
torch.manual_seed(123)
mha = KVCacheMultiHeadAttention(d_in, d_out, context_length, 0.0, num_heads=2)
mha.eval()
print("head_dim:", mha.head_dim)  # d_out // num_heads
# --8<-- [end:setup]

# --8<-- [start:unchanged]
with torch.no_grad():
    out_5 = mha(inputs[:5])  # the first five tokens, no cache
    out_6 = mha(inputs[:6])  # the same five plus " step"

diff = (out_6[:5] - out_5).abs().max()
print("out_5.shape:", out_5.shape, " out_6.shape:", out_6.shape)
print("rows 1-5 with and without ' step', max abs diff:", f"{diff:.1e}")
# --8<-- [end:unchanged]

# --8<-- [start:prefill]
prompt = inputs[:3]  # "Your journey starts"

with torch.no_grad():
    outputs = [mha(prompt, use_cache=True)]  # the whole prompt in one call
print("cached tokens:", mha.num_cached_tokens)
# (b, num_heads, context_length, head_dim)
print("cache_k.shape:", mha.cache_k.shape)
# --8<-- [end:prefill]

# --8<-- [start:decode]
with torch.no_grad():
    for position in range(3, 6):
        x_new = inputs[position : position + 1]  # (1, d_in): one new token
        context_vec, attn_weights = mha(
            x_new,
            use_cache=True,
            return_attn_weights=True,
        )
        outputs.append(context_vec)
        n = mha.num_cached_tokens
        filled = mha.cache_k[:, :, :n]  # the part of the cache in use
        print(
            f"{tokens[position]!r:>9}: cached keys {tuple(filled.shape)},",
            f"attn_weights {tuple(attn_weights.shape)}",
        )
# --8<-- [end:decode]

# --8<-- [start:compare]
cached = torch.cat(outputs)  # (3 + 1 + 1 + 1, d_out)
with torch.no_grad():
    full = mha(inputs)  # one pass over all six tokens, no cache
print("cached.shape:", cached.shape)
print("max abs diff:", f"{(cached - full).abs().max():.1e}")
print("allclose(atol=1e-6):", torch.allclose(cached, full, atol=1e-6))
# --8<-- [end:compare]

# --8<-- [start:is-causal]
from torch.nn.functional import scaled_dot_product_attention as sdpa

torch.manual_seed(123)
query = torch.randn(1, 1, 1, 4)  # the new token: (b, num_heads, 1, head_dim)
keys, values = torch.randn(2, 1, 1, 6, 4)  # 5 cached tokens + the new one

right = sdpa(query, keys, values)  # no mask: it may see all six
wrong = sdpa(query, keys, values, is_causal=True)
first_only = sdpa(query, keys[:, :, :1], values[:, :, :1])
print("is_causal=True is right:        ", torch.allclose(wrong, right))
print("is_causal=True sees key 1 only: ", torch.allclose(wrong, first_only))
# --8<-- [end:is-causal]

# --8<-- [start:autograd]
# steps 1, 2b, 3 and 4 of a cached call, written out with autograd on (one head)
k_buffer = torch.zeros(context_length, d_out)  # the cache: (context_length, d_out)
v_buffer = torch.zeros(context_length, d_out)


def cached_step(position):
    x_t = inputs[position : position + 1]  # (1, d_in): the new token
    k_buffer[position : position + 1] = mha.W_key(x_t)  # written in place
    v_buffer[position : position + 1] = mha.W_value(x_t)
    keys = k_buffer[: position + 1]  # views of the buffer
    values = v_buffer[: position + 1]
    scores = mha.W_query(x_t) @ keys.T  # autograd saves `keys` for backward
    return torch.softmax(scores / d_out**0.5, dim=-1) @ values


first = cached_step(0)
grad_fn = type(k_buffer.grad_fn).__name__
print("buffer after one write:", grad_fn, "version", k_buffer._version)
# the keys reach `first` only through the buffer: this gradient passes the write
grad = torch.autograd.grad(first.sum(), mha.W_key.weight, retain_graph=True)[0]
print("gradient of W_key through one write:", tuple(grad.shape))

second = cached_step(1)  # writes position 2 (index 1), not the row `first` saved
print("buffer after two writes: version", k_buffer._version)
try:
    (first.sum() + second.sum()).backward()
except RuntimeError as err:
    print(f"{type(err).__name__}: {str(err).split(':')[0]}")
# --8<-- [end:autograd]

# --8<-- [start:too-long]
more = torch.randn(3, d_in)  # three more tokens; the cache holds 6 of 8

try:
    with torch.no_grad():
        mha(more, use_cache=True)
except ValueError as err:
    print("ValueError:", err)
print("cached tokens:", mha.num_cached_tokens)  # the failed call cached nothing
# --8<-- [end:too-long]

# --8<-- [start:reset]
mha.reset_cache()
print("after reset_cache():", mha.num_cached_tokens, mha.cache_k)

with torch.no_grad():
    mha(more, use_cache=True)  # a new sequence starts at position 0
print("cached tokens:", mha.num_cached_tokens)
# --8<-- [end:reset]

# --8<-- [start:memory]
from llm_attention import kv_cache_bytes

# GPT-2 small: 12 layers, 12 heads of 64, 1,024 tokens, float16 (2 bytes)
# 2 (keys and values) x layers x b x tokens x heads x head_dim x bytes
by_hand = 2 * 12 * 1 * 1024 * 12 * 64 * 2
gpt2_small = kv_cache_bytes(
    num_layers=12,
    batch_size=1,
    context_length=1024,
    num_kv_heads=12,
    head_dim=64,
    bytes_per_element=2,
)
print(f"by hand:        {by_hand:,} bytes")
print(f"kv_cache_bytes: {gpt2_small:,} bytes = {gpt2_small / 2**20:.0f} MiB")

# Llama 2 7B's shape: 32 layers, 32 heads of 128; 8 sequences of 4,096 tokens
llama_7b = kv_cache_bytes(
    num_layers=32,
    batch_size=8,
    context_length=4096,
    num_kv_heads=32,
    head_dim=128,
    bytes_per_element=2,
)
print(f"Llama-2-7B shape, 8 sequences: {llama_7b / 2**30:.0f} GiB")
weights = 7_000_000_000 * 2  # 7 billion parameters, float16
print(f"the weights of such a model:   {weights / 2**30:.0f} GiB")
# --8<-- [end:memory]
