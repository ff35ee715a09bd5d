"""The 审计管理员's download of a signed audit bundle for a date range (the page under
/audit/bundle/ and `POST /api/audit/bundle`). The bundle itself is written by
`fengping.audit.bundle`; this module decides who may have it and what it discloses.

Kept apart from audit_views.py (whose gates the 三员分立 work owns): gated only by
`org.access.is_audit_admin`. An 审计管理员 of one organisation receives the events of
other organisations withheld (their hashes only), so the chain still verifies and nothing
of another organisation is disclosed; a superuser receives every event in full.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import IO, Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.bundle import BundleError, Written, export_bundle, grouped, key_fingerprint
from fengping.audit.trail import root_path
from fengping.core.errors import ActionError
from fengping.core.forms import StyledForm
from fengping.org import access, policy

from .audit_views import visible_events

# The longest range one download may span (a bundle of a year is built in one request).
MAX_DAYS = 366


def do_export_audit_bundle(
    actor: Any, out: IO[bytes], date_from: dt.date, date_to: dt.date
) -> Written:
    """Write the signed bundle of `date_from`..`date_to` (local dates) into `out` for an
    审计管理员; one audit event (`audit.bundle.export`) records it."""
    if not access.is_audit_admin(actor):
        raise PermissionDenied(_("只有审计管理员可以导出审计包"))
    if date_to < date_from:
        raise ActionError(_("截止日期早于起始日期"), field="date_to")
    if date_from > timezone.localdate():
        raise ActionError(_("起始日期晚于今天"), field="date_from")
    if (date_to - date_from).days >= MAX_DAYS:
        raise ActionError(_("一次最多导出 %(n)s 天，请分段导出") % {"n": MAX_DAYS}, field="date_to")
    everything = access.scope_of(actor).everything
    try:
        return export_bundle(
            actor,
            out,
            date_from,
            date_to,
            visible=None if everything else visible_events(actor),
            scope_path=root_path(actor),
        )
    except BundleError:
        raise ActionError(_("所选日期范围内没有审计事件"), field="date_from") from None


class BundleForm(StyledForm):
    date_from = forms.DateField(
        label=_("起始日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("截止日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


only_audit_admin = policy.audit_admin(gettext_lazy("只有审计管理员可以导出审计包"))


def download(actor: Any, date_from: dt.date, date_to: dt.date) -> FileResponse:
    """The bundle as a download (the page and the API): written to a temporary file that
    the response streams and closes; a refusal closes (and so removes) it at once."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    try:
        written = do_export_audit_bundle(actor, handle, date_from, date_to)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"fengping-audit-{date_from}-{date_to}.zip",
        content_type="application/zip",
    )
    # The action recorded the export (audit.bundle.export); the trail adds no second event.
    response.audit_recorded = True  # type: ignore[attr-defined]
    response["X-Bundle-Hash"] = written.bundle_hash
    return response


@only_audit_admin
def bundle(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    if request.method == "POST":
        form = BundleForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                return download(request.user, d["date_from"], d["date_to"])
            except ActionError as exc:
                form.add_action_error(exc)
    else:
        form = BundleForm(initial={"date_from": today.replace(day=1), "date_to": today})
    fingerprint = key_fingerprint()
    return render(
        request,
        "audit/bundle.html",
        {
            "form": form,
            "fingerprint": fingerprint,
            "fingerprint_grouped": grouped(fingerprint),
            "everything": access.scope_of(request.user).everything,
            "crumbs": [(_("审计日志"), reverse("audit:events"))],
        },
    )
