"""Pages of 征求意见: staff pages under a matter (scoped by org.access) and the public
pages (no login) where people answer a questionnaire."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db.models import Q, prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fengping.core import listing
from fengping.core.errors import ActionError
from fengping.core.files import file_response
from fengping.core.import_views import import_page, template_download
from fengping.core.pages import form_page, run_action, submit
from fengping.core.paging import paginate
from fengping.core.policy import authenticated, public
from fengping.core.registry import matter_lock_refusal
from fengping.core.text import clean_text
from fengping.matters.models import Matter
from fengping.org import access
from fengping.schemes.cite import cite

from . import actions, queries
from .forms import (
    ActivityForm,
    AttachmentForm,
    CommentForm,
    QuestionForm,
    QuestionnaireForm,
    ReplyForm,
    RevisionForm,
    StanceForm,
    lines,
    question_initial,
)
from .lists import ACTIVITIES, COMMENTS, RESPONSES
from .models import (
    Activity,
    ActivityKind,
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


def _matter(request: HttpRequest, pk: int, need: str = "view") -> Matter:
    return access.get_for_user(request.user, Matter.objects.select_related("department"), pk, need)  # type: ignore[arg-type]


def _questionnaire(request: HttpRequest, pk: int, need: str = "view") -> Questionnaire:
    return access.get_for_user(
        request.user,
        Questionnaire.objects.select_related("matter__department", "system", "department"),
        pk,
        need,  # type: ignore[arg-type]
    )


def _system_crumbs(system: Any, *more: tuple[str, str]) -> list[tuple[str, str]]:
    """信息系统 › the system (its 安全事件 tab: the threats' evidence) › …"""
    return [
        (_("信息系统"), reverse("infosec:systems")),
        (str(system)[:24], reverse("infosec:system", args=[system.pk])),
        *more,
    ]


def _qn_crumbs(qn: Questionnaire, *more: tuple[str, str]) -> list[tuple[str, str]]:
    """The crumbs of a questionnaire's pages: under its matter, or under its system."""
    if qn.matter_id is None:
        return _system_crumbs(qn.system, *more)
    return _crumbs(qn.matter, *more)


def _qn_context(qn: Questionnaire) -> dict[str, Any]:
    """`matter` (None for a system's questionnaire) and `system` for the templates."""
    return {"matter": qn.matter, "system": qn.system, "qn": qn}


def _crumbs(matter: Matter, *more: tuple[str, str]) -> list[tuple[str, str]]:
    """评估事项 › the matter › its 风险评估 (when there is one) › 征求意见 › …: the pages hang
    under the matter, and lead back to the assessment they serve."""
    crumbs = [
        (_("评估事项"), reverse("matters:list")),
        (matter.title[:24], reverse("matters:detail", args=[matter.pk])),
    ]
    assessment = matter.assessments.first()  # type: ignore[attr-defined]
    if assessment is not None:
        crumbs.append(
            (_("风险评估"), reverse("assessments:detail", args=[assessment.pk]) + "?tab=consult")
        )
    crumbs.append((_("征求意见"), reverse("opinions:matter", args=[matter.pk])))
    return [*crumbs, *more]


# ---------------------------------------------------------------- the matter's page


def _chart_data(summary: queries.OpinionSummary) -> dict[str, Any]:
    labels = dict(Stance.choices)
    return {
        "stance": [
            {"name": str(labels[Stance.SUPPORT]), "value": summary.support},
            {"name": str(labels[Stance.NEUTRAL]), "value": summary.neutral},
            {"name": str(labels[Stance.OPPOSE]), "value": summary.oppose},
        ],
        "groups": [g.group for g in summary.per_group],
        "series": [
            {"name": str(labels[Stance.SUPPORT]), "data": [g.support for g in summary.per_group]},
            {"name": str(labels[Stance.NEUTRAL]), "data": [g.neutral for g in summary.per_group]},
            {"name": str(labels[Stance.OPPOSE]), "data": [g.oppose for g in summary.per_group]},
            {
                "name": _("未表态"),
                "data": [g.respondents - g.with_stance for g in summary.per_group],
            },
        ],
    }


def _rights(request: HttpRequest, matter: Matter) -> dict[str, bool]:
    """What the user may do on the matter's 征求意见 pages: change (the 责任主体), the
    shared work (lead and assisting departments too) — neither while a generated report
    locks the consultation."""
    locked = bool(matter_lock_refusal(matter))
    return {
        "can_change": not locked and access.can(request.user, matter, "change"),
        "can_work": not locked and access.can(request.user, matter, "work"),
    }


@authenticated
def matter_opinions(request: HttpRequest, pk: int) -> HttpResponse:
    matter = _matter(request, pk)
    summary = queries.matter_opinion_summary(matter)
    kinds = dict(ActivityKind.choices)
    scheme = queries.matter_scheme(matter)
    return render(
        request,
        "opinions/matter.html",
        {
            "matter": matter,
            "summary": summary,
            "majority_breach": queries.majority_breach(matter, summary),
            "chart": _chart_data(summary),
            "questionnaires": queries.questionnaires_of(matter),
            "activity_counts": [(kinds[k], n) for k, n in summary.activities.items()],
            "keywords": queries.keyword_evidence(matter),
            # The passages of the matter's own scheme (篇1 or 篇3), never another's.
            "survey_rule": cite(scheme, "问卷调查", "抽样调查"),
            "superior_rule": cite(scheme, "上级主管部门"),
            "open_queries": matter.opinion_comments.filter(is_query=True, replied_at__isnull=True)[
                :5
            ],
            **_rights(request, matter),
            "tab": "summary",
        },
    )


# ---------------------------------------------------------------- questionnaires


def _groups_text(groups: list[str]) -> str:
    return "\n".join(groups)


@authenticated
def questionnaire_create(request: HttpRequest, pk: int) -> HttpResponse:
    matter = _matter(request, pk, "change")
    form = QuestionnaireForm(
        request.POST or None,
        initial={
            "title": _("关于“%(m)s”的意见征询问卷") % {"m": matter.title},
            "groups": _groups_text(Questionnaire._meta.get_field("groups").default()),
            "with_stance_question": True,
        },
    )
    form.fields.pop("version")
    if done := submit(
        request,
        form,
        lambda data: actions.do_create_questionnaire(
            request.user,
            matter,
            title=data["title"],
            intro=data["intro"],
            groups=lines(data["groups"]),
            closes_at=data["closes_at"],
            with_stance_question=data["with_stance_question"],
        ),
        then=lambda qn: reverse("opinions:questionnaire", args=[qn.pk]),
        success=_("已新建问卷，请继续添加题目"),
    ):
        return done
    return form_page(
        request,
        form,
        _("新建调查问卷"),
        _crumbs(matter),
        reverse("opinions:matter", args=[matter.pk]),
    )


@authenticated
def questionnaire_detail(request: HttpRequest, pk: int) -> HttpResponse:
    qn = _questionnaire(request, pk)
    responses, stats = queries.questionnaire_stats(qn)
    return render(
        request,
        "opinions/questionnaire.html",
        {
            **_qn_context(qn),
            "stats": stats,
            "responses": responses,
            "public_url": request.build_absolute_uri(
                reverse("opinions:public_form", args=[qn.token])
            ),
            "can_change": access.can(request.user, qn, "change"),
            "tab": "questionnaires",
        },
    )


@authenticated
def questionnaire_edit(request: HttpRequest, pk: int) -> HttpResponse:
    qn = _questionnaire(request, pk, "change")
    form = QuestionnaireForm(
        request.POST or None,
        initial={
            "title": qn.title,
            "intro": qn.intro,
            "groups": _groups_text(qn.groups),
            "closes_at": timezone.localtime(qn.closes_at) if qn.closes_at else None,
            "version": qn.version,
        },
    )
    form.fields.pop("with_stance_question")
    back = reverse("opinions:questionnaire", args=[qn.pk])
    if done := submit(
        request,
        form,
        lambda data: actions.do_update_questionnaire(
            request.user,
            qn,
            version=data["version"],
            title=data["title"],
            intro=data["intro"],
            groups=lines(data["groups"]),
            closes_at=data["closes_at"],
        ),
        then=back,
        success=_("已保存"),
    ):
        return done
    return form_page(request, form, _("编辑问卷"), _qn_crumbs(qn, (qn.title, back)), back)


def _question_page(
    request: HttpRequest, qn: Questionnaire, question: Question | None
) -> HttpResponse:
    initial = (
        question_initial(question) if question else {"kind": QuestionKind.SINGLE, "required": True}
    )
    form = QuestionForm(request.POST or None, initial=initial)

    def save(data: dict[str, Any]) -> None:
        fields = {
            "kind": data["kind"],
            "text": data["text"],
            "choices": data["choice_list"],
            "stances": data["stance_list"],
            "is_stance": data["is_stance"],
            "required": data["required"],
            "order": data["order"],
        }
        if question is None:
            actions.do_add_question(request.user, qn, **fields)
        else:
            actions.do_update_question(request.user, question, version=data["version"], **fields)

    back = reverse("opinions:questionnaire", args=[qn.pk])
    if done := submit(request, form, save, then=back, success=_("已保存题目")):
        return done
    title = _("添加题目") if question is None else _("编辑题目")
    return form_page(request, form, title, _qn_crumbs(qn, (qn.title, back)), back)


@authenticated
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _question_page(request, _questionnaire(request, pk, "change"), None)


@authenticated
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = access.get_for_user(
        request.user,
        Question.objects.select_related(
            "questionnaire__matter__department", "questionnaire__system"
        ),
        pk,
        "change",
    )
    return _question_page(request, question.questionnaire, question)


@authenticated
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    question = access.get_for_user(
        request.user,
        Question.objects.select_related(
            "questionnaire__matter__department", "questionnaire__system"
        ),
        pk,
        "change",
    )
    qn = question.questionnaire
    back = reverse("opinions:questionnaire", args=[qn.pk])
    if request.method == "POST":
        return run_action(
            request,
            lambda: actions.do_remove_question(request.user, question),
            then=back,
            success=_("已删除题目"),
        )
    return render(
        request,
        "core/confirm.html",
        {
            "title": _("删除题目"),
            "crumbs": _qn_crumbs(qn, (qn.title, back)),
            "question": _("确定删除题目“%(q)s”吗？") % {"q": question.text},
            "consequence": _("只有草稿状态的问卷可以删除题目；删除操作会记入审计日志。"),
            "cancel_url": back,
        },
    )


@authenticated
@require_POST
def questionnaire_publish(request: HttpRequest, pk: int) -> HttpResponse:
    qn = _questionnaire(request, pk, "change")
    return run_action(
        request,
        lambda: actions.do_publish(request.user, qn),
        then=reverse("opinions:questionnaire", args=[qn.pk]),
        success=_("问卷已发布，公众可通过链接填写"),
    )


@authenticated
@require_POST
def questionnaire_close(request: HttpRequest, pk: int) -> HttpResponse:
    qn = _questionnaire(request, pk, "change")
    return run_action(
        request,
        lambda: actions.do_close(request.user, qn),
        then=reverse("opinions:questionnaire", args=[qn.pk]),
        success=_("问卷已结束，不再接受提交"),
    )


@authenticated
def responses(request: HttpRequest, pk: int) -> HttpResponse:
    qn = _questionnaire(request, pk)
    context = {**_qn_context(qn), "tab": "questionnaires"}
    return listing.render_list(request, RESPONSES, qn, context=context)


@authenticated
def responses_export(request: HttpRequest, pk: int) -> HttpResponse:
    return listing.export(request, RESPONSES, _questionnaire(request, pk))


@authenticated
def import_paper(request: HttpRequest, pk: int) -> HttpResponse:
    qn = _questionnaire(request, pk, "change")
    return import_page(
        request,
        actions.PaperImporter(qn),
        crumbs=_qn_crumbs(qn, (qn.title, reverse("opinions:questionnaire", args=[qn.pk]))),
        template_url=reverse("opinions:import_template", args=[qn.pk]),
        heading=_("导入纸质问卷：%(t)s") % {"t": qn.title},
        note=_(
            "每行一份纸质问卷。单选题填写选项文字或序号；多选题用顿号分隔；量表题填写 1–5；文字题照录原文。"
        ),
    )


@authenticated
def import_template(request: HttpRequest, pk: int) -> HttpResponse:
    qn = _questionnaire(request, pk)
    return template_download(actions.PaperImporter(qn))


# ---------------------------------------------------------------- activities


def _matter_list(request: HttpRequest, pk: int, spec: Any, tab: str) -> HttpResponse:
    """A list of one matter's records (activities, comments) under its 征求意见 tabs."""
    matter = _matter(request, pk)
    context = {
        "matter": matter,
        **_rights(request, matter),
        "tab": tab,
    }
    return listing.render_list(request, spec, matter, context=context)


@authenticated
def activities(request: HttpRequest, pk: int) -> HttpResponse:
    return _matter_list(request, pk, ACTIVITIES, "activities")


@authenticated
def activities_export(request: HttpRequest, pk: int) -> HttpResponse:
    return listing.export(request, ACTIVITIES, _matter(request, pk))


@authenticated
def activity_create(request: HttpRequest, pk: int) -> HttpResponse:
    matter = _matter(request, pk, "work")
    form = ActivityForm(
        request.POST or None,
        request.FILES or None,
        initial={
            "kind": request.GET.get("kind", ActivityKind.SYMPOSIUM),
            "date": timezone.localdate(),
        },
    )
    if done := submit(
        request,
        form,
        lambda data: actions.do_record_activity(
            request.user,
            matter,
            kind=data["kind"],
            date=data["date"],
            place=data["place"],
            participants=data["participants"],
            participant_count=data["participant_count"],
            group=data["group"],
            support_count=data["support_count"],
            oppose_count=data["oppose_count"],
            neutral_count=data["neutral_count"],
            undeclared_count=data["undeclared_count"],
            minutes=data["minutes"],
            groups=data["groups"],
            uploads=[data["attachment"]] if data["attachment"] else [],
        ),
        then=lambda activity: reverse("opinions:activity", args=[activity.pk]),
        success=lambda activity: _("已登记%(k)s") % {"k": activity.get_kind_display()},
    ):
        return done
    back = reverse("opinions:activities", args=[matter.pk])
    return form_page(
        request,
        form,
        _("登记征求意见活动"),
        _crumbs(matter, (_("征求意见活动"), back)),
        back,
        intro=_(
            "走访群众、抽样调查、媒体公示、召开听证会、与利益相关方座谈、组织专家分析论证；"
            "重大复杂疑难事项还应征求上级主管部门的意见和建议。"
        ),
    )


@authenticated
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = access.get_for_user(
        request.user, Activity.objects.select_related("matter__department", "created_by"), pk
    )
    can_change = _rights(request, activity.matter)["can_work"]
    return render(
        request,
        "opinions/activity.html",
        {
            "matter": activity.matter,
            "activity": activity,
            "attachments": activity.attachments.select_related("uploaded_by"),
            "form": AttachmentForm() if can_change else None,
            "can_change": can_change,
            "tab": "activities",
        },
    )


@authenticated
@require_POST
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    activity = access.get_for_user(request.user, Activity, pk, "work")
    form = AttachmentForm(request.POST, request.FILES)
    back = reverse("opinions:activity", args=[activity.pk])
    if not form.is_valid():
        messages.error(request, _("请选择要上传的文件"))
        return redirect(back)
    return run_action(
        request,
        lambda: actions.do_add_attachment(request.user, activity, form.cleaned_data["file"]),
        then=back,
        success=_("已上传附件"),
    )


@authenticated
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    return file_response(access.get_for_user(request.user, Attachment, pk))


# ---------------------------------------------------------------- comments


@authenticated
def comments(request: HttpRequest, pk: int) -> HttpResponse:
    return _matter_list(request, pk, COMMENTS, "comments")


@authenticated
def comments_export(request: HttpRequest, pk: int) -> HttpResponse:
    return listing.export(request, COMMENTS, _matter(request, pk))


@authenticated
def comment_create(request: HttpRequest, pk: int) -> HttpResponse:
    matter = _matter(request, pk, "change")
    form = CommentForm(request.POST or None, initial={"channel": CommentChannel.LETTER})
    back = reverse("opinions:comments", args=[matter.pk])
    if done := submit(
        request,
        form,
        lambda data: actions.do_add_comment(
            request.user,
            matter,
            channel=data["channel"],
            content=data["content"],
            author_name=data["author_name"],
            author_group=data["author_group"],
            is_query=data["is_query"],
            stance=data["stance"],
        ),
        then=back,
        success=_("已登记意见"),
    ):
        return done
    return form_page(request, form, _("登记意见"), _crumbs(matter, (_("意见与回复"), back)), back)


def _comment(request: HttpRequest, pk: int) -> Comment:
    return access.get_for_user(
        request.user, Comment.objects.select_related("matter__department"), pk, "change"
    )


@authenticated
def comment_reply(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _comment(request, pk)
    form = ReplyForm(
        request.POST or None, initial={"reply": comment.reply, "version": comment.version}
    )
    back = reverse("opinions:comments", args=[comment.matter_id])
    if done := submit(
        request,
        form,
        lambda data: actions.do_reply_comment(
            request.user, comment, reply=data["reply"], version=data["version"]
        ),
        then=lambda _none: request.POST["next"] if _safe_next(request) else back,
        success=_("已回复"),
    ):
        return done
    return form_page(
        request,
        form,
        _("回复意见"),
        _crumbs(comment.matter, (_("意见与回复"), back)),
        back,
        intro=comment.content,
    )


@authenticated
def comment_revision(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _comment(request, pk)
    form = RevisionForm(
        request.POST or None,
        initial={"revision_note": comment.revision_note, "version": comment.version},
    )
    back = reverse("opinions:comments", args=[comment.matter_id])
    if done := submit(
        request,
        form,
        lambda data: actions.do_mark_revision(
            request.user, comment, note=data["revision_note"], version=data["version"]
        ),
        then=back,
        success=_("已记录据此意见作出的修订"),
    ):
        return done
    return form_page(
        request,
        form,
        _("记录修订完善"),
        _crumbs(comment.matter, (_("意见与回复"), back)),
        back,
        intro=comment.content,
    )


@authenticated
def comment_stance(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _comment(request, pk)
    form = StanceForm(
        request.POST or None, initial={"stance": comment.stance, "version": comment.version}
    )
    back = reverse("opinions:comments", args=[comment.matter_id])
    if done := submit(
        request,
        form,
        lambda data: actions.do_set_comment_stance(
            request.user, comment, stance=data["stance"], version=data["version"]
        ),
        then=back,
        success=_("已登记意见的态度"),
    ):
        return done
    return form_page(
        request,
        form,
        _("登记意见的态度"),
        _crumbs(comment.matter, (_("意见与回复"), back)),
        back,
        intro=comment.content,
    )


def _safe_next(request: HttpRequest) -> bool:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    return bool(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    )


# ---------------------------------------------------------------- public pages

COOKIE = "fengping_respondent"
COOKIE_AGE = 2 * 365 * 24 * 3600
THROTTLE_WINDOW = 600


def _ip_hash(request: HttpRequest) -> str:
    # Keyed with the secret so the stored value cannot be reversed by hashing every IPv4
    # address. REMOTE_ADDR is the client's behind FENGPING_TRUSTED_PROXIES
    # (core.middleware.ClientAddressMiddleware), the proxy's without the setting.
    address = request.META.get("REMOTE_ADDR", "")
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()


def _browser_cookie(request: HttpRequest) -> tuple[str, bool]:
    """(cookie value, is new): a random value the browser keeps for two years."""
    value = request.COOKIES.get(COOKIE, "")
    if 20 <= len(value) <= 100:
        return value, False
    return secrets.token_urlsafe(32), True


def _browser_key(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _set_cookie(response: HttpResponse, value: str) -> HttpResponse:
    response.set_cookie(
        COOKIE,
        value,
        max_age=COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


def _throttled(ip_hash: str) -> bool:
    """Fixed ten-minute windows per address hash, counted in the cache (see settings)."""
    key = f"opinions:submit:{ip_hash}:{int(time.time() // THROTTLE_WINDOW)}"
    if cache.add(key, 1, timeout=THROTTLE_WINDOW):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=THROTTLE_WINDOW)
            count = 1
    return count > settings.FENGPING_PUBLIC_SUBMIT_LIMIT


def _public_questionnaire(token: str) -> Questionnaire:
    qn = (
        Questionnaire.objects.select_related("matter", "system")
        .filter(token=token)
        .filter(Q(matter__isnull=True) | Q(matter__confidential=False))
        .exclude(status=QuestionnaireStatus.DRAFT)
        .first()
    )
    if qn is None:
        raise Http404(_("问卷不存在"))
    return qn


def _raw_answers(request: HttpRequest, questions: list[Question]) -> dict[int, Any]:
    raw: dict[int, Any] = {}
    for q in questions:
        name = f"q{q.pk}"
        if q.kind == QuestionKind.MULTIPLE:
            raw[q.pk] = request.POST.getlist(name)
        else:
            value = request.POST.get(name)
            # The public form is no StyledForm: keep control characters out here too.
            raw[q.pk] = clean_text(value, multiline=True) if value is not None else None
    return raw


@public
def public_index(request: HttpRequest) -> HttpResponse:
    page = paginate(
        request, queries.public_matters().order_by("consultation_until", "-created_at", "-id"), 20
    )
    matters = list(page.object_list)
    by_matter: dict[int, list[Questionnaire]] = {}
    for qn in queries.public_questionnaires(matters):
        by_matter.setdefault(qn.matter_id, []).append(qn)
    items = [(m, by_matter.get(m.pk, [])) for m in matters]
    return render(request, "opinions/public_index.html", {"page": page, "items": items, "qs": ""})


@public
def public_decisions(request: HttpRequest) -> HttpResponse:
    """篇3 二(四) 公开评估: decided, non-confidential matters with the decision, its 文号
    and date, the consultation's figures and how the public's concerns were answered."""
    page = paginate(request, queries.public_decided_matters(), 20)
    matters = list(page.object_list)
    prefetch_related_objects(matters, "decisions")
    figures = queries.public_figures(matters)
    answers = queries.public_answers(matters)
    items = [
        {
            "matter": m,
            "decisions": sorted(m.decisions.all(), key=lambda d: (d.decided_on, d.pk)),  # type: ignore[attr-defined]
            "figures": figures[m.pk],
            "answers": answers.get(m.pk, []),
        }
        for m in matters
    ]
    return render(
        request, "opinions/public_decisions.html", {"page": page, "items": items, "qs": ""}
    )


@public
def public_form(request: HttpRequest, token: str) -> HttpResponse:
    qn = _public_questionnaire(token)
    cookie, new = _browser_cookie(request)
    context: dict[str, Any] = _qn_context(qn)
    if not qn.is_accepting:
        return render(request, "opinions/public_closed.html", context, status=410)
    questions = list(qn.questions.all())
    key = _browser_key(cookie)
    if request.method == "POST":
        ip_hash = _ip_hash(request)
        if _throttled(ip_hash):
            context["message"] = _("提交过于频繁，请十分钟后再试。")
            return _set_cookie(
                render(request, "opinions/public_message.html", context, status=429), cookie
            )
        try:
            actions.submit_public_response(
                qn,
                group=request.POST.get("group", ""),
                answers=_raw_answers(request, questions),
                browser_key=key,
                ip_hash=ip_hash,
            )
        except actions.QuestionnaireClosed:
            return render(request, "opinions/public_closed.html", context, status=410)
        except actions.AlreadySubmitted as exc:
            context["message"] = exc.message
            return _set_cookie(
                render(request, "opinions/public_message.html", context, status=409), cookie
            )
        except actions.ResponseInvalid as exc:
            # Re-shown with the errors at 200, as Django forms do (a 4xx page is logged as
            # an error in the browser console).
            context["errors"] = exc.errors
        except ActionError as exc:
            context["errors"] = {"form": exc.message}
        else:
            return _set_cookie(redirect("opinions:public_thanks", qn.token), cookie)
    elif Response.objects.filter(
        questionnaire=qn, channel=Channel.ONLINE, browser_key=key
    ).exists():
        context["message"] = _("您已提交过这份问卷，感谢您的参与！")
        return render(request, "opinions/public_message.html", context)
    errors = context.get("errors", {})
    context["questions"] = [
        {
            "q": q,
            "number": n,
            "error": errors.get(q.pk, ""),
            "value": request.POST.getlist(f"q{q.pk}") if request.method == "POST" else [],
        }
        for n, q in enumerate(questions, start=1)
    ]
    context["group"] = request.POST.get("group", "")
    context["group_error"] = errors.get("group", "")
    context["form_error"] = errors.get("form", "")
    context["scale"] = [str(v) for v in range(1, 6)]
    response = render(request, "opinions/public_form.html", context)
    return _set_cookie(response, cookie) if new or request.method == "POST" else response


@public
def public_thanks(request: HttpRequest, token: str) -> HttpResponse:
    qn = _public_questionnaire(token)
    return render(request, "opinions/public_thanks.html", _qn_context(qn))
