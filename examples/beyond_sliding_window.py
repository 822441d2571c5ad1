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

# --8<-- [start:rolling]
from llm_attention import SlidingWindowAttention

torch.manual_seed(123)
window = 4
rolling = SlidingWindowAttention(
    d_in=4, d_out=4, context_length=32, dropout=0.0, num_heads=2, window_size=window
)
long_x = torch.randn(1, 32, 4)  # (b, num_tokens, d_in): 32 tokens, 8 windows' worth
sizes = [3, 1, 7, 1, 1, 12, 2, 5]  # chunks of mixed sizes; 7 and 12 exceed the window

with torch.no_grad():
    uncached = rolling(long_x)  # no cache: the band mask over all 32 tokens
    outputs, start = [], 0
    for size in sizes:
        outputs.append(rolling(long_x[:, start : start + size], use_cache=True))
        start += size
        print(
            f"chunk of {size:>2}: tokens fed {rolling.num_cached_tokens:>2},",
            f"cache_k {tuple(rolling.cache_k.shape)}",  # (b, num_heads, slots, head_dim)
        )
diff = (torch.cat(outputs, dim=1) - uncached).abs().max()
print("max abs diff, cached chunks vs uncached:", f"{diff:.1e}")

# position p sits in slot p % slots: after 32 tokens, the last four (indices 28-31)
with torch.no_grad():
    # (b, num_tokens, d_out) -> (b, num_heads, num_tokens, head_dim)
    all_keys = rolling.W_key(long_x).view(1, 32, 2, 2).transpose(1, 2)
for p in range(32 - rolling.slots, 32):
    slot = p % rolling.slots
    same = torch.equal(rolling.cache_k[:, :, slot], all_keys[:, :, p])
    print(f"slot {slot} holds the key of token index {p}: {same}")
# --8<-- [end:rolling]

# --8<-- [start:overwrite-first]
# the wrong order, for a first chunk of 12 tokens and a window of 4: write all 12
# keys into the 4 slots first (only token indices 8-11 survive), then attend
chunk = 12
query_pos = torch.arange(chunk).unsqueeze(1)  # (chunk, 1): positions 0..11
kept_pos = torch.arange(chunk - window, chunk).unsqueeze(0)  # (1, window): 8..11
visible = (kept_pos <= query_pos) & (kept_pos > query_pos - window)
should_see = torch.clamp(query_pos.squeeze(1) + 1, max=window)  # keys in each window
sees = visible.sum(dim=1)
print("keys each query should see:", should_see.tolist())
print("keys it finds if written first:", sees.tolist())
print("queries with no key at all (a row of -inf, softmax gives NaN):", int((sees == 0).sum()))
# --8<-- [end:overwrite-first]

# --8<-- [start:flat-cache]
from llm_attention import KVCacheMultiHeadAttention

window = 8
print(f"{'tokens':>6} {'KVCacheMultiHeadAttention':>26} {'SlidingWindowAttention':>23}")
for n in (4, 8, 16, 32, 64):
    # each module built for n tokens, then fed all n, as in generation up to n
    full = KVCacheMultiHeadAttention(4, 4, n, 0.0, num_heads=2)
    local = SlidingWindowAttention(4, 4, n, 0.0, num_heads=2, window_size=window)
    tokens = torch.randn(1, n, 4)
    with torch.no_grad():
        full(tokens, use_cache=True)
        local(tokens, use_cache=True)
    print(f"{n:>6} {full.cache_nbytes():>20,} bytes {local.cache_nbytes():>17,} bytes")
# --8<-- [end:flat-cache]

# --8<-- [start:gemma]
from llm_attention import token_ids
from llm_attention.beyond_gpt import GPTModel, generate

cfg = {"vocab_size": 50257, "context_length": 32, "emb_dim": 16, "n_heads": 2,
       "n_layers": 6, "drop_rate": 0.0, "qkv_bias": False}  # fmt: skip
d, ctx, heads = cfg["emb_dim"], cfg["context_length"], cfg["n_heads"]


def local_global(every, window=8):
    """Every `every`-th layer global (all tokens so far), the others a sliding window."""

    def attention(layer):
        if (layer + 1) % every == 0:
            return KVCacheMultiHeadAttention(d, d, ctx, 0.0, heads)
        return SlidingWindowAttention(d, d, ctx, 0.0, heads, window_size=window)

    return attention


start_ids = torch.tensor([token_ids("Your journey starts with one step")])
torch.manual_seed(123)
gemma3 = GPTModel(cfg, attention=local_global(every=6))  # 5 local : 1 global
uncached = generate(gemma3, start_ids, max_new_tokens=20, use_cache=False)
cached = generate(gemma3, start_ids, max_new_tokens=20)
print("same tokens:", torch.equal(cached, uncached), " sequence length:", cached.shape[1])
for layer, block in enumerate(gemma3.trf_blocks, start=1):
    print(f"layer {layer:>2}: {type(block.att).__name__:<25} {block.att.cache_nbytes():>5,} bytes")

totals = {}
for name, every in (("5 local : 1 global", 6), ("1 local : 1 global", 2), ("all global", 1)):
    torch.manual_seed(123)
    model = GPTModel(cfg, attention=local_global(every))
    generate(model, start_ids, max_new_tokens=20)
    totals[name] = model.cache_nbytes()
for name, nbytes in totals.items():
    share = nbytes / totals["all global"]
    print(f"{name:<19} {nbytes:>6,} bytes  {share:.2f} of all global")
# --8<-- [end:gemma]
