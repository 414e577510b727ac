"""练习的检查工具（issue 19）：每章 `## 练习` 里带 exercise-checks 标签的那一格。

What is tested here, without running any notebook (the checks cell is executed alone, in a fresh
namespace, exactly as a learner's kernel would run it):
- every chapter has one checks cell, self-contained, with a check for each of its 5 exercises, and each
  exercise has an answer cell `answer_N = ...` + `check(N, answer_N)` in the committed (unanswered) form;
- the placeholder `...` is reported as not answered (None), so the chapter runs clean in CI;
- a typical wrong answer (WRONG below) is rejected with its intended hint, in one short line;
- equivalent forms of the right answer (RIGHT below) are accepted;
- the solutions notebook defines every `answer_N`.
The other half runs in CI with the notebooks: conftest.py appends a cell to each solutions notebook
that feeds its computed `answer_N` to the chapter's checks and asserts they are all accepted.
"""

import contextlib
import io
import re

import pytest
import torch  # WRONG / RIGHT 里的答案可以是张量

from conftest import (
    EXERCISE_CHECKS_TAG,
    NOTEBOOK_DIR,
    NOTEBOOKS,
    exercise_checks_source,
)

CHAPTERS = {
    nb.name[:2]: nb
    for nb in NOTEBOOKS
    if not nb.is_solutions
    and (NOTEBOOK_DIR / "solutions" / nb.name.replace(".ipynb", "_solutions.ipynb")).exists()
}
ANSWER_CELL = re.compile(r"answer_(\d+) = \.\.\.(?:  # [^\n]*)?\ncheck\(\1, answer_\1\)\n?")

