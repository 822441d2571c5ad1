// The site's search worker: Material's own search worker, run inside this one, with three
// changes to the messages it exchanges with the page. overrides/main.html (the `config` block)
// makes Material start this worker instead of its own, by the `search` key of Material's
// configuration, and passes two parameters in this script's URL: `material`, the URL of
// Material's worker, and `lang`, the page's language.
//
// This file sits next to Material's worker (assets/javascripts/workers/): Material's worker
// loads lunr's language scripts from "../lunr", relative to the worker's URL, which is now this
// file's. The messages are the protocol Material documents for a custom search worker
// (SearchMessage in Material's integrations/search/worker/message): {type: 0, data: index}
// (setup, page to worker), {type: 1} (ready), {type: 2, data: query} and {type: 3, data:
// {items}} (result, worker to page). tools/hooks/search_worker.py checks at build time that the
// installed Material still has this protocol, this `search` key and this "../lunr", and stops
// the build otherwise.
//
// 1. One language per search. The site has one index for both languages; on the Chinese pages
//    only the Chinese sections are indexed, on the English pages only the English ones.
// 2. Chinese queries are cut into words before Material's worker sees them (segmentChinese).
// 3. A glossary term goes to the section that introduces it. The build writes every term into
//    its section's tags (tools/hooks/search_terms.yml); when a query is exactly one of the tags,
//    that section comes first, in a result of its own, with the term shown under it.
(function () {
  "use strict";

  const SETUP = 0;
  const QUERY = 2;
  const RESULT = 3;

  // this script's URL: in a worker, its location; under Material's iframe-worker shim (used
  // for file:// pages, where browsers start no workers) the script runs in an iframe
  const here =
    typeof document !== "undefined" && document.currentScript
      ? document.currentScript.src
      : self.location.href;
  const params = new URL(here).searchParams;
  const material = params.get("material");
  const chinese = (params.get("lang") || "").startsWith("zh");

  // Chinese pages live under zh/; a section belongs to the page's language by its location.
  function inPageLanguage(location) {
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
  // 注意力 alone. Split Chinese runs into words with the browser's own segmenter first; the
  // worker then gets one word per run. Runs of one-character segments stay together (the
  // segmenter cuts words it does not know, like 权重, into characters; the worker matches such
  // a run against the index as a whole).
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
  const queries = []; // queries received, in order; Material's worker answers them in order

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

  // page -> Material's worker: keep the page's language, remember and segment queries
  function incoming(message) {
    if (message && message.type === SETUP && message.data && Array.isArray(message.data.docs)) {
      const docs = message.data.docs.filter((doc) => inPageLanguage(doc.location));
      terms = new Map();
      for (const doc of docs) {
        for (const tag of doc.tags || []) terms.set(normalize(tag), doc.location);
      }
      return { ...message, data: { ...message.data, docs } };
    }
    if (message && message.type === QUERY && typeof message.data === "string") {
      queries.push(message.data);
      return { ...message, data: segmentChinese(message.data) };
    }
    return message;
  }

  // Material's worker -> page: the term's section first
  function outgoing(message) {
    if (message && message.type === RESULT && message.data && Array.isArray(message.data.items)) {
      const items = termFirst(message.data.items, queries.shift());
      if (items !== message.data.items) return { ...message, data: { ...message.data, items } };
    }
    return message;
  }

  // This listener is registered before Material's: it stops a message it changes and hands
  // Material's listener the changed copy instead.
  const changed = new WeakSet();
  self.addEventListener("message", (event) => {
    if (changed.has(event)) return;
    const data = incoming(event.data);
    if (data === event.data) return;
    event.stopImmediatePropagation();
    const copy = new MessageEvent("message", { data });
    changed.add(copy);
    self.dispatchEvent(copy);
  });
  // Material's worker answers with the global postMessage, which is this worker's own.
  const post = self.postMessage.bind(self);
  self.postMessage = (message, ...rest) => post(outgoing(message), ...rest);

  importScripts(material);
})();
