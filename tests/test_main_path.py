"""Issue 26: each chapter's first view in JupyterLab is a main path a beginner can walk in one sitting.

The limits and the metadata rules live in tools/mainpath.py; this test only asks them.
"""

import copy
import json

import mainpath  # tools/ (conftest.py puts it on sys.path)
import pytest
import rules

NOTEBOOKS = rules.notebook_paths()


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_metadata_follows_the_rules(path):
    """选读 headings collapsed, `# @title` tool cells hidden, and nothing else: run
    `python tools/mainpath.py --apply` after editing a notebook."""
    nb = _load(path)
    assert mainpath.apply(copy.deepcopy(nb)) == nb, (
        f"{path.name}: collapse/hide metadata differs from the rules; run python tools/mainpath.py --apply"
    )


@pytest.mark.parametrize("path", mainpath.CHAPTERS, ids=lambda p: p.name)
def test_first_view_fits_one_sitting(path):
    cells, chars = mainpath.first_view(_load(path))
    assert cells <= mainpath.MAX_CELLS and chars <= mainpath.MAX_CHARS, (
        f"{path.name}: {cells} cells / {chars} characters visible on open "
        f"(limit {mainpath.MAX_CELLS} / {mainpath.MAX_CHARS}): move detail into a 选读 block"
    )


@pytest.mark.parametrize("path", mainpath.CHAPTERS, ids=lambda p: p.name)
def test_main_path_needs_nothing_from_a_collapsed_block(path):
    problems = mainpath.hidden_dependencies(_load(path))
    assert not problems, f"{path.name}: main-path cells use names bound only in 选读: " + "; ".join(
        f"cell {i} uses {name} (bound in collapsed cell {j})" for i, name, j in problems
    )


@pytest.mark.parametrize("path", mainpath.CHAPTERS, ids=lambda p: p.name)
def test_chapter_opens_with_its_route(path):
    """本章路线 comes before the first numbered section."""
    nb = _load(path)
    heads = [mainpath.heading(c) for c in nb["cells"]]
    heads = [h for h in heads if h]
    names = [h[1] for h in heads]
    assert any("本章路线" in n for n in names[:3]), (
        f"{path.name}: no 本章路线 among the first headings"
    )


def test_rules_can_fail():
    """The measurement and the dependency check see what they are for (each rule broken once)."""
    md = lambda s, i: {"cell_type": "markdown", "id": str(i), "metadata": {}, "source": s}
    code = lambda s, i: {
        "cell_type": "code",
        "id": str(i),
        "metadata": {},
        "source": s,
        "outputs": [],
        "execution_count": None,
    }
    nb = {
        "metadata": {},
        "cells": [
            md("## 1 主线", 0),
            code("a = 1", 1),
            md("### 1.1 选读：细节", 2),
            code("b = a + 1", 3),
            md("## 2 下一节", 4),
            code("# @title 工具（不必细看）\nc = 3", 5),
            code("print(b, c)", 6),
            code("assert b == 2", 7),
        ],
    }
    mainpath.apply(nb)
    assert nb["cells"][2]["metadata"]["jp-MarkdownHeadingCollapsed"] is True
    assert nb["metadata"]["colab"]["collapsed_sections"] == ["2"]
    assert nb["cells"][5]["metadata"]["jupyter"]["source_hidden"] is True
    assert mainpath.hidden_on_open(nb) == [False, False, False, True, False, False, False, False]
    # visible: 0,1,2,4,5(hidden source),6,7
    assert mainpath.first_view(nb) == (
        7,
        sum(len(nb["cells"][i]["source"]) for i in (0, 1, 2, 4, 6, 7)),
    )
    assert mainpath.hidden_dependencies(nb) == [(6, "b", 3)]
