from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fengping.core.forms import StyledForm


class UploadForm(StyledForm):
    file = forms.FileField(
        label=_("方案文件"),
        required=False,
        help_text=_(
            "YAML 文件（.yaml 或 .yml），UTF-8 编码。格式与内置方案相同，可先下载一个内置方案作为样例修改。"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml"}),
    )
    text = forms.CharField(
        label=_("或直接粘贴方案内容"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "font-monospace"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file") and not (data.get("text") or "").strip():
            raise forms.ValidationError(_("请选择方案文件，或在文本框中粘贴方案内容"))
        if data.get("file") and (data.get("text") or "").strip():
            raise forms.ValidationError(_("请只提供一种：上传文件或粘贴内容"))
        return data
