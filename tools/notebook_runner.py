"""pytest 插件：从头到尾执行每个笔记本（nbclient 的公开 API），并留下网站用的执行副本。

A small pytest plugin (loaded by conftest.py) that replaces nbmake. For every ``*.ipynb`` that
pytest is given (``testpaths`` includes notebooks/) it collects one test that:

1. reads the notebook and, for a solutions notebook, appends one cell that exists only in the test
   run: the chapter's answer-check tool cell (tag ``exercise-checks``) followed by
   ``check(N, answer_N)`` for every exercise, asserting that the chapter accepts every answer the
   solutions compute (issue 19);
2. executes it with ``nbclient.NotebookClient`` in the notebook's folder, with a per-cell time limit
   (``notebook_cell_timeout`` in pyproject.toml, seconds);
3. fails on an error (which cell, its source and the traceback), on a cell timeout, or on a
   DeprecationWarning / FutureWarning / UserWarning printed to stderr that is not allow-listed in
   pyproject.toml (``[[tool.pytorch-notebooks.allowed_warnings]]``, issue 22);
4. writes the executed notebook, without the appended cell, to
   ``build/executed/<same relative path>`` with ``metadata["verified"]`` = date, Python / torch /
   torchvision versions, device and seconds (issue 22). publish/build_site.py builds the website from
   these copies only. A failing notebook's copy (with its error) is written too; the committed
   notebooks are never written.

The kernel draws matplotlib figures at twice their pixel density (``InlineBackend.figure_formats =
retina``, issue 27): each PNG carries its on-screen size as ``width``/``height`` metadata, which the
site honours (the layout does not change), and the PDF embeds all the pixels (about 190 dpi on paper
instead of 96). Readers' own kernels are not touched.

Everything here is public API: pytest's collection hooks, ``nbformat.read/write`` and
``nbclient.NotebookClient``. tests/test_notebook_runner.py runs tiny notebooks through this plugin and
fails if the copies or the answer injection stop happening.
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import platform
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import rules

EXERCISE_CHECKS_TAG = "exercise-checks"  # 章节里检查答案的工具 cell
INJECTED_TAG = "ci-exercise-answers"  # 只在测试里追加到参考答案末尾的 cell
DEFAULT_CELL_TIMEOUT = 600  # 秒；pyproject.toml 的 notebook_cell_timeout 可以改
# 内核的命令行参数：图按两倍像素密度画（网页按元数据里的宽高显示，大小不变；PDF 里印得清楚）
KERNEL_ARGUMENTS = ["--InlineBackend.figure_formats=retina"]

# stderr 里这些警告会让笔记本的测试失败（除非在允许清单上）
GATED_WARNING = re.compile(r"\b((?:Pending)?DeprecationWarning|FutureWarning|UserWarning): (.*)")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# --- pytest 的部分 ----------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "notebook_cell_timeout",
        "seconds one notebook cell may run before the notebook's test fails",
        default=str(DEFAULT_CELL_TIMEOUT),
    )


def pytest_configure(config: pytest.Config) -> None:
    # 测试中启动的 Jupyter 内核继承本进程的环境变量：
    # - PYTORCH_NB_DATA：笔记本把数据集和权重写到仓库的 data/（单独打开时它们用 ./data）；
    # - PYDEVD_DISABLE_FILE_VALIDATION：关掉 debugpy 在每个内核启动时打印的 frozen-modules 警告。
    os.environ.setdefault("PYTORCH_NB_DATA", str(config.rootpath / "data"))
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix == ".ipynb" and ".ipynb_checkpoints" not in file_path.parts:
        return NotebookFile.from_parent(parent, path=file_path)
    return None


class NotebookFile(pytest.File):
    def collect(self):
        yield NotebookItem.from_parent(self, name=self.path.name)


class NotebookFailed(Exception):
    """The notebook's run found a problem; args[0] is the readable report."""


class NotebookItem(pytest.Item):
    def runtest(self) -> None:
        config = self.config
        run = run_notebook(
            self.path,
            timeout=int(config.getini("notebook_cell_timeout")),
            allowed=rules.project_config(config.rootpath / "pyproject.toml").get(
                "allowed_warnings", []
            ),
            executed_dir=config.rootpath / "build" / "executed",
            root=config.rootpath,
        )
        if run.error:
            raise NotebookFailed(run.error)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, NotebookFailed):
            return excinfo.value.args[0]
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"notebook {self.path.name}"


# --- 执行一个笔记本 ---------------------------------------------------------------------------
@dataclass
class Run:
    nb: object  # 执行后的 NotebookNode（含追加的 cell）
    error: str | None  # 失败时给人读的报告
    seconds: float
    executed_copy: Path | None  # 写下的执行副本


