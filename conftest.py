"""pytest 的共享配置：加载执行笔记本的插件，给卫生检查提供笔记本列表与 fixture。

Shared test configuration. `pytest` collects two kinds of tests:
- tests/*.py: fast static checks on every notebook (parametrised by `notebook` below) and on the
  tooling itself;
- notebooks/*.ipynb: executed top to bottom by tools/notebook_runner.py (a small pytest plugin on
  nbclient's public API; options in pyproject.toml), which also writes build/executed/ for the site.
The shared rules (notebook list, cell source, repository name, ...) live in tools/rules.py.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tools"))

pytest.register_assert_rewrite("notebook_runner")  # 在 import 之前：它的 assert 也给出详细信息
import rules  # noqa: E402
from notebook_runner import (  # noqa: E402,F401  (tests import these names from conftest)
    EXERCISE_CHECKS_TAG,
    INJECTED_TAG,
    exercise_checks_cells,
    exercise_checks_source,
)

pytest_plugins = ["notebook_runner"]

NOTEBOOK_DIR = rules.NOTEBOOK_DIR
DATA_DIR = ROOT / "data"
chapter_of = rules.chapter_of


@dataclass(frozen=True)
class Notebook:
    path: Path
    text: str  # 文件原文
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
        return rules.is_solutions(self.path)

    @property
    def cells(self) -> list[dict]:
        return self.nb.get("cells", [])


def _load_notebooks() -> list[Notebook]:
    # 在收集阶段就读入内容：卫生检查看到的是提交时的版本。
    notebooks = []
    for path in rules.notebook_paths(ROOT):
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
    return rules.github_repo()


@pytest.fixture(scope="session")
def readme_text() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")
