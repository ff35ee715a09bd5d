"""Write the default DOCX template of the 社会稳定风险评估报告.

    .venv/bin/python scripts/make_report_template.py [OUTPUT]

The output (default src/fengping/reports/templates_docx/ssra_report.docx) is a Word file
with docxtpl (Jinja) tags; it is committed, and an office may download it, restyle it in
Word or WPS and upload it as its own template (页面：报告模板). The tags use the keys of
`fengping.reports.context.report_context`.

Look: A4, margins 2.54 cm (top/bottom) and 3.17 cm (left/right) as Word's 普通 preset,
title in 宋体 bold 二号, headings 黑体 三号 / 楷体 四号, body 仿宋 四号 with 28 pt lines and
a two-character first-line indent, tables with single borders in 仿宋 五号, page numbers
"— 1 —" at the foot.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

DEFAULT_OUT = (
    Path(__file__).resolve().parent.parent / "src/fengping/reports/templates_docx/ssra_report.docx"
)

BODY = "仿宋"
HEI = "黑体"
KAI = "楷体"
SONG = "宋体"
LATIN = "Times New Roman"

# ------------------------------------------------------------------ styles


def set_fonts(style_or_run, east: str, size: float | None = None, bold: bool | None = None):
    """Latin and East-Asian font names (python-docx sets only the Latin ones itself)."""
    font = style_or_run.font
    font.name = LATIN
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    font.italic = False
    font.color.rgb = RGBColor(0, 0, 0)
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    # Theme fonts win over named ones in Word: drop them so 黑体/仿宋 apply.
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), LATIN)
    fonts.set(qn("w:eastAsia"), east)


def paragraph_format(style, *, indent: bool, before: float = 0, after: float = 0, line=None):
    pf = style.paragraph_format
    pf.first_line_indent = Pt(28) if indent else Pt(0)
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    if line is None:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line)


def make_styles(doc):
    styles = doc.styles
    normal = styles["Normal"]
    set_fonts(normal, BODY, 14)
    paragraph_format(normal, indent=True, line=28)
    normal.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    h1 = styles["Heading 1"]
    set_fonts(h1, HEI, 16, bold=False)
    paragraph_format(h1, indent=True, before=12, after=6, line=28)
    h1.paragraph_format.keep_with_next = True
    h2 = styles["Heading 2"]
    set_fonts(h2, KAI, 14, bold=True)
    paragraph_format(h2, indent=True, before=6, after=0, line=28)
    h2.paragraph_format.keep_with_next = True
    h3 = styles["Heading 3"]
    set_fonts(h3, BODY, 14, bold=True)
    paragraph_format(h3, indent=True, line=28)
    h3.paragraph_format.keep_with_next = True

    from docx.enum.style import WD_STYLE_TYPE

    title = styles.add_style("报告标题", WD_STYLE_TYPE.PARAGRAPH)
    title.base_style = normal
    set_fonts(title, SONG, 22, bold=True)
    paragraph_format(title, indent=False, before=24, after=12)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER

    subtitle = styles.add_style("报告副标题", WD_STYLE_TYPE.PARAGRAPH)
    subtitle.base_style = normal
    set_fonts(subtitle, KAI, 16)
    paragraph_format(subtitle, indent=False, after=6)
    subtitle.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER

    cell = styles.add_style("表格文字", WD_STYLE_TYPE.PARAGRAPH)
    cell.base_style = normal
    set_fonts(cell, BODY, 10.5)
    paragraph_format(cell, indent=False)
    cell.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT

    head = styles.add_style("表头", WD_STYLE_TYPE.PARAGRAPH)
    head.base_style = cell
    set_fonts(head, HEI, 10.5)
    head.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER

    note = styles.add_style("表注", WD_STYLE_TYPE.PARAGRAPH)
    note.base_style = normal
    set_fonts(note, BODY, 10.5)
    paragraph_format(note, indent=False, before=3, after=6)

    sign = styles.add_style("落款", WD_STYLE_TYPE.PARAGRAPH)
    sign.base_style = normal
    paragraph_format(sign, indent=False, line=28)
    sign.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT


# ------------------------------------------------------------------ building blocks


def p(doc, text: str = "", style: str | None = None, bold_prefix: str = ""):
    para = doc.add_paragraph(style=style)
    if bold_prefix:
        para.add_run(bold_prefix).bold = True
    if text:
        para.add_run(text)
    return para


def tag(doc, text: str):
    """A paragraph holding only a {%p … %} tag: docxtpl removes the whole paragraph."""
    return doc.add_paragraph(text)


def loop_paragraphs(doc, expr: str, var: str = "t", style: str | None = None):
    tag(doc, f"{{%p for {var} in {expr} %}}")
    p(doc, f"{{{{ {var} }}}}", style)
    tag(doc, "{%p endfor %}")


def _borders(table):
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "4")
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)
    tbl_pr.append(borders)


def _repeat_header(row):
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _grid(table, widths) -> None:
    """Column widths in the table grid too: LibreOffice and WPS read w:gridCol, not the
    cells' own widths."""
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)


