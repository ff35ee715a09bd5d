"""The assessment report: its content from the frozen scheme's outline, generation into the
archive, the print view, PDF, the archive ZIP and the office's template."""

import csv
import io
import shutil
import zipfile

import docx
import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fengping.assessments import actions as assessment_actions
from fengping.assessments.models import ArchiveDocument, Assessment
from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.reports import actions
from fengping.reports.context import cn_date, percent, report_context
from fengping.reports.render import DEFAULT_TEMPLATE, template_path

from ..assessments.flow import (
    ESTIMATES,
    approve_reviews,
    file_with_every_office,
    to_decide_step,
    to_grade_step,
    to_report_step,
)

TOWN_HEADINGS = [
    "一、重大决策或重大工程项目的概括",
    "二、开展评估有关情况",
    "三、稳定风险因素分析",
    "四、稳定风险等级评价",
    "五、重大事项实施建议",
    "六、化解风险方案和应急处置预案",
]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "media"


def graded(org, **kw):
    """Graded, the grade step complete: at the report step, no report generated yet."""
    a = to_grade_step(org, factors=((1.0, "high", "major"), (1.0, "low", "minor")))
    return to_report_step(org, a, **kw)


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


def test_formats():
    import datetime as dt

    assert cn_date(dt.date(2026, 11, 27)) == "2026年11月27日"
    assert cn_date(dt.date(2026, 3, 5)) == "2026年3月5日"
    assert percent(0.625) == "62.5%" and percent(None) == "—"


def test_town_report_has_outline_factors_support_rate_and_override(org):
    a = to_grade_step(org, factors=((1.0, "high", "major"), (1.0, "low", "minor")))
    a = assessment_actions.do_grade(
        org.rsj_handler,
        a,
        grade="level1",
        reason="群众反映强烈，需从严评定",
        written_opinion="同意评估结论",
        recommendation="建议暂缓实施",
    )
    # Proposed only: the report says so and the computed grade governs.
    data, _ctx = actions.render_report(a)
    pending = text_of(open_docx(data))
    assert "尚未批准" in pending and "【等级调整】" not in pending
    assessment_actions.do_approve_override(org.rsj_head, a.pending_override(), "同意")
    a = assessment_actions.do_complete_step(
        org.rsj_handler, Assessment.objects.get(pk=a.pk), "grade"
    )
    doc = actions.do_generate_report(org.rsj_handler, a)
    assert doc.generated and doc.title == "社会稳定风险评估报告（第1版）"
    a.refresh_from_db()
    assert a.report_sha256 == doc.sha256 and a.report_generated_at is not None
    with doc.file.open("rb") as f:
        document = open_docx(f.read())
    assert headings(document) == TOWN_HEADINGS
    text = text_of(document)
    assert "因素0" in text and "因素1" in text
    rows = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    scored = [r[:5] for r in rows if r[:2] == ["1", "因素0"] and "0.64" in r]
    assert scored == [["1", "因素0", "0.80", "0.80", "0.64"]]
    assert "支持率60.0%" in text  # flow: 6 support, 3 oppose, 1 neutral
    assert "群众反映强烈，需从严评定" in text and "【等级调整】" in text
    # Both names and the computed grade are printed with the approved change.
    assert "由rsj_handler提出调整为一级，经rsj_head于" in text
    assert "企业退休人员养老金调整" in text and "王教授" in text
    # The anchor is Chinese, in small print in the footer (not a near-blank last page).
    footer = "\n".join(p.text for s in document.sections for p in s.footer.paragraphs)
    assert "审计链锚点：#" in footer and "audit anchor" not in footer + text
    assert "审计链锚点" not in text
    assert document.paragraphs[-1].text == cn_date(a.report_generated_at)


def test_no_override_paragraph_when_grade_kept(org):
    a = graded(org)
    data, _ctx = actions.render_report(a)
    text = text_of(open_docx(data))
    assert "【等级调整】" not in text and "调整为" not in text


def test_bureau_scheme_follows_its_own_outline(org):
    a = to_decide_step(org, to_grade_step(org, scheme_key="ssra-bureau"))
    data, ctx = actions.render_report(a)
    assert [s["label"] for s in ctx["sections"]] == ["评估事项", "风险分析", "评估结论", "应对措施"]
    assert headings(open_docx(data)) == [
        "一、评估事项",
        "二、风险分析",
        "三、评估结论",
        "四、应对措施",
    ]


def test_context_matrix_places_factors_and_is_query_bounded(org):
    a = graded(org)
    with CaptureQueriesContext(connection) as few:
        ctx = report_context(a)
    placed = {c["factors"]: c["value"] for row in ctx["matrix"]["rows"] for c in row["cells"]}
    assert placed["1"] == "0.64" and placed["2"] == "0.16"
    assert ctx["matrix"]["rows"][0]["label"].startswith("很高")  # highest probability first
    assert ctx["opinions"]["support_rate"] == "60.0%"
    assert [s["parts"] for s in ctx["sections"]][2] == ["factors", "matrix", "checklist"]
    for n in range(5):
        f = assessment_actions.do_save_factor(
            org.rsj_handler, a, dimension="legality", title=f"新因素{n}", weight=1.0, **ESTIMATES
        )
        assessment_actions.do_score_factor(
            org.rsj_handler, f, probability_level="medium", impact_level="moderate"
        )
    with CaptureQueriesContext(connection) as many:
        report_context(a)
    assert len(many) == len(few)


