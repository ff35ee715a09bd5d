"""征求意见: questionnaires, the opinion summary and comments of a matter, scoped by
org.access; changes through opinions.actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fengping.core import listing
from fengping.matters.models import Matter
from fengping.opinions import actions, queries
from fengping.opinions.lists import COMMENTS
from fengping.opinions.models import ActivityKind, Comment, CommentChannel, Stance
from fengping.org import access

router = Router(tags=["opinions"])


class QuestionnaireOut(Schema):
    id: int
    title: str
    status: str
    status_label: str = Field(..., alias="get_status_display")
    groups: list[str]
    closes_at: dt.datetime | None
    is_accepting: bool
    question_count: int
    response_count: int
    version: int


class GroupOut(Schema):
    group: str
    respondents: int
    support: int
    oppose: int
    neutral: int
    support_rate: float | None
    oppose_rate: float | None
    neutral_rate: float | None


class ChannelOut(Schema):
    channel: str = Field(..., description="questionnaire、活动形式代码或 comments")
    label: str
    group: str = Field(..., description="群体；空串为未注明或全部")
    respondents: int = Field(..., description="人数（含未表态）")
    support: int
    oppose: int
    neutral: int
    undeclared: int
    with_stance: int
    oppose_rate: float | None = Field(..., description="反对率，以表明态度的人数为分母")


class MajorityOut(Schema):
    breached: bool
    threshold: float
    combine: str = Field(..., description="pooled（各渠道合计）或 any_channel（合计或任一渠道）")
    min_channel_stated: int
    forbids: list[str]
    quote: str
    figures: str = Field(..., description="超过阈值的渠道和各渠道合计的数字")


class SummaryOut(Schema):
    respondents: int
    stance_respondents: int
    support: int
    oppose: int
    neutral: int
    support_rate: float | None = Field(..., description="支持率，0–1；无态度数据时为 null")
    oppose_rate: float | None
    neutral_rate: float | None
    per_group: list[GroupOut]
    top_keywords: list[tuple[str, int]]
    comments: int
    queries: int
    unanswered_queries: int
    revisions: int
    activities: dict[str, int]
    channels: list[ChannelOut] = Field(
        ..., description="各渠道（问卷、各类活动、登记的意见）的态度"
    )
    channel_groups: list[ChannelOut] = Field(..., description="各渠道按群体")
    by_group: list[ChannelOut] = Field(..., description="各渠道合计，按群体")
    all_channels: ChannelOut
    majority: MajorityOut | None = Field(
        None, description="方案的多数原则及其判断；无此规则时为 null"
    )


class CommentOut(Schema):
    id: int
    channel: str
    channel_label: str = Field(..., alias="get_channel_display")
    author_name: str
    author_group: str
    content: str
    is_query: bool
    stance: str = Field(..., description="support/oppose/neutral；空串为未表态")
    reply: str
    replied_by_id: int | None
    replied_at: dt.datetime | None
    led_to_revision: bool
    revision_note: str
    created_at: dt.datetime
    version: int


class CommentIn(Schema):
    channel: CommentChannel
    content: str = Field(..., min_length=1)
    author_name: str = Field("", max_length=60)
    author_group: str = Field("", max_length=60)
    is_query: bool = False
    stance: Stance | None = Field(None, description="提出人的态度；不填为未表态")


class ActivityIn(Schema):
    kind: ActivityKind
    date: dt.date
    place: str = Field("", max_length=200)
    participants: str = ""
    participant_count: int = Field(0, ge=0)
    group: str = Field("", max_length=60, description="参加群体")
    support_count: int = Field(0, ge=0)
    oppose_count: int = Field(0, ge=0)
    neutral_count: int = Field(0, ge=0)
    undeclared_count: int = Field(0, ge=0)
    minutes: str = ""


class ActivityOut(Schema):
    id: int
    kind: str
    kind_label: str = Field(..., alias="get_kind_display")
    date: dt.date
    place: str
    participants: str
    participant_count: int
    group: str
    support_count: int
    oppose_count: int
    neutral_count: int
    undeclared_count: int
    minutes: str


class StanceIn(Schema):
    stance: Stance | None = Field(None, description="support/oppose/neutral；不填为未表态")
    version: int | None = Field(None, description="读取时的版本号，用于防止覆盖他人的修改")


class ReplyIn(Schema):
    reply: str = Field(..., min_length=1)
    version: int | None = Field(None, description="读取时的版本号，用于防止覆盖他人的回复")


def _matter(request: HttpRequest, matter_id: int, need: str = "view") -> Matter:
    return access.get_for_user(
        request.user, Matter.objects.select_related("department"), matter_id, need
    )  # type: ignore[arg-type]


@router.get("/matters/{matter_id}/questionnaires", response=list[QuestionnaireOut])
def list_questionnaires(request: HttpRequest, matter_id: int) -> Any:
    """事项的调查问卷。"""
    return list(queries.questionnaires_of(_matter(request, matter_id)))


@router.get("/matters/{matter_id}/opinion-summary", response=SummaryOut)
def opinion_summary(request: HttpRequest, matter_id: int) -> Any:
    """征求意见汇总：答卷数、支持率／反对率／中立率（总体及分群体）、关注热词、意见和质疑数，
    各渠道（问卷、各类活动、登记的意见）按群体的态度，以及方案多数原则的判断和数字。"""
    matter = _matter(request, matter_id)
    summary = queries.matter_opinion_summary(matter)
    out = {f: getattr(summary, f) for f in SummaryOut.model_fields if f != "majority"}
    rule = queries.majority_rule_of(matter)
    if rule is not None:
        out["majority"] = {
            "breached": rule.breached(summary),
            "threshold": rule.threshold,
            "combine": rule.combine,
            "min_channel_stated": rule.min_channel_stated,
            "forbids": rule.forbids,
            "quote": rule.quote,
            "figures": queries.majority_figures(rule, summary),
        }
    return out


@router.post("/matters/{matter_id}/activities", response={201: ActivityOut})
def record_activity(request: HttpRequest, matter_id: int, payload: ActivityIn) -> Any:
    """登记征求意见活动及参加人员的态度人数（支持、反对、中立、未表态），计入多数原则。"""
    matter = _matter(request, matter_id, "change")
    activity = actions.do_record_activity(request.user, matter, **payload.model_dump())
    return Status(201, activity)


CommentFilters = listing.api_filters(COMMENTS, "CommentFilters")


@router.get(
    "/matters/{matter_id}/comments", response=listing.api_page_schema(CommentOut, "CommentPage")
)
def list_comments(
    request: HttpRequest,
    matter_id: int,
    filters: Query[CommentFilters],  # type: ignore[valid-type]
    unanswered: bool = False,
) -> Any:
    """事项的意见，可按关键词、类别（show=unanswered/queries/revised）、渠道、是否已回复筛选；
    unanswered=true 即 show=unanswered（旧参数，仍然有效）。"""
    params = filters.model_dump()  # type: ignore[attr-defined]
    if unanswered and not params["show"]:
        params["show"] = "unanswered"
    return listing.api_page(COMMENTS, request.user, params, _matter(request, matter_id))


@router.post("/matters/{matter_id}/comments", response={201: CommentOut})
def create_comment(request: HttpRequest, matter_id: int, payload: CommentIn) -> Any:
    """登记意见（须有该事项的修改权限）。"""
    matter = _matter(request, matter_id, "change")
    comment = actions.do_add_comment(
        request.user,
        matter,
        channel=payload.channel,
        content=payload.content,
        author_name=payload.author_name,
        author_group=payload.author_group,
        is_query=payload.is_query,
        stance=payload.stance or "",
    )
    return Status(201, comment)


@router.post("/comments/{comment_id}/reply", response=CommentOut)
def reply_comment(request: HttpRequest, comment_id: int, payload: ReplyIn) -> Any:
    """回复意见或质疑，记录回复人和时间。"""
    comment = access.get_for_user(
        request.user, Comment.objects.select_related("matter__department"), comment_id, "change"
    )
    return actions.do_reply_comment(
        request.user, comment, reply=payload.reply, version=payload.version
    )


@router.post("/comments/{comment_id}/stance", response=CommentOut)
def set_comment_stance(request: HttpRequest, comment_id: int, payload: StanceIn) -> Any:
    """登记或修改意见提出人的态度（计入多数原则的“登记的意见”渠道）。"""
    comment = access.get_for_user(
        request.user, Comment.objects.select_related("matter__department"), comment_id, "change"
    )
    return actions.do_set_comment_stance(
        request.user, comment, stance=payload.stance or "", version=payload.version
    )