def _cell(cell, text: str, style: str, width: float | None = None):
    cell.paragraphs[0].style = cell.part.document.styles[style]
    if text:
        cell.paragraphs[0].add_run(text)
    if width is not None:
        cell.width = Cm(width)


def loop_table(doc, headers: list[str], cells: list[str], widths: list[float], loop: str):
    """A bordered table: a header row, then one row per item of `loop` ("f in factors")."""
    table = doc.add_table(rows=4, cols=len(headers))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _borders(table)
    for i, (head, width) in enumerate(zip(headers, widths, strict=True)):
        _cell(table.rows[0].cells[i], head, "表头", width)
    _repeat_header(table.rows[0])
    _grid(table, widths)
    # docxtpl replaces a whole row holding a {%tr %} tag by the tag itself.
    first = table.rows[1].cells
    _cell(first[0], f"{{%tr for {loop} %}}", "表格文字", widths[0])
    for i, (text, width) in enumerate(zip(cells, widths, strict=True)):
        _cell(table.rows[2].cells[i], text, "表格文字", width)
    _cell(table.rows[3].cells[0], "{%tr endfor %}", "表格文字", widths[0])
    return table


def field_table(doc, rows: list[tuple[str, str]], widths=(4.2, 10.4)):
    """A two-column 项目 | 内容 table with fixed rows."""
    table = doc.add_table(rows=len(rows), cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _borders(table)
    for row, (label, value) in zip(table.rows, rows, strict=True):
        _cell(row.cells[0], label, "表头", widths[0])
        _cell(row.cells[1], value, "表格文字", widths[1])
    _grid(table, widths)
    return table


def part_heading(doc, part: str):
    tag(doc, f"{{%p if s.titles.{part} %}}")
    p(doc, f"{{{{ s.titles.{part} }}}}", "Heading 2")
    tag(doc, "{%p endif %}")


def page_number_footer(section):
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.style = section.part.document.styles["表注"]
    footer.add_run("— ")
    run = footer.add_run()
    for kind, text in (
        ("begin", None),
        (None, " PAGE "),
        ("separate", None),
        (None, "1"),
        ("end", None),
    ):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            run._r.append(el)
        elif text == " PAGE ":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
            run._r.append(el)
        else:
            t = OxmlElement("w:t")
            t.text = text
            run._r.append(t)
    footer.add_run(" —")
    # The audit anchor in small print on every page's footer: verifiable from any page,
    # and never a near-blank last page of its own.
    anchor = section.footer.add_paragraph("{{ audit_anchor }}")
    anchor.alignment = WD_ALIGN_PARAGRAPH.CENTER
    anchor.style = section.part.document.styles["表注"]
    for run in anchor.runs:
        run.font.size = Pt(7)


# ------------------------------------------------------------------ the parts


def overview(doc):
    part_heading(doc, "overview")
    field_table(
        doc,
        [
            ("事项名称", "{{ matter.title }}"),
            ("事项类型", "{{ matter.kind }}"),
            ("所属领域", "{{ matter.category }}"),
            ("责任主体", "{{ matter.department }}"),
            ("牵头部门", "{{ matter.lead_department }}"),
            ("协助部门", "{{ matter.assisting_departments }}"),
            ("有权作出决定的机关", "{{ matter.deciding_authority }}"),
            ("计划决策日期", "{{ matter.planned_decision_date }}"),
            ("登记日期", "{{ matter.registered_on }}"),
        ],
    )
    tag(doc, "{%p if matter.description %}")
    p(doc, "事项概况：", "Heading 3")
    loop_paragraphs(doc, "matter.description")
    tag(doc, "{%p endif %}")


def work(doc):
    part_heading(doc, "work")
    p(
        doc,
        "本次评估由{{ matter.department }}组织实施，评估牵头部门为{{ work.lead_department }}，"
        "协助部门为{{ work.assisting_departments }}。评估于{{ work.started_on }}启动，"
        "评估时间安排：{{ work.schedule }}。",
    )
    tag(doc, "{%p if work.plan_content %}")
    p(doc, "评估内容与责任分工：", "Heading 3")
    loop_paragraphs(doc, "work.plan_content")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if work.plan_methods %}")
    p(doc, "评估方法：", "Heading 3")
    loop_paragraphs(doc, "work.plan_methods")
    tag(doc, "{%p endif %}")
    p(
        doc,
        "评估小组共{{ work.team|length }}人，其中特邀专家{{ work.experts|length }}人、"
        "群众代表{{ work.public_representatives|length }}人，组成如下：",
    )
    loop_table(
        doc,
        ["序号", "身份", "姓名", "单位", "分工"],
        [
            "{{ loop.index }}",
            "{{ t.kind }}",
            "{{ t.name }}",
            "{{ t.organisation }}",
            "{{ t.duty }}",
        ],
        [1.3, 2.6, 2.8, 4.2, 3.7],
        "t in work.team",
    )
    tag(doc, "{%p if work.activities %}")
    p(doc, "开展的征求意见活动：", "Heading 3")
    loop_table(
        doc,
        ["序号", "形式", "日期", "地点", "参加人数", "参加人员态度"],
        [
            "{{ loop.index }}",
            "{{ a.kind }}",
            "{{ a.date }}",
            "{{ a.place }}",
            "{{ a.participants }}",
            "{{ a.stances }}",
        ],
        [1.2, 2.6, 3.0, 3.2, 1.8, 2.8],
        "a in work.activities",
    )
    tag(doc, "{%p endif %}")
    p(doc, "意见反映渠道：{{ work.channels }}。")


