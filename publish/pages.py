"""网页的内容：执行过的笔记本与 README 在交给 Sphinx 之前要做的改动。

What publish/build_site.py changes in the staged copies before Sphinx reads them: tqdm's
progress widgets become the line of text they ended as; relative links to files of the
repository that have no page point to GitHub; the home page is README's lead (the table of
notebooks) with the measured times of this run and the links to the two PDFs.
"""

from __future__ import annotations

import html
import os
import re
import sys
from pathlib import Path

from stamps import built_from, device_text, format_seconds, is_gpu  # publish/stamps.py

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import rules  # noqa: E402  (tools/rules.py: the shared rules)

GITHUB_REPO = rules.github_repo()
GLOSSARY_PAGE = "glossary.md"  # publish/build_site.py 把术语表页放在首页旁边
# PDF 的文件名：publish/build_pdf.py 写到 build/site/ 下，首页链接它们
BOOK_PDF = "pytorch-notebooks.pdf"  # 首页的“下载 PDF”
SOLUTIONS_PDF = "pytorch-notebooks-solutions.pdf"

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


# --- tqdm 进度条 ----------------------------------------------------------------------------
# tqdm.auto 在 Jupyter 内核里显示的是 ipywidgets 小部件（HBox：左边文字、进度条、右边文字）。
# 它的最终状态存在 nb.metadata.widgets 里；输出本身的 text/plain 只是刚创建时的样子（0%）。
# 不加载 ipywidgets 的 JavaScript（它来自 CDN），而是把最终状态还原成 tqdm 在终端里的那一行文字。


def _widget_text(model_id: str, models: dict) -> str | None:
    model = models.get(model_id)
    if model is None or model.get("model_name") != "HBoxModel":
        return None
    parts = []
    for ref in model["state"].get("children", []):
        child = models.get(ref.removeprefix("IPY_MODEL_"))
        if child is None:
            return None
        name, state = child.get("model_name"), child["state"]
        if name == "HTMLModel":
            parts.append(html.unescape(re.sub(r"<[^>]+>", "", state.get("value", ""))))
        elif name in ("FloatProgressModel", "IntProgressModel"):
            total = state.get("max") or 0
            frac = min(max(state.get("value", 0) / total, 0.0), 1.0) if total else 0.0
            filled = round(frac * 10)
            parts.append("|" + "█" * filled + " " * (10 - filled) + "|")
        else:
            return None
    return "".join(parts).strip()


def render_widgets_as_text(nb) -> int:
    """tqdm 小部件 → 最终状态的一行文字；状态里找不到的小部件（已关闭，如 leave=False）不显示。"""
    models = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    count = 0
    for cell in nb.cells:
        kept = []
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is not None:
                model_id = view.get("model_id", "")
                if model_id not in models:
                    continue  # 已关闭的小部件：Jupyter 里也看不到
                text = _widget_text(model_id, models)
                if text is not None:
                    output["data"] = {"text/plain": text}
                    count += 1
            kept.append(output)
        if cell.cell_type == "code":
            cell.outputs = kept
    nb.metadata.pop("widgets", None)
    return count


# --- 链接与首页 ----------------------------------------------------------------------------------


def title_of(nb) -> str:
    first = nb.cells[0].source.splitlines()[0] if nb.cells else ""
    return first.lstrip("#").strip()


def link_repo_files(markdown: str, base: str, pages: set[str]) -> str:
    """相对链接：指向有网页的笔记本的保持不变（MyST 把它变成页面链接）；指向仓库里其他
    文件或目录的（如 README.md、data/）改成 GitHub 上的地址。找不到的不动，让 Sphinx 报警告。

    `base` is the folder (relative to the repository) of the document the links are in.
    """

    def fix(match: re.Match) -> str:
        target = match.group(1)
        path, _, anchor = target.partition("#")
        if not path or re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", target):
            return match.group(0)  # 页内锚点、http(s)、mailto…
        rel = os.path.normpath(os.path.join(base, path)).replace(os.sep, "/")
        if rel in pages or rel.startswith("../") or not (ROOT / rel).exists():
            return match.group(0)
        kind = "tree" if (ROOT / rel).is_dir() else "blob"
        url = f"https://github.com/{GITHUB_REPO}/{kind}/main/{rel}"
        return f"]({url}{'#' + anchor if anchor else ''})"

    return re.sub(r"\]\(([^)\s]+)\)", fix, markdown)


# 一段话里有测量（秒、分钟、百分数、几分之几）：首页不用 README 手写的这些数
MEASURED = re.compile(
    r"\d[\d.,]*\s*(?:秒|分钟|%)|[一二三四五六七八九十]+分之[一二三四五六七八九十]+"
)
MEASURED_NOTE = "<!-- measured-note -->"
SOURCES = "源文章与勘误"


