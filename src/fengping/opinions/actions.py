"""Every change to questionnaires, responses, activities and comments: one function each.

Staff actions need change access on the matter (`org.access.require`), run in one
transaction and write an audit event. Public submissions have no user: they are audited
too (actor None, recorded as "system"), with the questionnaire, channel and group only —
never the browser key, address hash or answers, so the log holds no personal data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record, save_and_record, snapshot
from fengping.core import files
from fengping.core.concurrency import bump, lock
from fengping.core.errors import ActionError
from fengping.core.imports import CleanRow, Column, Importer, RowInvalid, Sheet, run_import
from fengping.core.models import ImportRecord
from fengping.core.registry import matter_lock_refusal
from fengping.matters.models import Matter
from fengping.org import access

from . import keyword_index, tallies
from .models import (
    DEFAULT_STANCE_CHOICES,
    DEFAULT_STANCE_QUESTION,
    SCALE_MAX,
    SCALE_MIN,
    Activity,
    ActivityKind,
    Answer,
    AnswerChoice,
    Attachment,
    Channel,
    Comment,
    CommentChannel,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireStatus,
    Response,
    Stance,
)

TEXT_MAX = 2000


class ResponseInvalid(ActionError):
    """Some answers are missing or wrong; `errors` maps question id -> message."""

    code = "invalid_answers"

    def __init__(self, errors: dict[int | str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors


class AlreadySubmitted(ActionError):
    status = 409
    code = "already_submitted"


class QuestionnaireClosed(ActionError):
    status = 410
    code = "closed"


# ---------------------------------------------------------------- questionnaires


def _require_unlocked(matter: Matter) -> None:
    """The consultation's records are locked while a generated report rests on them
    (`core.registry.matter_locks`; the assessments app contributes the rule)."""
    refused = matter_lock_refusal(matter)
    if refused:
        raise ActionError(refused)


def _require_qn_open(qn: Questionnaire) -> None:
    """A matter's questionnaire follows its matter's consultation (closed with its step,
    locked under a generated report); a system's questionnaire has neither."""
    if qn.matter_id is not None:
        require_consultation_open(qn.matter)
        _require_unlocked(qn.matter)


def _require_draft(qn: Questionnaire) -> None:
    if not qn.is_draft:
        raise ActionError(_("问卷已发布，题目和设置不能再修改（已收到的答卷须与题目一致）"))


def require_consultation_open(matter: Matter) -> None:
    """Questionnaires close when the consultation step is completed; only a send-back to
    that step opens them again, so the decided matter's figures cannot change."""
    if matter.consultation_finished:
        raise ActionError(
            _(
                "征求意见步骤已完成，问卷已随之结束，不能再发布问卷或录入答卷"
                "（如须补充征求意见，请先将评估退回到征求意见步骤）"
            )
        )


