"""Write the default DOCX templates of the 信息安全风险评估报告 (one system) and of the
estate's 汇总报告, with docxtpl (Jinja) tags over the keys of `infosec.report`.

    PYTHONPATH=src .venv/bin/python -m fengping.infosec.report_templates.build

The output goes to `reports/templates_docx/isra_report.docx` and `isra_estate.docx`
(shipped with the package like the ssra template); an administrator may download either
on the 报告模板 page, restyle it in Word or WPS and upload it for the key `isra` or
`isra-estate`. Look: A4, 仿宋 body, 黑体 headings, bordered tables in 五号 — the same
conventions as scripts/make_report_template.py, smaller."""

from __future__ import annotations

import sys
from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm

from fengping.reports.docx_build import (
    TEMPLATES_DIR,
    cell,
    field_table,
    loop_table,
    new_document,
    p,
    table,
)

OUT = TEMPLATES_DIR


def tag(doc, text: str) -> None:
    doc.add_paragraph(text)


def heatmap(doc) -> None:
    """The 5×5 likelihood × loss table with the count of risks in each cell."""
    grid = table(doc, 6, 6)
    cell(grid.rows[0].cells[0], "可能性＼损失", bold=True)
    for lo in range(1, 6):
        cell(grid.rows[0].cells[lo], str(lo), bold=True)
    for r in range(5):
        cell(grid.rows[r + 1].cells[0], f"{{{{ risk.heatmap[{r}].likelihood }}}}", bold=True)
        for c in range(5):
            cell(grid.rows[r + 1].cells[c + 1], f"{{{{ risk.heatmap[{r}].cells[{c}] }}}}")


