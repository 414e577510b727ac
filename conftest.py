"""pytest 的共享配置：笔记本内核看到的环境、数据目录、以及卫生检查用的笔记本列表。

Shared test configuration. `pytest` collects two kinds of tests:
- tests/test_hygiene.py: fast static checks on every notebook (parametrised by `notebook` below);
- notebooks/*.ipynb: executed top to bottom by nbmake (options in pyproject.toml).
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import platform
import re
import time
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


# ---------------------------------------------------------------------------
# 练习的检查（issue 19）：执行参考答案笔记本时，在末尾追加一个只在 CI 里存在的 cell：
# 运行对应章节里带 "exercise-checks" 标签的检查工具，把参考答案算出的 answer_1 … answer_5
# 逐个交给 check()，全部必须判为正确。这样章节里的检查和参考答案不会各说各的。
# 这个 cell 不写回提交的文件，也从执行副本里删掉（网站上看不到它）。
# ---------------------------------------------------------------------------
EXERCISE_CHECKS_TAG = "exercise-checks"
INJECTED_TAG = "ci-exercise-answers"


def chapter_of(solutions: Path) -> Path:
    """notebooks/solutions/01_x_solutions.ipynb -> notebooks/01_x.ipynb"""
    return solutions.parent.parent / solutions.name.replace("_solutions.ipynb", ".ipynb")


def exercise_checks_cells(chapter: Path) -> list[str]:
    """章节里带 exercise-checks 标签的 cell 的源码（应恰好一个；tests/test_exercise_checks.py 检查）。"""
    if not chapter.exists():
        return []
    cells = json.loads(chapter.read_text(encoding="utf-8"))["cells"]
    tagged = [c for c in cells if EXERCISE_CHECKS_TAG in c.get("metadata", {}).get("tags", [])]
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in tagged]


def exercise_checks_source(chapter: Path) -> str:
    found = exercise_checks_cells(chapter)
    assert len(found) == 1, f"{chapter.name}: 应恰好有一个带 {EXERCISE_CHECKS_TAG} 标签的 cell"
    return found[0]


def _answers_cell(chapter: Path):
    import nbformat

    code = (
        f"# 只在 CI 中追加：把本笔记本的 answer_N 交给 {chapter.name} 的检查工具\n"
        + exercise_checks_source(chapter)
        + "\n\n"
        + "for _n in sorted(CHECKS):\n"
        + "    check(_n, globals().get(f'answer_{_n}', ...))\n"
        + "assert all(VERDICTS[_n] is True for _n in CHECKS), (\n"
        + f"    '参考答案没有通过 {chapter.name} 的检查：' + str(VERDICTS)\n"
        + ")\n"
    )
    return nbformat.v4.new_code_cell(code, metadata={"tags": [INJECTED_TAG]})


class _ReaderWithAnswers:
    """nbmake 在 execute() 里用 nbformat.read 读笔记本；这个替身读完后追加上面的 cell。"""

    def __init__(self, chapter: Path):
        import nbformat

        self._nbformat, self._chapter = nbformat, chapter

    def __getattr__(self, name):
        return getattr(self._nbformat, name)

    def read(self, *args, **kwargs):
        nb = self._nbformat.read(*args, **kwargs)
        nb.cells.append(_answers_cell(self._chapter))
        return nb


# ---------------------------------------------------------------------------
# 警告门（issue 22）：执行输出里（stderr）出现的 DeprecationWarning / FutureWarning /
# UserWarning 会让该笔记本的测试失败，除非它在 pyproject.toml 的
# [[tool.pytorch-notebooks.allowed_warnings]] 里，附有理由和发出它的版本。
# 笔记本有意演示的警告应当用 warnings.catch_warnings(record=True) 接住再打印（到 stdout），
# 那样它不会被当成“没人注意到的警告”。
# ---------------------------------------------------------------------------
GATED_WARNING = re.compile(r"\b((?:Pending)?DeprecationWarning|FutureWarning|UserWarning): (.*)")


def allowed_warnings() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["pytorch-notebooks"].get("allowed_warnings", [])


def unexpected_warnings(nb, allowed: list[dict]) -> list[tuple[int, str]]:
    """[(cell 序号, 警告那一行)]：stderr 里出现、又不在允许清单上的警告。"""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") != "stream" or output.get("name") != "stderr":
                continue
            text = output.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            for match in GATED_WARNING.finditer(text):
                line = match.group(0)
                if not any(re.search(entry["pattern"], line) for entry in allowed):
                    found.append((index, line))
    return found


# ---------------------------------------------------------------------------
# “最后验证”（issue 22）：每个执行副本的 metadata["verified"] 记下这次运行的日期、版本、
# 设备和该笔记本的执行用时；网站的每一页和首页的用时都从这里读，不手写。
# ---------------------------------------------------------------------------
def _device_name() -> str:
    import torch

    if torch.cuda.is_available():
        return f"CUDA: {torch.cuda.get_device_name(0)}"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "MPS"
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    model = model or platform.processor() or platform.machine()
    return f"CPU ({model}, {os.cpu_count()} cores)"


def run_metadata(seconds: float) -> dict:
    import torch
    import torchvision

    return {
        "date": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "device": _device_name(),
        "seconds": round(seconds, 1),
    }


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    if not getattr(item, "nbmake", False):  # 只处理 nbmake 的笔记本测试项
        return (yield)
    from nbmake import nb_run, pytest_items
    from nbmake.nb_result import NotebookError

    original = pytest_items.NotebookRun

    class RecordingNotebookRun(original):
        def execute(self):
            path = Path(self.filename)
            inject = path.parent.name == "solutions" and exercise_checks_cells(chapter_of(path))
            reader = nb_run.nbformat
            if inject:
                nb_run.nbformat = _ReaderWithAnswers(chapter_of(path))
            start = time.perf_counter()
            try:
                result = super().execute()
            finally:
                nb_run.nbformat = reader
            seconds = time.perf_counter() - start
            if result.error is None:
                bad = unexpected_warnings(result.nb, allowed_warnings())
                if bad:
                    lines = "\n".join(f"  cell {i}: {line}" for i, line in bad)
                    result.error = NotebookError(
                        summary=f"{len(bad)} 条不在允许清单上的警告（见 pyproject.toml 的 allowed_warnings）",
                        trace=f"输出里有未允许的警告：\n{lines}",
                        failing_cell_index=bad[0][0],
                    )
            # 网站用的副本：去掉 CI 追加的 cell，记下这次运行的元数据（测试看到的 result 不变）
            executed = copy.deepcopy(result.nb)
            executed.cells = [
                c for c in executed.cells if INJECTED_TAG not in c.metadata.get("tags", [])
            ]
            executed.metadata["verified"] = run_metadata(seconds)
            _save_executed_copy(executed, self.filename)
            return result

    pytest_items.NotebookRun = RecordingNotebookRun
    try:
        return (yield)
    finally:
        pytest_items.NotebookRun = original
