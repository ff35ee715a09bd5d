"""Write the default DOCX template of the 办案风险评估报告 (篇4 四3), with docxtpl (Jinja)
tags over the keys of `cases.report`.

    PYTHONPATH=src .venv/bin/python -m fengping.cases.report_templates.build

The output goes to `reports/templates_docx/case_report.docx` (shipped with the package like
the other report templates); an administrator may download it on the 报告模板 page,
restyle it in Word or WPS and upload it for the key `case`. The six fields of the source
come first, in its order; the level, the three dimensions' findings, the responsibility
chain and the measures follow as annexes."""

from __future__ import annotations

import sys
from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH

from fengping.reports.docx_build import (
    TEMPLATES_DIR,
    field_table,
    loop_table,
    new_document,
    p,
)

OUT = TEMPLATES_DIR
NAME = "case_report.docx"


def lines(doc, key: str) -> None:
    """A text field kept paragraph by paragraph (`key` is a list of lines)."""
    p(doc, f"{{%p for line in {key} %}}")
    p(doc, "{{ line }}")
    p(doc, "{%p endfor %}")


def build_report(path: Path) -> None:
    doc = new_document()
    title = p(doc, "{{ title }}", "Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = p(doc, "{{ organ }} · {{ stage }} · 生成于{{ generated_on }}")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER

    # The source's six fields, in its order.
    p(doc, "一、{{ labels.case_name }}", "Heading 1")
    p(doc, "{{ case_name }}（{{ case_number }}）")
    p(doc, "二、{{ labels.persons }}", "Heading 1")
    lines(doc, "fields.persons")
    p(doc, "三、{{ labels.summary }}", "Heading 1")
    lines(doc, "fields.summary")
    p(doc, "四、{{ labels.handling }}", "Heading 1")
    lines(doc, "fields.handling")
    p(doc, "五、{{ labels.problems }}", "Heading 1")
    lines(doc, "fields.problems")
    p(doc, "六、{{ labels.response_plan }}", "Heading 1")
    lines(doc, "fields.response_plan")

    p(doc, "附：评估情况", "Heading 1")
    p(doc, "评估等级", "Heading 2")
    field_table(
        doc,
        [
            ("评估等级", "{{ level.label }}"),
            ("计算等级", "{{ level.computed }}（得分{{ level.score }}）"),
            ("风险因素", "{{ level.factors }}"),
            ("引发上访的可能性", "{{ prediction.probability }}"),
            ("影响程度", "{{ prediction.impact }}"),
            ("群众理解支持", "{{ prediction.majority }}"),
            ("评估缘由", "{{ reason }}"),
            ("评估状态", "{{ status }}"),
        ],
    )
    p(doc, "预测评估意见", "Heading 2")
    lines(doc, "prediction.text")
    p(doc, "等级变更", "Heading 2")
    loop_table(
        doc,
        ["原等级", "新等级", "理由", "提出人", "审批", "审批人"],
        [
            "{{ c.from_level }}",
            "{{ c.to_level }}",
            "{{ c.reason }}",
            "{{ c.proposed_by }}",
            "{{ c.state }}",
            "{{ c.decided_by }}",
        ],
        "c in level_changes",
    )
    p(doc, "三个方面的逐项分析", "Heading 2")
    loop_table(
        doc,
        ["方面", "分析事项", "存在问题", "分析意见"],
        ["{{ x.dimension }}", "{{ x.item }}", "{{ x.has_issue }}", "{{ x.finding }}"],
        "x in findings",
    )
    p(doc, "责任分工（谁办理、谁评估、谁化解）", "Heading 2")
    field_table(
        doc,
        [
            ("第一责任人", "{{ responsibility.first }}"),
            ("主要责任人", "{{ responsibility.main }}"),
            ("直接责任人", "{{ responsibility.direct }}"),
        ],
    )
    p(doc, "防范和处置预案", "Heading 2")
    lines(doc, "contingency_plan")
    p(doc, "工作措施", "Heading 2")
    loop_table(
        doc,
        ["工作措施", "责任单位", "协同单位", "责任人", "完成时限", "落实情况"],
        [
            "{{ m.title }}",
            "{{ m.unit }}",
            "{{ m.cooperating }}",
            "{{ m.person }}",
            "{{ m.due_on }}",
            "{{ m.status }}",
        ],
        "m in measures",
    )
    doc.save(str(path))


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    out.mkdir(parents=True, exist_ok=True)
    build_report(out / NAME)
    print(out / NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