# (练习编号, 学习者常见的错误答案, 提示里应有的一段话)。每道题至少一条。
WRONG: dict[str, list[tuple]] = {
    # --- 01 begin ---
    "01": [
        (1, (4, 3), "每行 10 个"),  # divmod 按用户数 10 换算
        (1, (3, 8), "顺序反了"),  # (品牌, 用户)
        (1, 43, "展平下标"),  # 直接交 argmax 的结果
        (1, 15, "购买次数本身"),  # 交了最大值本身
        (1, (2, 3), "不是最多"),
        (1, (-2, 3), "0–9"),  # 负下标：Python 能用，但不是题目要的下标
        (1, (8.6, 3), "要填整数"),  # 43 / 5 而不是 43 // 5
        (1, (8.9, 3.9), "要填整数"),
        (1, "(8, 3)", "答案的形式不对"),
        (2, "报错", "右对齐"),  # 左对齐时 4 对 2，以为不能广播
        (2, "(4, 2, 3)", "答案的形式不对"),  # 对的形状，但写成了字符串
        (2, (4, 2.9, 3.9), "要填整数"),
        (2, (4, 1, 3), "长度为 1 的维"),  # 忘了扩展
        (2, (2, 3), "维数"),
        (3, (-3, -6), "符号"),  # (-1)^2 当成 -1
        (3, (3, 3), "累加"),  # 以为第二次 backward 覆盖 .grad
        (3, (6, 6), "同一个张量"),  # first = x.grad; ...; second = x.grad：两个名字指向同一个张量
        (3, (torch.tensor(6.0), torch.tensor(6.0)), "原地更新"),
        (3, 3, "请填两个数"),  # 只填了第一问
        (3, torch.tensor(3.0), "请填两个数"),
        (4, 0.92, "核对 η"),  # 用了第 10 节的 lr = 0.01
        (4, 4.61, "核对 η"),  # 用了 lr = 0.05
        (4, 1.38, "另一个损失的曲率"),  # ½·MSE 的 H = (1/N)X̃ᵀX̃
        (4, 0.03, "非零特征值"),  # λ_min
        (4, 2.71, "全 1 的特征"),  # 漏了偏置那一列
        (4, "2.76", "答案的形式不对"),
        (5, (4, 1), "转置之前"),
        (5, (3, 1), "重新存放"),  # 按 (4, 3) 连续存放算的
        (5, (4, 3), "这是形状，不是步幅"),
        (5, (1.5, 4), "要填整数"),
    ],
    # --- 01 end ---
    # --- 02 begin ---
    "02": [
        (1, "B", "训练损失低不等于验证损失低"),
        (1, "c", "参数多少本身不决定"),
        (1, "AB", "只填一个字母"),
        (2, (44, 341822), "顺序像是反了"),
        (2, (17089, 44), "学习率不是本题的"),  # 原始 x 用了 lr=1e-2
        (2, (1707, 44), "学习率不是本题的"),  # 原始 x 用了标准化时的 lr=0.1
        (2, (148450, 44), "不同底的对数"),  # log10(0.01) / ln(1-ηλ)
        (2, (341822, 19), "不同底的对数"),
        (2, (683647, 91), "H 的约定"),  # 用了 H = (1/n)AᵀA
        (2, (54210, 44), "二次模型"),  # 用了第 4.1 节直线模型的 λ_min
        (2, (341822, 35), "参数误差缩小到 1 %"),  # 第 6 节实测的“损失进入 1 %”
        (2, (341822, 465), "学习率不是本题的"),  # 标准化时用了 lr=1e-2
        (2, "341822, 44", "不要加引号"),
        (2, ("341822", "44"), "不要加引号"),  # 两个数各加了引号
        (2, 341822, "请填两个数"),  # 只填了一个数
        (3, "A", "tanh 网络的样子"),
        (3, "C", "不只一个单元"),
        (3, "ReLU", "只填一个字母"),
        (4, 1e-3, "偏差修正"),  # 只修正了二阶矩：0.1·lr
        (4, 0.0316, "偏差修正"),  # 两个都没修正
        (4, 0.316, "偏差修正"),  # 只修正了一阶矩
        (4, 0.5, "与梯度大小有什么关系"),
        (4, "0.01", "不要加引号"),
        (5, "A", "机器精度"),
        (5, "C", "科学计数法"),
    ],
    # --- 02 end ---
    # --- 03 begin ---
    "03": [
        (1, 576, "奇数边长"),  # 池化向上取整得到 6×6
        (1, 1936, "第二次池化"),
        (1, 400.5, "要填整数"),
        (1, "400", "不要加引号"),
        (2, lambda out: out.mean(), "逐项写出"),  # 平均值：提示不说差几倍
        (2, lambda out: out, "不是一个标量"),
        (2, "out.sum()", "不要加引号"),
        (3, 1e-3 * 1000**0.5 / 10, "偏差修正"),
        (3, 0.0004, "梯度不为 0"),  # 对全部参数求平均（约 60% 的梯度是 0）
        (3, 0.01, "m、s 从 0 开始"),
        (4, 0, "不做标签平滑"),
        (4, 0.1, "平滑系数 ε 本身"),
        (4, 0.0943, "只算了一部分类"),
        (4, 0.41, "只算了一部分类"),
        (4, 0.72, "以 2 为底"),
        (4, "0.5", "不要加引号"),
        (5, "B", "实测的差值"),
        (5, "C", "实测的差值"),
        (5, "AB", "只填一个字母"),
    ],
    # --- 03 end ---
    # --- 04 begin ---
    "04": [
        (1, 1.14, "题目问的是损失"),  # 误差每步乘的倍数 |1 - ηλ_max|，忘了损失是它的平方
        (1, -1.143, "题目问的是损失"),
        (1, -1.31, "不会是负数"),  # 损失之比不会是负数
        (1, 0.98, "慢方向"),  # 1 - ηλ_min：看错了方向
        (1, 0.5, "小于 1"),
        (1, "1.31", "不要加引号"),
        (2, (1.0, 10.0), "∇²L"),  # 把 H 当成了 (1/n)AᵀA（½·MSE 的约定）
        (2, (0.56, 71.44), "没居中"),  # 原来的特征值
        (2, (2.0, 70.0), "平方均值 35"),
        (2, "(2, 20)", "不要加引号"),
        (3, 3, "retain_graph"),  # 原来（传了 retain_graph=True）才是第三次
        (3, 1, "第一次反向时图还完整"),
        (3, 2.5, "要填整数"),
        (3, "2", "不要加引号"),
        (4, "A", "不搬动模型"),
        (4, "c", "backward()"),
        (4, "D", "只填一个字母"),
        (4, "同步", "只填一个字母"),
        (5, "B", "原样存下每个比特"),
        (5, "C", "允许清单"),
        (5, "AB", "只填一个字母"),
    ],
    # --- 04 end ---
}

