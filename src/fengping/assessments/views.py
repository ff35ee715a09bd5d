"""Pages of an assessment: the list, starting one from a matter, the assessment page
(step tracker and one tab per part of the work) and the small views its forms post to.

Every view fetches its object through `access.get_for_user` (404 to outsiders, 403 to
readers on changing views), parses, and calls ONE action of `actions.py` through
`core.pages.submit` (form pages) or `core.pages.run_action` (buttons and forms posted from
a tab), which say the result and redirect, mostly to the tab the work is done on; the rules
(what a step must produce, which decision is allowed) live in `actions` and `rules` and
are only displayed here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.core import listing
from fengping.core.concurrency import StaleVersion
from fengping.core.errors import ActionError
from fengping.core.files import file_response
from fengping.core.pages import form_page, run_action, submit
from fengping.core.policy import authenticated
from fengping.matters import actions as matter_actions
from fengping.matters.models import Matter
from fengping.org import access
from fengping.org.models import User
from fengping.procedure import engine
from fengping.schemes import cite

from . import actions, rules
from .forms import (
    ArchiveForm,
    ChecklistForm,
    CompleteStepForm,
    ConditionForm,
    DecisionForm,
    FactorForm,
    FilingForm,
    GradeForm,
    IncidentForm,
    MeasureForm,
    MeasureUpdateForm,
    MemberForm,
    MitigationForm,
    PlanForm,
    RedecisionForm,
    ReviewForm,
    ScoreForm,
    SendBackForm,
    SurveyForm,
)
from .lists import ASSESSMENTS
from .models import (
    ANSWERS_BY_TYPE,
    Answer,
    ArchiveDocument,
    Assessment,
    AssessmentStatus,
    Decision,
    FactorScore,
    FollowUpMeasure,
    GradeOverride,
    RiskFactor,
    TeamMember,
)

CRUMB = (gettext_lazy("风险评估"), "/assessments/")

TABS = [
    ("plan", gettext_lazy("评估方案")),
    ("consult", gettext_lazy("征求意见")),
    ("factors", gettext_lazy("风险因素")),
    ("checklist", gettext_lazy("评估清单")),
    ("grade", gettext_lazy("风险等级")),
    ("report", gettext_lazy("评估报告")),
    ("decision", gettext_lazy("审查与决定")),
    ("filing", gettext_lazy("备案")),
    ("follow", gettext_lazy("跟踪落实")),
]
# The tab where the work of each built-in step is done (a custom step opens on 评估方案).
STEP_TABS = {
    "select": "plan",
    "plan": "plan",
    "consult": "consult",
    "analyse": "factors",
    "grade": "grade",
    "report": "report",
    "decide": "decision",
    "measures": "follow",
}
# Conditions fengping checks by itself; the others are confirmed by a person.
AUTOMATIC_CONDITIONS = ("assessment_completed", "plan_filed")
PAGE_SIZE = 20
AGGREGATION_LABELS = {
    "mean": gettext_lazy("平均值"),
    "median": gettext_lazy("中位数"),
    "trimmed": gettext_lazy("截尾平均值"),
}


def _page(request: HttpRequest, qs: Any, param: str, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(qs, per_page).get_page(request.GET.get(param))


def _assessment(request: HttpRequest, pk: int, need: str = "view") -> Assessment:
    return access.get_for_user(
        request.user,
        Assessment.objects.select_related(
            "matter__department", "lead_department", "started_by", "graded_by"
        ),
        pk,
        need=need,  # type: ignore[arg-type]
    )


def _tab_url(a: Assessment, tab: str, anchor: str = "") -> str:
    url = reverse("assessments:detail", args=[a.pk]) + "?" + urlencode({"tab": tab})
    return url + (f"#{anchor}" if anchor else "")


def _crumbs(a: Assessment) -> list[tuple[Any, str]]:
    return [CRUMB, (a.matter.title, reverse("assessments:detail", args=[a.pk]))]


def _form_page(
    request: HttpRequest,
    a: Assessment,
    form: Any,
    title: str,
    tab: str,
    intro: str = "",
    submit_label: str = "",
) -> HttpResponse:
    return form_page(
        request,
        form,
        title,
        _crumbs(a),
        _tab_url(a, tab),
        intro=intro,
        submit_label=submit_label or _("保存"),
    )


def _error_on_tab(
    request: HttpRequest, a: Assessment, tab: str, text: str, anchor: str = ""
) -> HttpResponse:
    """Back to a tab of the assessment page, saying why what it posted was not done."""
    messages.error(request, text)
    return redirect(_tab_url(a, tab, anchor))


def _form_error(form: Any) -> str:
    return "；".join(str(e) for errors in form.errors.values() for e in errors)


def _stale_on_form(
    request: HttpRequest, a: Assessment, form: Any, title: str, tab: str, anchor: str
) -> Callable[[ActionError], HttpResponse]:
    """`refused=` for a row edited in place on a tab: a lost race (StaleVersion) shows the
    form again with what the user typed and who changed it meanwhile; any other refusal
    is said on the tab."""

    def refused(exc: ActionError) -> HttpResponse:
        if isinstance(exc, StaleVersion):
            form.add_action_error(exc)
            return _form_page(request, a, form, title, tab)
        return _error_on_tab(request, a, tab, exc.message, anchor)

    return refused


# ------------------------------------------------------------------ list


@authenticated
def assessment_list(request: HttpRequest) -> HttpResponse:
    return listing.render_list(request, ASSESSMENTS)


@authenticated
def assessment_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, ASSESSMENTS)


# ------------------------------------------------------------------ start


@authenticated
def assessment_start(request: HttpRequest, matter_pk: int) -> HttpResponse:
    matter = access.get_for_user(
        request.user, Matter.objects.select_related("department"), matter_pk, need="change"
    )
    matter_url = reverse("matters:detail", args=[matter.pk])
    if request.method == "POST":
        return run_action(
            request,
            lambda: actions.do_start_assessment(request.user, matter),
            then=lambda a: reverse("assessments:detail", args=[a.pk]),
            success=lambda a: (
                _("已开始评估，方案“%(s)s”（版本 %(v)s）已冻结")
                % {"s": a.scheme.name, "v": a.scheme_version}
            ),
            back=matter_url,
        )
    try:
        scheme_name = matter_actions.scheme_of(matter.scheme_key).name
    except ActionError:
        scheme_name = matter.scheme_key
    return render(
        request,
        "core/confirm.html",
        {
            "title": _("开始社会稳定风险评估"),
            "crumbs": [(_("评估事项"), reverse("matters:list")), (matter.title, matter_url)],
            "question": _("对“%(m)s”开始社会稳定风险评估吗？") % {"m": matter.title},
            "consequence": _(
                "将按评估方案“%(s)s”的当前版本开展评估，并冻结该版本：此后方案修改不影响本次评估。事项状态改为“评估中”。"
            )
            % {"s": scheme_name},
            "cancel_url": matter_url,
            "confirm_label": _("开始评估"),
        },
    )


# ------------------------------------------------------------------ the assessment page


def _decision(a: Assessment) -> Decision | None:
    return Decision.objects.filter(assessment=a).select_related("recorded_by").first()


def _decision_options(a: Assessment) -> list[dict[str, Any]]:
    """Every decision of the scheme, allowed or refused now, with the refusals' quotes."""
    grade = rules.grade_of(a)
    out = []
    for d in a.scheme.decisions:
        refused = rules.refusals(a, d.code)
        out.append(
            {
                "decision": d,
                "refusals": refused,
                "allowed": not refused,
                "recommended": grade is not None and grade.decisions.recommended == d.code,
            }
        )
    return out


