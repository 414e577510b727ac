"""Sphinx 配置：把执行过的笔记本做成网站（myst-nb + sphinx-book-theme）。

Sphinx configuration for the website of the executed notebooks. Do not run sphinx-build on
this folder directly: `python publish/build_site.py` stages the executed copies that `pytest`
left in build/executed/ into build/site-src/ and builds build/site/ with this file
(`sphinx-build -c docs`). Nothing is executed here (nb_execution_mode = "off") and nothing
is fetched from the web, at build time or when a reader opens a page:
- the theme's CSS/JS/icons are bundled in its wheel;
- MathJax 3 is copied from the `django-static-mathjax` wheel into _static/mathjax/;
- the "Open in Colab" badge image is a local SVG (docs/_static/colab-badge.svg);
- ipywidgets' CDN scripts are off (tqdm bars are rendered as text by publish/build_site.py);
- no intersphinx, no web fonts.
"""

from __future__ import annotations

import html
import logging
import re
import shutil
import sys
from importlib import resources
from pathlib import Path

import jieba
from sphinx.search.zh import SearchChinese

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT / "tools"))
import glossary  # noqa: E402  (tools/glossary.py: the glossary, and the words search needs)
import rules  # noqa: E402  (tools/rules.py: the shared rules)

GITHUB_REPO = rules.github_repo()
COLAB_BADGE_URL = "https://colab.research.google.com/assets/colab-badge.svg"

