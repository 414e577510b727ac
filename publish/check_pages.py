"""网页上的可信度检查（issue 22），由 publish/check_site.py 调用（PDF 的检查在 publish/check_pdf.py）：

1. “最后验证”：每个笔记本页开头（第一个二级标题之前）有 div.nb-verified，其中的日期、
   Python/torch/torchvision 版本、设备和用时与该页执行副本（build/executed/…）的
   metadata["verified"] 一致；首页表格的 “CPU 用时”/“GPU 用时” 是同样测得的用时。
2. 没有本机路径：网页（HTML、搜索索引）里不出现 rules.MACHINE_PATH 的路径（/home/、/tmp/……）、
   C:\\、本仓库的绝对路径、家目录，也不出现本机用户名（不是常用词时，见 user_names）。
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from bs4 import BeautifulSoup
from stamps import device_text, format_seconds, is_gpu, verified_of  # publish/stamps.py

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import rules  # noqa: E402  (tools/rules.py: the shared rules)

SITE, STAGE, EXECUTED, GLOSSARY_HTML = rules.SITE, rules.STAGE, rules.EXECUTED, rules.GLOSSARY_HTML

Check = Callable[[bool, str], bool]


@functools.cache
def soup_of(path: Path) -> BeautifulSoup:
    """每个网页只解析一次（大的笔记本页要一秒多）。"""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


# --- 1. 最后验证 ------------------------------------------------------------------------------


def executed_verified(rel: str) -> dict | None:
    try:
        return verified_of(json.loads((EXECUTED / rel).read_text(encoding="utf-8"))["metadata"])
    except (OSError, ValueError, KeyError):
        return None


def check_stamps(check: Check, notebooks: list[str]) -> None:
    for rel in notebooks:
        page = SITE / rel.replace(".ipynb", ".html")
        verified = executed_verified(rel)
        if not check(verified is not None, f"{rel}: the executed copy has no 'verified' metadata"):
            continue
        if not page.is_file():
            continue  # check_site.py 已经报告缺页
        soup = soup_of(page)
        stamp = soup.select_one("article div.nb-verified")
        if not check(stamp is not None, f"{rel}: no '最后验证' line in the page"):
            continue
        text = " ".join(stamp.get_text(" ", strip=True).split())
        first_h2 = soup.select_one("article h2")
        near_top = first_h2 is None or stamp.sourceline < first_h2.sourceline
        check(near_top, f"{rel}: the '最后验证' line is not above the first section")
        expected = [
            "最后验证",
            verified["date"],
            f"Python {verified['python']}",
            f"torch {verified['torch']}",
            f"torchvision {verified['torchvision']}",
            device_text(verified["device"]),
            format_seconds(verified["seconds"]),
        ]
        wrong = [part for part in expected if part not in text]
        check(not wrong, f"{rel}: the '最后验证' line {text!r} lacks {wrong} (executed copy)")
        # 本章路线里的 <!-- runtime --> 标记：换成了同样的实测用时
        executed = json.loads((EXECUTED / rel).read_text(encoding="utf-8"))
        markers = sum(
            "".join(c["source"]).count("<!-- runtime -->")
            for c in executed["cells"]
            if c["cell_type"] == "markdown"
        )
        spans = [s.get_text(" ", strip=True) for s in soup.select("article span.nb-runtime")]
        check(
            len(spans) == markers and all(format_seconds(verified["seconds"]) in s for s in spans),
            f"{rel}: {markers} runtime marker(s) in the notebook, runtime text on the page: {spans}",
        )


def check_home_times(check: Check, notebooks: list[str]) -> None:
    """首页表格：链接到笔记本的每一行，用时列是执行副本测得的用时。"""
    soup = soup_of(SITE / "index.html")
    seen = set()
    for table in soup.select("article table"):
        header = [th.get_text(strip=True) for th in table.select("thead th")]
        if "CPU 用时" not in header:
            continue
        for row in table.select("tbody tr"):
            cells = [td.get_text(" ", strip=True) for td in row.select("td")]
            link = row.select_one('a[href$=".html"]')
            rel = link["href"].split("#")[0].replace(".html", ".ipynb") if link else None
            if rel not in notebooks or len(cells) != len(header):
                continue
            verified = executed_verified(rel)
            if verified is None:
                continue  # check_stamps 已报告
            seen.add(rel)
            text = format_seconds(verified["seconds"])
            if is_gpu(verified["device"]):
                column = "GPU 用时" if "GPU 用时" in header else "CPU 用时"
                if column == "CPU 用时":
                    text = f"{text}（{device_text(verified['device'])}）"
            else:
                column = "CPU 用时"
            got = cells[header.index(column)]
            check(got == text, f"index.html: {rel}: {column} {got!r}, the run measured {text!r}")
    missing = sorted(set(notebooks) - seen)
    check(not missing, f"index.html: no time-table row for {missing}")


# --- 2. 本机路径与用户名 -----------------------------------------------------------------------

# 这些用户名同时是常用词或常见的 CI 账户名："root" 是 torchvision 数据集的参数名（root=DATA_DIR），
# "runner" 是 GitHub Actions 的账户。它们的家目录（/root/、/home/runner/）已经由上面的规则查到。
COMMON_WORDS = {
    "root", "runner", "user", "users", "admin", "ubuntu", "debian", "jovyan", "vscode",
    "codespace", "codespaces", "colab", "home", "work", "data", "test", "build", "docker",
}  # fmt: skip


def user_names() -> list[str]:
    """本机用户名的各种来源；太短（< 3 个字符）或是常用词的不查。"""
    names = {os.environ.get(k, "") for k in ("USER", "LOGNAME", "USERNAME", "SUDO_USER")}
    names.add(Path.home().name)
    try:
        names.add(getpass.getuser())
    except (KeyError, OSError):
        pass
    parts = ROOT.parts
    for i, part in enumerate(parts[:-1]):
        if part in ("home", "Users"):
            names.add(parts[i + 1])
    return sorted(n for n in names if len(n) >= 3 and n.lower() not in COMMON_WORDS)


def machine_leaks(text: str) -> list[str]:
    found = rules.machine_paths(text)
    for path in {str(ROOT), str(Path.home())} - {"/", ""}:
        if path in text:
            found.append(path)
    for name in user_names():
        word = rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])"
        found += [m.group(0) for m in re.finditer(word, text, re.I)][:1]  # 本机用户名
    return found


def context_of(text: str, needle: str) -> str:
    i = text.find(needle)
    return text[max(0, i - 50) : i + len(needle) + 50].replace("\n", " ") if i >= 0 else needle


def check_machine_paths(check: Check) -> None:
    """每个网页（HTML 原文，含属性和内嵌脚本）和搜索索引。PDF 在 publish/check_pdf.py 里查。"""
    files = sorted(p for p in SITE.rglob("*.html") if p.relative_to(SITE).parts[0] != "_static")
    files += [SITE / "searchindex.js"]
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        leaks = machine_leaks(text)
        check(
            not leaks,
            f"{path.relative_to(SITE)}: machine paths or user names: "
            + "; ".join(f"{leak!r} in …{context_of(text, leak)}…" for leak in leaks[:3]),
        )


def check_all(check: Check, notebooks: list[str]) -> None:
    print("[check] pages: '最后验证' lines, home page times, machine paths")
    check_stamps(check, notebooks)
    check_home_times(check, notebooks)
    check_machine_paths(check)
