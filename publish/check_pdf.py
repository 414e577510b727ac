"""PDF 的检查（issue 22），由 publish/check_site.py 调用：两册 PDF（publish/build_pdf.py）。

首页链接到两册；每章标题是书签所指那一页的文字；没有原样的 TeX（\\frac、$$、\\(、\\begin{）；
没有康熙部首之类搜不到的字；每章都有书签和下面的各节；页数和文件大小在下面说明的范围内；
图按原始像素嵌入（不被缩小而发虚）；没有本机路径与用户名（与网页同一条规则：
publish/check_pages.py 的 machine_leaks）。

版面（issue 27，check_pdf_layout）：从每页的内容流里读出图的位置和最低的内容——图至少 150 dpi、
印出来不小于网页上的 62 %（图里的字约 6.5 pt 以上）；一章中间没有空出三分之一以上的页；
下一页开头的图缩到 75 % 就放得进上一页的空白（留出两倍 FIT_SLACK 的边距）时报错（publish/build_pdf.py
本该把它缩小放进去）。

PDF 的文字提取（pypdf，每页约 0.1 s）在另一个进程里与浏览器检查同时进行：start_pdf_texts()
要在启动浏览器之前调用。
"""

from __future__ import annotations

import json
import re
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context

from check_pages import GLOSSARY_HTML, ROOT, SITE, STAGE, Check, machine_leaks, soup_of
from pages import BOOK_PDF, SOLUTIONS_PDF  # publish/pages.py
from pdf_layout import BODY_BOTTOM, BODY_TOP, FIT_SCALE, FIT_SLACK, MM, PT_PER_PX, page_layout
from rules import PDF_LINKS as LINKS  # publish/build_pdf.py 记下的每个书内链接该落在哪

FRONT_BOOKMARK = "书名页与目录"  # publish/build_pdf.py 的前言的书签
BOOK_TITLE = "PyTorch 入门 notebooks"
LOCAL_URL = re.compile(r"//(127\.0\.0\.1|localhost|\[::1\])[:/]")


RAW_TEX = re.compile(r"\\frac|\$\$|\\\(|\\begin\{")
RADICALS = re.compile("[\u2e80-\u2eff\u2f00-\u2fdf]")  # 康熙部首、部首补充：搜“一”搜不到“⼀”
# 页数：每章按它网页正文的字数（不计空白）估算。今天各章（笔记本）每页 1,100–1,450 字，
# 图、代码框和表格占去其余；最稀的是术语表（一行一个短词条的表格），每页约 460 字。
# 低于每页 250 字说明版面坏了（大片空白、一格一页、图被放大），高于每页 3,000 字说明
# 内容丢了（被截断、缺页，或字小得没法读）。
CHARS_PER_PAGE = (250, 3000)
# 大小：今天每页约 30 KB（字体子集 + 内容 + 图）。每页不到 8 KB 说明图或字体没有嵌入；
# 超过 80 KB 说明嵌入方式坏了：未压缩的内容流加上 Noto CJK 的上百个 Type 3 字体是每页 108 KB；
# 即使每页都有一张图（每张 30–60 KB）也不到 80 KB。
# 整册不超过 40 MB：手机上也能下载。
BYTES_PER_PAGE = (8_000, 80_000)
MAX_BYTES = 40_000_000


# 版面的检查（issue 27）：页面几何与读版面的代码在 publish/pdf_layout.py（build_pdf 也用它）
# 一章中间的页（不是该章最后一页）最多空出正文区的三分之一；今天最空的约四分之一
# （下一页开头是一张放不下的图，或一个不宜拆开的短代码格）
MAX_BLANK = 1 / 3
# 图至少这个像素密度（按它在纸上的宽度）：两倍像素的图（tools/notebook_runner.py）约 190 dpi
MIN_DPI = 150
# 图印出来至少是网页上大小的这个比例：matplotlib 默认 10 pt 的刻度字印出来约 6.5 pt。
# 正文宽 184 mm ≈ 695 CSS px：宽于约 11 英寸（1,100 px）的图会被缩得更小，它该画窄一些
MIN_FIGURE_SCALE = 0.62