def opinions(doc):
    part_heading(doc, "opinions")
    p(
        doc,
        "共收回问卷{{ opinions.respondents }}份，其中表明态度的{{ opinions.stance_respondents }}份："
        "支持{{ opinions.support }}人，支持率{{ opinions.support_rate }}；"
        "反对{{ opinions.oppose }}人，反对率{{ opinions.oppose_rate }}；"
        "中立{{ opinions.neutral }}人，占{{ opinions.neutral_rate }}。",
    )
    tag(doc, "{%p if opinions.channels %}")
    p(doc, "各渠道态度（问卷、征求意见活动、登记的意见）：", "Heading 3")
    loop_table(
        doc,
        ["渠道", "群体", "人数", "支持", "反对", "中立", "未表态", "反对率"],
        [
            "{{ c.channel }}",
            "{{ c.group }}",
            "{{ c.respondents }}",
            "{{ c.support }}",
            "{{ c.oppose }}",
            "{{ c.neutral }}",
            "{{ c.undeclared }}",
            "{{ c.oppose_rate }}",
        ],
        [2.6, 2.8, 1.4, 1.4, 1.4, 1.4, 1.6, 2.0],
        "c in opinions.channels",
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if opinions.majority %}")
    p(doc, "{{ opinions.majority }}", bold_prefix="【多数原则】")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if opinions.groups %}")
    p(doc, "分群体情况：", "Heading 3")
    loop_table(
        doc,
        ["群体", "答卷数", "支持率", "反对率", "中立"],
        [
            "{{ g.group }}",
            "{{ g.respondents }}",
            "{{ g.support_rate }}",
            "{{ g.oppose_rate }}",
            "{{ g.neutral_rate }}",
        ],
        [4.6, 2.5, 2.5, 2.5, 2.5],
        "g in opinions.groups",
    )
    tag(doc, "{%p endif %}")
    p(doc, "群众关注的主要问题（关键词及提及次数）：{{ opinions.keywords }}。")
    p(
        doc,
        "共登记意见建议{{ opinions.comments }}条，其中质疑{{ opinions.queries }}条，"
        "已答复{{ opinions.answered_queries }}条，未答复{{ opinions.unanswered_queries }}条；"
        "根据意见修改完善{{ opinions.revisions }}处。",
    )


