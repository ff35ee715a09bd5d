"""`POST /api/audit/bundle`: the signed audit bundle of a date range, for the 审计管理员
(the same action as the page: desk.audit_bundle.do_export_audit_bundle)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from fengping.desk.audit_bundle import download

router = Router(tags=["audit"])


class BundleIn(Schema):
    date_from: dt.date
    date_to: dt.date


@router.post("/audit/bundle", response={200: None})
def audit_bundle(request: HttpRequest, payload: BundleIn) -> HttpResponse:
    """导出所选日期（本地时区，含两端）的审计签名包（.zip）；仅审计管理员。"""
    return download(request.user, payload.date_from, payload.date_to)
