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