def factors(doc):
    part_heading(doc, "factors")
    p(
        doc,
        "经识别，本事项共有风险因素{{ factors|length }}项。各因素的可能性（P）和影响程度（I）"
        "由评估人员分别评分后汇总，风险分值为 P·I；离散度为各评估人员 P·I 的最小值至最大值。",
    )
    p(doc, "表1  风险因素识别", "表注").alignment = WD_ALIGN_PARAGRAPH.CENTER
    loop_table(
        doc,
        ["序号", "评估维度", "风险因素", "可能涉及人数", "涉及范围", "可能方式", "激烈程度"],
        [
            "{{ f.no }}",
            "{{ f.dimension }}",
            "{{ f.title }}",
            "{{ f.people }}",
            "{{ f.scope }}",
            "{{ f.manner }}",
            "{{ f.intensity }}",
        ],
        [1.1, 1.8, 3.6, 1.8, 2.2, 2.2, 1.9],
        "f in factors",
    )
    p(doc, "表2  风险因素评分与化解措施", "表注").alignment = WD_ALIGN_PARAGRAPH.CENTER
    loop_table(
        doc,
        ["序号", "风险因素", "P", "I", "P·I", "离散度", "化解措施", "措施后 P·I"],
        [
            "{{ f.no }}",
            "{{ f.title }}",
            "{{ f.p }}",
            "{{ f.i }}",
            "{{ f.score }}",
            "{{ f.spread }}",
            "{{ f.mitigation }}",
            "{{ f.residual_score }}",
        ],
        [1.1, 2.9, 1.2, 1.2, 1.3, 2.2, 3.3, 1.4],
        "f in factors",
    )


def matrix(doc):
    part_heading(doc, "matrix")
    p(
        doc,
        "按评估方案的“{{ matrix.row_title }}”与“{{ matrix.column_title }}”量表，风险矩阵如下；"
        "单元格中为风险分值及所属区间，【】内为落在该单元格的风险因素序号。",
    )
    table = doc.add_table(rows=4, cols=4)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _borders(table)
    head = table.rows[0].cells
    _cell(head[0], "P ＼ I", "表头", 3.0)
    # docxtpl repeats the cells between {%tc for %} and {%tc endfor %} (each in its own cell).
    _cell(head[1], "{%tc for c in matrix.columns %}", "表头")
    _cell(head[2], "{{ c }}", "表头")
    _cell(head[3], "{%tc endfor %}", "表头")
    _repeat_header(table.rows[0])
    _cell(table.rows[1].cells[0], "{%tr for r in matrix.rows %}", "表格文字")
    body = table.rows[2].cells
    _cell(body[0], "{{ r.label }}", "表头", 3.0)
    _cell(body[1], "{%tc for c in r.cells %}", "表格文字")
    _cell(body[2], "{% cellbg c.fill %}{{ c.value }} {{ c.band }}", "表头")
    body[2].add_paragraph("{% if c.has_factors %}【{{ c.factors }}】{% endif %}", style="表头")
    _cell(body[3], "{%tc endfor %}", "表格文字")
    _cell(table.rows[3].cells[0], "{%tr endfor %}", "表格文字")
    p(doc, "风险区间与等级对应关系：", "Heading 3")
    loop_table(
        doc,
        ["风险区间", "分值范围", "对应等级"],
        ["{{ b.label }}", "{{ b.range }}", "{{ b.grade }}"],
        [3.6, 6.0, 5.0],
        "b in matrix.bands",
    )


