"""生成网站：把 `pytest` 执行过的笔记本（build/executed/）做成静态 HTML（build/site/）。

Build the website from the executed copies that `pytest` leaves in build/executed/ (written by
tools/notebook_runner.py). Nothing is executed here: a notebook without an executed
copy, or whose executed copy no longer matches the committed notebook, fails the build.

    pytest                          # 执行每个笔记本，并把带输出的副本存到 build/executed/
    python publish/build_site.py    # → build/site/index.html
    python -m http.server -d build/site 8000   # 浏览 http://127.0.0.1:8000

Steps: check the executed copies; stage them into build/site-src/ (same layout as the
repository, so links between notebooks keep working) with the changes of publish/pages.py
(widgets, links, the home page from README.md), the stamps of publish/stamps.py and the
glossary page (tools/glossary.py); run Sphinx with docs/conf.py into build/site/. Writes only
under build/. The PDF (publish/build_pdf.py) and the checks (publish/check_site.py) come after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import nbformat
from pages import (  # publish/pages.py：网页内容的改动
    GLOSSARY_PAGE,
    home_page,
    link_repo_files,
    measured_home_page,
    render_widgets_as_text,
    title_of,
)
from stamps import add_stamp, check_verified, fill_runtime, verified_of  # publish/stamps.py

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"  # Sphinx 的源：conf.py、_static/、glossary.csv
sys.path.insert(0, str(ROOT / "tools"))
import glossary  # noqa: E402  (tools/glossary.py)
import rules  # noqa: E402  (tools/rules.py: the shared rules)

BUILD, EXECUTED, STAGE, SITE = rules.BUILD, rules.EXECUTED, rules.STAGE, rules.SITE
DOCTREES = BUILD / "site-doctrees"


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


# --- 术语表 --------------------------------------------------------------------------------


def stage_glossary(staged: dict[str, str]) -> None:  # 不加进 staged：那里只有笔记本
    """术语表页（docs/glossary.csv → glossary.md），链接到各笔记本里讲每个术语的那一节。"""
    titles = {rel.removeprefix("notebooks/"): title for rel, title in staged.items()}
    page = glossary.page_markdown(glossary.load(), titles)
    (STAGE / GLOSSARY_PAGE).write_text(page, encoding="utf-8")


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
    home = measured_home_page(home_page(staged, (STAGE / GLOSSARY_PAGE).is_file()), verified)
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
