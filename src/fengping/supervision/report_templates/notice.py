"""The default DOCX template of the 督办通知 (红头 layout), with docxtpl (Jinja) tags over
the keys of `supervision.notice_docx`; written by `build.py` to
`reports/templates_docx/supervision_notice.docx`. An administrator may download it on the
报告模板 page, restyle it in Word or WPS and upload it for the key `supervision-notice`."""

from __future__ import annotations

from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from fengping.reports.docx_build import new_document, p

NAME = "supervision_notice.docx"
RED = RGBColor(0xC0, 0x00, 0x00)


def _font(run, east: str, size: float, *, bold: bool = False, red: bool = False) -> None:
    run.font.size = Pt(size)
    run.bold = bold
    run.font.name = "Times New Roman"
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east)
    if red:
        run.font.color.rgb = RED


def _red_rule(paragraph) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), "18")
    bottom.set(qn("w:space"), "4")
    bottom.set(qn("w:color"), "C00000")
    border.append(bottom)
    ppr.append(border)


def _line(doc, text: str, east: str, size: float, align, **kw):
    para = doc.add_paragraph()
    para.alignment = align
    _font(para.add_run(text), east, size, **kw)
    return para


def build(path: Path) -> None:
    doc = new_document()
    centre, right, left = (
        WD_ALIGN_PARAGRAPH.CENTER,
        WD_ALIGN_PARAGRAPH.RIGHT,
        WD_ALIGN_PARAGRAPH.LEFT,
    )
    _line(doc, "{{ office }}", "方正小标宋简体", 26, centre, bold=True, red=True)
    _line(doc, "督 办 通 知", "方正小标宋简体", 22, centre, bold=True, red=True)
    number = _line(doc, "{{ doc_number }}", "仿宋", 16, centre)
    _red_rule(number)
    doc.add_paragraph()
    _line(doc, "{{ title }}", "方正小标宋简体", 20, centre, bold=True)
    doc.add_paragraph()
    _line(doc, "{{ department }}：", "仿宋", 16, left)
    p(doc, "{%p for line in paragraphs %}")
    body = _line(doc, "{{ line }}", "仿宋", 16, left)
    body.paragraph_format.first_line_indent = Pt(32)
    p(doc, "{%p endfor %}")
    p(doc, "{%p if reply_by %}")
    reply = _line(doc, "请于{{ reply_by }}前将办理情况书面报送我办。", "仿宋", 16, left)
    reply.paragraph_format.first_line_indent = Pt(32)
    p(doc, "{%p endif %}")
    doc.add_paragraph()
    doc.add_paragraph()
    _line(doc, "{{ office }}（盖章）", "仿宋", 16, right)
    _line(doc, "{{ issued_on }}", "仿宋", 16, right)
    doc.add_paragraph()
    foot = _line(
        doc,
        "督办事项：{{ obligation }}（截止日期{{ due_on }}）    签发人：{{ issued_by }}",
        "仿宋",
        12,
        left,
    )
    ppr = foot._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    for edge in ("top", "bottom"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "6")
        el.set(qn("w:space"), "1")
        el.set(qn("w:color"), "000000")
        border.append(el)
    ppr.append(border)
    doc.save(str(path))
