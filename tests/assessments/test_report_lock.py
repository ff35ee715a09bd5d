"""Issue 8, loophole 1: once the report is generated, what it rests on (plan, team,
factors, scores, mitigations, checklist, grade, written opinion, the consultation) is
locked — through the action, the page (a direct POST) and the API. A send-back with a
reason voids the report version and every review of the round; the chain starts again.
A report is generated only at the report step, after the grade step is complete."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from fengping.api.tokens import do_create_token
from fengping.assessments import actions
from fengping.assessments.models import (
    Answer,
    Assessment,
    ChecklistAnswer,
    FactorScore,
    Mitigation,
    ReviewResult,
    RiskFactor,
    TeamMember,
)
from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.opinions import actions as opinion_actions
from fengping.opinions.models import Activity, Comment
from fengping.reports import actions as report_actions
from tests.dates import YEAR

from .flow import approve_reviews, signer, to_grade_step, to_report_step

LOCKED = "均已锁定"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "media"


def reported(org):
    """Computed 一级 (index 1.00), graded, the report generated (version 1)."""
    a = to_report_step(org, to_grade_step(org))
    assert a.computed_grade == "level1" and a.computed_index == pytest.approx(1.0)
    report_actions.do_generate_report(org.rsj_handler, a)
    return Assessment.objects.get(pk=a.pk)


def reviewed(org):
    """The issue's case: the report reviewed twice “同意一级”."""
    a = reported(org)
    a = actions.do_complete_step(org.rsj_handler, a, "report")
    a = approve_reviews(org, a)
    assert a.reviews.filter(result=ReviewResult.APPROVED).count() >= 2
    return a


# ------------------------------------------------------------------ the rule


def test_report_only_after_the_grade_step_is_complete(org, login, api):
    a = to_grade_step(org)
    actions.do_grade(
        org.rsj_handler, a, written_opinion="同意", recommendation="实施", mitigation_plan=""
    )
    with pytest.raises(ActionError, match="须先完成“划分风险等级”及前面的步骤"):
        report_actions.do_generate_report(org.rsj_handler, a)
    response = login(org.rsj_handler).post(reverse("reports:generate", args=[a.pk]), follow=True)
    assert "须先完成“划分风险等级”及前面的步骤" in response.content.decode()
    r = api(org.rsj_handler)("post", f"/assessments/{a.pk}/report")
    assert r.status_code == 400 and "划分风险等级" in r.json()["detail"]
    state = api(org.rsj_head)("get", f"/assessments/{a.pk}/report").json()
    assert not state["can_generate"] and "划分风险等级" in state["generate_refusal"]
    a.refresh_from_db()
    assert a.report_generated_at is None and a.report_version == 0
    assert not a.archive.filter(generated=True).exists()


def test_the_issue_case_grade_changed_after_two_reviews_is_refused(org, login, api):
    a = reviewed(org)
    with pytest.raises(ActionError, match=LOCKED):
        actions.do_grade(
            org.rsj_handler,
            a,
            grade="level4",
            reason="领导要求尽快实施",
            written_opinion="同意",
            recommendation="实施",
        )
    page = login(org.rsj_handler).post(
        reverse("assessments:grade", args=[a.pk]),
        {
            "version": a.version,
            "grade": "level4",
            "reason": "领导要求尽快实施",
            "written_opinion": "同意",
            "recommendation": "实施",
        },
        follow=True,
    )
    assert LOCKED in page.content.decode()
    r = api(org.rsj_handler)(
        "post",
        f"/assessments/{a.pk}/grade",
        {
            "grade": "level4",
            "reason": "领导要求尽快实施",
            "written_opinion": "同意",
            "recommendation": "实施",
        },
    )
    assert r.status_code == 400 and LOCKED in r.json()["detail"]
    a.refresh_from_db()
    assert a.grade == "level1"
    assert a.reviews.filter(result=ReviewResult.APPROVED, voided_at__isnull=True).count() >= 2


def test_an_assessor_cannot_rescore_after_the_reviews(org, login, api):
    a = reviewed(org)
    factor = a.factors.get()
    before = list(FactorScore.objects.filter(factor=factor).values_list("probability_level"))
    with pytest.raises(ActionError, match=LOCKED):
        actions.do_score_factor(org.rsj_head, factor, probability_level="low", impact_level="minor")
    page = login(org.rsj_head).post(
        reverse("assessments:factor_score", args=[factor.pk]),
        {"probability_level": "low", "impact_level": "minor"},
        follow=True,
    )
    assert LOCKED in page.content.decode()
    r = api(org.rsj_head)(
        "post",
        f"/factors/{factor.pk}/scores",
        {"probability_level": "low", "impact_level": "minor"},
    )
    assert r.status_code == 400 and LOCKED in r.json()["detail"]
    assert list(FactorScore.objects.filter(factor=factor).values_list("probability_level")) == (
        before
    )