def _clean_groups(groups: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for g in groups:
        g = (g or "").strip()
        if g and g not in cleaned:
            cleaned.append(g[:60])
    if not cleaned:
        raise ActionError(_("请至少填写一个受访群体"), field="groups")
    return cleaned


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ActionError(_("请填写问卷标题"), field="title")
    return title


@transaction.atomic
def do_create_questionnaire(
    actor: Any,
    matter: Matter | None,
    *,
    system: Any = None,
    title: str,
    intro: str = "",
    groups: Sequence[str] | None = None,
    closes_at: dt.datetime | None = None,
    with_stance_question: bool = True,
    key: str = "",
) -> Questionnaire:
    """A draft questionnaire of a matter, or of an information system (`system`, with
    `matter` None: the survey of its administrators, 篇2 2.2)."""
    if (matter is None) == (system is None):
        raise ActionError(_("问卷须属于一个评估事项或一个信息系统"))
    owner = matter if matter is not None else system
    access.require(actor, owner, "change")
    if matter is not None:
        require_consultation_open(matter)
    qn = Questionnaire(
        matter=matter,
        system=system,
        department_id=owner.department_id,
        key=key[:60],
        title=_clean_title(title),
        intro=intro.strip(),
        closes_at=closes_at,
        created_by=actor,
    )
    if groups is not None:
        qn.groups = _clean_groups(groups)
    qn.save()
    record(
        actor, "opinions.questionnaire.create", qn, after=snapshot(qn, Questionnaire.audit_fields)
    )
    if with_stance_question:
        do_add_question(
            actor,
            qn,
            kind=QuestionKind.SINGLE,
            text=DEFAULT_STANCE_QUESTION,
            choices=[c for c, _s in DEFAULT_STANCE_CHOICES],
            stances=[str(s) for _c, s in DEFAULT_STANCE_CHOICES],
            is_stance=True,
        )
    return qn


def follow_owner_department(*, matter: Matter | None = None, system: Any = None) -> int:
    """The matter or system now belongs to another department: its questionnaires (which
    keep the department they are scoped through) follow. Call it inside the action that
    moves the owner. Returns how many questionnaires moved."""
    owner = matter if matter is not None else system
    rows = (
        Questionnaire.objects.filter(matter=matter)
        if matter
        else Questionnaire.objects.filter(system=system)
    )
    return rows.exclude(department_id=owner.department_id).update(department_id=owner.department_id)


@transaction.atomic
def do_update_questionnaire(
    actor: Any,
    qn: Questionnaire,
    *,
    version: int | None,
    title: str,
    intro: str,
    groups: Sequence[str],
    closes_at: dt.datetime | None,
) -> Questionnaire:
    access.require(actor, qn, "change")
    qn = lock(qn, version)
    _require_draft(qn)
    before = snapshot(qn, Questionnaire.audit_fields)
    qn.title = _clean_title(title)
    qn.intro = intro.strip()
    qn.groups = _clean_groups(groups)
    qn.closes_at = closes_at
    save_and_record(actor, "opinions.questionnaire.update", qn, before=before)
    return qn


def _clean_question(
    qn: Questionnaire,
    *,
    kind: str,
    text: str,
    choices: Sequence[str],
    stances: Sequence[str] | None,
    is_stance: bool,
    exclude_pk: int | None = None,
) -> tuple[str, list[str], list[str]]:
    text = (text or "").strip()
    if not text:
        raise ActionError(_("请填写题目"), field="text")
    if kind not in QuestionKind.values:
        raise ActionError(_("未知的题型"), field="kind")
    cleaned: list[str] = []
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        for c in choices:
            c = (c or "").strip()
            if c and c in cleaned:
                raise ActionError(_("选项“%(c)s”重复") % {"c": c}, field="choices")
            if c:
                cleaned.append(c[:100])
        if len(cleaned) < 2:
            raise ActionError(_("单选题和多选题至少需要两个选项"), field="choices")
    elif kind == QuestionKind.SCALE:
        # Optional: one label per score (e.g. the threat frequency scale's levels).
        labels = [(c or "").strip()[:100] for c in choices]
        if any(labels):
            if len(labels) != SCALE_MAX - SCALE_MIN + 1 or not all(labels):
                raise ActionError(
                    _("量表题的分值说明须为 %(n)s 项（每个分值一项），或不填")
                    % {"n": SCALE_MAX - SCALE_MIN + 1},
                    field="choices",
                )
            cleaned = labels
    stance_list: list[str] = []
    if is_stance:
        if kind != QuestionKind.SINGLE:
            raise ActionError(_("态度题必须是单选题"), field="kind")
        stance_list = [str(s) for s in (stances or [])]
        if len(stance_list) != len(cleaned) or any(s not in Stance.values for s in stance_list):
            raise ActionError(_("态度题的每个选项都要标明“支持”“中立”或“反对”"), field="choices")
        others = qn.questions.filter(is_stance=True)
        if exclude_pk is not None:
            others = others.exclude(pk=exclude_pk)
        if others.exists():
            raise ActionError(_("每份问卷只能有一道态度题"), field="is_stance")
    return text, cleaned, stance_list


@transaction.atomic
def do_add_question(
    actor: Any,
    qn: Questionnaire,
    *,
    kind: str,
    text: str,
    choices: Sequence[str] = (),
    stances: Sequence[str] | None = None,
    is_stance: bool = False,
    required: bool = True,
    order: int | None = None,
    key: str = "",
) -> Question:
    access.require(actor, qn, "change")
    qn = lock(qn)
    _require_draft(qn)
    text, cleaned, stance_list = _clean_question(
        qn, kind=kind, text=text, choices=choices, stances=stances, is_stance=is_stance
    )
    if order is None:
        order = (qn.questions.aggregate(m=Max("order"))["m"] or 0) + 1
    question = Question.objects.create(
        questionnaire=qn,
        order=order,
        kind=kind,
        text=text,
        choices=cleaned,
        stances=stance_list,
        is_stance=is_stance,
        required=required,
        key=key[:60],
    )
    bump(qn)
    record(
        actor, "opinions.question.add", question, after=snapshot(question, Question.audit_fields)
    )
    return question


@transaction.atomic
def do_update_question(
    actor: Any,
    question: Question,
    *,
    kind: str,
    text: str,
    choices: Sequence[str] = (),
    stances: Sequence[str] | None = None,
    is_stance: bool = False,
    required: bool = True,
    order: int | None = None,
    version: int | None = None,
) -> Question:
    access.require(actor, question, "change")
    qn = lock(question.questionnaire)
    _require_draft(qn)
    question = lock(question, version)
    before = snapshot(question, Question.audit_fields)
    text, cleaned, stance_list = _clean_question(
        qn,
        kind=kind,
        text=text,
        choices=choices,
        stances=stances,
        is_stance=is_stance,
        exclude_pk=question.pk,
    )
    question.kind, question.text, question.choices = kind, text, cleaned
    question.stances, question.is_stance, question.required = stance_list, is_stance, required
    if order is not None:
        question.order = order
    bump(qn)
    save_and_record(actor, "opinions.question.update", question, before=before)
    return question


@transaction.atomic
def do_remove_question(actor: Any, question: Question) -> None:
    access.require(actor, question, "change")
    qn = lock(question.questionnaire)
    _require_draft(qn)
    before = snapshot(question, Question.audit_fields)
    pk, label, path = question.pk, str(question), question.audit_scope_path
    question.delete()
    bump(qn)
    record(
        actor,
        "opinions.question.remove",
        None,
        object_type="opinions.question",
        object_id=str(pk),
        object_repr=label,
        scope_path=path,
        before=before,
    )


@transaction.atomic
def do_publish(actor: Any, qn: Questionnaire, *, version: int | None = None) -> Questionnaire:
    """Open the public link. 篇3 二(四): a matter involving state or commercial secrets or
    personal privacy is not put before the public."""
    access.require(actor, qn, "change")
    qn = lock(qn, version)
    if qn.matter_id is not None:
        _require_unlocked(qn.matter)
    if not qn.is_draft:
        raise ActionError(_("只有草稿状态的问卷可以发布"))
    if qn.matter_id is not None:
        require_consultation_open(qn.matter)
    if qn.matter_id is not None and qn.matter.confidential:
        raise ActionError(
            _("该事项涉及国家秘密、商业秘密或个人隐私，不得公开发布问卷（篇3 二(四)）")
        )
    if not qn.questions.exists():
        raise ActionError(_("问卷还没有题目，不能发布"))
    if qn.closes_at is None or qn.closes_at <= timezone.now():
        raise ActionError(_("请先设置晚于当前时间的截止时间"), field="closes_at")
    before = snapshot(qn, Questionnaire.audit_fields)
    qn.status = QuestionnaireStatus.PUBLISHED
    qn.published_at = timezone.now()
    save_and_record(actor, "opinions.questionnaire.publish", qn, before=before)
    return qn


@transaction.atomic
def do_close(actor: Any, qn: Questionnaire) -> Questionnaire:
    access.require(actor, qn, "change")
    qn = lock(qn)
    if qn.status != QuestionnaireStatus.PUBLISHED:
        raise ActionError(_("只有已发布的问卷可以结束"))
    before = snapshot(qn, Questionnaire.audit_fields)
    qn.status = QuestionnaireStatus.CLOSED
    qn.closed_at = timezone.now()
    save_and_record(actor, "opinions.questionnaire.close", qn, before=before)
    return qn


def close_expired(now: dt.datetime | None = None) -> int:
    """`fengping tick`: questionnaires past their deadline become 已结束, each with an
    audit event by the system (they already refuse answers; this makes the state say so)."""
    now = now or timezone.now()
    closed = 0
    expired = Questionnaire.objects.filter(status=QuestionnaireStatus.PUBLISHED, closes_at__lte=now)
    for pk in expired.values_list("pk", flat=True):
        with transaction.atomic():
            qn = lock(Questionnaire(pk=pk), related=("department",))
            if qn.status != QuestionnaireStatus.PUBLISHED:
                continue
            before = snapshot(qn, Questionnaire.audit_fields)
            qn.status, qn.closed_at = QuestionnaireStatus.CLOSED, now
            save_and_record(None, "opinions.questionnaire.expire", qn, before=before)
            closed += 1
    return closed


def close_consultation(actor: Any, matter: Matter) -> list[int]:
    """The consultation step of the matter's assessment is complete: every published
    questionnaire closes (marked as closed by the step) and the public page no longer
    lists the matter as open. Called inside the assessment's transaction."""
    now = timezone.now()
    closed: list[int] = []
    for qn in Questionnaire.objects.filter(
        matter=matter, status=QuestionnaireStatus.PUBLISHED
    ).select_for_update():
        qn.status, qn.closed_at, qn.closed_by_step = QuestionnaireStatus.CLOSED, now, True
        bump(qn, "status", "closed_at", "closed_by_step")
        closed.append(qn.pk)
    Matter.objects.filter(pk=matter.pk).update(consultation_closed_at=now)
    matter.consultation_closed_at = now
    record(
        actor,
        "opinions.consultation.close",
        matter,
        after={"closed_at": now.isoformat(), "questionnaires": closed},
    )
    return closed


def reopen_consultation(actor: Any, matter: Matter) -> list[int]:
    """A send-back reopened the consultation step: the questionnaires that step closed
    accept answers again until their own deadline (one past its deadline stays closed)."""
    now = timezone.now()
    reopened: list[int] = []
    for qn in Questionnaire.objects.filter(matter=matter, closed_by_step=True).select_for_update():
        if qn.closes_at is not None and qn.closes_at > now:
            qn.status, qn.closed_at = QuestionnaireStatus.PUBLISHED, None
            reopened.append(qn.pk)
        qn.closed_by_step = False
        bump(qn, "status", "closed_at", "closed_by_step")
    if matter.consultation_closed_at is None and not reopened:
        return reopened
    Matter.objects.filter(pk=matter.pk).update(consultation_closed_at=None)
    matter.consultation_closed_at = None
    record(actor, "opinions.consultation.reopen", matter, after={"questionnaires": reopened})
    return reopened


# ---------------------------------------------------------------- answers


@dataclass
class CleanAnswer:
    question: Question
    choices: list[int] = field(default_factory=list)
    scale: int | None = None
    text: str = ""

    @property
    def empty(self) -> bool:
        return not self.choices and self.scale is None and not self.text


def _as_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def clean_answers(
    questions: Sequence[Question], raw: Mapping[int, Any]
) -> tuple[list[CleanAnswer], dict[int | str, str]]:
    """Check every answer against its question. `raw` maps question id to: a choice index
    (single), a list of indexes (multiple), a number 1–5 (scale) or text. Returns the clean
    answers and, per question id, a message naming the question (第N题“…”)."""
    cleaned: list[CleanAnswer] = []
    errors: dict[int | str, str] = {}
    for number, q in enumerate(questions, start=1):
        value = raw.get(q.pk)
        answer = CleanAnswer(q)

        def fail(msg: str, q: Question = q, number: int = number) -> None:
            errors[q.pk] = _("第%(n)s题“%(q)s”：%(msg)s") % {"n": number, "q": q.text, "msg": msg}

        if q.kind == QuestionKind.SINGLE:
            if value not in (None, ""):
                index = _as_int(value)
                if index is None or not 0 <= index < len(q.choices):
                    fail(_("所选选项无效"))
                    continue
                answer.choices = [index]
        elif q.kind == QuestionKind.MULTIPLE:
            values = (
                value
                if isinstance(value, list | tuple)
                else ([] if value in (None, "") else [value])
            )
            indexes = [_as_int(v) for v in values]
            if any(i is None or not 0 <= i < len(q.choices) for i in indexes):
                fail(_("所选选项无效"))
                continue
            answer.choices = sorted({i for i in indexes if i is not None})
        elif q.kind == QuestionKind.SCALE:
            if value not in (None, ""):
                number_value = _as_int(value)
                if number_value is None or not SCALE_MIN <= number_value <= SCALE_MAX:
                    fail(_("请填写 %(a)s–%(b)s 之间的整数") % {"a": SCALE_MIN, "b": SCALE_MAX})
                    continue
                answer.scale = number_value
        else:
            answer.text = str(value or "").strip()
            if len(answer.text) > TEXT_MAX:
                fail(_("内容过长（最多 %(n)s 字）") % {"n": TEXT_MAX})
                continue
        if q.required and answer.empty:
            fail(_("此题为必答题"))
            continue
        cleaned.append(answer)
    return cleaned, errors


def _stance_of(answers: Sequence[CleanAnswer]) -> str:
    for a in answers:
        if a.question.is_stance and a.choices:
            return str(a.question.stances[a.choices[0]])
    return ""


def _check_group(qn: Questionnaire, group: str) -> str:
    group = (group or "").strip()
    if group not in qn.groups:
        raise ResponseInvalid({"group": _("请选择您所属的群体")})
    return group


def _save_responses(
    qn: Questionnaire, rows: Sequence[tuple[Response, Sequence[CleanAnswer]]]
) -> list[Response]:
    """Write responses with their answers and count them (`tallies.add`). The only way
    responses are written; the caller holds the questionnaire's row lock."""
    responses = Response.objects.bulk_create([r for r, _a in rows])
    answers: list[Answer] = []
    picks: list[tuple[Answer, CleanAnswer]] = []
    for response, (_r, clean) in zip(responses, rows, strict=True):
        for a in clean:
            if a.empty:
                continue
            row = Answer(
                response=response,
                question=a.question,
                choices=a.choices,
                scale=a.scale,
                text=a.text,
            )
            answers.append(row)
            picks.append((row, a))
    Answer.objects.bulk_create(answers)
    if qn.matter_id is not None:  # a system's survey has no matter's concerns to index
        keyword_index.queue_answers(qn.matter_id, answers)  # tokenised by the job worker
    choices = AnswerChoice.objects.bulk_create(
        AnswerChoice(answer=row, question=a.question, index=i)
        for row, a in picks
        for i in a.choices
    )
    # The statistics' counters, in the same transaction as the rows they count.
    tallies.add(responses, answers, choices)
    return responses


@transaction.atomic
def submit_public_response(
    questionnaire: Questionnaire,
    *,
    group: str,
    answers: Mapping[int, Any],
    browser_key: str,
    ip_hash: str = "",
) -> Response:
    """A member of the public answers (no user). One response per browser: a second
    submission with the same `browser_key` is refused and the first one is kept."""
    # The lock orders concurrent submissions to one questionnaire; the partial unique
    # constraint is the last word where the database ignores FOR UPDATE (SQLite).
    # A matter's questionnaire: the matter row is locked first, as the step that closes the
    # consultation does (no outer join may stand under FOR UPDATE on PostgreSQL).
    m = None
    if questionnaire.matter_id is not None:
        m = Matter.objects.select_for_update().get(pk=questionnaire.matter_id)
    qn = lock(questionnaire, related=("department",))
    closed = not qn.is_accepting
    if m is not None:
        qn.matter = m
        closed = closed or m.confidential or m.consultation_finished or bool(matter_lock_refusal(m))
    if closed:
        raise QuestionnaireClosed(_("该问卷已截止或已结束，不再接受提交。感谢您的关注！"))
    if not browser_key:
        raise ActionError(_("请允许浏览器保存 Cookie 后再提交"))
    already = _("您已提交过这份问卷（每个浏览器只能提交一次），原答卷已保存，感谢您的参与！")
    if Response.objects.filter(
        questionnaire=qn, channel=Channel.ONLINE, browser_key=browser_key
    ).exists():
        raise AlreadySubmitted(already)
    questions = list(qn.questions.all())
    errors: dict[int | str, str] = {}
    try:
        group = _check_group(qn, group)
    except ResponseInvalid as exc:
        errors.update(exc.errors)
    clean, answer_errors = clean_answers(questions, answers)
    errors.update(answer_errors)
    if errors:
        raise ResponseInvalid(errors)
    response = Response(
        questionnaire=qn,
        group=group,
        channel=Channel.ONLINE,
        browser_key=browser_key,
        ip_hash=ip_hash,
        stance=_stance_of(clean),
    )
    try:
        with transaction.atomic():
            (response,) = _save_responses(qn, [(response, clean)])
    except IntegrityError:
        raise AlreadySubmitted(already) from None
    record(
        None,
        "opinions.response.submit",
        response,
        after={"questionnaire": qn.pk, "channel": Channel.ONLINE, "group": group},
    )
    return response


# ---------------------------------------------------------------- paper import

SHEET = "答卷"
GROUP_HEADER = "受访群体"
_SPLIT = re.compile(r"[、,，;；/\s]+")


def column_title(number: int, question: Question) -> str:
    return f"第{number}题 {question.text}"


def _how_to_fill(q: Question) -> str:
    if q.kind == QuestionKind.SINGLE:
        return _("填写一个选项的文字或序号：") + "；".join(
            f"{i}. {c}" for i, c in enumerate(q.choices, 1)
        )
    if q.kind == QuestionKind.MULTIPLE:
        return _("填写一个或多个选项的文字或序号，用顿号分隔：") + "；".join(
            f"{i}. {c}" for i, c in enumerate(q.choices, 1)
        )
    if q.kind == QuestionKind.SCALE:
        return _("填写 %(a)s–%(b)s 之间的整数") % {"a": SCALE_MIN, "b": SCALE_MAX}
    return _("填写文字（最多 %(n)s 字）") % {"n": TEXT_MAX}


def _choice_index(q: Question, token: str) -> int | None:
    if token in q.choices:
        return q.choices.index(token)
    number = _as_int(token)
    if number is not None and 1 <= number <= len(q.choices):
        return number - 1
    return -1  # reported as an invalid choice by clean_answers


def _raw_from_cell(q: Question, text: str) -> Any:
    if not text:
        return None
    if q.kind == QuestionKind.SINGLE:
        return _choice_index(q, text)
    if q.kind == QuestionKind.MULTIPLE:
        return [_choice_index(q, t) for t in _SPLIT.split(text) if t]
    return text


class PaperImporter(Importer):
    """Paper questionnaires typed into the questionnaire's template (XLSX, or CSV saved
    from it): one row per paper, all rows or none. Each error names its row (as numbered
    in the spreadsheet) and the question."""

    title = gettext_lazy("纸质问卷")
    action = "opinions.paper_import"
    recorder = staticmethod(record)
    formats = ("xlsx", "csv")
    first_sheet_fallback = True
    # A stack of paper questionnaires, typed in: more is a mistake, and the final insert
    # (one transaction) stays a few seconds.
    max_rows = 10_000
    writes = (Response, Answer, AnswerChoice)

    def __init__(self, qn: Questionnaire) -> None:
        self.qn = qn
        self.questions = list(qn.questions.all())
        self.template_filename = f"fengping-questionnaire-{qn.pk}.xlsx"
        columns = [
            Column(
                GROUP_HEADER,
                _("填写以下之一：") + "、".join(qn.groups),
                required=True,
                key="group",
            )
        ]
        columns += [
            Column(
                column_title(n, q),
                (_("必答。") if q.required else _("选答。")) + _how_to_fill(q),
                key=f"q{q.pk}",
                pattern=rf"^第\s*{n}\s*题",
                must_exist=True,
            )
            for n, q in enumerate(self.questions, start=1)
        ]
        self.sheets = (Sheet(SHEET, tuple(columns)),)

    @classmethod
    def for_record(cls, record: Any) -> PaperImporter:
        return cls(Questionnaire.objects.get(pk=record.target_id))

    def authorize(self, actor: Any) -> None:
        access.require(actor, self.qn, "change")
        if self.qn.is_draft:
            raise ActionError(_("问卷尚未发布，题目可能还会修改，不能导入答卷"))
        _require_qn_open(self.qn)

    def scope_path(self, actor: Any) -> str:
        return str(self.qn.audit_scope_path)

    def target_id(self) -> int | None:
        return int(self.qn.pk)

    def audit_extra(self) -> dict[str, Any]:
        return {"questionnaire": self.qn.pk, "channel": Channel.PAPER}

    def clean(self, sheet: Sheet, number: int, values: dict[str, Any]) -> dict[str, Any]:
        problems: list[tuple[str, str]] = []
        group = values["group"]
        if group not in self.qn.groups:
            problems.append(
                (
                    GROUP_HEADER,
                    _("受访群体“%(g)s”无效，可选：%(all)s")
                    % {"g": group or "—", "all": "、".join(self.qn.groups)},
                )
            )
        raw = {q.pk: _raw_from_cell(q, values[f"q{q.pk}"]) for q in self.questions}
        clean, errors = clean_answers(self.questions, raw)
        titles = {q.pk: column_title(n, q) for n, q in enumerate(self.questions, start=1)}
        problems.extend((titles.get(k, ""), msg) for k, msg in errors.items())  # type: ignore[call-overload]
        if problems:
            raise RowInvalid(*problems)
        return {
            "group": group,
            "stance": _stance_of(clean),
            "answers": [
                {"q": a.question.pk, "choices": a.choices, "scale": a.scale, "text": a.text}
                for a in clean
                if not a.empty
            ],
        }

    def commit(self, actor: Any, rows: Iterable[CleanRow]) -> dict[str, int]:
        # Ordered with public submissions and `tallies.recount`, which lock it too.
        lock(self.qn)
        by_pk = {q.pk: q for q in self.questions}
        now = timezone.now()
        count = 0
        batch: list[tuple[Response, list[CleanAnswer]]] = []
        for row in rows:
            batch.append(
                (
                    Response(
                        questionnaire=self.qn,
                        group=row.data["group"],
                        channel=Channel.PAPER,
                        submitted_at=now,
                        stance=row.data["stance"],
                        entered_by=actor,
                    ),
                    [
                        CleanAnswer(by_pk[a["q"]], a["choices"], a["scale"], a["text"])
                        for a in row.data["answers"]
                    ],
                )
            )
            if len(batch) >= 1000:
                _save_responses(self.qn, batch)
                count += len(batch)
                batch = []
        if batch:
            _save_responses(self.qn, batch)
            count += len(batch)
        return {"responses": count}

    @classmethod
    def summary(cls, counts: dict[str, int]) -> str:
        return _("已导入纸质问卷 %(n)s 份。") % {"n": counts.get("responses", 0)}


def import_paper_responses(actor: Any, qn: Questionnaire, upload: Any) -> ImportRecord:
    """Import paper questionnaires from an uploaded file (see PaperImporter)."""
    return run_import(actor, PaperImporter(qn), upload)


# ---------------------------------------------------------------- activities


def _activity_groups(groups: Iterable[str]) -> list[str]:
    """The groups that took part (e.g. 直接利益群体); may be empty."""
    cleaned: list[str] = []
    for g in groups or ():
        g = (g or "").strip()[:60]
        if g and g not in cleaned:
            cleaned.append(g)
    return cleaned


@transaction.atomic
def do_record_activity(
    actor: Any,
    matter: Matter,
    *,
    kind: str,
    date: dt.date,
    place: str = "",
    participants: str = "",
    participant_count: int = 0,
    minutes: str = "",
    groups: Sequence[str] = (),
    uploads: Sequence[Any] = (),
    group: str = "",
    support_count: int = 0,
    oppose_count: int = 0,
    neutral_count: int = 0,
    undeclared_count: int = 0,
) -> Activity:
    """走访群众、抽样调查、媒体公示、听证会、座谈会、专家论证 (篇3 六(三)), or 征求上级主管部门
    意见 for a 重大复杂疑难事项 (篇3 六(四)). Work given to the lead and assisting
    departments too (`org.access`, need="work")."""
    access.require(actor, matter, "work")
    _require_unlocked(matter)
    if kind not in ActivityKind.values:
        raise ActionError(_("未知的征求意见形式"), field="kind")
    if date is None:
        raise ActionError(_("请填写日期"), field="date")
    if date > timezone.localdate():
        raise ActionError(_("日期不能晚于今天（请在活动开展后登记）"), field="date")
    if participant_count is None or participant_count < 0:
        raise ActionError(_("参加人数不能为负数"), field="participant_count")
    counts = {
        "support_count": support_count,
        "oppose_count": oppose_count,
        "neutral_count": neutral_count,
        "undeclared_count": undeclared_count,
    }
    for name, value in counts.items():
        if value is None or value < 0:
            raise ActionError(_("人数不能为负数"), field=name)
    stated = sum(counts.values())
    if stated and not participant_count:
        participant_count = stated
    if stated and stated != participant_count:
        # Each participant is counted once: 支持、反对、中立 or 未表态.
        raise ActionError(
            _("支持、反对、中立、未表态人数之和（%(s)s）应等于参加人数（%(n)s）")
            % {"s": stated, "n": participant_count},
            field="support_count",
        )
    groups = _activity_groups(groups)
    # The stance counts are counted under one group: the one named, else the first of the
    # groups that took part.
    group = (group or "").strip()[:60] or (groups[0] if groups else "")
    activity = Activity.objects.create(
        matter=matter,
        kind=kind,
        date=date,
        place=place.strip(),
        participants=participants.strip(),
        participant_count=participant_count,
        group=group,
        minutes=minutes.strip(),
        groups=groups,
        created_by=actor,
        **counts,
    )
    record(
        actor, "opinions.activity.record", activity, after=snapshot(activity, Activity.audit_fields)
    )
    for upload in uploads:
        do_add_attachment(actor, activity, upload)
    return activity


@transaction.atomic
def do_add_attachment(actor: Any, activity: Activity, upload: Any) -> Attachment:
    access.require(actor, activity, "work")
    _require_unlocked(activity.matter)
    return files.store(actor, Attachment, activity, upload, record=record)


# ---------------------------------------------------------------- comments


@transaction.atomic
def do_add_comment(
    actor: Any,
    matter: Matter,
    *,
    channel: str,
    content: str,
    author_name: str = "",
    author_group: str = "",
    is_query: bool = False,
    stance: str = "",
) -> Comment:
    access.require(actor, matter, "change")
    _require_unlocked(matter)
    if channel not in CommentChannel.values:
        raise ActionError(_("未知的意见渠道"), field="channel")
    stance = stance or ""
    if stance and stance not in Stance.values:
        raise ActionError(_("未知的态度"), field="stance")
    content = (content or "").strip()
    if not content:
        raise ActionError(_("请填写意见内容"), field="content")
    comment = Comment.objects.create(
        matter=matter,
        channel=channel,
        content=content,
        author_name=author_name.strip()[:60],
        author_group=author_group.strip()[:60],
        is_query=is_query,
        stance=stance,
        created_by=actor,
    )
    keyword_index.queue_comment(comment)  # tokenised by the job worker
    # The author's name stays out of the log (personal data); the group is enough.
    record(actor, "opinions.comment.add", comment, after=snapshot(comment, Comment.audit_fields))
    return comment


@transaction.atomic
def do_reply_comment(
    actor: Any, comment: Comment, *, reply: str, version: int | None = None
) -> Comment:
    """及时回复社会各界和群众的质疑 (篇3 六(三)): records who replied and when."""
    access.require(actor, comment, "change")
    comment = lock(comment, version)
    _require_unlocked(comment.matter)
    reply = (reply or "").strip()
    if not reply:
        raise ActionError(_("请填写回复内容"), field="reply")
    before = snapshot(comment, Comment.audit_fields)
    comment.reply = reply
    comment.replied_by = actor
    comment.replied_at = timezone.now()
    save_and_record(actor, "opinions.comment.reply", comment, before=before)
    return comment


@transaction.atomic
def do_mark_revision(
    actor: Any, comment: Comment, *, note: str, revised: bool = True, version: int | None = None
) -> Comment:
    """对拟做出的重大决策和重大项目进行修订完善: the comment changed the decision."""
    access.require(actor, comment, "change")
    comment = lock(comment, version)
    _require_unlocked(comment.matter)
    note = (note or "").strip()
    if revised and not note:
        raise ActionError(_("请说明据此作了哪些修订"), field="revision_note")
    before = snapshot(comment, Comment.audit_fields)
    comment.led_to_revision = revised
    comment.revision_note = note if revised else ""
    save_and_record(actor, "opinions.comment.revision", comment, before=before)
    return comment


@transaction.atomic
def do_set_comment_stance(
    actor: Any, comment: Comment, *, stance: str, version: int | None = None
) -> Comment:
    """The author's stance on the matter (支持/反对/中立, blank = 未表态): it counts in the
    majority rule as the 登记的意见 channel."""
    access.require(actor, comment, "change")
    comment = lock(comment, version)
    # The stance counts in the majority rule: it is locked with the report like the rest.
    _require_unlocked(comment.matter)
    stance = stance or ""
    if stance and stance not in Stance.values:
        raise ActionError(_("未知的态度"), field="stance")
    before = snapshot(comment, Comment.audit_fields)
    comment.stance = stance
    save_and_record(actor, "opinions.comment.stance", comment, before=before)
    return comment
