"""每章的“主线”：打开笔记本时读者第一眼看到的内容。

The main path of a chapter is what a reader sees on open: every cell that is not under a collapsed
选读 heading; a tool cell whose source is hidden counts 0 characters. The notebook metadata that
makes this so is *derived* from the content by two rules, so it cannot drift:

- a Markdown heading whose first line contains 「选读」 is collapsed on open
  (JupyterLab: ``jp-MarkdownHeadingCollapsed``; Colab: ``metadata.colab.collapsed_sections``);
- a code cell whose first line is ``# @title …`` is tool code a reader need not read: its source is
  hidden (JupyterLab: ``jupyter.source_hidden``; Colab: ``cellView: form``, which shows the title;
  the site: the ``hide-input`` tag).

``python tools/mainpath.py`` prints each chapter's first view; ``--apply`` rewrites the metadata of
the notebooks named (or all of them) from the rules above.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

from rules import NOTEBOOK_DIR, notebook_paths, source

# the chapters (01–04; not the appendix 05, not the solutions)
CHAPTERS = [
    p for p in notebook_paths() if p.parent == NOTEBOOK_DIR and re.match(r"0[1-4]_", p.name)
]
MAX_CELLS, MAX_CHARS = 80, 30_000  # issue 26: a beginner's first view of a chapter

HEADING = re.compile(r"(#{1,6})\s+(.*)")
TITLE = re.compile(r"#\s*@title\b")
OPTIONAL = "选读"
HIDE_TAG = "hide-input"


def heading(cell: dict) -> tuple[int, str] | None:
    """(level, text) of a Markdown cell that starts with a heading, else None."""
    if cell["cell_type"] != "markdown":
        return None
    m = HEADING.match(source(cell).lstrip())
    return (len(m.group(1)), m.group(2).splitlines()[0]) if m else None


def is_optional_heading(cell: dict) -> bool:
    h = heading(cell)
    return h is not None and OPTIONAL in h[1]


def is_tool_cell(cell: dict) -> bool:
    return cell["cell_type"] == "code" and bool(TITLE.match(source(cell).lstrip()))


def apply(nb: dict) -> dict:
    """Set the collapse/hide metadata from the two rules; returns nb (changed in place)."""
    collapsed = []
    for cell in nb["cells"]:
        md = cell.setdefault("metadata", {})
        if cell["cell_type"] == "markdown":
            if is_optional_heading(cell):
                md["jp-MarkdownHeadingCollapsed"] = True
                collapsed.append(cell["id"])
            else:
                md.pop("jp-MarkdownHeadingCollapsed", None)
        elif cell["cell_type"] == "code":
            tags = [t for t in md.get("tags", []) if t != HIDE_TAG]
            jupyter = {k: v for k, v in md.get("jupyter", {}).items() if k != "source_hidden"}
            md.pop("cellView", None)
            if is_tool_cell(cell):
                jupyter["source_hidden"] = True
                md["cellView"] = "form"
                tags.append(HIDE_TAG)
            for key, value in (("jupyter", jupyter), ("tags", tags)):
                if value:
                    md[key] = value
                else:
                    md.pop(key, None)
    colab = nb.setdefault("metadata", {}).get("colab", {})
    colab = {k: v for k, v in colab.items() if k != "collapsed_sections"}
    if collapsed:
        colab["collapsed_sections"] = collapsed
    if colab:
        nb["metadata"]["colab"] = colab
    else:
        nb["metadata"].pop("colab", None)
    return nb


def hidden_on_open(nb: dict) -> list[bool]:
    """For each cell: is it under a heading that is collapsed on open (as JupyterLab shows it)?"""
    out, level = [], None
    for cell in nb["cells"]:
        h = heading(cell)
        if h and level is not None and h[0] <= level:
            level = None
        out.append(level is not None)
        if h and level is None and cell.get("metadata", {}).get("jp-MarkdownHeadingCollapsed"):
            level = h[0]
    return out


def first_view(nb: dict) -> tuple[int, int]:
    """(cells, characters of source) visible when the notebook opens in JupyterLab."""
    cells = chars = 0
    for cell, hidden in zip(nb["cells"], hidden_on_open(nb), strict=True):
        if hidden:
            continue
        cells += 1
        if not (
            cell["cell_type"] == "code" and cell["metadata"].get("jupyter", {}).get("source_hidden")
        ):
            chars += len(source(cell))
    return cells, chars


def _names(code: str) -> tuple[set[str], set[str]]:
    """(names a cell binds at top level, names it reads) — a static approximation."""
    try:
        tree = ast.parse(re.sub(r"^\s*[%!].*$", "", code, flags=re.M))
    except SyntaxError:
        return set(), set()
    bound, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, ast.Store) else used).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
    return bound, used


def hidden_dependencies(nb: dict) -> list[tuple[int, str, int]]:
    """Main-path code cells that read a name bound only inside a collapsed 选读 block.

    Returns (cell index, name, index of the hidden cell that bound it). The last cell (the
    self-check, which asserts 选读 results too) is exempt: it is not part of what a reader walks.
    """
    where: dict[str, tuple[int, bool]] = {}  # name -> (cell that last bound it, was it hidden)
    problems = []
    cells = nb["cells"]
    hidden = hidden_on_open(nb)
    last_code = max(i for i, c in enumerate(cells) if c["cell_type"] == "code")
    for i, (cell, is_hidden) in enumerate(zip(cells, hidden, strict=True)):
        if cell["cell_type"] != "code":
            continue
        bound, used = _names(source(cell))
        if not is_hidden and i != last_code:
            for name in sorted(used - bound):
                if name in where and where[name][1]:
                    problems.append((i, name, where[name][0]))
        for name in bound:
            # a visible cell re-binding a name makes it main-path again
            where[name] = (i, is_hidden)
    return problems


def main(argv: list[str]) -> int:
    apply_ = "--apply" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")] or CHAPTERS
    status = 0
    for path in paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        if apply_:
            apply(nb)
            path.write_text(
                json.dumps(nb, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                encoding="utf-8",
            )
        cells, chars = first_view(nb)
        over = cells > MAX_CELLS or chars > MAX_CHARS
        status |= over and path in CHAPTERS
        limit = f"  (over the limit of {MAX_CELLS} / {MAX_CHARS})" if over else ""
        print(f"{path.name}: {cells} cells, {chars} characters visible on open{limit}")
        for i, name, j in hidden_dependencies(nb):
            print(f"  cell {i} uses {name!r}, bound only in collapsed cell {j}")
    return int(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
