"""The PyTorch primer: the idioms chapter 3's code relies on, one small example each.

The site embeds the named sections of this file (``# --8<-- [start:name]``) into the
primer pages of both languages and runs them while it is built; running this file top
to bottom prints the same outputs. Later sections reuse ``inputs``, ``scores`` and
``batch`` from earlier ones, as the page does.
"""

# --8<-- [start:tensors]
import torch

from llm_attention import example_inputs

t = torch.tensor([[1, 2, 3], [4, 5, 6]])  # from nested Python lists
print(t.shape, t.dtype)  # 2 rows of 3 whole numbers: 64-bit integers
inputs = example_inputs()  # "Your journey starts with one step": 6 tokens, 3 numbers each
print(inputs)
print(inputs.shape, inputs.dtype, inputs[1].shape)  # inputs[1] is the row of "journey"
# --8<-- [end:tensors]

# --8<-- [start:matmul]
journey = inputs[1]  # 1-D, shape (3,)
score = journey @ journey  # 1-D @ 1-D: a dot product, one number
print(score, score.shape, score.item())
print(inputs @ journey)  # 2-D @ 1-D: every row dotted with journey, shape (6,)
print((inputs @ inputs.T).shape)  # 2-D @ 2-D: (6, 3) @ (3, 6) -> (6, 6)
# --8<-- [end:matmul]

# --8<-- [start:transpose]
print(inputs.shape, inputs.T.shape)  # .T swaps the two dimensions of a matrix
batch = torch.stack((inputs, inputs))  # a batch of two copies: (2, 6, 3)
print(batch.transpose(1, 2).shape)  # swap dimensions 1 and 2, keep the batch first
print(batch.transpose(-2, -1).shape)  # the same two, counted from the end
# --8<-- [end:transpose]

# --8<-- [start:dim-keepdim]
scores = inputs @ inputs.T  # (6, 6): row i holds the scores of token i
print(scores.sum(dim=-1))  # one sum per row, shape (6,)
print(scores.sum(dim=-1, keepdim=True).shape)  # the same sums as a column, (6, 1)
weights = torch.softmax(scores, dim=-1)  # softmax along each row
print(weights[1], weights[1].sum())  # the weights of "journey" sum to 1
# --8<-- [end:dim-keepdim]

# --8<-- [start:broadcast-column]
row_sums = scores.sum(dim=-1, keepdim=True)  # (6, 1)
print((scores / row_sums).sum(dim=-1))  # each row divided by its own sum: rows sum to 1
wrong = scores / scores.sum(dim=-1)  # (6,) lines up as a row: divides columns, no error
print(wrong.sum(dim=-1))
# --8<-- [end:broadcast-column]

# --8<-- [start:broadcast-mask]
mask = torch.triu(torch.ones(6, 6, dtype=torch.bool), diagonal=1)  # (6, 6), True = future
scores_4d = torch.zeros(2, 2, 6, 6)  # (batch, heads, num_tokens, num_tokens)
masked = scores_4d.masked_fill(mask, -torch.inf)  # the mask is reused for all 2 x 2 tables
print(masked.shape)
print(masked[1, 1])  # batch 1, head 1: the same pattern as every other table
# --8<-- [end:broadcast-mask]

# --8<-- [start:nn-module]
from torch import nn


class Double(nn.Module):
    def forward(self, x):
        return 2 * x


double = Double()
double.register_forward_hook(lambda module, args, out: print("hook saw", tuple(out.shape)))
print(double(inputs).shape)  # __call__: runs forward, then the hook
print(double.forward(inputs).shape)  # forward alone: the hook is skipped
# --8<-- [end:nn-module]

# --8<-- [start:parameter-linear]
torch.manual_seed(123)
linear = nn.Linear(3, 2)  # d_in=3, d_out=2
print(linear.weight.shape)  # (d_out, d_in)
print(torch.allclose(linear(inputs), inputs @ linear.weight.T + linear.bias))
W = nn.Parameter(torch.rand(3, 2))  # SelfAttention_v1's way: (d_in, d_out), used as x @ W
print(W.shape, W.requires_grad, (inputs @ W).shape)
# --8<-- [end:parameter-linear]

# --8<-- [start:manual-seed]
torch.manual_seed(123)
print(torch.rand(3))  # the first draw after the seed
print(torch.rand(3))  # the next draw: other numbers
torch.manual_seed(123)
print(torch.rand(3))  # the same seed again: the first draw again
# --8<-- [end:manual-seed]

# --8<-- [start:train-eval]
torch.manual_seed(123)
dropout = nn.Dropout(0.5)  # zero each entry with probability 0.5, scale the rest by 2
print(dropout.training, dropout(torch.ones(6)))  # a new module is in training mode
dropout.eval()
print(dropout.training, dropout(torch.ones(6)))  # evaluation mode: nothing is dropped
# --8<-- [end:train-eval]

# --8<-- [start:no-grad]
print(linear(inputs[:2]))  # the weights are trainable, so PyTorch records a grad_fn
with torch.no_grad():
    print(linear(inputs[:2]))  # nothing recorded: the same numbers, no grad_fn
print(linear(inputs[:2]).detach())  # or drop the record from one result
# --8<-- [end:no-grad]

# --8<-- [start:view-reshape]
swapped = batch.transpose(1, 2)  # (2, 3, 6): the same memory, read in another order
print(batch.is_contiguous(), swapped.is_contiguous())
try:
    swapped.view(2, 18)
except RuntimeError as err:
    print("RuntimeError:", err)
print(swapped.contiguous().view(2, 18).shape, swapped.reshape(2, 18).shape)
# --8<-- [end:view-reshape]

# --8<-- [start:register-buffer]
from llm_attention import CausalAttention

ca = CausalAttention(d_in=3, d_out=2, context_length=6, dropout=0.0)
print([name for name, _ in ca.named_parameters()])  # what training changes
print([name for name, _ in ca.named_buffers()])  # kept with the module, never trained
print(list(ca.state_dict()))  # both are saved
print(ca.to("meta").mask.device)  # .to() moves buffers along with the parameters
# --8<-- [end:register-buffer]

# --8<-- [start:in-place]
small = torch.zeros(3, 3)
out = small.masked_fill(mask[:3, :3], -torch.inf)  # a new tensor
print(out)
print(small)  # unchanged
small.masked_fill_(mask[:3, :3], -torch.inf)  # the trailing _ changes small itself
print(small)
# --8<-- [end:in-place]