def test_every_thing_the_report_rests_on_is_locked_by_action(org):
    a = reported(org)
    factor = a.factors.get()
    dim = a.scheme.dimensions[0].code
    member = a.team.first()
    refused = [
        lambda: actions.do_save_plan(
            org.rsj_handler,
            a,
            version=None,
            lead_department=org.rsj,
            assisting_departments=[],
            plan_content="改",
            plan_methods="改",
            schedule_start=None,
            schedule_end=None,
        ),
        lambda: actions.do_add_member(org.rsj_handler, a, kind="public", name="群众代表"),
        lambda: actions.do_remove_member(org.rsj_handler, member),
        lambda: actions.do_save_factor(
            org.rsj_handler, a, dimension=dim, title="新增因素", weight=1.0
        ),
        lambda: actions.do_save_factor(
            org.rsj_handler, a, factor=factor, dimension=dim, title="改名", weight=0.5
        ),
        lambda: actions.do_remove_factor(org.rsj_handler, factor),
        lambda: actions.do_score_factor(
            org.rsj_handler, factor, probability_level="low", impact_level="minor"
        ),
        lambda: actions.do_add_mitigation(
            org.rsj_handler,
            factor,
            measure="分批兑现",
            residual_probability_level="low",
            residual_impact_level="minor",
        ),
        lambda: actions.do_answer_checklist(
            org.rsj_handler, a, dimension=dim, item_no=0, answer=Answer.FAILS, note="不符合"
        ),
        lambda: actions.do_grade(
            org.rsj_handler, a, written_opinion="改写的书面意见", recommendation="实施"
        ),
        lambda: opinion_actions.do_add_comment(
            org.rsj_handler, a.matter, channel="letter", content="新意见"
        ),
        lambda: opinion_actions.do_record_activity(
            org.rsj_handler, a.matter, kind="symposium", date=timezone.localdate(), minutes="纪要"
        ),
    ]
    for act in refused:
        with pytest.raises(ActionError, match=LOCKED):
            act()
    a.refresh_from_db()
    factor.refresh_from_db()
    assert (factor.title, factor.weight) == ("因素0", 1.0)
    assert TeamMember.objects.filter(pk=member.pk).exists()
    assert not Mitigation.objects.exists()
    assert ChecklistAnswer.objects.get(assessment=a, dimension=dim, item_no=0).answer == "meets"
    assert a.written_opinion == "同意评估结论"
    assert not Comment.objects.filter(content="新意见").exists()
    assert not Activity.objects.filter(minutes="纪要").exists()


def test_consultation_replies_and_attachments_are_locked(org):
    a = to_report_step(org, to_grade_step(org))
    comment = opinion_actions.do_add_comment(
        org.rsj_handler, a.matter, channel="letter", content="补偿标准？", is_query=True
    )
    activity = opinion_actions.do_record_activity(
        org.rsj_handler, a.matter, kind="symposium", date=timezone.localdate(), minutes="纪要"
    )
    report_actions.do_generate_report(org.rsj_handler, a)
    with pytest.raises(ActionError, match=LOCKED):
        opinion_actions.do_reply_comment(org.rsj_handler, comment, reply="按标准补偿")
    with pytest.raises(ActionError, match=LOCKED):
        opinion_actions.do_mark_revision(org.rsj_handler, comment, note="已修订")
    with pytest.raises(ActionError, match=LOCKED):
        opinion_actions.do_add_attachment(
            org.rsj_handler, activity, SimpleUploadedFile("纪要.txt", "纪要".encode())
        )
    # The stance counts in the majority rule: changing it would change the figures.
    with pytest.raises(ActionError, match=LOCKED):
        opinion_actions.do_set_comment_stance(org.rsj_handler, comment, stance="support")
    comment.refresh_from_db()
    assert comment.reply == "" and not activity.attachments.exists() and comment.stance == ""