def test_editions_count_up_and_decision_is_printed(org):
    a = graded(org)
    actions.do_generate_report(org.rsj_handler, a)
    second = actions.do_generate_report(org.rsj_handler, a)
    assert second.title.endswith("（第2版）") and second.report_version == 2
    a.refresh_from_db()
    assert a.report_version == 2
    a = assessment_actions.do_complete_step(org.rsj_handler, a, "report")
    a = approve_reviews(org, a)
    assessment_actions.do_decide(
        org.rsj_handler,
        a,
        outcome="postpone",
        doc_no=f"示政发〔{timezone.localdate().year}〕3号",
        # The local day: a decision is dated on or after the last review approval.
        decided_on=timezone.localdate(),
    )
    # Filed with both offices; 维稳办 signs for its copy, 联席办 not yet.
    wwb, lxb = file_with_every_office(org, a)
    assessment_actions.do_acknowledge_filing(org.supervisor, wwb)
    data, ctx = actions.render_report(a, edition=a.report_version)
    text = text_of(open_docx(data))
    assert ctx["edition_label"] == "第2版"
    assert (
        f"示政发〔{timezone.localdate().year}〕3号" in text and "附：审查、决定和备案情况" in text
    )
    assert f"报{org.wwb.name}备案。supervisor于" in text and "签收。" in text
    assert f"报{org.lxb.name}备案。尚未签收。" in text


def test_generate_view_access(org, login):
    a = graded(org)
    url = reverse("reports:generate", args=[a.pk])
    assert login(org.zjj_handler).post(url).status_code == 404
    assert login(org.supervisor).post(url).status_code == 403
    response = login(org.rsj_handler).post(url)
    assert response.status_code == 302
    assert ArchiveDocument.objects.filter(assessment=a, generated=True).count() == 1
    download = login(org.supervisor).get(reverse("reports:docx", args=[a.pk]))
    assert download.status_code == 200
    assert (
        headings(
            open_docx(
                b"".join(download.streaming_content) if download.streaming else download.content
            )
        )
        == TOWN_HEADINGS
    )


def test_draft_before_first_generation(org, login):
    a = Assessment.objects.get(pk=graded(org).pk)
    response = login(org.rsj_head).get(reverse("reports:docx", args=[a.pk]))
    assert response.status_code == 200 and "%E8%8D%89%E7%A8%BF" in response["Content-Disposition"]
    assert not ArchiveDocument.objects.filter(generated=True).exists()