def checklist(doc):
    part_heading(doc, "checklist")
    tag(doc, "{%p for d in checklist %}")
    p(doc, "{{ d.dimension }}（{{ d.summary }}）", "Heading 3")
    loop_table(
        doc,
        ["序号", "评估要点", "结论", "说明"],
        ["{{ i.no }}", "{{ i.text }}", "{{ i.answer }}", "{{ i.note }}"],
        [1.1, 8.6, 1.9, 3.0],
        "i in d.answers",
    )
    tag(doc, "{%p endfor %}")


def grade(doc):
    part_heading(doc, "grade")
    p(
        doc,
        "按评估方案计算，采取化解措施前综合风险指数为{{ grade.initial_index }}（{{ grade.initial_label }}），"
        "措施后综合风险指数为{{ grade.index }}，处于“{{ grade.band }}”区间，"
        "计算得出的风险等级为{{ grade.computed_label }}。",
    )
    p(
        doc,
        "经责任主体核准，本事项社会稳定风险等级确定为：{{ grade.final_label }}。",
        bold_prefix="",
    )
    tag(doc, "{%p if grade.definition %}")
    p(doc, "等级含义：{{ grade.definition }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if grade.changed %}")
    p(
        doc,
        "计算得出的风险等级为{{ grade.computed_label }}，由{{ grade.override_proposed_by }}"
        "提出调整为{{ grade.final_label }}，经{{ grade.override_approved_by }}"
        "于{{ grade.override_approved_on }}批准。调整理由：{{ grade.override_reason }}",
        bold_prefix="【等级调整】",
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if grade.pending_override %}")
    p(
        doc,
        "{{ grade.pending_override.proposed_by }}提出将风险等级调整为"
        "{{ grade.pending_override.label }}（理由：{{ grade.pending_override.reason }}），"
        "尚未批准，按计算等级{{ grade.computed_label }}执行。",
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for c in grade.conditions %}")
    p(
        doc,
        "{{ c.label }}：{{ c.note }}（{{ c.recorded_by }}登记，{{ c.confirmed_by }}"
        "于{{ c.confirmed_on }}确认）{% if c.plan %}所依据的方案或预案：{{ c.plan }}{% endif %}",
        bold_prefix="【实施条件】",
    )
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if grade.floor_reason %}")
    p(doc, "{{ grade.floor_reason }}", bold_prefix="【群众反映限定等级】")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if grade.major_stability_issue %}")
    p(doc, "本事项存在涉稳重大问题，须报党委、政府审定。", bold_prefix="【涉稳重大问题】")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if written_opinion %}")
    p(doc, "责任主体书面意见：", "Heading 3")
    loop_paragraphs(doc, "written_opinion")
    tag(doc, "{%p endif %}")


def recommendation(doc):
    part_heading(doc, "recommendation")
    tag(doc, "{%p if grade.scheme_recommendation %}")
    p(
        doc,
        "依据评估方案，{{ grade.final_label }}风险的处理意见为：{{ grade.scheme_recommendation }}",
    )
    tag(doc, "{%p endif %}")
    loop_paragraphs(doc, "recommendation")


