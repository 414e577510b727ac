"""每个笔记本的静态检查（不执行代码，毫秒级）；执行由 tools/notebook_runner.py 负责。

Static hygiene checks on every notebook in notebooks/. The parametrised `notebook`
argument and the fixtures come from the top-level conftest.py.
"""

import ast
import re
import sys

import nbformat
import pytest
import rules  # tools/rules.py (conftest.py puts tools/ on sys.path)
from markdown_it import MarkdownIt
from rules import ROOT, source

EXPECTED_NAME = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")
BADGE_SVG = "https://colab.research.google.com/assets/colab-badge.svg"


def colab_url(repo: str, relpath: str) -> str:
    return f"https://colab.research.google.com/github/{repo}/blob/main/{relpath}"


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
    number = notebook.name[:2]
    assert lines[0].startswith(f"# {number} "), (
        f"the first line must be the title '# {number} 标题'"
    )
    if notebook.is_solutions:
        assert lines[0].startswith(f"# {number} 参考答案："), "solutions title: '# NN 参考答案：…'"
    badge = f"[![Open In Colab]({BADGE_SVG})]({colab_url(github_repo, notebook.relpath)})"
    assert badge in text, f"missing or stale Colab badge; expected:\n{badge}"
    summary = [line for line in lines[1:] if "colab-badge" not in line]
    assert sum(len(line) for line in summary) >= 40, "add a one-paragraph summary under the badge"


def test_last_cell_is_an_assert_self_check(notebook):
    last = notebook.cells[-1]
    assert last["cell_type"] == "code", "the last cell must be the code self-check"
    tree = ast.parse(source(last))
    asserts = [node for node in ast.walk(tree) if isinstance(node, ast.Assert)]
    assert len(asserts) >= 3, f"the self-check has {len(asserts)} asserts; check the results"


