"""Whether .docx conversion time grows in proportion to the document: time per 10 000 paragraphs, from
10 000 to 200 000 short paragraphs (with some bold runs, headings and list items, as long reports have).
A flat column means linear; a column that grows means something is quadratic.

    python bench/docx_scaling.py [--sizes 10000,20000,50000,100000,200000]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from copy import deepcopy

import docx

from intake.docx_html import docx_to_html


def document(paragraphs: int) -> bytes:
    """Built once as the smallest size's XML, repeated: python-docx's own API is too slow to build 200k."""
    made = docx.Document()
    made.add_heading("Báo cáo", level=1)
    body = made.element.body
    template = docx.Document()
    for n in range(100):
        if n % 25 == 0:
            template.add_heading(f"Mục {n // 25 + 1}", level=2)
        elif n % 10 == 0:
            template.add_paragraph(f"Việc thứ {n}", style="List Bullet")
        else:
            p = template.add_paragraph(f"Đoạn {n}: nội dung ngắn của báo cáo, ")
            p.add_run("phần in đậm").bold = True
            p.add_run(" và phần thường.")
    block = [el for el in template.element.body if el.tag.endswith("}p")]
    sect = body[-1]
    for _ in range(paragraphs // len(block)):
        for el in block:
            sect.addprevious(deepcopy(el))
    out = io.BytesIO()
    made.save(out)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,20000,50000,100000,200000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    print(f"{'paragraphs':>10} {'seconds':>8} {'s per 10k':>9}")
    for size in sizes:
        data = document(size)
        started = time.perf_counter()
        converted = docx_to_html(data)
        elapsed = time.perf_counter() - started
        assert converted.text.count("\n") >= size
        print(f"{size:>10} {elapsed:>8.2f} {elapsed / size * 10000:>9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
