// Search, as readers of each language expect it. Loaded in <head>, before Material's bundle
// starts its search worker, because it wraps the messages between the page and the worker.
// Material 9 has no hook for the index or for queries and results; its messages are
// {type: 0, data: index} (setup), {type: 2, data: query} and {type: 3, data: {items}} (result).
//
// 1. One language per search. The site has one index for both languages; on the Chinese pages
//    only the Chinese sections are indexed, on the English pages only the English ones.
// 2. Chinese queries are cut into words before they reach the worker (see segmentChinese).
// 3. A glossary term goes to the section that introduces it. The build writes every term into
//    its section's tags (tools/hooks/search_terms.yml); when a query is exactly one of the tags, that
//    section comes first, in a result of its own, with the term shown under it.
(function () {
  "use strict";
  if (typeof Worker !== "function") return;

  const SETUP = 0;
  const QUERY = 2;
  const RESULT = 3;

  // Chinese pages live under zh/; a section belongs to the page's language by its location.
  function inPageLanguage(location) {
    const chinese = (document.documentElement.lang || "").startsWith("zh");
    return chinese === location.startsWith("zh/");
  }

  // A query or a tag as a reader would type it: no zero-width spaces, one kind of dash.
  function normalize(text) {
    return text
      .replace(/\u200b/g, "")
      .replace(/[\u2010\u2011\u2013\u2014]/g, "-")
      .replace(/\s+/g, " ")
      .trim()
      .toLowerCase();
  }

  // Search in Chinese: the index holds words (jieba segments the text at build time), and
  // Material's search worker splits the Chinese of a query into index words itself, but it
  // never finds the last word of a run of Chinese characters, so 注意力权重 is searched as
  // 注意力 alone. Split Chinese runs into words with the browser's own segmenter before the
  // query reaches the worker; the worker then gets one word per run. Runs of one-character
  // segments stay together (the segmenter cuts words it does not know, like 权重, into
  // characters; the worker matches such a run against the index as a whole).
  function segmentChinese(query) {
    if (typeof Intl === "undefined" || typeof Intl.Segmenter !== "function") return query;
    const segmenter = new Intl.Segmenter("zh", { granularity: "word" });
    return query.replace(/\p{sc=Han}+/gu, (run) => {
      const words = [];
      for (const { segment } of segmenter.segment(run)) {
        const last = words.length - 1;
        if (segment.length === 1 && last >= 0 && words[last].single) {
          words[last].text += segment;
        } else {
          words.push({ text: segment, single: segment.length === 1 });
        }
      }
      return words.map((word) => word.text).join(" ");
    });
  }

  let terms = new Map(); // normalized tag -> location of the section it introduces
  const queries = []; // queries sent, in order; the worker answers them in order
  const answered = new WeakMap(); // result event -> its query

  // Put the section a glossary term leads to first: its own result item, with its page's
  // link after it (as Material gives every item), taken out of the item it was in.
  function termFirst(groups, query) {
    const target = query === undefined ? undefined : terms.get(normalize(query));
    if (!target) return groups;
    const page = target.split("#")[0];
    let section;
    let article;
    const rest = [];
    for (const group of groups) {
      const found = group.find((doc) => doc.location === target);
      if (!found) {
        rest.push(group);
        continue;
      }
      section = found;
      article = group.find((doc) => doc.location === page);
      const left = group.filter((doc) => doc !== found);
      if (left.some((doc) => doc.location !== page)) {
        // the page's other sections keep their item, under the page's link
        rest.push(article === found ? [...left, { ...found, score: 0 }] : left);
      }
    }
    if (!section) return groups;
    // the page's link heads the item (score 0: it is not the match), with the section's
    // query words (they are on that page: its link highlights them) and without tags of its
    // own (the term belongs to the section)
    const header = article && { ...article, score: 0, terms: section.terms, tags: undefined };
    const first = section === article || !article ? [section] : [section, header];
    return [first, ...rest];
  }

  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (message, ...rest) {
    if (message && message.type === SETUP && message.data && Array.isArray(message.data.docs)) {
      const docs = message.data.docs.filter((doc) => inPageLanguage(doc.location));
      terms = new Map();
      for (const doc of docs) {
        for (const tag of doc.tags || []) terms.set(normalize(tag), doc.location);
      }
      message = { ...message, data: { ...message.data, docs } };
    } else if (message && message.type === QUERY && typeof message.data === "string") {
      queries.push(message.data);
      message = { ...message, data: segmentChinese(message.data) };
    }
    return post.call(this, message, ...rest);
  };

  const wrappers = new WeakMap(); // listener -> wrapped listener, so it can be removed
  const listen = Worker.prototype.addEventListener;
  const unlisten = Worker.prototype.removeEventListener;
  Worker.prototype.addEventListener = function (type, listener, ...rest) {
    if (type !== "message" || typeof listener !== "function") {
      return listen.call(this, type, listener, ...rest);
    }
    const wrapped = function (event) {
      const message = event.data;
      if (message && message.type === RESULT && message.data && Array.isArray(message.data.items)) {
        if (!answered.has(event)) answered.set(event, queries.shift());
        const items = termFirst(message.data.items, answered.get(event));
        if (items !== message.data.items) {
          event = new MessageEvent("message", {
            data: { ...message, data: { ...message.data, items } },
          });
        }
      }
      return listener.call(this, event);
    };
    wrappers.set(listener, wrapped);
    return listen.call(this, type, wrapped, ...rest);
  };
  Worker.prototype.removeEventListener = function (type, listener, ...rest) {
    return unlisten.call(this, type, wrappers.get(listener) || listener, ...rest);
  };
})();