def strings(value) -> list[str]:
    """Every string in a parsed notebook (sources, metadata, outputs), JSON escapes decoded."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.keys()) + list(value.values())
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


def test_no_absolute_paths(notebook):
    hits = sorted({hit for text in strings(notebook.nb) for hit in rules.machine_paths(text)})
    assert not hits, f"absolute paths {hits}: notebooks must run anywhere (use DATA_DIR)"


def test_absolute_path_detector():
    found = rules.machine_paths
    assert found('open("/home/ana/data.csv")') == ["/home/"]
    assert found("C:\\Users\\ana") == ["C:\\"]
    assert found("见 https://example.org/home/x 和 ./tmp/y、~/work/z") == []
    assert found("path = DATA_DIR / 'x'") == []


def test_readme_table_lists_exactly_the_notebooks(all_notebooks, readme_text):
    table_rows = [line for line in readme_text.splitlines() if line.startswith("|")]
    listed = {m for row in table_rows for m in re.findall(r"\]\((notebooks/[\w/]+\.ipynb)\)", row)}
    assert listed == {nb.relpath for nb in all_notebooks}


@pytest.mark.parametrize("line", ["pip install -r requirements.txt", "pytest"])
def test_readme_gives_the_commands(readme_text, line):
    assert f"\n{line}" in readme_text


def test_readme_badges_point_to_the_repo(all_notebooks, readme_text, github_repo):
    urls = set(re.findall(r"https://colab\.research\.google\.com/github/[^)\s]+", readme_text))
    assert urls == {colab_url(github_repo, nb.relpath) for nb in all_notebooks}


# ---------------------------------------------------------------------------
# Markdown 渲染：JupyterLab 用 CommonMark 规则渲染 Markdown。`**…**` 的结束标记若夹在全角括号与汉字之间
# （如 `是**原地（in-place）**操作`），就不算“右侧定界符”，星号会原样显示。这里像 JupyterLab 一样
# 先把公式换成占位符，再渲染，最后找渲染结果里残留的强调标记。
_MARKDOWN = MarkdownIt("commonmark")
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]*\$", re.S)
_CODE_HTML = re.compile(r"<code>.*?</code>|<pre>.*?</pre>", re.S)
_LITERAL_EMPHASIS = re.compile(r"\*\*|(?<![\w/])__(?!\w)")


def literal_emphasis(markdown: str) -> list[str]:
    """渲染后仍以文字形式出现的 ** / __（附上下文）；空列表表示全部渲染成了粗体/斜体。"""
    html = _CODE_HTML.sub("", _MARKDOWN.render(_MATH.sub("MATH", markdown)))
    return [html[max(0, m.start() - 20) : m.end() + 20] for m in _LITERAL_EMPHASIS.finditer(html)]


def test_literal_emphasis_detector():
    assert literal_emphasis("一个**原地**（in-place）操作") == []
    assert literal_emphasis("是**原地（in-place）**操作")  # 旧写法：星号原样显示
    assert literal_emphasis("公式 $a**2$ 与 `x**2` 不算") == []


def markdown_hits(notebook, finder) -> dict[int, list[str]]:
    """{cell 序号: finder 在该 Markdown cell 里找到的问题}，只列有问题的 cell。"""
    return {
        i: hits
        for i, cell in enumerate(notebook.cells)
        if cell["cell_type"] == "markdown" and (hits := finder(source(cell)))
    }


def test_markdown_renders_without_literal_emphasis(notebook):
    bad = markdown_hits(notebook, literal_emphasis)
    assert not bad, (
        f"emphasis markers shown as text in JupyterLab (move them, e.g. **原地**（in-place）): {bad}"
    )


# 段落里两个中文字符（含全角标点）之间的换行：JupyterLab 把它显示成一个多余的空格
# （“（computation graph）， 然后用”）。只看同一段落里的软换行，标题、表格、列表项之间的换行不算。
_CJK_BREAK = re.compile(f"([{rules.CJK}])\n([{rules.CJK}])")


def cjk_line_breaks(markdown: str) -> list[str]:
    """段落内夹在两个中文字符之间的换行（附上下文）。"""
    hits = []
    for token in _MARKDOWN.parse(_MATH.sub("MATH", markdown)):
        if token.type == "inline":
            text = token.content
            hits += [text[max(0, m.start() - 8) : m.end() + 8] for m in _CJK_BREAK.finditer(text)]
    return hits


def test_cjk_line_break_detector():
    assert cjk_line_breaks("先建计算图，\n然后反向传播。")
    assert cjk_line_breaks("- 列表项里\n  接着写")
    assert cjk_line_breaks("## 标题\n正文紧接着标题") == []
    assert cjk_line_breaks("第一段。\n\n第二段。") == []
    assert cjk_line_breaks("英文结尾 word\n中文开头") == []
    assert cjk_line_breaks("扩展 A 的字㐀\n也算")  # U+3400–4DBF


def test_no_line_break_between_chinese_characters(notebook):
    bad = markdown_hits(notebook, cjk_line_breaks)
    assert not bad, f"line breaks inside Chinese sentences show as stray spaces; join them: {bad}"


# ---------------------------------------------------------------------------
# 版本检查：每个笔记本的第一个代码 cell 在做任何事之前，按 requirements.txt 的下限检查版本。
def requirement_lower_bounds() -> dict[str, str]:
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)>=([\d.]+)", text, re.M))


def first_code_cell(notebook) -> str:
    return next(source(c) for c in notebook.cells if c["cell_type"] == "code")


def test_first_code_cell_checks_versions(notebook):
    bounds = requirement_lower_bounds()
    code = first_code_cell(notebook)
    tree = ast.parse(code)
    assigned = {
        node.targets[0].id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    assert "MIN_VERSIONS" in assigned, (
        "the first code cell must be the version check (MIN_VERSIONS = {...})"
    )
    min_versions = ast.literal_eval(assigned["MIN_VERSIONS"])
    assert min_versions.get("torch") == bounds["torch"], (
        f"torch bound {min_versions} vs requirements {bounds['torch']}"
    )
    python_bound = re.search(r"Python ≥ ([\d.]+)", (ROOT / "README.md").read_text(encoding="utf-8"))
    assert python_bound and min_versions.get("Python") == python_bound.group(1), (
        "Python bound differs from the README"
    )
    uses_torchvision = any(
        re.search(r"^\s*(import|from) torchvision", source(c), re.M)
        for c in notebook.cells
        if c["cell_type"] == "code"
    )
    if uses_torchvision:
        assert min_versions.get("torchvision") == bounds["torchvision"], "check torchvision too"
    imported = {
        alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names
    }
    assert imported <= {"re", "sys", "torch", "torchvision"}, (
        f"the version check imports only what it checks: {imported}"
    )


def test_self_check_output_is_plain_text(notebook):
    last = source(notebook.cells[-1])
    assert not re.search(r"[\U0001F000-\U0001FFFF\u2600-\u27BF]", last), (
        "no emoji in the self-check: machines without an emoji font show a box"
    )


# ---------------------------------------------------------------------------
# 参考答案：每个章节在 notebooks/solutions/ 有一本答案，章节的练习部分链接到它。
def test_every_chapter_has_linked_solutions(all_notebooks):
    # 附录没有练习，也就没有参考答案。豁免只给这里点名的笔记本，并且它的标题必须是 “# NN 附录…”、
    # 不能有 “## 练习” 一节：新章节不能靠改名或改标题绕过这条检查。
    appendix_names = {"05_common_errors.ipynb"}
    appendices = [nb for nb in all_notebooks if nb.name in appendix_names]
    assert {nb.name for nb in appendices} == appendix_names, (
        "appendix_names lists a missing notebook"
    )
    for appendix in appendices:
        title = source(appendix.cells[0]).lstrip().splitlines()[0]
        assert title.startswith(f"# {appendix.name[:2]} 附录"), (
            f"{appendix.name}: only an appendix (title '# NN 附录…') is exempt from solutions"
        )
        assert not any(
            re.search(r"^##\s*练习", source(c), re.M)
            for c in appendix.cells
            if c["cell_type"] == "markdown"
        ), f"{appendix.name}: an appendix has no 练习 section (exercises need solutions)"
    chapters = [nb for nb in all_notebooks if not nb.is_solutions and nb.name not in appendix_names]
    solutions = {nb.name for nb in all_notebooks if nb.is_solutions}
    for chapter in chapters:
        expected = chapter.name.replace(".ipynb", "_solutions.ipynb")
        assert expected in solutions, f"{chapter.name}: missing notebooks/solutions/{expected}"
        links = [source(c) for c in chapter.cells if c["cell_type"] == "markdown"]
        assert any(f"](solutions/{expected})" in text for text in links), (
            f"{chapter.name}: its 练习 section should link to solutions/{expected}"
        )
    assert solutions == {nb.name.replace(".ipynb", "_solutions.ipynb") for nb in chapters}, (
        "every solutions notebook belongs to a chapter"
    )


# ---------------------------------------------------------------------------
# 选择设备：每个选择设备的笔记本（有一句不在函数里的 `device = …`）都带一格与 tools/pick_device.py
# 逐字节相同的工具格（末尾的换行不算），并且只有这一格定义 pick_device。要改它，先改 tools/pick_device.py。
PICK_DEVICE = (ROOT / "tools" / "pick_device.py").read_text(encoding="utf-8")


def chooses_a_device(notebook) -> bool:
    for cell in notebook.cells:
        if cell["cell_type"] != "code":
            continue
        try:
            tree = ast.parse(re.sub(r"^\s*[%!].*$", "", source(cell), flags=re.M))
        except SyntaxError:
            continue
        if _assigns_device(tree):
            return True
    return False


def _assigns_device(node) -> bool:
    """`device = …` in the cell's own code (also under if/with/try), not inside a def or class."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
        return False
    if isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "device" for t in node.targets
    ):
        return True
    return any(_assigns_device(child) for child in ast.iter_child_nodes(node))


