from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from fengping.core.forms import StyledForm

from .models import SecurityPolicy


def _int_field(name: str) -> forms.IntegerField:
    field = SecurityPolicy._meta.get_field(name)
    return forms.IntegerField(label=field.verbose_name, help_text=field.help_text, min_value=0)


class PolicyForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    min_length = _int_field("min_length")
    required_classes = _int_field("required_classes")
    expiry_days = _int_field("expiry_days")
    history_count = _int_field("history_count")
    lockout_failures = _int_field("lockout_failures")
    lockout_minutes = _int_field("lockout_minutes")
    idle_minutes = _int_field("idle_minutes")
    otp_for_everyone = forms.BooleanField(
        label=SecurityPolicy._meta.get_field("otp_for_everyone").verbose_name,
        help_text=SecurityPolicy._meta.get_field("otp_for_everyone").help_text,
        required=False,
    )


class CodeForm(StyledForm):
    code = forms.CharField(
        label=_("验证码"),
        max_length=32,
        help_text=_("手机验证器上显示的 6 位数字，或一个恢复码"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )
