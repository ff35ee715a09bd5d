"""Two demo matters taken through every step of their schemes, for `fengping demo`.

1. 企业退休人员养老金调整 (篇1, ssra-bureau): 养老保险科 registers it, the 人社局 leaders
   review; most people support it; graded C after measures; decided 实施; filed; followed
   up (篇1 六(二): measures, an 应急预案, a follow-up survey).
2. 旧城改造房屋征收补偿 (篇3, ssra-town): 房屋征收科 registers it, 住建局 leads (篇3 五);
   the residents mostly oppose the first compensation plan, so 实施 is refused by the
   majority rule; the town decides 暂缓实施; filed with 维稳办 and 联席办; contingency plans.

Idempotent: a matter that already exists is left alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from fengping.matters import actions as matter_actions
from fengping.matters.models import Matter
from fengping.opinions import actions as opinion_actions
from fengping.opinions import keyword_index
from fengping.opinions.models import Questionnaire
from fengping.org import actions as org_actions
from fengping.org.models import Department, Role, User
from fengping.supervision.actions import plans as plan_actions

from . import actions, rules
from .models import Answer, Assessment, MemberKind


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _dept(code: str) -> Department:
    return Department.objects.get(code=code)


def _questionnaire(
    actor: User, matter: Matter, title: str, answers: list[tuple[str, int, int]]
) -> None:
    """answers: (group, stance choice index, how many)."""
    qn = opinion_actions.do_create_questionnaire(
        actor,
        matter,
        title=title,
        intro="请根据您的真实想法填写，问卷不记名。",
        closes_at=timezone.now() + dt.timedelta(days=10),
    )
    concern = opinion_actions.do_add_question(
        actor, qn, kind="text", text="您最关心的问题或建议是什么？", required=False
    )
    qn = opinion_actions.do_publish(actor, qn)
    stance = qn.questions.get(is_stance=True)
    remarks = [
        "补偿标准偏低，希望提高",
        "希望公开计算办法",
        "担心安置房质量",
        "支持，希望尽快落实",
        "希望分批兑现不要拖欠",
    ]
    n = 0
    for group, choice, count in answers:
        for _ in range(count):
            n += 1
            opinion_actions.submit_public_response(
                Questionnaire.objects.get(pk=qn.pk),
                group=group,
                answers={stance.pk: choice, concern.pk: remarks[n % len(remarks)]},
                browser_key=f"demo-{qn.pk}-{n}",
            )


def _plan(
    actor: User, a: Any, lead: Department, team: list[tuple[str, str, User | None, str, str]]
) -> Any:
    a = actions.do_save_plan(
        actor,
        a,
        version=None,
        lead_department=lead,
        assisting_departments=[],
        plan_content="评估组负责收集资料、征求意见、分析风险因素并形成评估报告；承办科室负责具体组织实施。",
        plan_methods="问卷调查、座谈会、专家论证、走访群众",
        schedule_start=timezone.localdate() - dt.timedelta(days=30),
        schedule_end=timezone.localdate(),
    )
    for kind, name, user, organisation, duty in team:
        actions.do_add_member(
            actor, a, kind=kind, name=name, user=user, organisation=organisation, duty=duty
        )
    from django.core.files.uploadedfile import SimpleUploadedFile

    actions.do_archive_document(
        actor,
        a,
        SimpleUploadedFile("评估工作方案.txt", "评估工作方案（示例）".encode()),
        title="评估工作方案",
        step_code="plan",
    )
    return actions.do_complete_step(actor, a, "plan")


# The good answer of each answer type the scheme gives a checklist item.
GOOD_ANSWER = {
    "compliance": Answer.MEETS,
    "yes_good": Answer.YES,
    "no_good": Answer.NO,
    "written": Answer.WRITTEN,
}


def _analyse(
    actor: User,
    a: Any,
    scorers: list[User],
    factors: list[dict[str, Any]],
    answers: dict[tuple[str, int], tuple[str, str]] | None = None,
) -> Any:
    """Answer every checklist item as its answer type asks (`answers` overrides some
    items with an (answer, note) pair), then register and score the factors."""
    for dim in a.scheme.dimensions:
        for i, _item in enumerate(dim.items):
            kind = dim.answer_type(i)
            answer, note = (answers or {}).get(
                (dim.code, i),
                (
                    GOOD_ANSWER[kind],
                    "经走访群众、座谈了解，未发现重大问题" if kind == "written" else "",
                ),
            )
            actions.do_answer_checklist(
                actor,
                a,
                dimension=dim.code,
                item_no=i,
                answer=answer,
                note=note,
                evidence="见评估工作档案",
            )
    for spec in factors:
        factor = actions.do_save_factor(
            actor,
            a,
            dimension=spec["dimension"],
            title=spec["title"],
            people_involved=spec["people"],
            scope=spec["scope"],
            manner=spec["manner"],
            intensity=spec["intensity"],
            negative_impact=spec["impact_text"],
            description=spec.get("description", ""),
        )
        for scorer, (p, i) in zip(scorers, spec["scores"], strict=True):
            actions.do_score_factor(scorer, factor, probability_level=p, impact_level=i)
        if "mitigation" in spec:
            measure, owner, rp, ri = spec["mitigation"]
            actions.do_add_mitigation(
                actor,
                factor,
                measure=measure,
                owner=owner,
                residual_probability_level=rp,
                residual_impact_level=ri,
            )
    return actions.do_complete_step(actor, a, "analyse")


def _report(actor: User, a: Any) -> Any:
    from fengping.reports.actions import do_generate_report

    # The demo loads in a command, not a web worker: it does the job worker's part itself
    # so the report counts every opinion's keywords.
    keyword_index.extract_pending(a.matter_id)
    do_generate_report(actor, a)
    a.refresh_from_db()
    return actions.do_complete_step(actor, a, "report")


def _reviews(a: Any) -> Any:
    """Each stage signed by the person the scheme names (篇3 六(七)): 住建局's leader
    审查, the city's 分管副市长 审定, the mayor for 涉稳重大问题 — never one person twice."""
    while (stage := actions.pending_review(a)) is not None:
        signers = [u for u in actions.stage_signers(a, stage) if not actions.review_refusal(u, a)]
        actions.do_review(
            signers[0], a, stage=stage.code, result="approved", opinion="同意评估结论和实施建议"
        )
        a.refresh_from_db()
    return a