def _pdf_texts(path: str) -> tuple[list[str], list[tuple], list[dict]]:
    """(每页的文字, 每个链接 (页, 矩形, 矩形里的文字, 目标页 或 网址 或 None), 每页的版面)。"""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject

    reader = PdfReader(path)
    number_of = {p.indirect_reference.idnum: i for i, p in enumerate(reader.pages)}
    texts, links, layouts = [], [], []
    for n, page in enumerate(reader.pages):
        annots = [a.get_object() for a in page.get("/Annots") or []]
        annots = [a for a in annots if a.get("/Subtype") == "/Link"]
        pieces = []

        def visit(text, cm, tm, font, size, pieces=pieces):
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                pieces.append((x, y, text))

        texts.append(page.extract_text(visitor_text=visit if annots else None) or "")
        layouts.append(page_layout(page))
        for a in annots:
            x0, y0, x1, y1 = (float(v) for v in a["/Rect"])
            inside = "".join(
                t for x, y, t in pieces if x0 - 2 <= x <= x1 + 1 and y0 - 2 <= y <= y1 + 2
            )
            dest, action = a.get("/Dest"), a.get("/A")
            if isinstance(dest, ArrayObject):
                target = number_of.get(dest[0].idnum)
            elif dest is not None:
                target = f"named destination {dest}"
            elif action is not None and "/URI" in action:
                target = str(action["/URI"])
            else:
                target = None
            links.append((n, [x0, y0, x1, y1], inside, target))
    return texts, links, layouts


class PdfTexts:
    """在另一个进程里提取两册 PDF 的文字（与浏览器检查同时进行）。"""

    def __init__(self) -> None:
        names = [n for n in (BOOK_PDF, SOLUTIONS_PDF) if (SITE / n).is_file()]
        self.pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
        self.futures: dict[str, Future] = {
            n: self.pool.submit(_pdf_texts, str(SITE / n)) for n in names
        }

    def get(self, name: str) -> list[str]:
        return self.futures[name].result()[0]

    def links(self, name: str) -> list[tuple]:
        return self.futures[name].result()[1]

    def layouts(self, name: str) -> list[dict]:
        return self.futures[name].result()[2]

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


def start_pdf_texts() -> PdfTexts:
    return PdfTexts()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _title_of(rel_html: str) -> str:
    if rel_html == GLOSSARY_HTML:
        soup = soup_of(SITE / rel_html)
        h1 = soup.select_one("article h1")
        return h1.get_text("", strip=True).rstrip("#") if h1 else ""
    staged = json.loads((STAGE / rel_html.replace(".html", ".ipynb")).read_text(encoding="utf-8"))
    first = staged["cells"][0]["source"]
    first = "".join(first) if isinstance(first, list) else first
    return first.splitlines()[0].lstrip("#").strip()


def _article_chars(rel_html: str) -> int:
    soup = soup_of(SITE / rel_html)
    article = soup.select_one("article") or soup
    return len(_squash(article.get_text()))


def _site_images(parts: list[str]) -> list[tuple[int, int, float]]:
    """网页上的输出图：(宽像素, 高像素, 网页上显示的宽 CSS px)。"""
    from PIL import Image

    images = []
    for rel in parts:
        page = SITE / rel
        soup = soup_of(page)
        for img in soup.select("article div.cell_output img"):
            with Image.open((page.parent / img["src"]).resolve()) as im:
                size = im.size
            shown = re.search(r"width:\s*([\d.]+)px", img.get("style", "")) or re.fullmatch(
                r"([\d.]+)(?:px)?", img.get("width", "")
            )
            images.append((*size, float(shown.group(1)) if shown else float(size[0])))
    return images


