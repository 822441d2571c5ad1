"""Section 3.1: why long sequences are hard for an encoder-decoder RNN.

The site embeds the named sections of this file (``# --8<-- [start:name]``)
into the 3.1 pages of both languages and runs them while it is built; running
this file top to bottom prints the same outputs.
"""

# --8<-- [start:word-by-word]
german = "Kannst du mir helfen diesen Satz zu uebersetzen"
english = "Can you help me translate this sentence"

# A dictionary gloss: each German word has exactly one English word.
gloss = {
    "Kannst": "Can",
    "du": "you",
    "mir": "me",
    "helfen": "help",
    "diesen": "this",
    "Satz": "sentence",
    "zu": "to",
    "uebersetzen": "translate",
}
word_by_word = " ".join(gloss[word] for word in german.split())
print("Word by word:", word_by_word)
print("Correct:     ", english)

de_words, en_words = german.split(), english.split()
de_pos = de_words.index("uebersetzen") + 1
en_pos = en_words.index("translate") + 1
print(f"'uebersetzen' is German word {de_pos} of {len(de_words)}")
print(f"'translate' is English word {en_pos} of {len(en_words)}")
# --8<-- [end:word-by-word]

# --8<-- [start:tokens]
from llm_attention import token_ids, token_strings

for text in (german, english):
    ids = token_ids(text)  # GPT-2's byte-pair encoding
    print(len(ids), "tokens:", "|".join(token_strings(ids)))
# --8<-- [end:tokens]

# --8<-- [start:encoder]
import torch

from llm_attention import embed_text

d_in, hidden_size = 16, 8
# token embeddings, (num_tokens, d_in)
src_ids, src_embeds = embed_text(german, output_dim=d_in)

torch.manual_seed(123)
encoder = torch.nn.RNN(input_size=d_in, hidden_size=hidden_size)
enc_states, h_n = encoder(src_embeds)  # every state s_t; the last again
print("inputs:    ", tuple(src_embeds.shape))
print("enc_states:", tuple(enc_states.shape))
print("h_n:       ", tuple(h_n.shape))
# --8<-- [end:encoder]

# --8<-- [start:recurrence]
W_ih, b_ih = encoder.weight_ih_l0, encoder.bias_ih_l0  # W_ih: (8, 16)
W_hh, b_hh = encoder.weight_hh_l0, encoder.bias_hh_l0  # W_hh: (8, 8)

with torch.no_grad():  # no gradients needed: we only run the RNN
    s = torch.zeros(hidden_size)  # s_0: nothing read yet
    for x_t in src_embeds:  # one token at a time
        # W_ih x_t is x_t @ W_ih.T for a row x_t; the same for W_hh s
        s = torch.tanh(x_t @ W_ih.T + b_ih + s @ W_hh.T + b_hh)  # s_t

print(s)
print("Same as h_n:", torch.allclose(s, h_n[0]))
# --8<-- [end:recurrence]

# --8<-- [start:bottleneck]
long_text = (
    "Translating word by word works only when two languages put their "
    "words in the same order. German often moves the main verb to the "
    "very end of a clause, so an English translation may need a word that "
    "the German speaker says last before it can write its second word. A "
    "model that reads the input one token at a time has to remember "
    "everything it has seen so far in a single vector of numbers, and that "
    "vector does not grow when the text does. The longer the input, the "
    "more each token has to share the same small space with all the others."
)
long_ids, long_embeds = embed_text(long_text, output_dim=d_in)

for name, embeds in (("short", src_embeds), ("long", long_embeds)):
    _, h_final = encoder(embeds)
    print(
        f"{name:5}: {embeds.shape[0]:3} tokens, {embeds.numel():4} numbers"
        f" -> h_n {tuple(h_final.shape)}, {h_final.numel()} numbers"
    )
# --8<-- [end:bottleneck]

# --8<-- [start:rewrite]
T = len(long_ids)  # 114 tokens

torch.manual_seed(0)
rewritten = long_embeds.clone()
rewritten[: T // 2] = torch.randn(T // 2, d_in)  # first half: noise

with torch.no_grad():
    _, h_n_long = encoder(long_embeds)
    _, h_n_rewritten = encoder(rewritten)
print(f"First {T // 2} of {T} tokens replaced by random vectors")
print("h_n unchanged, bit for bit:", torch.equal(h_n_long, h_n_rewritten))
# --8<-- [end:rewrite]

# --8<-- [start:sensitivity]
from torch.autograd.functional import jacobian


def final_state(embeds: torch.Tensor) -> torch.Tensor:
    return encoder(embeds)[1]  # h_n, (1, hidden_size)


# d h_n / d x(i) for every token i: (1, hidden_size, num_tokens, d_in)
J = jacobian(final_state, long_embeds)
# one size per token, (num_tokens,), summed in float64 (why: see below)
sensitivity = torch.linalg.vector_norm(J, dim=(0, 1, 3), dtype=torch.float64)
long_tokens = token_strings(long_ids)

for back in (0, 1, 2, 5, 10, 20, 40, 57, 80, T - 1):  # distance from end
    i = T - 1 - back
    print(f"{back:3} back {long_tokens[i]!r:10} {sensitivity[i]:.1e}")

# the smallest step a float32 can take away from each entry of h_n
ulp = (torch.nextafter(h_n_long, torch.tensor(2.0)) - h_n_long).abs()
print(f"smallest possible change to an entry of h_n: {ulp.min():.1e}")
# --8<-- [end:sensitivity]

# --8<-- [start:underflow]
norm = torch.linalg.vector_norm
naive = norm(J, dim=(0, 1, 3))  # the same sizes, in float32
zeros = [T - 1 - i for i in range(T) if naive[i] == 0]  # distances from the end
print(f"exact zeros in float32: {len(zeros)}, {min(zeros)} to {max(zeros)} back")

J_80 = J[0, :, T - 1 - 80, :]  # d h_n / d x(i) for the token 80 back: (8, 16)
largest = J_80.abs().max()
zero, one = torch.tensor(0.0), torch.tensor(1.0)
print(f"largest entry:              {largest:.1e}")
print(f"float32 smallest normal:    {torch.finfo(torch.float32).tiny:.1e}")
print(f"float32 smallest subnormal: {torch.nextafter(zero, one):.1e}")
print(f"largest entry squared:      {largest**2:.1e}")  # underflows to 0
print(f"norm in float32:            {norm(J_80):.1e}")
print(f"norm in float64:            {norm(J_80, dtype=torch.float64):.1e}")
print(f"norm, scaled first:         {largest * norm(J_80 / largest):.1e}")
# --8<-- [end:underflow]