def _conditions(a: Assessment, user: Any) -> list[dict[str, Any]]:
    """Each condition with its record, and who may act on it: the worker records the
    work (with the 方案/预案), a leader who is not the recorder confirms it."""
    records = {c.code: c for c in a.conditions.select_related("recorded_by", "confirmed_by")}
    can_change = access.can(user, a, "change") and a.is_content_open()
    out = []
    for c in a.scheme.conditions:
        automatic = c.code in AUTOMATIC_CONDITIONS
        row = records.get(c.code)
        confirm_refusal = "" if automatic else actions.condition_confirm_refusal(user, a, c.code)
        plan_field = actions.CONDITION_PLANS.get(c.code)
        out.append(
            {
                "condition": c,
                "automatic": automatic,
                "met": rules.condition_met(a, c.code),
                "record": row,
                "can_record": not automatic and can_change and not (row and row.confirmed),
                "can_confirm": not automatic and not confirm_refusal and a.is_content_open(),
                "confirm_refusal": confirm_refusal,
                "plan_label": plan_field[1] if plan_field else "",
                "plan_default": getattr(a, plan_field[0]) if plan_field else "",
                "form": ConditionForm(initial={"code": c.code}, auto_id=f"cond-{c.code}-%s"),
            }
        )
    return out


def _overrides(a: Assessment, user: Any) -> dict[str, Any]:
    """The grade override: the live proposal or approval, and who may decide it."""
    pending = a.pending_override()
    return {
        "pending": pending,
        "approved": a.approved_override(),
        "refusal": actions.override_refusal(user, pending) if pending else "",
        "history": list(
            a.overrides.select_related("proposed_by", "decided_by").order_by("-proposed_at")[:10]
        ),
    }


