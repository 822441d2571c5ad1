"""Beyond the chapter: sliding-window attention.

The site embeds the named sections of this file (``# --8<-- [start:name]``) into
the sliding-window pages of both languages and runs them while it is built;
running this file top to bottom prints the same outputs.
"""

# --8<-- [start:mask]
import torch

from llm_attention import causal_mask, sliding_window_mask

num_tokens, window_size = 8, 3
mask = sliding_window_mask(num_tokens, window_size)  # True = blocked
print(mask.int())
print("keys per query, band:  ", (~mask).sum(dim=-1).tolist())
print("keys per query, causal:", (~causal_mask(num_tokens)).sum(dim=-1).tolist())
# --8<-- [end:mask]

# --8<-- [start:module]
from llm_attention import SlidingWindowAttention

torch.set_printoptions(precision=2)
# what all layers on this page share; d_in == d_out, so they can be stacked
args = dict(d_in=4, d_out=4, context_length=num_tokens, dropout=0.0, num_heads=2)
torch.manual_seed(123)
x = torch.randn(1, num_tokens, 4)  # (b, num_tokens, d_in)

torch.manual_seed(123)
swa = SlidingWindowAttention(**args, window_size=window_size)
with torch.no_grad():  # only looking, no gradients
    context_vec, attn_weights = swa(x, return_attn_weights=True)
print(attn_weights[0, 0])  # (num_tokens, num_tokens), first head
print("row sums:", attn_weights[0, 0].sum(dim=-1))
# --8<-- [end:module]

# --8<-- [start:full-window]
from llm_attention import MultiHeadAttention

torch.manual_seed(123)
mha = MultiHeadAttention(**args)
wide = SlidingWindowAttention(**args, window_size=num_tokens)
wide.load_state_dict(mha.state_dict(), strict=False)  # weights; keeps its band
print("window 8 == causal attention:", torch.allclose(wide(x), mha(x)))
print("window 3 == causal attention:", torch.allclose(swa(x), mha(x)))
# --8<-- [end:full-window]

# --8<-- [start:locality]
x_changed = x.clone()
x_changed[0, 0] += 10.0  # change the first token only
for name, layer in (("window 3", swa), ("causal  ", mha)):
    changed = (layer(x_changed) - layer(x)).abs().amax(dim=-1)[0] > 0
    print(name, "outputs that changed:", changed.int().tolist())
# --8<-- [end:locality]

# --8<-- [start:stacked]
torch.manual_seed(123)
layers = [SlidingWindowAttention(**args, window_size=window_size) for _ in range(3)]
h, h_changed = x, x_changed
for depth, layer in enumerate(layers, start=1):
    h, h_changed = layer(h), layer(h_changed)
    changed = (h_changed - h).abs().amax(dim=-1)[0] > 0
    reach = depth * (window_size - 1) + 1
    print(f"{depth} layer(s): {changed.int().tolist()}  L(w - 1) + 1 = {reach}")
# --8<-- [end:stacked]

# --8<-- [start:pairs]
for n in (1024, 4096, 8192):
    causal = n * (n + 1) // 2  # (~causal_mask(n)).sum()
    band = int((~sliding_window_mask(n, 512)).sum())
    print(f"n={n:>5,}: causal {causal:>10,} pairs, window of 512 {band:>9,} pairs")
# --8<-- [end:pairs]

# --8<-- [start:cache]
from llm_attention import kv_cache_bytes

GiB = 2**30
# 32 layers of 32 heads of 128, 16-bit numbers, one sequence
shape = dict(num_layers=32, num_kv_heads=32, head_dim=128, batch_size=1)
for n in (4096, 8192, 32768):
    causal = kv_cache_bytes(context_length=n, **shape)
    band = kv_cache_bytes(context_length=min(n, 4096), **shape)  # the last 4,096
    print(f"n={n:>6,}: causal {causal / GiB:>2.0f} GiB, window {band / GiB:.0f} GiB")
# --8<-- [end:cache]
