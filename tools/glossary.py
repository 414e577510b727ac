"""中英术语表（glossary）：唯一的来源是 docs/glossary.csv。

The book's glossary. docs/glossary.csv is the only list of terms; everything else is derived
from it: the glossary page of the website (publish/build_site.py), the words the site's search
index keeps whole (docs/conf.py), the terms publish/check_site.py searches for in the browser, and the checks in
tests/test_glossary.py.

glossary.csv has one row per term, columns
    中文      the Chinese term, as the notebook writes it at its first use
    English   the English term written in the parentheses after it
    笔记本    the notebook that explains it, relative to notebooks/ (e.g. 03_cifar10_blitz.ipynb)
    小节      the heading of the section that explains it, exactly as in the notebook, without
              the leading #s (e.g. 11.2 更好的训练配方); the glossary page links to that heading
    又作      other English spellings used for the same term elsewhere, separated by ';'
              (e.g. computation graph for 计算图 / computational graph); may be empty

A term is *introduced* in a notebook's Markdown by the house convention 中文（English）, or,
inside a full-width parenthesis, as 中文，English (e.g. （这叫反向传播，backpropagation）), or
English first, as English（中文） where English is one word or an identifier in backticks and
the parenthesis holds only a short Chinese term of 2 to 4 characters (e.g. `state_dict`（状态字典）,
dtype（数据类型）; longer Chinese there is an explanation, such as `None`（下面会看到）). A Chinese
term may contain an en dash between Chinese characters (向量–雅可比积).
What counts as an introduction is decided by `introductions` below; the rule, in short: the
parenthesis starts with (or the comma form has) a plain English phrase -- Latin letters, digits,
spaces, ' - – + / . -- containing a word of two or more letters and a lowercase letter. So code
(`...`), maths ($...$), explanations in Chinese, lists (a、b) and all-capitals abbreviations
such as （CPU）、（SGD）、（FLOP） are not term introductions. NOT_TERMS lists the few names that
pass that rule but are not terms the book teaches.

A glossary row covers an introduction when the text before the "（" ends with its 中文 (so
"我们用反向传播（backpropagation）" is covered by 反向传播) -- for an English-first introduction,
when the Chinese in the parenthesis is its 中文 -- and the English is its English or one of its
又作 (case-insensitive).

    python tools/glossary.py --missing   # introductions that no row covers (file, section), and
                                        # rows whose section no longer has the term; exit 1 if any
    python tools/glossary.py --draft     # the same introductions as ready-to-edit CSV rows

Standard library only: tests/test_glossary.py imports this in every test environment.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import rules  # tools/rules.py（同一目录）：笔记本清单、cell 源码、汉字的范围

ROOT = rules.ROOT
NOTEBOOKS = rules.NOTEBOOK_DIR
GLOSSARY = ROOT / "docs" / "glossary.csv"
COLUMNS = ["中文", "English", "笔记本", "小节", "又作"]

HAN = rules.HAN  # 汉字（含扩展 A）
CJK = HAN  # 术语里的汉字
# 一串中文字符；中间可以有连接两个汉字的 en dash（向量–雅可比积）
CJK_RUN = rf"[{CJK}]+(?:–[{CJK}]+)*"
# 一个“英文术语”：字母开头，只含字母、数字、空格和 ' ’ - – + / .
PHRASE = r"[A-Za-z][A-Za-z0-9'’\-–+/. ]*"
FIRST_PHRASE = re.compile(rf"^\s*({PHRASE}?)\s*(?:[，,；;：:]|$)")
COMMA_FORM = re.compile(rf"({CJK_RUN})，\s*({PHRASE}?)\s*(?=[，,；;：:]|$)")
# English（中文）：一个英文词或反引号里的标识符，紧跟只含 2–4 个汉字的括号
ENGLISH_FIRST = re.compile(
    rf"(?<![A-Za-z0-9_.`])(?:`([A-Za-z_][A-Za-z0-9_]*)`|([A-Za-z][A-Za-z0-9\-]*))（([{CJK}]{{2,4}})）"
)
PAREN = re.compile(r"（([^（）]*)）")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")

# Names that pass the phrase rule but are not terms the book teaches (software, documents, code,
# words of everyday language, and fields of mathematics named in passing).
NOT_TERMS = {
    "allclose": "a function (torch.allclose, 02 自检), not a term",
    "tuple": "a Python type named in passing in 03 §1",
    "assert": "a Python statement (the self-checks), not a term of the book",
    "optional": "the book's own 选读 label (04), not a term",
    "data": "everyday word (05's group heading 数据), not a term",
    "multilinear algebra": "a field of mathematics named in passing in 01 §2, not taught",
    "geometric algebra": "a field of mathematics named in passing in 01 §2, not taught",
    "ATen": "PyTorch's C++ tensor library, named in passing in 01",
    "oneDNN": "Intel's CPU convolution library, named in passing in 03 §12",
    "PyTorch documentation": "a reference to the official documentation, not a term",
    # dtype names as PyTorch prints them in error messages (05: 整数（Long）、单精度（Float）)
    "Long": "PyTorch's name of torch.int64 in messages",
    "Float": "PyTorch's name of torch.float32 in messages",
    "Double": "PyTorch's name of torch.float64 in messages",
}
# Single parentheses that gloss a description rather than a Chinese term: (notebook, English).
NOT_INTRODUCTIONS = {
    ("01_tensor_basics.ipynb", "define-by-run"): "glosses 计算图在运行时才一步步记录下来; the "
    "term is 动态计算图 (01 §1), which lists define-by-run as 又作",
    ("04_backprop_gpu.ipynb", "define-by-run"): "04 §2 recalls 动态图 as a bullet; the term is "
    "动态计算图 (01 §1), which lists define-by-run as 又作",
    ("03_cifar10_blitz.ipynb", "kernel"): "a GPU kernel, named in passing in 03 §10; 04 §7 keeps "
    "the English word on purpose (内核 is also Jupyter's kernel, as in 04 §3)",
    ("04_backprop_gpu.ipynb", "kernel"): "Jupyter's kernel (04 §3: 在一个新的内核里运行), not a "
    "term of the book",
}


def is_term(phrase: str) -> bool:
    """A plain English phrase that names a concept: not an abbreviation, not code."""
    phrase = phrase.strip()
    return (
        len(phrase) >= 2
        and re.search(r"\b[A-Za-z]{2,}\b", phrase) is not None  # a real word (not float32)
        and re.search(r"[a-z]", phrase) is not None  # all capitals = abbreviation (CPU, SGD)
        and phrase not in NOT_TERMS
    )


def plain(markdown: str) -> str:
    """Markdown inline markup that can sit between a term and its parenthesis, removed."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)  # [text](url) → text
    # **粗体**、“引号”：去掉，“死”单元 → 死单元
    return re.sub(r"\*\*|__|[“”]", "", text)