def build_report(path: Path) -> None:
    doc = new_document()
    title = p(doc, "{{ system.name }}{{ title }}", "Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = p(doc, "{{ assessment.title }} · 生成于{{ generated_on }}")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER

    p(doc, "一、{{ sections.overview }}", "Heading 1")
    field_table(
        doc,
        [
            ("系统名称", "{{ system.name }}（{{ system.code }}）"),
            ("主管部门", "{{ system.department }}"),
            ("等级保护级别", "{{ system.protection_level }}"),
            ("备案编号", "{{ system.filing_number }}"),
            ("承载的业务", "{{ system.business }}"),
            ("评估方案", "{{ assessment.scheme }}"),
            ("风险计算方法", "{{ assessment.calculation }}"),
            ("评估时间", "{{ assessment.started_on }} 至 {{ assessment.finished_on }}"),
            ("评估状态", "{{ assessment.status }}"),
        ],
    )
    p(doc, "评估范围和方式", "Heading 2")
    p(doc, "{{ scope_text }}")
    p(doc, "评估流程和方法", "Heading 2")
    p(doc, "{{ procedure_text }}")
    p(doc, "{{ method_note }}")

    p(doc, "二、{{ sections.assets }}", "Heading 1")
    p(doc, "业务资产", "Heading 2")
    loop_table(
        doc,
        ["业务编号", "业务名称", "重要性", "资产数"],
        ["{{ b.code }}", "{{ b.name }}", "{{ b.importance }}", "{{ b.assets }}"],
        "b in assets.businesses",
    )
    p(doc, "系统资产和组件（共{{ assets.total }}项）", "Heading 2")
    loop_table(
        doc,
        ["编号", "名称", "层次", "功能部分", "承载业务", "C/I/A", "价值"],
        [
            "{{ x.code }}",
            "{{ x.name }}",
            "{{ x.layer }}",
            "{{ x.part }}",
            "{{ x.business }}",
            "{{ x.cia }}",
            "{{ x.value }}",
        ],
        "x in assets.rows",
    )
    tag(doc, "{%p if assets.more %}")
    p(doc, "另有{{ assets.more }}项资产未列出，详见资产清单导出。")
    tag(doc, "{%p endif %}")

    p(doc, "三、{{ sections.threats }}", "Heading 1")
    loop_table(
        doc,
        ["编号", "威胁", "类别", "来源", "主体", "频率"],
        [
            "{{ t.code }}",
            "{{ t.name }}",
            "{{ t.threat_class }}",
            "{{ t.origin }}",
            "{{ t.actor }}",
            "{{ t.frequency }}",
        ],
        "t in threats",
    )

    p(doc, "四、{{ sections.vulnerabilities }}", "Heading 1")
    p(
        doc,
        "共识别脆弱性{{ vulnerabilities.total }}项"
        "{%for x in vulnerabilities.aspects %}，{{ x.label }}{{ x.count }}项{% endfor %}。",
    )
    loop_table(
        doc,
        ["漏洞等级", "待处理", "已关闭", "误报", "接受风险", "合计"],
        [
            "{{ v.grade }}",
            "{{ v.counts[0] }}",
            "{{ v.counts[1] }}",
            "{{ v.counts[2] }}",
            "{{ v.counts[3] }}",
            "{{ v.total }}",
        ],
        "v in vulnerabilities.rows",
    )

    p(doc, "五、{{ sections.measures }}", "Heading 1")
    loop_table(
        doc,
        ["检查表", "检查项", "有效", "部分有效", "无效或缺失", "不适用", "未评估"],
        [
            "{{ m.label }}",
            "{{ m.items }}",
            "{{ m.counts[0] }}",
            "{{ m.counts[1] }}",
            "{{ m.counts[2] }}",
            "{{ m.counts[3] }}",
            "{{ m.unanswered }}",
        ],
        "m in measures",
    )

    p(doc, "六、{{ sections.risks }}", "Heading 1")
    p(
        doc,
        "采用{{ risk.calculation }}计算，共识别风险{{ risk.total }}项；"
        "整改后已消除{{ risk.eliminated }}项。{% if not risk.current %}"
        "注意：风险计算所依据的数据已变化，本节结果不是最新的。{% endif %}",
    )
    p(doc, "风险等级分布", "Heading 2")
    loop_table(
        doc,
        ["风险等级", "风险数", "剩余风险数"],
        ["{{ lv.label }}", "{{ lv.count }}", "{{ lv.residual }}"],
        "lv in risk.levels",
    )
    p(doc, "风险分布图（可能性 × 损失，格中为风险数）", "Heading 2")
    heatmap(doc)
    p(doc, "风险清单（中等及以上）", "Heading 2")
    p(
        doc,
        "中等及以上风险共{{ risk.register_total }}项，按风险值从高到低列出"
        "{% if risk.register_more %}前{{ caps.register }}项，另有{{ risk.register_more }}项见风险清单导出"
        "{% endif %}；低和很低风险{{ risk.below_medium }}项不逐项列出。",
    )
    loop_table(
        doc,
        ["序号", "资产", "威胁", "脆弱性", "可能性", "损失", "风险值", "等级", "处置", "剩余"],
        [
            "{{ r.no }}",
            "{{ r.asset }}",
            "{{ r.threat }}",
            "{{ r.vulnerability }}",
            "{{ r.likelihood }}",
            "{{ r.loss }}",
            "{{ r.risk }}",
            "{{ r.level }}",
            "{{ r.treatment }}",
            "{{ r.residual }}",
        ],
        "r in risk.register",
    )

    p(doc, "七、{{ sections.treatment }}", "Heading 1")
    p(doc, "处置决策", "Heading 2")
    loop_table(
        doc,
        ["风险等级", "接受", "降低", "转移", "规避", "未决策"],
        [
            "{{ d.label }}",
            "{{ d.counts[0] }}",
            "{{ d.counts[1] }}",
            "{{ d.counts[2] }}",
            "{{ d.counts[3] }}",
            "{{ d.undecided }}",
        ],
        "d in decisions.rows",
    )
    tag(doc, "{%p if decisions.pending %}")
    p(doc, "尚有{{ decisions.pending }}项风险接受等待批准。")
    tag(doc, "{%p endif %}")
    p(doc, "经批准接受的风险", "Heading 2")
    loop_table(
        doc,
        ["风险", "等级", "理由", "提出人", "批准", "批准人", "有效期至"],
        [
            "{{ x.risk }}",
            "{{ x.level }}",
            "{{ x.reason }}",
            "{{ x.proposed_by }}",
            "{{ x.approval }}",
            "{{ x.approved_by }}",
            "{{ x.expires_on }}",
        ],
        "x in decisions.acceptances",
    )
    p(doc, "安全建议", "Heading 2")
    loop_table(
        doc,
        ["序号", "建议", "内容", "针对的风险数", "风险等级"],
        [
            "{{ loop.index }}",
            "{{ r.title }}",
            "{{ r.text }}",
            "{{ r.count }}",
            "{{ r.levels }}",
        ],
        "r in decisions.recommendations",
    )

    p(doc, "八、{{ sections.remediation }}", "Heading 1")
    p(doc, "{{ remediation_text }}")
    p(
        doc,
        "整改任务共{{ tasks.total }}项，未完成{{ tasks.open }}项，其中已逾期{{ tasks.overdue }}项"
        "{% for s in tasks.statuses %}；{{ s.label }}{{ s.count }}项{% endfor %}。",
    )
    loop_table(
        doc,
        ["整改事项", "类别", "严重程度", "责任人", "整改期限", "状态"],
        [
            "{{ t.title }}",
            "{{ t.kind }}",
            "{{ t.severity }}",
            "{{ t.owner }}",
            "{{ t.deadline }}",
            "{{ t.status }}",
        ],
        "t in tasks.rows",
    )
    tag(doc, "{%p if tasks.more %}")
    p(doc, "另有{{ tasks.more }}项整改任务未列出，详见整改任务导出。")
    tag(doc, "{%p endif %}")
    doc.save(str(path))


def build_estate(path: Path) -> None:
    doc = new_document()
    section = doc.sections[0]
    # landscape: the summary table is wide
    section.page_height, section.page_width = Cm(21.0), Cm(29.7)
    title = p(doc, "{{ title }}", "Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = p(doc, "生成于{{ generated_on }}")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p(doc, "一、总体情况", "Heading 1")
    p(
        doc,
        "共{{ count }}个信息系统，已开展风险评估{{ assessed }}个，其中已完成{{ finished }}个。"
        "最近一次评估共识别风险{{ totals.risks }}项"
        "{% for l in level_labels %}，{{ l }}{{ totals.levels[loop.index0] }}项{% endfor %}；"
        "未决策{{ totals.undecided }}项；待处理脆弱性{{ totals.vulns }}项；"
        "未完成整改任务{{ totals.open }}项，其中已逾期{{ totals.overdue }}项。",
    )
    p(doc, "二、各系统情况", "Heading 1")
    loop_table(
        doc,
        [
            "系统",
            "主管部门",
            "等保级别",
            "最近评估",
            "很高",
            "高",
            "中等",
            "低",
            "很低",
            "未决策",
            "待处理脆弱性",
            "未完成整改",
            "已逾期",
        ],
        [
            "{{ s.name }}（{{ s.code }}）",
            "{{ s.department }}",
            "{{ s.protection_level }}",
            "{{ s.assessment }}（{{ s.status }}）",
            "{{ s.levels[0] }}",
            "{{ s.levels[1] }}",
            "{{ s.levels[2] }}",
            "{{ s.levels[3] }}",
            "{{ s.levels[4] }}",
            "{{ s.undecided }}",
            "{{ s.vulns }}",
            "{{ s.open }}",
            "{{ s.overdue }}",
        ],
        "s in systems",
    )
    field_table(
        doc,
        [
            ("合计", "{{ count }}个系统"),
            ("风险", "{{ totals.risks }}"),
            ("未决策", "{{ totals.undecided }}"),
            ("待处理脆弱性", "{{ totals.vulns }}"),
            ("未完成整改任务", "{{ totals.open }}（已逾期{{ totals.overdue }}）"),
            ("已完成整改任务", "{{ totals.done }}"),
        ],
    )
    doc.save(str(path))


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    out.mkdir(parents=True, exist_ok=True)
    build_report(out / "isra_report.docx")
    build_estate(out / "isra_estate.docx")
    print(out / "isra_report.docx", out / "isra_estate.docx")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
