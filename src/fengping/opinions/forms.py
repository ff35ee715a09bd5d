from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fengping.core.forms import StyledForm

from .models import DEFAULT_GROUPS, ActivityKind, CommentChannel, QuestionKind, Stance

_STANCE_BY_LABEL = {
    "支持": Stance.SUPPORT,
    "support": Stance.SUPPORT,
    "中立": Stance.NEUTRAL,
    "无所谓": Stance.NEUTRAL,
    "neutral": Stance.NEUTRAL,
    "反对": Stance.OPPOSE,
    "oppose": Stance.OPPOSE,
}
_STANCE_SEP = re.compile(r"\s*[|｜=＝]\s*(?=[^|｜=＝]*$)")


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class QuestionnaireForm(StyledForm):
    title = forms.CharField(label=_("问卷标题"), max_length=200)
    intro = forms.CharField(
        label=_("问卷说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("向受访群众说明事项背景、填写方式和个人信息保护。"),
    )
    groups = forms.CharField(
        label=_("受访群体"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("每行一个，受访者须选择其一，统计按群体分列。"),
    )
    closes_at = forms.DateTimeField(
        label=_("截止时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=_("发布前必须设置；过了截止时间问卷自动停止接受提交。"),
    )
    with_stance_question = forms.BooleanField(
        label=_("自动添加态度题（支持／基本支持／无所谓／不支持／反对）"),
        required=False,
        initial=True,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class QuestionForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    order = forms.IntegerField(label=_("题号"), min_value=1, max_value=999, required=False)
    kind = forms.ChoiceField(label=_("题型"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("题目"), max_length=300)
    choices = forms.CharField(
        label=_("选项"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "单选、多选题每行一个选项。态度题在每个选项后用“|”标明态度，例如“基本支持 | 支持”，"
            "态度为支持、中立或反对。"
        ),
    )
    is_stance = forms.BooleanField(
        label=_("这是态度题（用于统计支持率、反对率；每份问卷只能有一道）"), required=False
    )
    required = forms.BooleanField(label=_("必答"), required=False, initial=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choices, stances = [], []
        for line in lines(data.get("choices", "")):
            if data.get("is_stance"):
                parts = _STANCE_SEP.split(line, maxsplit=1)
                if len(parts) != 2 or parts[1].strip().lower() not in _STANCE_BY_LABEL:
                    self.add_error(
                        "choices",
                        _("“%(line)s”没有标明态度，应写成“选项 | 支持”（或中立、反对）")
                        % {"line": line},
                    )
                    continue
                choices.append(parts[0].strip())
                stances.append(str(_STANCE_BY_LABEL[parts[1].strip().lower()]))
            else:
                choices.append(line)
        data["choice_list"], data["stance_list"] = choices, stances
        return data


def question_initial(question: Any) -> dict[str, Any]:
    labels = dict(Stance.choices)
    if question.is_stance:
        text = "\n".join(
            f"{c} | {labels.get(s, s)}"
            for c, s in zip(question.choices, question.stances, strict=False)
        )
    else:
        text = "\n".join(question.choices)
    return {
        "version": question.version,
        "order": question.order,
        "kind": question.kind,
        "text": question.text,
        "choices": text,
        "is_stance": question.is_stance,
        "required": question.required,
    }


class ActivityForm(StyledForm):
    kind = forms.ChoiceField(label=_("形式"), choices=ActivityKind.choices)
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    participants = forms.CharField(
        label=_("参加人员"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("单位、身份或姓名；走访、调查可写对象范围。"),
    )
    participant_count = forms.IntegerField(label=_("参加人数"), min_value=0, initial=0)
    groups = forms.MultipleChoiceField(
        label=_("参加群体"),
        required=False,
        choices=[(g, g) for g in DEFAULT_GROUPS],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("征求了哪些群体的意见；方案要求征求直接利益群体的意见。"),
    )
    group = forms.CharField(
        label=_("态度人数所属群体"),
        max_length=60,
        required=False,
        help_text=_(
            "下列支持、反对、中立、未表态人数按此群体统计；不填时取所选参加群体中的第一个。"
        ),
    )
    support_count = forms.IntegerField(label=_("支持人数"), min_value=0, initial=0, required=False)
    oppose_count = forms.IntegerField(label=_("反对人数"), min_value=0, initial=0, required=False)
    neutral_count = forms.IntegerField(label=_("中立人数"), min_value=0, initial=0, required=False)
    undeclared_count = forms.IntegerField(
        label=_("未表态人数"),
        min_value=0,
        initial=0,
        required=False,
        help_text=_(
            "参加人员的态度计入多数原则（按渠道统计）；四项之和应等于参加人数，"
            "不统计态度的活动（如媒体公示）全部填 0。"
        ),
    )
    minutes = forms.CharField(
        label=_("主要意见和纪要"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    attachment = forms.FileField(
        label=_("附件"),
        required=False,
        help_text=_("会议纪要、签到表、公示截图等；可在活动页面继续添加。"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("support_count", "oppose_count", "neutral_count", "undeclared_count"):
            if data.get(name) is None and name not in self.errors:
                data[name] = 0
        return data


class AttachmentForm(StyledForm):
    file = forms.FileField(label=_("附件"))


class CommentForm(StyledForm):
    channel = forms.ChoiceField(label=_("渠道"), choices=CommentChannel.choices)
    author_name = forms.CharField(label=_("提出人"), max_length=60, required=False)
    author_group = forms.CharField(label=_("所属群体"), max_length=60, required=False)
    content = forms.CharField(label=_("意见内容"), widget=forms.Textarea(attrs={"rows": 5}))
    stance = forms.ChoiceField(
        label=_("态度"),
        choices=[("", _("未表态")), *Stance.choices],
        required=False,
        help_text=_("提出人对该事项的态度，计入多数原则。"),
    )
    is_query = forms.BooleanField(label=_("这是质疑（须及时回复）"), required=False)


class StanceForm(StyledForm):
    stance = forms.ChoiceField(
        label=_("态度"), choices=[("", _("未表态")), *Stance.choices], required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReplyForm(StyledForm):
    reply = forms.CharField(label=_("回复"), widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class RevisionForm(StyledForm):
    revision_note = forms.CharField(
        label=_("修订说明"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("据此意见对决策或项目方案作了哪些修订完善。"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