def test_comment_stance_locked_by_the_api_too(org, api):
    a = to_report_step(org, to_grade_step(org))
    comment = opinion_actions.do_add_comment(
        org.rsj_handler, a.matter, channel="letter", content="反对", stance="oppose"
    )
    report_actions.do_generate_report(org.rsj_handler, a)
    r = api(org.rsj_handler)("post", f"/comments/{comment.pk}/stance", {"stance": "support"})
    assert r.status_code == 400 and LOCKED in r.json()["detail"]
    assert Comment.objects.get(pk=comment.pk).stance == "oppose"


def test_locked_pages_refuse_a_direct_post(org, login):
    a = reported(org)
    factor = a.factors.get()
    dim = a.scheme.dimensions[0].code
    member = a.team.first()
    handler = login(org.rsj_handler)
    posts = [
        (
            reverse("assessments:plan", args=[a.pk]),
            {
                "version": a.version,
                "lead_department": org.rsj.pk,
                "plan_content": "改",
                "plan_methods": "改",
            },
        ),
        (reverse("assessments:member_add", args=[a.pk]), {"kind": "public", "name": "群众代表"}),
        (reverse("assessments:member_remove", args=[member.pk]), {}),
        (
            reverse("assessments:factor_add", args=[a.pk]),
            {"dimension": dim, "title": "新增因素", "weight": "1"},
        ),
        (
            reverse("assessments:factor_edit", args=[factor.pk]),
            {"dimension": dim, "title": "改名", "weight": "0.5", "version": factor.version},
        ),
        (reverse("assessments:factor_remove", args=[factor.pk]), {}),
        (
            reverse("assessments:mitigation_add", args=[factor.pk]),
            {
                "measure": "分批兑现",
                "residual_probability_level": "low",
                "residual_impact_level": "minor",
            },
        ),
        (
            reverse("assessments:checklist_answer", args=[a.pk]),
            {"dimension": dim, "item_no": 0, "answer": "fails", "note": "不符合", "version": 1},
        ),
        (
            reverse("opinions:comment_create", args=[a.matter.pk]),
            {"channel": "letter", "content": "新意见"},
        ),
    ]
    for url, data in posts:
        response = handler.post(url, data, follow=True)
        assert response.status_code == 200, url
        assert LOCKED in response.content.decode(), url
    factor.refresh_from_db()
    assert (factor.title, factor.weight) == ("因素0", 1.0)
    assert TeamMember.objects.filter(pk=member.pk).exists()
    assert not Mitigation.objects.exists() and not Comment.objects.filter(content="新意见")
    assert RiskFactor.objects.filter(assessment=a).count() == 1
    # The page says why, and offers no editing button.
    body = handler.get(reverse("assessments:detail", args=[a.pk]) + "?tab=factors").content
    body = body.decode()
    assert 'id="content-lock"' in body and LOCKED in body
    assert reverse("assessments:factor_add", args=[a.pk]) not in body
    comments = handler.get(reverse("opinions:comments", args=[a.matter.pk])).content.decode()
    assert 'id="consultation-lock"' in comments and LOCKED in comments
    assert reverse("opinions:comment_create", args=[a.matter.pk]) not in comments


def test_locked_api_refuses(org, api):
    a = reported(org)
    factor = a.factors.get()
    dim = a.scheme.dimensions[0].code
    call = api(org.rsj_handler)
    refused = [
        ("post", f"/assessments/{a.pk}/factors", {"dimension": dim, "title": "新增因素"}),
        ("put", f"/factors/{factor.pk}", {"dimension": dim, "title": "改名", "weight": 0.5}),
        (
            "post",
            f"/factors/{factor.pk}/scores",
            {"probability_level": "low", "impact_level": "minor"},
        ),
        (
            "post",
            f"/assessments/{a.pk}/checklist",
            {"dimension": dim, "item_no": 0, "answer": "fails", "note": "不符合"},
        ),
        (
            "post",
            f"/assessments/{a.pk}/grade",
            {"written_opinion": "改写", "recommendation": "实施"},
        ),
        (
            "post",
            f"/matters/{a.matter.pk}/comments",
            {"channel": "letter", "content": "新意见"},
        ),
    ]
    for method, path, payload in refused:
        r = call(method, path, payload)
        assert r.status_code == 400, (path, r.content)
        assert LOCKED in r.json()["detail"], path
    body = call("get", f"/assessments/{a.pk}").json()
    assert body["content_open"] is False and LOCKED in body["lock_refusal"]
    assert body["report_version"] == 1
    factor.refresh_from_db()
    assert factor.title == "因素0"