def mitigation(doc):
    part_heading(doc, "mitigation")
    p(doc, "化解风险方案：", "Heading 3")
    tag(doc, "{%p if mitigation_plan %}")
    loop_paragraphs(doc, "mitigation_plan")
    tag(doc, "{%p else %}")
    p(doc, "见表2所列各风险因素的化解措施。")
    tag(doc, "{%p endif %}")
    p(doc, "应急处置预案：", "Heading 3")
    tag(doc, "{%p if contingency_plan %}")
    loop_paragraphs(doc, "contingency_plan")
    tag(doc, "{%p else %}")
    p(doc, "（尚未制定）")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if measures %}")
    p(doc, "应对措施落实安排：", "Heading 3")
    loop_table(
        doc,
        ["序号", "类别", "措施", "责任单位/人", "完成时限", "状态"],
        [
            "{{ loop.index }}",
            "{{ m.kind }}",
            "{{ m.title }}",
            "{{ m.owner }}",
            "{{ m.due }}",
            "{{ m.status }}",
        ],
        [1.1, 2.0, 4.6, 2.9, 2.4, 1.6],
        "m in measures",
    )
    tag(doc, "{%p endif %}")


def appendix(doc):
    tag(doc, "{%p if reviews or decision or filings or later_decisions or surveys %}")
    p(doc, "附：审查、决定和备案情况", "Heading 1")
    tag(doc, "{%p if reviews %}")
    loop_table(
        doc,
        ["审查环节", "审查人", "结论", "意见", "日期"],
        ["{{ r.stage }}", "{{ r.reviewer }}", "{{ r.result }}", "{{ r.opinion }}", "{{ r.date }}"],
        [3.6, 2.2, 2.0, 4.2, 2.6],
        "r in reviews",
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if decision %}")
    p(
        doc,
        "{{ decision.authority }}于{{ decision.decided_on }}作出“{{ decision.outcome }}”的决定，"
        "文号：{{ decision.doc_no }}。",
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for f in filings %}")
    p(
        doc,
        "{{ f.filed_on }}报{{ f.office }}备案。"
        "{% if f.late %}（逾期备案，原因：{{ f.late_reason }}）{% endif %}"
        "{% if f.acknowledged_by %}{{ f.acknowledged_by }}于{{ f.acknowledged_on }}签收。"
        "{% else %}尚未签收。{% endif %}",
    )
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p for d in later_decisions %}")
    p(
        doc,
        "{{ d.authority }}于{{ d.decided_on }}作出新的决定“{{ d.outcome }}”，"
        "文号：{{ d.doc_no }}。理由：{{ d.reason }}",
    )
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p for v in surveys %}")
    p(
        doc,
        "{{ v.held_on }}跟踪调查（{{ v.method }}）：支持 {{ v.support }} 人、反对 {{ v.oppose }} 人、"
        "中立 {{ v.neutral }} 人、未表态 {{ v.no_stance }} 人。",
    )
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")


PARTS = {
    "overview": overview,
    "work": work,
    "opinions": opinions,
    "factors": factors,
    "matrix": matrix,
    "checklist": checklist,
    "grade": grade,
    "recommendation": recommendation,
    "mitigation": mitigation,
}


def build(out: Path) -> None:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.54)
    section.left_margin = section.right_margin = Cm(3.17)
    make_styles(doc)
    page_number_footer(section)
    props = doc.core_properties
    props.title, props.author, props.comments = "社会稳定风险评估报告", "fengping", ""

    p(doc, "{{ title }}", "报告标题")
    p(doc, "{{ matter.title }}", "报告副标题")
    p(doc, "（{{ edition_label }}）", "报告副标题")
    p(doc, "{{ matter.department }}　{{ generated_on }}", "报告副标题")

    tag(doc, "{%p for s in sections %}")
    p(doc, "{{ s.heading }}", "Heading 1")
    for part, write in PARTS.items():
        tag(doc, f"{{%p if s.show.{part} %}}")
        write(doc)
        tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")

    appendix(doc)
    # The sign-off stays together (never one line alone on a last page).
    p(doc, "", None).paragraph_format.keep_with_next = True
    p(doc, "{{ matter.department }}", "落款").paragraph_format.keep_with_next = True
    p(doc, "{{ generated_on }}", "落款")

    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out))


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    build(out)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