def pick_device_cells(notebook) -> tuple[list[int], list[int]]:
    """(cells identical to tools/pick_device.py, other cells that define pick_device)."""
    same, other = [], []
    for i, cell in enumerate(notebook.cells):
        text = source(cell)
        if cell["cell_type"] == "code" and text.rstrip("\n") == PICK_DEVICE.rstrip("\n"):
            same.append(i)
        elif re.search(r"^def pick_device\b", text, re.M):
            other.append(i)
    return same, other


def test_pick_device_is_the_shared_cell(notebook):
    same, other = pick_device_cells(notebook)
    assert not other, (
        f"cells {other} define pick_device differently from tools/pick_device.py: copy that file "
        "into the cell byte for byte"
    )
    if chooses_a_device(notebook):
        assert len(same) == 1, (
            f"{notebook.name} chooses a device: it needs exactly one code cell identical to "
            f"tools/pick_device.py (found {len(same)}), then `device = pick_device()`"
        )


def test_pick_device_check_can_fail(all_notebooks):
    """A copy that differs by one character is caught; the canonical text is valid Python."""
    compile(PICK_DEVICE, "tools/pick_device.py", "exec")
    assert PICK_DEVICE.startswith("# @title ")
    nb = all_notebooks[0]
    cell = {"cell_type": "code", "metadata": {}, "source": PICK_DEVICE.replace("MPS", "mps", 1)}
    assign = {"cell_type": "code", "metadata": {}, "source": "device = pick_device()"}
    changed = type(nb)(nb.path, "", {"cells": [cell, assign]})
    assert pick_device_cells(changed) == ([], [0])
    assert chooses_a_device(changed)
    exact = type(nb)(nb.path, "", {"cells": [dict(cell, source=PICK_DEVICE), assign]})
    assert pick_device_cells(exact) == ([0], [])


