"""The computations behind the short answers of the reader-questions page.

The site embeds the named sections of this file (``# --8<-- [start:name]``) into the
reader-questions pages of both languages and runs them while it is built; running this file
top to bottom prints the same outputs.
"""

# --8<-- [start:why-scale]
import torch

torch.manual_seed(123)
d_k, trials = 64, 100_000
q = torch.randn(trials, d_k)  # a query per trial, components with variance 1
k1, k2 = torch.randn(2, trials, d_k)  # two keys per trial
s1 = (q * k1).sum(dim=-1)  # two scores of the same query
s2 = (q * k2).sum(dim=-1)
for name, scale in (("q.k", 1.0), ("q.k / sqrt(d_k)", d_k**0.5)):
    score_std = (s1 / scale).std()
    gap_std = ((s1 - s2) / scale).std()
    print(f"{name:<16} std of a score: {score_std:5.2f}  std of a gap: {gap_std:5.2f}")

scores = torch.randn(6, d_k) @ torch.randn(d_k)  # one query, six keys
for name, scale in (("q.k", 1.0), ("q.k / sqrt(d_k)", d_k**0.5)):
    weights = torch.softmax(scores / scale, dim=-1)
    print(f"softmax of {name:<16}", " ".join(f"{w:.4f}" for w in weights))
# --8<-- [end:why-scale]
