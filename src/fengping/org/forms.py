from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fengping.core.forms import StyledForm

from .models import Department, DepartmentKind, LeaderPosition, Role, User


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Department) -> str:
        return "　" * obj.depth + obj.name


class DepartmentForm(StyledForm):
    name = forms.CharField(label=_("名称"), max_length=120)
    short_name = forms.CharField(
        label=_("简称"),
        max_length=40,
        required=False,
        help_text=_("方案中使用的简称，例如“住建局”，用于按方案建议牵头部门"),
    )
    code = forms.CharField(label=_("编码"), max_length=40, help_text=_("全局唯一，例如 RSJ-YL"))
    kind = forms.ChoiceField(label=_("类型"), choices=DepartmentKind.choices)
    parent = DepartmentChoiceField(
        label=_("上级部门"), queryset=Department.objects.none(), required=False
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    note = forms.CharField(
        label=_("备注"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, parents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]


class UserCreateForm(StyledForm):
    username = forms.CharField(label=_("用户名"), max_length=150)
    real_name = forms.CharField(label=_("姓名"), max_length=60)
    department = DepartmentChoiceField(label=_("部门"), queryset=Department.objects.none())
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    position = forms.CharField(label=_("职务"), max_length=60, required=False)
    phone = forms.CharField(label=_("手机"), max_length=30, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    password = forms.CharField(
        label=_("初始密码"),
        widget=forms.PasswordInput,
        required=False,
        strip=False,
        help_text=_("留空则自动生成，并只在保存后显示一次。"),
    )

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]


class UserEditForm(StyledForm):
    real_name = forms.CharField(label=_("姓名"), max_length=60)
    position = forms.CharField(label=_("职务"), max_length=60, required=False)
    phone = forms.CharField(label=_("手机"), max_length=30, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    is_active = forms.BooleanField(label=_("启用（停用后无法登录）"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class MembershipForm(StyledForm):
    department = DepartmentChoiceField(label=_("部门"), queryset=Department.objects.none())
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]


class LeadershipGroupForm(StyledForm):
    name = forms.CharField(label=_("名称"), max_length=120)
    office = DepartmentChoiceField(
        label=_("办公室设在"), queryset=Department.objects.none(), required=False
    )
    duties = forms.CharField(
        label=_("职责"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = departments  # type: ignore[attr-defined]


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class LeaderForm(StyledForm):
    user = UserChoiceField(label=_("人员"), queryset=User.objects.none())
    position = forms.ChoiceField(label=_("领导小组职务"), choices=LeaderPosition.choices)
    title = forms.CharField(
        label=_("本职"), max_length=80, required=False, help_text=_("例如：局长、副局长")
    )
    order = forms.IntegerField(label=_("排序"), initial=0, min_value=0, max_value=999)

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users  # type: ignore[attr-defined]
