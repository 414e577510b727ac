/* 中文搜索：读者输入的问题按索引里的词切分，任一个词命中即列出，命中越多、越少见的词越靠前。
 *
 * Sphinx's own search (searchtools.js) splits a query only at spaces and punctuation and
 * requires every word on a page. Chinese readers type without spaces (梯度累加, 怎么保存模型),
 * paste error messages with their own shapes (64x3072), and add words the book does not
 * contain (怎么, 的). This file replaces two functions of the Search object, nothing else:
 *
 * - Search._parseQuery: a Chinese run is cut into the words the search index holds (the
 *   index was cut by jieba from the pages, so the query is cut into the same words):
 *   dynamic programming that covers as many characters as possible with as few words as
 *   possible. Latin words are stemmed like the index (Sphinx's English stemmer). Words the
 *   index lacks (the reader's own numbers) and question words (STOP below) are dropped.
 * - Search.performTermsSearch: OR instead of AND. A page scores the sum over the query's
 *   words it contains of log(N / pages with the word), three times for a word in a heading
 *   (six in the page's title), half for a partial match (see partialWords),
 *   and links to the section whose heading shares the most words with the query.
 *
 * Snippets (Search.htmlToText): only the article's text, without the theme's buttons,
 * contents lists, the 最后验证 line, and with formulas as plain text (no \( \)).
 * publish/check_site.py runs docs/search_queries.csv through the real search box.
 */
"use strict";