def check_pdf(check: Check, name: str, parts: list[str], texts: PdfTexts) -> None:
    from pypdf import PdfReader

    path = SITE / name
    if not check(path.is_file(), f"{name}: not built (python publish/build_pdf.py)"):
        return
    reader = PdfReader(path)
    pages = len(reader.pages)
    size = path.stat().st_size
    titles = [_title_of(p) for p in parts]

    # 书签：每章一个，顺序与网站相同，标题相同；笔记本的书签下有各节
    tops = [o for o in reader.outline if not isinstance(o, list)]
    check(
        bool(tops) and tops[0].title == FRONT_BOOKMARK,
        f"{name}: the first bookmark is not {FRONT_BOOKMARK!r} (title page and contents)",
    )
    tops = [o for o in tops if o.title != FRONT_BOOKMARK]
    check(
        [_squash(o.title) for o in tops] == [_squash(t) for t in titles],
        f"{name}: bookmarks {[o.title for o in tops]} are not the parts {titles}",
    )
    outline = list(reader.outline)
    for i, item in enumerate(outline):
        if isinstance(item, list) or not item.title.strip():
            continue
        children = outline[i + 1] if i + 1 < len(outline) else None
        is_notebook = _squash(item.title) in {
            _squash(t) for t, p in zip(titles, parts, strict=True) if p != GLOSSARY_HTML
        }
        if is_notebook:
            check(
                isinstance(children, list) and children,
                f"{name}: no section bookmarks under {item.title!r}",
            )
    starts = [reader.get_destination_page_number(o) for o in tops]
    check_math_bookmarks(check, name, parts, reader.outline)

    # 页数与大小
    if len(starts) == len(parts):
        ends = starts[1:] + [pages]
        for part, start, end in zip(parts, starts, ends, strict=True):
            count = end - start
            density = _article_chars(part) / max(count, 1)
            low, high = CHARS_PER_PAGE
            check(
                low <= density <= high,
                f"{name}: {part} takes {count} pages ({density:.0f} characters a page; "
                f"sane: {low}-{high})",
            )
    low, high = BYTES_PER_PAGE
    check(
        low <= size / pages <= high and size <= MAX_BYTES,
        f"{name}: {size / 1e6:.1f} MB for {pages} pages ({size / pages / 1e3:.0f} KB a page; "
        f"sane: {low // 1000}-{high // 1000} KB a page, at most {MAX_BYTES // 1_000_000} MB)",
    )

    # 图：每张输出图都以原始像素嵌入（数一数 PDF 里同样大小的图）
    embedded = []
    for page in reader.pages:
        for xobj in (page.get("/Resources", {}).get("/XObject") or {}).values():
            xobj = xobj.get_object()
            if xobj.get("/Subtype") == "/Image":
                embedded.append((int(xobj["/Width"]), int(xobj["/Height"])))
    site_images = _site_images(parts)
    wanted = [(w, h) for w, h, _ in site_images]
    unmatched = list(wanted)
    for dims in embedded:
        if dims in unmatched:
            unmatched.remove(dims)
    check(not unmatched, f"{name}: plots not embedded at their pixel size: {unmatched[:5]}")

    # 文字：标题在该章第一页；没有原样 TeX、康熙部首、本机路径
    text = texts.get(name)
    for title, start in zip(titles, starts, strict=False):
        check(
            _squash(title) in _squash(text[start]) if start < len(text) else False,
            f"{name}: the title {title!r} is not text on its first page ({start + 1})",
        )
    for label, pattern in (("raw TeX", RAW_TEX), ("Kangxi radicals (not searchable)", RADICALS)):
        hits = [
            f"p. {i + 1}: …{t[max(0, m.start() - 30) : m.end() + 30]!r}…"
            for i, t in enumerate(text)
            for m in [pattern.search(t)]
            if m
        ]
        check(not hits, f"{name}: {label} on {len(hits)} page(s): {hits[:3]}")
    check_pdf_book(check, name, text, titles, starts, texts.links(name))
    shown = {(w, h): width for w, h, width in site_images}
    check_pdf_layout(check, name, texts.layouts(name), starts, shown)
    leaks = [(i, leak) for i, t in enumerate(text) for leak in machine_leaks(t)]
    check(not leaks, f"{name}: machine paths or user names: {leaks[:3]}")
    print(
        f"  {name}: {pages} pages, {size / 1e6:.1f} MB, {len(tops)} parts, {len(embedded)} images"
    )


def _plain_math(text: str) -> str:
    return re.sub(r"\s+", "", text).replace("\u2212", "-")


