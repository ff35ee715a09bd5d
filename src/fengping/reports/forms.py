from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fengping.core.forms import StyledForm


class TemplateUploadForm(StyledForm):
    key = forms.ChoiceField(label=_("适用方案"))
    file = forms.FileField(
        label=_("模板文件"),
        help_text=_("Word 文档（.docx）。建议先下载当前模板，在 Word 或 WPS 中修改版式后上传。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".docx"}),
    )

    def __init__(self, *args: Any, keys: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = keys
