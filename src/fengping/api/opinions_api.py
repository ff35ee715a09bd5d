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
from fengping.opinions.models import Comment, CommentChannel
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


class CommentOut(Schema):
    id: int
    channel: str
    channel_label: str = Field(..., alias="get_channel_display")
    author_name: str
    author_group: str
    content: str
    is_query: bool
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
    """征求意见汇总：答卷数、支持率／反对率／中立率（总体及分群体）、关注热词、意见和质疑数。"""
    return queries.matter_opinion_summary(_matter(request, matter_id))


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


# ---------------------------------------------------------------- concern keywords


class KeywordTextOut(Schema):
    source: str
    text: str


class KeywordOut(Schema):
    word: str
    count: int = Field(..., description="提到该词的意见条数")
    domain: bool = Field(..., description="是否为领域词典中的词")
    texts: list[KeywordTextOut]


@router.get("/matters/{matter_id}/keywords", response=list[KeywordOut])
def concern_keywords(request: HttpRequest, matter_id: int) -> Any:
    """群众关注的主要问题：关键词（按词性、停用词与领域词典提取）及提到每个词的意见原文。"""
    return [
        {
            "word": k.word,
            "count": k.count,
            "domain": k.domain,
            "texts": [{"source": s, "text": t} for s, t in k.texts],
        }
        for k in queries.keyword_evidence(_matter(request, matter_id))
    ]
