"""征求意见: questionnaires (create, publish, close, results), activities (record, list,
attachments), the opinion summary and comments of a matter, scoped by org.access;
changes through opinions.actions — the same functions the pages call."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from fengping.core import listing
from fengping.matters.models import Matter
from fengping.opinions import actions, queries
from fengping.opinions.lists import ACTIVITIES, COMMENTS
from fengping.opinions.models import (
    Activity,
    ActivityKind,
    Attachment,
    Comment,
    CommentChannel,
    Question,
    QuestionKind,
    Questionnaire,
    Stance,
)
from fengping.org import access

router = Router(tags=["opinions"])


class QuestionnaireOut(Schema):
    id: int
    matter_id: int | None = Field(None, description="所属评估事项（或为空）")
    system_id: int | None = Field(None, description="所属信息系统（篇2 管理员调查；或为空）")
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
    keywords_pending: int = Field(..., description="已收到、尚待后台提取关键词的文字意见条数")
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


# ---------------------------------------------------------------- questionnaires


class QuestionnaireIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    intro: str = ""
    groups: list[str] | None = Field(
        None, description="受访群体；省略时为默认群体（直接利益群体、周边群众、企业、专家、其他）"
    )
    closes_at: dt.datetime | None = Field(None, description="截止时间；发布前须晚于当前时间")
    with_stance_question: bool = Field(True, description="自动加入“您对该事项的态度是”一题")


class VersionIn(Schema):
    version: int | None = Field(None, description="读取时的版本号")


class ChoiceRowOut(Schema):
    label: str
    count: int
    share: float = Field(..., description="占答卷的比例，0–1")


class QuestionResultOut(Schema):
    number: int
    question_id: int
    text: str
    kind: str
    is_stance: bool
    answered: int
    rows: list[ChoiceRowOut]
    mean: float | None


class ResultsOut(Schema):
    questionnaire: QuestionnaireOut
    responses: int
    questions: list[QuestionResultOut]


def _qn(request: HttpRequest, questionnaire_id: int, need: str = "view") -> Questionnaire:
    return access.get_for_user(
        request.user,
        Questionnaire.objects.select_related("matter__department", "department"),
        questionnaire_id,
        need,  # type: ignore[arg-type]
    )


def _qn_out(qn: Questionnaire) -> Questionnaire:
    """The questionnaire with its question and response counts (QuestionnaireOut)."""
    return queries.with_counts(Questionnaire.objects.filter(pk=qn.pk)).get()


@router.post("/matters/{matter_id}/questionnaires", response={201: QuestionnaireOut})
def create_questionnaire(request: HttpRequest, matter_id: int, payload: QuestionnaireIn) -> Any:
    """新建调查问卷（草稿）；征求意见步骤完成后不能再新建。"""
    matter = _matter(request, matter_id, "change")
    qn = actions.do_create_questionnaire(
        request.user,
        matter,
        title=payload.title,
        intro=payload.intro,
        groups=payload.groups,
        closes_at=payload.closes_at,
        with_stance_question=payload.with_stance_question,
    )
    return Status(201, _qn_out(qn))


@router.get("/questionnaires/{questionnaire_id}", response=QuestionnaireOut)
def get_questionnaire(request: HttpRequest, questionnaire_id: int) -> Any:
    return _qn_out(_qn(request, questionnaire_id))


@router.post("/questionnaires/{questionnaire_id}/publish", response=QuestionnaireOut)
def publish_questionnaire(request: HttpRequest, questionnaire_id: int, payload: VersionIn) -> Any:
    """发布问卷，开放公开填写链接（涉密事项、征求意见已结束的事项不得发布）。"""
    qn = _qn(request, questionnaire_id, "change")
    return _qn_out(actions.do_publish(request.user, qn, version=payload.version))


@router.post("/questionnaires/{questionnaire_id}/close", response=QuestionnaireOut)
def close_questionnaire(request: HttpRequest, questionnaire_id: int) -> Any:
    """结束问卷，不再接受答卷。"""
    qn = _qn(request, questionnaire_id, "change")
    return _qn_out(actions.do_close(request.user, qn))


class QuestionnaireUpdate(Schema):
    version: int = Field(..., description="读取时的版本号，用于防止覆盖他人的修改")
    title: str = Field(..., min_length=1, max_length=200)
    intro: str = ""
    groups: list[str] = Field(..., min_length=1, description="受访群体")
    closes_at: dt.datetime | None = None


class QuestionIn(Schema):
    kind: QuestionKind
    text: str = Field(..., min_length=1, max_length=300)
    choices: list[str] = Field([], description="单选、多选题的选项")
    stances: list[Stance] | None = Field(
        None,
        description="态度题：每个选项对应的态度（support/neutral/oppose），与 choices 一一对应",
    )
    is_stance: bool = False
    required: bool = True
    order: int | None = None


class QuestionUpdate(QuestionIn):
    version: int = Field(..., description="读取时的版本号，用于防止覆盖他人的修改")


class QuestionOut(Schema):
    id: int
    questionnaire_id: int
    order: int
    kind: str
    text: str
    choices: list[str]
    stances: list[str]
    is_stance: bool
    required: bool
    version: int


class RevisionIn(Schema):
    note: str = Field("", description="据此对决策作了哪些修订完善（revised 为 true 时必填）")
    revised: bool = True
    version: int | None = Field(None, description="读取时的版本号")


@router.put("/questionnaires/{questionnaire_id}", response=QuestionnaireOut)
def update_questionnaire(
    request: HttpRequest, questionnaire_id: int, payload: QuestionnaireUpdate
) -> Any:
    """修改草稿问卷的标题、说明、受访群体和截止时间（发布后不能修改）。"""
    qn = _qn(request, questionnaire_id, "change")
    return _qn_out(actions.do_update_questionnaire(request.user, qn, **payload.model_dump()))


@router.get("/questionnaires/{questionnaire_id}/questions", response=list[QuestionOut])
def list_questions(request: HttpRequest, questionnaire_id: int) -> Any:
    """问卷的题目，按题号。"""
    return list(_qn(request, questionnaire_id).questions.order_by("order", "pk"))


@router.post("/questionnaires/{questionnaire_id}/questions", response={201: QuestionOut})
def add_question(request: HttpRequest, questionnaire_id: int, payload: QuestionIn) -> Any:
    """向草稿问卷添加题目（发布后不能修改题目）。"""
    qn = _qn(request, questionnaire_id, "change")
    return Status(201, actions.do_add_question(request.user, qn, **payload.model_dump()))


def _question(request: HttpRequest, question_id: int) -> Question:
    return access.get_for_user(
        request.user,
        Question.objects.select_related("questionnaire__department"),
        question_id,
        "change",
    )


@router.put("/questions/{question_id}", response=QuestionOut)
def update_question(request: HttpRequest, question_id: int, payload: QuestionUpdate) -> Any:
    """修改草稿问卷的题目。"""
    return actions.do_update_question(
        request.user, _question(request, question_id), **payload.model_dump()
    )


@router.delete("/questions/{question_id}", response={204: None})
def remove_question(request: HttpRequest, question_id: int) -> Any:
    """删除草稿问卷的题目。"""
    actions.do_remove_question(request.user, _question(request, question_id))
    return Status(204, None)


@router.post("/comments/{comment_id}/revision", response=CommentOut)
def mark_revision(request: HttpRequest, comment_id: int, payload: RevisionIn) -> Any:
    """登记该意见是否促成了对决策的修订完善（篇3 二(三)），并说明修订内容。"""
    comment = access.get_for_user(
        request.user, Comment.objects.select_related("matter__department"), comment_id, "change"
    )
    return actions.do_mark_revision(request.user, comment, **payload.model_dump())


@router.get("/questionnaires/{questionnaire_id}/results", response=ResultsOut)
def questionnaire_results(request: HttpRequest, questionnaire_id: int) -> Any:
    """问卷结果：答卷数与每题的分布（选择题各选项、量表各分值的人数和比例，量表均分）。"""
    qn = _qn(request, questionnaire_id)
    responses, stats = queries.questionnaire_stats(qn)
    return {
        "questionnaire": _qn_out(qn),
        "responses": responses,
        "questions": [
            {
                "number": st.number,
                "question_id": st.question.pk,
                "text": st.question.text,
                "kind": st.question.kind,
                "is_stance": st.question.is_stance,
                "answered": st.answered,
                "rows": [{"label": str(lb), "count": n, "share": sh} for lb, n, sh in st.rows],
                "mean": st.mean,
            }
            for st in stats
        ],
    }


# ---------------------------------------------------------------- activities


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    sha256: str
    content_type: str
    uploaded_at: dt.datetime


class ActivityOut(Schema):
    id: int
    matter_id: int
    kind: str
    kind_label: str = Field(..., alias="get_kind_display")
    date: dt.date
    place: str
    participants: str
    participant_count: int
    groups: list[str]
    group: str = Field(..., description="态度人数所属群体")
    support_count: int
    oppose_count: int
    neutral_count: int
    undeclared_count: int
    minutes: str
    created_at: dt.datetime


class ActivityIn(Schema):
    kind: ActivityKind
    date: dt.date
    place: str = Field("", max_length=200)
    participants: str = ""
    participant_count: int = Field(0, ge=0)
    groups: list[str] = Field([], description="参加群体，例如 直接利益群体")
    group: str = Field(
        "", max_length=60, description="态度人数所属群体；不填时取参加群体中的第一个"
    )
    support_count: int = Field(0, ge=0, description="支持人数（计入多数原则）")
    oppose_count: int = Field(0, ge=0, description="反对人数")
    neutral_count: int = Field(0, ge=0, description="中立人数")
    undeclared_count: int = Field(0, ge=0, description="未表态人数")
    minutes: str = ""


ActivityFilters = listing.api_filters(ACTIVITIES, "ActivityFilters")


@router.get(
    "/matters/{matter_id}/activities",
    response=listing.api_page_schema(ActivityOut, "ActivityPage"),
)
def list_activities(
    request: HttpRequest,
    matter_id: int,
    filters: Query[ActivityFilters],  # type: ignore[valid-type]
) -> Any:
    """事项的征求意见活动（走访、抽样调查、公示、听证、座谈、专家论证、征求上级主管部门意见）。"""
    return listing.api_page(
        ACTIVITIES,
        request.user,
        filters.model_dump(),  # type: ignore[attr-defined]
        _matter(request, matter_id),
    )


@router.post("/matters/{matter_id}/activities", response={201: ActivityOut})
def record_activity(request: HttpRequest, matter_id: int, payload: ActivityIn) -> Any:
    """登记征求意见活动及参加人员的态度人数（支持、反对、中立、未表态，计入多数原则）；
    日期不得晚于今天；附件另行上传。"""
    matter = _matter(request, matter_id, "work")
    activity = actions.do_record_activity(request.user, matter, **payload.model_dump())
    return Status(201, activity)


def _activity(request: HttpRequest, activity_id: int, need: str = "view") -> Activity:
    return access.get_for_user(
        request.user,
        Activity.objects.select_related("matter__department"),
        activity_id,
        need,  # type: ignore[arg-type]
    )


@router.get("/activities/{activity_id}", response=ActivityOut)
def get_activity(request: HttpRequest, activity_id: int) -> Any:
    return _activity(request, activity_id)


@router.get("/activities/{activity_id}/attachments", response=list[AttachmentOut])
def list_attachments(request: HttpRequest, activity_id: int) -> Any:
    """活动的附件（下载见页面 /opinions/attachments/<id>/）。"""
    return list(_activity(request, activity_id).attachments.all())


@router.post("/activities/{activity_id}/attachments", response={201: AttachmentOut})
def add_attachment(
    request: HttpRequest,
    activity_id: int,
    upload: File[UploadedFile],  # type: ignore[type-arg]
) -> Any:
    """上传活动附件（会议纪要、签到表、公示截图等；文件类型和大小同页面）。"""
    activity = _activity(request, activity_id, "work")
    attachment: Attachment = actions.do_add_attachment(request.user, activity, upload)
    return Status(201, attachment)


# ---------------------------------------------------------------- concern keywords


class KeywordTextOut(Schema):
    source: str
    text: str


class KeywordOut(Schema):
    word: str
    count: int = Field(..., description="提到该词的意见条数")
    domain: bool = Field(..., description="是否为领域词典中的词")
    texts: list[KeywordTextOut] = Field(..., description="提到该词的前若干条意见原文")


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


@router.post("/comments/{comment_id}/stance", response=CommentOut)
def set_comment_stance(request: HttpRequest, comment_id: int, payload: StanceIn) -> Any:
    """登记或修改意见提出人的态度（计入多数原则的“登记的意见”渠道）。"""
    comment = access.get_for_user(
        request.user, Comment.objects.select_related("matter__department"), comment_id, "change"
    )
    return actions.do_set_comment_stance(
        request.user, comment, stance=payload.stance or "", version=payload.version
    )
