"""Beyond the chapter: grouped-query and multi-query attention.

The site embeds the named sections of this file (``# --8<-- [start:name]``) into
the GQA pages of both languages and runs them while it is built; running this
file top to bottom prints the same outputs.
"""

# --8<-- [start:cache-size]
from llm_attention import kv_cache_bytes

GiB = 2**30
# a 7-billion-parameter model: 32 layers of 32 heads of 128, 16-bit floats
weights_bytes = 7_000_000_000 * 2
print(f"weights:                     {weights_bytes / GiB:5.1f} GiB")
for batch_size in (1, 8):
    cache_bytes = kv_cache_bytes(
        num_layers=32,
        context_length=8192,
        batch_size=batch_size,
        num_kv_heads=32,  # one key/value head per query head, as in 3.6
        head_dim=128,
        bytes_per_element=2,
    )
    print(f"KV cache, 8,192 tokens, b={batch_size}: {cache_bytes / GiB:5.1f} GiB")
# --8<-- [end:cache-size]

# --8<-- [start:groups]
import torch

num_heads, num_kv_groups = 6, 2
group_size = num_heads // num_kv_groups  # query heads per key/value head
g = torch.arange(num_kv_groups).repeat_interleave(group_size)
print("g(h) for h = 0..5:", g.tolist())

# (b, num_kv_groups, num_tokens, head_dim) -> (b, num_heads, num_tokens, head_dim)
keys = torch.randn(1, num_kv_groups, 4, 2)
keys_per_head = keys.repeat_interleave(group_size, dim=1)
print(keys.shape, "->", keys_per_head.shape)
print("head 4 uses K_1:", torch.equal(keys_per_head[:, 4], keys[:, 1]))
tiled = torch.arange(num_kv_groups).repeat(group_size)
print("repeat() would give:", tiled.tolist())
# --8<-- [end:groups]

# --8<-- [start:module]
from llm_attention import GroupedQueryAttention, example_inputs

inputs = example_inputs()  # "Your journey starts with one step", (6, 3)
batch = torch.stack((inputs, inputs))  # (b, num_tokens, d_in) = (2, 6, 3)
# what all layers on this page share: 6 heads of head_dim 2
args = dict(d_in=3, d_out=12, context_length=6, dropout=0.0, num_heads=6)

torch.manual_seed(123)
gqa = GroupedQueryAttention(**args, num_kv_groups=2)
print("W_query:", gqa.W_query.weight.shape)  # (d_out, d_in)
print("W_key:  ", gqa.W_key.weight.shape)  # (num_kv_groups * head_dim, d_in)
print("W_value:", gqa.W_value.weight.shape)
context_vecs, attn_weights = gqa(batch, return_attn_weights=True)
print("context_vecs.shape:", context_vecs.shape)
print("attn_weights.shape:", attn_weights.shape)  # one matrix per query head
# --8<-- [end:module]

# --8<-- [start:mha-case]
from llm_attention import MultiHeadAttention

torch.manual_seed(123)
mha = MultiHeadAttention(**args)
gqa_6 = GroupedQueryAttention(**args, num_kv_groups=6)
gqa_6.load_state_dict(mha.state_dict())  # same names, same shapes
print("num_kv_groups == num_heads:", torch.allclose(gqa_6(batch), mha(batch)))
# --8<-- [end:mha-case]

# --8<-- [start:mqa-case]
mqa = GroupedQueryAttention(**args, num_kv_groups=1)
print("MQA W_key:", mqa.W_key.weight.shape)  # (head_dim, d_in): one key head
print("query heads per key/value head:", mqa.group_size)
# --8<-- [end:mqa-case]


# --8<-- [start:parameters]
def count(module):
    return sum(p.numel() for p in module.parameters())


# one layer of GPT-2 small: d_in = d_out = 768, 12 heads of 64
gpt2 = dict(d_in=768, d_out=768, context_length=1024, dropout=0.0, num_heads=12)
print(f"{'MultiHeadAttention':<20}{count(MultiHeadAttention(**gpt2)):>12,}")
for groups in (12, 4, 1):
    layer = GroupedQueryAttention(**gpt2, num_kv_groups=groups)
    kv = count(layer.W_key) + count(layer.W_value)
    print(f"num_kv_groups = {groups:>2}  {count(layer):>12,}  (K and V: {kv:,})")
