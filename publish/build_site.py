"""生成网站：把 `pytest` 执行过的笔记本（build/executed/）做成静态 HTML（build/site/）。

Build the website from the executed copies that `pytest` leaves in build/executed/ (written by
tools/notebook_runner.py). Nothing is executed here: a notebook without an executed
copy, or whose executed copy no longer matches the committed notebook, fails the build.

    pytest                          # 执行每个笔记本，并把带输出的副本存到 build/executed/
    python publish/build_site.py    # → build/site/index.html
    python -m http.server -d build/site 8000   # 浏览 http://127.0.0.1:8000

Steps: check the executed copies; stage them with a home page generated from README.md into
build/site-src/ (same layout as the repository, so links between notebooks keep working);
run Sphinx with docs/conf.py into build/site/. Writes only under build/.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from stamps import (  # publish/stamps.py：最后验证
    add_stamp,
    check_verified,
    device_text,
    fill_runtime,
    format_seconds,
    is_gpu,
    verified_of,
)

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"  # Sphinx 的源：conf.py、_static/、glossary.csv
sys.path.insert(0, str(ROOT / "tools"))
import glossary  # noqa: E402  (tools/glossary.py)
import rules  # noqa: E402  (tools/rules.py: the shared rules)

BUILD = ROOT / "build"
EXECUTED = BUILD / "executed"
STAGE = BUILD / "site-src"
SITE = BUILD / "site"
DOCTREES = BUILD / "site-doctrees"
GITHUB_REPO = rules.github_repo()

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def cell_sources(path: Path) -> list[tuple[str, str]]:
    """(类型, 源码) 的列表；用 json 读，不做 nbformat 的校验（大的输出校验很慢）。"""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(c["cell_type"], rules.source(c)) for c in cells]


def check_executed_copies(notebooks: list[Path]) -> list[str]:
    """每个笔记本都要有执行副本，且副本的 cell 与提交的版本逐个相同（否则输出已过时）。"""
    problems = []
    for path in notebooks:
        rel = path.relative_to(ROOT)
        executed = EXECUTED / rel
        if not executed.is_file():
            problems.append(f"{rel}: no executed copy at {executed.relative_to(ROOT)}")
            continue
        if cell_sources(path) != cell_sources(executed):
            problems.append(f"{rel}: the executed copy is stale (the notebook changed since)")
    return problems


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


# --- 首页 ----------------------------------------------------------------------------------


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


def home_page(staged: dict[str, str]) -> str:
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
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
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
    if (STAGE / GLOSSARY_PAGE).is_file():
        parts += [
            f"[中英术语表]({GLOSSARY_PAGE})：本书讲到的每个术语（中文、English），链接到讲它的那一节。",
            "",
            f"```{{toctree}}\n:hidden:\n:caption: 术语表\n\n{GLOSSARY_PAGE.removesuffix('.md')}\n```",
            "",
        ]
    return "\n".join(parts)


# --- 术语表 --------------------------------------------------------------------------------
GLOSSARY_PAGE = "glossary.md"


def stage_glossary(staged: dict[str, str]) -> None:  # 不加进 staged：那里只有笔记本
    """术语表页（docs/glossary.csv → glossary.md），链接到各笔记本里讲每个术语的那一节。"""
    titles = {rel.removeprefix("notebooks/"): title for rel, title in staged.items()}
    page = glossary.page_markdown(glossary.load(), titles)
    (STAGE / GLOSSARY_PAGE).write_text(page, encoding="utf-8")


# --- PDF 的文件名（publish/build_pdf.py 写到 build/site/ 下，首页链接它们） ---
BOOK_PDF = "pytorch-notebooks.pdf"  # 首页的“下载 PDF”
SOLUTIONS_PDF = "pytorch-notebooks-solutions.pdf"


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


# --- 构建 ----------------------------------------------------------------------------------


def stage(notebooks: list[Path]) -> dict[str, str]:
    shutil.rmtree(STAGE, ignore_errors=True)
    STAGE.mkdir(parents=True)
    staged: dict[str, str] = {}
    verified: dict[str, dict] = {}
    pages = {p.relative_to(ROOT).as_posix() for p in notebooks}
    for path in notebooks:
        rel = path.relative_to(ROOT).as_posix()
        executed = EXECUTED / rel
        if not executed.is_file():
            continue  # 只在 --preview 时会走到这里
        nb = nbformat.read(executed, as_version=4)
        render_widgets_as_text(nb)
        try:
            verified[rel] = verified_of(nb.metadata)
            add_stamp(nb, verified[rel])
            fill_runtime(nb, verified[rel])
        except ValueError:
            pass  # 只在 --preview 时会走到这里（main() 已经报告过）
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = link_repo_files(cell.source, os.path.dirname(rel), pages)
        target = STAGE / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        staged[rel] = title_of(nb)
    stage_glossary(staged)
    home = measured_home_page(home_page(staged), verified)
    (STAGE / "index.md").write_text(home, encoding="utf-8")
    return staged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--preview",
        action="store_true",
        help="local preview only: use stale executed copies and leave out missing ones "
        "(never in CI; publish/check_site.py fails when a notebook has no page)",
    )
    args = parser.parse_args()
    t0 = time.perf_counter()

    notebooks = rules.notebook_paths()
    problems = check_executed_copies(notebooks) + check_verified(notebooks)
    if problems:
        print("[site] executed copies missing or stale (run `pytest` first):", file=sys.stderr)
        for line in problems:
            print(f"  - {line}", file=sys.stderr)
        if not args.preview:
            return 1
        print("[site] --preview: building from what build/executed/ has", file=sys.stderr)

    staged = stage(notebooks)
    shutil.rmtree(SITE, ignore_errors=True)
    shutil.rmtree(DOCTREES, ignore_errors=True)

    from sphinx.cmd.build import build_main

    # -W：任何警告都算失败（坏链接、找不到的图、格式错误的 Markdown……），--keep-going 一次列全。
    # 预览时缺页是意料之中的（指向它们的链接会报警告），所以只打印警告。
    argv = ["-b", "html", "-c", str(DOCS), "-d", str(DOCTREES), "--keep-going", "-q"]
    if not args.preview:
        argv.append("-W")
    status = build_main([*argv, str(STAGE), str(SITE)])
    if status:
        print(f"[site] sphinx-build failed (exit {status})", file=sys.stderr)
        return status
    print(
        f"[site] built {len(staged)} notebook page(s) into {SITE.relative_to(ROOT)}/ "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    print(json.dumps(sorted(staged), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