def _tab_context(request: HttpRequest, a: Assessment, tab: str) -> dict[str, Any]:
    """Only the open tab's data is read: the page's query count does not grow with
    what the other tabs hold."""
    user = request.user
    ctx: dict[str, Any] = {}
    if tab == "plan":
        ctx["step_labels"] = {s.code: s.label for s in a.scheme.procedure.steps}
        ctx["assisting"] = a.assisting_departments.all()
        ctx["members"] = a.team.select_related("user")
        ctx["archive"] = _page(
            request, a.archive.select_related("uploaded_by").order_by("-uploaded_at", "-id"), "page"
        )
        ctx["member_form"] = MemberForm(users=_team_candidates(request, a))
        # The frozen scheme's own passages on the team and the project file.
        ctx["team_note"] = cite.cite(a.scheme, "专家和群众代表", "邀请相关专家")
        ctx["archive_note"] = cite.cite(a.scheme, "专项工作档案")
        # 篇3 五: why the plan cannot be saved yet (the check `do_save_plan` makes).
        ctx["responsibility_refusal"] = matter_actions.cross_department_refusal(a.scheme, a.matter)
        ctx["archive_form"] = ArchiveForm()
    elif tab == "consult":
        from fengping.opinions.models import ActivityKind
        from fengping.opinions.queries import majority_check

        ctx["summary"] = rules.opinion_summary(a)
        ctx["majority_breach"] = majority_check(a.scheme.majority_rule, ctx["summary"])
        kinds = dict(ActivityKind.choices)
        ctx["activities"] = [(kinds.get(k, k), n) for k, n in ctx["summary"].activities.items()]
        step = engine.find_step_producing(a.scheme, "opinions")
        ctx["channels"] = step.channels if step else []
        ctx["consult_refusals"] = rules.consultation_refusals(a) if a.is_content_open() else []
    elif tab == "factors":
        factors = list(
            a.factors.prefetch_related(
                Prefetch("scores", queryset=FactorScore.objects.select_related("assessor")),
                "mitigations",
            )
        )
        labels = {s.code: {lv.code: lv.label for lv in s.levels} for s in a.scheme.scales}
        method = a.scheme.method
        p_labels = labels.get(getattr(method, "probability_scale", ""), {})
        i_labels = labels.get(getattr(method, "impact_scale", ""), {})
        for f in factors:
            # The estimates the scheme requires that this factor still lacks.
            f.missing_estimates = [rules.estimate_label(x) for x in rules.missing_estimates(a, f)]
            mine = next((s for s in f.scores.all() if s.assessor_id == user.pk), None)
            f.my_score = mine
            f.score_form = ScoreForm(
                assessment=a,
                initial={
                    "probability_level": mine.probability_level if mine else "",
                    "impact_level": mine.impact_level if mine else "",
                    "note": mine.note if mine else "",
                },
                auto_id=f"score-{f.pk}-%s",
            )
            for s in f.scores.all():
                s.p_label = p_labels.get(s.probability_level, s.probability_level)
                s.i_label = i_labels.get(s.impact_level, s.impact_level)
            for m in f.mitigations.all():
                m.p_label = p_labels.get(m.residual_probability_level, m.residual_probability_level)
                m.i_label = i_labels.get(m.residual_impact_level, m.residual_impact_level)
        groups = []
        for d in a.scheme.dimensions:
            groups.append(
                {"dimension": d, "factors": [f for f in factors if f.dimension == d.code]}
            )
        known = {d.code for d in a.scheme.dimensions}
        other = [f for f in factors if f.dimension not in known]
        if other:
            groups.append({"dimension": None, "factors": other})
        ctx["groups"] = groups
        ctx["factor_count"] = len(factors)
        ctx["is_assessor"] = a.team.filter(user=user).exists()
        ctx["catalogue"] = getattr(method, "factor_catalogue", [])
        ctx["estimates_quote"] = a.scheme.factor_estimates.quote or ""
        ctx["aggregation_labels"] = AGGREGATION_LABELS
    elif tab == "checklist":
        ctx.update(_checklist_context(a, request.GET.get("dim", "")))
    elif tab == "grade":
        try:
            ctx["preview"] = actions.compute_grade(a)
        except ActionError as exc:
            ctx["preview_error"] = exc.message
        ctx["grade_labels"] = {g.code: g.label for g in a.scheme.grades}
        bands = getattr(getattr(a.scheme.method, "bands", None), "levels", [])
        ctx["band_labels"] = {b.code: b.label for b in bands}
        ctx["conditions"] = _conditions(a, user)
        ctx["override"] = _overrides(a, user)
    elif tab == "report":
        ctx["outline"] = a.scheme.report
        ctx["report_docs"] = a.archive.filter(generated=True).order_by("-uploaded_at")[:10]
        ctx["report_refusal"] = a.report_refusal()
    elif tab == "decision":
        ctx["chain"] = _chain(a)
        ctx["pending"] = actions.pending_review(a)
        ctx["review_form"] = ReviewForm(
            initial={"stage": ctx["pending"].code if ctx["pending"] else ""}
        )
        if ctx["pending"] is not None:
            # The form is shown only to the stage's signer; others are told who signs.
            ctx["review_refusal"] = actions.review_refusal(user, a, ctx["pending"])
            ctx["pending_signers"] = actions.stage_signer_text(a, ctx["pending"])
        ctx["decision"] = _decision(a)
        ctx["options"] = _decision_options(a)
        ctx["at_decide_step"] = a.at_decide_step()
    elif tab == "filing":
        ctx["decision"] = _decision(a)
        ctx["filing"] = actions.filing_state(a)
        for f in ctx["filing"]["filings"]:
            f.can_acknowledge = not actions.acknowledge_refusal(user, f)
        ctx["filing_form"] = FilingForm(offices=matter_actions.supervising_offices(user))
        deadline = next((d for d in a.scheme.deadlines if d.code == "filing"), None)
        ctx["filing_rule"] = deadline
    elif tab == "follow":
        ctx["decision"] = _decision(a)
        ctx["measures"] = _page(request, a.measures.all(), "mpage")
        for m in ctx["measures"].object_list:
            m.form = MeasureUpdateForm(
                initial={"version": m.version, "status": m.status, "evidence": m.evidence},
                auto_id=f"m-{m.pk}-%s",
            )
        ctx["incidents"] = _page(request, a.incidents.select_related("recorded_by"), "ipage")
        ctx["follow_up_rules"] = a.scheme.procedure.follow_up
        ctx["finish_refusal"] = a.finish_refusal()
        ctx.update(_follow_up_state(a))
    return ctx


def _chain(a: Assessment) -> list[dict[str, Any]]:
    reviews = list(a.reviews.select_related("reviewer"))
    current_round = a.review_round()
    out = []
    for stage in actions.review_chain(a):
        done = [r for r in reviews if r.stage == stage.code]
        approved = next(
            (
                r
                for r in done
                if r.result == "approved" and r.round == current_round and not r.is_void
            ),
            None,
        )
        out.append({"stage": stage, "reviews": done, "approved": approved})
    return out


def _team_candidates(request: HttpRequest, a: Assessment) -> QuerySet[User]:
    """People who may be put on the team: users of the responsible department and of the
    lead and assisting departments (`actions.team_candidates`, also checked by the action)."""
    return actions.team_candidates(a)


@authenticated
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk)
    tracker = engine.tracker(a)
    current = tracker.current
    open_ = a.is_open()
    current_done = current is not None and current.is_done
    missing = tracker.missing if current and open_ and not current_done else []
    # The scheme's plan and consultation rules, each quoted (the action refuses on them).
    step_refusals = rules.step_refusals(a, current.step) if missing else []
    tab = request.GET.get("tab") or STEP_TABS.get(a.current_step, "plan")
    if a.status == AssessmentStatus.FOLLOW_UP and tab == "decision" and "tab" not in request.GET:
        tab = "filing"
    if tab not in dict(TABS):
        tab = "plan"
    earlier = [(s.code, s.label) for s in tracker.earlier()]
    lock_refusal = a.lock_refusal()
    context = {
        "a": a,
        "matter": a.matter,
        "scheme": a.scheme,
        "tracker": tracker,
        "current": current,
        "current_done": current_done,
        "missing": missing,
        "step_refusals": step_refusals,
        "is_open": open_,
        # The content (plan, team, factors, checklist, grade) may change: not decided and
        # no generated report resting on it (Assessment.lock_refusal says why not).
        "content_open": not lock_refusal,
        "lock_refusal": lock_refusal if a.is_content_open() else "",
        # A send-back (with a reason) is possible until the decision.
        "send_back_open": a.is_content_open(),
        "can_change": access.can(request.user, a, "change"),
        "can_work": access.can(request.user, a, "work"),
        "tab": tab,
        "tabs": TABS,
        "complete_form": CompleteStepForm(initial={"step": a.current_step}),
        "send_back_form": SendBackForm(steps=earlier) if earlier else None,
        "grade": rules.grade_of(a),
    }
    context.update(_tab_context(request, a, tab))
    return render(request, "assessments/detail.html", context)