(() => {
  if (typeof Search === "undefined") return; // 只在搜索页（searchtools.js 之后）

  // 读者问题里常见、本身不是检索对象的词。
  const STOP = new Set(
    ("的 了 是 吗 呢 吧 啊 呀 和 与 及 或 或者 在 把 被 对 从 用 给 让 就 都 也 还 很 太 " +
      "怎么 怎样 怎么样 怎么办 如何 什么 为什么 为何 哪些 哪个 哪里 多少 会 能 要 想 该 " +
      "应该 可以 有 没有 不 一个 这个 那个 这 那 我 你 他 它 我们 请问 时 时候 办 之后 " +
      "之间 有什么 是什么 一下").split(" "),
  );
  const CJK_RUN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|(?:(?![\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])[\p{L}\p{N}_])+/gu;
  const IS_CJK = /^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u;
  const MAX_WORD = 8;

  const has = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);
  const inIndex = (w) => has(Search._index.terms, w) || has(Search._index.titleterms, w);
  const filesOf = (map, w) => {
    if (!has(map, w)) return [];
    const v = map[w];
    return Array.isArray(v) ? v : [v];
  };

  /** 一段中文 → 索引里有的词：覆盖的字最多，同样多时词最少。 */
  const segment = (run) => {
    const n = run.length;
    const best = Array(n + 1).fill(null);
    best[0] = { covered: 0, count: 0, words: [] };
    for (let i = 0; i < n; i++) {
      if (!best[i]) continue;
      const here = best[i];
      const consider = (j, word) => {
        const cand = {
          covered: here.covered + (word ? j - i : 0),
          count: here.count + (word ? 1 : 0),
          words: word ? [...here.words, word] : here.words,
        };
        const old = best[j];
        if (!old || cand.covered > old.covered
            || (cand.covered === old.covered && cand.count < old.count)) best[j] = cand;
      };
      consider(i + 1, null); // 跳过这个字（索引里没有）
      for (let j = i + 1; j <= Math.min(n, i + MAX_WORD); j++) {
        const w = run.slice(i, j);
        if (inIndex(w)) consider(j, w);
      }
    }
    return best[n].words;
  };

  /** 与 Sphinx 自己的部分匹配同一规则（三个字以上的词也找含有它的词），用在查询的每一段
   * 连续三个字以上、本身不是索引词的子串上：梯度累加 → 梯度累 → 梯度累积（书里的说法）。 */
  const partialWords = (run) => {
    const found = new Set();
    const terms = Object.keys(Search._index.terms);
    for (let len = Math.min(run.length, MAX_WORD); len >= 3; len--) {
      for (let i = 0; i + len <= run.length; i++) {
        const piece = run.slice(i, i + len);
        if (inIndex(piece) || [...STOP].some((w) => w.length > 1 && piece.includes(w))) continue;
        for (const t of terms) if (t.length <= MAX_WORD && t.includes(piece)) found.add(t);
      }
    }
    return found;
  };

  /** 查询 → 检索词（已 stem），显示用的词，部分匹配得到的词（分量减半）。 */
  const queryWords = (query) => {
    const stemmer = new Stemmer();
    const words = [];
    const shown = [];
    const partial = [];
    for (const token of query.toLowerCase().match(CJK_RUN) || []) {
      if (IS_CJK.test(token)) {
        for (const w of segment(token)) {
          if (!STOP.has(w)) { words.push(w); shown.push(w); }
        }
        partial.push(...partialWords(token));
        continue;
      }
      if (stopwords.has(token) || /^\d+$/.test(token)) continue;
      const stemmed = stemmer.stemWord(token);
      for (const w of [token, stemmed]) {
        if (inIndex(w)) { words.push(w); shown.push(token); break; }
      }
    }
    const extra = partial.filter((w) => !words.includes(w));
    return [[...new Set(words)], [...new Set(shown)], new Set(extra)];
  };

  Search._parseQuery = (query) => {
    const [words, shown, partial] = queryWords(query);
    Search._partialWords = partial;
    const objectTerms = new Set(splitQuery(query.toLowerCase().trim()));
    if (SPHINX_HIGHLIGHT_ENABLED) {
      localStorage.setItem("sphinx_highlight_terms", shown.join(" "));
    }
    return [query, new Set(words), new Set(), new Set(shown), objectTerms];
  };

  Search.performTermsSearch = (searchTerms) => {
    const index = Search._index;
    const nFiles = index.docnames.length;
    const score = new Map(); // file → score
    const matched = new Map(); // file → words
    const partial = Search._partialWords || new Set();
    for (const word of [...searchTerms, ...partial]) {
      const half = partial.has(word) && !searchTerms.has(word) ? 0.5 : 1;
      const text = filesOf(index.terms, word);
      const title = filesOf(index.titleterms, word);
      const df = new Set([...text, ...title]).size;
      if (!df) continue;
      const idf = Math.log((nFiles + 1) / df);
      for (const file of new Set([...text, ...title])) {
        const inPageTitle = index.titles[file].toLowerCase().includes(word);
        const w = half * idf * (inPageTitle ? 6 : title.includes(file) ? 3 : 1);
        score.set(file, (score.get(file) || 0) + w);
        if (!matched.has(file)) matched.set(file, []);
        matched.get(file).push(word);
      }
    }
    // 每个页面链接到标题里含查询词最多的那一节
    const bestSection = new Map();
    for (const [title, found] of Object.entries(index.alltitles)) {
      const lower = title.toLowerCase();
      const hits = [...searchTerms].filter((w) => lower.includes(w)).length;
      if (!hits) continue;
      for (const [file, id] of found) {
        if (!score.has(file) || id === null) continue;
        const old = bestSection.get(file);
        if (!old || hits > old.hits) bestSection.set(file, { hits, id, title });
      }
    }
    const results = [];
    for (const [file, s] of score) {
      const section = bestSection.get(file);
      results.push([
        index.docnames[file],
        section ? `${index.titles[file]} > ${section.title}` : index.titles[file],
        section ? "#" + section.id : "",
        null,
        Math.round(20 * s),
        index.filenames[file],
        SearchResultKind.text,
      ]);
    }
    return results;
  };

  // 摘要：只取正文，去掉主题的按钮和目录、“最后验证”一行；公式写成纯文字。
  const REMOVE = [
    ".headerlink", "script", "style", "nav", ".bd-toc", ".toctree-wrapper", ".nb-verified",
    "button", ".dropdown", ".theme-switch-container", "div.cell_output img", "mjx-container",
  ].join(", ");
  // 公式在摘要里写成纯文字：常见的 TeX 命令换成对应的字符，其余命令去掉
  const TEX = {
    times: "×", cdot: "·", delta: "δ", Delta: "Δ", partial: "∂", approx: "≈", to: "→",
    rightarrow: "→", leftarrow: "←", le: "≤", leq: "≤", ge: "≥", geq: "≥", ne: "≠", neq: "≠",
    lambda: "λ", eta: "η", mu: "μ", sigma: "σ", theta: "θ", alpha: "α", beta: "β",
    epsilon: "ε", varepsilon: "ε", kappa: "κ", pi: "π", sum: "Σ", nabla: "∇", infty: "∞",
    in: "∈", sqrt: "√", log: "log", exp: "exp", max: "max", min: "min", ldots: "…",
    dots: "…", cdots: "…", quad: " ", qquad: " ", top: "ᵀ", mid: "|", pm: "±",
  };
  const texToText = (tex) => tex
    .replace(/^\s*(\\\(|\\\[|\$\$?)/, "").replace(/(\\\)|\\\]|\$\$?)\s*$/, "")
    .replace(/\\(?:mathrm|text|mathbf|mathcal|operatorname|boldsymbol)\{([^{}]*)\}/g, "$1")
    .replace(/\\frac\{([^{}]*)\}\{([^{}]*)\}/g, "($1)/($2)")
    .replace(/\\([A-Za-z]+)/g, (m, name) => (name in TEX ? TEX[name] : ""))
    .replace(/\\[,;:! ]/g, " ").replace(/[{}]/g, "").replace(/\s+/g, " ").trim();

  Search.htmlToText = (htmlString, anchor) => {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    doc.querySelectorAll(REMOVE).forEach((el) => el.remove());
    doc.querySelectorAll("span.math, div.math").forEach((el) => {
      el.textContent = " " + texToText(el.textContent) + " ";
    });
    const main = doc.querySelector("article") || doc.querySelector('[role="main"]');
    if (!main) return "";
    const part = anchor ? main.querySelector(anchor) : null;
    return (part || main).textContent.replace(/\s+/g, " ");
  };

  // 没有结果时的说明：Sphinx 的默认文字让读者去选“分类”，本站没有分类。
  Documentation.TRANSLATIONS[
    "Your search did not match any documents. Please make sure that all words are spelled " +
      "correctly and that you've selected enough categories."
  ] = "没有找到包含这些词的页面。可以只输入关键词（如“形状”“学习率”），或者把报错消息的" +
    "第一行贴进来；也可以查看术语表。";
  Documentation.TRANSLATIONS["Search Results"] = "搜索结果";
  Documentation.TRANSLATIONS["Searching"] = "正在搜索";
})();
