import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.opinions.actions import PaperImporter, import_paper_responses
from fengping.opinions.models import Response
from fengping.opinions.queries import matter_opinion_summary


def workbook(header, rows):
    wb = Workbook()
    ws = wb.active
    ws.title = "答卷"
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("答卷.xlsx", buf.getvalue())


def template_workbook(qn):
    return PaperImporter(qn).template_workbook()


def problems(record):
    return "\n".join(f"第 {e['row']} 行：{e['message']}" for e in record.errors)


def header_of(qn):
    wb = load_workbook(io.BytesIO(template_workbook(qn)))
    assert wb.sheetnames[0] == "答卷"
    return [c.value for c in next(wb["答卷"].iter_rows(max_row=1))]


def test_template_has_one_column_per_question(qn):
    assert header_of(qn) == [
        "受访群体",
        "第1题 您对该事项的态度是",
        "第2题 您最关心哪些方面",
        "第3题 对现行政策的满意度",
        "第4题 其他意见和建议",
    ]


def test_good_import(org, qn):
    data = workbook(
        header_of(qn),
        [
            ["企业", "支持", "缴费基数、待遇水平", 4, "无"],
            ["周边群众", 5, "3", 2, None],  # choices by number: 5 = 反对, 3 = 办理流程
            ["专家", "无所谓", None, 3, '=HYPERLINK("x")'],
        ],
    )
    events_before = Event.objects.count()
    result = import_paper_responses(org.rsj_handler, qn, data)
    assert result.status == "done", result.errors
    assert result.counts == {"responses": 3}
    assert set(Response.objects.values_list("channel", flat=True)) == {"paper"}
    assert sorted(Response.objects.values_list("stance", flat=True)) == [
        "neutral",
        "oppose",
        "support",
    ]
    assert Response.objects.filter(entered_by=org.rsj_handler).count() == 3
    s = matter_opinion_summary(qn.matter)
    assert (s.respondents, s.support, s.oppose, s.neutral) == (3, 1, 1, 1)
    event = Event.objects.get(action="opinions.paper_import")
    assert event.after == {
        "counts": {"responses": 3},
        "file": "答卷.xlsx",
        "sha256": result.sha256,
        "rows": 3,
        "questionnaire": qn.pk,
        "channel": "paper",
    }
    assert event.scope_path == qn.matter.department.path
    assert Event.objects.count() == events_before + 1


def test_bad_rows_import_nothing_and_name_their_rows(org, qn):
    data = workbook(
        header_of(qn),
        [
            ["企业", "支持", "", 4, ""],
            ["外星人", "支持", "", 4, ""],  # row 3: unknown group
            ["企业", "很支持", "", 4, ""],  # row 4: not a choice
            ["企业", "支持", "", 9, ""],  # row 5: scale out of range
            ["企业", "", "", 3, ""],  # row 6: required stance missing
        ],
    )
    result = import_paper_responses(org.rsj_handler, qn, data)
    assert result.status == "failed" and result.counts == {}
    assert not Response.objects.exists()
    joined = problems(result)
    assert {(e["sheet"], e["row"], e["column"]) for e in result.errors} == {
        ("答卷", 3, "受访群体"),
        ("答卷", 4, "第1题 您对该事项的态度是"),
        ("答卷", 5, "第3题 对现行政策的满意度"),
        ("答卷", 6, "第1题 您对该事项的态度是"),
    }
    assert "第 3 行：受访群体“外星人”无效" in joined
    assert "第 4 行：第1题“您对该事项的态度是”：所选选项无效" in joined
    assert "第 5 行：第3题“对现行政策的满意度”：请填写 1–5 之间的整数" in joined
    assert "第 6 行：第1题“您对该事项的态度是”：此题为必答题" in joined
    assert "第 2 行" not in joined


def test_missing_columns_and_draft_refused(org, qn, matter):
    result = import_paper_responses(
        org.rsj_handler, qn, workbook(["受访群体", "第1题 态度"], [["企业", "支持"]])
    )
    assert result.status == "failed"
    assert [(e["row"], e["column"][:3]) for e in result.errors] == [
        (1, "第2题"),
        (1, "第3题"),
        (1, "第4题"),
    ]
    from tests.opinions.conftest import build_questionnaire

    draft = build_questionnaire(org, matter, publish=False)
    with pytest.raises(ActionError, match="尚未发布"):
        import_paper_responses(
            org.rsj_handler, draft, workbook(header_of(draft), [["企业", "支持", "", 3, ""]])
        )
