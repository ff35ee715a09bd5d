"""A case assessment's pages (篇4 四2–3, 五3): the overview (the scheme's steps, what the
current one lacks, complete / send back), the checklist of the three dimensions (answered
in place with htmx), the prediction with its computed level and the level changes (propose,
decide), the report fields with the DOCX; on the case page the tab 风险评估 (the case's
assessments per stage and the start button); and the list 本阶段待评估."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.core import listing
from fengping.core.errors import ActionError
from fengping.core.forms import StyledForm
from fengping.core.pages import run_action, submit
from fengping.core.policy import authenticated
from fengping.org import access
from fengping.procedure import engine
from fengping.reports.render import DOCX_MIME, template_for

from .. import report
from ..actions import assessments as actions
from ..assessment_lists import DUE
from ..models import AssessmentStatus, Case, CaseAssessment, ChangeState, ChecklistAnswer
from ..outputs import REPORT_FIELDS
from ..queries import assessment_for, case_for, level_change_for
from ..roles import holds_role
from ..tabs import Tab, register, tabs_for

COLOUR_CSS = {
    "red": "bg-red text-red-fg",
    "orange": "bg-orange text-orange-fg",
    "yellow": "bg-yellow text-yellow-fg",
    "blue": "bg-blue text-blue-fg",
    "green": "bg-green text-green-fg",
    "grey": "bg-secondary text-secondary-fg",
}


def grade_info(a: CaseAssessment, code: str) -> dict[str, Any] | None:
    """A level of the frozen scheme with its colour class (the colours are scheme data)."""
    for g in a.scheme.grades:
        if g.code == code:
            return {"code": g.code, "label": g.label, "css": COLOUR_CSS.get(g.colour or "", "")}
    return None


def layout_context(request: HttpRequest, a: CaseAssessment, active: str) -> dict[str, Any]:
    """What `cases/_assessment_layout.html` reads: the assessment, its case, the tabs and
    the step tracker (every assessment page's view adds it to its own context)."""
    return {
        "assessment": a,
        "case": a.case,
        "tabs": tabs_for("assessment", a, active),
        "tracker": engine.tracker(a),
        "level": grade_info(a, a.level),
        "can_change": a.is_open() and access.can(request.user, a, "change"),
    }


# ------------------------------------------------------------------ overview and steps


class CompleteStepForm(StyledForm):
    step = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(label=gettext_lazy("说明"), max_length=500, required=False)


class SendBackForm(StyledForm):
    to_step = forms.ChoiceField(label=gettext_lazy("退回到"))
    reason = forms.CharField(
        label=gettext_lazy("退回理由"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, steps: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_step"].choices = list(steps)


@authenticated
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    ctx = layout_context(request, a, "overview")
    tracker = ctx["tracker"]
    current = tracker.current
    current_done = current is not None and current.is_done
    missing = tracker.missing if current is not None and a.is_open() and not current_done else []
    earlier = [(s.code, s.label) for s in tracker.earlier()]
    return render(
        request,
        "cases/assessments/overview.html",
        {
            **ctx,
            "scheme": a.scheme,
            "current": current,
            "current_done": current_done,
            "missing": missing,
            "is_open": a.is_open(),
            "complete_form": CompleteStepForm(initial={"step": a.current_step}),
            "send_back_form": SendBackForm(steps=earlier) if earlier else None,
            "computed": grade_info(a, a.computed_level),
        },
    )


@authenticated
@require_POST
def assessment_complete_step(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk, "change")
    step = request.POST.get("step", "")
    label = next((s.label for s in a.scheme.procedure.steps if s.code == step), step)
    return run_action(
        request,
        lambda: actions.do_complete_step(request.user, a, step, request.POST.get("note", "")),
        then=reverse("cases:assessment", args=[a.pk]),
        success=_("已完成“%(s)s”") % {"s": label},
    )


@authenticated
@require_POST
def assessment_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk, "change")
    return run_action(
        request,
        lambda: actions.do_send_back(
            request.user, a, request.POST.get("to_step", ""), request.POST.get("reason", "")
        ),
        then=reverse("cases:assessment", args=[a.pk]),
        success=_("已退回"),
    )


# ------------------------------------------------------------------ checklist (四2)


class Checklist:
    """The three dimensions with their items and answers, read in two queries."""

    def __init__(self, request: HttpRequest, a: CaseAssessment) -> None:
        self.a = a
        self.answers = {
            (x.dimension, x.item): x
            for x in ChecklistAnswer.objects.filter(assessment=a).select_related("answered_by")
        }
        self.refusal = actions.step_refusal(a, "risk_assessment")
        self.can_change = self.refusal is None and access.can(request.user, a, "change")

    def item(self, d: Any, index: int, data: Any = None) -> dict[str, Any]:
        row = self.answers.get((d.code, index))
        if data is not None:
            values = {
                "has_issue": data.get("has_issue", "") in ("1", "on", "true"),
                "finding": data.get("finding", ""),
                "version": data.get("version", ""),
            }
        else:
            values = {
                "has_issue": row.has_issue if row else False,
                "finding": row.finding if row else "",
                "version": row.version if row else "",
            }
        return {
            "dimension": d,
            "index": index,
            "no": index + 1,
            "text": d.items[index],
            "row": row,
            "values": values,
            "anchor": f"item-{d.code}-{index}",
        }

    def groups(self) -> list[dict[str, Any]]:
        out = []
        for d in self.a.scheme.dimensions:
            items = [self.item(d, i) for i in range(len(d.items))]
            out.append(
                {
                    "dimension": d,
                    "items": items,
                    "done": sum(1 for it in items if it["row"] is not None),
                }
            )
        return out

    def progress(self) -> tuple[int, int]:
        total = sum(len(d.items) for d in self.a.scheme.dimensions)
        return len(self.answers), total

    def context(self) -> dict[str, Any]:
        done, total = self.progress()
        return {
            "done": done,
            "total": total,
            "answer_url": reverse("cases:assessment_answer", args=[self.a.pk]),
            "item_can_change": self.can_change,
            "refusal": self.refusal,
        }


@authenticated
def assessment_checklist(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    page = Checklist(request, a)
    return render(
        request,
        "cases/assessments/checklist.html",
        {**layout_context(request, a, "checklist"), **page.context(), "groups": page.groups()},
    )


@authenticated
@require_POST
def assessment_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer one item: with htmx the item is saved in place; a plain POST goes back to
    the tab at the item (a refusal flashed)."""
    a = assessment_for(request.user, pk, "change")
    post = request.POST
    dimension, item = post.get("dimension", ""), post.get("item", "")
    version = post.get("version", "")
    error = ""
    try:
        actions.do_answer_item(
            request.user,
            a,
            dimension=dimension,
            item=item,
            has_issue=post.get("has_issue", "") in ("1", "on", "true"),
            finding=post.get("finding", ""),
            version=int(version) if version.isdigit() else None,
        )
    except ActionError as exc:
        error = exc.message
    anchor = f"item-{dimension}-{item}"
    if not getattr(request, "htmx", False):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("已保存"))
        return redirect(reverse("cases:assessment_checklist", args=[a.pk]) + f"#{anchor}")
    a = assessment_for(request.user, pk)
    page = Checklist(request, a)
    d = next((d for d in a.scheme.dimensions if d.code == dimension), None)
    if d is None or not item.isdigit() or int(item) >= len(d.items):
        return HttpResponse(_("分析事项不存在"), status=404)
    found = page.item(d, int(item), post if error else None)
    if error:
        current = page.answers.get((d.code, int(item)))
        found["values"]["version"] = current.version if current else ""
    return render(
        request,
        "cases/assessments/_item.html",
        {**page.context(), "it": found, "error": error, "saved": not error, "oob": True},
    )


# ------------------------------------------------------------------ prediction and level


class PredictionForm(StyledForm):
    factors = forms.MultipleChoiceField(
        label=gettext_lazy("存在的风险因素"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    petition_probability = forms.ChoiceField(label=gettext_lazy("引发上访的可能性"))
    impact = forms.ChoiceField(label=gettext_lazy("影响程度"))
    prediction = forms.CharField(
        label=gettext_lazy("预测评估意见"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("重点对是否可能诱发不稳定事件或引起上访等进行预测评估"),
    )
    majority_unsupportive = forms.BooleanField(
        label=gettext_lazy("绝大多数群众可能不理解、不支持裁决"),
        required=False,
        help_text=gettext_lazy("勾选后，裁决前须经主要负责人再次确认"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, assessment: CaseAssessment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scheme = assessment.scheme
        self.fields["factors"].choices = [
            (
                f.code,
                f"{f.label}（{f.weight:g}{'，' + str(_('直接定为最高等级')) if f.hard_trigger else ''}）",
            )
            for f in scheme.method.factors  # type: ignore[union-attr]
        ]
        self.fields["factors"].widget.attrs["class"] = "form-check-input"
        scales = {s.code: s for s in scheme.scales}
        for name, code in (("petition_probability", "probability"), ("impact", "impact")):
            scale = scales.get(code)
            self.fields[name].choices = [("", "—")] + [
                (lv.code, lv.label) for lv in (scale.levels if scale else [])
            ]


class ProposeForm(StyledForm):
    to_level = forms.ChoiceField(label=gettext_lazy("新等级"))
    reason = forms.CharField(
        label=gettext_lazy("变更理由"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, assessment: CaseAssessment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_level"].choices = [
            (g.code, g.label) for g in assessment.scheme.grades if g.code != assessment.level
        ]


def _scale_label(a: CaseAssessment, scale: str, code: str) -> str:
    for sc in a.scheme.scales:
        if sc.code == scale:
            return next((lv.label for lv in sc.levels if lv.code == code), code)
    return code


def _prediction_form(a: CaseAssessment, data: Any = None) -> PredictionForm:
    initial = {
        "factors": a.factors,
        "petition_probability": a.petition_probability,
        "impact": a.impact,
        "prediction": a.prediction,
        "majority_unsupportive": a.majority_unsupportive,
        "version": a.version,
    }
    return PredictionForm(data, initial=initial, assessment=a)


def _prediction_page(
    request: HttpRequest, a: CaseAssessment, form: Any, propose: Any
) -> HttpResponse:
    changes = list(a.level_changes.select_related("proposed_by", "decided_by"))
    pending = next((c for c in changes if c.state == ChangeState.PENDING), None)
    roles = actions.approver_roles(a)
    decide_refusal = actions.decide_refusal(request.user, pending) if pending else None
    refusal = actions.step_refusal(a, "risk_assessment")
    grades = {g.code: g.label for g in a.scheme.grades}
    return render(
        request,
        "cases/assessments/prediction.html",
        {
            **layout_context(request, a, "prediction"),
            "form": form,
            "propose_form": propose,
            "refusal": refusal,
            "may_edit": refusal is None and access.can(request.user, a, "change"),
            "propose_refusal": actions.level_change_refusal(a),
            "computed": grade_info(a, a.computed_level),
            "changes": [
                {
                    "c": c,
                    "from": grades.get(c.from_level, c.from_level),
                    "to": grades.get(c.to_level, c.to_level),
                }
                for c in changes
            ],
            "pending": pending,
            "pending_labels": (
                {"from": grades.get(pending.from_level, "—"), "to": grades.get(pending.to_level)}
                if pending
                else None
            ),
            "scale_labels": {
                "probability": _scale_label(a, "probability", a.petition_probability),
                "impact": _scale_label(a, "impact", a.impact),
            },
            "decide_refusal": decide_refusal,
            "is_approver": holds_role(request.user, a.case.organ, roles),
            "grades": [grade_info(a, g.code) for g in a.scheme.grades],
        },
    )


@authenticated
def assessment_prediction(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk, "change" if request.method == "POST" else "view")
    form = _prediction_form(a, request.POST or None)
    if done := submit(
        request,
        form,
        lambda d: actions.do_save_prediction(
            request.user,
            a,
            factors=d["factors"],
            petition_probability=d["petition_probability"],
            impact=d["impact"],
            prediction=d["prediction"],
            majority_unsupportive=d["majority_unsupportive"],
            version=d["version"],
        ),
        then=reverse("cases:assessment_prediction", args=[a.pk]),
        success=_("已保存预测评估"),
    ):
        return done
    return _prediction_page(request, a, form, ProposeForm(assessment=a))


@authenticated
@require_POST
def level_change_propose(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk, "change")
    form = ProposeForm(request.POST, assessment=a)
    if done := submit(
        request,
        form,
        lambda d: actions.do_propose_level_change(request.user, a, d["to_level"], d["reason"]),
        then=reverse("cases:assessment_prediction", args=[a.pk]),
        success=_("已提出等级变更，待领导审批"),
    ):
        return done
    return _prediction_page(request, a, _prediction_form(a), form)


@authenticated
@require_POST
def level_change_decide(request: HttpRequest, pk: int) -> HttpResponse:
    change = level_change_for(request.user, pk, "change")
    approve = request.POST.get("approve", "") == "1"
    return run_action(
        request,
        lambda: actions.do_decide_level_change(
            request.user, change, approve, request.POST.get("note", "")
        ),
        then=reverse("cases:assessment_prediction", args=[change.assessment_id]),
        success=_("已批准等级变更") if approve else _("已不批准等级变更"),
    )


# ------------------------------------------------------------------ the report (四3)


class ReportForm(StyledForm):
    persons = forms.CharField(
        label=gettext_lazy("涉案人员情况"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    summary = forms.CharField(
        label=gettext_lazy("简要案情"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    handling = forms.CharField(
        label=gettext_lazy("案件办理情况"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    problems = forms.CharField(
        label=gettext_lazy("存在问题隐患"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    response_plan = forms.CharField(
        label=gettext_lazy("预防处置工作方案"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


@authenticated
def assessment_report(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk, "change" if request.method == "POST" else "view")
    initial = {f: getattr(a, f) for f in REPORT_FIELDS} | {"version": a.version}
    form = ReportForm(request.POST or None, initial=initial)
    if done := submit(
        request,
        form,
        lambda d: actions.do_save_report(
            request.user,
            a,
            version=d["version"],
            **{f: d[f] for f in REPORT_FIELDS},
        ),
        then=reverse("cases:assessment_report", args=[a.pk]),
        success=_("已保存评估报告"),
    ):
        return done
    refusal = actions.step_refusal(a, "report", or_earlier=True)
    _path, origin = template_for(report.REPORT_KEY)
    return render(
        request,
        "cases/assessments/report.html",
        {
            **layout_context(request, a, "report"),
            "form": form,
            "refusal": refusal,
            "may_edit": refusal is None and access.can(request.user, a, "change"),
            "origin": origin,
        },
    )


@authenticated
def assessment_report_docx(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    try:
        data = report.report_docx(a)
    except ActionError as exc:  # a broken uploaded template: said plainly, never a 500
        raise Http404(exc.message) from exc
    response = HttpResponse(data, content_type=DOCX_MIME)
    response["Content-Disposition"] = (
        content_disposition_header(True, report.file_name(a)) or "attachment"
    )
    return response


# ------------------------------------------------------------------ the case's tab


def case_layout(case: Case) -> str:
    """The case page's layout (the registry area's)."""
    return "cases/_case_layout.html"


@authenticated
def case_assessments(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk)
    runs = list(
        CaseAssessment.objects.filter(case=case)
        .select_related("started_by")
        .order_by("-started_at", "-id")
    )
    rows = [
        {
            "a": r,
            "level": grade_info(r, r.level),
            "step": next(
                (s.label for s in r.scheme.procedure.steps if s.code == r.current_step),
                r.current_step,
            ),
        }
        for r in runs
    ]
    refusal = actions.start_refusal(case)
    reason = actions.suggested_reason(case)
    if refusal is None and reason == "stage":
        refusal = actions.stage_refusal(case)
    return render(
        request,
        "cases/assessments/case_tab.html",
        {
            "layout": case_layout(case),
            "case": case,
            "tabs": tabs_for("case", case, "assessments"),
            "rows": rows,
            "start_refusal": refusal,
            "start_reason": dict(actions.StartReason.choices).get(reason, reason),
            "can_change": access.can(request.user, case, "change"),
        },
    )


@authenticated
@require_POST
def case_assessment_start(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk, "change")
    note = request.POST.get("note", "")

    def start() -> CaseAssessment:
        reason = actions.suggested_reason(case)
        if reason == "stage":
            return actions.do_start_stage_assessment(request.user, case, note=note)
        return actions.do_start_assessment(request.user, case, reason=reason, note=note)

    return run_action(
        request,
        start,
        then=lambda a: reverse("cases:assessment", args=[a.pk]),
        back=reverse("cases:case_assessments", args=[case.pk]),
        success=_("已开始风险评估"),
    )


# ------------------------------------------------------------------ 本阶段待评估


@authenticated
def assessments_due(request: HttpRequest) -> HttpResponse:
    return listing.render_list(request, DUE)


@authenticated
def assessments_due_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, DUE)


def _open_count(case: Case) -> int | None:
    return CaseAssessment.objects.filter(case=case, status=AssessmentStatus.OPEN).count() or None


register("assessment", Tab("overview", gettext_lazy("概况"), "cases:assessment", 0))
register("assessment", Tab("checklist", gettext_lazy("逐项分析"), "cases:assessment_checklist", 10))
register(
    "assessment", Tab("prediction", gettext_lazy("预测与等级"), "cases:assessment_prediction", 20)
)
register("assessment", Tab("report", gettext_lazy("评估报告"), "cases:assessment_report", 40))
register(
    "case",
    Tab("assessments", gettext_lazy("风险评估"), "cases:case_assessments", 30, count=_open_count),
)

urlpatterns = [
    path("assessments/due/", assessments_due, name="assessments_due"),
    path("assessments/due/export/", assessments_due_export, name="assessments_due_export"),
    path("assessments/<int:pk>/", assessment_detail, name="assessment"),
    path(
        "assessments/<int:pk>/complete-step/",
        assessment_complete_step,
        name="assessment_complete_step",
    ),
    path("assessments/<int:pk>/send-back/", assessment_send_back, name="assessment_send_back"),
    path("assessments/<int:pk>/checklist/", assessment_checklist, name="assessment_checklist"),
    path("assessments/<int:pk>/checklist/answer/", assessment_answer, name="assessment_answer"),
    path("assessments/<int:pk>/prediction/", assessment_prediction, name="assessment_prediction"),
    path("assessments/<int:pk>/level-changes/", level_change_propose, name="level_change_propose"),
    path("level-changes/<int:pk>/decide/", level_change_decide, name="level_change_decide"),
    path("assessments/<int:pk>/report/", assessment_report, name="assessment_report"),
    path("assessments/<int:pk>/report.docx", assessment_report_docx, name="assessment_report_docx"),
    path("<int:pk>/assessments/", case_assessments, name="case_assessments"),
    path("<int:pk>/assessments/start/", case_assessment_start, name="case_assessment_start"),
]
