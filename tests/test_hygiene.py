"""每个笔记本的静态检查（不执行代码，毫秒级）；执行由 nbmake 负责。

Static hygiene checks on every notebook in notebooks/. The parametrised `notebook`
argument and the fixtures come from the top-level conftest.py.
"""

import ast
import re

import nbformat
import pytest

EXPECTED_NAME = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")
# 本机或开发者机器上的绝对路径；笔记本要在 Colab 等任何地方都能运行
ABSOLUTE_PATH = re.compile(r"(?<![\w.])(/(work|tmp|root|home|Users|mnt|opt)/|[A-Za-z]:\\\\)")
BADGE_SVG = "https://colab.research.google.com/assets/colab-badge.svg"


def colab_url(repo: str, name: str) -> str:
    return f"https://colab.research.google.com/github/{repo}/blob/main/notebooks/{name}"


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def test_there_are_notebooks(all_notebooks):
    assert all_notebooks, "notebooks/ 里没有任何 .ipynb"


def test_name(notebook):
    assert EXPECTED_NAME.match(notebook.name), f"{notebook.name}: 名字应形如 01_topic_name.ipynb"


def test_valid_nbformat_4(notebook):
    nb = nbformat.reads(notebook.text, as_version=nbformat.NO_CONVERT)
    assert nb.nbformat == 4, f"nbformat {nb.nbformat}, expected 4"
    nbformat.validate(nb)


def test_committed_without_outputs(notebook):
    dirty = [
        i
        for i, cell in enumerate(notebook.cells)
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"cells {dirty} have outputs or execution counts: strip them (nbstripout)"


def test_kernelspec_python3(notebook):
    kernelspec = notebook.nb.get("metadata", {}).get("kernelspec", {})
    assert kernelspec.get("name") == "python3", f"kernelspec is {kernelspec!r}"


def test_first_cell_is_title_badge_summary(notebook, github_repo):
    first = notebook.cells[0]
    assert first["cell_type"] == "markdown", "the first cell must be markdown"
    text = source(first)
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines[0].startswith("# "), "the first line must be the '# 标题' title"
    badge = f"[![Open In Colab]({BADGE_SVG})]({colab_url(github_repo, notebook.name)})"
    assert badge in text, f"missing or stale Colab badge; expected:\n{badge}"
    summary = [line for line in lines[1:] if "colab-badge" not in line]
    assert sum(len(line) for line in summary) >= 40, "add a one-paragraph summary under the badge"


def test_last_cell_is_an_assert_self_check(notebook):
    last = notebook.cells[-1]
    assert last["cell_type"] == "code", "the last cell must be the code self-check"
    tree = ast.parse(source(last))
    asserts = [node for node in ast.walk(tree) if isinstance(node, ast.Assert)]
    assert len(asserts) >= 3, f"the self-check has {len(asserts)} asserts; check the results"


def test_no_absolute_paths(notebook):
    hits = sorted({m.group(0) for m in ABSOLUTE_PATH.finditer(notebook.text)})
    assert not hits, f"absolute paths {hits}: notebooks must run anywhere (use DATA_DIR)"


def test_readme_table_lists_exactly_the_notebooks(all_notebooks, readme_text):
    listed = set(re.findall(r"^\|.*?\(notebooks/(\d\d_\w+\.ipynb)\)", readme_text, re.M))
    assert listed == {nb.name for nb in all_notebooks}


@pytest.mark.parametrize("line", ["pip install -r requirements.txt", "pytest"])
def test_readme_gives_the_commands(readme_text, line):
    assert f"\n{line}" in readme_text


def test_readme_badges_point_to_the_repo(all_notebooks, readme_text, github_repo):
    urls = set(re.findall(r"https://colab\.research\.google\.com/github/[^)\s]+", readme_text))
    assert urls == {colab_url(github_repo, nb.name) for nb in all_notebooks}
