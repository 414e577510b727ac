/* 链接、目录或搜索结果指向收起的「选读」块里的一节时，先把它展开再跳过去。 */
"use strict";

(() => {
  const reveal = () => {
    if (!location.hash) return;
    let target;
    try {
      target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    } catch (e) {
      return;
    }
    if (!target) return;
    let opened = false;
    for (let d = target.closest("details"); d; d = d.parentElement.closest("details")) {
      if (!d.open) { d.open = true; opened = true; }
    }
    if (opened) target.scrollIntoView();
  };
  window.addEventListener("hashchange", reveal);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", reveal);
  else reveal();
})();

/* 代码格里放不下的长行：换行后的部分比该行原来的缩进再缩进 4 格，不回到第 0 列。
 * 每一行变成一个 span.code-line（悬挂缩进）；publish/build_pdf.py 打印 PDF 时也用它。
 * 跨行的高亮（多行字符串）没法按行拆开：这样的格不动（照常换行）。 */
window.hangingIndent = (pre) => {
  if (pre.dataset.hung) return true;
  const lines = pre.innerHTML.split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  const count = (l, re) => (l.match(re) || []).length;
  if (!lines.every((l) => count(l, /<span\b/g) === count(l, /<\/span>/g))) return false;
  pre.innerHTML = lines.map((l) => {
    const tmp = document.createElement("span");
    tmp.innerHTML = l;
    const ind = tmp.textContent.match(/^ */)[0].length + 4;
    return `<span class="code-line" style="padding-left:${ind}ch;text-indent:-${ind}ch">`
      + (l || " ") + "</span>";
  }).join("");
  pre.dataset.hung = "1";
  return true;
};

(() => {
  const hangAll = () => {
    // 先全部改成不换行、一次量完，再改回来（每格单独量会让整页重排上百次）
    const pres = Array.from(document.querySelectorAll("div.cell_input pre"));
    pres.forEach((pre) => { pre.style.whiteSpace = "pre"; });
    const wide = pres.filter((pre) => pre.scrollWidth > pre.clientWidth + 1);
    pres.forEach((pre) => { pre.style.whiteSpace = ""; });
    wide.forEach((pre) => window.hangingIndent(pre));
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", hangAll);
  else hangAll();
})();
