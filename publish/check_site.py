"""检查生成的网站（build/site/）：先查文件，再像读者一样在无网络的无头浏览器里打开。

Check the built site in build/site/ (run publish/build_site.py first).

1. Files: a page per notebook (chapters and solutions) with its downloadable .ipynb; every plot
   of the executed notebook present as an image file; no error output anywhere (no traceback,
   no stderr output); no page refers to a script, style sheet or image on the web.
2. Browser: Debian's chromium driven by Playwright (never `playwright install`), the site served
   on 127.0.0.1 by http.server and every other request aborted. On every page: no JavaScript
   error, every image loaded, every formula typeset by MathJax (no raw `$…$`, no MathJax error).
   The search box finds 广播 on chapter 01 and 反向传播 on chapter 04 (typed, like a reader).
   Glossary (issue 21): glossary.html lists every term of docs/glossary.csv, each linking to an
   anchor that exists in its notebook's page; the site's own search code, run in the search
   page, finds every term's chapter for the term in Chinese, in English (and its other
   spellings) and for each part of the Chinese term; a miss names the term. Appendix (issue
   20): every error message heading of notebooks/05_common_errors.ipynb, pasted as it is into
   the search, finds the appendix page.
3. Screenshots at desktop and phone width in build/site-screenshots/, to look at.

Not a pytest-playwright suite (issue 28 asked): its `page` fixture is a new browser context per
test, and a chapter page costs 3-4.5 s to load and typeset here, so checks grouped per page would
reload each page many times; every page is loaded once and all its checks run on it. The last
line counts checks as pytest does ("N passed, N failed").

    python publish/check_site.py [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from pathlib import Path
from urllib.parse import quote

import check_pages  # publish/check_pages.py：最后验证、首页用时、本机路径（issue 22）
import check_pdf  # publish/check_pdf.py：两册 PDF
from browser import CHROMIUM_ARGS, add_chromium_option, is_served, serve  # publish/browser.py
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT / "tools"))
import glossary  # noqa: E402  (tools/glossary.py：术语表，唯一的来源 docs/glossary.csv)
import rules  # noqa: E402  (tools/rules.py: the shared rules)

SITE, STAGE = rules.SITE, rules.STAGE
SHOTS = rules.BUILD / "site-screenshots"

# 读者会输入的查询（docs/search_queries.csv：问题、术语、函数名、带读者自己数字的报错消息），
# 每一条在真的搜索框里输入，它要找的页面（之一）必须排在前 top 个页面里。
SEARCH_QUERIES = DOCS / "search_queries.csv"
# 结果摘要里不能出现的主题文字与原样的 TeX
SNIPPET_LEAKS = re.compile(
    r"System Settings|亮色|暗色|Color mode|跟随系统|明暗模式|最后验证|\\\(|\\\[|\$\$"
    r"|\\(?:frac|times|delta|partial|mathrm|text|left|right|sum|cdot|lambda|eta|mu|approx)\b"
)
# 这几条的结果里有公式多的小节（03 的归一化、02 的有限差分、04 的梯度）：看摘要
SNIPPET_QUERIES = ("归一化到-1到1", "有限差分", "梯度累加")


def reader_queries() -> list[tuple[str, list[str], int, str]]:
    """(query, acceptable pages as site URLs, top, why) from docs/search_queries.csv."""
    with SEARCH_QUERIES.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [
        (
            r["query"],
            [f"notebooks/{p}.html" for p in r["page"].split("|")],
            int(r["top"]),
            r["reader"],
        )
        for r in rows
    ]


# 附录（issue 20）：每个 “### N. `错误类名: 消息`” 标题的消息，原样贴进搜索框，必须找到附录页。
APPENDIX = "notebooks/05_common_errors.ipynb"
APPENDIX_ENTRY = re.compile(r"^###\s+\d+\.\s.*?`([^`]+)`")
ERROR_CLASS = re.compile(r"^[A-Z]\w*(Error|Exception|Warning)\b")
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")

failures: list[str] = []
passed = 0


def check(ok: bool, message: str) -> bool:
    """One check: counted as passed, or printed and remembered as a failure."""
    global passed
    if ok:
        passed += 1
    else:
        failures.append(message)
        print(f"  FAIL {message}")
    return ok


# --- 1. 文件 ----------------------------------------------------------------------------------


def check_files(notebooks: list[str]) -> list[str]:
    """Returns the site-relative URLs of all HTML pages to open in the browser."""
    print(f"[check] files: {len(notebooks)} notebook(s)")
    for rel in notebooks:
        page = SITE / rel.replace(".ipynb", ".html")
        if not check(page.is_file(), f"{rel}: no page {page.relative_to(ROOT)}"):
            continue
        check((SITE / rel).is_file(), f"{rel}: no downloadable .ipynb next to its page")
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        outputs = soup.select("div.cell_output")
        plots = [img for out in outputs for img in out.find_all("img")]
        staged = json.loads((STAGE / rel).read_text(encoding="utf-8"))
        expected = sum(
            1
            for cell in staged["cells"]
            for out in cell.get("outputs", [])
            if any(m in out.get("data", {}) for m in IMAGE_MIMES)
        )
        check(outputs, f"{rel}: the page shows no outputs at all")
        check(
            len(plots) == expected,
            f"{rel}: {len(plots)} image(s) in the page, {expected} in the executed notebook",
        )
        missing = [
            img["src"]
            for img in plots
            if not (f := (page.parent / img["src"]).resolve()).is_file() or f.stat().st_size == 0
        ]
        check(not missing, f"{rel}: image files missing or empty: {missing}")
        errors = soup.select(".output.traceback, .output.error, .output.stderr")
        check(
            not errors,
            f"{rel}: error/stderr output in the page: "
            + "; ".join(repr(e.get_text(" ", strip=True)[:160]) for e in errors[:3]),
        )
        check(
            "Traceback (most recent call last)" not in soup.get_text(),
            f"{rel}: a traceback appears in the page text",
        )
        check(
            soup.select_one('article a[href^="https://colab.research.google.com/github/"] img'),
            f"{rel}: no Colab badge in the page",
        )
        download = soup.select_one("article a.nb-download")
        check(
            download is not None and download.get("href") == Path(rel).name,
            f"{rel}: no '下载 .ipynb' link to {Path(rel).name}",
        )
        print(f"  {rel}: {len(outputs)} outputs, {len(plots)} images")

    index = BeautifulSoup((SITE / "index.html").read_text(encoding="utf-8"), "html.parser")
    linked = {a["href"].split("#")[0] for a in index.select("article a[href]")}
    unlinked = [rel for rel in notebooks if rel.replace(".ipynb", ".html") not in linked]
    check(not unlinked, f"index.html: no link to the pages of {unlinked}")

    # 网页引用的资源（脚本、样式、图片、字体）都必须在本站：离线也能看。
    pages = sorted(p for p in SITE.rglob("*.html") if p.relative_to(SITE).parts[0] != "_static")
    fetched = "script[src], img[src], source[src], iframe[src], video[src], audio[src], link[href]"
    remote = []
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag in soup.select(fetched):
            if tag.name == "link" and not {"stylesheet", "preload", "modulepreload", "icon"} & set(
                tag.get("rel", [])
            ):
                continue  # 普通的 <link>（如 index、search、prev/next）不会被浏览器去取
            url = tag.get("src") or tag.get("href")
            if re.match(r"(https?:)?//", url):
                remote.append(f"{page.relative_to(SITE)}: <{tag.name}> {url}")
    for css in SITE.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?((?:https?:)?//[^)'\"]+)", css.read_text("utf-8")):
            remote.append(f"{css.relative_to(SITE)}: url({url})")
    check(not remote, f"resources on the web: {remote[:10]}")
    check_finish(pages)
    skip = {"genindex.html", "search.html"}
    return [p.relative_to(SITE).as_posix() for p in pages if p.name not in skip]


# 主题里没翻译的英文界面文字（docs/conf.py 的 UI_TEXT 换掉了它们）
ENGLISH_UI = (
    "Search...",
    "Toggle primary sidebar",
    "Toggle secondary sidebar",
    "Launch on Colab",
    "Color mode",
    "System Settings",
    "Author name not set",
    "Toggle hidden content",
    "Show code cell",
    "Hide code cell",
)


def check_finish(pages: list[Path]) -> None:
    """Finished pages (issue 27) and the main path on the site (issue 26): no English interface
    text, the project as author, a favicon; 选读 sections collapsible, tool cells' code behind a
    toggle, the 本章路线 runtime filled in."""
    english = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        english += [f"{page.relative_to(SITE)}: {w!r}" for w in ENGLISH_UI if w in text]
    check(not english, f"English interface text left: {english[:5]}")
    index = BeautifulSoup((SITE / "index.html").read_text(encoding="utf-8"), "html.parser")
    icon = index.select_one('link[rel~="icon"]')
    check(
        icon is not None and (SITE / icon["href"].split("?")[0]).is_file(),
        "index.html: no favicon",
    )
    author = index.select_one(".component-author")
    check(
        author is not None and "PyTorch 入门 notebooks" in author.get_text(),
        f"footer author is {author.get_text(' ', strip=True) if author else None!r}",
    )
    sources = index.select_one("article section#源文章与勘误, article [id='源文章与勘误']")
    check(sources is not None, "index.html: no 源文章与勘误 section on the home page")
    github = [
        a["href"]
        for a in index.select("article a[href]")
        if "github.com" in a["href"] and "#" in a["href"]
    ]
    check(not github, f"index.html: links into the README on GitHub: {github[:3]}")
    optional = hidden = 0
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for section in soup.select("article section"):
            heading = section.find(re.compile(r"^h[1-6]$"))
            if heading is None or "选读" not in heading.get_text():
                continue
            optional += 1
            block = section.find("details", class_="optional-block", recursive=False)
            check(
                block is not None,
                f"{page.relative_to(SITE)}: 选读 section "
                f"{heading.get_text(strip=True)[:40]!r} is not collapsible",
            )
        for cell in soup.select("div.cell.tag_hide-input"):
            hidden += 1
            code = cell.select_one("div.cell_input")
            check(
                code is not None and code.find_parent("details") is not None,
                f"{page.relative_to(SITE)}: a hide-input cell shows its code",
            )
        text = soup.get_text()
        check("<!-- runtime -->" not in text, f"{page.relative_to(SITE)}: runtime marker left")
    print(f"  finish: {optional} 选读 section(s), {hidden} hidden tool cell(s)")


# --- 2. 浏览器 --------------------------------------------------------------------------------


PAGE_STATE_JS = """
async () => {
  // 等 MathJax 排版完（本站的 MathJax 3，从 _static/mathjax 加载）
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  // 等所有图片加载完；懒加载的图片改成立即加载
  const imgs = Array.from(document.images);
  imgs.forEach((img) => { img.loading = "eager"; });
  await Promise.all(imgs.map((img) => img.complete ? null : new Promise((r) => {
    img.addEventListener("load", r); img.addEventListener("error", r);
  })));
  await Promise.all(imgs.map((img) => img.decode ? img.decode().catch(() => null) : null));
  const broken = imgs.filter((img) => !(img.naturalWidth > 0)).map((img) => img.src);
  // 公式：myst 把 $…$ 变成 span.math / div.math，MathJax 在里面生成 mjx-container
  const mathNodes = Array.from(document.querySelectorAll("span.math, div.math"));
  const untypeset = mathNodes.filter((n) => !n.querySelector("mjx-container"))
    .map((n) => n.textContent.slice(0, 80));
  const mathErrors = Array.from(document.querySelectorAll("mjx-merror"))
    .map((n) => n.getAttribute("data-mjx-error") || n.textContent);
  // 正文里不应再有原样的 $…$（代码块、输出、公式本身除外）
  const article = document.querySelector("article") || document.body;
  const clone = article.cloneNode(true);
  clone.querySelectorAll("pre, code, mjx-container, script, style, .math")
    .forEach((n) => n.remove());
  const text = clone.textContent;
  const raw = (text.match(/\\$[^$\\n]{1,120}\\$|\\\\\\(|\\\\\\[/g) || []).slice(0, 5);
  return {
    broken, untypeset, mathErrors, raw,
    math: document.querySelectorAll("mjx-container").length,
    images: imgs.length,
  };
}
"""


OVERFLOW_JS = """
() => {
  const overflow = document.documentElement.scrollWidth - window.innerWidth;
  const culprits = overflow <= 1 ? [] : Array.from(document.querySelectorAll("article *"))
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
    .filter((el) => !el.closest("pre, div.math, mjx-container, .pst-scrollable-table-container"))
    .slice(0, 3).map((el) => el.tagName + "." + el.className + ": " + el.textContent.slice(0, 40));
  return {overflow, culprits};
}
"""


def check_browser(urls: list[str], chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    server, base = serve(SITE)
    blocked: list[str] = []
    bad_responses: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 900})

            def route(route):
                if is_served(route.request.url):
                    route.continue_()
                else:
                    blocked.append(route.request.url)
                    route.abort()

            context.route("**/*", route)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
            page.on(
                "console",
                lambda msg: (
                    errors.append(f"console.{msg.type}: {msg.text}")
                    if msg.type == "error"
                    else None
                ),
            )
            page.on(
                "response",
                lambda r: bad_responses.append(f"{r.status} {r.url}") if r.status >= 400 else None,
            )

            print(f"[check] browser: {len(urls)} page(s) at {base}")
            t0 = time.perf_counter()
            for url in urls:
                errors.clear()
                page.goto(base + url, wait_until="load")
                state = page.evaluate(PAGE_STATE_JS)
                check(not state["broken"], f"{url}: images did not load: {state['broken']}")
                check(not state["untypeset"], f"{url}: formulas not typeset: {state['untypeset']}")
                check(not state["mathErrors"], f"{url}: MathJax errors: {state['mathErrors']}")
                check(not state["raw"], f"{url}: raw TeX left in the text: {state['raw']}")
                check(not errors, f"{url}: JavaScript errors: {errors}")
                # 手机宽度（390 px）：页面不能横向滚动（宽的代码、公式、表格在自己的框里滚动）
                page.set_viewport_size({"width": 390, "height": 844})
                wide = page.evaluate(OVERFLOW_JS)
                page.set_viewport_size({"width": 1280, "height": 900})
                check(
                    wide["overflow"] <= 1,
                    f"{url}: at 390 px the page scrolls sideways by {wide['overflow']} px "
                    f"(widest: {wide['culprits']})",
                )
                print(f"  {url}: {state['images']} images, {state['math']} formulas")

            t1 = time.perf_counter()
            check_search(page, base)
            check_glossary_search(page, base)
            t2 = time.perf_counter()
            screenshots(browser, base)
            print(
                f"  browser: pages {t1 - t0:.1f} s, searches {t2 - t1:.1f} s, "
                f"screenshots {time.perf_counter() - t2:.1f} s"
            )
            browser.close()
    finally:
        server.shutdown()
    check(not blocked, f"the site asked for resources on the web: {sorted(set(blocked))}")
    check(not bad_responses, f"HTTP errors while loading the site: {sorted(set(bad_responses))}")


RESULTS_JS = """
() => Array.from(document.querySelectorAll('#search-results li')).map((li) => {
  const a = li.querySelector('a');
  const p = li.querySelector('p.context');
  return [a.getAttribute('href'), p ? p.textContent : null];
})
"""
NO_RESULTS = "zqxjkv 吖吖吖"  # 书里没有的字：看“没有结果”时的说明


SEARCH_AGAIN_JS = """
([q, summaries]) => {
  // 摘要要把每个结果页面取回来解析一遍（大的章节页各要几百毫秒）：只检查名次时不取
  DOCUMENTATION_OPTIONS.SHOW_SEARCH_SUMMARY = summaries;
  document.getElementById("search-results").replaceChildren();
  document.querySelectorAll('input[name="q"]').forEach((el) => { el.value = q; });
  Search.performSearch(q);
}
"""


def search_box(
    page, base: str, query: str, real: bool = True, summaries: bool = False
) -> tuple[list[str], list[str], str]:
    """像读者一样：打开首页，点搜索框，输入，回车。返回 (结果页面，按名次、去重；摘要；说明文字)。

    real=False: already on the search page, run the query as the page does after Enter
    (Search.performSearch: the same parsing, ranking and display code), without reloading."""
    if real:
        page.goto(base + "index.html", wait_until="load")
        page.locator("button.search-button__button, .search-button-field").first.click()
        box = page.locator("#pst-search-dialog input[name=q]")
        box.wait_for(state="visible")
        box.fill(query) if len(query) > 12 else box.type(query)  # 长的报错消息：粘贴
        box.press("Enter")
        page.wait_for_url(re.compile(r"search\.html\?q="))
    else:
        page.evaluate(SEARCH_AGAIN_JS, [query, summaries])
    page.wait_for_function(
        "() => { const s = document.querySelector('#search-results .search-summary');"
        " return s && s.textContent.trim().length > 0; }",
        timeout=30_000,
    )
    results = page.evaluate(RESULTS_JS)
    pages: list[str] = []
    for href, _ in results:
        url = href.split("#")[0].split("?")[0]
        if url not in pages:
            pages.append(url)
    summary = page.locator("#search-results .search-summary").inner_text()
    return pages, [s for _, s in results if s], summary


def check_search(page, base: str, queries=None) -> None:
    """docs/search_queries.csv, each typed into the real search box: the page it asks for is
    among the first `top` result pages. Snippets carry no theme text and no raw TeX; the
    no-results text is in Chinese and gives no advice that does not apply."""
    t0 = time.perf_counter()
    full = queries is None
    queries = reader_queries() if full else queries
    found = 0
    typed = 0
    for query, wants, top, why in queries:
        # 评审里找不到的那几条和第一条报错消息在首页的搜索框里输入；其余在搜索页上接着搜
        real = (
            not full
            or "评审" in why
            or typed == 0
            or not page.url.split("?")[0].endswith("search.html")
        )
        typed += real
        pages, _, _ = search_box(page, base, query, real)
        ok = any(w in pages[:top] for w in wants)
        found += ok
        check(
            ok,
            f"search {query!r} ({why}): {' or '.join(wants)} not in the first {top} "
            f"result pages {pages[: top + 2]}",
        )
    print(
        f"  search box: {found}/{len(queries)} reader queries find their page in the top results "
        f"({typed} typed on the home page, the rest on the search page; "
        f"{time.perf_counter() - t0:.1f} s)"
    )
    if not full:
        return
    # 摘要：等摘要都取回来，再看有没有主题文字或原样 TeX
    for query in SNIPPET_QUERIES:
        search_box(page, base, query, real=False, summaries=True)
        page.wait_for_function(
            "() => document.querySelectorAll('#search-results p.context').length"
            " >= Math.min(3, document.querySelectorAll('#search-results li').length)",
            timeout=30_000,
        )
        snippets = [s for _, s in page.evaluate(RESULTS_JS) if s]
        check(snippets, f"search {query!r}: no snippets under the results")
        leaks = [(m.group(0), s[:80]) for s in snippets for m in SNIPPET_LEAKS.finditer(s)]
        check(not leaks, f"search {query!r}: snippets contain theme text or raw TeX: {leaks[:3]}")
    pages, _, summary = search_box(page, base, NO_RESULTS)
    check(
        not pages
        and "分类" not in summary
        and "categor" not in summary
        and re.search(f"[{rules.HAN}]", summary) is not None,
        f"search without results: the text is {summary!r}",
    )
    title = page.locator("#search-results h2").first.inner_text()
    check(title.strip() in ("搜索结果",), f"search results heading is {title!r}, not 搜索结果")


# --- 术语表与附录的搜索（issues 21、20） ----------------------------------------------------

# 搜索页里直接调用 Sphinx 自己的搜索代码（searchtools.js：_parseQuery → _performSearch，
# 与搜索框回车后执行的是同一段代码），一次算完所有查询，不必每个词都重新加载页面。
RUN_SEARCHES_JS = """
(queries) => queries.map((q) => {
  const results = Search._performSearch(...Search._parseQuery(q));
  return [...new Set(results.map((r) => r[0]))];
})
"""


def appendix_messages() -> list[tuple[str, str]]:
    """(heading, message) for every error entry of the appendix: a `### N. ` heading whose first
    inline code span starts with an exception or warning class name."""
    path = ROOT / APPENDIX
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = []
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        for line in rules.source(cell).splitlines():
            m = APPENDIX_ENTRY.match(line)
            if m and ERROR_CLASS.match(m.group(1)):
                found.append((line.split("`")[0].strip("# "), m.group(1)))
    return found


def check_glossary_page() -> None:
    """glossary.html: every term, each linking to an anchor that exists in its page."""
    page = SITE / rules.GLOSSARY_HTML
    if not check(page.is_file(), "no glossary page build/site/glossary.html"):
        return
    index = BeautifulSoup((SITE / "index.html").read_text(encoding="utf-8"), "html.parser")
    check(
        index.select_one(f'article a[href="{rules.GLOSSARY_HTML}"]') is not None,
        "index.html: no link to the glossary page",
    )
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    links = {a.get_text(strip=True): a["href"] for a in soup.select("article td a[href]")}
    ids: dict[str, set[str]] = {}
    entries = glossary.load()
    for e in entries:
        href = links.get(e.zh)
        want = "notebooks/" + e.notebook.replace(".ipynb", ".html")
        if not check(href is not None, f"glossary.html: no link for {e.zh}（{e.en}）"):
            continue
        target, _, anchor = href.partition("#")
        check(target == want, f"glossary.html: {e.zh} links to {target}, not {want}")
        if target not in ids:
            html = (SITE / target).read_text(encoding="utf-8") if (SITE / target).is_file() else ""
            ids[target] = set(re.findall(r'\sid="([^"]+)"', html))
        check(
            not anchor or anchor in ids[target],
            f"glossary.html: {e.zh} links to #{anchor}, which {target} does not have",
        )
    print(f"  glossary.html: {len(entries)} term(s), {len(links)} link(s)")


def check_glossary_search(page, base: str) -> None:
    """Every glossary term (中文, English, 又作, parts of 中文) finds its chapter; every appendix
    message finds the appendix page. Also one message pasted into the real search box."""
    global passed
    t0 = time.perf_counter()
    queries = glossary.search_queries(glossary.load())
    appendix = []
    if check((ROOT / APPENDIX).is_file(), f"{APPENDIX} is missing (the appendix search check)"):
        appendix = appendix_messages()
        check(appendix, f"{APPENDIX}: no '### N. `SomeError: message`' headings found")
    appendix_page = APPENDIX.removesuffix(".ipynb")
    queries += [(msg, [appendix_page], f"appendix {head}") for head, msg in appendix]

    page.goto(base + "search.html", wait_until="load")
    page.wait_for_function(
        "() => typeof Search !== 'undefined' && Search.hasIndex()", timeout=30_000
    )
    found = page.evaluate(RUN_SEARCHES_JS, [q for q, _, _ in queries])
    misses = [
        f"{q!r} ({why}): {' or '.join(want)} not among the results {sorted(pages)[:6]}"
        for (q, want, why), pages in zip(queries, found, strict=True)
        if not set(want) & set(pages)
    ]
    for miss in misses:
        check(False, f"search {miss}")
    passed += len(queries) - len(misses)
    print(
        f"  search: {len(queries) - len(misses)}/{len(queries)} glossary and appendix queries "
        "find their page "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    if appendix:  # 真的在搜索框里贴一条完整的报错消息
        check_search(page, base, [(appendix[0][1], [appendix_page + ".html"], 3, "appendix")])


def screenshots(browser, base: str) -> None:
    """桌面（1280 px）与手机（390 px，3 倍屏）截图，供人看：中文、公式、图、布局。"""
    SHOTS.mkdir(parents=True, exist_ok=True)
    shots = [
        ("desktop", {"width": 1280, "height": 900}, 1),
        ("phone", {"width": 390, "height": 844}, 2),
    ]
    targets = [
        ("index", "index.html", None),
        ("01-top", "notebooks/01_tensor_basics.html", None),
        ("01-broadcast", "notebooks/01_tensor_basics.html", "广播"),
        ("03-top", "notebooks/03_cifar10_blitz.html", None),
        ("03-formula", "notebooks/03_cifar10_blitz.html", "1. 定义网络"),
        ("03-summary", "notebooks/03_cifar10_blitz.html", "汇总"),
        ("03-optional", "notebooks/03_cifar10_blitz.html", "选读"),
        ("04-math", "notebooks/04_backprop_gpu.html", "什么是反向传播"),
        ("04-plot", "notebooks/04_backprop_gpu.html", "css:div.cell_output img"),
        ("05-top", "notebooks/05_common_errors.html", None),
        ("05-entry", "notebooks/05_common_errors.html", "_SingleProcessDataLoaderIter"),
        ("glossary", "glossary.html", None),
        ("search", "search.html?q=" + quote("梯度累加"), None),
    ]
    for label, viewport, scale in shots:
        context = browser.new_context(viewport=viewport, device_scale_factor=scale)
        context.route("**/*", lambda r: r.continue_() if is_served(r.request.url) else r.abort())
        page = context.new_page()
        loaded = None
        for name, url, heading in targets:
            if not (SITE / url.split("?")[0]).is_file():
                continue
            if url != loaded:  # 同一页的几张截图只加载一次
                page.goto(base + url, wait_until="load")
                page.evaluate(PAGE_STATE_JS)
                loaded = url
            else:
                page.evaluate("() => window.scrollTo(0, 0)")
            if url.startswith("search.html"):  # 等搜索结果列出来
                page.wait_for_function(
                    "() => { const s = document.querySelector('#search-results .search-summary');"
                    " return s && s.textContent.trim().length > 0; }",
                    timeout=30_000,
                )
            if heading:  # 小节标题，或 "css:选择器"（取最后一个，例如最后一张图）
                if heading.startswith("css:"):
                    target = page.locator(heading.removeprefix("css:")).last
                else:
                    target = page.locator("h1, h2, h3", has_text=heading).first
                if target.count():
                    target.scroll_into_view_if_needed()
                    page.evaluate("() => window.scrollBy(0, -70)")
            time.sleep(0.2)
            page.screenshot(path=SHOTS / f"{label}-{name}.png")
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - window.innerWidth"
            )
            check(overflow <= 1, f"{url}: the page is {overflow} px wider than the {label} screen")
        context.close()
    print(f"[check] screenshots in {SHOTS.relative_to(ROOT)}/")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_chromium_option(parser)
    parser.add_argument("--no-browser", action="store_true", help="file checks only")
    args = parser.parse_args()
    t0 = time.perf_counter()
    if not (SITE / "index.html").is_file():
        print("[check] no build/site/index.html: run publish/build_site.py first", file=sys.stderr)
        return 1
    notebooks = [p.relative_to(ROOT).as_posix() for p in rules.notebook_paths()]
    urls = check_files(notebooks)
    check_glossary_page()
    pdf_texts = check_pdf.start_pdf_texts()  # 另一个进程，与浏览器检查同时进行
    t1 = time.perf_counter()
    if not args.no_browser:
        check_browser([quote(u) for u in urls], args.chromium)
    t2 = time.perf_counter()
    check_pages.check_all(check, notebooks)
    t3 = time.perf_counter()
    check_pdf.check_pdfs(check, notebooks, pdf_texts)
    t4 = time.perf_counter()
    print(
        f"[check] files {t1 - t0:.1f} s, browser {t2 - t1:.1f} s, pages {t3 - t2:.1f} s, "
        f"PDF {t4 - t3:.1f} s"
    )
    for line in failures:
        print(f"  - {line}", file=sys.stderr)
    # 最后一行是 “N passed, N failed” 的格式，与测试运行器的结尾一致。
    print(f"site: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