# ------------------------------------------------------------------ procedure


@authenticated
@require_POST
def step_complete(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk, "change")
    form = CompleteStepForm(request.POST)
    if not form.is_valid():
        return _error_on_tab(request, a, STEP_TABS.get(a.current_step, "plan"), _form_error(form))
    step_code = form.cleaned_data["step"]
    label = next((s.label for s in a.scheme.procedure.steps if s.code == step_code), step_code)
    return run_action(
        request,
        lambda: actions.do_complete_step(request.user, a, step_code, form.cleaned_data["note"]),
        then=reverse("assessments:detail", args=[a.pk]),
        success=_("已完成“%(s)s”") % {"s": label},
    )


@authenticated
@require_POST
def step_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk, "change")
    return run_action(
        request,
        lambda: actions.do_send_back(
            request.user, a, request.POST.get("to_step", ""), request.POST.get("reason", "")
        ),
        then=reverse("assessments:detail", args=[a.pk]),
        success=_("已退回"),
    )


# ------------------------------------------------------------------ plan, team, archive


@authenticated
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk, "change")
    form = PlanForm(
        request.POST or None,
        departments=access.organisation_departments(request.user),
        initial={
            "version": a.version,
            "lead_department": a.lead_department_id,
            "assisting_departments": list(a.assisting_departments.values_list("pk", flat=True)),
            "plan_content": a.plan_content,
            "plan_methods": a.plan_methods,
            "schedule_start": a.schedule_start,
            "schedule_end": a.schedule_end,
        },
    )
    if done := submit(
        request,
        form,
        lambda data: actions.do_save_plan(
            request.user,
            a,
            version=data["version"],
            lead_department=data["lead_department"],
            assisting_departments=list(data["assisting_departments"]),
            plan_content=data["plan_content"],
            plan_methods=data["plan_methods"],
            schedule_start=data["schedule_start"],
            schedule_end=data["schedule_end"],
        ),
        then=_tab_url(a, "plan"),
        success=_("评估方案已保存"),
    ):
        return done
    return _form_page(
        request,
        a,
        form,
        _("制定评估方案"),
        "plan",
        # The frozen scheme's own text (篇1 or 篇3), never another scheme's.
        cite.step_text(a.scheme, "plan"),
    )


@authenticated
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk, "change")
    form = MemberForm(request.POST, users=_team_candidates(request, a))
    if not form.is_valid():
        return _error_on_tab(request, a, "plan", _form_error(form), "team")
    return run_action(
        request,
        lambda: actions.do_add_member(request.user, a, **form.cleaned_data),
        then=_tab_url(a, "plan", "team"),
        success=lambda member: _("已将“%(n)s”加入评估组") % {"n": member.name},
    )


@authenticated
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    member = access.get_for_user(
        request.user, TeamMember.objects.select_related("assessment__matter"), pk, need="change"
    )
    a = member.assessment
    if request.method == "POST":
        return run_action(
            request,
            lambda: actions.do_remove_member(request.user, member),
            then=_tab_url(a, "plan", "team"),
            success=_("已移出评估组"),
        )
    return render(
        request,
        "core/confirm.html",
        {
            "title": _("移出评估组"),
            "crumbs": _crumbs(a),
            "question": _("将“%(n)s”移出评估组吗？") % {"n": member.name},
            "consequence": _("已提交的评分保留；移出操作记入审计日志。"),
            "cancel_url": _tab_url(a, "plan"),
            "confirm_label": _("确认移出"),
        },
    )


@authenticated
@require_POST
def archive_add(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk, "work")
    form = ArchiveForm(request.POST, request.FILES)
    if not form.is_valid():
        return _error_on_tab(request, a, "plan", _("请选择文件"), "archive")
    return run_action(
        request,
        lambda: actions.do_archive_document(
            request.user, a, form.cleaned_data["file"], title=form.cleaned_data["title"]
        ),
        then=_tab_url(a, "plan", "archive"),
        success=lambda doc: _("“%(t)s”已归档") % {"t": doc.title},
    )


@authenticated
def archive_download(request: HttpRequest, pk: int) -> FileResponse:
    return file_response(access.get_for_user(request.user, ArchiveDocument, pk))


# ------------------------------------------------------------------ factors


FACTOR_FIELDS = (
    "dimension",
    "title",
    "description",
    "people_involved",
    "scope",
    "manner",
    "intensity",
    "negative_impact",
    "weight",
)


def _factor_values(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in FACTOR_FIELDS}


@authenticated
def factor_add(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk, "change")
    initial = {"weight": 1.0, "dimension": request.GET.get("dimension", "")}
    form = FactorForm(request.POST or None, assessment=a, initial=initial)
    if done := submit(
        request,
        form,
        lambda data: actions.do_save_factor(request.user, a, **_factor_values(data)),
        then=lambda factor: _tab_url(a, "factors", f"f{factor.pk}"),
        success=lambda factor: _("已登记风险因素“%(t)s”") % {"t": factor.title},
    ):
        return done
    return _form_page(
        request,
        a,
        form,
        _("登记风险因素"),
        "factors",
        _factor_intro(a),
    )


@authenticated
def factor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    factor = access.get_for_user(
        request.user,
        RiskFactor.objects.select_related("assessment__matter__department"),
        pk,
        need="change",
    )
    a = factor.assessment
    initial = {k: getattr(factor, k) for k in (*FACTOR_FIELDS, "version")}
    form = FactorForm(request.POST or None, assessment=a, initial=initial)
    if done := submit(
        request,
        form,
        lambda data: actions.do_save_factor(
            request.user, a, factor=factor, version=data["version"], **_factor_values(data)
        ),
        then=_tab_url(a, "factors", f"f{factor.pk}"),
        success=_("风险因素已保存"),
    ):
        return done
    return _form_page(request, a, form, _("编辑风险因素"), "factors", _factor_intro(a))


