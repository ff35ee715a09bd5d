"""Demo of the incidents area: a 群体性事件 on a demo matter of the 人社局 whose assessment
was rushed (done in a day, three questionnaire answers, a 质疑 left unanswered); the
维稳办 links it, adopts the proposed finding 评估流于形式 and records one accountability
decision. The matter's opinions go through the opinions actions; the rushed assessment is
written directly (the demo shows the investigation of a bad one, which the assessment
actions would rightly refuse to produce). Idempotent: looked up by the incident's title."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from fengping.assessments import actions as assessment_actions
from fengping.assessments.models import Assessment, AssessmentStatus, Decision
from fengping.matters import actions as matter_actions
from fengping.matters.models import Matter, MatterStatus
from fengping.opinions import actions as opinion_actions
from fengping.opinions.models import Response
from fengping.org.models import Department, User

from .. import investigation
from ..actions import incidents as actions
from ..models import AccountabilityMeasure, Incident, IncidentKind, PersonRole

TITLE = "失业保险金发放标准调整引发集体上访"
MATTER = "失业保险金发放标准调整"


@transaction.atomic
def load() -> int:
    if Incident.objects.filter(title=TITLE).exists():
        return 0
    users = {u.username: u for u in User.objects.filter(username__in=["chenjing", "sunli"])}
    depts = {
        d.code: d for d in Department.objects.filter(code__in=["SFS-RSJ", "SFS-RSJ-YL", "SFS-WWB"])
    }
    if len(users) < 2 or len(depts) < 3:
        return 0  # the organisation demo has not run
    handler, supervisor = users["chenjing"], users["sunli"]
    today = timezone.localdate()
    matter = Matter.objects.filter(title=MATTER).first()
    if matter is None:
        matter = matter_actions.do_register_matter(
            handler,
            title=MATTER,
            scheme_key="ssra-town",
            category_code="focus_social_security",
            department=depts["SFS-RSJ-YL"],
            deciding_authority="市人力资源和社会保障局局务会议",
            description="调整本市失业保险金发放标准。",
        )
        qn = opinion_actions.do_create_questionnaire(
            handler, matter, title="失业保险金标准调整意见征询"
        )
        for n in range(3):
            Response.objects.create(
                questionnaire=qn, group=qn.groups[0], channel="paper", browser_key=f"demo-{n}"
            )
        opinion_actions.do_add_comment(
            handler,
            matter,
            channel="letter",
            author_group="失业人员",
            content="调整后标准低于周边城市，为何不听取失业人员意见？",
            is_query=True,
        )
        a = assessment_actions.do_start_assessment(handler, matter)
        started = timezone.now() - dt.timedelta(days=40)
        Assessment.objects.filter(pk=a.pk).update(
            status=AssessmentStatus.DECIDED, started_at=started, grade="level3"
        )
        a.steps.filter(step_code=a.current_step).update(
            state="done", done_at=started + dt.timedelta(hours=20)
        )
        Decision.objects.create(
            matter=matter,
            assessment=a,
            outcome="implement",
            outcome_label="可以实施",
            doc_no=f"示人社发〔{(today - dt.timedelta(days=38)).year}〕12号",
            decided_on=today - dt.timedelta(days=38),
            authority="市人力资源和社会保障局局务会议",
            recorded_by=handler,
        )
        Matter.objects.filter(pk=matter.pk).update(status=MatterStatus.DECIDED)
    incident = actions.do_record_incident(
        supervisor,
        office=depts["SFS-WWB"],
        kind=IncidentKind.MASS,
        title=TITLE,
        occurred_at=timezone.now() - dt.timedelta(days=5),
        place="市人社局门前",
        people=85,
        description="部分失业人员聚集，反映失业保险金发放标准调整后偏低。",
        cause="调整方案未充分征求失业人员意见，质疑未答复。",
        losses="未造成人员伤亡和财产损失。",
        serious=True,
    )
    link = actions.do_link(supervisor, incident, matter=matter)
    proposed, _signs = investigation.propose(investigation.compile(link))
    link = actions.do_adopt_finding(supervisor, link, finding=proposed)
    actions.do_record_decision(
        supervisor,
        incident,
        department=depts["SFS-RSJ-YL"],
        link=link,
        person_role=PersonRole.DIRECT,
        person=handler,
        measure=AccountabilityMeasure.ADMONITION,
        doc_number=f"示维稳〔{today.year}〕5号",
        decided_on=today,
        reason="评估工作搞形式主义：评估草率完成，征求意见仅 4 名受访者，质疑未答复。",
    )
    return 1
