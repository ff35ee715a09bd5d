"""The DOCX report of an assessment and the estate's summary: aggregated from the database
(the register lists levels ≥ 中等 up to a cap and counts the rest), rendered through the
reports app's replaceable templates (keys isra, isra-estate)."""

from __future__ import annotations

import io

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fengping.core.errors import ActionError
from fengping.infosec import report
from fengping.infosec.actions import tasks as k
from fengping.infosec.actions import treatment as t
from fengping.reports import actions as report_actions
from fengping.reports.render import OTHER_KINDS, template_path

from .treatment_builders import register, scenario_of, vulnerability


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "media"


def open_docx(data: bytes):
    return docx.Document(io.BytesIO(data))


def text_of(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


def headings(document) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == "Heading 1"]


def _filled(org, monkeypatch=None):
    a = register(org, {5: 2, 4: 3, 3: 5, 2: 4, 1: 6})
    t.do_decide_bulk(org.rsj_handler, a, "accept", "低风险", filters={"levels": [1, 2]})
    t.do_decide_bulk(org.rsj_handler, a, "reduce", "整改", filters={"levels": [3, 4]})
    d = t.do_decide(org.rsj_handler, scenario_of(a, 5), "accept", "业务必须运行")
    t.do_approve_acceptance(org.city_leader, d, "同意")
    rec = t.do_save_recommendation(
        org.rsj_handler, a, title="部署主机加固基线", text="按基线加固", kind="technical"
    )
    t.do_link_recommendation(org.rsj_handler, rec, filters={"levels": [3, 4, 5]})
    k.do_create_tasks_from_risks(org.rsj_handler, a)
    return a


def test_report_sections_tables_and_numbers(org):
    a = _filled(org)
    document = open_docx(report.report_docx(a))
    assert headings(document) == [
        "一、评估概述",
        "二、资产识别与赋值",
        "三、威胁识别",
        "四、脆弱性识别",
        "五、现有安全措施评估",
        "六、风险计算和分析",
        "七、风险决策和安全建议",
        "八、安全整改",
    ]
    text = text_of(document)
    assert "协同办公系统信息安全风险评估报告" in text
    assert "共识别风险20项" in text
    assert "中等及以上风险共10项" in text and "低和很低风险10项不逐项列出" in text
    assert "部署主机加固基线 | 按基线加固 | 10 | 很高 2、高 3、中等 5" in text
    assert "整改任务共8项，未完成8项" in text
    # the heatmap: 5×5 counts, likelihood 5 on top (level n scenarios sit at (n, n))
    heat = next(tb for tb in document.tables if tb.rows[0].cells[0].text == "可能性＼损失")
    assert [c.text for c in heat.rows[1].cells] == ["5", "0", "0", "0", "0", "2"]
    assert [c.text for c in heat.rows[5].cells] == ["1", "6", "0", "0", "0", "0"]
    # the approved acceptance with its approver and expiry
    assert "已批准 | city_leader" in text


def test_register_is_capped_and_the_rest_counted(org, monkeypatch):
    monkeypatch.setattr(report, "REGISTER_CAP", 7)
    a = register(org, {3: 12, 1: 5})
    ctx = report.report_context(a)
    assert len(ctx["risk"]["register"]) == 7 and ctx["risk"]["register_more"] == 5
    text = text_of(open_docx(report.render(report.REPORT_KEY, ctx)))
    assert "另有5项见风险清单导出" in text


def test_report_context_queries_do_not_grow_with_the_register(org):
    small = register(org, {3: 3, 1: 3}, code="S")
    big = register(org, {3: 60, 4: 40, 1: 100}, code="L")
    with CaptureQueriesContext(connection) as q1:
        report.report_context(small)
    with CaptureQueriesContext(connection) as q2:
        report.report_context(big)
    assert len(q2) == len(q1)