# ------------------------------------------------------------------ send-back


def test_send_back_voids_the_report_and_every_review_then_the_chain_restarts(org, login, api):
    a = reviewed(org)
    approved = set(a.reviews.values_list("pk", flat=True))
    with pytest.raises(ActionError, match="退回须说明理由"):
        actions.do_send_back(org.rsj_handler, a, "grade", " ")
    r = api(org.rsj_handler)(
        "post", f"/assessments/{a.pk}/send-back", {"to_step": "grade", "reason": "评分依据需更新"}
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["current_step"] == "grade" and body["content_open"] is True
    a = Assessment.objects.get(pk=a.pk)
    assert a.report_generated_at is None and a.report_version == 1
    # every review of the round is void, kept with the reason
    voided = a.reviews.filter(pk__in=approved)
    assert voided.count() == len(approved)
    assert all(r.voided_at and r.void_reason == "评分依据需更新" for r in voided)
    event = Event.objects.filter(action="assessments.report.void").get()
    assert event.after["report_version"] == 1 and sorted(event.after["reviews_voided"]) == sorted(
        approved
    )
    # now the grade may change, and the chain starts again with version 2
    a = actions.do_grade(
        org.rsj_handler,
        a,
        grade="level2",
        reason="措施落实后风险降低",
        written_opinion="同意",
        recommendation="实施",
        mitigation_plan="分批兑现",
    )
    with pytest.raises(ActionError):  # decide is not reached without a new report and reviews
        actions.do_decide(
            org.rsj_handler,
            a,
            outcome="implement",
            doc_no=f"示政发〔{YEAR}〕1号",
            decided_on=timezone.localdate(),
        )
    a = actions.do_complete_step(org.rsj_handler, a, "grade")
    doc = report_actions.do_generate_report(org.rsj_handler, a)
    assert doc.title.endswith("（第2版）") and doc.report_version == 2
    a = actions.do_complete_step(org.rsj_handler, Assessment.objects.get(pk=a.pk), "report")
    assert actions.pending_review(a) is not None  # round 2 starts with the first stage
    assert a.review_round() == 2
    a = approve_reviews(org, a)
    assert set(a.reviews.filter(round=2).values_list("report_version", flat=True)) == {2}
    # The page shows the void reviews as such.
    page = login(org.rsj_head).get(reverse("assessments:detail", args=[a.pk]) + "?tab=decision")
    assert "已作废" in page.content.decode()


def test_send_back_to_the_report_step_also_voids_the_report(org):
    a = reported(org)
    a = actions.do_complete_step(org.rsj_handler, a, "report")
    stage = actions.pending_review(a)
    actions.do_review(
        org.rsj_head, a, stage=stage.code, result=ReviewResult.APPROVED, opinion="同意"
    )
    a = actions.do_send_back(org.rsj_handler, Assessment.objects.get(pk=a.pk), "report", "附件缺漏")
    assert a.report_generated_at is None
    assert a.reviews.get().voided_at is not None
    # not locked any more; regenerating is allowed (version 2)
    assert a.lock_refusal() == ""
    assert report_actions.do_generate_report(org.rsj_handler, a).report_version == 2


def test_report_cannot_be_regenerated_once_submitted_for_review(org, login, api):
    a = reported(org)
    a = actions.do_complete_step(org.rsj_handler, a, "report")
    with pytest.raises(ActionError, match="已提交审查"):
        report_actions.do_generate_report(org.rsj_handler, a)
    r = api(org.rsj_handler)("post", f"/assessments/{a.pk}/report")
    assert r.status_code == 400 and "退回" in r.json()["detail"]
    page = login(org.rsj_handler).get(reverse("assessments:detail", args=[a.pk]) + "?tab=report")
    body = page.content.decode()
    assert "已提交审查" in body and reverse("reports:generate", args=[a.pk]) not in body


def test_print_view_and_archived_copy_carry_the_same_version(org, login, api):
    a = to_report_step(org, to_grade_step(org))
    report_actions.do_generate_report(org.rsj_handler, a)
    second = report_actions.do_generate_report(org.rsj_handler, a)
    html = login(org.supervisor).get(reverse("reports:print", args=[a.pk])).content.decode()
    assert "（第2版）" in html and "第3版" not in html
    assert second.title.endswith("（第2版）")
    state = api(org.rsj_head)("get", f"/assessments/{a.pk}/report").json()
    assert (
        state["report_version"] == 2
        and state["current"]
        and state["archive_document_id"] == second.pk
    )
    listed = api(org.rsj_head)("get", f"/assessments/{a.pk}/archive").json()
    versions = {d["report_version"]: d["report_void"] for d in listed if d["generated"]}
    assert versions == {1: True, 2: False}
    download = api(org.supervisor)("get", f"/assessments/{a.pk}/report/file")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) if download.streaming else download.content
    # voided by a send-back: the print view is a draft again
    actions.do_send_back(org.rsj_handler, Assessment.objects.get(pk=a.pk), "grade", "修改意见")
    html = login(org.supervisor).get(reverse("reports:print", args=[a.pk])).content.decode()
    assert "草稿" in html and "第2版报告已因退回作废" in html