def test_print_view(org, login):
    a = graded(org, grade="level1", reason="群众反映强烈")
    response = login(org.supervisor).get(reverse("reports:print", args=[a.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for heading in TOWN_HEADINGS:
        assert heading in html
    assert "群众反映强烈" in html and "60.0%" in html
    assert "style=" not in html and "<script>" not in html
    assert "fengping/reports/print.css" in html


def test_archive_zip_has_every_file_and_matching_hashes(org, login):
    import hashlib

    from fengping.opinions import actions as opinion_actions

    a = graded(org)
    activity = opinion_actions.do_record_activity(
        org.rsj_handler,
        a.matter,
        kind="symposium",
        date=a.started_at.date(),
        place="社区会议室",
        participant_count=12,
        minutes="座谈会纪要：多数与会者关心补偿标准",
        uploads=[SimpleUploadedFile("签到表.txt", "签到".encode())],
    )
    opinion_actions.do_add_comment(
        org.rsj_handler, a.matter, channel="letter", content="希望公开测算依据"
    )
    actions.do_generate_report(org.rsj_handler, a)
    assessment_actions.do_archive_document(
        org.rsj_handler,
        a,
        SimpleUploadedFile("评估方案.txt", "同名不同文".encode()),
        title="补充/方案",
    )
    response = login(org.supervisor).get(reverse("reports:archive_zip", args=[a.pk]))
    assert response.status_code == 200
    z = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = z.namelist()
    docs = list(ArchiveDocument.objects.filter(assessment=a))
    raw = z.read("目录.csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    # Every file of the ZIP is in the index, and every index row is a file of the ZIP.
    assert sorted(names) == sorted([*(r["文件名"] for r in rows), "目录.csv", "目录.txt"])
    for row in rows:
        assert hashlib.sha256(z.read(row["文件名"])).hexdigest() == row["SHA-256"]
    assert {d.sha256 for d in docs} <= {r["SHA-256"] for r in rows}
    # the 座谈会 minutes and its attachment, the results as XLSX, reviews/decision/filings
    # The flow's own symposium may sort first (same date, lower id): look at every minutes file.
    minutes = [z.read(n).decode("utf-8-sig") for n in names if n.endswith("纪要.txt")]
    assert any("座谈会纪要：多数与会者关心补偿标准" in text for text in minutes)
    attachment = activity.attachments.get()
    assert any(r["SHA-256"] == attachment.sha256 for r in rows)
    book = openpyxl.load_workbook(io.BytesIO(z.read("征求意见/问卷结果和意见建议.xlsx")))
    summary = list(book["问卷结果汇总"].iter_rows(values_only=True))
    assert summary[0][:4] == ("问卷", "受访群体", "答卷数", "支持")
    assert sum(r[2] for r in summary[1:]) == 10 and sum(r[3] for r in summary[1:]) == 6
    assert any(
        "希望公开测算依据" in str(c)
        for r in book["意见与回复"].iter_rows(values_only=True)
        for c in r
    )
    assert "审查、决定和备案情况.txt" in names
    report_row = next(r for r in rows if r["类别"] == "评估报告")
    assert report_row["状态"] == "有效" and "第1版" in report_row["材料名称"]
    index = z.read("目录.txt").decode("utf-8-sig")
    assert "SHA-256" in index and "现行评估报告：第1版" in index and "审计链锚点：#" in index
    assert (
        login(org.zjj_handler).get(reverse("reports:archive_zip", args=[a.pk])).status_code == 404
    )


def test_pdf_scoping_and_fallback(org, login, monkeypatch):
    a = graded(org)
    url = reverse("reports:pdf", args=[a.pk])
    assert login(org.zjj_handler).get(url).status_code == 404
    monkeypatch.setattr("fengping.reports.render.shutil.which", lambda name: None)
    response = login(org.supervisor).get(url)
    assert response.status_code == 503
    html = response.content.decode()
    assert "LibreOffice" in html and reverse("reports:docx", args=[a.pk]) in html
    assert reverse("reports:print", args=[a.pk]) in html


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
def test_pdf_with_libreoffice(org, login):
    a = graded(org)
    actions.do_generate_report(org.rsj_handler, a)
    response = login(org.rsj_head).get(reverse("reports:pdf", args=[a.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


# ------------------------------------------------------------------ templates


def upload(name, data):
    return SimpleUploadedFile(name, data)


def test_template_page_is_for_admins(org, login):
    assert login(org.rsj_handler).get(reverse("reports:template")).status_code == 403
    response = login(org.rsj_handler).post(
        reverse("reports:template"),
        {"key": "default", "file": upload("t.docx", DEFAULT_TEMPLATE.read_bytes())},
    )
    assert response.status_code == 403
    assert login(org.admin).get(reverse("reports:template")).status_code == 200
    download = login(org.rsj_handler).get(reverse("reports:template_download"))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == DEFAULT_TEMPLATE.read_bytes()


def test_bad_templates_are_refused(org):
    with pytest.raises(ActionError, match="不是 Word 文档"):
        actions.do_upload_template(org.admin, "default", upload("t.docx", b"PK\x03\x04 not a zip"))
    broken = docx.Document()
    broken.add_paragraph("{{ matter.no_such_field }}")
    out = io.BytesIO()
    broken.save(out)
    with pytest.raises(ActionError, match="示例报告"):
        actions.do_upload_template(org.admin, "default", upload("t.docx", out.getvalue()))
    unclosed = docx.Document()
    unclosed.add_paragraph("{%p for s in sections %}")
    out = io.BytesIO()
    unclosed.save(out)
    with pytest.raises(ActionError, match="示例报告"):
        actions.do_upload_template(org.admin, "ssra-town", upload("t.docx", out.getvalue()))
    assert not template_path("default").exists() and not template_path("ssra-town").exists()


def test_uploaded_template_is_used_for_its_scheme(org, login):
    custom = docx.Document()
    custom.add_paragraph("本局专用格式：{{ matter.title }}，支持率{{ opinions.support_rate }}")
    out = io.BytesIO()
    custom.save(out)
    response = login(org.admin).post(
        reverse("reports:template"),
        {"key": "ssra-town", "file": upload("本局.docx", out.getvalue())},
    )
    assert response.status_code == 302 and template_path("ssra-town").is_file()
    assert Event.objects.filter(action="reports.template.upload", object_id="ssra-town").exists()
    doc = actions.do_generate_report(org.rsj_handler, graded(org))
    with doc.file.open("rb") as f:
        assert "本局专用格式：企业退休人员养老金调整，支持率60.0%" in text_of(open_docx(f.read()))
    bureau = to_decide_step(org, to_grade_step(org, scheme_key="ssra-bureau"))
    data, _ctx = actions.render_report(bureau)
    assert "本局专用格式" not in text_of(open_docx(data))  # other schemes keep the default
    login(org.admin).post(reverse("reports:template"), {"reset": "ssra-town"})
    assert not template_path("ssra-town").exists()
    assert Event.objects.filter(action="reports.template.reset").exists()