@dataclass
class Section:
    level: int
    title: str  # heading text as written (without the #s)
    slug: str  # the anchor myst-parser gives it (github style, unique in the page)
    text: str = ""  # plain Markdown of this section and its subsections


@dataclass
class Intro:
    notebook: str  # relative to notebooks/
    section: str
    before: str  # text of the line before the "（"
    en: str
    zh: str = ""  # English-first form English（中文）: the Chinese term in the parenthesis

    @property
    def run(self) -> str:
        """The Chinese term: the Chinese characters right before the parenthesis (the term,
        maybe more; an en dash between two characters does not cut the run), or, English
        first, the Chinese in the parenthesis."""
        if self.zh:
            return self.zh
        m = re.search(rf"{CJK_RUN}$", self.before)
        return m.group(0) if m else ""


@dataclass
class Entry:
    zh: str
    en: str
    notebook: str
    section: str
    aliases: list[str] = field(default_factory=list)
    line: int = 0

    def english(self) -> list[str]:
        return [self.en, *self.aliases]

    def covers(self, intro: Intro) -> bool:
        chinese = intro.zh == self.zh if intro.zh else intro.before.endswith(self.zh)
        return chinese and intro.en.lower() in {e.lower() for e in self.english()}


# --- 笔记本 -------------------------------------------------------------------------------


