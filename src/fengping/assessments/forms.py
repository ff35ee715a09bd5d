"""Forms of the assessment pages. They only parse input; every rule is checked by the
action the view calls (the same one the API calls), whose message the form then shows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengping.core.forms import StyledForm
from fengping.procedure import engine
from fengping.schemes.cite import cite

from .models import (
    Answer,
    Assessment,
    IncidentAction,
    MeasureKind,
    MeasureStatus,
    MemberKind,
    ReviewResult,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def scale_choices(a: Assessment, which: str) -> list[tuple[str, str]]:
    """The levels of the frozen scheme's probability or impact scale, labels shown."""
    method = a.scheme.method
    code = getattr(method, f"{which}_scale", None)
    scale = next((s for s in a.scheme.scales if s.code == code), None)
    if scale is None:
        return []
    return [(lv.code, f"{lv.label}（{lv.value:g}）") for lv in scale.levels]


class CompleteStepForm(StyledForm):
    step = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class SendBackForm(StyledForm):
    to_step = forms.ChoiceField(label=_("退回到"))
    reason = forms.CharField(label=_("退回理由"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, steps: list[tuple[str, str]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["to_step"].choices = list(steps)


class PlanForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    lead_department = forms.ModelChoiceField(label=_("评估牵头部门"), queryset=None, required=False)
    assisting_departments = forms.ModelMultipleChoiceField(
        label=_("评估协助部门"), queryset=None, required=False
    )
    plan_content = forms.CharField(
        label=_("评估内容与责任"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("写明评估牵头和协助部门的责任、评估人员的分工、评估内容。"),
    )
    plan_methods = forms.CharField(
        label=_("评估方法"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    schedule_start = forms.DateField(label=_("评估开始日期"), required=False, widget=DATE)
    schedule_end = forms.DateField(label=_("评估完成日期"), required=False, widget=DATE)

    def __init__(self, *args: Any, departments: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_department"].queryset = departments
        self.fields["assisting_departments"].queryset = departments


class MemberForm(StyledForm):
    kind = forms.ChoiceField(label=_("身份"), choices=MemberKind.choices)
    user = forms.ModelChoiceField(
        label=_("系统用户"),
        queryset=None,
        required=False,
        help_text=_("评估组中的系统用户可以对风险因素评分"),
    )
    name = forms.CharField(label=_("姓名"), max_length=60, required=False)
    organisation = forms.CharField(label=_("单位"), max_length=120, required=False)
    duty = forms.CharField(label=_("分工"), max_length=200, required=False)

    def __init__(self, *args: Any, users: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users


class ArchiveForm(StyledForm):
    title = forms.CharField(label=_("材料名称"), max_length=200, required=False)
    file = forms.FileField(label=_("文件"))


class FactorForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    dimension = forms.ChoiceField(label=_("评估维度"))
    title = forms.CharField(label=_("风险因素"), max_length=200)
    description = forms.CharField(
        label=_("表现与成因"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    people_involved = forms.IntegerField(label=_("可能涉及人数"), min_value=0, required=False)
    scope = forms.CharField(label=_("涉及范围"), max_length=200, required=False)
    manner = forms.CharField(label=_("可能方式"), max_length=200, required=False)
    intensity = forms.CharField(label=_("激烈程度"), max_length=64, required=False)
    negative_impact = forms.CharField(
        label=_("可能带来的负面影响"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    weight = forms.FloatField(label=_("权重"), initial=1.0, min_value=0, max_value=100)

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dimension"].choices = [(d.code, d.label) for d in assessment.scheme.dimensions]
        # The estimates the scheme requires (篇1 六(一)3, 篇3 六(四)); the action refuses a
        # factor without them, quoting the rule.
        self.mark_required(*assessment.scheme.factor_estimates.required)
        # Where the scheme has a scale of the same name (涉及范围, 可能方式, 激烈程度),
        # its levels are offered as a guide; the estimate itself stays in words.
        scales = {s.code: s for s in assessment.scheme.scales}
        for name in ("people_involved", "scope", "manner", "intensity"):
            scale = scales.get("people" if name == "people_involved" else name)
            if scale is not None:
                self.fields[name].help_text = _("参考：%(l)s") % {
                    "l": "、".join(level.label for level in scale.levels)
                }


class ScoreForm(StyledForm):
    probability_level = forms.ChoiceField(label=_("可能性"))
    impact_level = forms.ChoiceField(label=_("影响程度"))
    note = forms.CharField(label=_("说明"), max_length=300, required=False)

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["probability_level"].choices = scale_choices(assessment, "probability")
        self.fields["impact_level"].choices = scale_choices(assessment, "impact")


class MitigationForm(StyledForm):
    measure = forms.CharField(label=_("化解措施"), widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.CharField(label=_("责任单位/人"), max_length=120, required=False)
    due = forms.DateField(label=_("完成时限"), required=False, widget=DATE)
    residual_probability_level = forms.ChoiceField(label=_("措施后可能性"))
    residual_impact_level = forms.ChoiceField(label=_("措施后影响程度"))

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["residual_probability_level"].choices = scale_choices(assessment, "probability")
        self.fields["residual_impact_level"].choices = scale_choices(assessment, "impact")


class ChecklistForm(StyledForm):
    # The answer's version the form showed; 0 = the item was unanswered.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    dimension = forms.CharField(widget=forms.HiddenInput)
    item_no = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    answer = forms.ChoiceField(
        label=_("结论"),
        choices=Answer.choices,
        widget=forms.Select(attrs={"aria-label": _("结论")}),
        error_messages={"required": _("请选择结论")},
    )
    # A written assessment may run over several lines.
    note = forms.CharField(
        label=_("说明或评估意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence = forms.CharField(label=_("依据/佐证"), max_length=300, required=False)


class GradeForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    grade = forms.ChoiceField(label=_("风险等级"))
    reason = forms.CharField(
        label=_("调整等级的理由"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("等级与计算结果不同时必须填写；理由记入审计日志并写入评估报告。"),
    )
    written_opinion = forms.CharField(
        label=_("责任主体书面意见"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("责任主体对风险等级的书面意见。"),
    )
    recommendation = forms.CharField(
        label=_("实施建议"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    major_stability_issue = forms.BooleanField(
        label=_("存在涉稳重大问题（须报党委、政府审定）"), required=False
    )
    mitigation_plan = forms.CharField(
        label=_("化解矛盾方案"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    contingency_plan = forms.CharField(
        label=_("应急处置预案"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [
            (g.code, g.label) for g in sorted(assessment.scheme.grades, key=lambda g: -g.severity)
        ]
        # The grading step cannot be completed without the 实施建议 its scheme produces.
        if engine.find_step_producing(assessment.scheme, "recommendation") is not None:
            self.mark_required("recommendation")
        # The frozen scheme's own sentence on the written opinion (篇1 六(一)4), if it has one.
        if rule := cite(assessment.scheme, "书面意见"):
            self.fields["written_opinion"].help_text = rule


class ConditionForm(StyledForm):
    code = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("落实情况或批准依据"), max_length=1000)


class ReviewForm(StyledForm):
    stage = forms.CharField(widget=forms.HiddenInput)
    result = forms.ChoiceField(
        label=_("结论"), choices=ReviewResult.choices, widget=forms.RadioSelect
    )
    opinion = forms.CharField(label=_("审查意见"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["result"].widget.attrs["class"] = "form-check-input"


class DecisionForm(StyledForm):
    outcome = forms.ChoiceField(label=_("决定"), widget=forms.RadioSelect)
    doc_no = forms.CharField(
        label=_("文号"),
        max_length=80,
        help_text=_("格式：机关代字〔年份〕序号号，例如 株政发〔2026〕12号"),
        widget=forms.TextInput(attrs={"placeholder": "株政发〔2026〕12号"}),
    )
    decided_on = forms.DateField(label=_("决定日期"), widget=DATE)
    authority = forms.CharField(label=_("决定机关"), max_length=120, required=False)
    note = forms.CharField(
        label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"decided_on": timezone.localdate(), "authority": assessment.matter.deciding_authority},
        )
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [(d.code, d.label) for d in assessment.scheme.decisions]
        # Radio buttons are laid out by the template; no form-select class on them.
        self.fields["outcome"].widget.attrs["class"] = "form-check-input"


class FilingForm(StyledForm):
    office = forms.ModelChoiceField(label=_("备案机关"), queryset=None)
    filed_on = forms.DateField(label=_("备案日期"), widget=DATE)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)
    late_reason = forms.CharField(
        label=_("逾期原因"),
        max_length=300,
        required=False,
        help_text=_("在决定的次日之后备案的，须说明逾期原因；逾期标记将一直保留"),
    )

    def __init__(self, *args: Any, offices: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"filed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices


class MeasureForm(StyledForm):
    kind = forms.ChoiceField(label=_("类别"), choices=MeasureKind.choices)
    title = forms.CharField(label=_("措施"), max_length=200)
    owner = forms.CharField(label=_("责任单位/人"), max_length=120)
    due = forms.DateField(label=_("完成时限"), required=False, widget=DATE)
    detail = forms.CharField(
        label=_("内容"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class MeasureUpdateForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    status = forms.ChoiceField(
        label=_("状态"),
        choices=MeasureStatus.choices,
        widget=forms.Select(attrs={"aria-label": _("状态")}),
    )
    evidence = forms.CharField(label=_("落实情况与佐证"), required=False)


class IncidentForm(StyledForm):
    occurred_on = forms.DateField(label=_("发生日期"), widget=DATE)
    description = forms.CharField(label=_("情况"), widget=forms.Textarea(attrs={"rows": 3}))
    people_involved = forms.IntegerField(label=_("涉及人数"), min_value=0, required=False)
    handling = forms.CharField(
        label=_("处置情况"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    action = forms.ChoiceField(
        label=_("处理方式"),
        choices=IncidentAction.choices,
        help_text=_(
            "篇3 六(八)：出现新的重大不稳定情况，责任部门要按照预案及时妥善处置，或对重大事项做出适当调整。选择“重新评估”将结束本次评估，可在事项上重新开始评估；否则，实施中的事项须另行作出终止实施或调整的决定（新的文号）。"
        ),
    )


class MatterDecisionForm(StyledForm):
    """A decision on a matter outside the must-assess categories (no assessment)."""

    outcome = forms.ChoiceField(label=_("决定"))
    doc_no = forms.CharField(
        label=_("文号"),
        max_length=80,
        help_text=_("格式：机关代字〔年份〕序号号，例如 株政发〔2026〕12号"),
    )
    decided_on = forms.DateField(label=_("决定日期"), widget=DATE)
    authority = forms.CharField(label=_("决定机关"), max_length=120)
    note = forms.CharField(
        label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, decisions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = decisions  # type: ignore[attr-defined]


class SurveyForm(StyledForm):
    """A follow-up survey of the people concerned during implementation (篇1 六(二))."""

    held_on = forms.DateField(label=_("调查日期"), widget=DATE)
    method = forms.CharField(
        label=_("调查方式"), max_length=60, help_text=_("例如：抽样调查、走访群众、座谈会")
    )
    support = forms.IntegerField(label=_("支持"), min_value=0, initial=0)
    oppose = forms.IntegerField(label=_("反对"), min_value=0, initial=0)
    neutral = forms.IntegerField(label=_("中立"), min_value=0, initial=0)
    no_stance = forms.IntegerField(label=_("未表态"), min_value=0, initial=0)
    note = forms.CharField(
        label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"held_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class RedecisionForm(StyledForm):
    """A new decision with its own 文号 on a decided matter (终止实施 / 调整, or the new
    decision on a postponed matter). Every outcome is listed so that a refused one comes
    back with the rule quoted by the action."""

    outcome = forms.ChoiceField(label=_("新的决定"), widget=forms.RadioSelect)
    doc_no = forms.CharField(
        label=_("文号"),
        max_length=80,
        help_text=_("新的决定另行发文。格式：机关代字〔年份〕序号号，例如 株政发〔2026〕12号"),
    )
    decided_on = forms.DateField(label=_("决定日期"), widget=DATE)
    authority = forms.CharField(label=_("决定机关"), max_length=120, required=False)
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, outcomes: list[tuple[str, str]], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"decided_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = outcomes  # type: ignore[attr-defined]
        self.fields["outcome"].widget.attrs["class"] = "form-check-input"