def _factor_intro(a: Assessment) -> str:
    """The frozen scheme's own sentence on what each factor must estimate."""
    estimates = a.scheme.factor_estimates
    if not estimates.quote:
        return ""
    return _("方案规定（%(s)s）：%(q)s 标 * 的项目必须填写。") % {
        "s": a.scheme.source.section,
        "q": estimates.quote,
    }


@authenticated
def factor_remove(request: HttpRequest, pk: int) -> HttpResponse:
    factor = access.get_for_user(
        request.user, RiskFactor.objects.select_related("assessment__matter"), pk, need="change"
    )
    a = factor.assessment
    if request.method == "POST":
        return run_action(
            request,
            lambda: actions.do_remove_factor(request.user, factor),
            then=_tab_url(a, "factors"),
            success=_("已删除风险因素"),
        )
    return render(
        request,
        "core/confirm.html",
        {
            "title": _("删除风险因素"),
            "crumbs": _crumbs(a),
            "question": _("删除风险因素“%(t)s”吗？") % {"t": factor.title},
            "consequence": _("评估组成员对它的评分和化解措施一并删除；删除操作记入审计日志。"),
            "cancel_url": _tab_url(a, "factors"),
        },
    )


@authenticated
@require_POST
def factor_score(request: HttpRequest, pk: int) -> HttpResponse:
    """Any member of the team scores separately (the action checks membership, so a
    reader outside the team is refused with 403 whatever the input)."""
    factor = access.get_for_user(
        request.user, RiskFactor.objects.select_related("assessment__matter"), pk
    )
    return run_action(
        request,
        lambda: actions.do_score_factor(
            request.user,
            factor,
            probability_level=request.POST.get("probability_level", ""),
            impact_level=request.POST.get("impact_level", ""),
            note=request.POST.get("note", "")[:300],
        ),
        then=_tab_url(factor.assessment, "factors", f"f{factor.pk}"),
        success=_("已保存您对“%(t)s”的评分") % {"t": factor.title},
    )


@authenticated
def mitigation_add(request: HttpRequest, pk: int) -> HttpResponse:
    factor = access.get_for_user(
        request.user, RiskFactor.objects.select_related("assessment__matter"), pk, need="change"
    )
    a = factor.assessment
    form = MitigationForm(request.POST or None, assessment=a)
    if done := submit(
        request,
        form,
        lambda data: actions.do_add_mitigation(request.user, factor, **data),
        then=_tab_url(a, "factors", f"f{factor.pk}"),
        success=_("已登记化解措施"),
    ):
        return done
    return _form_page(
        request,
        a,
        form,
        _("化解措施：%(t)s") % {"t": factor.title},
        "factors",
        _("登记化解措施，并重新估计措施落实后的可能性和影响程度（残余风险）。"),
    )


# ------------------------------------------------------------------ checklists

# What each answer type offers, in order, and the hint shown under a yes/no question.
ANSWER_HINTS = {
    "yes_good": gettext_lazy("“是”为符合要求"),
    "no_good": gettext_lazy("“否”为符合要求"),
    "written": gettext_lazy("写出评估意见"),
}


def _checklist_item(item: rules.ChecklistItem, data: Any = None) -> dict[str, Any]:
    """One question with its answer type, stored answer and the values its form shows:
    what was posted when saving failed (nothing typed is lost), else what is stored."""
    row = item.row
    if data is not None:
        values = {k: data.get(k, "") for k in ("answer", "note", "evidence", "version")}
    else:
        values = {
            "answer": row.answer if item.answered else "",
            "note": row.note if row else "",
            "evidence": row.evidence if row else "",
            "version": row.version if row else 0,
        }
    choices = [
        (code, Answer(code).label)
        for code in ANSWERS_BY_TYPE[item.answer_type]
        if code != Answer.WRITTEN
    ]
    return {
        "item": item,
        "no": item.no,
        "text": item.text,
        "type": item.answer_type,
        "hint": ANSWER_HINTS.get(item.answer_type, ""),
        "choices": choices,
        "values": values,
        "anchor": f"cl-{item.dimension.code}-{item.no}",
    }


def _checklist_dims(items: list[rules.ChecklistItem]) -> list[dict[str, Any]]:
    dims: dict[str, dict[str, Any]] = {}
    for it in items:
        d = dims.setdefault(
            it.dimension.code,
            {"dimension": it.dimension, "total": 0, "answered": 0, "failed": 0, "problems": 0},
        )
        d["total"] += 1
        d["answered"] += it.answered
        d["failed"] += it.failed
        d["problems"] += bool(it.problem)
    return list(dims.values())


def _checklist_context(a: Assessment, dim_code: str) -> dict[str, Any]:
    """One page per dimension: the dimensions with their progress, and the chosen one's
    questions (by default the first dimension that still has something to do)."""
    items = rules.checklist_items(a)
    dims = _checklist_dims(items)
    codes = [d["dimension"].code for d in dims]
    if dim_code not in codes:
        dim_code = next(
            (d["dimension"].code for d in dims if d["problems"]), codes[0] if codes else ""
        )
    current = next((d for d in dims if d["dimension"].code == dim_code), None)
    following = codes.index(dim_code) + 1 if dim_code in codes else len(codes)
    return {
        "cl_next": dims[following]["dimension"] if following < len(dims) else None,
        "cl_dims": dims,
        "cl_dim": current,
        "cl_items": [_checklist_item(it) for it in items if it.dimension.code == dim_code],
        "checklist_total": len(items),
        "checklist_done": sum(it.answered for it in items),
        "checklist_refusal": rules.checklist_refusal(a, items),
    }


