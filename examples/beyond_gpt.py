"""Beyond the chapter: generating text with a GPT model and each of the package's caches.

The site embeds the named sections of this file (``# --8<-- [start:name]``)
into the "KV cache" pages of both languages and runs them while it is built;
running this file top to bottom prints the same outputs.
"""

# --8<-- [start:imports]
import torch

from llm_attention.beyond_gpt import GPTModel, check_generate_args, eval_mode

# --8<-- [end:imports]
# isort: split

# --8<-- [start:tiny-gpt]
from llm_attention import token_ids, token_strings
from llm_attention.beyond_gpt import generate

# chapter 4's layout, shrunk: GPT-2's vocabulary, but 2 layers of 4 heads of 8 dimensions
cfg = {
    "vocab_size": 50257,  # GPT-2's tokenizer, so a real prompt can go in
    "context_length": 32,
    "emb_dim": 32,
    "n_heads": 4,
    "n_layers": 2,
    "drop_rate": 0.0,
    "qkv_bias": False,
}
torch.manual_seed(123)
gpt = GPTModel(cfg)  # random weights; every layer is a KVCacheMultiHeadAttention
start_ids = torch.tensor([token_ids("Your journey starts with")])  # (b, num_tokens)
print("prompt:", token_strings(start_ids[0]), tuple(start_ids.shape))
# --8<-- [end:tiny-gpt]

# --8<-- [start:positions]
gpt.reset_cache()
with torch.no_grad():
    logits = gpt(start_ids, use_cache=True)  # prefill: positions 0..3
    print("prefill logits:", tuple(logits.shape), " cached:", gpt.num_cached_tokens)
    next_id = logits[:, -1].argmax(dim=-1, keepdim=True)  # (b, 1)
    step_logits = gpt(next_id, use_cache=True)  # one token at position 4
    print("step logits:   ", tuple(step_logits.shape), " cached:", gpt.num_cached_tokens)

    # the same five tokens in one uncached pass: its last row is the step's row
    whole = gpt(torch.cat((start_ids, next_id), dim=1))
same = torch.allclose(step_logits[:, -1], whole[:, -1], atol=1e-5)
print("step == last row of the uncached pass:", same)
# --8<-- [end:positions]

# --8<-- [start:generate]
uncached = generate(gpt, start_ids, max_new_tokens=8, use_cache=False)
cached = generate(gpt, start_ids, max_new_tokens=8)  # use_cache=True is the default
print("same tokens:", torch.equal(cached, uncached))
print(token_strings(cached[0, start_ids.shape[1] :]))  # random weights: no real words
# --8<-- [end:generate]

# --8<-- [start:every-class]
from llm_attention import (
    GroupedQueryAttention,
    KVCacheMultiHeadAttention,
    MultiHeadLatentAttention,
    SlidingWindowAttention,
)

d, ctx, heads = cfg["emb_dim"], cfg["context_length"], cfg["n_heads"]
factories = {  # layer index -> attention module; all layers alike here
    "KVCacheMultiHeadAttention": lambda layer: KVCacheMultiHeadAttention(d, d, ctx, 0.0, heads),
    "GroupedQueryAttention": lambda layer: GroupedQueryAttention(
        d, d, ctx, 0.0, heads, num_kv_groups=2
    ),
    "SlidingWindowAttention": lambda layer: SlidingWindowAttention(
        d, d, ctx, 0.0, heads, window_size=8
    ),
    "MultiHeadLatentAttention": lambda layer: MultiHeadLatentAttention(
        d, d, ctx, 0.0, heads, latent_dim=16
    ),
}
for name, factory in factories.items():
    torch.manual_seed(123)
    model = GPTModel(cfg, attention=factory)
    uncached = generate(model, start_ids, max_new_tokens=20, use_cache=False)
    cached = generate(model, start_ids, max_new_tokens=20)
    new_tokens = cached.shape[1] - start_ids.shape[1]
    print(
        f"{name:<25} same tokens: {torch.equal(cached, uncached)}, "
        f"generated: {new_tokens}, cache_nbytes(): {model.cache_nbytes():>6,}"
    )
# --8<-- [end:every-class]
