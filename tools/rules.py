"""全书共用的规则，每条只在这里定义一次（issue 28）。

The project's shared rules, one definition each: the tests, conftest.py, the notebook runner
(tools/notebook_runner.py), tools/mainpath.py, tools/glossary.py, docs/conf.py and the site scripts in publish/ import them from here
instead of writing their own copy.

Import it the way tools/mainpath.py is imported: put tools/ on ``sys.path`` and ``import rules``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
PYPROJECT = ROOT / "pyproject.toml"

# build/：生成的东西，都不提交。执行副本由 tools/notebook_runner.py 写（在 pytest 的 rootdir 下），
# 网站与 PDF 由 publish/ 的脚本从它们生成。
BUILD = ROOT / "build"
EXECUTED = BUILD / "executed"  # 带输出的笔记本
STAGE = BUILD / "site-src"  # 交给 Sphinx 的源
SITE = BUILD / "site"  # 网站与两册 PDF
PDF_LINKS = (
    BUILD / "pdf-links"
)  # PDF 里每个书内链接该落在哪（publish/build_pdf.py 记，check_pdf.py 核对）
GLOSSARY_HTML = "glossary.html"  # 网站上的术语表页


# --- 笔记本清单 -------------------------------------------------------------------------------
def notebook_paths(root: Path = ROOT) -> list[Path]:
    """notebooks/ 下（含 solutions/）的每个 .ipynb，按相对路径排序。

    排序后章节（notebooks/0…）在前、参考答案（notebooks/solutions/…）在后，也就是全书的阅读顺序。
    Every committed notebook, chapters first, then solutions; Jupyter's checkpoints are not notebooks.
    """
    paths = (root / "notebooks").rglob("*.ipynb")
    return sorted(
        (p for p in paths if ".ipynb_checkpoints" not in p.parts),
        key=lambda p: p.relative_to(root).as_posix(),
    )


def is_solutions(path: Path) -> bool:
    return path.parent.name == "solutions"


def chapter_of(solutions: Path) -> Path:
    """notebooks/solutions/01_x_solutions.ipynb -> notebooks/01_x.ipynb"""
    return solutions.parent.parent / solutions.name.replace("_solutions.ipynb", ".ipynb")


# --- 一个 cell 的源码 -------------------------------------------------------------------------
def source(cell: dict) -> str:
    """cell 的源码：.ipynb 里既可以是一个字符串，也可以是一行一个的列表。"""
    s = cell.get("source", "")
    return s if isinstance(s, str) else "".join(s)


# --- 仓库名 -----------------------------------------------------------------------------------
def github_repo(pyproject: Path = PYPROJECT) -> str:
    """GitHub 上的 owner/repo（Colab 徽章、网站链接），唯一的来源是 pyproject.toml。"""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return config["tool"]["pytorch-notebooks"]["github_repo"]


def project_config(pyproject: Path = PYPROJECT) -> dict:
    """pyproject.toml 的 [tool.pytorch-notebooks] 一节（不存在时为空）。"""
    if not pyproject.exists():
        return {}
    return (
        tomllib.loads(pyproject.read_text(encoding="utf-8"))
        .get("tool", {})
        .get("pytorch-notebooks", {})
    )


# --- 中文字符 ---------------------------------------------------------------------------------
# 字符类的内容（放进 [...] 里用）。HAN：汉字，CJK 统一表意文字与扩展 A（U+3400–4DBF）；
# CJK：汉字再加中文标点（U+3000–303F）与全角字符（U+FF00–FFEF），即“中文排版里的一个字”。
HAN = "\u3400-\u4dbf\u4e00-\u9fff"
CJK = "\u3000-\u303f" + HAN + "\uff00-\uffef"


# --- 本机路径 ---------------------------------------------------------------------------------
# 开发者或 CI 机器上的绝对路径：笔记本、网页和 PDF 里都不该出现。一份文件夹清单；前面不能是
# 字母、数字或 / . ~ -，这样 https://…/home/… 之类网址里的片段不算。Windows 的盘符路径同理。
MACHINE_FOLDERS = ("home", "Users", "root", "tmp", "work", "mnt", "opt")
MACHINE_PATH = re.compile(
    r"(?<![\w./~-])/(?:" + "|".join(MACHINE_FOLDERS) + r")/|(?<!\w)[A-Za-z]:\\"
)


def machine_paths(text: str) -> list[str]:
    """text 里出现的本机绝对路径的开头（如 '/home/'、'C:\\'），按出现顺序。"""
    return [m.group(0) for m in MACHINE_PATH.finditer(text)]
