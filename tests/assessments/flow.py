"""Helpers that take a matter through an assessment with the action functions, as the
pages and the API do. Used by the assessment, report and browser tests."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fengping.assessments import actions
from fengping.assessments.models import Answer, MemberKind
from fengping.matters import actions as matter_actions
from fengping.opinions import actions as opinion_actions
from fengping.opinions.models import Questionnaire
from fengping.supervision.actions import plans as plan_actions


def register(
    org,
    scheme_key="ssra-town",
    category_code="focus_social_security",
    title="企业退休人员养老金调整",
):
    matter = matter_actions.do_register_matter(
        org.rsj_handler,
        title=title,
        scheme_key=scheme_key,
        category_code=category_code,
        department=org.rsj,
        deciding_authority="市人民政府常务会议",
    )
    # 篇3 六(一): the matter goes into 人社局's annual plan, filed with the 维稳办.
    return plan_actions.plan_matter(org.rsj_handler, matter)


def consultation_activity(org, matter, kind="symposium", groups=("直接利益群体",)):
    """A consultation activity with the direct-interest group (the schemes' minimum)."""
    return opinion_actions.do_record_activity(
        org.rsj_handler,
        matter,
        kind=kind,
        date=timezone.localdate(),
        place="会议室",
        participants="退休职工代表",
        participant_count=8,
        minutes="座谈纪要",
        groups=list(groups),
    )


def opinions(org, matter, support=6, oppose=3, neutral=1, activity=True):
    """Questionnaire answers by the direct-interest group and (unless `activity` is
    false) a 座谈会 with it: what the built-in schemes' consultation rules need."""
    if activity:
        consultation_activity(org, matter)
    qn = opinion_actions.do_create_questionnaire(
        org.rsj_handler,
        matter,
        title="养老金调整意见征询",
        closes_at=timezone.now() + dt.timedelta(days=7),
    )
    qn = opinion_actions.do_publish(org.rsj_handler, qn)
    stance = qn.questions.get(is_stance=True)
    n = 0
    for choice, count in ((0, support), (4, oppose), (2, neutral)):
        for _ in range(count):
            n += 1
            opinion_actions.submit_public_response(
                Questionnaire.objects.get(pk=qn.pk),
                group=qn.groups[0],
                answers={stance.pk: choice},
                browser_key=f"browser-{n}",
            )
    return qn


# Every estimate either built-in scheme requires of a factor (篇1 六(一)3, 篇3 六(四)).
ESTIMATES = {
    "people_involved": 120,
    "scope": "全市企业退休人员",
    "manner": "集体上访",
    "intensity": "信访投诉",
    "negative_impact": "影响社会稳定",
}

# The good answer of each answer type: every item passes.
GOOD_ANSWER = {
    "compliance": Answer.MEETS,
    "yes_good": Answer.YES,
    "no_good": Answer.NO,
    "written": Answer.WRITTEN,
}


def answer_checklist(user, a):
    """Answer every checklist item the good way, in the way its answer type asks."""
    for dim in a.scheme.dimensions:
        for i, _item in enumerate(dim.items):
            kind = dim.answer_type(i)
            actions.do_answer_checklist(
                user,
                a,
                dimension=dim.code,
                item_no=i,
                answer=GOOD_ANSWER[kind],
                note="经评估，影响可控" if kind == "written" else "",
            )


def to_grade_step(
    org, scheme_key="ssra-town", factors=((1.0, "very_high", "severe"),), **opinion_counts
):
    """Register, plan, consult and analyse: returns the assessment at the grading step.
    `factors` are (weight, probability level, impact level) scored by both assessors."""
    a = to_analyse_step(org, scheme_key, **opinion_counts)
    answer_checklist(org.rsj_handler, a)
    for n, (weight, p, i) in enumerate(factors):
        f = actions.do_save_factor(
            org.rsj_handler,
            a,
            dimension=a.scheme.dimensions[0].code,
            title=f"因素{n}",
            weight=weight,
            **ESTIMATES,
        )
        for assessor in (org.rsj_handler, org.rsj_head):
            actions.do_score_factor(assessor, f, probability_level=p, impact_level=i)
    a = actions.do_complete_step(org.rsj_handler, a, "analyse")
    return a


def to_analyse_step(org, scheme_key="ssra-town", **opinion_counts):
    """Register, plan and consult: the assessment at the analysis step, nothing analysed."""
    matter = register(
        org,
        scheme_key=scheme_key,
        category_code="focus_social_security" if scheme_key == "ssra-town" else "major_decision",
    )
    a = actions.do_start_assessment(org.rsj_handler, matter)
    a = actions.do_complete_step(org.rsj_handler, a, a.current_step)  # 确定评估项目
    a = actions.do_save_plan(
        org.rsj_handler,
        a,
        version=None,
        lead_department=org.rsj,
        assisting_departments=[org.rsj_unit],
        plan_content="评估内容与责任分工",
        plan_methods="问卷调查、座谈会",
        schedule_start=None,
        schedule_end=None,
    )
    actions.do_add_member(
        org.rsj_handler, a, kind=MemberKind.STAFF, name="", user=org.rsj_handler, duty="组长"
    )
    actions.do_add_member(org.rsj_handler, a, kind=MemberKind.STAFF, name="", user=org.rsj_head)
    actions.do_add_member(
        org.rsj_handler, a, kind=MemberKind.EXPERT, name="王教授", organisation="市社科院"
    )
    # 篇1 七(三) 评估工作应邀请相关专家和群众代表参加.
    actions.do_add_member(
        org.rsj_handler, a, kind=MemberKind.PUBLIC, name="李代表", organisation="社区居民"
    )
    actions.do_archive_document(
        org.rsj_handler, a, SimpleUploadedFile("方案.txt", "评估方案".encode()), title="评估方案"
    )
    a = actions.do_complete_step(org.rsj_handler, a, "plan")
    opinions(org, matter, **opinion_counts)
    if a.current_step == "consult":
        a = actions.do_complete_step(org.rsj_handler, a, "consult")
    return a


def to_report_step(org, a, *, grade="", reason="", major=False):
    """Grade and complete the grade step: the assessment at the report step."""
    a = actions.do_grade(
        org.rsj_handler,
        a,
        grade=grade,
        reason=reason,
        written_opinion="同意评估结论",
        recommendation="建议暂缓实施",
        major_stability_issue=major,
        mitigation_plan="化解矛盾方案：分批兑现",
    )
    return actions.do_complete_step(org.rsj_handler, a, "grade")


def to_decide_step(org, a, *, grade="", reason="", major=False):
    a = to_report_step(org, a, grade=grade, reason=reason, major=major)
    actions.do_mark_report_generated(org.rsj_handler, a, "0" * 64)
    return actions.do_complete_step(org.rsj_handler, a, "report")


# Who signs each stage of ssra-town's chain in the test organisation: the 人社局's head
# (审批、审议部门审查), the city's 分管领导 (审定), the city's head (涉稳重大问题 审定).
def signer(org, stage_code):
    return {"review": org.rsj_head, "approve": org.city_leader, "escalate": org.city_head}[
        stage_code
    ]


def approve_reviews(org, a):
    from fengping.assessments.actions import pending_review

    while (stage := pending_review(a)) is not None:
        actions.do_review(
            signer(org, stage.code), a, stage=stage.code, result="approved", opinion="同意"
        )
        a.refresh_from_db()
    return a


def file_with_every_office(org, a, filed_on=None):
    """篇3 六(七) 分别报镇维稳办、镇联席办备案: one filing with each recipient office."""
    filed_on = filed_on or timezone.localdate()
    return [
        actions.do_file(org.rsj_handler, a, office=office, filed_on=filed_on)
        for office in (org.wwb, org.lxb)
    ]
