"""The demo's case work (`fengping demo`, after `cases.demo` made the organs and cases):
every demo organ screened for last month (as `fengping tick` would) and this month (by its
分管领导), three flagged court cases analysed (two become 评估对象, one not, with the
reason), and one of the two walked through the whole procedure — analysis, level,
report, plan, a measure done with evidence, the resolution approved by the 分管领导 —
so the case can be adjudicated, while the other stays at the gate.

Everything goes through the actions, so the audit log shows it as it would happen.
Idempotent: nothing is done once any screening run exists.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fengping.org.models import User

from .actions import assessments as assess
from .actions import resolution
from .actions.cases import do_move_stage
from .actions.screening import do_decide_target, do_run_screening
from .models import Case, CaseAssessment, OrganProfile, ScreeningRun, TargetChoice
from .queries import profile_of

DEMO_ORGANS = ("SFS-FY", "SFS-JCY", "SFS-GAJ")


def _fresh(a: CaseAssessment) -> CaseAssessment:
    return CaseAssessment.objects.select_related("case__organ", "case__handler").get(pk=a.pk)


def _walk(handler: User, leader: User, a: CaseAssessment, today: dt.date) -> CaseAssessment:
    """Analyse, grade, report, plan, carry out and resolve one assessment."""
    scheme = a.scheme
    for d in scheme.dimensions:
        for i, item in enumerate(d.items):
            assess.do_answer_item(
                handler,
                a,
                dimension=d.code,
                item=i,
                has_issue=d.code == "reasonableness",
                finding=f"已就“{item}”逐项分析："
                + (
                    "当事人诉求与裁判结果差距较大，需做好释法明理。"
                    if d.code == "reasonableness"
                    else "未发现问题。"
                ),
            )
    a = _fresh(a)
    factors = [
        f.code for f in scheme.method.factors if f.code in ("prior_petitions", "sharp_conflict")
    ]
    a = assess.do_save_prediction(
        handler,
        a,
        factors=factors,
        petition_probability="medium",
        impact="moderate",
        prediction="当事人曾多次信访，裁判后存在继续上访的可能，经释法明理和司法救助可以化解。",
        majority_unsupportive=False,
        version=a.version,
    )
    a = assess.do_complete_step(handler, _fresh(a), "assess")
    a = _fresh(a)
    a = assess.do_save_report(
        handler,
        a,
        version=a.version,
        handling="已开庭审理两次，证据交换完毕，拟于近期宣判。",
        problems="当事人对赔偿数额期望过高，曾到市信访局反映，宣判后可能继续信访。",
        response_plan="宣判前由承办法官和分管院领导共同释法明理，必要时启动司法救助；宣判后一周内回访。",
    )
    a = _fresh(a)
    resolution.do_save_plan(
        handler,
        a,
        text="一、宣判前约谈当事人，释法明理；二、联系属地街道共同做好稳控；三、宣判后一周内回访。",
        version=a.version,
    )
    measure = resolution.do_add_measure(
        handler,
        _fresh(a),
        title="宣判前释法明理、宣判后回访",
        responsible_unit=a.case.organ,
        due_on=today + dt.timedelta(days=7),
        responsible_person=handler,
    )
    a = assess.do_complete_step(handler, _fresh(a), "plan")
    measure.refresh_from_db()
    resolution.do_set_measure_status(
        handler,
        measure,
        version=measure.version,
        status="done",
        evidence_note="已于宣判前约谈当事人并释法明理，当事人表示服判息诉（谈话笔录已归档）。",
    )
    a = _fresh(a)
    a = resolution.do_propose_resolution(
        handler, a, note="各项措施已落实，当事人表示服判息诉。", version=a.version
    )
    a = _fresh(a)
    return resolution.do_decide_resolution(
        leader, a, approve=True, note="同意，风险已化解。", version=a.version
    )


def load_demo(today: dt.date | None = None) -> int:
    """Returns the number of screening runs made (0 when the demo already has them)."""
    if ScreeningRun.objects.exists():
        return 0
    today = today or timezone.localdate()
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    profiles = list(
        OrganProfile.objects.select_related("department").filter(department__code__in=DEMO_ORGANS)
    )
    runs = 0
    for profile in profiles:
        leader = profile.department.memberships.filter(role="leader").first()
        do_run_screening(None, profile, last_month)
        do_run_screening(leader.user if leader else None, profile, this_month)
        runs += 2
    court = next((p for p in profiles if p.department.code == "SFS-FY"), None)
    if court is None:
        return runs
    handler = User.objects.get(username="lintao")
    leader = User.objects.get(username="hejun")
    run = ScreeningRun.objects.get(organ=court.department, month=this_month)
    flagged = list(
        run.results.filter(flagged=True, case__stage__in=("trial",))
        .select_related("case")
        .order_by("-severity", "-score", "-case_id")[:3]
    )
    for i, result in enumerate(flagged):
        case = result.case
        if i < 2:
            decision = do_decide_target(handler, run, case, TargetChoice.TARGET)
            if i == 0 and decision.assessment is not None:
                a = _walk(handler, leader, _fresh(decision.assessment), today)
                case = Case.objects.get(pk=a.case_id)
                kind = profile_of(case).kind()
                ruling = next(s.code for s in kind.stages if s.gate == "adjudicate")
                if case.stage_refusal(kind, ruling) is None:
                    do_move_stage(handler, case, to_stage=ruling, version=case.version)
        else:
            do_decide_target(
                handler,
                run,
                case,
                TargetChoice.NOT_TARGET,
                "当事人已达成和解并撤回诉求，不再列为评估对象。",
            )
    return runs
