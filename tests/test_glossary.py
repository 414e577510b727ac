"""中英术语表（docs/glossary.csv）与笔记本保持一致。

The glossary is the single list of the book's terms (tools/glossary.py explains the format and
the rules). These checks keep it true of the notebooks:
- every row's term (中文 and English) appears in the section it cites, and that section
  exists (the glossary page links to it);
- every term a notebook introduces with the 中文（English） convention is in the glossary.
When a notebook gains a term, `python tools/glossary.py --draft` prints the rows to add.
"""

import json
from pathlib import Path

import glossary  # tools/ (conftest.py puts it on sys.path)
import pytest


@pytest.fixture(scope="module")
def entries():
    return glossary.load()


def test_glossary_rows_are_true_of_the_notebooks(entries):
    assert len(entries) > 100
    problems = glossary.problems(entries)
    assert not problems, (
        f"{len(problems)} glossary row(s) do not match the notebooks (fix docs/glossary.csv):\n"
        + "\n".join(problems)
    )


def test_every_introduced_term_is_in_the_glossary(entries):
    lost = glossary.missing(entries)
    lines = [f"{i.notebook} '{i.section}': …{i.before[-12:]}（{i.en}）" for i in lost]
    assert not lost, (
        f"{len(lost)} term introduction(s) 中文（English） not in docs/glossary.csv; "
        "`python tools/glossary.py --draft` prints rows to edit and add:\n" + "\n".join(lines)
    )


def notebook(tmp_path: Path, *markdown: str) -> Path:
    path = tmp_path / "99_test.ipynb"
    cells = [{"cell_type": "markdown", "metadata": {}, "source": m} for m in markdown]
    path.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    return path


def test_what_counts_as_a_term_introduction(tmp_path):
    path = notebook(
        tmp_path,
        "## 1. 第一节\n"
        "我们用反向传播（backpropagation）求梯度；**叶子张量**（leaf tensor）是“死”单元（dead unit）。\n"
        "均方误差（mean squared error, MSE）；学习率（learning rate，每次走多大一步）。\n"
        "（这叫链式法则，chain rule；那一趟叫前向计算，forward pass）",
        "## 2. 不是术语\n"
        "放到 GPU（CPU → GPU）上；卷积网络（CNN）、随机梯度下降（SGD）；原地操作（如 `add_`）；"
        "代码（`x.add_(1)`）；公式（$x^2$）；类型（float32）；十类（airplane、automobile）；"
        "库（ATen）；误差（相对误差，float32）。",
    )
    found = [(i.run, i.en, i.section) for i in glossary.introductions(path)]
    assert found == [
        ("我们用反向传播", "backpropagation", "1. 第一节"),
        ("叶子张量", "leaf tensor", "1. 第一节"),
        ("是死单元", "dead unit", "1. 第一节"),
        ("均方误差", "mean squared error", "1. 第一节"),
        ("学习率", "learning rate", "1. 第一节"),
        ("这叫链式法则", "chain rule", "1. 第一节"),
        ("那一趟叫前向计算", "forward pass", "1. 第一节"),
    ]


def test_an_en_dash_does_not_cut_a_term_and_english_first_introductions_count(tmp_path):
    path = notebook(
        tmp_path,
        "## 1. 第一节\n"
        "autograd 算的是：向量–雅可比积（vector-Jacobian product）。\n"
        "`state_dict`（状态字典）、dtype（数据类型）和 `model.eval()`（求值模式）。\n"
        "## 2. 不是术语\n"
        "`None`（下面会看到）；`x.grad`（梯度）；`(N, C, H, W)`（一批）；CPU（处理器）；"
        "`tuple`（元组）。",
    )
    intros = glossary.introductions(path)
    found = [(i.run, i.en, i.section) for i in intros]
    assert found == [
        ("向量–雅可比积", "vector-Jacobian product", "1. 第一节"),
        ("状态字典", "state_dict", "1. 第一节"),
        ("数据类型", "dtype", "1. 第一节"),
    ]
    assert glossary.Entry("向量–雅可比积", "vector-Jacobian product", "", "").covers(intros[0])
    assert glossary.Entry("状态字典", "state_dict", "", "").covers(intros[1])
    assert not glossary.Entry("字典", "state_dict", "", "").covers(intros[1])
    assert not glossary.Entry("状态字典", "state dict", "", "").covers(intros[1])


def test_a_row_covers_an_introduction_by_suffix_and_english():
    intro = glossary.Intro("01.ipynb", "1", "所以我们用反向传播", "Backpropagation")
    assert glossary.Entry("反向传播", "backpropagation", "", "").covers(intro)
    assert glossary.Entry("传播", "backpropagation", "", "").covers(intro)
    assert glossary.Entry("反向传播", "backward", "", "", ["backpropagation"]).covers(intro)
    assert not glossary.Entry("反向传播", "backward", "", "").covers(intro)
    assert not glossary.Entry("反向传播算法", "backpropagation", "", "").covers(intro)


def test_sections_and_their_anchors(tmp_path):
    path = notebook(
        tmp_path,
        "# 03 标题\n简介\n## 11. 配方\n### 11.2 更好的训练配方\n标签平滑（label smoothing）\n"
        "## 练习\n```python\n# 不是标题\n```\n",
        "## 练习\n#### 选读：`view` 与步长\n##### 太深",
    )
    secs = glossary.sections(path)
    assert [(s.title, s.slug) for s in secs] == [
        ("03 标题", "03-标题"),
        ("11. 配方", "11-配方"),
        ("11.2 更好的训练配方", "112-更好的训练配方"),
        ("练习", "练习"),
        ("练习", "练习-1"),
        ("选读：`view` 与步长", "选读view-与步长"),
        ("太深", ""),
    ]
    # a section runs to the next heading of its level or higher, subsections included
    assert "标签平滑" in secs[1].text and "标签平滑" in secs[2].text
    assert "标签平滑" not in secs[3].text and "# 不是标题" in secs[3].text


def test_the_glossary_page_links_every_term_to_its_section(entries):
    page = glossary.page_markdown(entries, {})
    for e in entries:
        section = next(
            s for s in glossary.sections(glossary.NOTEBOOKS / e.notebook) if s.title == e.section
        )
        assert f"[{e.zh}](notebooks/{e.notebook}#{section.slug})" in page, e.zh