def run_notebook(
    path: Path,
    *,
    timeout: int = DEFAULT_CELL_TIMEOUT,
    allowed: list[dict] = (),
    executed_dir: Path | None = None,
    root: Path = rules.ROOT,
) -> Run:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    chapter = rules.chapter_of(path)
    if rules.is_solutions(path) and exercise_checks_cells(chapter):
        nb.cells.append(answers_cell(chapter))

    client = NotebookClient(
        nb,
        timeout=timeout,
        extra_arguments=KERNEL_ARGUMENTS,
        resources={"metadata": {"path": str(path.parent)}},  # 内核的当前目录：笔记本所在的文件夹
    )
    start = time.perf_counter()
    error = None
    try:
        client.execute()
    except CellExecutionError:
        error = _failed_cell_report(nb)
    except CellTimeoutError as err:
        index = _unfinished_cell(nb)
        error = f"cell {index}{_cell_id(nb, index)}: no result after {timeout} s (notebook_cell_timeout)\n{err}"
    except DeadKernelError as err:
        error = f"the kernel died while running cell {_unfinished_cell(nb)}: {err}"
    seconds = time.perf_counter() - start
    if error is None:
        bad = unexpected_warnings(nb, allowed)
        if bad:
            lines = "\n".join(f"  cell {i}{_cell_id(nb, i)}: {line}" for i, line in bad)
            error = f"{len(bad)} 条不在允许清单上的警告（见 pyproject.toml 的 allowed_warnings）：\n{lines}"

    saved = None
    if executed_dir is not None:
        # 网站用的副本：去掉测试追加的 cell，记下这次运行的元数据
        executed = copy.deepcopy(nb)
        executed.cells = [
            c for c in executed.cells if INJECTED_TAG not in c.metadata.get("tags", [])
        ]
        executed.metadata["verified"] = run_metadata(seconds)
        saved = save_executed_copy(executed, path, executed_dir, root)
    return Run(nb, error, seconds, saved)


def _cell_id(nb, index: int) -> str:
    if 0 <= index < len(nb.cells) and nb.cells[index].get("id"):
        return f" (id {nb.cells[index].id})"
    return ""


def _failed_cell_report(nb) -> str:
    """哪一格、它的源码、traceback（去掉终端颜色）。"""
    for index in reversed(range(len(nb.cells))):
        cell = nb.cells[index]
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if cell.cell_type == "code" and errors:
            err = errors[0]
            trace = ANSI.sub("", "\n".join(err.get("traceback", [])))
            line = "-" * 75
            return (
                f"cell {index}{_cell_id(nb, index)} raised {err.get('ename')}: {err.get('evalue')}\n"
                f"{line}\n{rules.source(cell)}\n{line}\n{trace}"
            )
    return "a cell failed, but no cell has an error output"


def _unfinished_cell(nb) -> int:
    """the first code cell without an execute_reply timestamp (nbclient's record_timing)."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "shell.execute_reply" not in cell.metadata.get(
            "execution", {}
        ):
            return index
    return -1


# --- 执行副本 ---------------------------------------------------------------------------------
def save_executed_copy(nb, source: Path, executed_dir: Path, root: Path) -> Path | None:
    """build/executed/<与 root 的相对路径>；root 之外的笔记本（如 /tmp 里的草稿）不保存。"""
    import nbformat

    try:
        relpath = Path(source).resolve().relative_to(Path(root).resolve())
    except ValueError:
        return None
    target = executed_dir / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    nbformat.write(nb, str(partial))
    partial.replace(target)  # 原子替换：不会留下写了一半的副本
    return target


# “最后验证”（issue 22）：每个执行副本的 metadata["verified"] 记下这次运行的日期、版本、设备和
# 该笔记本的执行用时；网站的每一页和首页的用时都从这里读，不手写。
def device_name() -> str:
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
        "device": device_name(),
        "seconds": round(seconds, 1),
    }


# --- 警告门（issue 22）------------------------------------------------------------------------
# 笔记本有意演示的警告应当用 warnings.catch_warnings(record=True) 接住再打印（到 stdout），
# 那样它不会被当成“没人注意到的警告”。
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


# --- 练习的检查（issue 19）--------------------------------------------------------------------
# 执行参考答案笔记本时，在末尾追加一个只在测试里存在的 cell：运行对应章节里带 exercise-checks
# 标签的检查工具，把参考答案算出的 answer_1 … answer_5 逐个交给 check()，全部必须判为正确。
# 这样章节里的检查和参考答案不会各说各的。这个 cell 不写回提交的文件，也从执行副本里删掉。
def exercise_checks_cells(chapter: Path) -> list[str]:
    """章节里带 exercise-checks 标签的 cell 的源码（应恰好一个；tests/test_exercise_checks.py 检查）。"""
    if not chapter.exists():
        return []
    cells = json.loads(chapter.read_text(encoding="utf-8"))["cells"]
    return [
        rules.source(c)
        for c in cells
        if EXERCISE_CHECKS_TAG in c.get("metadata", {}).get("tags", [])
    ]


def exercise_checks_source(chapter: Path) -> str:
    found = exercise_checks_cells(chapter)
    assert len(found) == 1, f"{chapter.name}: 应恰好有一个带 {EXERCISE_CHECKS_TAG} 标签的 cell"
    return found[0]


def answers_cell(chapter: Path):
    import nbformat

    code = (
        f"# 只在测试中追加：把本笔记本的 answer_N 交给 {chapter.name} 的检查工具\n"
        + exercise_checks_source(chapter)
        + "\n\n"
        + "for _n in sorted(CHECKS):\n"
        + "    check(_n, globals().get(f'answer_{_n}', ...))\n"
        + "assert all(VERDICTS[_n] is True for _n in CHECKS), (\n"
        + f"    '参考答案没有通过 {chapter.name} 的检查：' + str(VERDICTS)\n"
        + ")\n"
    )
    return nbformat.v4.new_code_cell(code, metadata={"tags": [INJECTED_TAG]})
