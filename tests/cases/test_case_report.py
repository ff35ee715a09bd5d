"""The 办案风险评估报告 (篇4 四3): exactly the source's six fields in its order, then the
level, the three dimensions' findings, the responsibility chain and the measures; the
template is the reports app's key `case`, replaceable by an administrator; checked with
python-docx (LibreOffice is absent)."""

from __future__ import annotations

import datetime as dt
import io

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fengping.cases import report
from fengping.cases.actions import assessments as act
from fengping.cases.models import Measure
from fengping.core.errors import ActionError
from fengping.reports import actions as report_actions
from fengping.reports.render import OTHER_KINDS, template_path

from .builders import build_courts, make_case

SIX = ["案件名称", "涉案人员情况", "简要案情", "案件办理情况", "存在问题隐患", "预防处置工作方案"]


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


@pytest.fixture
def filled(org):
    courts = build_courts(org)
    case = make_case(
        courts.fy,
        "（2026）示民初11号",
        title="某建设工程合同纠纷案",
        major_complex=True,
        handler=courts.fy_handler,
        parties="原告张某等十二名农民工\n被告某建筑公司",
        brief_facts="讨要工程款",
    )
    a = act.do_start_assessment(courts.fy_handler, case)
    act.do_answer_item(
        courts.fy_handler, a, dimension="legality", item=0, has_issue=True, finding="依据待补正"
    )
    a = act.do_save_prediction(
        courts.fy_handler,
        a,
        factors=["many_parties", "sharp_conflict"],
        petition_probability="high",
        impact="major",
        prediction="可能引发集体上访",
        majority_unsupportive=True,
    )
    change = act.do_propose_level_change(courts.fy_handler, a, "red", "扬言到市里上访")
    act.do_decide_level_change(courts.fy_head, change, True, "同意")
    a = act.do_save_report(
        courts.fy_handler,
        a.__class__.objects.get(pk=a.pk),
        handling="已受理，正在审理",
        problems="当事人情绪激动",
        response_plan="领导包案，释法明理",
    )
    Measure.objects.create(
        assessment=a,
        title="组织释法明理",
        responsible_unit=courts.fy_trial,
        due_on=dt.date(2026, 12, 31),
        created_by=courts.fy_handler,
        responsible_person=courts.fy_handler2,
    )
    return courts, a


def test_the_report_has_the_six_fields_in_order_then_the_annexes(filled):
    courts, a = filled
    document = open_docx(report.report_docx(a))
    heads = headings(document)
    assert [h.split("、", 1)[1] for h in heads[:6]] == SIX
    assert heads[6:] == ["附：评估情况"]
    text = text_of(document)
    assert "某建设工程合同纠纷案（（2026）示民初11号）" in text
    assert "原告张某等十二名农民工" in text and "被告某建筑公司" in text  # line by line
    for value in ("讨要工程款", "已受理，正在审理", "当事人情绪激动", "领导包案，释法明理"):
        assert value in text
    # the level approved, the computed one, the factors, the prediction
    assert "评估等级 | 红色" in text
    assert "计算等级 | 黄色（得分5）" in text  # many_parties 3 + sharp_conflict 2
    assert "当事人之间矛盾尖锐、对立严重、当事人众多或群体性诉讼" in text  # scheme order
    assert "绝大多数群众可能不理解、不支持" in text
    assert "黄色 | 红色 | 扬言到市里上访 | fy_handler | 已批准 | fy_head" in text
    # every item of the three dimensions, unanswered ones said so
    assert "执法办案的合法性 | 政策法律依据 | 是 | 依据待补正" in text
    assert "利益协调的合理性 | 群众诉求 | 未分析 | —" in text
    # the responsibility chain and the measures
    assert "第一责任人 | fy_head" in text and "直接责任人 | fy_handler" in text
    assert "组织释法明理 | 刑事审判庭 | — | fy_handler2 | 2026年12月31日 | 未开始" in text


def test_download_page_and_api(filled, login, api):
    courts, a = filled
    response = login(courts.fy_reader).get(reverse("cases:assessment_report_docx", args=[a.pk]))
    assert response.status_code == 200
    assert "办案风险评估报告" in response["Content-Disposition"] or response[
        "Content-Disposition"
    ].startswith("attachment")
    assert headings(open_docx(response.content))[0] == "一、案件名称"
    got = api(courts.fy_handler)("get", f"/cases/assessments/{a.pk}/report.docx")
    assert got.status_code == 200 and got.content.startswith(b"PK")
    assert (
        login(courts.jcy_handler)
        .get(reverse("cases:assessment_report_docx", args=[a.pk]))
        .status_code
        == 404
    )


def test_an_administrator_replaces_the_case_template(filled, org):
    courts, a = filled
    assert OTHER_KINDS["case"].builtin.name == "case_report.docx"
    with pytest.raises(ActionError, match="示例报告"):
        report_actions.do_upload_template(
            org.admin, "case", SimpleUploadedFile("t.docx", _docx_with("{{ system.name }}"))
        )
    report_actions.do_upload_template(
        org.admin,
        "case",
        SimpleUploadedFile("c.docx", _docx_with("本院格式：{{ case_name }}，{{ level.label }}")),
    )
    assert template_path("case").is_file()
    assert "本院格式：某建设工程合同纠纷案，红色" in text_of(open_docx(report.report_docx(a)))
    report_actions.do_reset_template(org.admin, "case")
    assert headings(open_docx(report.report_docx(a)))[0] == "一、案件名称"


def _docx_with(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_shipped_template_renders_its_sample_and_the_builder_writes_it(tmp_path):
    report_actions.check_template(OTHER_KINDS["case"].builtin.read_bytes(), "case")
    from fengping.cases.report_templates import build

    assert build.main([str(tmp_path)]) == 0
    report_actions.check_template((tmp_path / "case_report.docx").read_bytes(), "case")
    document = docx.Document(str(tmp_path / "case_report.docx"))
    assert [h for h in headings(document)][:6] == [
        "一、{{ labels.case_name }}",
        "二、{{ labels.persons }}",
        "三、{{ labels.summary }}",
        "四、{{ labels.handling }}",
        "五、{{ labels.problems }}",
        "六、{{ labels.response_plan }}",
    ]