# (练习编号, 正确答案的另一种等价写法)：取整、张量还是 Python 数等都应被接受。
RIGHT: dict[str, list[tuple]] = {
    # --- 01 right begin ---
    "01": [
        (1, (torch.tensor(8), torch.tensor(3))),  # torch.unravel_index 的结果
        (1, [8, 3]),
        (1, torch.tensor([[8, 3]])),  # (m == m.max()).nonzero() 的结果
        (1, (8.0, 3.0)),
        (2, torch.Size([4, 2, 3])),
        (2, (4.0, 2, 3)),
        (3, (torch.tensor(3.0), torch.tensor(6.0))),
        (4, 2.76),
        (4, torch.tensor(2.7636, dtype=torch.float64)),
        (5, [1, 4]),
    ],
    # --- 01 right end ---
    # --- 02 right begin ---
    "02": [
        (1, "a"),
        (1, "Ａ"),  # 中文输入法的全角字母
        (1, " A。"),
        (2, (torch.tensor(341822.4), 44.4)),  # 精确解 ln 0.01 / ln(1-ηλ)，不取整
        (2, (341825, 47)),  # 近似 ln100 / (ηλ)
        (2, [341822, 44]),
        (3, " b "),
        (3, "「B」"),
        (4, torch.tensor(0.00999998)),
        (4, -0.01),  # 带符号的位移
        (5, "B"),
        (5, "ｂ"),
    ],
    # --- 02 right end ---
    # --- 03 right begin ---
    "03": [
        (1, torch.tensor(400)),
        (1, 400.0),
        (2, lambda out: torch.sum(out, dim=1)),
        (3, torch.tensor(0.00099)),
        (4, 0.5),
        (4, torch.tensor(0.5003)),
        (5, " a"),
        (5, "Ａ"),  # 中文输入法打出的全角字母
        (5, "A."),  # 从选项里复制
    ],
    # --- 03 right end ---
    # --- 04 right begin ---
    "04": [
        (1, 1.31),  # 保留两位小数
        (1, torch.tensor(1.3069)),
        (2, (20, 2)),  # 顺序不限、整数也行
        (2, torch.tensor([2.0, 20.0], dtype=torch.float64)),
        (
            2,
            torch.tensor([20.0 + 0.0j, 2.0 + 0.0j]),
        ),  # torch.linalg.eigvals 的结果（复数，虚部为 0）
        (2, (complex(2, 0), 20.0)),
        (3, torch.tensor(2)),
        (3, 2.0),
        (4, " b "),
        (4, "Ｂ"),  # 中文输入法打出的全角字母
        (4, "B。"),
        (4, "(b)"),
        (5, "a"),
        (5, "「Ａ」"),
    ],
    # --- 04 right end ---
}

_namespaces: dict[str, dict] = {}


def checks_namespace(chapter: str) -> dict:
    """在全新的命名空间里执行该章的检查工具 cell（只执行一次）。"""
    if chapter not in _namespaces:
        namespace: dict = {}
        exec(exercise_checks_source(CHAPTERS[chapter].path), namespace)
        _namespaces[chapter] = namespace
    return _namespaces[chapter]


def run_check(chapter: str, number: int, answer) -> tuple[object, str]:
    """调用 check(number, answer)，返回 (VERDICTS 里记下的结果, 打印出的文字)。"""
    namespace = checks_namespace(chapter)
    namespace["VERDICTS"].pop(number, None)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        returned = namespace["check"](number, answer)
    # check() 不返回值（否则 Jupyter 会在反馈下面再显示一个 True/False）；结果记在 VERDICTS 里
    assert returned is None, f"check() 应不返回值，得到 {returned!r}"
    return namespace["VERDICTS"][number], out.getvalue()


def answer_cells(chapter: str) -> dict[int, int]:
    """{练习编号: cell 序号}：章节里形如 `answer_N = ...` + `check(N, answer_N)` 的答案格。"""
    found = {}
    for index, cell in enumerate(CHAPTERS[chapter].cells):
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and src.lstrip().startswith("answer_"):
            match = ANSWER_CELL.fullmatch(src.strip() + "\n")
            assert match, (
                f"{chapter} cell {index}: 答案格应只有 `answer_N = ...  # 提示` 和 `check(N, answer_N)`"
            )
            found[int(match.group(1))] = index
    return found


