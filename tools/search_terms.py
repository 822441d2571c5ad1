"""MkDocs hook: each glossary term leads search to the section that introduces it.

``TERMS`` says, for every row of the glossary, what a reader types in each language and which
section introduces the term. After the build, ``on_post_build`` checks every entry against the
search index (the section exists, and says the term, in that language) and fails the build
otherwise; then it writes the terms into the index as that section's ``tags``. Material's search
indexes tags (weight 1,000,000, against 1,000 for a heading) and shows them under the result,
so a reader sees why the section came first.

Tags raise the section but do not settle the order on their own: the query "self-attention"
matches the tags of "simplified self-attention" as well, and Material multiplies the score of a
page's opening section by up to 2.5. ``docs/assets/search.js`` therefore gives an exact term the
first place: when the query is a tag of a section in the reader's language, that section is
moved to the top of the list, in a result of its own. It also gives each language its own
search (the site has one index for both), so the Chinese pages list Chinese sections only.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs import plugins
from mkdocs.exceptions import PluginError

try:
    import jieba
except ImportError:  # the search plugin needs it for the Chinese pages; without it, no segmenting
    jieba = None

LANG_PREFIX = {"en": "", "zh": "zh/"}


@dataclass(frozen=True)
class Term:
    """A glossary term: what a reader types in each language, and where the term is introduced.

    ``section`` is the page path below the language's root plus ``#anchor``; no anchor means the
    page's opening section (the text between its title and its first ``##`` heading). Headings
    carry the same ids in both languages, so the Chinese target is ``zh/`` + ``section``.
    """

    en: tuple[str, ...]
    zh: tuple[str, ...]
    section: str


P31 = "chapter/3.1-long-sequences/"
P32 = "chapter/3.2-attention-mechanisms/"
P33 = "chapter/3.3-self-attention/"
P34 = "chapter/3.4-trainable-weights/"
P35 = "chapter/3.5-causal-attention/"
P36 = "chapter/3.6-multi-head-attention/"
PRIMER = "primer/"

# Where each glossary term is introduced: the first section, in chapter order (3.1 to 3.7,
# then the exercises and the pages beyond the chapter), that says what the term means. A
# section that only uses the term, or points ahead to where it is built, does not count; the
# home page, the summary, the glossary and the API page are not chapter text. The PyTorch
# terms are the exception: the chapter uses them without stopping to explain them, and the
# PyTorch primer, which comes before 3.1, does. Terms with two names get one query per name
# ("large language model" and "LLM").
TERMS: list[Term] = [
    # 3.2's opening: keep every encoder state and let the decoder weigh them, "That is the
    # attention mechanism".
    Term(("attention mechanism",), ("注意力机制",), P32),
    # 3.2 "From RNN attention to self-attention": the query comes from the sequence, and so do
    # the things it attends to (3.3 then builds it).
    Term(("self-attention",), ("自注意力",), P32 + "#toward-self-attention"),
    # 3.3's opening: self-attention in its plainest form, with no trainable weights at all.
    Term(("simplified self-attention",), ("简化的自注意力",), P33),
    # 3.4's opening names the form scaled dot-product attention.
    Term(("scaled dot-product attention",), ("缩放点积注意力",), P34),
    # 3.5's opening: causal (also called masked) attention; query i attends to keys 1 to i.
    Term(("causal attention",), ("因果注意力",), P35),
    # 3.6's opening defines multi-head attention, its heads, the head dimension d_h and the
    # output projection W_o that mixes the concatenated heads.
    Term(("multi-head attention",), ("多头注意力",), P36),
    Term(("attention head",), ("注意力头",), P36),
    Term(("head dimension",), ("头维度",), P36),
    Term(("output projection",), ("输出投影",), P36),
    # 3.2 "Attention in an encoder–decoder RNN", the five steps: the decoder state is the
    # query, it scores every input with the attention score, softmax turns the scores into
    # attention weights, and their weighted sum is the context vector.
    Term(("query",), ("查询",), P32 + "#rnn-attention"),
    Term(("attention scores",), ("注意力分数",), P32 + "#rnn-attention"),
    Term(("attention weights",), ("注意力权重",), P32 + "#rnn-attention"),
    Term(("context vector",), ("上下文向量",), P32 + "#rnn-attention"),
    # 3.4 "Queries, keys and values": the key is what a token offers to be matched, the value
    # what it hands over.
    Term(("key",), ("键",), P34 + "#qkv-roles"),
    Term(("value",), ("值",), P34 + "#qkv-roles"),
    # 3.3 "What a dot product measures" (3.2 uses dot products without defining them).
    Term(("dot product",), ("点积",), P33 + "#dot-product"),
    # 3.3 "Step 2: normalizing the scores into weights": dividing by the sum, then the softmax
    # function with its formula.
    Term(("softmax",), ("softmax",), P33 + "#normalization"),
    Term(("normalization",), ("归一化",), P33 + "#normalization"),
    # 3.5.1 "Applying a causal attention mask": the boolean mask M, and the two ways of
    # masking (weights to 0 and renormalise, or scores to -inf before softmax).
    Term(("causal mask",), ("因果掩码",), P35 + "#causal-mask"),
    Term(("masking",), ("掩码", "遮蔽"), P35 + "#causal-mask"),
    # 3.5.2: what dropout does and where it acts in attention.
    Term(("dropout",), ("dropout",), P35 + "#dropout"),
    # 3.1 "Why word-by-word translation fails": an LLM sees tokens, GPT-2's byte-pair encoding.
    Term(("token",), ("词元",), P31 + "#word-by-word"),
    # 3.1 "Encoder–decoder RNNs": the embedding of each token from the embedding layer
    # embed_text; the RNN, its hidden state, the encoder and the decoder.
    Term(("token embedding",), ("词元嵌入",), P31 + "#encoder-decoder"),
    Term(("RNN",), ("RNN",), P31 + "#encoder-decoder"),
    Term(("hidden state",), ("隐藏状态",), P31 + "#encoder-decoder"),
    Term(("encoder",), ("编码器",), P31 + "#encoder-decoder"),
    Term(("decoder",), ("解码器",), P31 + "#encoder-decoder"),
    # 3.1's opening names the recurrent neural network (RNN) and the large language model
    # (LLM); the full names appear nowhere else in the chapter.
    Term(("recurrent neural network",), ("循环神经网络",), P31),
    Term(("large language model", "LLM"), ("大语言模型", "LLM"), P31),
    # 3.3.1: six tokens, each a 3-dimensional embedding vector, returned by example_inputs()
    # as the input sequence, one row per token.
    Term(("embedding vector",), ("嵌入向量",), P33 + "#simple-self-attention"),
    Term(("input sequence",), ("输入序列",), P33 + "#simple-self-attention"),
    # 3.4's opening: three trainable weight matrices, W_q, W_k and W_v.
    Term(("weight matrix",), ("权重矩阵",), P34),
    Term(("trainable weights",), ("可训练权重",), P34),
    # 3.5.3 "Implementing a compact causal attention class": inputs come in batches
    # (b, num_tokens, d_in), the mask is a buffer (register_buffer) of context_length rows.
    Term(("batch",), ("批次",), P35 + "#compact-causal-class"),
    Term(("buffer",), ("缓冲区",), P35 + "#compact-causal-class"),
    Term(("context length",), ("上下文长度",), P35 + "#compact-causal-class"),
    # The exercises page; the beyond-the-chapter pages each open with their term in bold.
    Term(("exercise",), ("练习",), "exercises/"),
    Term(("KV cache",), ("KV 缓存",), "beyond/kv-cache/"),
    Term(("grouped-query attention", "GQA"), ("分组查询注意力", "GQA"), "beyond/gqa/"),
    Term(("multi-query attention", "MQA"), ("多查询注意力", "MQA"), "beyond/gqa/"),
    Term(("sliding-window attention",), ("滑动窗口注意力",), "beyond/sliding-window/"),
    Term(("multi-head latent attention", "MLA"), ("多头潜在注意力", "MLA"), "beyond/mla/"),
    # The PyTorch primer (docs/primer.md): each PyTorch term in the section that explains it
    # with an example. (The buffer stays with 3.5.3, where the chapter's mask becomes one.)
    Term(("tensor",), ("张量",), PRIMER + "#tensors"),
    Term(("shape",), ("形状",), PRIMER + "#tensors"),
    Term(("matrix multiplication",), ("矩阵乘法",), PRIMER + "#matmul"),
    Term(("transpose",), ("转置",), PRIMER + "#transpose"),
    Term(("dimension",), ("维度",), PRIMER + "#dim-keepdim"),
    Term(("broadcasting",), ("广播",), PRIMER + "#broadcasting"),
    Term(("module",), ("模块",), PRIMER + "#nn-module"),
    Term(("parameter",), ("参数",), PRIMER + "#parameter-linear"),
    Term(("random seed",), ("随机种子",), PRIMER + "#manual-seed"),
    Term(("training mode", "evaluation mode"), ("训练模式", "评估模式"), PRIMER + "#train-eval"),
    Term(("gradient", "autograd"), ("梯度", "自动求导"), PRIMER + "#no-grad"),
    Term(("contiguous",), ("连续",), PRIMER + "#view-reshape"),
    Term(("in-place operation",), ("原地操作",), PRIMER + "#in-place"),
]

TAG = re.compile(r"<[^>]+>")
DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2014": "-"})


def plain(text: str) -> str:
    """Index text as a reader reads it: no markup, no zero-width spaces, one kind of dash."""
    text = html.unescape(TAG.sub(" ", text)).replace("\u200b", "")
    return re.sub(r"\s+", " ", text.translate(DASHES)).strip().lower()


def says(section_text: str, query: str, lang: str) -> bool:
    """Whether a section's plain text contains the term (English: or the term's singular,
    "attention score" for "attention scores", "weight matrix" for "weight matrices")."""
    term = plain(query)
    forms = {term}
    if lang == "en":
        forms |= {term.removesuffix("s"), re.sub(r"ix$", "ices", term)}
    return any(form and form in section_text for form in forms)


def segment(term: str) -> str:
    """A Chinese tag the way the search plugin writes the pages' text: jieba's words, with
    zero-width spaces between them, so a tag holds the same index words as the text."""
    if jieba is None:
        return term
    return re.sub(r"[\u4e00-\u9fff]+", lambda m: "\u200b".join(jieba.cut(m.group(0))), term)


def check_and_tag(index: dict[str, Any], terms: list[Term] = TERMS) -> list[str]:
    """Add each term to its section's ``tags`` in ``index``; return the problems found.

    A problem is a section missing from the index, or a section whose heading and text do not
    contain the term: tagging it would send readers to a section that does not say the word.
    """
    docs = {doc["location"]: doc for doc in index["docs"]}
    problems = []
    for term in terms:
        for lang, queries in (("en", term.en), ("zh", term.zh)):
            location = LANG_PREFIX[lang] + term.section
            doc = docs.get(location)
            if doc is None:
                problems.append(f"{lang} {queries}: no section {location} in the search index")
                continue
            text = plain(doc.get("title", "") + " " + doc.get("text", ""))
            for query in queries:
                if not says(text, query, lang):
                    problems.append(f"{lang} {query!r}: {location} does not say it")
                    continue
                tag = segment(query) if lang == "zh" else query
                tags = doc.setdefault("tags", [])
                if tag not in tags:
                    tags.append(tag)
    return problems


# mkdocs-static-i18n builds the Chinese pages from inside the English build's post-build step
# (priority -100), then writes the index of both languages; run after it. The Chinese build's
# own post-build step sees an index of the Chinese pages only, and leaves it alone.
@plugins.event_priority(-200)
def on_post_build(config: Any) -> None:
    path = Path(config["site_dir"]) / "search" / "search_index.json"
    if not path.is_file():
        return
    index = json.loads(path.read_text(encoding="utf-8"))
    chinese = {doc["location"].startswith("zh/") for doc in index["docs"]}
    if chinese != {True, False}:
        return  # one language only: the Chinese build's step (tests check the final index)
    problems = check_and_tag(index, TERMS)
    if problems:
        raise PluginError(
            "search terms (tools/search_terms.py) that do not lead to a section saying them:\n  "
            + "\n  ".join(problems)
        )
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), "utf-8")