def _checklist_partial(
    request: HttpRequest,
    a: Assessment,
    dimension: str,
    item_no: int,
    *,
    error: str = "",
    saved: bool = False,
    data: Any = None,
) -> HttpResponse:
    """htmx: the one question again (saved, or with the refusal and what was typed) and,
    out of band, the dimension tabs and progress."""
    items = rules.checklist_items(a)
    item = next((it for it in items if it.dimension.code == dimension and it.no == item_no), None)
    ctx = {
        "a": a,
        "can_change": True,
        "content_open": a.is_content_open(),
        "it": _checklist_item(item, data) if item else None,
        "error": error,
        "saved": saved,
        "cl_dims": _checklist_dims(items),
        "cl_dim": {"dimension": item.dimension} if item else None,
        "checklist_total": len(items),
        "checklist_done": sum(it.answered for it in items),
        "oob": True,
    }
    return render(request, "assessments/tabs/_checklist_item.html", ctx)


@authenticated
@require_POST
def checklist_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer one question. With htmx the question is saved in place (no page reload);
    a plain POST goes back to its dimension's page."""
    a = _assessment(request, pk, "change")
    form = ChecklistForm(request.POST)
    dimension = request.POST.get("dimension", "")
    anchor = f"cl-{dimension}-{request.POST.get('item_no', '')}"
    back = _tab_url(a, "checklist", anchor).replace("?", f"?dim={dimension}&", 1)
    if request.htmx:
        try:
            item_no = int(request.POST.get("item_no", ""))
        except ValueError:
            return _error_on_tab(request, a, "checklist", _("清单条目不存在"))
        if not form.is_valid():
            return _checklist_partial(
                request, a, dimension, item_no, error=_form_error(form), data=request.POST
            )
        try:
            actions.do_answer_checklist(request.user, a, **form.cleaned_data)
        except ActionError as exc:
            data = request.POST.copy()
            current = getattr(exc, "current", None)
            if current is not None:
                # Lost the race: what they typed stays; the next save is deliberate.
                data["version"] = str(current.version)
            return _checklist_partial(request, a, dimension, item_no, error=exc.message, data=data)
        return _checklist_partial(request, a, dimension, item_no, saved=True)
    if not form.is_valid():
        return _error_on_tab(request, a, "checklist", _form_error(form), anchor)
    return run_action(
        request,
        lambda: actions.do_answer_checklist(request.user, a, **form.cleaned_data),
        then=back,
        success=_("已保存"),
        refused=lambda exc: _checklist_refused(request, a, form, exc),
    )


def _checklist_refused(
    request: HttpRequest, a: Assessment, form: ChecklistForm, exc: ActionError
) -> HttpResponse:
    """A plain POST refused: the question's form again with the refusal (or, after a lost
    race, who answered meanwhile) and everything typed."""
    form.add_action_error(exc)
    item = form.cleaned_data
    dim = next((d for d in a.scheme.dimensions if d.code == item["dimension"]), None)
    text = dim.items[item["item_no"]] if dim and item["item_no"] < len(dim.items) else ""
    return _form_page(request, a, form, _("评估清单"), "checklist", text)


# ------------------------------------------------------------------ grade and conditions


@authenticated
def grade_edit(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk, "change")
    preview, preview_error = None, ""
    try:
        preview = actions.compute_grade(a)
    except ActionError as exc:
        preview_error = exc.message
    computed = preview["result"].grade if preview else ""
    pending = a.pending_override()
    form = GradeForm(
        request.POST or None,
        assessment=a,
        initial={
            "version": a.version,
            "grade": pending.proposed_grade if pending else (a.grade or computed),
            "reason": pending.reason if pending else a.grade_override_reason,
            "written_opinion": a.written_opinion,
            "recommendation": a.recommendation,
            "major_stability_issue": a.major_stability_issue,
            "mitigation_plan": a.mitigation_plan,
            "contingency_plan": a.contingency_plan,
        },
    )
    if done := submit(
        request,
        form,
        lambda data: actions.do_grade(request.user, a, **data),
        then=_tab_url(a, "grade"),
        success=lambda graded: (
            _("风险等级已确定：%(g)s") % {"g": graded.grade_label}
            if graded.pending_override() is None
            else _("已按计算等级确定为%(g)s；调整等级的提议待分管领导或主要负责人批准")
            % {"g": graded.grade_label}
        ),
    ):
        return done
    labels = {g.code: g.label for g in a.scheme.grades}
    return render(
        request,
        "assessments/grade_form.html",
        {
            "a": a,
            "form": form,
            "preview": preview,
            "preview_error": preview_error,
            "computed_label": labels.get(computed, computed),
            "initial_label": labels.get(preview["initial"].grade, "") if preview else "",
            "residual_label": labels.get(preview["residual"].grade, "") if preview else "",
            "grades": sorted(a.scheme.grades, key=lambda g: -g.severity),
            "major_reasons": actions.major_stability_reasons(a, a.grade or computed),
            "crumbs": _crumbs(a),
            "title": _("确定风险等级"),
            "cancel_url": _tab_url(a, "grade"),
        },
    )


@authenticated
@require_POST
def condition_record(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk, "change")
    return run_action(
        request,
        lambda: actions.do_record_condition(
            request.user,
            a,
            request.POST.get("code", ""),
            note=request.POST.get("note", ""),
            plan=request.POST.get("plan", ""),
        ),
        then=_tab_url(a, "grade", "conditions"),
        success=_("已登记落实情况，请分管领导或主要负责人确认"),
    )


