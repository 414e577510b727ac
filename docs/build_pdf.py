"""生成全书 PDF：用无头 Chromium 把网站的页面逐页打印（page.pdf），再用 pypdf 合并成书。

Build the book as PDF from the built site (run docs/build_site.py first): every page is printed
by the same headless Chromium that docs/check_site.py drives (Debian's chromium through
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

    python docs/build_pdf.py [--chromium /usr/bin/chromium]
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
from pathlib import Path
from urllib.parse import quote, urlparse

from build_site import BOOK_PDF, SOLUTIONS_PDF, committed_notebooks  # docs/ 是脚本所在目录
from check_site import CHROMIUM_ARGS, default_chromium, serve  # 同一个浏览器、同一个本地服务器

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
SITE = ROOT / "build" / "site"
GLOSSARY_HTML = "glossary.html"
BOOK_TITLE = "PyTorch 入门 notebooks"

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
  /* 代码与输出：长行在页内换行，不在页边被截断 */
  pre, pre span, div.highlight pre, div.cell_output pre {
    white-space: pre-wrap !important;
    overflow-wrap: anywhere !important;  /* 先在空格处换行，放不下的长词才拆开 */
  }
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

READY_JS = """
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
  // 短的代码格（不到约三分之一页）不拆开，免得页底只留一个空框；长的照常分页，
  // 整格挪到下一页会留下大半页空白。输出也照常分页。
  document.querySelectorAll("div.cell_input").forEach((cell) => {
    if (cell.getBoundingClientRect().height < 320) cell.style.breakInside = "avoid";
  });
  const untypeset = Array.from(document.querySelectorAll("span.math, div.math"))
    .filter((n) => !n.querySelector("mjx-container")).map((n) => n.textContent.slice(0, 60));
  const broken = imgs.filter((img) => !(img.naturalWidth > 0)).map((img) => img.src);
  const text = (h) => Array.from(h.childNodes).filter((n) => !(n.classList &&
    n.classList.contains("headerlink"))).map((n) => n.textContent).join("").trim();
  const headings = Array.from(document.querySelectorAll("article h1, article h2, article h3,"
    + " article h4")).map(text);
  const h1 = document.querySelector("article h1");
  return {untypeset, broken, title: h1 ? text(h1) : document.title, headings};
}
"""


def book_parts() -> tuple[list[str], list[str]]:
    """(全书的页面, 参考答案的页面)，站内相对路径，按章节编号排序。"""
    chapters, solutions = [], []
    for path in committed_notebooks():
        rel = path.relative_to(ROOT).with_suffix(".html").as_posix()
        (solutions if path.parent.name == "solutions" else chapters).append(rel)
    if (SITE / GLOSSARY_HTML).is_file():
        chapters.append(GLOSSARY_HTML)
    return chapters, solutions


# --- 打印 ---------------------------------------------------------------------------------------


async def _offline(route) -> None:
    if urlparse(route.request.url).hostname == "127.0.0.1":
        await route.continue_()
    else:
        await route.abort()


async def print_pages(browser, urls: list[str], base: str) -> dict[str, tuple]:
    """每个页面 → (标题, PDF 字节, 各级标题的文字)。页面有未排版的公式或没加载的图时抛 RuntimeError。"""
    results: dict[str, tuple] = {}
    problems: list[str] = []
    context = await browser.new_context(viewport={"width": 1000, "height": 1400})
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
            data = await page.pdf(
                format="A4",
                margin=MARGIN,
                print_background=True,
                outline=True,  # 书签：由标题生成（需要 tagged）
                tagged=True,
            )
            results[url] = (state["title"], data, state["headings"])
        await page.close()

    await asyncio.gather(*(worker() for _ in range(min(PARALLEL, len(urls)))))
    await context.close()
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


def _clean_title(title: str, headings: list[str] = ()) -> str:
    """书签标题换成网页里标题的原文。Chromium 的书签标题会丢掉中英文之间的空格，
    标题里有行内代码时还会把代码前的文字重复一遍（“7. 优化器 7. 优化器 torch.optim”）。"""
    title = " ".join(title.split())
    squashed = _squash(title)
    for heading in sorted(headings, key=len, reverse=True):
        h = _squash(heading)
        if h and squashed.endswith(h) and h.startswith(squashed[: len(squashed) - len(h)]):
            return heading
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


def merge(parts: list[str], printed: dict[str, tuple]) -> tuple[object, list[str]]:
    """合并成一个 PdfWriter，每页一个书签（下挂各节）；返回 (writer, 每页页脚用的标题)。"""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    labels: list[str] = []
    for url in parts:
        title, data, headings = printed[url]
        reader = PdfReader(io.BytesIO(data))
        start = len(writer.pages)
        writer.append(reader, import_outline=False)
        labels += [title] * len(reader.pages)
        chapter = writer.add_outline_item(title=title, page_number=start)
        outline = reader.outline
        # Chromium 的书签：第一项是页面的 h1（即章节标题），各节挂在它下面
        if (
            len(outline) >= 2
            and not isinstance(outline[0], list)
            and isinstance(outline[1], list)
            and _squash(outline[0].title) == _squash(title)
        ):
            outline = outline[1]
        _copy_outline(reader, outline, writer, chapter, start, headings)
    return writer, labels


def finish(writer, labels: list[str], footers: bytes, title: str, target: Path) -> None:
    from pypdf import PdfReader
    from pypdf.generic import NameObject, TextStringObject

    overlay = PdfReader(io.BytesIO(footers))
    if len(overlay.pages) != len(writer.pages):
        raise RuntimeError(f"{len(overlay.pages)} footer pages for {len(writer.pages)} pages")
    for page, footer in zip(writer.pages, overlay.pages, strict=True):
        page.merge_page(footer)
        page.compress_content_streams()  # merge_page 写出的是未压缩的内容流
    writer.add_metadata({"/Title": title, "/Creator": "docs/build_pdf.py (Chromium + pypdf)"})
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


async def build(chromium: str, preview: bool) -> None:
    check_font()
    chapters, solutions = book_parts()
    missing = [u for u in chapters + solutions if not (SITE / u).is_file()]
    if missing and not preview:
        raise RuntimeError(f"pages missing from build/site/: {missing} (run build_site.py)")
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
            for parts, name, title in (
                (chapters, BOOK_PDF, BOOK_TITLE),
                (solutions, SOLUTIONS_PDF, f"{BOOK_TITLE} · 参考答案"),
            ):
                if not parts:  # 只在 --preview 时可能
                    continue
                writer, labels = merge(parts, printed)
                footers = await print_footers(browser, labels)
                finish(writer, labels, footers, title, SITE / name)
            await browser.close()
    finally:
        server.shutdown()
    print(
        f"[pdf] printing {len(printed)} pages: {t1 - t0:.1f} s; merging: {time.perf_counter() - t1:.1f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--chromium",
        default=default_chromium(),
        help="the browser to print with (default: Debian's chromium, else google-chrome)",
    )
    parser.add_argument(
        "--preview",
        action="store_true",
        help="leave out pages the site lacks (with build_site.py --preview; never in CI)",
    )
    args = parser.parse_args()
    t0 = time.perf_counter()
    if not (SITE / "index.html").is_file():
        print("[pdf] no build/site/index.html: run docs/build_site.py first", file=sys.stderr)
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
