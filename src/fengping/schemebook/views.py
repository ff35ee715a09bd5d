"""Pages of the 评估方案 section. Schemes are organisation-wide reference data: every
logged-in user reads them; only organisation administrators upload or withdraw one."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.core.errors import ActionError
from fengping.core.pages import run_action, submit
from fengping.core.policy import authenticated
from fengping.org import access
from fengping.org.policy import org_admin

from . import actions, registry
from .forms import UploadForm
from .models import UploadedScheme
from .present import KIND_LABELS, ORIGIN_LABELS, scheme_context


def _entry_or_404(key: str) -> registry.Entry:
    try:
        return registry.entry(key)
    except LookupError:
        raise Http404(_("评估方案不存在")) from None


@authenticated
def scheme_list(request: HttpRequest) -> HttpResponse:
    entries, problems = registry.scan()
    is_admin = access.is_org_admin(request.user)
    rows = [
        {
            "e": e,
            "kind": KIND_LABELS[e.scheme.kind],
            "origin": ORIGIN_LABELS[e.origin],
            "dimensions": len(e.scheme.dimensions),
            "grades": len(e.scheme.grades),
            "steps": len(e.scheme.procedure.steps),
        }
        for e in entries
    ]
    context: dict[str, Any] = {"rows": rows, "is_admin": is_admin}
    if is_admin:
        # File names and validation details are for the people who can fix them.
        context["problems"] = problems
        context["inactive"] = UploadedScheme.objects.filter(is_active=False).select_related(
            "uploaded_by"
        )
        context["drop_dir"] = registry.drop_dir()
    return render(request, "schemebook/list.html", context)


@authenticated
def scheme_detail(request: HttpRequest, key: str) -> HttpResponse:
    entry = _entry_or_404(key)
    context = scheme_context(entry.scheme)
    context.update(
        {
            "entry": entry,
            "origin_label": ORIGIN_LABELS[entry.origin],
            "is_admin": access.is_org_admin(request.user),
        }
    )
    return render(request, "schemebook/detail.html", context)


@authenticated
def scheme_download(request: HttpRequest, key: str) -> HttpResponse:
    entry = _entry_or_404(key)
    response = HttpResponse(entry.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{entry.key}.yaml"'
    response["X-Scheme-Version"] = entry.scheme.version
    return response


def _read_upload(request: HttpRequest, form: UploadForm) -> tuple[str, str]:
    """(file name, text) from the form; ActionError for a wrong type, size or encoding."""
    upload = form.cleaned_data.get("file")
    if not upload:
        return _("粘贴的内容"), form.cleaned_data["text"]
    return actions.read_scheme_file(request.user, upload)


def _uploaded(row: UploadedScheme) -> str:
    if row.previous_version:
        return _("已更新方案“%(name)s”：版本 %(old)s → %(new)s") % {
            "name": row.name,
            "old": row.previous_version,
            "new": row.version,
        }
    return _("已上传方案“%(name)s”，版本 %(v)s") % {"name": row.name, "v": row.version}


@org_admin(gettext_lazy("只有系统管理员可以上传评估方案"))
def scheme_upload(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = UploadForm(request.POST if posted else None, request.FILES if posted else None)
    issues: list[Any] = []
    filename = ""

    def upload(_data: dict[str, Any]) -> UploadedScheme:
        nonlocal filename
        filename, text = _read_upload(request, form)
        try:
            return actions.do_upload_scheme(request.user, filename, text)
        except actions.SchemeUploadError as exc:
            # Every problem is listed under the form; the form itself says how many.
            issues.extend(exc.issues)
            raise ActionError(
                _("方案文件有 %(n)s 处错误，未保存。") % {"n": len(exc.issues)}
            ) from exc

    def then(row: UploadedScheme) -> Any:
        if not row.is_active:
            messages.warning(request, _("该方案目前已停用，启用后才会出现在方案列表中。"))
            return "schemebook:schemes"
        return reverse("schemebook:scheme", args=[row.key])

    if done := submit(request, form, upload, then=then, success=_uploaded):
        return done
    return render(
        request,
        "schemebook/upload.html",
        {
            "form": form,
            "issues": tuple(issues),
            "filename": filename,
            "max_mb": max(settings.FENGPING_UPLOAD_MAX_BYTES // 1048576, 1),
        },
    )


@org_admin(gettext_lazy("只有系统管理员可以启用或停用评估方案"))
@require_POST
def scheme_set_active(request: HttpRequest, key: str) -> HttpResponse:
    upload = UploadedScheme.objects.filter(key=key).first()
    if upload is None:
        raise Http404(_("评估方案不存在"))
    active = request.POST.get("active") == "1"
    if active:
        done = _("已启用方案“%(name)s”") % {"name": upload.name}
    else:
        done = _("已停用方案“%(name)s”；已使用该方案的评估不受影响。") % {"name": upload.name}
    return run_action(
        request,
        lambda: actions.do_set_scheme_active(request.user, upload, active),
        then="schemebook:schemes",
        success=done,
    )