@authenticated
@require_POST
def condition_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirmed by a leader of the responsible department: view access, the action decides."""
    a = _assessment(request, pk)
    return run_action(
        request,
        lambda: actions.do_confirm_condition(
            request.user, a, request.POST.get("code", ""), request.POST.get("note", "")
        ),
        then=_tab_url(a, "grade", "conditions"),
        success=_("已确认条件"),
    )


@authenticated
@require_POST
def override_propose(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk, "change")
    return run_action(
        request,
        lambda: actions.do_propose_override(
            request.user,
            a,
            grade=request.POST.get("grade", ""),
            reason=request.POST.get("reason", ""),
        ),
        then=_tab_url(a, "grade", "override"),
        success=_("已提出调整风险等级，待分管领导或主要负责人批准；批准前按计算等级执行"),
    )


def _override(request: HttpRequest, pk: int) -> Any:
    return access.get_for_user(
        request.user,
        GradeOverride.objects.select_related("assessment__matter__department", "proposed_by"),
        pk,
    )


@authenticated
@require_POST
def override_approve(request: HttpRequest, pk: int) -> HttpResponse:
    override = _override(request, pk)
    return run_action(
        request,
        lambda: actions.do_approve_override(request.user, override, request.POST.get("note", "")),
        then=_tab_url(override.assessment, "grade", "override"),
        success=_("已批准调整风险等级"),
    )


@authenticated
@require_POST
def override_reject(request: HttpRequest, pk: int) -> HttpResponse:
    override = _override(request, pk)
    return run_action(
        request,
        lambda: actions.do_reject_override(request.user, override, request.POST.get("note", "")),
        then=_tab_url(override.assessment, "grade", "override"),
        success=_("未批准调整风险等级，按计算等级执行"),
    )


# ------------------------------------------------------------------ review and decision


@authenticated
@require_POST
def review_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Reviewers are leaders of the department or supervisors (督查): they may only read
    the assessment otherwise, so the page asks for view access and the action decides."""
    a = _assessment(request, pk)
    return run_action(
        request,
        lambda: actions.do_review(
            request.user,
            a,
            stage=request.POST.get("stage", ""),
            result=request.POST.get("result", ""),
            opinion=request.POST.get("opinion", ""),
        ),
        then=_tab_url(a, "decision", "reviews"),
        success=_("审查意见已登记"),
    )


@authenticated
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk, "change")
    form = DecisionForm(request.POST or None, assessment=a)
    if done := submit(
        request,
        form,
        lambda data: actions.do_decide(request.user, a, **data),
        then=_tab_url(a, "filing"),
        success=lambda decision: (
            _("已登记决定：%(d)s（%(n)s）。请在 %(due)s 前向维稳办、联席办备案。")
            % {
                "d": decision.outcome_label,
                "n": decision.doc_no,
                "due": f"{decision.filing_due.year}年{decision.filing_due.month}月{decision.filing_due.day}日",
            }
        ),
    ):
        return done
    return render(
        request,
        "assessments/decide.html",
        {
            "a": a,
            "form": form,
            "options": _decision_options(a),
            "pending": actions.pending_review(a),
            "at_decide_step": a.at_decide_step(),
            "decision": _decision(a),
            "grade": rules.grade_of(a),
            "crumbs": _crumbs(a),
            "title": _("登记决定"),
            "cancel_url": _tab_url(a, "decision"),
        },
    )


@authenticated
def filing_add(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk, "change")
    form = FilingForm(
        request.POST or None, offices=matter_actions.supervising_offices(request.user)
    )
    if done := submit(
        request,
        form,
        lambda data: actions.do_file(request.user, a, **data),
        then=_tab_url(a, "filing"),
        success=lambda filing: _("已向%(o)s备案") % {"o": filing.office.name},
    ):
        return done
    return _form_page(
        request,
        a,
        form,
        _("登记备案"),
        "filing",
        cite.cite(a.scheme, "审定意见分别报", "备案"),
    )


def filing_for_user(user: Any, pk: Any) -> Any:
    """A filing seen by the matter's readers or by a member of the office it was filed
    with (the office receives it); 404 otherwise."""
    return actions.filing_for_user(user, pk)


@authenticated
def filing_inbox(request: HttpRequest) -> HttpResponse:
    """备案签收: what was filed with the offices the user belongs to, late ones marked."""
    filings = actions.filings_received(request.user)
    only = request.GET.get("show", "")
    if only == "pending":
        filings = filings.filter(acknowledged_at__isnull=True)
    elif only == "late":
        filings = filings.filter(late=True)
    page = _page(request, filings, "page")
    for f in page.object_list:
        f.can_acknowledge = not actions.acknowledge_refusal(request.user, f)
    return render(
        request,
        "assessments/filing_inbox.html",
        {
            "page": page,
            "show": only,
            "crumbs": [CRUMB],
            "title": _("备案签收"),
        },
    )


@authenticated
@require_POST
def filing_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    filing = filing_for_user(request.user, pk)
    back = request.POST.get("next") or ""
    then = (
        back
        if back.startswith("/") and not back.startswith("//")
        else (reverse("assessments:filing_inbox"))
    )
    return run_action(
        request,
        lambda: actions.do_acknowledge_filing(
            request.user, filing, note=request.POST.get("note", "")
        ),
        then=then,
        success=lambda f: _("%(o)s已签收备案") % {"o": f.office.name},
    )


# ------------------------------------------------------------------ follow-up


@authenticated
def measure_add(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk, "change")
    form = MeasureForm(request.POST or None)
    if done := submit(
        request,
        form,
        lambda data: actions.do_add_measure(request.user, a, **data),
        then=_tab_url(a, "follow", "measures"),
        success=_("已登记措施"),
    ):
        return done
    return _form_page(
        request,
        a,
        form,
        _("登记应对措施或应急预案"),
        "follow",
        cite.step_text(a.scheme, "measures") or cite.cite(a.scheme, "全程跟踪", "应急预案"),
    )


@authenticated
@require_POST
def measure_update(request: HttpRequest, pk: int) -> HttpResponse:
    measure = access.get_for_user(
        request.user,
        FollowUpMeasure.objects.select_related("assessment__matter__department"),
        pk,
        need="change",
    )
    a = measure.assessment
    form = MeasureUpdateForm(request.POST)
    anchor = f"m{measure.pk}"
    if not form.is_valid():
        return _error_on_tab(request, a, "follow", _form_error(form), anchor)
    return run_action(
        request,
        lambda: actions.do_update_measure(request.user, measure, **form.cleaned_data),
        then=_tab_url(a, "follow", anchor),
        success=_("已更新“%(t)s”") % {"t": measure.title},
        # Lost the race: the status and evidence typed stay, with who changed it meanwhile.
        refused=_stale_on_form(request, a, form, measure.title, "follow", anchor),
    )


