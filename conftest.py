"""pytest 的共享配置：笔记本内核看到的环境、数据目录、以及卫生检查用的笔记本列表。

Shared test configuration. `pytest` collects two kinds of tests:
- tests/test_hygiene.py: fast static checks on every notebook (parametrised by `notebook` below);
- notebooks/*.ipynb: executed top to bottom by nbmake (options in pyproject.toml).
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
NOTEBOOK_DIR = ROOT / "notebooks"
DATA_DIR = ROOT / "data"

# nbmake 启动的 Jupyter 内核继承本进程的环境变量：
# - PYTORCH_NB_DATA：笔记本把数据集和权重写到仓库的 data/（单独打开时它们用 ./data）；
# - PYDEVD_DISABLE_FILE_VALIDATION：关掉 debugpy 在每个内核启动时打印的 frozen-modules 警告。
os.environ.setdefault("PYTORCH_NB_DATA", str(DATA_DIR))
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


@dataclass(frozen=True)
class Notebook:
    path: Path
    text: str  # 文件原文（检查绝对路径等）
    nb: dict  # 解析后的 JSON

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def relpath(self) -> str:
        """仓库根目录下的相对路径，如 notebooks/solutions/01_tensor_basics_solutions.ipynb。"""
        return self.path.relative_to(ROOT).as_posix()

    @property
    def is_solutions(self) -> bool:
        return self.path.parent.name == "solutions"

    @property
    def cells(self) -> list[dict]:
        return self.nb.get("cells", [])


def _load_notebooks() -> list[Notebook]:
    # 在收集阶段就读入内容：即使之后 nbmake --overwrite 把输出写回文件，
    # 卫生检查看到的仍是提交时的版本。
    notebooks = []
    paths = NOTEBOOK_DIR.rglob("*.ipynb")  # 章节在 notebooks/，参考答案在 notebooks/solutions/
    for path in sorted(p for p in paths if ".ipynb_checkpoints" not in p.parts):
        text = path.read_text(encoding="utf-8")
        notebooks.append(Notebook(path, text, json.loads(text)))
    return notebooks


NOTEBOOKS = _load_notebooks()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "notebook" in metafunc.fixturenames:
        metafunc.parametrize("notebook", NOTEBOOKS, ids=[n.name for n in NOTEBOOKS])


@pytest.fixture(scope="session")
def all_notebooks() -> list[Notebook]:
    return NOTEBOOKS


@pytest.fixture(scope="session")
def github_repo() -> str:
    """Colab 徽章所用的 GitHub owner/repo，唯一的来源是 pyproject.toml。"""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["pytorch-notebooks"]["github_repo"]


@pytest.fixture(scope="session")
def readme_text() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# 执行副本（网站用）：nbmake 执行过的每个笔记本，另存一份带输出的副本到
# build/executed/<同样的相对路径>，例如 build/executed/notebooks/01_tensor_basics.ipynb。
# docs/build_site.py 只读这些副本来生成网站，不再执行任何笔记本：每次 CI 运行只执行一遍。
#
# Executed copies for the website. nbmake's NotebookItem.runtest() builds a
# `NotebookRun(...)` (looked up in nbmake.pytest_items at call time), calls .execute()
# and, only with --overwrite, writes the executed NotebookNode back over the source.
# Around each nbmake item's call we swap in a subclass whose execute() also writes that
# NotebookNode to build/executed/. What the test runs and asserts is unchanged, the
# committed notebooks are never written, and a failing notebook's copy (with its error
# output) is saved as well, so the site check can point at it.
# Notebooks outside the repository (e.g. a scratch copy in /tmp) are not copied.
# ---------------------------------------------------------------------------
EXECUTED_DIR = ROOT / "build" / "executed"


def _save_executed_copy(nb, source: Path) -> None:
    import nbformat

    try:
        relpath = Path(source).resolve().relative_to(ROOT)
    except ValueError:
        return  # 仓库之外的笔记本（如 /tmp 里的草稿）不保存
    target = EXECUTED_DIR / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    nbformat.write(nb, str(partial))
    partial.replace(target)  # 原子替换：不会留下写了一半的副本


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    if not getattr(item, "nbmake", False):  # 只处理 nbmake 的笔记本测试项
        return (yield)
    from nbmake import pytest_items

    original = pytest_items.NotebookRun

    class RecordingNotebookRun(original):
        def execute(self):
            result = super().execute()
            _save_executed_copy(result.nb, self.filename)
            return result

    pytest_items.NotebookRun = RecordingNotebookRun
    try:
        return (yield)
    finally:
        pytest_items.NotebookRun = original
