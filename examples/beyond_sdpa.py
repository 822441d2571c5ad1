"""Beyond the chapter: multi-head attention on PyTorch's fused kernel.

The site embeds the named sections of this file (``# --8<-- [start:name]``)
into the "Efficient attention" pages of both languages and runs them while it
is built; running this file top to bottom prints the same outputs, except the
timings, which the pages show in a table and which vary from run to run.
"""

# --8<-- [start:score-size]
b, num_heads = 1, 12  # one sequence, the 12 heads of GPT-2 small

for num_tokens in (256, 1024, 4096, 16384):
    numel = b * num_heads * num_tokens * num_tokens  # (b, num_heads, n, n)
    mib = numel * 4 / 2**20  # float32: 4 bytes per number
    print(f"{num_tokens:>6} tokens: {mib:>9,.0f} MiB per score matrix")
# --8<-- [end:score-size]

# --8<-- [start:signature]
import torch

sdpa_doc = torch.nn.functional.scaled_dot_product_attention.__doc__
# a built-in function: inspect.signature() cannot read it, but its docstring starts with it
signature = " ".join(sdpa_doc.split(" -> ")[0].split())
print("torch", torch.__version__)
print(signature)
# --8<-- [end:signature]

# --8<-- [start:blockwise]
import torch


def attend_in_blocks(query, keys, values, block_size):
    """softmax(query K^T / sqrt(d_k)) V for one query, K and V in blocks."""
    d_k = query.shape[-1]
    running_max = torch.tensor(-torch.inf)  # m: largest score so far
    running_sum = torch.tensor(0.0)  # l: sum of exp(score - m)
    acc = torch.zeros(values.shape[-1])  # o: sum of exp(score - m) * value
    for start in range(0, keys.shape[0], block_size):
        k_blk = keys[start : start + block_size]
        v_blk = values[start : start + block_size]
        scores = k_blk @ query / d_k**0.5  # (1) this block's scores only
        new_max = torch.maximum(running_max, scores.max())
        correction = torch.exp(running_max - new_max)  # (2) rescale old sums
        p = torch.exp(scores - new_max)
        running_sum = running_sum * correction + p.sum()
        acc = acc * correction + p @ v_blk
        running_max = new_max
    return acc / running_sum  # (3) normalize once, at the end


torch.manual_seed(123)
query = torch.randn(6)  # one query, head_dim 6
keys, values = torch.randn(2, 10, 6)  # ten keys and ten values
attn_weights = torch.softmax(keys @ query / 6**0.5, dim=-1)  # whole row
context_vec = attn_weights @ values
blocked = attend_in_blocks(query, keys, values, block_size=4)  # 4 + 4 + 2
print("full row: ", context_vec)
print("in blocks:", blocked)
print("allclose:", torch.allclose(blocked, context_vec, atol=1e-6))
# --8<-- [end:blockwise]

# --8<-- [start:book-example]
from llm_attention import SDPAMultiHeadAttention, example_inputs

inputs = example_inputs()  # "Your journey starts with one step"
batch = torch.stack((inputs, inputs), dim=0)  # (2, 6, 3)
d_in, d_out, context_length = 3, 2, 6

torch.manual_seed(123)
sdpa_mha = SDPAMultiHeadAttention(d_in, d_out, context_length, 0.0, num_heads=2)
context_vecs = sdpa_mha(batch)
print(context_vecs)
print("context_vecs.shape:", context_vecs.shape)
# --8<-- [end:book-example]

# --8<-- [start:equivalence]
from llm_attention import MultiHeadAttention

torch.manual_seed(123)
mha = MultiHeadAttention(768, 768, 1024, dropout=0.1, num_heads=12)
sdpa_mha = SDPAMultiHeadAttention(768, 768, 1024, dropout=0.1, num_heads=12)
sdpa_mha.load_state_dict(mha.state_dict())  # same names and shapes
print(list(sdpa_mha.state_dict()))

mha.eval()  # dropout off in both
sdpa_mha.eval()
x = torch.randn(2, 256, 768)  # (b, num_tokens, d_in)
with torch.no_grad():
    out_mha = mha(x)
    out_sdpa = sdpa_mha(x)
print("max abs diff:", f"{(out_sdpa - out_mha).abs().max():.1e}")
print("allclose(atol=1e-5):", torch.allclose(out_sdpa, out_mha, atol=1e-5))
# --8<-- [end:equivalence]

# --8<-- [start:no-weights]
try:
    sdpa_mha(x, return_attn_weights=True)
except ValueError as err:
    print("ValueError:", err)

with torch.no_grad():  # the chapter's class, same weights, still has them
    _, attn_weights = mha(x, return_attn_weights=True)
# (b, num_heads, num_tokens, num_tokens)
print("attn_weights.shape:", attn_weights.shape)
# --8<-- [end:no-weights]

# --8<-- [start:masks]
from torch.nn.functional import scaled_dot_product_attention as sdpa

from llm_attention import causal_mask

torch.manual_seed(123)
# each (b, num_heads, num_tokens, head_dim)
queries, keys, values = torch.randn(3, 1, 2, 6, 4)
mask = causal_mask(6)  # the chapter's mask: True = the future, blocked
M = torch.zeros(6, 6).masked_fill(mask, -torch.inf)  # additive: 0 or -inf

reference = sdpa(queries, keys, values, is_causal=True)
bool_mask = sdpa(queries, keys, values, attn_mask=~mask)  # True = may attend
float_mask = sdpa(queries, keys, values, attn_mask=M)
wrong = sdpa(queries, keys, values, attn_mask=mask)  # forgot to invert

print("attn_mask=~mask:", torch.allclose(bool_mask, reference))
print("attn_mask=M:    ", torch.allclose(float_mask, reference))
print("attn_mask=mask: ", torch.allclose(wrong, reference))
# --8<-- [end:masks]

# --8<-- [start:dropout]
from torch.profiler import profile


def kernels_used(module, x):
    """Names of the attention kernels PyTorch ran for one forward pass."""
    with torch.no_grad(), profile() as prof:
        module(x)
    names = {event.name for event in prof.events()}
    return sorted(n for n in names if n.startswith("aten::_scaled_dot"))


with torch.no_grad():
    sdpa_mha.eval()
    print("eval:  two calls equal:", torch.equal(sdpa_mha(x), sdpa_mha(x)))
    print("eval:  kernel:", kernels_used(sdpa_mha, x))
    sdpa_mha.train()  # dropout_p = 0.1 inside the kernel
    print("train: two calls equal:", torch.equal(sdpa_mha(x), sdpa_mha(x)))
    print("train: kernel:", kernels_used(sdpa_mha, x))
sdpa_mha.eval()
# --8<-- [end:dropout]

# --8<-- [start:timing]
import time


def best_ms(module, x, repeats=5):
    """Fastest of `repeats` forward passes in eval mode, in milliseconds."""
    module.eval()
    times = []
    with torch.no_grad():
        module(x)  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            module(x)
            times.append(time.perf_counter() - start)
    return 1000 * min(times)  # the run least disturbed by other work


times = {}  # num_tokens -> (MultiHeadAttention, SDPAMultiHeadAttention)
for num_tokens in (256, 1024):
    x_n = torch.randn(1, num_tokens, 768)  # one sequence
    times[num_tokens] = (best_ms(mha, x_n), best_ms(sdpa_mha, x_n))
# --8<-- [end:timing]
print(times)