def check_math_bookmarks(check: Check, name: str, parts: list[str], outline) -> None:
    """标题里的公式（如 “归一化：从 $[0,255]$ 到 $[-1,1]$”）在书签里照样是文字，不被丢掉。
    只看不含 TeX 命令的公式（它们的文字就是 TeX 本身）。"""
    titles: list[str] = []

    def walk(items) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(_plain_math(item.title or ""))

    walk(outline)
    missing = []
    for part in parts:
        for h in soup_of(SITE / part).select("article h2, article h3, article h4"):
            maths = [m.get_text() for m in h.select("span.math")]
            maths = [re.sub(r"^\\\(|\\\)$", "", m) for m in maths]
            if not maths or any("\\" in m for m in maths):
                continue
            if not any(all(_plain_math(m) in t for m in maths) for t in titles):
                missing.append(h.get_text(" ", strip=True).rstrip("#").strip())
    check(not missing, f"{name}: bookmarks lose the math of {missing[:3]}")


def check_pdf_book(check: Check, name, text, titles, starts, links) -> None:
    """书的样子（issue 27）：第一页是书名页，不是第 01 章；前面有“怎么用这本书”和全书目录；
    没有指向本机服务器的链接；每个书内链接落在一页上，那一页印着链接的文字或它所指那一节的标题。"""
    first = _squash(text[0]) if text else ""
    check(
        _squash(BOOK_TITLE) in first and not any(_squash(t) in first for t in titles),
        f"{name}: page 1 is not a title page: {text[0][:80]!r}" if text else f"{name}: empty",
    )
    front = "".join(_squash(t) for t in text[: starts[0]]) if starts else ""
    check(
        "怎么用这本书" in front and "目录" in front and all(_squash(t) in front for t in titles),
        f"{name}: the pages before the first chapter lack '怎么用这本书' or a contents list "
        "naming every part",
    )
    local = [(n + 1, t) for n, _, _, t in links if isinstance(t, str) and LOCAL_URL.search(t)]
    check(not local, f"{name}: {len(local)} link(s) to the build machine: {local[:3]}")
    named = [(n + 1, t) for n, _, _, t in links if isinstance(t, str) and t.startswith("named")]
    check(not named, f"{name}: {len(named)} link(s) to named destinations: {named[:3]}")
    path = LINKS / f"{name}.json"
    if not check(path.is_file(), f"{name}: no link record {path.relative_to(ROOT)}"):
        return
    expected = {
        (r["page"], tuple(round(v) for v in r["rect"])): r
        for r in json.loads(path.read_text(encoding="utf-8"))
    }
    internal = [(n, rect, inside, t) for n, rect, inside, t in links if isinstance(t, int)]
    wrong = []
    for n, rect, inside, target in internal:
        record = expected.get((n, tuple(round(v) for v in rect)))
        shown = _squash(text[target])
        wants = [_squash(inside)] + ([_squash(record["heading"])[:20]] if record else [])
        if record is not None and record["target"] != target:
            wrong.append(
                f"p. {n + 1} {inside[:30]!r} → p. {target + 1}, not {record['target'] + 1}"
            )
        elif not any(w and w in shown for w in wants):
            wrong.append(
                f"p. {n + 1} {inside[:30]!r} → p. {target + 1}, which shows neither "
                f"{wants[-1]!r} nor the link's text"
            )
    check(
        not wrong,
        f"{name}: {len(wrong)} of {len(internal)} links inside the book land on the "
        f"wrong page: {wrong[:4]}",
    )
    print(
        f"  {name}: {len(internal)} links inside the book, {len(links) - len(internal)} to the web"
    )