@authenticated
def incident_add(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk, "change")
    form = IncidentForm(request.POST or None)
    if done := submit(
        request,
        form,
        lambda data: actions.do_record_incident(request.user, a, **data),
        then=_tab_url(a, "follow", "incidents"),
        success=lambda i: (
            _("已登记不稳定情况。实施中的事项须作出终止实施或调整的新决定。")
            if i.assessment.redecision_triggers()
            else _("已登记不稳定情况")
        ),
    ):
        return done
    return _form_page(request, a, form, _("登记新的不稳定情况"), "follow")


@authenticated
def finish(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk, "change")
    if request.method == "POST":
        return run_action(
            request,
            lambda: actions.do_finish_follow_up(request.user, a),
            then=_tab_url(a, "follow"),
            success=_("评估已办结"),
        )
    return render(
        request,
        "core/confirm.html",
        {
            "title": _("办结"),
            "crumbs": _crumbs(a),
            "question": _("办结“%(m)s”的风险评估吗？") % {"m": a.matter.title},
            # Said up front; on submission the action itself refuses with the same reason.
            "consequence": a.finish_refusal()
            or _("所有应对措施均已落实。办结后事项状态改为“已办结”。"),
            "cancel_url": _tab_url(a, "follow"),
            "confirm_label": _("确认办结"),
        },
    )


def _follow_up_state(a: Assessment) -> dict[str, Any]:
    """The decision history, what the decision in force still needs, and whether a new
    decision is due — read from the same model methods the actions raise on."""
    return {
        "history": a.decision_history(),
        "redecision_pending": a.redecision_pending(),
        "redecision_options": a.redecision_options(),
        "follow_up_missing": a.follow_up_missing_text() if a.follow_up_rules_apply() else "",
        "surveys": a.surveys.select_related("recorded_by"),
        "majority_rule": a.scheme.majority_rule,
    }


def _redecision_outcomes(a: Assessment) -> list[tuple[str, str]]:
    """Every outcome a later decision could name; the action says which are allowed now."""
    out = [(d.code, d.label) for d in a.scheme.decisions]
    if "terminate" not in dict(out):
        out.append(("terminate", _("终止实施")))
    return [*out, ("adjust", _("调整实施"))]


@authenticated
def survey_add(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk, "change")
    form = SurveyForm(request.POST or None)
    if done := submit(
        request,
        form,
        lambda data: actions.do_record_survey(request.user, a, **data),
        then=_tab_url(a, "follow", "surveys"),
        success=_("已登记跟踪调查"),
    ):
        return done
    rule = a.scheme.majority_rule
    return _form_page(
        request,
        a,
        form,
        _("登记跟踪调查"),
        "follow",
        _(
            "篇1 六(二)：对已经评估付诸实施的重大事项，要坚持全程跟踪做好后续工作，及时发现和化解遇到的矛盾和问题。"
        )
        + (
            str(
                _("反对的人数超过表态人数的 %(t).0f%% 时，须作出终止实施的新决定。方案规定：%(q)s")
                % {"t": rule.threshold * 100, "q": rule.quote}
            )
            if rule
            else ""
        ),
    )


@authenticated
def redecide(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assessment(request, pk, "change")
    form = RedecisionForm(request.POST or None, outcomes=_redecision_outcomes(a))
    if done := submit(
        request,
        form,
        lambda data: actions.do_redecide(request.user, a, **data),
        then=_tab_url(a, "follow"),
        success=lambda d: _("已登记新的决定：%(o)s %(n)s") % {"o": d.outcome_label, "n": d.doc_no},
    ):
        return done
    options = a.redecision_options()
    intro = a.redecision_pending() or a.follow_up_missing_text()
    if options:
        intro = f"{intro} " if intro else ""
        intro += str(
            _("现在可以作出的决定：%(o)s。") % {"o": "、".join(label for _c, label in options)}
        )
    else:
        intro = "；".join(actions.redecision_refusals(a, ""))
    return _form_page(request, a, form, _("作出新的决定"), "follow", intro, _("登记新的决定"))


@authenticated
def matter_decide(request: HttpRequest, matter_pk: int) -> HttpResponse:
    """Record a decision on a matter without an assessment — refused, with the rule
    quoted, for a matter in a must-assess category or designated for assessment."""
    from fengping.matters.models import Matter

    from .forms import MatterDecisionForm

    matter = access.get_for_user(request.user, Matter, matter_pk, need="change")
    matter_url = reverse("matters:detail", args=[matter.pk])
    try:
        decisions = [
            (d.code, d.label) for d in matter_actions.scheme_of(matter.scheme_key).decisions
        ]
    except ActionError:
        decisions = []
    form = MatterDecisionForm(
        request.POST or None,
        decisions=decisions,
        initial={"decided_on": timezone.localdate(), "authority": matter.deciding_authority},
    )
    if done := submit(
        request,
        form,
        lambda data: actions.do_decide_without_assessment(
            request.user,
            matter,
            outcome=data["outcome"],
            doc_no=data["doc_no"],
            decided_on=data["decided_on"],
            authority=data["authority"],
            note=data["note"],
        ),
        then=matter_url,
        success=_("已登记决定"),
    ):
        return done
    return form_page(
        request,
        form,
        _("登记决定（无需评估的事项）"),
        [(_("评估事项"), reverse("matters:list")), (matter.title, matter_url)],
        matter_url,
        # Said up front; on submission the action itself refuses with the rule.
        intro=_(
            "该事项属于必须评估的范围，未完成社会稳定风险评估不得作出决定（篇3 六(一)：严禁漏项）。"
        )
        if matter.must_assess
        else _("只有不属于必须评估范围、也未被指定评估的事项，才能不经社会稳定风险评估作出决定。"),
        submit_label=_("登记决定"),
    )
