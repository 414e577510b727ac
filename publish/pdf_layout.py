"""读打印出的 PDF 的版面（issue 27）：图在哪、多大，每页最低的内容在哪。

publish/build_pdf.py 用它把“开在下一页开头、其实缩小一点就放得进上一页”的图缩小后重印；
publish/check_pdf.py 用它检查两册 PDF 的版面（图的清晰度与大小、半空的页）。
坐标是 PDF 的页面坐标（pt，原点在左下角）；只读内容流，不渲染。
"""

from __future__ import annotations

import re

# 正文区在 A4 上下页边距之间（publish/build_pdf.py 的 MARGIN：上 14 mm、下 16 mm）
MM = 72 / 25.4
BODY_BOTTOM, BODY_TOP = 16 * MM, 842 - 14 * MM
# 下一页开头的图缩到原大小的这个比例就能放进上一页的空白时，它该印在上一页：build_pdf 缩小它
# （缩得更多，图里的字就太小了）
FIT_SCALE = 0.75
# 图的输出框在图之外还要占的高（上下的边距），pt
FIT_SLACK = 16
# Chromium 按 1:1 打印：1 CSS px = 0.75 pt
PT_PER_PX = 0.75


# 内容流的词法单位（PDF 32000-1 §7.2）：pypdf 的 ContentStream 逐字节解析，每页约 0.1 s；
# 这里只要位置，用一个正则切词快十几倍。Chromium（Skia）把字形写成十六进制串 <...>。
TOKEN = re.compile(
    rb"\((?:\\.|[^\\)])*\)"  # 字面串（Skia 转义其中的括号）
    rb"|<[0-9A-Fa-f\s]*>"  # 十六进制串
    rb"|/[^\s/\[\]()<>{}%]*"  # 名字
    rb"|[-+]?(?:\d+\.?\d*|\.\d+)"  # 数
    rb"|[A-Za-z'\"*][A-Za-z0-9*]*"  # 运算符
    rb"|%[^\r\n]*",  # 注释
    re.S,
)
PAINT = {b"f", b"F", b"f*", b"S", b"s", b"B", b"B*", b"b", b"b*"}
SHOW = {b"Tj", b"TJ", b"'", b'"'}


def _mul(a: list[float], b: list[float]) -> list[float]:
    return [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]


def _box(ctm: list[float], x: float, y: float, w: float, h: float) -> tuple[float, ...]:
    """矩形 (x, y, w, h) 经变换矩阵 ctm 后在页面上的外框 (x0, y0, x1, y1)。"""
    corners = [(cx, cy) for cx in (x, x + w) for cy in (y, y + h)]
    xs = [cx * ctm[0] + cy * ctm[2] + ctm[4] for cx, cy in corners]
    ys = [cx * ctm[1] + cy * ctm[3] + ctm[5] for cx, cy in corners]
    return min(xs), min(ys), max(xs), max(ys)


