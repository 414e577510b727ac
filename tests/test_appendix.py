"""附录（05_common_errors.ipynb）的条目标题与它的自检一致。

Every error entry of the appendix has a heading "### N. `Type: first line`" followed by its
anchor `<a id="err-slug"></a>`. The notebook's self-check (its last cell) holds a table EXPECTED
of slug -> (exception type, heading, key phrase) and asserts, when it runs on PyTorch 2.14, that
the first line each entry printed equals the heading in that table. This test closes the loop
statically: the table's heading must be the heading the reader sees, entry by entry, so a heading
edited in the Markdown (or a table entry edited alone) fails here; entries are numbered 1, 2, ...
in page order; every entry has a checked fix (FIX_OK).
"""

import ast
import copy
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPENDIX = ROOT / "notebooks" / "05_common_errors.ipynb"
ENTRY = re.compile(r"### (\d+)\. (.*)\n<a id=\"err-([a-z0-9-]+)\"></a>")


def source(cell):
    s = cell["source"]
    return s if isinstance(s, str) else "".join(s)


def self_check_tables(nb):
    """{slug: heading} from EXPECTED and the keys of FIX_OK in the notebook's last cell."""
    tree = ast.parse(source(nb["cells"][-1]))
    expected, fix_ok = None, None
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            name = node.targets[0].id
            keys = [k.value for k in node.value.keys]
            if name == "EXPECTED":
                expected = {
                    k: v.elts[1].value for k, v in zip(keys, node.value.values, strict=True)
                }
            elif name == "FIX_OK":
                fix_ok = keys
    return expected, fix_ok


def appendix_problems(nb):
    problems = []
    entries = []  # (number, heading text, slug)
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            m = ENTRY.match(source(cell))
            if m:
                entries.append((int(m.group(1)), m.group(2), m.group(3)))
    numbers = [n for n, _, _ in entries]
    if numbers != list(range(1, len(entries) + 1)):
        problems.append(f"entries are not numbered 1..{len(entries)} in order: {numbers}")
    slugs = [s for _, _, s in entries]
    if len(set(slugs)) != len(slugs):
        problems.append("an err- anchor is used twice")
    expected, fix_ok = self_check_tables(nb)
    if expected is None or fix_ok is None:
        return problems + ["the last cell defines no EXPECTED or FIX_OK table"]
    headings = {s: h for _, h, s in entries if h.startswith("`") and h.endswith("`")}
    for slug in sorted(set(headings) | set(expected)):
        if slug not in expected:
            problems.append(f"err-{slug}: the self-check's EXPECTED has no entry for it")
        elif slug not in headings:
            problems.append(
                f"EXPECTED['{slug}']: no entry with that anchor and a `message` heading"
            )
        elif headings[slug] != f"`{expected[slug]}`":
            problems.append(
                f"err-{slug}: heading {headings[slug]} differs from EXPECTED's {expected[slug]!r}"
            )
    if set(fix_ok) != set(expected):
        problems.append(f"FIX_OK and EXPECTED differ: {sorted(set(fix_ok) ^ set(expected))}")
    return problems


def test_every_heading_is_what_the_self_check_compares_with_the_output():
    nb = json.loads(APPENDIX.read_text(encoding="utf-8"))
    assert appendix_problems(nb) == []


def test_the_check_fails_on_a_changed_heading_a_renumbering_and_a_missing_fix():
    nb = json.loads(APPENDIX.read_text(encoding="utf-8"))
    changed = copy.deepcopy(nb)
    cell = next(c for c in changed["cells"] if 'id="err-matmul-shape"' in source(c))
    cell["source"] = source(cell).replace("(2x10 and 5x2)", "(2x10 and 5x3)")
    assert any("err-matmul-shape: heading" in p for p in appendix_problems(changed))

    renumbered = copy.deepcopy(nb)
    cell = next(c for c in renumbered["cells"] if 'id="err-cat-sizes"' in source(c))
    cell["source"] = re.sub(r"^### \d+\.", "### 99.", source(cell))
    assert any("numbered" in p for p in appendix_problems(renumbered))

    no_fix = copy.deepcopy(nb)
    last = no_fix["cells"][-1]
    last["source"] = re.sub(r'\n    "cat-sizes": lambda r: [^\n]*', "", source(last), count=1)
    assert any("FIX_OK and EXPECTED differ" in p for p in appendix_problems(no_fix))