# --8<-- [end:parameters]

# --8<-- [start:cache-table]
from llm_attention import compare_kv_cache_bytes

MiB = 2**20
shapes = {
    # GPT-2 has neither GQA nor a window: 3 groups and 512 tokens are for comparison
    "GPT-2 small": dict(num_layers=12, num_heads=12, head_dim=64,
                        context_length=1024, num_kv_groups=3, window_size=512),
    # 32 query heads sharing 8 key/value heads, a window of 4,096, as in Mistral 7B
    "Mistral-7B-like": dict(num_layers=32, num_heads=32, head_dim=128,
                            context_length=8192, num_kv_groups=8, window_size=4096),
}  # fmt: skip
for name, shape in shapes.items():
    sizes = compare_kv_cache_bytes(**shape, batch_size=1, bytes_per_element=2)
    print(name)
    for variant, size in sizes.items():
        share = size / sizes["MultiHeadAttention"]
        print(f"  {variant:<40}{size / MiB:>8,.1f} MiB  {share:>6.3f}")
# --8<-- [end:cache-table]

# --8<-- [start:enable-gqa]
from torch.nn.functional import scaled_dot_product_attention

b, num_tokens, _ = batch.shape
head_dim, d_out = gqa.head_dim, gqa.d_out
# (b, num_tokens, d_out) -> (b, num_heads, num_tokens, head_dim)
queries = gqa.W_query(batch).view(b, num_tokens, 6, head_dim).transpose(1, 2)
# (b, num_tokens, 2 * head_dim) -> (b, num_kv_groups, num_tokens, head_dim)
keys = gqa.W_key(batch).view(b, num_tokens, 2, head_dim).transpose(1, 2)
values = gqa.W_value(batch).view(b, num_tokens, 2, head_dim).transpose(1, 2)
context_vec = scaled_dot_product_attention(
    queries,
    keys,
    values,
    is_causal=True,
    enable_gqa=True,  # 6 query heads, 2 K/V heads
)
# (b, num_heads, num_tokens, head_dim) -> (b, num_tokens, d_out)
context_vec = context_vec.transpose(1, 2).reshape(b, num_tokens, d_out)
context_vec = gqa.out_proj(context_vec)
print("keys passed in:", keys.shape)
same = torch.allclose(context_vec, context_vecs, atol=1e-6)
print("same as GroupedQueryAttention:", same)
# --8<-- [end:enable-gqa]

# --8<-- [start:cached]
with torch.no_grad():
    gqa.reset_cache()
    chunks = [gqa(batch[:, :3], use_cache=True)]  # prefill: tokens 1-3 of both sequences
    for position in range(3, 6):  # then one token at a time
        x_new = batch[:, position : position + 1]  # (b, 1, d_in)
        context_vec, attn_weights = gqa(x_new, use_cache=True, return_attn_weights=True)
        chunks.append(context_vec)
    uncached = gqa(batch)  # one pass over all six tokens, no cache
# (b, num_kv_groups, context_length, head_dim): two heads cached, not six
print("cache_k.shape:", tuple(gqa.cache_k.shape))
print("last step's attn_weights:", tuple(attn_weights.shape))  # one row per query head
cached = torch.cat(chunks, dim=1)  # (b, 3 + 1 + 1 + 1, d_out)
print("cached == uncached:", torch.allclose(cached, uncached, atol=1e-6))
# --8<-- [end:cached]

# --8<-- [start:cache-bytes]
b, context_length, head_dim = batch.shape[0], args["context_length"], gqa.head_dim
for groups in (6, 3, 2, 1):  # 6 = num_heads is MHA, 1 is MQA
    torch.manual_seed(123)
    layer = GroupedQueryAttention(**args, num_kv_groups=groups)
    with torch.no_grad():
        layer(batch, use_cache=True)  # the first cached call allocates the cache
    formula = kv_cache_bytes(
        num_layers=1,
        context_length=context_length,
        batch_size=b,
        num_kv_heads=groups,
        head_dim=head_dim,
        bytes_per_element=4,  # float32
    )
    print(
        f"num_kv_groups = {groups}: cache_k {tuple(layer.cache_k.shape)},",
        f"cache_nbytes() {layer.cache_nbytes():>5,}, kv_cache_bytes {formula:>5,}",
    )
# --8<-- [end:cache-bytes]