def test_estate_report_one_row_per_visible_system_and_totals(org):
    _filled(org)
    register(org, {3: 2}, code="ZJ", department=org.zjj)
    ctx = report.estate_context(org.rsj_handler)
    assert [s["code"] for s in ctx["systems"]] == ["OA"]
    ctx = report.estate_context(org.supervisor)
    assert [s["code"] for s in ctx["systems"]] == ["OA", "ZJ"]
    assert ctx["totals"]["risks"] == 22 and ctx["totals"]["open"] == 8
    text = text_of(open_docx(report.estate_docx(org.supervisor)))
    assert "共2个信息系统" in text and "协同办公系统（OA）" in text and "协同办公系统（ZJ）" in text


def test_report_pages(org, login, api):
    a = _filled(org)
    page = login(org.supervisor).get(reverse("infosec:report", args=[a.pk]))
    assert page.status_code == 200 and "下载 Word 报告" in page.content.decode()
    r = login(org.rsj_head).get(reverse("infosec:report_docx", args=[a.pk]))
    assert r.status_code == 200 and "共识别风险20项" in text_of(open_docx(r.content))
    assert (
        login(org.zjj_handler).get(reverse("infosec:report_docx", args=[a.pk])).status_code == 404
    )
    r = login(org.zjj_handler).get(reverse("infosec:estate_docx"))
    assert r.status_code == 200 and "共0个信息系统" in text_of(open_docx(r.content))
    html = login(org.rsj_handler).get(reverse("infosec:systems")).content.decode()
    assert reverse("infosec:estate_docx") in html
    r = api(org.rsj_handler)("get", f"/infosec/assessments/{a.pk}/report.docx")
    assert r.status_code == 200 and r.content.startswith(b"PK")
    assert (
        api(org.zjj_handler)("get", f"/infosec/assessments/{a.pk}/report.docx").status_code == 404
    )


def _docx_with(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_an_administrator_replaces_the_isra_template(org, login):
    a = register(org, {3: 1})
    # a template shaped for the ssra report is refused for the isra key
    with pytest.raises(ActionError, match="示例报告"):
        report_actions.do_upload_template(
            org.admin, "isra", SimpleUploadedFile("t.docx", _docx_with("{{ matter.title }}"))
        )
    # the "default" upload (ssra-shaped) never applies to the isra report
    report_actions.do_upload_template(
        org.admin, "default", SimpleUploadedFile("d.docx", _docx_with("通用：{{ title }}"))
    )
    assert "一、评估概述" in text_of(open_docx(report.report_docx(a)))
    page = login(org.admin).get(reverse("reports:template")).content.decode()
    assert OTHER_KINDS["isra"].label in page
    response = login(org.admin).post(
        reverse("reports:template"),
        {
            "key": "isra",
            "file": SimpleUploadedFile(
                "本单位.docx", _docx_with("本单位格式：{{ system.name }}，风险{{ risk.total }}项")
            ),
        },
    )
    assert response.status_code == 302 and template_path("isra").is_file()
    assert "本单位格式：协同办公系统，风险1项" in text_of(open_docx(report.report_docx(a)))
    download = login(org.rsj_handler).get(reverse("reports:template_download") + "?key=isra")
    assert download.status_code == 200
    login(org.admin).post(reverse("reports:template"), {"reset": "isra"})
    assert "一、评估概述" in text_of(open_docx(report.report_docx(a)))


def test_shipped_templates_render_their_samples():
    for key, sample in (
        ("isra", report.sample_context()),
        ("isra-estate", report.sample_estate_context()),
    ):
        report_actions.check_template(OTHER_KINDS[key].builtin.read_bytes(), key)
        assert sample


def test_tasks_from_risks_report_vulnerability_count(org):
    a = register(org, {2: 1})
    vulnerability(a.system, 77, grade="critical", severity=5)
    ctx = report.report_context(a)
    grades = {r["grade"]: r["total"] for r in ctx["vulnerabilities"]["rows"]}
    assert grades == {"超危": 1, "高危": 1}


def test_the_builder_writes_templates_that_render(tmp_path):
    from fengping.infosec.report_templates import build

    assert build.main([str(tmp_path)]) == 0
    report_actions.check_template((tmp_path / "isra_report.docx").read_bytes(), "isra")
    report_actions.check_template((tmp_path / "isra_estate.docx").read_bytes(), "isra-estate")
