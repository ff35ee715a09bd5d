from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fengping.api.models import TokenScope
from fengping.api.tokens import lifetime_choices
from fengping.core.forms import StyledForm


class ProfileForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    real_name = forms.CharField(label=_("姓名"), max_length=60)
    phone = forms.CharField(label=_("手机"), max_length=30, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)


class PasswordForm(StyledForm):
    old_password = forms.CharField(
        label=_("原密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        strip=False,
    )
    new_password1 = forms.CharField(
        label=_("新密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )
    new_password2 = forms.CharField(
        label=_("再次输入新密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The security policy's rules, as they stand now.
        from fengping.security.validators import ComplexityValidator, HistoryValidator

        self.fields["new_password1"].help_text = "；".join(
            [
                ComplexityValidator().get_help_text(),
                HistoryValidator().get_help_text(),
                str(_("不能全是数字，不能与个人信息过于相似")),
            ]
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的新密码不一致"))
        return data


class TokenForm(StyledForm):
    name = forms.CharField(label=_("令牌名称"), max_length=80)
    scope = forms.ChoiceField(
        label=_("权限范围"),
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        required=False,
        help_text=_("只读令牌只能查询；需要通过接口提交或修改数据时才选读写"),
    )
    days = forms.TypedChoiceField(label=_("有效期"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = lifetime_choices()
        self.fields["days"].choices = [(d, _("%(n)d 天") % {"n": d}) for d in choices]
        self.fields["days"].initial = choices[-1]

    def clean(self) -> dict[str, Any]:
        # A form without the two selects (an older page, a script) gets the defaults:
        # read-only, the longest life allowed.
        data = super().clean()
        data["scope"] = data.get("scope") or TokenScope.READ
        data["days"] = data.get("days") or self.fields["days"].initial
        return data
