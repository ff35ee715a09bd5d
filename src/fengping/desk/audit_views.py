"""The audit log pages: the 审计管理员 reads the events of their subtree and the
system-wide ones, supervisors those of their organisation; nobody can change them. The
系统管理员 reads none (三员分立: they are among the people the log watches)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import messages
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.audit import checks, labels
from fengping.audit.chain import head
from fengping.audit.models import Event
from fengping.core import listing
from fengping.core.listing import ChoiceFilter, Column, DateRangeFilter, ListSpec, SearchFilter
from fengping.core.pages import run_action
from fengping.org import access
from fengping.org.models import Role, User
from fengping.org.policy import audit_admin, audit_reader

from .audit_actions import do_verify_chain, inline_limit


def visible_events(user: Any) -> QuerySet[Event]:
    """Events whose object lies in a department where the user is 审计管理员 (and the
    system-wide events: those with no department, e.g. a failed login of an unknown user
    name or a policy change), or in the organisation a supervisor supervises."""
    scope = access.scope_of(user)
    if scope.everything:
        return Event.objects.all()
    audited = scope.role_paths.get(Role.AUDIT_ADMIN, frozenset())
    paths = set(audited)
    paths |= {p.split("/", 1)[0] + "/" for p in scope.role_paths.get(Role.SUPERVISOR, frozenset())}
    if not paths:
        return Event.objects.none()
    q = Q(scope_path="") if audited else Q()
    for path in paths:
        q |= Q(scope_path__startswith=path)
    return Event.objects.filter(q)


reader = audit_reader(gettext_lazy("只有审计管理员和督查人员可以查看审计日志"))
verifier = audit_admin(gettext_lazy("只有审计管理员可以校验审计链"))


def _events(user: Any) -> QuerySet[Event]:
    """The visible events with the actor's real name as it is now (one subquery per row
    shown, so the page's query count stays constant)."""
    real_name = User.objects.filter(pk=OuterRef("actor_id")).values("real_name")[:1]
    return visible_events(user).annotate(actor_real_name=Subquery(real_name))


def action_options(ctx: listing.Context | None = None) -> list[tuple[str, str]]:
    """Every registered action, as “中文标签 (code)”, in the order of their labels."""
    rows = [(code, labels.label(code)) for code in labels.known()]
    return [(code, f"{name} ({code})") for code, name in sorted(rows, key=lambda r: (r[1], r[0]))]


def object_type_options(ctx: listing.Context | None = None) -> list[tuple[str, str]]:
    """The models of the project (what `record` stores as the object type)."""
    rows = [
        (m._meta.label_lower, str(m._meta.verbose_name))
        for m in apps.get_models()
        if m.__module__.startswith("fengping.")
    ]
    return [(code, f"{name} ({code})") for code, name in sorted(rows, key=lambda r: r[0])]


def _by_actor(qs: QuerySet[Event], value: str, values: Any) -> QuerySet[Event]:
    """A username (exactly) or a real name (any part of it); the stored username too, for
    an account deleted since. The matching accounts are read first (at most 200), so the
    list query stays on the (actor_id, seq) index."""
    ids = list(
        User.objects.filter(Q(username=value) | Q(real_name__icontains=value)).values_list(
            "pk", flat=True
        )[:200]
    )
    return qs.filter(Q(actor_id__in=ids) | Q(actor_name=value))


def _actor(e: Event) -> str:
    real = getattr(e, "actor_real_name", None)
    if real and real != e.actor_name:
        return f"{real}（{e.actor_name}）"
    return e.actor_name or "system"


EVENTS = ListSpec(
    name="audit",
    title=gettext_lazy("审计日志"),
    queryset=_events,
    order=("-seq",),
    keyset=True,
    filters=(
        ChoiceFilter(
            "action", gettext_lazy("操作"), action_options, all_label=gettext_lazy("全部操作")
        ),
        ChoiceFilter(
            "type",
            gettext_lazy("对象类型"),
            object_type_options,
            field="object_type",
            all_label=gettext_lazy("全部对象类型"),
        ),
        SearchFilter(
            "object_id",
            gettext_lazy("对象编号"),
            ("object_id",),
            lookup="exact",
            placeholder=gettext_lazy("对象编号"),
        ),
        SearchFilter(
            "actor",
            gettext_lazy("操作人"),
            ("actor_name",),
            placeholder=gettext_lazy("用户名或姓名"),
        ),
        SearchFilter("object", gettext_lazy("对象"), ("object_repr",)),
        DateRangeFilter("at", gettext_lazy("时间"), field="at__date"),
    ),
    columns=(
        Column(
            gettext_lazy("序号"),
            lambda e: e.seq,
            html=lambda e: listing.link(reverse("audit:event", args=[e.seq]), f"#{e.seq}"),
        ),
        Column(
            gettext_lazy("时间"),
            lambda e: e.at,
            html=lambda e: date_format(localtime(e.at), "Y年n月j日 H:i:s"),
            css="text-nowrap text-secondary",
        ),
        Column(gettext_lazy("操作人"), _actor),
        Column(gettext_lazy("操作人用户名"), lambda e: e.actor_name, page=False),
        Column(
            gettext_lazy("操作"),
            lambda e: e.action_label,
            html=lambda e: format_html(
                '{} <code class="small text-secondary">{}</code>', e.action_label, e.action
            ),
        ),
        Column(gettext_lazy("操作代码"), lambda e: e.action, page=False),
        Column(gettext_lazy("对象类型"), lambda e: e.object_type, page=False),
        Column(gettext_lazy("对象编号"), lambda e: e.object_id, page=False),
        Column(
            gettext_lazy("对象"),
            lambda e: e.object_repr,
            html=lambda e: Truncator(e.object_repr).chars(50),
        ),
        Column(
            gettext_lazy("哈希"),
            lambda e: e.hash,
            html=lambda e: format_html('<code class="small">{}</code>', e.hash[:12]),
        ),
    ),
    empty_title=gettext_lazy("没有符合条件的审计事件"),
    page_template="audit/events.html",
    export_url=lambda: reverse("audit:export"),
)
# A SearchFilter parses the text; the actor's is matched against accounts as well.
EVENTS.filters[3]._apply = _by_actor


def chain_status() -> dict[str, Any]:
    """What the top of the audit log says about the chain: the last verification (by the
    daily job or an administrator), one still queued, and the head."""
    seq, digest = head()
    return {
        "last": checks.last_check(),
        "pending": checks.pending_check(),
        "head_seq": seq,
        "head_hash": digest,
        "inline": seq <= inline_limit(),
    }


@reader
def events(request: HttpRequest) -> HttpResponse:
    context = {
        "chain": chain_status(),
        "can_verify": access.is_audit_admin(request.user),
        "can_bundle": access.is_audit_admin(request.user),
    }
    return listing.render_list(request, EVENTS, context=context)


@verifier
@require_POST
def verify(request: HttpRequest) -> HttpResponse:
    def then(check: Any) -> str:
        if check.ok is None:
            messages.info(
                request, _("审计事件较多，校验已交由后台任务执行，完成后刷新本页查看结果")
            )
        elif check.ok:
            messages.success(request, _("审计链完好：已校验 %(n)s 个事件") % {"n": check.checked})
        else:
            messages.error(
                request,
                _("审计链已断裂：事件 #%(seq)s 起不符（已校验 %(n)s 个事件）")
                % {"seq": check.broken_seq, "n": check.checked},
            )
        return reverse("audit:events")

    return run_action(request, lambda: do_verify_chain(request.user), then=then)


@reader
def events_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, EVENTS)


@reader
def event(request: HttpRequest, seq: int) -> HttpResponse:
    found = visible_events(request.user).filter(seq=seq).first()
    if found is None:
        raise Http404(_("对象不存在或无权访问"))
    before, after = found.before or {}, found.after or {}
    keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
    rows = [
        (key, before.get(key, "—"), after.get(key, "—"), before.get(key) != after.get(key))
        for key in keys
    ]
    return render(request, "audit/event.html", {"event": found, "rows": rows})
