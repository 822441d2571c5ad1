"""Section 3.2: attention for an encoder-decoder RNN, then self-attention.

The site embeds the named sections of this file (``# --8<-- [start:name]``)
into the 3.2 pages of both languages and runs them while it is built; running
this file top to bottom prints the same outputs.
"""

# --8<-- [start:encoder]
import torch

from llm_attention import embed_text, token_strings

torch.set_printoptions(precision=3, sci_mode=False, linewidth=72)

german = "Kannst du mir helfen diesen Satz zu uebersetzen"
d_in, hidden_size = 16, 8
# token embeddings, (num_src, d_in)
src_ids, src_embeds = embed_text(german, output_dim=d_in)

torch.manual_seed(123)
encoder = torch.nn.RNN(input_size=d_in, hidden_size=hidden_size)
with torch.no_grad():  # step 1: keep every encoder state s_j
    enc_states, h_n = encoder(src_embeds)  # (num_src, hidden_size)

src_tokens = token_strings(src_ids)
print(len(src_tokens), "tokens:", "|".join(src_tokens))
print("enc_states:", tuple(enc_states.shape))
# --8<-- [end:encoder]

# --8<-- [start:decoder]
from llm_attention import TextEmbedding, token_ids

english = "Can you help me translate this sentence"
tgt_ids = token_ids(english)  # the tokens the decoder has to write
tgt_tokens = token_strings(tgt_ids)

# Teacher forcing: step t reads the token before the one it writes, and
# step 1 reads a start token (GPT-2's only special token serves as one).
start = "<|endoftext|>"
dec_ids = token_ids(start, allowed_special={start}) + tgt_ids[:-1]
torch.manual_seed(123)  # the seed embed_text uses: the same embedding table
embedding = TextEmbedding(output_dim=d_in)

torch.manual_seed(456)
decoder = torch.nn.RNN(input_size=d_in, hidden_size=hidden_size)
with torch.no_grad():  # starts from the encoder's h_n
    dec_inputs = embedding(torch.tensor(dec_ids))  # (num_tgt, d_in)
    dec_states, _ = decoder(dec_inputs, h_n)  # (num_tgt, hidden_size)

dec_tokens = token_strings(dec_ids)
for t in (1, 2, 3):
    print(f"d_{t} reads {dec_tokens[t - 1]!r:16} writes {tgt_tokens[t - 1]!r}")
query = dec_states[2]  # step 2: d_3, the state that writes " help"
print(query)
# --8<-- [end:decoder]

# --8<-- [start:scores]
attn_scores_3 = enc_states @ query  # step 3: one dot product per token
attn_weights_3 = torch.softmax(attn_scores_3, dim=0)  # step 4: sum to 1

print(f"scores:\n{attn_scores_3}")
print(f"weights:\n{attn_weights_3}")
print("sum:", attn_weights_3.sum())
# --8<-- [end:scores]

# --8<-- [start:context]
context_vec_3 = attn_weights_3 @ enc_states  # step 5: sum_j a_3j * s_j

manual = sum(a * s for a, s in zip(attn_weights_3, enc_states, strict=True))
print(context_vec_3)
print("Same as the explicit sum:", torch.allclose(context_vec_3, manual))
# --8<-- [end:context]

# --8<-- [start:all-steps]
attn_scores = dec_states @ enc_states.T  # (num_tgt, num_src)
attn_weights = torch.softmax(attn_scores, dim=-1)  # over each row
context_vecs = attn_weights @ enc_states  # (num_tgt, hidden_size)

print("attn_weights:", tuple(attn_weights.shape))
print("row sums:", attn_weights.sum(dim=-1))
same = torch.allclose(attn_weights[2], attn_weights_3)
print("row 3 is attn_weights_3:", same)
# --8<-- [end:all-steps]

# --8<-- [start:self-attention]
_, inputs = embed_text(english, output_dim=d_in)  # (num_tokens, d_in)

attn_scores = inputs @ inputs.T  # every token against the same sentence
attn_weights = torch.softmax(attn_scores, dim=-1)
context_vecs = attn_weights @ inputs  # one context vector per token

print("attn_weights:", tuple(attn_weights.shape))
print("context_vecs:", tuple(context_vecs.shape))
print("row sums:", attn_weights.sum(dim=-1))
print(f"scores of 'Can':\n{attn_scores[0]}")
print(f"diagonal weights:\n{attn_weights.diagonal()}")
# --8<-- [end:self-attention]