def _decide_and_file(
    handler: User,
    a: Any,
    *,
    outcome: str,
    doc_no: str,
    authority: str,
    today: dt.date,
    note: str = "",
) -> Any:
    """Decided and filed today with both supervising offices, each of which signs for it
    (篇3 六(七) 分别报镇维稳办、镇联席办备案)."""
    actions.do_decide(
        handler,
        a,
        outcome=outcome,
        doc_no=doc_no % {"year": today.year},
        decided_on=today,
        authority=authority,
        note=note,
    )
    for office, clerk in (("SFS-WWB", "sunli"), ("SFS-LXB", "zhoumin")):
        filing = actions.do_file(handler, a, office=_dept(office), filed_on=today)
        actions.do_acknowledge_filing(_user(clerk), filing)
    return actions.do_complete_step(handler, a, "decide")


def _measures(
    handler: User, a: Any, today: dt.date, measures: list[tuple[str, str, str, int]]
) -> None:
    """(kind, title, owner, days until due) — 应对措施 and 应急预案 (篇3 六(八))."""
    for kind, title, owner, days in measures:
        actions.do_add_measure(
            handler, a, kind=kind, title=title, owner=owner, due=today + dt.timedelta(days=days)
        )


def pension(today: dt.date) -> bool:
    title = "企业退休人员养老金调整"
    if Matter.objects.filter(title=title).exists():
        return False
    handler, assessor, leader = _user("chenjing"), _user("lihua"), _user("liusuixian")
    unit = _dept("SFS-RSJ-YL")
    matter = matter_actions.do_register_matter(
        handler,
        title=title,
        scheme_key="ssra-bureau",
        category_code="major_decision",
        department=unit,
        kind="policy",
        lead_department=_dept("SFS-RSJ"),
        deciding_authority="市人力资源和社会保障局局务会议",
        planned_decision_date=today,
        description="按照国家统一部署，调整本市企业退休人员基本养老金，采取定额调整、挂钩调整与适当倾斜相结合的办法。",
    )
    matter = plan_actions.plan_matter(handler, matter)
    matter_actions.do_set_consultation(
        handler,
        matter,
        open=True,
        summary="拟调整企业退休人员基本养老金，现公开征求意见。",
        channels="电话：0731-12345678；来信：市人社局养老保险科",
        until=today + dt.timedelta(days=10),
    )
    a = actions.do_start_assessment(handler, matter)
    a = actions.do_complete_step(handler, a, "select")
    a = _plan(
        handler,
        a,
        _dept("SFS-RSJ"),
        [
            (MemberKind.STAFF, "", handler, "养老保险科", "评估组组长"),
            (MemberKind.STAFF, "", assessor, "养老保险科", "风险分析"),
            (MemberKind.EXPERT, "王建国", None, "市社会科学院", "特邀专家"),
            (MemberKind.PUBLIC, "张德明", None, "退休职工代表", "群众代表"),
        ],
    )
    _questionnaire(
        handler,
        matter,
        "企业退休人员养老金调整意见征询",
        [
            ("直接利益群体", 0, 18),
            ("直接利益群体", 1, 6),
            ("直接利益群体", 4, 4),
            ("企业", 0, 5),
            ("企业", 2, 4),
            ("专家", 1, 3),
        ],
    )
    opinion_actions.do_record_activity(
        handler,
        matter,
        kind="symposium",
        date=today - dt.timedelta(days=12),
        place="市人社局三楼会议室",
        participants="退休职工代表、企业代表、社区代表",
        participant_count=18,
        group="直接利益群体",
        support_count=14,
        oppose_count=2,
        neutral_count=1,
        undeclared_count=1,
        minutes="多数代表支持调整，建议向高龄退休人员倾斜。",
        groups=["直接利益群体", "企业"],
    )
    comment = opinion_actions.do_add_comment(
        handler,
        matter,
        channel="letter",
        content="挂钩调整部分为什么按缴费年限计算？",
        author_name="李师傅",
        author_group="直接利益群体",
        is_query=True,
        stance="neutral",
    )
    opinion_actions.do_reply_comment(
        handler, comment, reply="按国家统一政策，多缴多得、长缴多得，已在政策解读中说明。"
    )
    a = _analyse(
        handler,
        a,
        [handler, assessor],
        [
            {
                "dimension": "reasonableness",
                "title": "调整幅度低于部分退休人员预期",
                "people": 3000,
                "scope": "全市企业退休人员",
                "manner": "集体信访、网络舆情",
                "intensity": "较低",
                "impact_text": "可能出现少数人集体上访",
                "scores": [("medium", "moderate"), ("high", "moderate")],
                "mitigation": ("做好政策解读，向高龄人员适当倾斜", "养老保险科", "low", "minor"),
            },
            {
                "dimension": "feasibility",
                "title": "调整资金不能按时足额到位",
                "people": 20000,
                "scope": "全市",
                "manner": "待遇发放延迟",
                "intensity": "中等",
                "impact_text": "影响政策公信力",
                "scores": [("low", "major"), ("low", "moderate")],
                "mitigation": ("提前落实省级调剂资金", "基金科", "very_low", "moderate"),
            },
        ],
    )
    a = actions.do_grade(
        handler,
        a,
        written_opinion="同意评估组意见，风险等级为C级，做好防范化解工作后可以组织实施。",
        recommendation="可以组织实施，同时做好政策宣传解读和信访接待。",
        mitigation_plan="分批兑现、集中宣讲、设立咨询热线。",
        contingency_plan="成立应急处置小组，发生集体上访时由分管领导带队接访。",
    )
    # A changed grade is only a proposal: the 承办人 proposes B级, the 分管领导 (not the
    # proposer) rejects it, and the computed C级 governs (篇1 六(一)5).
    override = actions.do_propose_override(
        handler, a, grade="B", reason="部分退休人员反映调整幅度偏低，建议从严定级"
    )
    actions.do_reject_override(
        leader, override, "评估组已将该因素计入，风险可控，维持按方案计算的C级"
    )
    a = actions.do_complete_step(handler, Assessment.objects.get(pk=a.pk), "grade")
    a = _report(handler, a)
    a = _reviews(a)
    # 承办人 records the work with the 预案 it followed; the 分管领导 confirms it.
    actions.do_record_condition(
        handler, a, "prevention_work_done", note="已开展政策宣讲 6 场，设立咨询热线。"
    )
    actions.do_confirm_condition(leader, a, "prevention_work_done", "经核实，同意实施。")
    a = _decide_and_file(
        handler,
        a,
        outcome="implement",
        doc_no="示人社发〔%(year)s〕18号",
        authority="市人力资源和社会保障局局务会议",
        today=today,
    )
    _measures(
        handler,
        a,
        today,
        [
            ("response", "发放前开展政策宣讲", "养老保险科", 15),
            ("response", "设立咨询热线，全程跟踪兑现情况", "养老保险科", 30),
            ("contingency", "集体上访应急处置预案", "局办公室", 5),
        ],
    )
    # 篇1 六(二): 全程跟踪 — the 应急预案 is in force, a follow-up survey finds most people
    # supporting, and the follow-up step is done (its measures are still being carried out).
    contingency = a.measures.get(kind="contingency")
    actions.do_update_measure(
        handler,
        contingency,
        status="in_progress",
        evidence="预案已印发，应急处置小组已成立。",
    )
    actions.do_record_survey(
        handler,
        a,
        held_on=today,
        method="抽样调查",
        support=182,
        oppose=11,
        neutral=27,
        no_stance=10,
        note="发放首月随机回访企业退休人员。",
    )
    actions.do_complete_step(
        handler, a, "follow_up", note="应对措施和应急预案已登记，按计划全程跟踪。"
    )
    return True