def test_every_chapter_has_exercises():
    assert sorted(CHAPTERS) == ["01", "02", "03", "04"], sorted(CHAPTERS)


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_checks_cell_is_self_contained_and_covers_every_exercise(chapter):
    cells = CHAPTERS[chapter].cells
    tagged = [
        i
        for i, c in enumerate(cells)
        if EXERCISE_CHECKS_TAG in c.get("metadata", {}).get("tags", [])
    ]
    assert len(tagged) == 1, f"{chapter}: 应恰好有一个带 {EXERCISE_CHECKS_TAG} 标签的 cell"
    src = exercise_checks_source(CHAPTERS[chapter].path)
    assert "不必细看" in src.splitlines()[0], "检查工具的第一行应写明“不必细看”"
    namespace = checks_namespace(chapter)  # 单独执行不报错：不依赖章节里的变量
    numbers = sorted(namespace["CHECKS"])
    assert numbers == [1, 2, 3, 4, 5], f"{chapter}: CHECKS 应覆盖练习 1-5，实为 {numbers}"
    cells_by_number = answer_cells(chapter)
    assert sorted(cells_by_number) == numbers, (
        f"{chapter}: 每道练习应有一个答案格，实为 {sorted(cells_by_number)}"
    )
    assert all(index > tagged[0] for index in cells_by_number.values()), "答案格应在检查工具之后"


def test_check_function_is_the_same_in_every_chapter():
    """check() 和 VERDICTS 在四章里逐字相同（各章自带一份，因为 Colab 只打开一个文件）。"""
    tails = {
        ch: exercise_checks_source(nb.path).split("VERDICTS = {}", 1) for ch, nb in CHAPTERS.items()
    }
    assert all(len(parts) == 2 for parts in tails.values()), (
        "每章的检查工具都应定义 VERDICTS = {} 和 check()"
    )
    assert len({parts[1] for parts in tails.values()}) == 1, "各章的 check() 应逐字相同"


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_unanswered_is_neutral(chapter):
    for number in checks_namespace(chapter)["CHECKS"]:
        verdict, printed = run_check(chapter, number, ...)
        assert verdict is None, f"{chapter} 练习 {number}: 未作答应返回 None，得到 {verdict!r}"
        assert "还没作答" in printed and "✗" not in printed


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_every_exercise_has_a_typical_wrong_answer(chapter):
    covered = {number for number, *_ in WRONG[chapter]}
    missing = set(checks_namespace(chapter)["CHECKS"]) - covered
    assert not missing, f"{chapter}: 练习 {sorted(missing)} 还没有典型错误答案（WRONG）"


def _cases(table):
    return [
        pytest.param(chapter, *case, id=f"{chapter}-ex{case[0]}-{i}")
        for chapter, cases in table.items()
        for i, case in enumerate(cases)
    ]


@pytest.mark.parametrize(("chapter", "number", "answer", "hint"), _cases(WRONG))
def test_wrong_answer_gets_its_hint(chapter, number, answer, hint):
    verdict, printed = run_check(chapter, number, answer)
    assert verdict is False, (
        f"{chapter} 练习 {number}: {answer!r} 应判为错，得到 {verdict!r}：{printed}"
    )
    assert hint in printed, f"{chapter} 练习 {number}: 提示应含“{hint}”，实际：{printed}"
    assert printed.count("\n") == 1 and len(printed) <= 160, f"反馈应是简短的一行：{printed!r}"


@pytest.mark.parametrize(("chapter", "number", "answer"), _cases(RIGHT))
def test_equivalent_right_answer_is_accepted(chapter, number, answer):
    verdict, printed = run_check(chapter, number, answer)
    assert verdict is True, f"{chapter} 练习 {number}: {answer!r} 应判为对：{printed}"
    assert printed.count("\n") == 1 and len(printed) <= 160, f"反馈应是简短的一行：{printed!r}"


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_solutions_define_every_answer(chapter):
    solutions = (
        NOTEBOOK_DIR / "solutions" / CHAPTERS[chapter].name.replace(".ipynb", "_solutions.ipynb")
    )
    text = solutions.read_text(encoding="utf-8")
    for number in checks_namespace(chapter)["CHECKS"]:
        assert re.search(rf"\banswer_{number}\s*=", text), (
            f"{solutions.name} 应算出 answer_{number}"
        )
