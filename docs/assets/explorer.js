// The attention explorer: the chapter's computation, live in the page.
//
// It runs on a page that holds <div data-attention-explorer>, and does nothing elsewhere. The
// numbers it computes from (embeddings, seeded weight matrices, torch's dropout draws, random
// vectors) are exported from the package at build time into assets/explorer/data.json by
// tools/hooks/explorer_data.py; the arithmetic (a few small matrix products and a softmax) is done
// here, in plain JavaScript. Under the view it shows the Python code that computes the same
// numbers with llm_attention; the browser tests run that code and compare.
(function () {
  "use strict";

  // "3.6" is 3.6.1, the wrapper (the chapter pages link to ?stage=3.6); "3.6.2" the weight splits
  const STAGES = ["3.3", "3.4", "3.5", "3.6", "3.6.2"];
  const DROPOUT_RATES = ["0", "0.1", "0.5"];
  const MAX_HEADS = 3;

  const TEXT = {
    en: {
      loading: "Loading the explorer…",
      failed: "The explorer could not load its data",
      controls: "Settings of the explorer",
      sentence: "Sentence",
      colon: ": ",
      bookSentence: "The book's example (3.3.1)",
      query: "Query token",
      queryOption: (i, token) => `${i + 1}: "${token}"`,
      stage: "Stage of the chapter",
      stages: {
        "3.3": "3.3 No trainable weights",
        "3.4": "3.4 Trainable weights",
        "3.5": "3.5 Causal mask and dropout",
        "3.6": "3.6.1 Multi-head wrapper",
        "3.6.2": "3.6.2 Weight splits",
      },
      weights: "Weights",
      weightNames: { v1: "SelfAttention_v1, seed 123", v2: "SelfAttention_v2, seed 789" },
      scale: "Divide the scores by √d_k",
      causal: "Causal mask",
      dropout: "Dropout rate p",
      heads: "Heads",
      numHeads: (dOut) => `Heads sharing d_out = ${dOut}`,
      row: { scores: "score", weights: "weight", before: "before dropout" },
      headRow: (h) => `head ${h + 1}: weight`,
      queryRow: (token) => `The row of the query “${token}”`,
      context: (token) => `Context vector of “${token}”`,
      heatmap: (head) =>
        head === null ? "Attention weights, all queries" : `Attention weights of head ${head + 1}`,
      heatmapQuery: "query ↓ key →",
      code: "Python code for this view (copy it and run it)",
      status: (token, weights, context) =>
        `Query “${token}”: weights ${weights}; context vector ${context}.`,
      dropoutNote: (p) =>
        `Dropout keeps each weight with probability ${1 - p} and multiplies the kept ones by ` +
        `1/(1−p) = ${fmt(1 / (1 - p))}; the zeros are the dropped ones.`,
      rowDropped: (i, token) =>
        `Dropout zeroed every weight of query ${i + 1} (“${token}”): ` +
        "its context vector is all zeros in this training step.",
      mha: {
        project: (dOut) =>
          `(1) Project: one query, one key and one value projection, each d_out = ${dOut} wide.`,
        split: (groups) =>
          `(2) Split the columns into ${groups.length} ${groups.length === 1 ? "head" : "heads"} ` +
          `of head_dim = ${groups[0].length}: ` +
          groups
            .map((cols, h) => `head ${h + 1} takes column${cols.length > 1 ? "s" : ""} ${span(cols)}`)
            .join(", ") +
          ".",
        attend: (headDim) =>
          `(3) Causal attention in each head on its own columns; ` +
          `the scores are divided by √head_dim = √${headDim}.`,
        merge: (dOut) =>
          `(4) Merge: each head's context vectors, side by side again, d_out = ${dOut} columns.`,
        outProj: "(5) out_proj mixes the heads: output = merged · W_o + b_o.",
        caption: {
          queries: "Queries Q = X · W_q",
          keys: "Keys K = X · W_k",
          values: "Values V = X · W_v",
          merged: "The heads' context vectors, merged",
          output: "Output of out_proj",
        },
        head: (h) => `head ${h + 1}`,
        output: (token) => `Output for “${token}” (its row of out_proj's output)`,
      },
      dk: "Why divide by √d_k",
      dkLabel: "Dimension d_k of the random query and keys",
      dkRow: { unscaled: "softmax(q·k)", scaled: "softmax(q·k / √d_k)" },
      dkKey: (i) => `key ${i + 1}`,
      dkCaption: (dK) => `Softmax of the six scores q·k, d_k = ${dK}`,
      dkStatus: (dK, a, b) =>
        `d_k = ${dK}: the largest weight is ${a} without the division and ${b} with it.`,
      dkCode: "Python code for these numbers",
    },
    zh: {
      loading: "正在加载注意力探索器……",
      failed: "注意力探索器的数据加载失败",
      controls: "探索器的设置",
      sentence: "句子",
      colon: "：",
      bookSentence: "书中的例句（第 3.3.1 节）",
      query: "查询词元",
      queryOption: (i, token) => `${i + 1}：“${token}”`,
      stage: "本章的阶段",
      stages: {
        "3.3": "3.3 无可训练权重",
        "3.4": "3.4 可训练权重",
        "3.5": "3.5 因果掩码与 dropout",
        "3.6": "3.6.1 堆叠多个头",
        "3.6.2": "3.6.2 权重拆分",
      },
      weights: "权重矩阵",
      weightNames: { v1: "SelfAttention_v1，种子 123", v2: "SelfAttention_v2，种子 789" },
      scale: "分数除以 √d_k",
      causal: "因果掩码",
      dropout: "dropout 比例 p",
      heads: "头数",
      numHeads: (dOut) => `头数（平分 d_out = ${dOut}）`,
      row: { scores: "分数", weights: "权重", before: "dropout 之前" },
      headRow: (h) => `头 ${h + 1}：权重`,
      queryRow: (token) => `查询“${token}”这一行`,
      context: (token) => `“${token}”的上下文向量`,
      heatmap: (head) => (head === null ? "注意力权重（全部查询）" : `第 ${head + 1} 个头的注意力权重`),
      heatmapQuery: "查询 ↓ 键 →",
      code: "生成当前视图的 Python 代码（可复制运行）",
      status: (token, weights, context) => `查询“${token}”：权重 ${weights}；上下文向量 ${context}。`,
      dropoutNote: (p) =>
        `dropout 以 ${1 - p} 的概率保留每个权重，并把保留下来的乘以 1/(1−p) = ${fmt(1 / (1 - p))}；` +
        "为 0 的就是被丢弃的。",
      rowDropped: (i, token) =>
        `dropout 把查询 ${i + 1}（“${token}”）的权重全部置为 0：` +
        "在这一步训练中，它的上下文向量全为 0。",
      mha: {
        project: (dOut) => `（1）投影：查询、键、值各只有一个投影，宽度都是 d_out = ${dOut}。`,
        split: (groups) =>
          `（2）把列划分成 ${groups.length} 个头，每个头 head_dim = ${groups[0].length} 列：` +
          groups.map((cols, h) => `头 ${h + 1} 取第 ${span(cols)} 列`).join("，") +
          "。",
        attend: (headDim) =>
          `（3）每个头在自己的列上计算因果注意力，分数除以 √head_dim = √${headDim}。`,
        merge: (dOut) => `（4）合并：把各个头的上下文向量重新并排，拼回 d_out = ${dOut} 列。`,
        outProj: "（5）输出投影 out_proj 混合各个头：输出 = 合并结果 · W_o + b_o。",
        caption: {
          queries: "查询 Q = X · W_q",
          keys: "键 K = X · W_k",
          values: "值 V = X · W_v",
          merged: "各个头的上下文向量，并排合并",
          output: "输出投影 out_proj 的结果",
        },
        head: (h) => `头 ${h + 1}`,
        output: (token) => `“${token}”的输出（out_proj 结果中它的那一行）`,
      },
      dk: "为什么要除以 √d_k",
      dkLabel: "随机查询和键的维度 d_k",
      dkRow: { unscaled: "softmax(q·k)", scaled: "softmax(q·k / √d_k)" },
      dkKey: (i) => `键 ${i + 1}`,
      dkCaption: (dK) => `六个分数 q·k 的 softmax，d_k = ${dK}`,
      dkStatus: (dK, a, b) => `d_k = ${dK}：不除时最大的权重是 ${a}，除以 √d_k 后是 ${b}。`,
      dkCode: "生成这组数字的 Python 代码",
    },
  };

  // the columns of one head, counted from 1: "3" or "1–2"
  function span(cols) {
    const first = cols[0] + 1;
    const last = cols[cols.length - 1] + 1;
    return first === last ? `${first}` : `${first}–${last}`;
  }

  // a token as the tables show it: its Python string literal without the quotes
  function shown(token) {
    return JSON.stringify(token).slice(1, -1);
  }

  function fmt(value, digits = 4) {
    if (value === -Infinity) return "-inf";
    const text = value.toFixed(digits);
    return /^-0\.0*$/.test(text) ? text.slice(1) : text; // no "-0.0000"
  }

  // ------------------------------------------------------------------ the math
  function matmul(a, b) {
    return a.map((row) =>
      b[0].map((_, j) => row.reduce((sum, value, k) => sum + value * b[k][j], 0)),
    );
  }

  function transpose(a) {
    return a[0].map((_, j) => a.map((row) => row[j]));
  }

  // softmax of one row; -Infinity (a masked score) gets weight 0
  function softmax(row) {
    const max = Math.max(...row.filter((v) => v !== -Infinity));
    const exps = row.map((v) => (v === -Infinity ? 0 : Math.exp(v - max)));
    const sum = exps.reduce((s, v) => s + v, 0);
    return exps.map((v) => v / sum);
  }

  // the columns cols of every row of a: one head's share of a projection
  function columnsOf(a, cols) {
    return a.map((row) => cols.map((j) => row[j]));
  }

  // scaled dot-product attention of x with one set of weights
  function attend(x, w, state) {
    return attendQKV(matmul(x, w.W_query), matmul(x, w.W_key), matmul(x, w.W_value), state);
  }

  function attendQKV(queries, keys, values, state) {
    const dK = keys[0].length;
    let scores = matmul(queries, transpose(keys));
    if (state.causal) {
      scores = scores.map((row, i) => row.map((v, j) => (j > i ? -Infinity : v)));
    }
    const scale = state.scale ? 1 / Math.sqrt(dK) : 1;
    const before = scores.map((row) => softmax(row.map((v) => v * scale)));
    let weights = before;
    if (state.keep) {
      const p = state.p;
      weights = before.map((row, i) => row.map((v, j) => (state.keep[i][j] ? v / (1 - p) : 0)));
    }
    return { scores, before, weights, context: matmul(weights, values) };
  }

  function compute(state, data) {
    const sentence = data.sentences.find((s) => s.id === state.sentence);
    const x = sentence.embeddings;
    if (state.stage === "3.3") {
      const scores = matmul(x, transpose(x));
      const weights = scores.map(softmax);
      return { heads: [{ scores, before: weights, weights }], context: matmul(weights, x) };
    }
    if (state.stage === "3.6") {
      const heads = data.heads[String(state.heads)].map((w) =>
        attend(x, w, { scale: true, causal: true }),
      );
      const context = x.map((_, i) => heads.flatMap((head) => head.context[i]));
      return { heads, context };
    }
    if (state.stage === "3.6.2") return multiHead(x, data.mha, state.num_heads);
    const p = state.stage === "3.5" ? Number(state.dropout) : 0;
    const head = attend(x, data.weights[state.weights], {
      scale: state.scale,
      causal: state.stage === "3.5" && state.causal,
      p,
      keep: p > 0 ? data.dropout.keep[state.dropout][String(x.length)] : null,
    });
    return { heads: [head], context: head.context };
  }

  // MultiHeadAttention (3.6.2): (1) project to d_out, (2) split the columns into heads,
  // (3) causal attention in each head, (4) merge the heads' context vectors, (5) out_proj
  function multiHead(x, w, numHeads) {
    const queries = matmul(x, w.W_query);
    const keys = matmul(x, w.W_key);
    const values = matmul(x, w.W_value);
    const headDim = w.d_out / numHeads;
    const groups = Array.from({ length: numHeads }, (_, h) =>
      Array.from({ length: headDim }, (_, c) => h * headDim + c),
    );
    const heads = groups.map((cols) =>
      attendQKV(columnsOf(queries, cols), columnsOf(keys, cols), columnsOf(values, cols), {
        scale: true,
        causal: true,
      }),
    );
    const merged = x.map((_, i) => heads.flatMap((head) => head.context[i]));
    const output = matmul(merged, w.W_out).map((row) => row.map((v, j) => v + w.b_out[j]));
    return { heads, context: output, mha: { queries, keys, values, merged, output, groups } };
  }

  // the queries whose every weight dropout zeroed (their context vector is all zeros)
  function droppedRows(head) {
    if (head.weights === head.before) return [];
    return head.weights
      .map((row, i) => (head.before[i].some((v) => v > 0) && row.every((v) => v === 0) ? i : -1))
      .filter((i) => i >= 0);
  }

  function dkDemo(data, dK) {
    const draw = data.dk.draws[String(dK)];
    const scores = draw.K.map((key) => key.reduce((s, v, i) => s + v * draw.q[i], 0));
    return {
      unscaled: softmax(scores),
      scaled: softmax(scores.map((v) => v / Math.sqrt(dK))),
    };
  }

  function multiHeaded(stage) {
    return stage === "3.6" || stage === "3.6.2";
  }

  // ------------------------------------------------------------------ the Python code
  function importLine(names) {
    const line = `from llm_attention import ${names.join(", ")}`;
    if (line.length <= 82) return [line];
    return ["from llm_attention import (", ...names.map((n) => `    ${n},`), ")"];
  }

  function pythonCode(state, sentence) {
    const names = [];
    const body = [];
    const q = state.query;
    if (sentence.id === "book") {
      names.push("example_inputs");
    } else {
      names.push("embed_text", "token_strings");
    }
    if (state.stage === "3.3") {
      body.push(
        "scores = x @ x.T  # every token's dot product with every token",
        "weights = torch.softmax(scores, dim=-1)",
        "context = weights @ x",
      );
    } else if (state.stage === "3.6") {
      names.push("MultiHeadAttentionWrapper");
      body.push(
        "torch.manual_seed(123)",
        "mha = MultiHeadAttentionWrapper(",
        `    d_in=3, d_out=2, context_length=x.shape[0], dropout=0.0, num_heads=${state.heads}`,
        ")",
        "batch = x.unsqueeze(0)  # the class takes a batch; this one holds one sequence",
        "context = mha(batch)[0]  # the heads side by side: (num_tokens, num_heads * 2)",
        "# each head is a CausalAttention; asked, it returns its weights, (1, num_tokens, num_tokens)",
        "weights = torch.cat([head(batch, return_attn_weights=True)[1] for head in mha.heads])",
      );
    } else if (state.stage === "3.6.2") {
      const dOut = 4;
      names.push("MultiHeadAttention", "causal_mask");
      body.push(
        "num_tokens = x.shape[0]",
        "torch.manual_seed(123)",
        "mha = MultiHeadAttention(",
        `    d_in=3, d_out=${dOut}, context_length=num_tokens, dropout=0.0, num_heads=${state.num_heads}`,
        ")",
        `d_out, num_heads = ${dOut}, ${state.num_heads}`,
        `head_dim = d_out // num_heads  # ${dOut / state.num_heads}`,
        "# 1) project: one projection each, (num_tokens, d_out)",
        "queries, keys, values = mha.W_query(x), mha.W_key(x), mha.W_value(x)",
        "# 2) split the columns into heads, (num_heads, num_tokens, head_dim):",
        "#    head h takes columns h * head_dim to (h + 1) * head_dim - 1",
        "split = (num_tokens, num_heads, head_dim)",
        "q_h = queries.view(split).transpose(0, 1)",
        "k_h = keys.view(split).transpose(0, 1)",
        "v_h = values.view(split).transpose(0, 1)",
        "# 3) causal attention in each head, (num_heads, num_tokens, num_tokens)",
        "scores = q_h @ k_h.transpose(1, 2)",
        "scores = scores.masked_fill(causal_mask(num_tokens), -torch.inf)",
        "weights = torch.softmax(scores / head_dim**0.5, dim=-1)",
        "# 4) merge: the heads' context vectors side by side again, (num_tokens, d_out)",
        "merged = (weights @ v_h).transpose(0, 1).reshape(num_tokens, d_out)",
        "# 5) out_proj mixes the heads, (num_tokens, d_out)",
        "context = mha.out_proj(merged)",
        "# the module does the five steps; it takes a batch, so give it a batch of one",
        "out, out_weights = mha(x.unsqueeze(0), return_attn_weights=True)",
        "print(torch.allclose(context, out[0]), torch.allclose(weights, out_weights[0]))",
      );
    } else {
      const v1 = state.weights === "v1";
      names.push(v1 ? "SelfAttention_v1" : "SelfAttention_v2");
      body.push(
        `torch.manual_seed(${v1 ? 123 : 789})`,
        `sa = ${v1 ? "SelfAttention_v1" : "SelfAttention_v2"}(d_in=3, d_out=2)`,
        v1
          ? "queries, keys, values = x @ sa.W_query, x @ sa.W_key, x @ sa.W_value"
          : "queries, keys, values = sa.W_query(x), sa.W_key(x), sa.W_value(x)",
        "scores = queries @ keys.T",
      );
      const causal = state.stage === "3.5" && state.causal;
      if (causal) {
        names.push("causal_mask");
        body.push("scores = scores.masked_fill(causal_mask(x.shape[0]), -torch.inf)");
      }
      body.push(
        state.scale
          ? "weights = torch.softmax(scores / keys.shape[-1] ** 0.5, dim=-1)"
          : "weights = torch.softmax(scores, dim=-1)  # no division by sqrt(d_k)",
      );
      if (state.stage === "3.5" && state.dropout !== "0") {
        body.push(
          "torch.manual_seed(123)",
          `dropout = torch.nn.Dropout(${state.dropout})  # a new module is in training mode`,
          `weights = dropout(weights)  # kept weights times 1 / (1 - ${state.dropout})`,
        );
      }
      body.push("context = weights @ values");
      if (state.stage === "3.4" && state.scale) {
        body.push("print(torch.allclose(context, sa(x)))  # the module computes the same");
      }
    }
    const token = JSON.stringify(sentence.tokens[q]);
    const head =
      sentence.id === "book"
        ? ['x = example_inputs()  # "Your journey starts with one step", (6, 3)']
        : [
            `ids, x = embed_text(${JSON.stringify(sentence.text)}, output_dim=3)  # seed 123`,
            "print(token_strings(ids))",
          ];
    return [
      "import torch",
      ...importLine(names),
      "",
      ...head,
      ...body,
      multiHeaded(state.stage)
        ? `print(weights[:, ${q}])  # the row of query ${q + 1}, ${token}, in each head`
        : `print(weights[${q}])  # the row of query ${q + 1}, ${token}`,
      `print(context[${q}])`,
    ].join("\n");
  }

  function dkCode(dK) {
    return [
      "import torch",
      "",
      "torch.manual_seed(123)",
      `d_k = ${dK}`,
      "q, K = torch.randn(d_k), torch.randn(6, d_k)  # a query and six keys",
      "scores = K @ q",
      "unscaled = torch.softmax(scores, dim=0)",
      "scaled = torch.softmax(scores / d_k**0.5, dim=0)",
      "print(unscaled)",
      "print(scaled)",
    ].join("\n");
  }

  // ------------------------------------------------------------------ the page
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === false || value === null || value === undefined) continue;
      node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  let uid = 0;
  function field(label, control, wrapperClass = "ae-field") {
    const id = `ae-${++uid}`;
    control.id = id;
    return el("div", { class: wrapperClass }, el("label", { for: id }, label), control);
  }

  function select(name, options) {
    return el(
      "select",
      { name },
      options.map(([value, label]) => el("option", { value }, label)),
    );
  }

  // a code block as Material draws its own, with its copy button: Material's clipboard
  // handler serves every [data-clipboard-target] on the page, also ones added later
  function codeBlock(attrs, code) {
    const id = `ae-code-${++uid}`;
    const title = (materialConfig().translations || {})["clipboard.copy"] || "Copy to clipboard";
    const button = el("button", {
      type: "button",
      class: "md-code__button",
      title,
      "aria-label": title,
      "data-clipboard-target": `#${id} > code`,
      "data-md-type": "copy",
    });
    return el("pre", { id, ...attrs }, el("nav", { class: "md-code__nav" }, button), code);
  }

  function typeset(node, tex) {
    if (typeof katex !== "undefined") {
      katex.render(tex, node, { throwOnError: false, displayMode: true });
    } else {
      node.textContent = tex;
    }
  }

  // a box that scrolls sideways must be reachable from the keyboard
  function markScrollable(box) {
    if (box.scrollWidth > box.clientWidth + 1) box.setAttribute("tabindex", "0");
    else box.removeAttribute("tabindex");
  }

  function formula(state) {
    const scaled = (s) => (state.scale || state.stage === "3.6" ? `\\frac{${s}}{\\sqrt{d_k}}` : s);
    if (state.stage === "3.3") {
      return (
        "\\omega_{ij} = x^{(i)} \\cdot x^{(j)}, \\quad " +
        "\\alpha_{ij} = \\operatorname{softmax}_j(\\omega_{ij}), \\quad " +
        "z^{(i)} = \\textstyle\\sum_j \\alpha_{ij}\\, x^{(j)}"
      );
    }
    if (state.stage === "3.6.2") {
      // two lines: the projections, then each head and the output projection
      return (
        "\\begin{aligned}&Q = XW_q,\\; K = XW_k,\\; V = XW_v, \\\\ " +
        "&Z_h = \\operatorname{softmax}\\!\\left(\\frac{Q_h K_h^\\top}{\\sqrt{d_h}} + M\\right) V_h, " +
        "\\quad Y = [\\,Z_1 \\,\\cdots\\, Z_{" +
        state.num_heads +
        "}\\,]\\, W_o + b_o\\end{aligned}"
      );
    }
    if (state.stage === "3.6") {
      return (
        "Z_h = \\operatorname{softmax}\\!\\left(" +
        scaled("Q_h K_h^\\top") +
        " + M\\right) V_h, \\quad Z = [\\,Z_1 \\,\\cdots\\, Z_{" +
        state.heads +
        "}\\,]"
      );
    }
    const mask = state.stage === "3.5" && state.causal ? " + M" : "";
    let tex = `A = \\operatorname{softmax}\\!\\left(${scaled("QK^\\top")}${mask}\\right)`;
    if (state.stage === "3.5" && state.dropout !== "0") {
      tex += ", \\quad A' = \\tfrac{1}{1-p}\\, D \\odot A, \\quad Z = A'V";
    } else {
      tex += ", \\quad Z = AV";
    }
    return "Q = XW_q,\\; K = XW_k,\\; V = XW_v, \\quad " + tex;
  }

  function applies(stage) {
    return {
      weights: stage === "3.4" || stage === "3.5",
      scale: stage === "3.4" || stage === "3.5",
      causal: stage === "3.5",
      dropout: stage === "3.5",
      heads: stage === "3.6",
      num_heads: stage === "3.6.2",
    };
  }

  function initialState(root) {
    const params = new URLSearchParams(location.search);
    let stage = params.get("stage") || root.dataset.stage || "3.3";
    if (stage === "3.6.1") stage = "3.6";
    return {
      stage: STAGES.includes(stage) ? stage : "3.3",
      sentence: params.get("sentence") || "book",
      query: Number.parseInt(params.get("query") || "1", 10),
      weights: "v2",
      scale: true,
      causal: true,
      dropout: "0",
      heads: 2,
      num_heads: 2,
      dk: 6,
    };
  }

  function build(root, data, t) {
    const state = initialState(root);
    if (!data.sentences.some((s) => s.id === state.sentence)) state.sentence = "book";
    if (!data.mha.num_heads.includes(state.num_heads)) state.num_heads = 2;

    const sentenceSelect = select(
      "sentence",
      data.sentences.map((s) => [
        s.id,
        s.id === "book" ? `${t.bookSentence}${t.colon}${s.text}` : s.text,
      ]),
    );
    const querySelect = el("select", { name: "query" });
    const stageRadios = STAGES.map((stage) => {
      const id = `ae-${++uid}`;
      return el(
        "span",
        { class: "ae-radio" },
        el("input", { type: "radio", name: "stage", value: stage, id }),
        el("label", { for: id }, t.stages[stage]),
      );
    });
    const weightsSelect = select(
      "weights",
      ["v1", "v2"].map((v) => [v, t.weightNames[v]]),
    );
    const scaleBox = el("input", { type: "checkbox", name: "scale" });
    const causalBox = el("input", { type: "checkbox", name: "causal" });
    const dropoutSelect = select(
      "dropout",
      DROPOUT_RATES.map((p) => [p, p]),
    );
    const headsSelect = select(
      "heads",
      Array.from({ length: MAX_HEADS }, (_, i) => [String(i + 1), String(i + 1)]),
    );
    const numHeadsSelect = select(
      "num_heads",
      data.mha.num_heads.map((h) => [String(h), String(h)]),
    );

    const optional = {
      weights: field(t.weights, weightsSelect),
      scale: field(t.scale, scaleBox, "ae-field ae-check"),
      causal: field(t.causal, causalBox, "ae-field ae-check"),
      dropout: field(t.dropout, dropoutSelect),
      heads: field(t.heads, headsSelect),
      num_heads: field(t.numHeads(data.mha.d_out), numHeadsSelect),
    };
    const controls = el(
      "form",
      { class: "ae-controls", "aria-label": t.controls },
      field(t.sentence, sentenceSelect),
      field(t.query, querySelect),
      el("fieldset", { class: "ae-stages" }, el("legend", {}, t.stage), stageRadios),
      Object.values(optional),
    );
    controls.addEventListener("submit", (event) => event.preventDefault());

    const formulaBox = el("div", { class: "ae-formula", "data-formula": true });
    const viewBox = el("div", { class: "ae-view" });
    const codeBox = el("code", {});
    const status = el("p", {
      class: "ae-status",
      "data-status": true,
      "aria-live": "polite",
      role: "status",
    });

    const dkRange = el("input", { type: "range", name: "dk", min: "0", max: "9", step: "1" });
    const dkValue = el("output", { "data-dk-value": true });
    const dkTable = el("div", { class: "ae-scroll" });
    const dkCodeBox = el("code", {});
    const dkStatus = el("p", { class: "ae-status", "aria-live": "polite", role: "status" });
    const dkSection = el(
      "section",
      { class: "ae-dk", "data-dk": true, "aria-label": t.dk },
      el("h3", {}, t.dk),
      el("div", { class: "ae-field" }, el("label", { for: "ae-dk" }, t.dkLabel), dkRange, dkValue),
      dkTable,
      dkStatus,
      el("p", { class: "ae-code-label" }, t.dkCode),
      codeBlock({ "data-dk-code": true }, dkCodeBox),
    );
    dkRange.id = "ae-dk";

    root.replaceChildren(
      controls,
      formulaBox,
      viewBox,
      status,
      el("p", { class: "ae-code-label" }, t.code),
      codeBlock({ "data-code": true }, codeBox),
      dkSection,
    );

    function fillQueries() {
      const sentence = data.sentences.find((s) => s.id === state.sentence);
      const n = sentence.tokens.length;
      if (!(state.query >= 0 && state.query < n)) state.query = Math.min(1, n - 1);
      querySelect.replaceChildren(
        ...sentence.tokens.map((token, i) =>
          el("option", { value: String(i) }, t.queryOption(i, shown(token))),
        ),
      );
      querySelect.value = String(state.query);
    }

    // a table of numbers: a header row of column labels, then one row per entry of rows;
    // options.groups ([label, number of columns] each) adds a row of column groups above
    function table(attrs, caption, columns, rows, options = {}) {
      const grouped = Boolean(options.groups);
      const groupClass = (j) =>
        grouped ? `ae-g${options.groupOf[j]}${options.groupStart[j] ? " ae-start" : ""}` : null;
      const corner = el("th", { scope: "col", rowspan: grouped ? "2" : null }, options.corner || "");
      const columnRow = el(
        "tr",
        {},
        grouped ? [] : corner,
        columns.map((col, j) =>
          el(
            "th",
            {
              scope: "col",
              class: groupClass(j),
              "data-head": grouped ? String(options.groupOf[j]) : null,
            },
            col,
          ),
        ),
      );
      const groupRow = grouped
        ? el(
            "tr",
            { class: "ae-groups" },
            corner,
            options.groups.map(([label, span], g) =>
              el("th", { scope: "colgroup", colspan: String(span), class: `ae-g${g} ae-start` }, label),
            ),
          )
        : null;
      return el(
        "table",
        attrs,
        el("caption", {}, caption),
        el("thead", {}, grouped ? [groupRow, columnRow] : columnRow),
        el(
          "tbody",
          {},
          rows.map((row) =>
            el(
              "tr",
              row.attrs || {},
              el("th", { scope: "row" }, row.label),
              row.values.map((v, j) =>
                el(
                  "td",
                  {
                    style: options.shade ? `--w:${Math.max(0, Math.min(1, v)).toFixed(3)}` : null,
                    class: groupClass(j),
                  },
                  fmt(v, options.digits || 4),
                ),
              ),
            ),
          ),
        ),
      );
    }

    function scroll(...children) {
      return el("div", { class: "ae-scroll" }, children);
    }

    // the row of the query: its scores (one head), weights before dropout and weights
    function queryRowTable(result, tokens, q) {
      const rows = [];
      const multi = multiHeaded(state.stage);
      result.heads.forEach((head, h) => {
        if (!multi) {
          rows.push({ label: t.row.scores, values: head.scores[q], attrs: { "data-row": "scores" } });
        }
        if (head.weights !== head.before) {
          rows.push({
            label: t.row.before,
            values: head.before[q],
            attrs: { "data-row": "weights-before-dropout" },
          });
        }
        rows.push({
          label: multi ? t.headRow(h) : t.row.weights,
          values: head.weights[q],
          attrs: { "data-row": "weights", "data-head": String(h) },
        });
      });
      return scroll(
        table({ class: "ae-table", "data-query-row": true }, t.queryRow(tokens[q]), tokens, rows),
      );
    }

    // the heatmap of each head's weights, with a notice under it for every query whose
    // weights dropout zeroed
    function heatmaps(result, tokens, q) {
      const multi = multiHeaded(state.stage);
      return el(
        "div",
        { class: "ae-heatmaps" },
        result.heads.map((head, h) => {
          const dropped = droppedRows(head);
          return el(
            "div",
            { class: "ae-heatmap-box" },
            scroll(
              table(
                { class: "ae-table ae-heatmap", "data-heatmap": true, "data-head": String(h) },
                t.heatmap(multi ? h : null),
                tokens,
                head.weights.map((values, i) => ({
                  label: tokens[i],
                  values,
                  attrs: {
                    "aria-current": i === q ? "true" : null,
                    "data-dropped": dropped.includes(i) ? "true" : null,
                  },
                })),
                { shade: true, digits: 2, corner: t.heatmapQuery },
              ),
            ),
            dropped.map((i) =>
              el(
                "p",
                { class: "ae-notice", "data-dropout-notice": true, "data-query": String(i) },
                t.rowDropped(i, tokens[i]),
              ),
            ),
          );
        }),
      );
    }

    function contextLine(label, vector) {
      return el(
        "p",
        { class: "ae-context", "data-context": true },
        `${label}${t.colon}[`,
        ...vector.flatMap((v, i) => [i ? ", " : "", el("span", { "data-value": true }, fmt(v))]),
        "]",
      );
    }

    // 3.6.2: a matrix with one row per token, its columns grouped by head
    function matrix(name, caption, tokens, rows, groups, q) {
      const columns = rows[0].map((_, j) => String(j + 1));
      const options = {};
      if (groups) {
        options.groups = groups.map((cols, h) => [t.mha.head(h), cols.length]);
        options.groupOf = columns.map((_, j) => groups.findIndex((cols) => cols.includes(j)));
        options.groupStart = columns.map((_, j) => groups.some((cols) => cols[0] === j));
      }
      return scroll(
        table(
          { class: "ae-table ae-matrix", "data-matrix": name },
          caption,
          columns,
          rows.map((values, i) => ({
            label: tokens[i],
            values,
            attrs: i === q ? { "aria-current": "true" } : {},
          })),
          options,
        ),
      );
    }

    function step(text, ...content) {
      return el("div", { class: "ae-step" }, el("p", { class: "ae-step-title" }, text), content);
    }

    function multiHeadView(result, tokens, q) {
      const m = result.mha;
      const caption = t.mha.caption;
      const dOut = data.mha.d_out;
      return [
        step(
          t.mha.project(dOut),
          el("p", { class: "ae-step-title" }, t.mha.split(m.groups)),
          el(
            "div",
            { class: "ae-matrices" },
            ["queries", "keys", "values"].map((name) =>
              matrix(name, caption[name], tokens, m[name], m.groups, q),
            ),
          ),
        ),
        step(
          t.mha.attend(m.groups[0].length),
          queryRowTable(result, tokens, q),
          heatmaps(result, tokens, q),
        ),
        step(t.mha.merge(dOut), matrix("merged", caption.merged, tokens, m.merged, m.groups, q)),
        step(
          t.mha.outProj,
          matrix("output", caption.output, tokens, m.output, null, q),
          contextLine(t.mha.output(tokens[q]), result.context[q]),
        ),
      ];
    }

    function render() {
      const sentence = data.sentences.find((s) => s.id === state.sentence);
      const tokens = sentence.tokens.map(shown);
      const on = applies(state.stage);
      for (const [name, wrapper] of Object.entries(optional)) {
        wrapper.hidden = !on[name];
        wrapper.querySelector("select, input").disabled = !on[name];
      }
      const result = compute(state, data);
      const q = state.query;

      typeset(formulaBox, formula(state));
      if (state.stage === "3.6.2") {
        viewBox.replaceChildren(...multiHeadView(result, tokens, q));
      } else {
        const p = state.stage === "3.5" ? Number(state.dropout) : 0;
        viewBox.replaceChildren(
          queryRowTable(result, tokens, q),
          contextLine(t.context(tokens[q]), result.context[q]),
          p > 0 ? el("p", { class: "ae-note" }, t.dropoutNote(p)) : "",
          heatmaps(result, tokens, q),
        );
      }
      codeBox.textContent = pythonCode(state, sentence);
      const weightsText = result.heads.map((head) => head.weights[q].map((v) => fmt(v)).join(", "));
      status.textContent = t.status(
        tokens[q],
        weightsText.join(" | "),
        `[${result.context[q].map((v) => fmt(v)).join(", ")}]`,
      );
      root.dataset.state = JSON.stringify(state);
      root.querySelectorAll(".ae-scroll, .ae-formula, pre > code").forEach(markScrollable);
    }

    function renderDk() {
      const dK = 2 ** state.dk;
      const { unscaled, scaled } = dkDemo(data, dK);
      dkValue.textContent = `d_k = ${dK}`;
      dkRange.setAttribute("aria-valuetext", `d_k = ${dK}`);
      dkTable.replaceChildren(
        table(
          { class: "ae-table ae-heatmap" },
          t.dkCaption(dK),
          unscaled.map((_, i) => t.dkKey(i)),
          [
            { label: t.dkRow.unscaled, values: unscaled, attrs: { "data-row": "unscaled" } },
            { label: t.dkRow.scaled, values: scaled, attrs: { "data-row": "scaled" } },
          ],
          { shade: true },
        ),
      );
      dkStatus.textContent = t.dkStatus(dK, fmt(Math.max(...unscaled)), fmt(Math.max(...scaled)));
      dkCodeBox.textContent = dkCode(dK);
      root.dataset.state = JSON.stringify(state);
      markScrollable(dkTable);
      markScrollable(dkCodeBox);
    }

    // controls -> state: each control writes its value into the state and redraws the view
    // ("change" fires once per change, from the mouse and from the keyboard)
    const bound = [
      [sentenceSelect, "sentence", () => sentenceSelect.value],
      [querySelect, "query", () => Number(querySelect.value)],
      [weightsSelect, "weights", () => weightsSelect.value],
      [scaleBox, "scale", () => scaleBox.checked],
      [causalBox, "causal", () => causalBox.checked],
      [dropoutSelect, "dropout", () => dropoutSelect.value],
      [headsSelect, "heads", () => Number(headsSelect.value)],
      [numHeadsSelect, "num_heads", () => Number(numHeadsSelect.value)],
    ];
    sentenceSelect.value = state.sentence;
    fillQueries(); // the query menu depends on the sentence
    for (const [control, key, read] of bound) {
      if (control.type === "checkbox") control.checked = state[key];
      else control.value = String(state[key]);
      control.addEventListener("change", () => {
        state[key] = read();
        if (key === "sentence") fillQueries();
        render();
      });
    }
    for (const radio of root.querySelectorAll("input[name=stage]")) {
      radio.checked = radio.value === state.stage;
      radio.addEventListener("change", () => {
        if (radio.checked) state.stage = radio.value;
        render();
      });
    }
    // the slider redraws while it moves
    dkRange.value = String(state.dk);
    dkRange.addEventListener("input", () => {
      state.dk = Number(dkRange.value);
      renderDk();
    });
    render();
    renderDk();
    root.dataset.ready = "true";
  }

  // the page's configuration that Material writes into #__config (site root, translations)
  function materialConfig() {
    const config = document.getElementById("__config");
    return config ? JSON.parse(config.textContent) : {};
  }

  function dataUrl() {
    const base = materialConfig().base || ".";
    return new URL("assets/explorer/data.json", new URL(base.replace(/\/?$/, "/"), location.href));
  }

  let data = null;
  function start() {
    const roots = document.querySelectorAll("[data-attention-explorer]");
    if (!roots.length) return;
    const t = (document.documentElement.lang || "en").startsWith("zh") ? TEXT.zh : TEXT.en;
    const loaded = data
      ? Promise.resolve(data)
      : fetch(dataUrl()).then((response) => {
          if (!response.ok) throw new Error(`${response.status} ${response.url}`);
          return response.json();
        });
    for (const root of roots) {
      if (root.dataset.ready) continue;
      root.textContent = t.loading;
    }
    loaded.then(
      (json) => {
        data = json;
        for (const root of roots) if (!root.dataset.ready) build(root, data, t);
      },
      (error) => {
        for (const root of roots) root.textContent = `${t.failed}${t.colon}${error.message}`;
        throw error;
      },
    );
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(start);
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
