"""生成全书 PDF：用无头 Chromium 把网站的页面逐页打印（page.pdf），再用 pypdf 合并成书。

Build the book as PDF from the built site (run publish/build_site.py first): every page is printed
by the same headless Chromium that publish/check_site.py drives (Debian's chromium through
Playwright, offline: the site is served on 127.0.0.1 and every other request is aborted), then
the pages are merged with pypdf into

    build/site/pytorch-notebooks.pdf            chapters (notebooks/NN_*.ipynb, the appendix too)
                                                and the glossary page, when there is one
    build/site/pytorch-notebooks-solutions.pdf  the solutions (notebooks/solutions/)

so they are published with the site and linked from its home page ("下载 PDF").

- Print CSS (below): no sidebars, header, footer or prev/next links; code and outputs wrap
  instead of being cut at the page edge; headings stay with what follows them.
- Each page is printed only after every image has loaded, MathJax has typeset every formula
  (the build fails if one is left raw) and the web fonts are ready.
- Figures do not leave half a page empty (issue 27): a figure that Chromium pushes to the top
  of the next page, although the blank at the bottom of the page before would hold it at 75 % of
  its height or more, is shrunk to fit there and the page is printed again (publish/pdf_layout.py
  reads where figures and the last line of each page are). Figures are embedded with all their
  pixels: the notebook runner draws them at twice their on-screen density (about 190 dpi here).
- Bookmarks: one per page (chapter), with its sections and subsections below it, taken from
  the outline Chromium writes from the headings (`outline=True`).
- Page numbers: one number sequence through the whole book ("12 / 140"), drawn in the bottom
  margin together with the chapter's title. Chromium's footerTemplate restarts at 1 for every
  page it prints, so the footers are printed by Chromium as a second, otherwise empty PDF
  and stamped onto the merged pages.
- Fonts: the PDF is printed in WenQuanYi Micro Hei (apt: fonts-wqy-microhei) and DejaVu, not
  in the site's Noto Sans CJK. Chromium embeds Noto CJK (CFF outlines) as hundreds of Type 3
  fonts, which makes the file several times larger, and its text maps turn some characters
  into look-alike Kangxi radicals (一 → ⼀ U+2F00, 里 → ⾥), so a search for 一维 finds nothing.
  TrueType fonts are embedded as small subsets with exact text maps: Chinese stays real text,
  searchable and copyable. The build stops when the font is not installed.
- Why pages and not one Sphinx `singlehtml` build per volume (issue 28 asked): measured on the
  2-core CI-sized machine, a singlehtml build of the staged site takes 26 s against 14 s for the
  html build the site needs anyway, and a volume needs its own build; the merge it would save
  takes about 10 s. The per-page print also keeps every link, anchor and check of the site.

    python publish/build_pdf.py [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import asyncio
import html
import io
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from browser import CHROMIUM_ARGS, add_chromium_option, is_served, serve  # 网站检查用的同一个浏览器
from pages import BOOK_PDF, SOLUTIONS_PDF  # publish/ 是脚本所在目录
from pdf_layout import FIT_SCALE, FIT_SLACK, PT_PER_PX, align, figures_to_fit
from stamps import built_from

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import rules  # noqa: E402  (tools/rules.py: the shared rules)

GITHUB_REPO = rules.github_repo()

SITE, LINKS, GLOSSARY_HTML = rules.SITE, rules.PDF_LINKS, rules.GLOSSARY_HTML
BOOK_TITLE = "PyTorch 入门 notebooks"
# 网站公开的地址（GitHub Pages，推送到 main 时由 CI 发布）：PDF 里指向本册之外页面的链接用它
_OWNER, _NAME = GITHUB_REPO.split("/")
SITE_URL = f"https://{_OWNER}.github.io/{_NAME}/"

# A4，四周留白；下边距里放页脚（页码）。
MARGIN = {"top": "14mm", "bottom": "16mm", "left": "13mm", "right": "13mm"}
PARALLEL = 2  # 同时打印的页面数（CI 机器有 2 个核）

PRINT_CSS = """
@media print {
  /* 只留正文：侧栏、页头、页脚、上一页/下一页、返回顶部、标题旁的 # 链接都不打印 */
  .bd-header, .bd-header-announcement, .bd-sidebar-primary, .bd-footer, .bd-footer-content,
  .bd-footer-article, .prev-next-area, .header-article, #pst-back-to-top, .headerlink,
  a.nb-download, .search-button-field, .theme-switch-button, .skip-link {
    display: none !important;
  }
  :root, html, body {
    --pst-font-family-base: "DejaVu Sans", "WenQuanYi Micro Hei", sans-serif !important;
    --pst-font-family-heading: "DejaVu Sans", "WenQuanYi Micro Hei", sans-serif !important;
    --pst-font-family-monospace: "DejaVu Sans Mono", "WenQuanYi Micro Hei Mono",
      monospace !important;
  }
  html { font-size: 14px; }
  body, h1, h2, h3, h4, p, li, td, th {
    font-family: "DejaVu Sans", "WenQuanYi Micro Hei", sans-serif;
  }
  pre, code, kbd, samp, pre span, code span {
    font-family: "DejaVu Sans Mono", "WenQuanYi Micro Hei Mono", monospace !important;
  }
  body { font-variant-ligatures: none; }  /* "offset" 复制出来仍是 offset，而不是连字 ﬀ */
  /* 公式里的中文（\\text{二次}）：MathJax 用 “MJXZERO, serif”，serif 会落到 Noto CJK */
  mjx-utext { font-family: MJXZERO, "DejaVu Serif", "WenQuanYi Micro Hei", serif !important; }
  /* 代码与输出：放不下的长行由 FIT_JS 处理（略缩小字号，或按原缩进悬挂换行）；
     它没处理到的仍在页内换行，不在页边被截断 */
  pre, div.highlight pre, div.cell_output pre {
    white-space: pre-wrap !important;
    overflow-wrap: anywhere !important;  /* 先在空格处换行，放不下的长词才拆开 */
  }
  pre .code-line { display: block; white-space: pre-wrap !important; }
  /* 只在网站上的东西：工具代码格（hide-input）不印，换成一行说明；选读块展开印出并标明 */
  div.cell.tag_hide-input > details, div.cell.tag_hide-input > .cell_input { display: none !important; }
  div.cell.tag_hide-input::before {
    content: "（工具代码，不必细看，PDF 里不印：在网站本页或笔记本的同一格里展开可见）";
    display: block; color: #555; font-size: 0.85em; margin: 0.3em 0 0.6em;
  }
  details.optional-block > summary { display: none !important; }
  details.optional-block { border-left: 3px solid #b58900; padding-left: 0.8em; }
  div.highlight, div[class*="highlight-"], div.cell_output, div.output, .cell_input, pre {
    overflow: visible !important;
    max-height: none !important;
    break-inside: auto !important;  /* 主题不让代码块跨页：长代码格会在页底留下一个空框 */
  }
  /* 图不被拆到两页，不超出页宽 */
  img { max-width: 100% !important; height: auto; break-inside: avoid; }
  div.cell_output img { break-inside: avoid; }
  h1, h2, h3, h4 { break-after: avoid; }
  table, div.pst-scrollable-table-container { break-inside: auto !important; }
  article td, article th { padding: 0.15rem 0.5rem !important; }  /* 表格（如术语表）紧凑些 */
  tr, mjx-container[display="true"] { break-inside: avoid; }
  .bd-main .bd-content .bd-article-container { max-width: 100% !important; }
}
"""

READY_JS = r"""
async () => {
  const imgs = Array.from(document.images);
  imgs.forEach((img) => { img.loading = "eager"; });
  await Promise.all(imgs.map((img) => img.complete ? null : new Promise((r) => {
    img.addEventListener("load", r); img.addEventListener("error", r);
  })));
  await Promise.all(imgs.map((img) => img.decode ? img.decode().catch(() => null) : null));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
  // 选读块在 PDF 里展开
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  // 宽的代码与输出：差得不多就缩小字号、保持一行（03 的汇总表不被拆乱）；
  // 差得多就按每行原来的缩进悬挂换行（换行后的部分比该行再缩进 4 格，不回到第 0 列）
  const fit = (pre) => {
    // 打印样式的 pre-wrap 带 !important：量宽度和改字号都用带 important 的行内样式
    pre.style.setProperty("white-space", "pre", "important");
    const need = pre.scrollWidth, have = pre.clientWidth;
    pre.style.removeProperty("white-space");
    // 打印时的版面比这里量的略窄几个像素：留 4% 的余地
    if (!have || need <= have * 0.96) return;
    const size = parseFloat(getComputedStyle(pre).fontSize);
    const floor = pre.closest(".cell_output") ? 0.6 : 0.78;
    if (have * 0.96 / need >= floor) {
      pre.style.setProperty("white-space", "pre", "important");
      pre.style.setProperty("font-size", (size * have * 0.96 / need).toFixed(2) + "px", "important");
      return;
    }
    pre.style.setProperty("font-size", (size * floor).toFixed(2) + "px", "important");
    if (window.hangingIndent) window.hangingIndent(pre);  // docs/_static/book.js
  };
  document.querySelectorAll("article pre").forEach(fit);
  // 短的代码格（不到约三分之一页）不拆开，免得页底只留一个空框；长的照常分页，
  // 整格挪到下一页会留下大半页空白。输出也照常分页。
  document.querySelectorAll("div.cell_input").forEach((cell) => {
    if (cell.getBoundingClientRect().height < 320) cell.style.breakInside = "avoid";
  });
  const untypeset = Array.from(document.querySelectorAll("span.math, div.math"))
    .filter((n) => !n.querySelector("mjx-container")).map((n) => n.textContent.slice(0, 60));
  const broken = imgs.filter((img) => !(img.naturalWidth > 0)).map((img) => img.src);
  // 标题的文字：公式取 MathJax 的无障碍 MathML 里的文字（书签里保留公式，见 _clean_title）
  const text = (h, math = true) => {
    const c = h.cloneNode(true);
    c.querySelectorAll(".headerlink").forEach((n) => n.remove());
    c.querySelectorAll("mjx-container").forEach((n) => {
      const mml = n.querySelector("mjx-assistive-mml");
      n.replaceWith(math && mml ? mml.textContent : "");
    });
    return c.textContent.replace(/\s+/g, " ").trim();
  };
  const hs = Array.from(document.querySelectorAll("article h1, article h2, article h3, article h4"));
  const headings = hs.map((h) => [text(h), text(h, false)]);
  // 别的页面链接到的锚点：没有自己的 PDF 目标（空的 <span id>）时，用它所在的那一节
  // 一节的 PDF 目标放在它的标题上（<section> 的顶端可能还在上一页的页底）：标题加一个 id
  const aliases = {}, heads = {};
  document.querySelectorAll("article section[id]").forEach((sec) => {
    const h = sec.querySelector(":scope > h1, :scope > h2, :scope > h3, :scope > h4, "
      + ":scope > h5, :scope > h6");
    if (!h) return;
    if (!h.id) h.id = "pdfh-" + sec.id;
    heads[sec.id] = text(h);
    aliases[sec.id] = h.id;
  });
  document.querySelectorAll("article span[id]:empty").forEach((el) => {
    const sec = el.closest("section[id]");
    if (sec && aliases[sec.id]) { aliases[el.id] = aliases[sec.id]; heads[el.id] = heads[sec.id]; }
  });
  // Chromium 只给本页面里有链接指向的 id 写 PDF 目标：在正文末尾放一行 1 px 的链接，指向每个
  // 标题（合并时 _rewrite_links 删掉这些链接本身）
  const box = document.createElement("div");
  box.style.cssText = "font-size:1px;line-height:1px;color:transparent;";
  new Set(Object.values(aliases)).forEach((id) => {
    const a = document.createElement("a");
    a.href = "#" + id;
    a.textContent = ".";
    box.appendChild(a);
  });
  (document.querySelector("article") || document.body).appendChild(box);
  // 本章的各节（全书目录用）：二级标题
  const sections = Array.from(document.querySelectorAll("article section > h2"))
    .map((h) => [h.parentElement.id, text(h)]);
  const h1 = document.querySelector("article h1");
  // 输出图的像素大小（publish/pdf_layout.py 的 align 用它认出 PDF 里的图）
  const figures = Array.from(document.querySelectorAll("article div.cell_output img"))
    .map((img) => [img.naturalWidth, img.naturalHeight]);
  return {untypeset, broken, title: h1 ? text(h1) : document.title, headings, aliases,
          heads, sections, figures};
}
"""


def book_parts() -> tuple[list[str], list[str]]:
    """(全书的页面, 参考答案的页面)，站内相对路径，按章节编号排序。"""
    chapters, solutions = [], []
    for path in rules.notebook_paths():
        rel = path.relative_to(ROOT).with_suffix(".html").as_posix()
        (solutions if rules.is_solutions(path) else chapters).append(rel)
    if (SITE / GLOSSARY_HTML).is_file():
        chapters.append(GLOSSARY_HTML)
    return chapters, solutions


# --- 打印 ---------------------------------------------------------------------------------------


async def _offline(route) -> None:
    if is_served(route.request.url):
        await route.continue_()
    else:
        await route.abort()


PDF_OPTIONS = {
    "format": "A4",
    "margin": MARGIN,
    "print_background": True,
    "outline": True,  # 书签：由标题生成（需要 tagged）
    "tagged": True,
}
FIT_ROUNDS = 12  # 缩图后重印一页的最多次数

SHRINK_JS = """
([i, px]) => {
  const img = document.querySelectorAll("article div.cell_output img")[i];
  if (px === null) {
    img.style.removeProperty("height");
    img.style.removeProperty("width");
  } else {
    img.style.setProperty("height", px.toFixed(1) + "px", "important");
    img.style.setProperty("width", "auto", "important");
  }
}
"""


async def fit_figures(page, data: bytes, figures: list) -> tuple[bytes, int]:
    """图不留半页空白（issue 27）：一张图开在下一页开头，而上一页的空白放得下它的 FIT_SCALE 以上时，
    把它缩到放得下，重印这一页。一次只缩文档里最靠前的一张（缩了它，后面的版面全变了），
    直到没有这样的图。缩过的图仍没进上一页（还开在那页开头，或 Chromium 把它前面代码的末几行
    也挪了过去，免得输出与代码分开），就再缩 FIT_SLACK（最多到 FIT_SCALE）；再不行就恢复原大小，
    不再缩它。返回 (PDF, 缩了几张图)。figures：网页上输出图的像素大小，按文档顺序。"""
    done: set[int] = set()  # 处理过的图（网页上的序号）：缩好了，或放弃了
    shrunk = 0
    rounds = 0
    analysis = await asyncio.to_thread(figures_to_fit, data)  # 与 data 一起更新，不重读
    while rounds < FIT_ROUNDS:
        found, sizes, pages = analysis
        where = align(sizes, figures)
        todo = [(where[i], h, room, pages[i]) for i, h, room in found if where.get(i) not in done]
        if not todo:
            break
        k, height, room, was = todo[0]
        done.add(k)
        want = min(room, height - FIT_SLACK)
        while want >= FIT_SCALE * height and rounds < FIT_ROUNDS:
            rounds += 1
            await page.evaluate(SHRINK_JS, [k, want / PT_PER_PX])
            attempt = await page.pdf(**PDF_OPTIONS)
            tried = await asyncio.to_thread(figures_to_fit, attempt)
            _, sizes, pages = tried
            index = next((i for i, j in align(sizes, figures).items() if j == k), None)
            if index is not None and pages[index] < was:  # 放进了上一页
                data, analysis, shrunk = attempt, tried, shrunk + 1
                break
            want -= FIT_SLACK
        else:
            await page.evaluate(SHRINK_JS, [k, None])  # 恢复原大小
    return data, shrunk


async def print_pages(browser, urls: list[str], base: str) -> dict[str, tuple]:
    """每个页面 → (标题, PDF 字节, 各级标题的文字)。页面有未排版的公式或没加载的图时抛 RuntimeError。"""
    results: dict[str, tuple] = {}
    problems: list[str] = []
    fitted: dict[str, int] = {}
    # 视口宽 = A4 减去左右页边距（184 mm ≈ 695 px）：FIT_JS 量到的行宽与打印时一样
    context = await browser.new_context(viewport={"width": 695, "height": 1400})
    await context.route("**/*", _offline)
    # 打印样式在 DOMContentLoaded 时就加上，早于 MathJax 排版：它按打印用的字体量公式里文字的宽度
    await context.add_init_script(
        "document.addEventListener('DOMContentLoaded', () => {"
        " const style = document.createElement('style');"
        f" style.textContent = {json.dumps(PRINT_CSS)};"
        " document.head.appendChild(style); });"
    )
    queue = list(urls)

    async def worker() -> None:
        page = await context.new_page()
        await page.emulate_media(media="print")
        while queue:
            url = queue.pop(0)
            await page.goto(base + quote(url), wait_until="load")
            state = await page.evaluate(READY_JS)
            if state["untypeset"]:
                problems.append(f"{url}: formulas not typeset: {state['untypeset'][:3]}")
            if state["broken"]:
                problems.append(f"{url}: images did not load: {state['broken'][:3]}")
            data = await page.pdf(**PDF_OPTIONS)
            data, shrunk = await fit_figures(page, data, state["figures"])
            fitted[url] = shrunk
            results[url] = Printed(
                state["title"],
                data,
                state["headings"],
                state["aliases"],
                state["heads"],
                state["sections"],
            )
        await page.close()

    await asyncio.gather(*(worker() for _ in range(min(PARALLEL, len(urls)))))
    await context.close()
    moved = {url: n for url, n in fitted.items() if n}
    if moved:
        print(f"[pdf] figures shrunk to fit the page before them: {moved}")
    if problems:
        raise RuntimeError("; ".join(problems))
    return results


FOOTER_CSS = """
@page { size: A4; margin: 0; }
body { margin: 0; font-family: "DejaVu Sans", "WenQuanYi Micro Hei", sans-serif; font-size: 8pt;
       color: #666; }
.p { height: 296mm; position: relative; break-after: page; overflow: hidden; }
.p:last-child { break-after: auto; }
.f { position: absolute; bottom: 7mm; left: 13mm; right: 13mm; display: flex;
     justify-content: space-between; border-top: 0.3pt solid #bbb; padding-top: 1.5mm; }
"""


async def print_footers(browser, labels: list[str]) -> bytes:
    """一个只有页脚的 PDF：第 i 页左边是章节标题，右边是 “i / 总页数”。"""
    total = len(labels)
    pages = "".join(
        f'<div class="p"><div class="f"><span>{html.escape(label)}</span>'
        f"<span>{i} / {total}</span></div></div>"
        for i, label in enumerate(labels, 1)
    )
    doc = (
        f"<!doctype html><html lang='zh-CN'><style>{FOOTER_CSS}</style><body>{pages}</body></html>"
    )
    page = await browser.new_page()
    await page.set_content(doc)
    data = await page.pdf(prefer_css_page_size=True, print_background=False)
    await page.close()
    return data


# --- 合并 ---------------------------------------------------------------------------------------


def _squash(text: str) -> str:
    return "".join(text.split())


def _clean_title(title: str, headings: list[list[str]] = ()) -> str:
    """书签标题换成网页里标题的原文。Chromium 的书签标题会丢掉中英文之间的空格、标题里的公式
    （“归一化：从 到”），标题里有行内代码时还会把代码前的文字重复一遍（“7. 优化器 7. 优化器
    torch.optim”）。headings: [带公式文字的标题, 去掉公式的标题]。"""
    title = " ".join(title.split())
    squashed = _squash(title)
    for full, bare in sorted(headings, key=lambda h: len(h[0]), reverse=True):
        for h in {_squash(full), _squash(bare)}:
            if h and squashed.endswith(h) and h.startswith(squashed[: len(squashed) - len(h)]):
                return full
    return title


def _copy_outline(reader, items, writer, parent, offset: int, headings: list[str]) -> int:
    """把 reader 的书签（嵌套列表）复制到 writer 的 parent 之下，页码加 offset。"""
    from pypdf.generic import Destination

    count = 0
    last = None
    for item in items:
        if isinstance(item, list):
            if last is not None:
                count += _copy_outline(reader, item, writer, last, offset, headings)
            continue
        if not isinstance(item, Destination):
            continue
        title = _clean_title(item.title or "", headings)
        if title in ("目录", "Contents"):  # 主题打印出来的本页目录，不进书签
            last = None
            continue
        page = reader.get_destination_page_number(item)
        last = writer.add_outline_item(title=title, page_number=offset + page, parent=parent)
        count += 1
    return count


@dataclass
class Printed:
    title: str
    data: bytes
    headings: list[list[str]]
    aliases: dict[str, str]  # 页内的 id → 它那一节的标题的 id（PDF 目标在标题上）
    heads: dict[str, str]  # 页内的 id → 它那一节的标题文字（检查链接落点用）
    sections: list[list[str]]  # [id, 标题]：二级标题（全书目录用）


def public_url(path: str, fragment: str = "") -> str:
    """本册之外的页面 → 公开的网址（GitHub Pages 上的网站），绝不是打印时的本地服务器。"""
    if path.endswith(".ipynb"):  # “下载 .ipynb”：仓库里提交的笔记本
        return f"https://github.com/{GITHUB_REPO}/blob/main/{path}"
    return SITE_URL + path + (f"#{fragment}" if fragment else "")


def _is_local(host: str | None) -> bool:
    return host in ("127.0.0.1", "localhost", "::1")


def merge(parts: list[str], printed: dict[str, Printed], front: bytes | None, title: str):
    """合并成一个 PdfWriter：前言（书名页、怎么用、目录），然后每页一个书签（下挂各节）。
    返回 (writer, 每页页脚用的标题, {页面: (起始页, {锚点: (页, 纵坐标)})})。

    链接：Chromium 给每个页面单独的 PDF 写的是 ① 同一页面内的链接：命名目标（/Dest "/id1"），
    合并后各章的名字会相撞（每章都有 /id1）；② 到别的页面的链接：本地服务器的网址。两种都改成
    显式目标（[页, /XYZ, 左, 上, 缩放]），按各自页面的命名目标换算成全书的页码；本册之外的页面改成
    公开网址（public_url）。"""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    labels: list[str] = []
    owners: list[str | None] = []
    targets: dict[str, tuple[int, dict[str, tuple[int, float]]]] = {}
    if front is not None:
        reader = PdfReader(io.BytesIO(front))
        writer.append(reader, import_outline=False)
        labels += [title] * len(reader.pages)
        owners += [None] * len(reader.pages)
        writer.add_outline_item(title="书名页与目录", page_number=0)
    for url in parts:
        page = printed[url]
        reader = PdfReader(io.BytesIO(page.data))
        start = len(writer.pages)
        dests = {
            str(name).lstrip("/"): (
                start + reader.get_destination_page_number(d),
                float(d.top or 0),
            )
            for name, d in reader.named_destinations.items()
        }
        targets[url] = (start, dests)
        writer.append(reader, import_outline=False)
        labels += [page.title] * len(reader.pages)
        owners += [url] * len(reader.pages)
        chapter = writer.add_outline_item(title=page.title, page_number=start)
        outline = reader.outline
        # Chromium 的书签：第一项是页面的 h1（即章节标题），各节挂在它下面
        if (
            len(outline) >= 2
            and not isinstance(outline[0], list)
            and isinstance(outline[1], list)
            and _squash(outline[0].title) == _squash(page.title)
        ):
            outline = outline[1]
        _copy_outline(reader, outline, writer, chapter, start, page.headings)
    _rewrite_links(writer, owners, targets, printed)
    return writer, labels, targets


def part_targets(parts: list[str], printed: dict[str, Printed], start: int = 0) -> dict:
    """{页面: (起始页, {命名目标: (页, 纵坐标)})}，各页面从 start 起依次排列（不合并文件）。"""
    from pypdf import PdfReader

    targets = {}
    for url in parts:
        reader = PdfReader(io.BytesIO(printed[url].data))
        targets[url] = (
            start,
            {
                str(name).lstrip("/"): (
                    start + reader.get_destination_page_number(d),
                    float(d.top or 0),
                )
                for name, d in reader.named_destinations.items()
            },
        )
        start += len(reader.pages)
    return targets


def resolve(targets, printed, url: str, anchor: str) -> tuple[int, float] | None:
    """(全书页码, 纵坐标)；锚点找不到目标时用它所在的那一节，再不行就是该页面的第一页。"""
    start, dests = targets[url]
    aliases = printed[url].aliases
    for name in (aliases.get(anchor), anchor):
        if name and name in dests:
            return dests[name]
    return (start, None) if not anchor or anchor in ("main-content",) else None


def _rewrite_links(writer, owners, targets, printed) -> None:
    from pypdf.generic import (
        ArrayObject,
        FloatObject,
        NameObject,
        NullObject,
        TextStringObject,
    )

    unresolved = []
    records = []
    for number, page in enumerate(writer.pages):
        annots = page.get("/Annots")
        if annots is not None:  # READY_JS 为了目标而加的 1 px 链接
            keep = [
                ref
                for ref in annots
                if not str(ref.get_object().get("/Dest", "")).lstrip("/").startswith("pdfh-")
            ]
            if len(keep) != len(annots):
                page[NameObject("/Annots")] = ArrayObject(keep)
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            where = None
            dest = annot.get("/Dest")
            action = annot.get("/A")
            if dest is not None and not isinstance(dest, ArrayObject):
                where = (owners[number], unquote(str(dest).lstrip("/")))
            elif action is not None and "/URI" in action:
                link = urlparse(str(action["/URI"]))
                if not _is_local(link.hostname):
                    continue
                path = unquote(link.path.lstrip("/"))
                if path in targets:
                    where = (path, unquote(link.fragment))
                else:
                    action[NameObject("/URI")] = TextStringObject(
                        public_url(path, unquote(link.fragment))
                    )
                    continue
            if where is None or where[0] is None:
                continue
            found = resolve(targets, printed, *where)
            if found is None:
                unresolved.append(f"{where[0]}#{where[1]}")
                found = (targets[where[0]][0], None)
            target_page, top = found
            url, anchor = where
            records.append(
                {
                    "page": number,
                    "rect": [float(v) for v in annot["/Rect"]],
                    "target": target_page,
                    "heading": printed[url].heads.get(anchor) or printed[url].title,
                }
            )
            annot.pop("/A", None)
            annot[NameObject("/Dest")] = ArrayObject(
                [
                    writer.pages[target_page].indirect_reference,
                    NameObject("/XYZ"),
                    NullObject(),
                    FloatObject(top) if top is not None else NullObject(),
                    NullObject(),
                ]
            )
    # 各章的命名目标不再有用（名字相撞），不写进合并后的文件
    names = writer._root_object.get("/Names")
    if names is not None:
        names.get_object().pop("/Dests", None)
    writer._root_object.pop("/Dests", None)
    writer._link_records = records
    if unresolved:
        print(
            f"[pdf] {len(unresolved)} link(s) to anchors without a target (first page used): "
            f"{unresolved[:5]}",
            file=sys.stderr,
        )


def finish(writer, labels: list[str], footers: bytes, title: str, target: Path) -> None:
    from pypdf import PdfReader
    from pypdf.generic import NameObject, TextStringObject

    overlay = PdfReader(io.BytesIO(footers))
    if len(overlay.pages) != len(writer.pages):
        raise RuntimeError(f"{len(overlay.pages)} footer pages for {len(writer.pages)} pages")
    for page, footer in zip(writer.pages, overlay.pages, strict=True):
        page.merge_page(footer)
        page.compress_content_streams()  # merge_page 写出的是未压缩的内容流
    writer.add_metadata({"/Title": title, "/Creator": "publish/build_pdf.py (Chromium + pypdf)"})
    writer._root_object[NameObject("/Lang")] = TextStringObject("zh-CN")
    writer.page_mode = "/UseOutlines"  # 打开时显示书签栏
    writer.compress_identical_objects()
    with open(target, "wb") as f:
        writer.write(f)
    print(
        f"[pdf] {target.relative_to(ROOT)}: {len(writer.pages)} pages, "
        f"{target.stat().st_size / 1e6:.1f} MB"
    )


PDF_FONT = "WenQuanYi Micro Hei"


def check_font() -> None:
    found = subprocess.run(["fc-list", PDF_FONT], capture_output=True, text=True, check=False)
    if not found.stdout.strip():
        raise RuntimeError(
            f"font {PDF_FONT!r} is not installed: apt-get install fonts-wqy-microhei"
            " (see the module docstring for why the PDF does not use Noto Sans CJK)"
        )


FRONT_CSS = """
@page { size: A4; margin: 14mm 13mm 16mm 13mm; }
body { font-family: "DejaVu Sans", "WenQuanYi Micro Hei", sans-serif; font-size: 10.5pt;
       line-height: 1.6; color: #222; }
a { color: inherit; text-decoration: none; }
.title-page { height: 250mm; display: flex; flex-direction: column; justify-content: center;
              break-after: page; }
.title-page h1 { font-size: 30pt; margin: 0 0 6mm; }
.title-page .sub { font-size: 14pt; color: #444; margin-bottom: 20mm; }
.title-page .meta { font-size: 9.5pt; color: #555; }
h2 { font-size: 16pt; margin: 0 0 4mm; }
.howto { break-after: page; }
.howto p { margin: 0 0 3mm; }
.toc .chapter { display: flex; font-weight: bold; margin-top: 3.5mm; }
.toc .section { display: flex; margin-left: 7mm; font-size: 9.5pt; }
.toc .fill { flex: 1; border-bottom: 0.5pt dotted #999; margin: 0 2mm 1.2mm; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.92em; }
"""


def front_matter_html(
    volume: str, parts: list[str], printed: dict[str, Printed], pages: dict[str, tuple], base: str
) -> str:
    """书名页、“怎么用这本书”、全书目录（章与各节，带页码和链接）。pages: 页面 → (起始页, 各节页码)。"""
    e = html.escape
    commit = built_from()
    today = time.strftime("%Y-%m-%d")
    solutions = volume == "solutions"
    sub = "参考答案" if solutions else "用可以运行的 Jupyter 笔记本学 PyTorch"
    howto = [
        "每一章是一个 Jupyter 笔记本（notebook）。本书印的是它在生成本书的那次运行里执行的结果："
        "文字、代码、输出和图都来自那次运行，每章标题下的「最后验证」一行写着日期、版本和设备。",
        f"想自己运行：在网站（<code>{e(SITE_URL)}</code>）的每一页点 Colab 徽章，或下载 "
        "<code>.ipynb</code> 在 JupyterLab 里打开，点 “Run all”。网站还能搜索，可以直接输入问题或"
        "贴进报错消息。",
        "每章末尾有练习，每道题下面有一个<b>答案格</b>：把 <code>answer_N = ...</code> 的 "
        "<code>...</code> 换成你的答案，运行后立刻得到一行反馈；错了会说明像是哪一类错误、该重读哪一节，"
        "但不给出答案。做完或卡住了，再看<b>参考答案</b>（另成一册，每道题先推导、再用代码验证）。",
        "标着「选读」的小节是主线之外的深入内容，第一次读可以跳过；在笔记本里它们默认收起，本书里"
        "全部印出，并在左侧用一条竖线标出。检查答案之类的工具代码格不印，只留一行说明。",
        "书里的链接：指向本书各章的，点了在 PDF 里跳到那一节；指向网站或仓库的，是公开网址。"
        "附录（05）按报错消息排列，遇到报错时可以先查那里。",
    ]
    if solutions:
        howto.insert(0, "这一册是各章练习的参考答案。先在章节里自己做，再来对照。")
    rows = []
    for url in parts:
        start, sections = pages[url]
        rows.append(
            f'<div class="chapter"><a href="{e(base + quote(url))}">{e(printed[url].title)}</a>'
            f'<span class="fill"></span><span>{start + 1}</span></div>'
        )
        for sid, text, number in sections:
            rows.append(
                f'<div class="section"><a href="{e(base + quote(url))}#{e(sid)}">{e(text)}</a>'
                f'<span class="fill"></span><span>{number + 1}</span></div>'
            )
    return (
        f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><style>{FRONT_CSS}"
        "</style></head><body>"
        f'<section class="title-page"><h1>{e(BOOK_TITLE)}</h1><div class="sub">{e(sub)}</div>'
        f'<div class="meta">{e(today)} 生成{f"（提交 {e(commit)}）" if commit else ""}<br>'
        f"网站：{e(SITE_URL)}<br>源文件：https://github.com/{e(GITHUB_REPO)}</div></section>"
        '<section class="howto"><h2>怎么用这本书</h2>'
        + "".join(f"<p>{p}</p>" for p in howto)
        + '</section><section class="toc"><h2>目录</h2>'
        + "".join(rows)
        + "</section></body></html>"
    )


async def print_front(browser, doc: str) -> bytes:
    page = await browser.new_page()
    await page.set_content(doc)
    await page.evaluate("document.fonts.ready")
    data = await page.pdf(prefer_css_page_size=True, print_background=False, tagged=True)
    await page.close()
    return data


async def build_volume(browser, volume, parts, printed, base, name, title) -> None:
    """一册：先不带前言合并一次得到各章各节的页码，再印前言（两遍：页数定了页码才准）。"""
    from pypdf import PdfReader

    targets = part_targets(parts, printed)
    front_pages = 0
    for _ in range(3):
        pages = {}
        for url in parts:
            start, dests = targets[url]
            sections = [
                (sid, text, front_pages + found[0])
                for sid, text in printed[url].sections
                if (found := resolve(targets, printed, url, sid)) is not None
            ]
            pages[url] = (front_pages + start, sections)
        front = await print_front(browser, front_matter_html(volume, parts, printed, pages, base))
        count = len(PdfReader(io.BytesIO(front)).pages)
        if count == front_pages:
            break
        front_pages = count
    writer, labels, _ = merge(parts, printed, front, title)
    footers = await print_footers(browser, labels)
    finish(writer, labels, footers, title, SITE / name)
    # 每个改写过的链接该落在哪：publish/check_pdf.py 核对落点那一页上有链接的文字或这一节的标题
    LINKS.mkdir(parents=True, exist_ok=True)
    (LINKS / f"{name}.json").write_text(
        json.dumps(writer._link_records, ensure_ascii=False, indent=0), encoding="utf-8"
    )


async def build(chromium: str, preview: bool) -> None:
    check_font()
    chapters, solutions = book_parts()
    missing = [u for u in chapters + solutions if not (SITE / u).is_file()]
    if missing and not preview:
        raise RuntimeError(f"pages missing from build/site/: {missing} (run publish/build_site.py)")
    chapters = [u for u in chapters if u not in missing]
    solutions = [u for u in solutions if u not in missing]
    from playwright.async_api import async_playwright

    server, base = serve(SITE)
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            t0 = time.perf_counter()
            printed = await print_pages(browser, chapters + solutions, base)
            t1 = time.perf_counter()
            for volume, parts, name, title in (
                ("book", chapters, BOOK_PDF, BOOK_TITLE),
                ("solutions", solutions, SOLUTIONS_PDF, f"{BOOK_TITLE} · 参考答案"),
            ):
                if parts:  # 只在 --preview 时可能为空
                    await build_volume(browser, volume, parts, printed, base, name, title)
            await browser.close()
    finally:
        server.shutdown()
    print(
        f"[pdf] printing {len(printed)} pages: {t1 - t0:.1f} s; "
        f"front matter and merging: {time.perf_counter() - t1:.1f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_chromium_option(parser)
    parser.add_argument(
        "--preview",
        action="store_true",
        help="leave out pages the site lacks (with build_site.py --preview; never in CI)",
    )
    args = parser.parse_args()
    t0 = time.perf_counter()
    if not (SITE / "index.html").is_file():
        print("[pdf] no build/site/index.html: run publish/build_site.py first", file=sys.stderr)
        return 1
    try:
        asyncio.run(build(args.chromium, args.preview))
    except RuntimeError as exc:
        print(f"[pdf] {exc}", file=sys.stderr)
        return 1
    print(f"[pdf] built in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
