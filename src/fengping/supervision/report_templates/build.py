"""Write the default DOCX templates of the supervision documents: the 工作进展情况报告表
(篇3 六(一)), with docxtpl (Jinja) tags over the keys of
`supervision.report_templates.monthly`, and the 督办通知 (`notice.py`).

    PYTHONPATH=src .venv/bin/python -m fengping.supervision.report_templates.build

The output goes to `reports/templates_docx/sv_monthly_report.docx` (shipped with the
package like the other report templates); an administrator may download it on the 报告模板
page, restyle it in Word or WPS and upload it for the key `sv-monthly`. Layout: the title,
the header (责任主体, 月份, 报送机关, 上报时限 and the dates in Chinese form), the table of
figures (类别, 数据项, 数量, 说明, 截至), then 工作开展情况, 存在的问题, 下一步工作 and the
signature lines."""

from __future__ import annotations

import sys
from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH

from fengping.reports.docx_build import TEMPLATES_DIR, field_table, loop_table, new_document, p

from . import notice

OUT = TEMPLATES_DIR
NAME = "sv_monthly_report.docx"


def lines(doc, key: str) -> None:
    p(doc, f"{{%p for line in {key} %}}")
    p(doc, "{{ line }}")
    p(doc, "{%p endfor %}")


def build_report(path: Path) -> None:
    doc = new_document()
    title = p(doc, "{{ title }}", "Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = p(doc, "（{{ month }}）")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field_table(
        doc,
        [
            ("报送单位", "{{ department }}"),
            ("报送机关", "{{ office }}"),
            ("报告月份", "{{ month }}"),
            ("上报时限", "{{ due_on }}"),
            ("上报日期", "{{ submitted_at }}（逾期上报：{{ late }}）"),
            ("签收", "{{ acknowledged_by }} {{ acknowledged_at }}"),
        ],
    )
    p(doc, "一、工作数据", "Heading 1")
    p(doc, "数据由系统于{{ figures_at }}提取；本单位更正的数据注明系统取数。")
    loop_table(
        doc,
        ["类别", "数据项", "数量", "说明", "截至"],
        ["{{ f.group }}", "{{ f.label }}", "{{ f.value }}", "{{ f.note }}", "{{ f.as_of }}"],
        "f in figures",
    )
    p(doc, "二、工作开展情况", "Heading 1")
    lines(doc, "work_done")
    p(doc, "三、存在的问题", "Heading 1")
    lines(doc, "problems")
    p(doc, "四、下一步工作", "Heading 1")
    lines(doc, "next_steps")
    p(doc, "")
    sign = p(doc, "填报人：{{ submitted_by }}        {{ department }}")
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    day = p(doc, "{{ signed_on }}")
    day.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.save(str(path))


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    out.mkdir(parents=True, exist_ok=True)
    build_report(out / NAME)
    notice.build(out / notice.NAME)
    print(out / NAME)
    print(out / notice.NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
