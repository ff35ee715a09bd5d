"""督促检查 · 数据看板: the figures of `supervision.dashboard` as ECharts charts, each bar
or slice opening the list behind it. Everyone signed in sees the figures of what they
may see (org.access); supervisors and administrators may refresh them."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.core.policy import authenticated
from fengping.org.policy import admin_or_supervisor

from .. import dashboard as db


@authenticated
def dashboard(request: HttpRequest) -> HttpResponse:
    f = db.parse_filters(request.user, request.GET.get("year"), request.GET.get("department"))
    data, at = db.figures(request.user, f)
    return render(
        request,
        "supervision/dashboard/index.html",
        {
            "charts": data["charts"],
            "chart_data": {"charts": data["charts"], "empty": _("暂无数据")},
            "computed_at": at,
            "filters": f,
            "years": db.year_options(request.user),
            "departments": db.visible_departments(request.user).values_list("pk", "name"),
            "can_refresh": db.can_refresh(request.user),
            "query": request.GET.urlencode(),
        },
    )


@admin_or_supervisor(gettext_lazy("只有系统管理员和督查人员可以刷新看板数据"))
@require_POST
def dashboard_refresh(request: HttpRequest) -> HttpResponse:
    db.refresh()
    messages.success(request, _("看板数据已重新统计"))
    back = reverse("supervision:dashboard")
    query = request.POST.get("query", "")
    target = f"{back}?{query}" if query else back
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = back
    return HttpResponseRedirect(target)


urlpatterns = [
    path("dashboard/", dashboard, name="dashboard"),
    path("dashboard/refresh/", dashboard_refresh, name="dashboard_refresh"),
]
