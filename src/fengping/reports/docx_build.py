"""Pieces the build scripts of the shipped DOCX report templates share
(`infosec/report_templates/build.py`, `cases/report_templates/build.py`): an A4 document
with 仿宋 body and 黑体 headings, bordered tables in 五号, docxtpl loop rows. Imported by the
build scripts only, never by a web worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates_docx"


def fonts(style: Any, east: str, size: float, bold: bool = False) -> None:
    style.font.name = "Times New Roman"
    style.font.size = Pt(size)
    style.font.bold = bold
    rpr = style.element.get_or_add_rPr()
    found = rpr.find(qn("w:rFonts"))
    if found is None:
        found = OxmlElement("w:rFonts")
        rpr.insert(0, found)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        found.attrib.pop(qn(attr), None)
    found.set(qn("w:eastAsia"), east)


def new_document() -> Any:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin = section.bottom_margin = Cm(2.54)
    section.left_margin = section.right_margin = Cm(2.5)
    styles = doc.styles
    fonts(styles["Normal"], "仿宋", 12)
    styles["Normal"].paragraph_format.space_after = Pt(4)
    fonts(styles["Title"], "宋体", 22, True)
    fonts(styles["Heading 1"], "黑体", 16)
    fonts(styles["Heading 2"], "楷体", 14, True)
    for name in ("Title", "Heading 1", "Heading 2"):
        styles[name].font.color.rgb = None
    return doc


def borders(table: Any) -> None:
    edges = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "4")
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        edges.append(el)
    table._tbl.tblPr.append(edges)


def cell(target: Any, text: str, bold: bool = False) -> None:
    run = target.paragraphs[0].add_run(text)
    run.font.size = Pt(10.5)
    run.bold = bold


def p(doc: Any, text: str, style: str | None = None) -> Any:
    return doc.add_paragraph(text, style=style)


def table(doc: Any, rows: int, cols: int) -> Any:
    """A centred, bordered table."""
    t = doc.add_table(rows=rows, cols=cols)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    borders(t)
    return t


def loop_table(doc: Any, headers: list[str], cells: list[str], loop: str) -> None:
    """Header row, then one row per item of `loop` (a {%tr for %} … {%tr endfor %})."""
    t = table(doc, 4, len(headers))
    for i, head in enumerate(headers):
        cell(t.rows[0].cells[i], head, bold=True)
    cell(t.rows[1].cells[0], f"{{%tr for {loop} %}}")
    for i, text in enumerate(cells):
        cell(t.rows[2].cells[i], text)
    cell(t.rows[3].cells[0], "{%tr endfor %}")


def field_table(doc: Any, rows: list[tuple[str, str]]) -> None:
    """Label | value rows."""
    t = table(doc, len(rows), 2)
    for row, (label, value) in zip(t.rows, rows, strict=True):
        cell(row.cells[0], label, bold=True)
        cell(row.cells[1], value)