def _scan(data: bytes, resources, ctm, out: dict, depth: int = 0) -> None:
    """内容流里画的图 out["images"]（x0, y0, x1, y1, 宽像素, 高像素）、填充的矩形 out["rects"]
    （x0, y0, x1, y1）和每段文字的基线高度 out["baselines"]，都是页面坐标。"""
    xobjects = (resources or {}).get("/XObject") or {}
    stack, path, white, args = [], [], False, []
    tm = tlm = [1.0, 0, 0, 1.0, 0, 0]
    leading = 0.0
    for match in TOKEN.finditer(data):
        token = match.group()
        first = token[:1]
        if first in b"0123456789+-.":
            args.append(float(token))
            continue
        if first == b"/":
            args.append(token.decode("latin-1"))
            continue
        if first in b"(<%":
            continue
        op = token
        if op in PAINT:  # 矩形被画出来（不是只用来裁剪：re W n），且不是白底
            if not white:
                out["rects"].extend(path)
            path = []
        elif op == b"n":
            path = []
        elif op in (b"rg", b"g"):
            white = bool(args) and all(v > 0.99 for v in args)
        elif op == b"q":
            stack.append((ctm, white))
        elif op == b"Q":
            ctm, white = stack.pop() if stack else (ctm, white)
        elif op == b"cm" and len(args) == 6:
            ctm = _mul(args, ctm)
        elif op == b"re" and len(args) == 4:
            path.append(_box(ctm, *args))
        elif op == b"BT":
            tm = tlm = [1.0, 0, 0, 1.0, 0, 0]
        elif op == b"Tm" and len(args) == 6:
            tm = tlm = list(args)
        elif op in (b"Td", b"TD") and len(args) == 2:
            if op == b"TD":
                leading = -args[1]
            tm = tlm = _mul([1.0, 0, 0, 1.0, *args], tlm)
        elif op == b"TL" and args:
            leading = args[0]
        elif op == b"T*":
            tm = tlm = _mul([1.0, 0, 0, 1.0, 0, -leading], tlm)
        elif op in SHOW:
            if op in (b"'", b'"'):
                tm = tlm = _mul([1.0, 0, 0, 1.0, 0, -leading], tlm)
            out["baselines"].append(tm[4] * ctm[1] + tm[5] * ctm[3] + ctm[5])
        elif op == b"Do" and args and args[-1] in xobjects:
            xobj = xobjects[args[-1]].get_object()
            if xobj.get("/Subtype") == "/Image":  # 图画在单位正方形里
                size = (int(xobj["/Width"]), int(xobj["/Height"]))
                out["images"].append((*_box(ctm, 0, 0, 1, 1), *size))
            elif xobj.get("/Subtype") == "/Form" and depth < 4:
                matrix = [float(v) for v in xobj.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                _scan(xobj.get_data(), xobj.get("/Resources"), _mul(matrix, ctm), out, depth + 1)
        args = []


def page_layout(page) -> dict:
    """一页正文区的版面：blank = 最低的内容以下的空白（pt）；first_image = 这一页以一张图开头时
    它的高（pt），否则 None；images = 按画出的顺序 (宽像素, 高像素, 宽 pt, 高 pt)；first = 开头那张
    图在 images 里的序号。"""
    out = {"images": [], "rects": [], "baselines": []}
    contents = page.get_contents()
    if contents is not None:
        _scan(contents.get_data(), page.get("/Resources"), [1.0, 0, 0, 1.0, 0, 0], out)
    images = out["images"]
    width = float(page.mediabox.width)
    # 正文区里的东西：不算页脚（下边距里）和铺满整页的底色
    inside = [y for y in out["baselines"] if BODY_BOTTOM < y < BODY_TOP]
    # 画出的矩形（代码框、表格线），不算竖条（选读块左边的线跨到页底，不代表那里有内容）
    boxes = [r for r in out["rects"] if r[1] > BODY_BOTTOM - 1 and 4 < r[2] - r[0] < width * 0.95]
    boxes += [i[:4] for i in images]
    low = min([*inside, *(b[1] for b in boxes)], default=BODY_TOP)
    first_image = first = None
    if images:
        first = max(range(len(images)), key=lambda k: images[k][3])
        top = images[first]
        above = [y for y in inside if y > top[3]] + [
            b[3] for b in boxes if b[3] > top[3] + 2 and not (b[1] <= top[1] and b[3] >= top[3])
        ]
        if not above:
            first_image = top[3] - top[1]
    return {
        "blank": max(0.0, low - BODY_BOTTOM),
        "first_image": first_image,
        "first": first,
        "images": [(i[4], i[5], i[2] - i[0], i[3] - i[1]) for i in images],
    }


def figures_to_fit(data: bytes) -> tuple[list[tuple[int, float, float]], list[tuple], list[int]]:
    """一份打印出的 PDF（一个网页）里，开在下一页开头、却缩到 FIT_SCALE 就放得进上一页空白的图：
    ([(它在全部图里的序号（画出的顺序）, 现在的高 pt, 上一页能给它的高 pt)], 全部图的像素大小,
    每张图在第几页)。"""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    layouts = [page_layout(page) for page in reader.pages]
    sizes = [image[:2] for layout in layouts for image in layout["images"]]
    pages = [n for n, layout in enumerate(layouts) for _ in layout["images"]]
    found, before = [], 0
    for n, layout in enumerate(layouts):
        if n and layout["first_image"] is not None:
            room = layouts[n - 1]["blank"] - FIT_SLACK
            if room >= FIT_SCALE * layout["first_image"]:
                found.append((before + layout["first"], layout["first_image"], room))
        before += len(layout["images"])
    return found, sizes, pages


def align(pdf_sizes: list[tuple[int, int]], page_sizes: list[tuple[int, int]]) -> dict[int, int]:
    """PDF 里画出的图（按顺序）→ 网页上的输出图（按文档顺序）：按像素大小依次对上；
    PDF 里多出来的图（不是输出图）跳过。"""
    mapping, j = {}, 0
    for i, size in enumerate(pdf_sizes):
        if j < len(page_sizes) and tuple(page_sizes[j]) == tuple(size):
            mapping[i] = j
            j += 1
    return mapping