def rel(path: Path) -> str:
    """notebooks/03_x.ipynb → 03_x.ipynb (a file elsewhere, e.g. in a test: its name)."""
    return path.relative_to(NOTEBOOKS).as_posix() if path.is_relative_to(NOTEBOOKS) else path.name


def markdown_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [rules.source(c) for c in cells if c["cell_type"] == "markdown"]


def github_slug(title: str) -> str:
    """myst-parser's github_slugify of the heading's rendered text (myst_parser/slugs.py)."""
    text = re.sub(r"`([^`]*)`", r"\1", plain(title)).replace("*", "")
    return re.sub(r"[^\w\u4e00-\u9fff\- ]", "", text.lower().replace(" ", "-"))


@functools.lru_cache(maxsize=64)
def sections(path: Path, anchor_levels: int = 4) -> list[Section]:
    """Every heading of the notebook's Markdown cells, with the text of its section.

    A section runs from its heading to the next heading of the same or a higher level, so it
    includes its subsections. Slugs are made unique in page order like myst-parser's
    unique_slug (x, x-1, x-2, ...), for headings down to `anchor_levels` (conf.py's
    myst_heading_anchors); deeper ones get none.
    """
    lines: list[str] = []
    heads: list[tuple[int, int, str]] = []  # (line index, level, title)
    for cell in markdown_cells(path):
        in_fence = False
        for line in cell.splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                in_fence = not in_fence
            m = None if in_fence else HEADING.match(line)
            if m:
                heads.append((len(lines), len(m.group(1)), m.group(2)))
            lines.append(line)
    result: list[Section] = []
    slugs: set[str] = set()
    for k, (start, level, title) in enumerate(heads):
        end = next((i for i, lv, _ in heads[k + 1 :] if lv <= level), len(lines))
        slug = ""
        if level <= anchor_levels:
            base = slug = github_slug(title)
            i = 1
            while slug in slugs:
                slug, i = f"{base}-{i}", i + 1
            slugs.add(slug)
        result.append(Section(level, title, slug, plain("\n".join(lines[start:end]))))
    return result


def introductions(path: Path) -> list[Intro]:
    """Every 中文（English） / （中文，English） term introduction in the notebook's Markdown."""
    intros = []
    section = ""
    for cell in markdown_cells(path):
        for line in plain(cell).splitlines():
            m = HEADING.match(line)
            if m:
                section = m.group(2)
            for paren in PAREN.finditer(line):
                content = paren.group(1)
                first = FIRST_PHRASE.match(content)
                if first and is_term(first.group(1)):
                    before = line[: paren.start()]
                    if re.search(rf"[{HAN}]$", before):
                        intros.append(Intro(rel(path), section, before, first.group(1).strip()))
                for inner in COMMA_FORM.finditer(content):
                    if is_term(inner.group(2)):
                        before = content[: inner.end(1)]
                        intros.append(Intro(rel(path), section, before, inner.group(2)))
            for first in ENGLISH_FIRST.finditer(line):
                code, word, zh = first.groups()
                if (code and code not in NOT_TERMS) or (word and is_term(word)):
                    before = line[: first.start(3) - 1]
                    intros.append(Intro(rel(path), section, before, code or word, zh))
    return intros


# --- 术语表 -------------------------------------------------------------------------------


def load(path: Path = GLOSSARY) -> list[Entry]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header != COLUMNS:
            raise ValueError(f"{path.name}: the header must be {','.join(COLUMNS)}, not {header}")
        entries = []
        for number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(COLUMNS):
                raise ValueError(f"{path.name}:{number}: {len(row)} columns, expected 5: {row}")
            zh, en, notebook, section, aliases = (cell.strip() for cell in row)
            entries.append(
                Entry(
                    zh,
                    en,
                    notebook,
                    section,
                    [a.strip() for a in aliases.split(";") if a.strip()],
                    number,
                )
            )
    return entries