# ------------------------------------------------------------------ API twins


def test_archive_and_report_through_the_api(org, client, monkeypatch):
    import io
    import zipfile

    a = to_report_step(org, to_grade_step(org))
    _row, token = do_create_token(org.rsj_handler, "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    r = client.post(
        f"/api/assessments/{a.pk}/archive",
        {"file": SimpleUploadedFile("会议纪要.txt", "纪要".encode()), "title": "座谈会纪要"},
        **auth,
    )
    assert r.status_code == 201, r.content
    doc = r.json()
    assert doc["title"] == "座谈会纪要" and not doc["generated"]
    got = client.get(f"/api/archive-documents/{doc['id']}/file", **auth)
    assert got.status_code == 200 and b"".join(got.streaming_content) == "纪要".encode()
    r = client.post(f"/api/assessments/{a.pk}/report", **auth)
    assert r.status_code == 201 and r.json()["report_version"] == 1 and r.json()["locked"]
    docx = client.get(f"/api/assessments/{a.pk}/report/file", **auth)
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    assert "%E7%AC%AC1%E7%89%88" in docx["Content-Disposition"]  # 第1版
    monkeypatch.setattr("fengping.reports.render.shutil.which", lambda name: None)
    pdf = client.get(f"/api/assessments/{a.pk}/report/file?format=pdf", **auth)
    assert pdf.status_code == 409 and "LibreOffice" in pdf.json()["detail"]
    assert pdf.json()["code"] == "pdf_unavailable"
    z = client.get(f"/api/assessments/{a.pk}/archive.zip", **auth)
    names = zipfile.ZipFile(io.BytesIO(b"".join(z.streaming_content))).namelist()
    assert "目录.csv" in names and any(n.endswith("会议纪要.txt") for n in names)
    r = client.post(
        f"/api/assessments/{a.pk}/send-back",
        {"to_step": "grade", "reason": ""},
        content_type="application/json",
        **auth,
    )
    assert r.status_code in (400, 422)


def test_the_index_is_printed_the_same_everywhere(org, login):
    from fengping.core.numbers import index_text
    from fengping.reports.context import report_context

    a = to_grade_step(org, factors=((1.0, "high", "major"), (1.0, "low", "minor")))
    a = to_report_step(org, a)
    printed = index_text(a.computed_index)
    assert printed == f"{a.computed_index:.3f}"
    assert report_context(a)["grade"]["index"] == printed
    page = login(org.rsj_handler).get(reverse("assessments:detail", args=[a.pk])).content
    assert f"综合指数 {printed}" in page.decode()
    grade_tab = login(org.rsj_handler).get(
        reverse("assessments:detail", args=[a.pk]) + "?tab=grade"
    )
    assert printed in grade_tab.content.decode()


def test_a_reviewer_sending_back_voids_the_earlier_approvals_of_the_round(org):
    a = reported(org)
    a = actions.do_complete_step(org.rsj_handler, a, "report")
    first = actions.pending_review(a)
    approval = actions.do_review(
        org.rsj_head, a, stage=first.code, result=ReviewResult.APPROVED, opinion="同意一级"
    )
    a = Assessment.objects.get(pk=a.pk)
    second = actions.pending_review(a)
    back = actions.do_review(
        signer(org, second.code),
        a,
        stage=second.code,
        result=ReviewResult.SENT_BACK,
        opinion="数据需核实",
    )
    approval.refresh_from_db()
    back.refresh_from_db()
    assert approval.voided_at is not None and "数据需核实" in approval.void_reason
    assert back.voided_at is None  # the send-back stays the record of why
    a = Assessment.objects.get(pk=a.pk)
    assert a.current_step == "report" and a.report_generated_at is None
    assert a.review_round() == 2 and a.lock_refusal() == ""