# -- 项目 -------------------------------------------------------------------------------
project = "PyTorch 入门 notebooks"
# 主题在每页页脚印“作者：…”：写项目名（不设时是 “Author name not set”）。
author = project
language = "zh_CN"
extensions = ["myst_nb"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# -- myst / myst-nb -----------------------------------------------------------------------
# 笔记本里的公式是 $…$ 和 $$…$$（dollarmath），也可能有 \begin{align} 等（amsmath）。
myst_enable_extensions = ["dollarmath", "amsmath"]
# 标题锚点（#112-更好的训练配方）一直到 ####：术语表链接到讲每个术语的那一节。
myst_heading_anchors = 4
# 只读 build/executed/ 里 pytest 执行过的副本，绝不在这里再执行一遍。
nb_execution_mode = "off"
# 不从 CDN 加载 ipywidgets 的 require.js / html-manager。
nb_ipywidgets_js: dict = {}
# 相邻的 stdout 输出合成一块，和 JupyterLab 里看到的一样。
nb_merge_streams = True
# 标着 hide-input 的格（tools/mainpath.py：第一行是 “# @title …” 的工具代码）：代码收在一个开关后面
nb_code_prompt_show = "展开工具代码（不必细看）"
nb_code_prompt_hide = "收起工具代码"

# -- HTML ---------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"
html_css_files = ["custom.css"]
# 中文搜索（问题、不加空格、贴报错消息）：见 _static/search-zh.js；defer，在 searchtools.js 之后执行。
html_js_files = [("search-zh.js", {"defer": "defer"}), ("book.js", {"defer": "defer"})]
html_last_updated_fmt = None
# 不另存一份源文件（_sources/）：下载链接给的是仓库里的笔记本，搜索摘要取自网页本身。
html_copy_source = False
# 明暗模式默认跟随系统；不设时 pydata-sphinx-theme 在第一次访问时往控制台报错（mode 为空）。
html_context = {"default_mode": "auto"}
html_theme_options = {
    "repository_url": f"https://github.com/{GITHUB_REPO}",
    "repository_branch": "main",
    "path_to_docs": "",  # 暂存目录的布局与仓库相同：notebooks/…、notebooks/solutions/…
    "use_repository_button": True,
    "use_download_button": False,  # 每页正文里有自己的“下载 .ipynb”链接（见下）
    "launch_buttons": {"colab_url": "https://colab.research.google.com"},
    "home_page_in_toc": True,
    "show_toc_level": 2,
    # 搜索框只放在左侧栏（和页头按钮里），不在页面顶上再放一个。
    "navbar_persistent": [],
    "search_bar_text": "搜索本书（可以直接输入问题或报错消息）",
}

# 主题里没有中文翻译的按钮提示与无障碍标签（pydata-sphinx-theme 0.20 / sphinx-book-theme 1.4）。
# 生成之后在每个网页里原样替换；publish/check_site.py 检查这些英文不再出现。
UI_TEXT = {
    'title="Toggle primary sidebar"': 'title="显示或隐藏全书目录"',
    'title="Toggle secondary sidebar"': 'title="显示或隐藏本页目录"',
    'aria-label="Launch interactive content"': 'aria-label="在线运行"',
    'title="Launch on Colab"': 'title="在 Colab 中打开"',
    'title="Color mode"': 'title="明暗模式"',
    'aria-label="Color mode"': 'aria-label="明暗模式"',
    'title="System Settings"': 'title="跟随系统"',
    "System Settings</button>": "跟随系统</button>",
    'aria-label="Main"': 'aria-label="全书目录"',
    'aria-label="Page"': 'aria-label="本页目录"',
    'aria-label="Section Navigation"': 'aria-label="本节导航"',
    'alt="Colab logo"': 'alt="Colab 标志"',
    'aria-label="Toggle hidden content"': 'aria-label="展开或收起"',
}


def translate_ui(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = text
        for english, chinese in UI_TEXT.items():
            new = new.replace(english, chinese)
        if new != text:
            page.write_text(new, encoding="utf-8")


# 中文搜索：Sphinx 用 jieba 给索引分词，而浏览器里的搜索框不分词：输入的词只有在索引里
# 整个存在（三个字以上时，或是索引里某个词的一部分）才找得到。jieba 默认把“标签平滑”切成
# “标签”“平滑”，所以下面的 SearchChineseGlossary 把术语表（docs/glossary.csv，唯一的来源）
# 里的每个术语和它的各个部分加进出现它的每一页的索引。
html_search_language = "zh"
# "dict" 为空：不让 Sphinx 把 jieba 的默认词典当作用户词典再加载一遍（慢，且没有用处）。
# 用这个文档里的选项把术语表作为 jieba 用户词典、不要下面的 split()，实测网站检查有 6 条搜索失败
# （均方、独热、二乘、海森、环图：长术语的一部分；死单元：带引号的写法），所以保留 SearchChineseGlossary。
html_search_options = {"dict": ""}
# jieba 把词典缓存写到 build/（而不是系统临时目录），也不打印加载信息。
jieba.setLogLevel(logging.WARNING)
jieba.dt.tmp_dir = str(ROOT / "build")

# MathJax 3 从站点自己的 _static/mathjax/ 加载（下面的 copy_mathjax 把它拷进去），不用 CDN。
mathjax_path = "mathjax/tex-mml-chtml.js"
# 非空时 myst-parser 把它的设置写进 mathjax3_config（Sphinx 9 否则写 MathJax 4 的配置）。
mathjax3_config = {"tex": {"tags": "ams"}}

# MathJax 3 的 es5 目录里，本站用不到的组合包与 SVG 输出不拷贝（约 15 MB）。
MATHJAX_SKIP = re.compile(
    r"^(tex-chtml|tex-chtml-full|tex-chtml-full-speech|tex-svg|tex-svg-full|tex-mml-svg"
    r"|mml-chtml|mml-svg|node-main)\.js$|^output/svg|^adaptors/"
)


def copy_mathjax(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source = resources.files("mathjax") / "static" / "mathjax"
    with resources.as_file(source) as package:
        es5 = Path(package) / "es5"
        target = Path(app.outdir) / "_static" / "mathjax"
        shutil.rmtree(target, ignore_errors=True)
        for path in sorted(es5.rglob("*")):
            rel = path.relative_to(es5).as_posix()
            if path.is_file() and not MATHJAX_SKIP.search(rel):
                (target / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target / rel)
        shutil.copyfile(Path(package) / "LICENSE", target / "LICENSE")  # Apache-2.0
    if not (target / "tex-mml-chtml.js").is_file():
        raise RuntimeError("MathJax was not copied: is django-static-mathjax installed?")


def copy_committed_notebooks(app, exception) -> None:
    """“下载 .ipynb” 给的是仓库里提交的笔记本（没有输出，与 Colab 打开的一样），放在 HTML 旁边。"""
    if exception is not None or app.builder.format != "html":
        return
    for docname in app.env.found_docs:
        if app.env.doc2path(docname).suffix == ".ipynb":
            target = Path(app.outdir) / f"{docname}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / f"{docname}.ipynb", target)


TOOL_CELL = re.compile(
    r'(<p class="collapsed admonition-title">)[^<]*(</p>(?:(?!</details>).)*?<pre>(?:<span></span>)?'
    r'<span class="c1"># @title ([^<]*)</span>)',
    re.DOTALL,
)
COLAB_LINK = re.compile(
    r'<a class="reference external" href="https://colab\.research\.google\.com/github/[^"]+">'
    r".*?</a>",
    re.DOTALL,
)


def rewrite_page(app, pagename, templatename, context, doctree) -> None:
    """Colab 徽章图换成本站的 SVG；笔记本页在徽章旁加“下载 .ipynb”。"""
    body = context.get("body")
    if not body:
        return
    body = body.replace(COLAB_BADGE_URL, context["pathto"]("_static/colab-badge.svg", 1))
    is_notebook = pagename in app.env.found_docs and app.env.doc2path(pagename).suffix == ".ipynb"
    if is_notebook:
        name = pagename.rsplit("/", 1)[-1] + ".ipynb"
        download = (
            f'<a class="reference nb-download" href="{name}" download="{name}"'
            f' title="下载没有输出的原始笔记本">下载 .ipynb</a>'
        )
        body, found = COLAB_LINK.subn(lambda m: m.group(0) + " " + download, body, count=1)
        if not found:
            body = f'<p class="nb-links">{download}</p>\n' + body
    # 工具代码格（hide-input）的开关上写出它的 “# @title …”，读者不展开也知道这一格是什么
    body = TOOL_CELL.sub(
        lambda m: (
            m.group(1) + html.escape(html.unescape(m.group(3))) + "（点这里展开代码）" + m.group(2)
        ),
        body,
    )
    context["body"] = body


# 中文段落里的换行：浏览器把源文件中的换行显示成一个空格（“运算。 我们”）。两边都是
# 中文字符或全角标点时去掉这个换行，和 JupyterLab 之外的中文排版习惯一致；代码、公式不动。
CJK_BREAK = re.compile(f"(?<=[{rules.CJK}])\n(?=[{rules.CJK}])")
HAN_CHAR = re.compile(f"[{rules.HAN}]")


def join_cjk_lines(app, doctree) -> None:
    from docutils import nodes

    cjk = re.compile(f"[{rules.CJK}]")
    skip = (nodes.literal_block, nodes.literal, nodes.raw, nodes.math, nodes.math_block)
    for text in list(doctree.findall(nodes.Text)):
        parent = text.parent
        if "\n" not in text or parent is None or isinstance(parent, skip):
            continue
        if text.astext() == "\n":  # MyST 把软换行单独做成一个 Text 节点
            # 按身份找位置、按位置删：index()/remove() 按字符串相等找，会找到第一个 "\n"
            i = next(k for k, child in enumerate(parent.children) if child is text)
            before = parent[i - 1].astext() if i > 0 else ""
            after = parent[i + 1].astext() if i + 1 < len(parent) else ""
            if before and after and cjk.match(before[-1]) and cjk.match(after[0]):
                del parent[i]
        else:
            joined = CJK_BREAK.sub("", text.astext())
            if joined != text.astext():
                parent.replace(text, nodes.Text(joined))


class SearchChineseGlossary(SearchChinese):
    """中文搜索，加上术语表；并绕过 Sphinx 9.0 的一个缺陷（见下）。

    Glossary: wherever a glossary term occurs in a page's text, the page's index also gets the
    term, its pieces and its jieba parts (glossary.search_words), so typing 标签平滑, 平滑 or
    归一化 into the search box finds the chapter that explains it. One-character terms (秩, 轮,
    批, 块) are kept too, although Chinese search drops one-character words otherwise.
    publish/check_site.py searches every glossary term in the browser.

    Sphinx 9.0 的中文搜索在浏览器里报 “ChineseStemmer is not defined”，搜索永远停在“正在搜索”。

    Sphinx 9.0.x (the last release for Python 3.11) writes `window.Stemmer = ChineseStemmer;`
    into language_data.js, but zh search ships the *English* stemmer (english-stemmer.js), so
    no search ever finishes: sphinx-doc/sphinx#14229, fixed upstream by #14416. The class name
    comes from `language_name`; naming the stemmer that is really there fixes it, and is
    harmless on Sphinx versions that derive the name from the file instead.
    publish/check_site.py runs real searches, so a regression shows up there.
    """

    language_name = "English"

    def __init__(self, options: dict[str, str]) -> None:
        super().__init__(options)
        self.glossary_words = glossary.search_words(glossary.load())
        self.single = {w for ws in self.glossary_words.values() for w in ws if len(w) == 1}

    def split(self, input: str) -> list[str]:
        words = super().split(input)
        if HAN_CHAR.search(input):
            text = glossary.plain(input)  # 与术语表核对笔记本时同样的规范化：“死”单元 → 死单元
            for term, extra in self.glossary_words.items():
                if term in text:
                    words.extend(extra)
        return words

    def word_filter(self, stemmed_word: str) -> bool:
        return super().word_filter(stemmed_word) or stemmed_word in self.single


# 笔记本里的锚点：Markdown 单独一行的 <a id="err-…"></a>（JupyterLab 认它，链接 05_common_errors.ipynb#err-…
# 能跳过去）。Sphinx 不认识原样的 HTML：这里把它换成它所在小节的一个 id，并登记为标签，
# 这样别的页面的 [..](05_common_errors.ipynb#err-…) 能被 myst 解析（否则 -W 下报 local id not found）。
RAW_ANCHOR = re.compile(r'^<a id="([A-Za-z][\w-]*)"></a>$')


def raw_html_anchors(app, doctree) -> None:
    from docutils import nodes

    std = app.env.domains.standard_domain
    for paragraph in list(doctree.findall(nodes.paragraph)):
        children = paragraph.children
        if not children or not all(
            isinstance(c, nodes.raw) or not c.astext().strip() for c in children
        ):
            continue
        match = RAW_ANCHOR.match("".join(c.astext() for c in children).strip())
        section = paragraph.parent
        if not match or not isinstance(section, nodes.section):
            continue
        anchor = match.group(1)
        section["ids"].append(anchor)
        doctree.ids[anchor] = section
        std.anonlabels[anchor] = (app.env.docname, anchor)
        std.labels[anchor] = (app.env.docname, anchor, section[0].astext())
        section.remove(paragraph)


# 选读（issue 26）：标题里有「选读」的一节，标题之下的内容收进 <details>（默认收起，点开看），
# 打印 PDF 时 publish/build_pdf.py 把它们全部展开，并在左侧画一条竖线。
OPTIONAL = "选读"
OPTIONAL_SUMMARY = "选读：主线之外的深入内容，第一次读可以跳过。点这里展开"


def optional_sections(app, doctree) -> None:
    from docutils import nodes

    for section in list(doctree.findall(nodes.section)):
        if not section.children or not isinstance(section[0], nodes.title):
            continue
        if OPTIONAL not in section[0].astext():
            continue
        section["classes"].append("optional-section")
        opening = f'<details class="optional-block"><summary>{OPTIONAL_SUMMARY}</summary>'
        section.insert(1, nodes.raw("", opening, format="html"))
        section.append(nodes.raw("", "</details>", format="html"))


def setup(app):
    app.add_search_language(SearchChineseGlossary)
    app.connect("doctree-read", raw_html_anchors, priority=400)
    app.connect("doctree-read", join_cjk_lines)
    app.connect("doctree-read", optional_sections)
    app.connect("html-page-context", rewrite_page)
    app.connect("build-finished", copy_mathjax)
    app.connect("build-finished", translate_ui)
    app.connect("build-finished", copy_committed_notebooks)
    return {"parallel_read_safe": True}