def test_linters_in_ci_match_pre_commit():
    """.ci/lint.txt (what `bash .ci/run` installs) pins the versions .pre-commit-config.yaml uses."""
    pins = dict(re.findall(r"^([\w-]+)==([\w.]+)", (ROOT / ".ci/lint.txt").read_text(), re.M))
    config = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    revs = dict(re.findall(r"repo: https://github.com/[\w-]+/([\w-]+)\s+rev: v?([\w.]+)", config))
    assert pins == {"ruff": revs["ruff-pre-commit"], "nbstripout": revs["nbstripout"]}, (pins, revs)


# ---------------------------------------------------------------------------
# 依赖都有声明：仓库里的 .py 和笔记本 import 的每个第三方包，都写在 requirements.txt、
# requirements-site.txt 或 .ci/lint.txt 里；少数由已声明的包带来的依赖列在 PROVIDED_BY 里，
# 测试核对那个包确实依赖它。没有安装的包（例如 colab 一组里网站的包）查不到发行名，跳过。
REQUIREMENT_FILES = ("requirements.txt", "requirements-site.txt", ".ci/lint.txt")
PROVIDED_BY = {"pillow": "torchvision", "docutils": "sphinx"}  # 发行名 -> 声明了的、依赖它的包


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_distributions() -> set[str]:
    names = set()
    for file in REQUIREMENT_FILES:
        text = (ROOT / file).read_text(encoding="utf-8")
        names |= {_canonical(m) for m in re.findall(r"^([A-Za-z0-9][\w.-]*)", text, re.M)}
    return names


# 本项目自己的 .py 文件所在的文件夹（加上根目录）：publish/ 是网站与 PDF 的生成和检查。
CODE_FOLDERS = ("tools", "tests", "docs", "publish")


def imported_modules() -> dict[str, set[str]]:
    """{top-level module: files that import it} for the repository's .py files and notebooks."""

    def modules(code: str) -> set[str]:
        try:
            tree = ast.parse(re.sub(r"^\s*[%!].*$", "", code, flags=re.M))
        except SyntaxError:
            return set()
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
        return found

    found: dict[str, set[str]] = {}
    sources = [(p, p.read_text(encoding="utf-8")) for p in ROOT.glob("*.py")]
    for folder in CODE_FOLDERS:
        sources += [(p, p.read_text(encoding="utf-8")) for p in (ROOT / folder).glob("*.py")]
    for path in rules.notebook_paths():
        code = [source(c) for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        sources += [(path, text) for text in code]
    for path, text in sources:
        for module in modules(text):
            found.setdefault(module, set()).add(path.relative_to(ROOT).as_posix())
    return found


def test_every_imported_package_is_declared():
    from importlib.metadata import packages_distributions, requires

    own = {p.stem for folder in CODE_FOLDERS for p in (ROOT / folder).glob("*.py")}
    own |= {"conftest", "__future__"}
    declared = declared_distributions()
    distributions = packages_distributions()
    missing = []
    for module, files in sorted(imported_modules().items()):
        if module in sys.stdlib_module_names or module in own or module not in distributions:
            continue
        for dist in map(_canonical, distributions[module]):
            provider = PROVIDED_BY.get(dist)
            if provider:
                assert provider in declared, f"{provider} (which brings {dist}) is not declared"
                needs = {
                    _canonical(re.split(r"[^\w.-]", r, maxsplit=1)[0])
                    for r in requires(provider) or []
                }
                assert dist in needs, f"{provider} no longer requires {dist}: declare {dist}"
            elif dist not in declared:
                missing.append(f"{dist} (import {module}: {', '.join(sorted(files))})")
    assert not missing, f"imported but not in {', '.join(REQUIREMENT_FILES)}: {missing}"
