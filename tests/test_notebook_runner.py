"""The notebook runner (tools/notebook_runner.py) does what the site and the exercise checks rely on.

Tiny notebooks in a temporary repository go through the same plugin that `pytest` uses on
notebooks/ (a nested `pytest` in its own process, pytester): these tests fail if the executed copies stop being
written, if the solutions' answers stop being fed to the chapter's checks, or if an error, a slow
cell or an unexpected warning stops failing the notebook's test. Each starts a few Jupyter kernels
(about a second each).
"""

import json
import os

import nbformat
import pytest
from notebook_runner import INJECTED_TAG
from rules import ROOT

TOOLS = ROOT / "tools"

pytest_plugins = ["pytester"]

CHECKS_CELL = """\
# @title 检查答案的小工具
CHECKS = {1: lambda a: a == 4}
VERDICTS = {}


def check(n, answer):
    VERDICTS[n] = None if answer is ... else bool(CHECKS[n](answer))
    print(n, VERDICTS[n])
"""
VERIFIED_KEYS = {"date", "python", "torch", "torchvision", "device", "seconds"}


def write_notebook(path, *cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for cell in cells:
        if isinstance(cell, tuple):  # (source, tags)
            nb.cells.append(nbformat.v4.new_code_cell(cell[0], metadata={"tags": cell[1]}))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(cell))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def repository(pytester, answer: str):
    """A chapter with one exercise (answer 4) and its solutions notebook answering `answer`."""
    pytester.makefile(
        ".toml", pyproject='[tool.pytest.ini_options]\nnotebook_cell_timeout = "20"\n'
    )
    nbdir = pytester.path / "notebooks"
    write_notebook(
        nbdir / "99_demo.ipynb",
        "x = 2 + 2\nprint('x =', x)",
        (CHECKS_CELL, ["exercise-checks"]),
        "answer_1 = ...\ncheck(1, answer_1)",
    )
    write_notebook(nbdir / "solutions" / "99_demo_solutions.ipynb", f"answer_1 = {answer}")
    return nbdir


@pytest.fixture
def pytester(pytester, monkeypatch):
    """A nested `pytest` in its own process (torch cannot be imported twice in one), with the plugin."""
    monkeypatch.setenv("PYTHONPATH", str(TOOLS), prepend=os.pathsep)
    return pytester


def run(pytester, *args):
    return pytester.runpytest_subprocess("-p", "notebook_runner", "-p", "no:nbmake", *args)


def test_executed_copies_are_written_with_the_verified_stamp(pytester):
    nbdir = repository(pytester, "2 * 2")
    result = run(pytester, "notebooks")
    result.assert_outcomes(passed=2)
    for rel in ("notebooks/99_demo.ipynb", "notebooks/solutions/99_demo_solutions.ipynb"):
        copy = pytester.path / "build" / "executed" / rel
        assert copy.exists(), f"no executed copy {copy}"
        nb = json.loads(copy.read_text(encoding="utf-8"))
        verified = nb["metadata"].get("verified", {})
        assert set(verified) == VERIFIED_KEYS, verified
        assert verified["seconds"] >= 0
        committed = json.loads((pytester.path / rel).read_text(encoding="utf-8"))
        # the appended answers cell is not in the copy; the committed file is not written
        assert len(nb["cells"]) == len(committed["cells"])
        assert not any(INJECTED_TAG in c["metadata"].get("tags", []) for c in nb["cells"])
        assert not any(c.get("outputs") for c in committed["cells"])
    chapter = json.loads((pytester.path / "build/executed/notebooks/99_demo.ipynb").read_text())
    text = chapter["cells"][0]["outputs"][0]["text"]  # nbformat may store it as a list of lines
    assert "".join(text) == "x = 4\n"
    assert nbdir.exists()


def test_solutions_answers_are_fed_to_the_chapter_checks(pytester):
    """A wrong answer in the solutions fails only because the chapter's check() is run on it."""
    repository(pytester, "5")
    result = run(pytester, "notebooks/solutions")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*参考答案没有通过 99_demo.ipynb 的检查*{1: False}*"])


def test_failures_say_which_cell_and_why(pytester):
    pytester.makefile(".toml", pyproject='[tool.pytest.ini_options]\nnotebook_cell_timeout = "2"\n')
    nbdir = pytester.path / "notebooks"
    write_notebook(nbdir / "01_error.ipynb", "a = 1", "def f():\n    return 1 / 0\n\nf()")
    write_notebook(nbdir / "02_slow.ipynb", "import time\ntime.sleep(30)")
    write_notebook(
        nbdir / "03_warning.ipynb",
        "import warnings\nwarnings.warn('old API', FutureWarning, stacklevel=1)",
    )
    write_notebook(  # shown on purpose: caught and printed to stdout, so not gated
        nbdir / "04_shown.ipynb",
        "import warnings\nwith warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n    warnings.warn('demo', UserWarning)\nprint(w[0].message)",
    )
    result = run(pytester, "notebooks")
    result.assert_outcomes(failed=3, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*cell 1 (id *) raised ZeroDivisionError: division by zero*",
            "*return 1 / 0*",  # the cell's source and the traceback
            "*cell 0 (id *): no result after 2 s (notebook_cell_timeout)*",
            "*1 条不在允许清单上的警告*",
            "*cell 0 (id *): FutureWarning: old API*",
        ]
    )
    assert (pytester.path / "build/executed/notebooks/01_error.ipynb").exists()


def test_allow_listed_warnings_pass(pytester):
    pytester.makefile(
        ".toml",
        pyproject="[tool.pytest.ini_options]\n[[tool.pytorch-notebooks.allowed_warnings]]\n"
        'pattern = "FutureWarning: old API"\nreason = "test"\nversions = "any"\n',
    )
    write_notebook(
        pytester.path / "notebooks" / "01_warning.ipynb",
        "import warnings\nwarnings.warn('old API', FutureWarning, stacklevel=1)",
    )
    run(pytester, "notebooks").assert_outcomes(passed=1)


def test_figures_are_drawn_at_twice_their_display_size(pytester):
    """The executed copies' PNGs have 2x pixels, with the display size as metadata (issue 27)."""
    import base64
    import io

    from PIL import Image

    write_notebook(
        pytester.path / "notebooks" / "99_plot.ipynb",
        "import matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots(figsize=(4, 3))\n"
        "ax.plot([0, 1], [0, 1])\n"
        "plt.show()",
    )
    run(pytester, "notebooks").assert_outcomes(passed=1)
    copy = pytester.path / "build" / "executed" / "notebooks" / "99_plot.ipynb"
    (output,) = json.loads(copy.read_text(encoding="utf-8"))["cells"][0]["outputs"]
    png = base64.b64decode(output["data"]["image/png"])
    width, height = Image.open(io.BytesIO(png)).size
    shown = output["metadata"].get("image/png", {})
    assert shown, "the PNG has no display size: the site would show it at twice the size"
    # matplotlib_inline halves the pixel size, rounding down
    assert (width // 2, height // 2) == (shown["width"], shown["height"]), (width, height, shown)
    # 4 x 3 inches at matplotlib's 100 dpi, trimmed by bbox_inches="tight": a few hundred pixels
    assert 300 <= shown["width"] <= 400, shown