def problems(entries: list[Entry]) -> list[str]:
    """Rows that are malformed or no longer true of the notebooks (each message names the row)."""
    out = []
    seen: dict[str, int] = {}
    cache: dict[str, list[Section]] = {}
    for e in entries:
        where = f"glossary.csv:{e.line} {e.zh}（{e.en}）"
        if not (e.zh and e.en and e.notebook and e.section):
            out.append(f"{where}: 中文, English, 笔记本 and 小节 are all required")
            continue
        if re.search(rf"[^{CJK}A-Za-z0-9 +\-–·/]", e.zh) or not re.search(f"[{CJK}]", e.zh):
            out.append(f"{where}: 中文 must be Chinese characters (no punctuation)")
        if e.zh in seen:
            out.append(f"{where}: 中文 already on line {seen[e.zh]}")
        seen[e.zh] = e.line
        path = NOTEBOOKS / e.notebook
        if not path.is_file():
            out.append(f"{where}: no notebook notebooks/{e.notebook}")
            continue
        if e.notebook not in cache:
            cache[e.notebook] = sections(path)
        matching = [s for s in cache[e.notebook] if s.title == e.section]
        if not matching:
            out.append(f"{where}: notebooks/{e.notebook} has no heading '{e.section}'")
            continue
        text = matching[0].text
        if e.zh not in text:
            out.append(f"{where}: '{e.zh}' does not appear in {e.notebook} '{e.section}'")
        if e.en.lower() not in text.lower():
            out.append(f"{where}: '{e.en}' does not appear in {e.notebook} '{e.section}'")
        if not matching[0].slug:
            out.append(f"{where}: '{e.section}' is too deep to have an anchor to link to")
    return out


def missing(entries: list[Entry]) -> list[Intro]:
    """Term introductions in the notebooks that no glossary row covers."""
    return [
        intro
        for path in rules.notebook_paths()
        for intro in introductions(path)
        if (intro.notebook, intro.en) not in NOT_INTRODUCTIONS
        and not any(e.covers(intro) for e in entries)
    ]


def chapter_order(entries: list[Entry]) -> list[tuple[str, list[tuple[Entry, Section]]]]:
    """[(notebook, [(entry, its section), ...]), ...] in reading order (notebook, section)."""
    order = {rel(p): i for i, p in enumerate(rules.notebook_paths())}
    grouped: dict[str, list[tuple[Entry, Section]]] = {}
    for e in entries:
        secs = sections(NOTEBOOKS / e.notebook)
        index = next(i for i, s in enumerate(secs) if s.title == e.section)
        grouped.setdefault(e.notebook, []).append((e, secs[index], index))
    return [
        (nb, [(e, s) for e, s, _ in sorted(rows, key=lambda r: (r[2], r[0].line))])
        for nb, rows in sorted(grouped.items(), key=lambda kv: order.get(kv[0], 1e9))
    ]


# --- 搜索 -------------------------------------------------------------------------------

QUERY_SPLIT = re.compile(r"[^\w]+")  # searchtools.js splitQuery: runs of letters/digits/_


def search_words(entries: list[Entry]) -> dict[str, list[str]]:
    """{中文 term: the words the search index gets on every page where the term appears}.

    Sphinx's search box does not segment what the reader types: a query word is found only if
    the index holds it whole (or, for three characters or more, holds a word containing it).
    So every page that contains a glossary term gets, besides jieba's segmentation of its text:
    the term itself, its pieces as the search box splits them (KL 散度 → KL, 散度), and the
    words of two or more characters that jieba's search-engine mode cuts each piece into
    (标签平滑 → 标签, 平滑; 全局平均池化 → 全局, 平均, 池化), so that parts of a long term are
    found too. jieba's own dictionary is used as it is (a private copy, nothing added), so the
    result does not depend on what ran before. Needs jieba (a site dependency); its cache goes
    to build/.
    """
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)  # 不打印 “Building prefix dict…”
    cutter = jieba.Tokenizer()
    cutter.tmp_dir = str(ROOT / "build")
    words = {}
    for e in entries:
        pieces = [p for p in QUERY_SPLIT.split(e.zh) if p]
        found = [e.zh, *pieces]
        for piece in pieces:
            found += [w for w in cutter.cut_for_search(piece) if len(w.strip()) > 1]
        words[e.zh] = list(dict.fromkeys(found))
    return words


