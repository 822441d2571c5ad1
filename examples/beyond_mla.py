"""Beyond the chapter: multi-head latent attention (MLA).

The site embeds the named sections of this file (``# --8<-- [start:name]``) into
the MLA pages of both languages and runs them while it is built; running this
file top to bottom prints the same outputs.
"""

# --8<-- [start:module]
import torch

from llm_attention import MultiHeadLatentAttention, embed_text

sentence = "Your journey starts with one step"
ids, inputs = embed_text(sentence, output_dim=16)  # (num_tokens, d_in) = (6, 16)

d_in, d_out, context_length, num_heads = 16, 18, 12, 3  # head_dim = 18 // 3 = 6
latent_dim = 8  # c_kv: 8 numbers per token, shared by keys and values of all heads
torch.manual_seed(123)
mla = MultiHeadLatentAttention(d_in, d_out, context_length, 0.0, num_heads, latent_dim)
mla.eval()
print(mla)
for name, param in mla.named_parameters():
    print(f"{name:<18}{tuple(param.shape)}")
# --8<-- [end:module]

# --8<-- [start:prefill]
from llm_attention import KVCacheMultiHeadAttention, kv_cache_bytes

prompt = inputs[:3]  # "Your journey starts"
with torch.no_grad():
    outputs = [mla(prompt, use_cache=True)]  # prefill: the whole prompt in one call
print("cached tokens:", mla.num_cached_tokens)
print("cache_c.shape:", tuple(mla.cache_c.shape))  # (b, context_length, latent_dim)

# layers x b x tokens x latent_dim x bytes; the cache has room for context_length tokens
formula = kv_cache_bytes(
    num_layers=1,
    context_length=context_length,
    batch_size=1,
    latent_dim=latent_dim,
    bytes_per_element=4,  # float32
)
print("MLA cache_nbytes():", mla.cache_nbytes(), " kv_cache_bytes:", formula)

# the chapter's layout, same sizes: 2 x layers x b x tokens x heads x head_dim x bytes
torch.manual_seed(123)
mha = KVCacheMultiHeadAttention(d_in, d_out, context_length, 0.0, num_heads)
with torch.no_grad():
    mha(prompt, use_cache=True)
formula_mha = kv_cache_bytes(
    num_layers=1,
    context_length=context_length,
    batch_size=1,
    num_kv_heads=num_heads,
    head_dim=mha.head_dim,
    bytes_per_element=4,
)
print("MHA cache_nbytes():", mha.cache_nbytes(), " kv_cache_bytes:", formula_mha)
# --8<-- [end:prefill]

# --8<-- [start:decode]
with torch.no_grad():
    for position in range(3, 6):
        x_new = inputs[position : position + 1]  # (1, d_in): one new token
        outputs.append(mla(x_new, use_cache=True))
        print(f"position {position + 1}: cached tokens {mla.num_cached_tokens}")
    full = mla(inputs)  # one uncached pass over all six tokens

cached = torch.cat(outputs)  # (3 + 1 + 1 + 1, d_out)
print("max abs diff, cached vs uncached:", f"{(cached - full).abs().max():.1e}")
# --8<-- [end:decode]

# --8<-- [start:absorb-scores]
head_dim, num_tokens = mla.head_dim, inputs.shape[0]
with torch.no_grad():
    c_kv = mla.W_kv_down(inputs)  # (num_tokens, latent_dim): what the cache holds
    # (num_tokens, d_out) -> (num_heads, num_tokens, head_dim)
    queries = mla.W_query(inputs).view(num_tokens, num_heads, head_dim).transpose(0, 1)
    # the rows of each up-projection that belong to head h: (num_heads, head_dim, latent_dim)
    U_k = mla.W_key_up.weight.view(num_heads, head_dim, latent_dim)
    U_v = mla.W_value_up.weight.view(num_heads, head_dim, latent_dim)

    keys = c_kv @ U_k.transpose(1, 2)  # K_h = c U_k,h^T: (num_heads, num_tokens, head_dim)
    scores_rebuilt = queries @ keys.transpose(1, 2)  # Q_h K_h^T

    latent_queries = queries @ U_k  # Q_h U_k,h: (num_heads, num_tokens, latent_dim)
    scores_absorbed = latent_queries @ c_kv.T  # (Q_h U_k,h) c^T, no keys built

    weights = torch.softmax(scores_absorbed / head_dim**0.5, dim=-1)  # no mask: just algebra
    values = c_kv @ U_v.transpose(1, 2)  # V_h = c U_v,h^T
    context_rebuilt = weights @ values  # weights V_h
    context_absorbed = (weights @ c_kv) @ U_v.transpose(1, 2)  # (weights c) U_v,h^T

print("latent_queries.shape:", tuple(latent_queries.shape))
print("scores, max abs diff: ", f"{(scores_absorbed - scores_rebuilt).abs().max():.1e}")
print("context, max abs diff:", f"{(context_absorbed - context_rebuilt).abs().max():.1e}")
# --8<-- [end:absorb-scores]


# --8<-- [start:absorb-forward]
def generate_outputs(absorb):
    """Prefill three tokens, then decode three, in one form of the cached call."""
    mla.reset_cache()
    with torch.no_grad():
        steps = [mla(inputs[:3], use_cache=True, absorb=absorb)]
        for position in range(3, 6):
            x_new = inputs[position : position + 1]
            steps.append(mla(x_new, use_cache=True, absorb=absorb))
    return torch.cat(steps)


absorbed = generate_outputs(absorb=True)  # the default
rebuilt = generate_outputs(absorb=False)  # K and V rebuilt from cache_c
print("absorb=True vs absorb=False:", f"{(absorbed - rebuilt).abs().max():.1e}")
print("absorb=True vs uncached:    ", f"{(absorbed - full).abs().max():.1e}")
# --8<-- [end:absorb-forward]

# --8<-- [start:per-token]
# the benchmark tool's default model: GPT-2 small (768 dimensions in 12 heads of 64)
n_heads, head_dim = 12, 64
num_kv_groups, latent_large, latent_small = 4, 256, 128  # the tool's GQA and MLA variants
per_token = {  # numbers cached per token and layer
    "MHA": 2 * n_heads * head_dim,
    f"GQA ({num_kv_groups} groups)": 2 * num_kv_groups * head_dim,
    "MQA (1 group)": 2 * 1 * head_dim,
    f"MLA (latent {latent_large})": latent_large,
    f"MLA (latent {latent_small})": latent_small,
}
for name, numbers in per_token.items():
    print(f"{name:<20}{numbers:>6,} numbers  {numbers / per_token['MHA']:>6.3f} of MHA")
# --8<-- [end:per-token]
