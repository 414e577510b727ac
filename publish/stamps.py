"""「最后验证」：执行副本里的 metadata["verified"] 变成网页上的文字（issue 22）。

The "last verified" stamp: tools/notebook_runner.py writes metadata["verified"] into every
executed copy (date, Python/torch/torchvision versions, device, seconds); the site shows it at
the top of each page, in the 本章路线 runtime sentence and in the home page's time columns,
and publish/check_pages.py checks the built pages against it. Nothing here is ever typed by hand.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from rules import EXECUTED  # noqa: E402  (tools/rules.py: the shared rules)

# --- 最后验证与 PDF 链接（issue 22） -------------------------------------------------------------
# tools/notebook_runner.py 给每个执行副本写 metadata["verified"]：日期、Python/torch/torchvision 版本、设备、
# 该笔记本的执行秒数。每页顶部的“最后验证”一行和首页表格里的用时只从这里读，从不手写；
# 缺了它（或格式不对）网站就不生成。publish/check_pages.py 逐页核对。

VERIFIED_KEYS = ("date", "python", "torch", "torchvision", "device", "seconds")


def verified_of(metadata: dict) -> dict:
    """执行副本的 metadata["verified"]；缺少或不完整时抛 ValueError（绝不补一个值）。"""
    verified = metadata.get("verified")
    if not isinstance(verified, dict):
        raise ValueError(
            "no 'verified' metadata (tools/notebook_runner.py writes it when pytest executes it)"
        )
    missing = [k for k in VERIFIED_KEYS if verified.get(k) in (None, "")]
    if missing:
        raise ValueError(f"'verified' metadata lacks {missing}")
    if not isinstance(verified["seconds"], (int, float)) or verified["seconds"] < 0:
        raise ValueError(f"'verified' seconds is not a duration: {verified['seconds']!r}")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(verified["date"])):
        raise ValueError(f"'verified' date is not YYYY-MM-DD: {verified['date']!r}")
    return verified


def check_verified(notebooks: list[Path]) -> list[str]:
    problems = []
    for path in notebooks:
        executed = EXECUTED / path.relative_to(ROOT)
        if executed.is_file():
            try:
                verified_of(json.loads(executed.read_text(encoding="utf-8"))["metadata"])
            except ValueError as exc:
                problems.append(f"{path.relative_to(ROOT)}: {exc}")
    return problems


def format_seconds(seconds: float) -> str:
    """“约 4 秒”“约 119 秒”“约 3.5 分钟”：与 README 表格同样的粗细。"""
    if seconds < 1:
        return "不到 1 秒"
    if seconds < 150:
        return f"约 {seconds:.0f} 秒"
    return f"约 {seconds / 60:.1f} 分钟".replace(".0 分钟", " 分钟")


def device_text(device: str) -> str:
    """设备名里的括号换成全角：CPU (AMD EPYC 7B13, 2 cores) → CPU（AMD EPYC 7B13, 2 cores）。"""
    return re.sub(r"^(\S+) \((.*)\)$", r"\1（\2）", device)


def is_gpu(device: str) -> bool:
    return not device.startswith("CPU")


def stamp_text(verified: dict) -> str:
    return (
        f"最后验证：{verified['date']} · Python {verified['python']} · torch {verified['torch']}"
        f" · torchvision {verified['torchvision']} · {device_text(verified['device'])}"
        f" · 本页执行用时{format_seconds(verified['seconds'])}"
    )


def add_stamp(nb, verified: dict) -> None:
    """在第一个 cell 的标题和 Colab 徽章那一段之后插入“最后验证”一行（div.nb-verified）。"""
    block = f"```{{container}} nb-verified\n{stamp_text(verified)}\n```"
    lines = nb.cells[0].source.split("\n")
    at = next((i for i, line in enumerate(lines) if "colab.research.google.com" in line), 0)
    while at + 1 < len(lines) and lines[at + 1].strip():
        at += 1  # 徽章所在段落的末行（没有徽章时：标题所在段落）
    lines[at + 1 : at + 1] = ["", block, ""]
    nb.cells[0].source = "\n".join(lines)


RUNTIME = re.compile(r"<!-- runtime -->.*?<!-- /runtime -->", re.DOTALL)


def runtime_text(verified: dict) -> str:
    """本章路线里 <!-- runtime -->…<!-- /runtime --> 之间换成的文字：这次构建实测的整章用时。"""
    return (
        f'<span class="nb-runtime">{format_seconds(verified["seconds"])}'
        f"（本次构建在 {device_text(verified['device'])} 上实测，{verified['date']}）</span>"
    )


def fill_runtime(nb, verified: dict) -> int:
    """把每个 Markdown 格里的 runtime 标记之间的文字换成实测用时；返回换了几处。"""
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "<!-- runtime -->" in cell.source:
            cell.source, n = RUNTIME.subn(runtime_text(verified), cell.source)
            count += n
    return count


def built_from() -> str:
    """生成网站和 PDF 的那次提交（短哈希；不在 git 克隆里时为空）。"""
    return subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
