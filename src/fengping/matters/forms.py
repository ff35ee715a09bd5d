from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fengping.core.forms import StyledForm
from fengping.org.forms import DepartmentChoiceField
from fengping.org.models import Department

from .models import DesignationBody, MatterKind


class DepartmentsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Department) -> str:
        return obj.name


class MatterForm(StyledForm):
    title = forms.CharField(label=_("事项名称"), max_length=200)
    kind = forms.ChoiceField(label=_("事项类型"), choices=MatterKind.choices)
    category = forms.ChoiceField(
        label=_("评估方案与所属领域"),
        help_text=_("按方案的评估范围和重点领域选择；标“必须评估”的领域严禁漏项"),
    )
    department = DepartmentChoiceField(label=_("责任主体"), queryset=Department.objects.none())
    lead_department = DepartmentChoiceField(
        label=_("牵头部门"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_("留空则按方案的部门分工建议（篇3 五），无对应部门时由责任主体牵头"),
    )
    assisting_departments = DepartmentsField(
        label=_("协助部门"), queryset=Department.objects.none(), required=False
    )
    deciding_authority = forms.CharField(
        label=_("有权作出决定的机关"),
        max_length=120,
        required=False,
        help_text=_("例如：市人民政府常务会议"),
    )
    approving_department = DepartmentChoiceField(
        label=_("审批、审议部门"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_("其分管领导或主要负责人签署“审查”；留空则为责任主体所属的职能部门"),
    )
    deciding_organ = DepartmentChoiceField(
        label=_("决策机关"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_(
            "其分管领导签署“审定”，涉稳重大问题由其主要负责人审定；留空则为责任主体上级的决策机关或镇政府"
        ),
    )
    planned_decision_date = forms.DateField(
        label=_("计划决策日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    description = forms.CharField(
        label=_("事项概况"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    confidential = forms.BooleanField(
        label=_("涉及国家秘密、商业秘密或个人隐私（不得公开）"), required=False
    )
    complex_difficult = forms.BooleanField(
        label=_("重大复杂疑难事项"),
        required=False,
        help_text=_("须征求上级主管部门的意见和建议（篇3 六(四)）"),
    )
    contested = forms.BooleanField(
        label=_("争议较大、专业性较强或影响面较广"),
        required=False,
        help_text=_("须组织听证或论证（篇3 二(三)）"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        categories: list[tuple[str, Any]],
        departments: Any,
        org_departments: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "---------"), *categories]  # type: ignore[attr-defined]
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]
        self.fields["lead_department"].queryset = org_departments  # type: ignore[attr-defined]
        self.fields["assisting_departments"].queryset = org_departments  # type: ignore[attr-defined]
        for name in ("approving_department", "deciding_organ"):
            self.fields[name].queryset = org_departments  # type: ignore[attr-defined]


class DesignateForm(StyledForm):
    body = forms.ChoiceField(label=_("指定机关"), choices=DesignationBody.choices)
    note = forms.CharField(
        label=_("指定依据"), max_length=300, help_text=_("例如：局党组会议纪要〔2026〕5号")
    )


class ResponsibilityForm(StyledForm):
    """篇3 五: the 责任主体 of a cross-department matter, designated by the 党委 or 政府."""

    body = forms.ChoiceField(label=_("指定机关"), choices=())
    note = forms.CharField(
        label=_("指定依据"),
        max_length=300,
        help_text=_("例如：镇党委会议纪要〔2026〕3号，指定住建局为责任主体"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from .actions import RESPONSIBILITY_BODIES

        self.fields["body"].choices = [(b.value, b.label) for b in RESPONSIBILITY_BODIES]  # type: ignore[attr-defined]


class ConsultationForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    open = forms.BooleanField(label=_("在公开页面征求意见"), required=False)
    summary = forms.CharField(
        label=_("面向公众的事项说明"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    channels = forms.CharField(
        label=_("意见反映渠道"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("电话、信箱、来访地址、座谈会安排等"),
    )
    until = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class DocumentForm(StyledForm):
    file = forms.FileField(
        label=_("文件"), help_text=_("PDF、Word、Excel、OFD、图片等，单个文件不超过上传上限")
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
