"""The lists of 征求意见 — a questionnaire's responses, a matter's activities and its
comments — declared once each (see core.listing). The parent (questionnaire or matter) is
fetched by the view through org.access and passed to the spec's query."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengping.core import listing
from fengping.core.listing import (
    BooleanFilter,
    ChoiceFilter,
    Column,
    DateRangeFilter,
    ListSpec,
    SearchFilter,
)
from fengping.matters.models import Matter

from .models import (
    ActivityKind,
    Answer,
    Channel,
    Comment,
    CommentChannel,
    Questionnaire,
    Response,
    Stance,
)

# ---------------------------------------------------------------- responses


def _responses(user: Any, qn: Questionnaire) -> QuerySet[Response]:
    return qn.responses.select_related("entered_by").prefetch_related(
        Prefetch(
            "answers",
            Answer.objects.select_related("question").order_by("question__order", "question_id"),
        )
    )


def answer_text(a: Answer) -> str:
    """One answer as people read it: the text, the score, or the chosen labels."""
    if a.text:
        return a.text
    if a.scale:
        return gettext("%(v)s 分") % {"v": a.scale}
    labels = {idx: label for idx, label, _stance in a.question.choice_rows()}
    return "、".join(labels.get(i, str(i)) for i in a.choices)


def _answers(r: Response) -> str:
    return "\n".join(f"{a.question.order}. {answer_text(a)}" for a in r.answers.all())


def _answers_html(r: Response) -> SafeString:
    return format_html_join(
        "",
        '<div><span class="text-secondary">{}.</span> {}</div>',
        ((a.question.order, Truncator(answer_text(a)).chars(80)) for a in r.answers.all()),
    )


def _channel_html(r: Response) -> SafeString:
    if not r.entered_by:
        return format_html("{}", r.get_channel_display())
    return format_html(
        '{}<div class="small text-secondary">{}</div>',
        r.get_channel_display(),
        gettext("%(u)s 录入") % {"u": r.entered_by},
    )


_STANCE_CSS = {"support": "bg-green-lt", "oppose": "bg-red-lt"}


def _stance_html(r: Response) -> SafeString:
    return listing.badge(r.get_stance_display(), _STANCE_CSS.get(r.stance, "bg-secondary-lt"))


RESPONSES = ListSpec(
    name="responses",
    title=_("答卷"),
    queryset=_responses,
    order=("-submitted_at", "-id"),
    keyset=True,
    filters=(
        ChoiceFilter(
            "group",
            _("受访群体"),
            lambda ctx: [(g, g) for g in ctx.parents[0].groups],
            all_label=_("全部群体"),
        ),
        ChoiceFilter("channel", _("渠道"), Channel.choices, all_label=_("全部渠道")),
        ChoiceFilter(
            "stance",
            _("态度"),
            [*Stance.choices, ("none", _("未表态"))],
            conditions={"none": Q(stance="")},
            all_label=_("全部态度"),
        ),
        DateRangeFilter("submitted", _("提交时间"), field="submitted_at__date"),
    ),
    columns=(
        Column("#", lambda r: r.pk, css="text-secondary"),
        Column(_("群体"), lambda r: r.group),
        Column(_("渠道"), lambda r: r.get_channel_display(), html=_channel_html),
        Column(_("录入人"), lambda r: str(r.entered_by or ""), page=False),
        Column(_("态度"), lambda r: r.get_stance_display(), html=_stance_html),
        Column(_("回答"), _answers, html=_answers_html, css="small"),
        Column(_("提交时间"), lambda r: r.submitted_at, css="text-nowrap"),
    ),
    empty_title=_("没有符合条件的答卷"),
    page_template="opinions/responses.html",
    export_url=lambda qn: reverse("opinions:responses_export", args=[qn.pk]),
)

# ---------------------------------------------------------------- activities


ACTIVITIES = ListSpec(
    name="activities",
    title=_("征求意见活动"),
    queryset=lambda user, matter: matter.opinion_activities.prefetch_related("attachments"),
    order=("-date", "-id"),
    filters=(
        ChoiceFilter("kind", _("形式"), ActivityKind.choices, all_label=_("全部形式")),
        DateRangeFilter("date", _("日期")),
    ),
    columns=(
        Column(
            _("日期"),
            lambda a: a.date,
            html=lambda a: listing.link(
                reverse("opinions:activity", args=[a.pk]), listing.display(a.date)
            ),
            css="text-nowrap",
        ),
        Column(_("形式"), lambda a: a.get_kind_display()),
        Column(_("地点"), lambda a: a.place),
        Column(_("参加人员"), lambda a: a.participants, page=False),
        Column(_("参加人数"), lambda a: a.participant_count, css="text-end"),
        Column(
            _("主要意见"),
            lambda a: a.minutes,
            html=lambda a: Truncator(a.minutes).chars(80) or "—",
            css="small",
        ),
        Column(_("附件"), lambda a: len(a.attachments.all()), css="text-end"),
        Column(_("参加群体"), lambda a: "、".join(a.groups or []), page=False),
        Column(_("态度人数所属群体"), lambda a: a.group, page=False),
        Column(_("支持"), lambda a: a.support_count, css="text-end"),
        Column(_("反对"), lambda a: a.oppose_count, css="text-end"),
        Column(_("中立"), lambda a: a.neutral_count, css="text-end"),
        Column(_("未表态"), lambda a: a.undeclared_count, css="text-end"),
    ),
    empty_title=_("还没有登记征求意见活动"),
    empty_hint=_("走访群众、抽样调查、媒体公示、听证会、座谈会、专家论证、征求上级主管部门意见"),
    page_template="opinions/activities.html",
    export_url=lambda matter: reverse("opinions:activities_export", args=[matter.pk]),
)

# ---------------------------------------------------------------- comments


def _comments(user: Any, matter: Matter) -> QuerySet[Comment]:
    return matter.opinion_comments.select_related("replied_by")


COMMENTS = ListSpec(
    name="comments",
    title=_("意见与回复"),
    queryset=_comments,
    order=("-created_at", "-id"),
    filters=(
        SearchFilter("q", _("搜索"), ("content", "reply"), placeholder=_("搜索意见或回复")),
        ChoiceFilter(
            "show",
            _("类别"),
            [
                ("unanswered", _("待回复的质疑")),
                ("queries", _("全部质疑")),
                ("revised", _("已据此修订")),
            ],
            conditions={
                "unanswered": Q(is_query=True, replied_at__isnull=True),
                "queries": Q(is_query=True),
                "revised": Q(led_to_revision=True),
            },
            all_label=_("全部意见"),
        ),
        ChoiceFilter("channel", _("渠道"), CommentChannel.choices, all_label=_("全部渠道")),
        BooleanFilter(
            "replied",
            _("是否已回复"),
            field="replied_at__isnull",
            yes=_("已回复"),
            no=_("未回复"),
            apply=lambda qs, v, values: qs.filter(replied_at__isnull=not v),
        ),  # fmt: skip
    ),
    columns=(
        Column(_("登记时间"), lambda c: c.created_at),
        Column(_("渠道"), lambda c: c.get_channel_display()),
        Column(_("提出人"), lambda c: c.author_name),
        Column(_("所属群体"), lambda c: c.author_group),
        Column(_("意见内容"), lambda c: c.content),
        Column(_("质疑"), lambda c: c.is_query),
        Column(_("回复"), lambda c: c.reply),
        Column(_("回复人"), lambda c: str(c.replied_by or "")),
        Column(_("回复时间"), lambda c: c.replied_at),
        Column(_("已据此修订"), lambda c: c.led_to_revision),
        Column(_("修订说明"), lambda c: c.revision_note),
        Column(_("态度"), lambda c: c.get_stance_display() if c.stance else gettext("未表态")),
    ),
    empty_title=_("没有符合条件的意见"),
    page_template="opinions/comments.html",
    rows_template="opinions/_comment_rows.html",
    export_url=lambda matter: reverse("opinions:comments_export", args=[matter.pk]),
)