def expropriation(today: dt.date) -> bool:
    title = "旧城改造房屋征收补偿"
    if Matter.objects.filter(title=title).exists():
        return False
    handler, leader = _user("zhaoqiang"), _user("qianwei")
    matter = matter_actions.do_register_matter(
        handler,
        title=title,
        scheme_key="ssra-town",
        category_code="focus_urban",
        department=_dept("SFS-ZJJ-ZS"),
        kind="project",
        deciding_authority="示范市人民政府常务会议",
        approving_department=_dept("SFS-ZJJ"),
        deciding_organ=_dept("SFS"),
        planned_decision_date=today,
        description="对老城区东片 312 户居民房屋实施征收，采取货币补偿与产权调换相结合的方式。",
        # 篇3 六(四) 重大复杂疑难 → 征求上级主管部门意见; 篇3 二(三) 争议较大 → 听证、论证.
        complex_difficult=True,
        contested=True,
    )
    matter = plan_actions.plan_matter(handler, matter)
    matter_actions.do_set_consultation(
        handler,
        matter,
        open=True,
        summary="老城区东片房屋征收补偿方案（征求意见稿）公开征求意见。",
        channels="现场咨询点：东片社区居委会；电话：0731-87654321",
        until=today + dt.timedelta(days=14),
    )
    a = actions.do_start_assessment(handler, matter)
    a = actions.do_complete_step(handler, a, "select")
    a = _plan(
        handler,
        a,
        matter.lead_department,
        [
            (MemberKind.STAFF, "", handler, "房屋征收科", "评估组组长"),
            (MemberKind.STAFF, "", leader, "市住建局", "分管领导"),
            (MemberKind.EXPERT, "刘志远", None, "市律师协会", "法律专家"),
            (MemberKind.PUBLIC, "陈秀英", None, "东片社区居民代表", "群众代表"),
        ],
    )
    _questionnaire(
        handler,
        matter,
        "老城区东片房屋征收补偿方案意见征询",
        [
            ("直接利益群体", 4, 120),
            ("直接利益群体", 3, 45),
            ("直接利益群体", 0, 60),
            ("周边群众", 0, 30),
            ("周边群众", 2, 25),
        ],
    )
    opinion_actions.do_record_activity(
        handler,
        matter,
        kind="hearing",
        date=today - dt.timedelta(days=20),
        place="东片社区活动中心",
        participants="被征收户代表 40 人、律师、评估机构",
        participant_count=52,
        group="直接利益群体",
        support_count=6,
        oppose_count=37,
        neutral_count=5,
        undeclared_count=4,
        minutes="多数被征收户认为货币补偿标准低于周边新房价格，要求提高并增加产权调换房源。",
        groups=["直接利益群体", "专家"],
    )
    opinion_actions.do_record_activity(
        handler,
        matter,
        kind="superior",
        date=today - dt.timedelta(days=15),
        place="省住建厅",
        participants="省住建厅征收处",
        participant_count=3,
        minutes="建议参照同类项目调整补偿标准。",
    )
    comment = opinion_actions.do_add_comment(
        handler,
        matter,
        channel="hearing",
        content="评估价格以哪一天为准？能否重新评估？",
        author_name="被征收户代表",
        author_group="直接利益群体",
        is_query=True,
        stance="oppose",
    )
    opinion_actions.do_reply_comment(
        handler, comment, reply="以征收决定公告之日为评估时点；对评估结果有异议的可申请复核评估。"
    )
    opinion_actions.do_mark_revision(handler, comment, note="补偿方案增加复核评估程序说明。")
    a = actions.do_complete_step(handler, a, "consult")
    a = _analyse(
        handler,
        a,
        [handler, leader],
        [
            {
                "dimension": "reasonableness",
                "title": "补偿标准低于被征收户预期",
                "people": 312,
                "scope": "东片全部被征收户",
                "manner": "拒绝签约、集体上访",
                "intensity": "较高",
                "impact_text": "可能引发群体性事件",
                "scores": [("high", "major"), ("very_high", "major")],
                "mitigation": (
                    "重新测算补偿标准，增加产权调换房源",
                    "房屋征收科",
                    "medium",
                    "major",
                ),
            },
            {
                "dimension": "controllability",
                "title": "个别住户以极端方式阻挠",
                "people": 10,
                "scope": "个别住户",
                "manner": "极端行为",
                "intensity": "很高",
                "impact_text": "人身安全风险与负面舆情",
                "scores": [("low", "severe"), ("medium", "severe")],
                "mitigation": ("一户一策做好思想工作，制定应急预案", "东片社区", "low", "major"),
            },
        ],
        answers={
            ("reasonableness", 5): (
                Answer.NO,
                "问卷和座谈会中被征收户多数对补偿标准有异议，尚未得到大多数群众的支持",
            ),
            ("reasonableness", 7): (
                Answer.WRITTEN,
                "被征收户普遍支持旧城改造，但对补偿标准和过渡安置意见较大；"
                "周边居民和社会各界总体赞同。",
            ),
        },
    )
    a = actions.do_grade(
        handler,
        a,
        written_opinion="同意评估组意见，风险等级为二级，建议暂缓实施，待调整补偿方案后再行实施。",
        recommendation="暂缓实施；重新测算补偿标准并再次征求意见。",
        major_stability_issue=True,
        mitigation_plan="重新测算补偿标准，增加产权调换房源，一户一策。",
        contingency_plan="成立现场处置组，公安、社区联动，防止极端事件。",
    )
    a = actions.do_complete_step(handler, a, "grade")
    a = _report(handler, a)
    a = _reviews(a)
    # 实施 is refused by the majority rule over every channel (the questionnaire and the
    # hearing both oppose); the decision records why, with the figures.
    majority = [r.message for r in rules.refusals(a, "implement") if r.rule == "majority"]
    if not majority:
        raise RuntimeError("demo: the majority rule should refuse 实施 of 旧城改造房屋征收补偿")
    a = _decide_and_file(
        handler,
        a,
        outcome="postpone",
        doc_no="示政发〔%(year)s〕45号",
        authority="示范市人民政府常务会议",
        today=today,
        note=majority[0],
    )
    _measures(
        handler,
        a,
        today,
        [
            ("response", "重新测算补偿标准并再次征求意见", "房屋征收科", 30),
            ("contingency", "现场突发事件处置预案", "东片社区", 7),
        ],
    )
    actions.do_complete_step(handler, a, "measures")
    return True


@transaction.atomic
def load_demo() -> int:
    """Run after `org.demo.load_demo()`; returns how many matters were created."""
    admin = User.objects.get(username="admin")
    if not User.objects.filter(username="qianwei").exists():
        org_actions.do_create_user(
            admin,
            username="qianwei",
            real_name="钱伟",
            position="市住建局副局长",
            department=_dept("SFS-ZJJ"),
            role=Role.LEADER,
            password=_demo_password(),
        )
    today = timezone.localdate()
    created = int(pension(today)) + int(expropriation(today))
    keyword_index.extract_pending_all()
    return created


def _demo_password() -> str:
    from fengping.org.demo import DEMO_PASSWORD

    return DEMO_PASSWORD