def home_page(staged: dict[str, str], glossary_page: bool) -> str:
    """首页 = README 开头（标题、简介、笔记本表格及其说明，直到第一个 “## ”）+ 目录。

    Single source: the table is taken from README.md, not retyped. Links to notebooks stay
    relative (MyST turns them into links to the pages); any other relative link or #anchor
    points to the repository on GitHub.
    """
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lead = readme.split("\n## ", 1)[0].rstrip()
    # README 里手写的测量（“约 53%”“三分之二”“测于 2026-12-03”）不上首页：换成这次运行的说明
    paragraphs = lead.split("\n\n")
    typed = [p for p in paragraphs if not p.lstrip().startswith("|") and MEASURED.search(p)]
    if typed:
        at = paragraphs.index(typed[0])
        paragraphs = [p for p in paragraphs if p not in typed]
        paragraphs.insert(at, MEASURED_NOTE)
    lead = "\n\n".join(paragraphs)
    # README 的「源文章与勘误」一节也放上首页（首页的链接指向它，而不是 GitHub）
    sources = re.search(rf"^## {SOURCES}\n(.*?)(?=^## |^---)", readme, re.M | re.S)
    local = {SOURCES} if sources else set()

    def anchor(match: re.Match) -> str:
        if match.group(1).lstrip("#") in local:
            return match.group(0)
        return f"](https://github.com/{GITHUB_REPO}{match.group(1)})"

    lead = re.sub(r"\]\((#[^)\s]+)\)", anchor, lead)
    lead = link_repo_files(lead, ".", set(staged))
    if sources and MEASURED_NOTE in lead:
        lead = lead.replace(
            MEASURED_NOTE, MEASURED_NOTE + f"源文章的情况见下文[「{SOURCES}」](#{SOURCES})。"
        )
    parts = [lead, ""]
    unlisted = [rel for rel in staged if f"]({rel})" not in lead]
    if unlisted:
        parts += ["## 参考答案" if all("solutions/" in r for r in unlisted) else "## 其他页面", ""]
        parts += [f"- [{staged[rel]}]({rel})" for rel in unlisted]
        parts.append("")
    commit = built_from()
    parts += [
        "每一页都是一次 `pytest` 运行中执行过的笔记本：文字、代码、输出和图都来自那次运行"
        + (f"（提交 `{commit}`）" if commit else "")
        + "。想自己运行，点页面上的 Colab 徽章，或下载 `.ipynb`。",
        "",
    ]
    if sources:
        parts += [
            f"## {SOURCES}",
            "",
            link_repo_files(sources.group(1).strip(), ".", set(staged)),
            "",
        ]
    for caption, group in (("章节", False), ("参考答案", True)):
        docs = [rel for rel in staged if ("solutions/" in rel) == group]
        if docs:
            entries = "\n".join(rel.removesuffix(".ipynb") for rel in docs)
            parts += [f"```{{toctree}}\n:hidden:\n:caption: {caption}\n\n{entries}\n```", ""]
    if glossary_page:
        parts += [
            f"[中英术语表]({GLOSSARY_PAGE})：本书讲到的每个术语（中文、English），链接到讲它的那一节。",
            "",
            f"```{{toctree}}\n:hidden:\n:caption: 术语表\n\n{GLOSSARY_PAGE.removesuffix('.md')}\n```",
            "",
        ]
    return "\n".join(parts)


def _cells(row: str) -> list[str]:
    return row.strip().strip("|").split("|")


def measured_home_page(home: str, verified: dict[str, dict]) -> str:
    """首页：README 表格里 “CPU 用时”/“GPU 用时” 两列换成这次运行测出的用时（GPU 上跑的
    写进 GPU 列），表格下说明用时来自哪次运行；开头加“下载 PDF”。README 本身不变。"""
    lines = home.split("\n")
    columns: dict[str, int] = {}
    for i, line in enumerate(lines):
        if not line.startswith("|"):
            columns = {}
            continue
        if i + 1 < len(lines) and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1].strip()):
            columns = {c.strip(): k for k, c in enumerate(_cells(line))}  # 表头
            continue
        link = re.search(r"\]\((notebooks/[^)#\s]+\.ipynb)\)", line)
        if not link or link.group(1) not in verified or "CPU 用时" not in columns:
            continue
        v = verified[link.group(1)]
        cells = _cells(line)
        text = format_seconds(v["seconds"])
        if not is_gpu(v["device"]):
            cells[columns["CPU 用时"]] = f" {text} "
        elif "GPU 用时" in columns:
            cells[columns["GPU 用时"]] = f" {text} "
        else:
            cells[columns["CPU 用时"]] = f" {text}（{device_text(v['device'])}） "
        lines[i] = "|" + "|".join(cells) + "|"
    home = "\n".join(lines)

    runs = sorted(
        {
            (v["date"], device_text(v["device"]), v["python"], v["torch"], v["torchvision"])
            for v in verified.values()
        }
    )
    if runs:
        where = "；".join(
            f"{date}，{device}，Python {py}，torch {torch}，torchvision {tv}"
            for date, device, py, torch, tv in runs
        )
        note = (
            "表格里的用时是生成本站的那次运行实测的每个笔记本的执行时间（"
            + where
            + "），每页开头的“最后验证”一行也来自这次运行。各章算出的结果（如 03 各种训练配方的"
            "准确率和用时）印在各章的输出里，也来自这次运行；不同 CPU 之间会差一两个百分点。"
            + (
                ""
                if any(is_gpu(v["device"]) for v in verified.values())
                else "GPU 用时尚未测量（“—”）：生成本站的运行没有 GPU。"
            )
        )
        if MEASURED_NOTE in home:
            home = home.replace(MEASURED_NOTE, note)
        else:
            at = home.find("```{toctree}")
            home = home[:at] + note + "\n\n" + home[at:] if at >= 0 else home + "\n\n" + note
    home = home.replace(MEASURED_NOTE, "")
    # 手机上表格比屏幕宽：表格上方提示可以左右滑动（CSS 只在窄屏显示它）
    home = re.sub(
        r"\n(\| # \|)",
        r'\n<p class="table-scroll-hint">表格较宽：左右滑动可以看到用时和 Colab 两列。</p>\n\n\1',
        home,
        count=1,
    )
    pdf = (
        f'<a class="reference external pdf-download" href="{BOOK_PDF}">下载 PDF</a>'
        f"（全书一个文件；参考答案另成一册："
        f'<a class="reference external pdf-download" href="{SOLUTIONS_PDF}">参考答案 PDF</a>）'
    )
    head, sep, rest = home.partition("\n\n")  # 标题之后
    return f"{head}{sep}{pdf}\n\n{rest}"