def search_queries(entries: list[Entry]) -> list[tuple[str, list[str], str]]:
    """(query, pages of which the results must include one, why) for every glossary term.

    中文, English and each part of 中文 must find the page of the section the row cites; an
    other spelling (又作) must find a page that introduces the term with that spelling.
    Pages are docnames (notebooks/03_cifar10_blitz).
    """
    words = search_words(entries)
    intros = [i for path in rules.notebook_paths() for i in introductions(path)]
    queries = []
    for e in entries:
        page = "notebooks/" + e.notebook.removesuffix(".ipynb")
        why = f"{e.zh}（{e.en}）"
        queries += [(q, [page], why) for q in [e.zh, e.en]]
        for alias in e.aliases:
            pages = {
                "notebooks/" + i.notebook.removesuffix(".ipynb")
                for i in intros
                if e.covers(i) and i.en.lower() == alias.lower()
            }
            queries.append((alias, sorted(pages) or [page], f"{why} 又作 {alias}"))
        # 只搜含汉字的部分：“周期为 2 的振荡”里单独的 2 不是读者会搜的词（搜索会丢掉书里没有的数字）
        queries += [
            (w, [page], f"part of {e.zh}")
            for w in words[e.zh]
            if w != e.zh and re.search(f"[{HAN}]", w)
        ]
    return queries


def page_markdown(entries: list[Entry], titles: dict[str, str]) -> str:
    """The glossary page (MyST Markdown), one table per notebook in reading order.

    `titles` maps a notebook (relative to notebooks/) to its title. Each 中文 links to the
    heading of the section that explains it (the anchor myst-parser gives that heading).
    """
    total = len(entries)
    lines = [
        "# 中英术语表",
        "",
        f"本书讲到的 {total} 个术语，按章节顺序排列。笔记本第一次讲到一个术语时写成"
        "“中文（English）”；点中文就跳到讲它的那一节。站内搜索输入中文或英文都能找到讲它的那一章。",
        "",
    ]
    for notebook, rows in chapter_order(entries):
        h1 = next((s.title for s in sections(NOTEBOOKS / notebook) if s.level == 1), notebook)
        lines += [f"## {titles.get(notebook, h1)}", ""]
        # 两列：手机屏上三列太挤（中文一列会被挤成一字一行）
        lines += ["| 术语 | 讲它的小节 |", "| --- | --- |"]
        for e, section in rows:
            english = e.en + "".join(f"、{a}" for a in e.aliases)
            heading = section.title.replace("|", "\\|")
            link = f"notebooks/{notebook}#{section.slug}"
            lines.append(f"| [{e.zh}]({link})<br>{english} | {heading} |")
        lines.append("")
    return "\n".join(lines)


def draft_row(intro: Intro) -> str:
    return f"{intro.run},{intro.en},{intro.notebook},{intro.section},"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missing", action="store_true", help="list what the glossary lacks")
    parser.add_argument("--draft", action="store_true", help="missing terms as CSV rows to edit")
    args = parser.parse_args()
    entries = load()
    bad = problems(entries)
    lost = missing(entries)
    if args.draft:
        seen = set()
        for intro in lost:
            if (intro.run, intro.en.lower()) not in seen:
                seen.add((intro.run, intro.en.lower()))
                print(draft_row(intro))
        return 0
    for line in bad:
        print(f"row: {line}")
    for intro in lost:
        print(f"missing: {intro.notebook} '{intro.section}': …{intro.before[-12:]}（{intro.en}）")
    print(f"{len(entries)} terms, {len(bad)} row problem(s), {len(lost)} missing introduction(s)")
    return 1 if bad or lost else 0


if __name__ == "__main__":
    sys.exit(main())
