"""Write the default DOCX template of the 年度社会稳定风险评估工作考核情况通报, with docxtpl
(Jinja) tags over the keys of `supervision.evaluation.report_context`.

    PYTHONPATH=src .venv/bin/python -m fengping.supervision.report_templates.evaluation

The output goes to `reports/templates_docx/evaluation_report.docx`; an administrator may
download it on the 报告模板 page, restyle it and upload it for the key `evaluation`."""

from __future__ import annotations

import sys
from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH

from fengping.reports.docx_build import TEMPLATES_DIR, loop_table, new_document, p

NAME = "evaluation_report.docx"


def build_report(path: Path) -> None:
    doc = new_document()
    title = p(doc, "{{ title }}", "Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = p(doc, "{{ office }} · {{ computed_on }}{{ provisional }}")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER

    p(doc, "一、考核依据", "Heading 1")
    p(doc, "{%p for line in basis %}")
    p(doc, "{{ line }}")
    p(doc, "{%p endfor %}")

    p(doc, "二、考核内容和计分方法", "Heading 1")
    loop_table(
        doc,
        ["考核项目", "计分方法", "依据"],
        ["{{ x.label }}", "{{ x.rule }}", "{{ x.quote }}"],
        "x in rubric",
    )

    p(doc, "三、考核结果", "Heading 1")
    p(doc, "参加考核的单位共{{ count }}个，得分和名次如下：")
    loop_table(
        doc,
        ["名次", "单位", "得分", "分项得分"],
        ["{{ r.rank }}", "{{ r.department }}", "{{ r.score }}", "{{ r.detail }}"],
        "r in ranking",
    )

    p(doc, "四、扣分情况", "Heading 1")
    p(doc, "{%p if not losses %}")
    p(doc, "各单位均无扣分。")
    p(doc, "{%p endif %}")
    p(doc, "{%p for d in losses %}")
    p(doc, "{{ d.department }}", "Heading 2")
    p(doc, "{%p for x in d.lines %}")
    p(doc, "{{ x.label }}：扣{{ x.lost }}分。{{ x.reasons }}")
    p(doc, "{%p endfor %}")
    p(doc, "{%p endfor %}")
    doc.save(str(path))


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else TEMPLATES_DIR
    out.mkdir(parents=True, exist_ok=True)
    build_report(out / NAME)
    print(out / NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
