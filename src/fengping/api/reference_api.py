"""Organisation-wide reference data: the assessment schemes and the report templates.

Everyone logged in reads the schemes (the pages show them to every user); uploading,
withdrawing and the report templates are for administrators — the action functions check.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status, UploadedFile

from fengping.reports import actions as report_actions
from fengping.reports.render import DEFAULT_KEY, template_for, template_path
from fengping.schemebook import actions, registry
from fengping.schemebook.models import UploadedScheme

router = Router(tags=["schemes"])


class SchemeOut(Schema):
    key: str
    name: str
    kind: str
    version: str
    origin: str
    source: str


class SchemeDetail(SchemeOut):
    text: str


class SchemeUploaded(Schema):
    key: str
    name: str
    version: str
    previous_version: str | None
    is_active: bool


class ActiveIn(Schema):
    active: bool


class TemplateOut(Schema):
    key: str
    uploaded: bool
    uses: str


def _out(entry: registry.Entry, *, text: bool = False) -> dict[str, Any]:
    row = {
        "key": entry.key,
        "name": entry.scheme.name,
        "kind": entry.scheme.kind,
        "version": entry.scheme.version,
        "origin": entry.origin,
        "source": entry.source_label,
    }
    if text:
        row["text"] = entry.text
    return row


@router.get("/schemes", response=list[SchemeOut])
def list_schemes(request: HttpRequest) -> Any:
    """可用的评估方案（内置、数据目录中的文件和已启用的上传方案）。"""
    return [_out(e) for e in registry.entries()]


@router.get("/schemes/{scheme_key}", response=SchemeDetail)
def get_scheme(request: HttpRequest, scheme_key: str) -> Any:
    """方案及其 YAML 原文。"""
    try:
        return _out(registry.entry(scheme_key), text=True)
    except LookupError:
        raise Http404(_("评估方案不存在")) from None


@router.post("/schemes", response={201: SchemeUploaded})
def upload_scheme(request: HttpRequest, file: File[UploadedFile]) -> Any:
    """上传评估方案（系统管理员）：与页面、`fengping scheme check` 同样校验，有错误时逐条列出。"""
    filename, text = actions.read_scheme_file(request.user, file)
    row = actions.do_upload_scheme(request.user, filename, text)
    return Status(
        201,
        {
            "key": row.key,
            "name": row.name,
            "version": row.version,
            "previous_version": row.previous_version,
            "is_active": row.is_active,
        },
    )


@router.put("/schemes/{scheme_key}/active", response=SchemeUploaded)
def set_scheme_active(request: HttpRequest, scheme_key: str, payload: ActiveIn) -> Any:
    """启用或停用上传的方案（系统管理员）；已使用该方案的评估不受影响。"""
    upload = UploadedScheme.objects.filter(key=scheme_key).first()
    if upload is None:
        raise Http404(_("评估方案不存在"))
    row = actions.do_set_scheme_active(request.user, upload, payload.active)
    return {
        "key": row.key,
        "name": row.name,
        "version": row.version,
        "previous_version": None,
        "is_active": row.is_active,
    }


def _template_keys() -> list[str]:
    return [DEFAULT_KEY] + [e.key for e in registry.entries() if e.scheme.kind == "ssra"]


def _template_key(key: str) -> str:
    if key not in _template_keys():
        raise Http404(_("没有该方案"))
    return key


@router.get("/report-templates", response=list[TemplateOut])
def list_templates(request: HttpRequest) -> Any:
    """每个方案的报告使用哪个模板（default = 全部方案）。"""
    return [
        {"key": key, "uploaded": template_path(key).is_file(), "uses": template_for(key)[1]}
        for key in _template_keys()
    ]


@router.post("/report-templates/{template_key}", response=TemplateOut)
def upload_template(request: HttpRequest, template_key: str, file: File[UploadedFile]) -> Any:
    """上传单位自己的报告模板（.docx，系统管理员）；先检查能否生成报告再启用。"""
    key = _template_key(template_key)
    report_actions.do_upload_template(request.user, key, file)
    return {"key": key, "uploaded": True, "uses": template_for(key)[1]}


@router.delete("/report-templates/{template_key}", response={204: None})
def reset_template(request: HttpRequest, template_key: str) -> Any:
    """删除上传的模板，恢复系统默认模板（系统管理员）。"""
    report_actions.do_reset_template(request.user, _template_key(template_key))
    return Status(204, None)