def check_pdf_layout(
    check: Check, name: str, layouts: list[dict], starts: list[int], shown: dict
) -> None:
    """版面（issue 27）：图印得清楚（每英寸至少 MIN_DPI 像素），图里的字不太小（图不被缩到网页上
    大小的 MIN_FIGURE_SCALE 以下）；一章中间没有空出三分之一以上的页；下一页开头的图缩到 FIT_SCALE
    就放得进上一页的空白时，它不该留在下一页。shown：输出图的像素大小 → 网页上显示的宽（CSS px）。"""
    body = BODY_TOP - BODY_BOTTOM
    # 每张图：页、像素、印出的宽（pt）→ 每英寸像素；印出的宽（CSS px）÷ 网页上的宽：
    # matplotlib 的 10 pt 字印出来约 10.4 × 这个比例 pt
    figures = [
        (n, w, h, wide, w / (wide / 72))
        for n, layout in enumerate(layouts)
        for w, h, wide, _ in layout["images"]
        if wide >= 72
    ]
    blurry = [
        f"p. {n + 1}: {w}x{h} px over {wide / MM:.0f} mm = {dpi:.0f} dpi"
        for n, w, h, wide, dpi in figures
        if dpi < MIN_DPI
    ]
    check(not blurry, f"{name}: {len(blurry)} figure(s) under {MIN_DPI} dpi: {blurry[:3]}")
    scales = [
        (n, (wide / PT_PER_PX) / shown[(w, h)])
        for n, layout in enumerate(layouts)
        for w, h, wide, _ in layout["images"]
        if (w, h) in shown
    ]
    small = [
        f"p. {n + 1}: {scale:.0%} ({10.4 * scale:.1f} pt)"
        for n, scale in scales
        if scale < MIN_FIGURE_SCALE
    ]
    check(
        not small,
        f"{name}: {len(small)} figure(s) printed under {MIN_FIGURE_SCALE:.0%} of their size on "
        f"the site, their 10-pt labels too small to read (make the figure narrower): {small[:3]}",
    )
    ends = starts[1:] + [len(layouts)]
    middle = [
        n for s, e in zip(starts, ends, strict=True) for n in range(s, e - 1)
    ]  # 不含每章最后一页
    empty, unfitted = [], []
    for n in middle:
        blank = layouts[n]["blank"]
        if blank > MAX_BLANK * body:
            empty.append(f"p. {n + 1} ({blank / body:.0%} blank)")
        figure = layouts[n + 1]["first_image"]
        # build_pdf 至少试过两次（空白减 FIT_SLACK、再减一次）仍放不进去时才算它的错：
        # 输出框的边距、Chromium 不让输出与代码分开，都会多占一点
        if figure and blank >= FIT_SCALE * figure + 2 * FIT_SLACK:
            unfitted.append(
                f"p. {n + 2}'s figure ({figure / MM:.0f} mm) would fit in p. {n + 1}'s "
                f"{blank / MM:.0f} mm"
            )
    check(not empty, f"{name}: pages more than a third empty mid-chapter: {empty[:5]}")
    check(
        not unfitted,
        f"{name}: figures left on the next page although they would fit on the page before "
        f"(publish/build_pdf.py's fit_figures should have shrunk them): {unfitted[:5]}",
    )
    worst = max((layouts[n]["blank"] / body for n in middle), default=0)
    dpis = [dpi for *_, dpi in figures]
    ratios = [scale for _, scale in scales]
    print(
        f"  {name}: emptiest page mid-chapter {worst:.0%} blank; figures "
        f"{min(dpis, default=0):.0f}-{max(dpis, default=0):.0f} dpi, printed at "
        f"{min(ratios, default=0):.0%}-{max(ratios, default=0):.0%} of their size on the site"
    )


def check_pdfs(check: Check, notebooks: list[str], texts: PdfTexts) -> None:
    index = soup_of(SITE / "index.html")
    links = {a.get("href") for a in index.select("article a[href]")}
    for name in (BOOK_PDF, SOLUTIONS_PDF):
        check(name in links, f"index.html: no link to {name} ('下载 PDF')")
    htmls = [rel.replace(".ipynb", ".html") for rel in notebooks]
    htmls = [h for h in htmls if (SITE / h).is_file()]  # 缺的页 publish/check_site.py 已经报告
    chapters = [h for h in htmls if "/solutions/" not in h]
    if (SITE / GLOSSARY_HTML).is_file():
        chapters.append(GLOSSARY_HTML)
    solutions = [h for h in htmls if "/solutions/" in h]
    try:
        check_pdf(check, BOOK_PDF, chapters, texts)
        check_pdf(check, SOLUTIONS_PDF, solutions, texts)
    finally:
        texts.close()
