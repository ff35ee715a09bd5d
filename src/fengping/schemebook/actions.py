"""Changes to the uploaded schemes: one function each, checked, atomic and audited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengping.audit.chain import record, snapshot
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.org.models import Role
from fengping.schemes import Scheme, SchemeError, load_text
from fengping.schemes.model import Issue

from . import registry
from .models import UploadedScheme, UploadedSchemeVersion


class SchemeUploadError(ActionError):
    """The file is not a valid scheme; `issues` lists every problem with its path."""

    def __init__(self, filename: str, issues: tuple[Issue, ...] | list[Issue]) -> None:
        self.issues = tuple(issues)
        lines = [_("方案文件 %(name)s 无效：") % {"name": filename}]
        for issue in self.issues:
            lines.append(f"{issue.path or _('（整个文件）')}：{issue.zh}")
        super().__init__("\n".join(lines), field="file")


def _require_admin(actor: Any) -> None:
    if not access.is_org_admin(actor):
        raise PermissionDenied(_("只有系统管理员可以上传或停用评估方案"))


def _scope_path(actor: Any) -> str:
    """Schemes are organisation-wide: file the event under the actor's organisation, so
    that the administrators and supervisors of that organisation read it."""
    paths = access.scope_of(actor).role_paths.get(Role.ADMIN, frozenset())
    return min(paths).split("/", 1)[0] + "/" if paths else ""


def read_scheme_file(actor: Any, upload: Any) -> tuple[str, str]:
    """(file name, text) of an uploaded scheme file, for the page and the API alike;
    PermissionDenied for anyone but an administrator (before the file is looked at),
    ActionError for a wrong type, size or encoding."""
    _require_admin(actor)
    name = upload.name or ""
    if not name.lower().endswith((".yaml", ".yml")):
        raise ActionError(_("只接受 .yaml 或 .yml 格式的方案文件"), field="file")
    limit = settings.FENGPING_UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ActionError(
            _("文件过大（%(size)s MB），上限 %(max)s MB")
            % {"size": round(upload.size / 1048576, 1), "max": max(limit // 1048576, 1)},
            field="file",
        )
    data = upload.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ActionError(
            _("文件不是 UTF-8 编码；请在编辑器中另存为 UTF-8 后再上传"), field="file"
        ) from None
    return name, text


def validate_upload(filename: str, text: str) -> Scheme:
    """Check an uploaded file exactly as the loader checks a scheme file on disk, plus the
    limits of a web upload. Raises SchemeUploadError listing every problem."""
    limit = settings.FENGPING_UPLOAD_MAX_BYTES
    if len(text.encode("utf-8")) > limit:
        raise ActionError(
            _("文件过大，上限 %(max)s MB") % {"max": max(limit // 1048576, 1)}, field="file"
        )
    if not text.strip():
        raise SchemeUploadError(filename, [Issue("", "文件为空", "the file is empty")])
    # The loader refuses a file that YAML aliases would blow up (see MAX_EXPANDED_NODES).
    try:
        return load_text(text, filename)
    except SchemeError as exc:
        raise SchemeUploadError(filename, exc.issues) from None


def _refuse_taken_key(key: str) -> None:
    why = registry.reserved_key(key)
    if why == "built-in":
        raise ActionError(
            _("方案键“%(key)s”是内置方案的键，上传的方案不能使用；请在文件中改用其他 key。")
            % {"key": key},
            field="file",
        )
    if why == "reserved":
        raise ActionError(
            _("方案键“%(key)s”是系统保留字，请改用其他 key。") % {"key": key}, field="file"
        )
    if why == "file":
        raise ActionError(
            _("方案键“%(key)s”已被数据目录中的方案文件使用；请改用其他 key，或直接修改该文件。")
            % {"key": key},
            field="file",
        )


def _remember_version(row: UploadedScheme) -> None:
    UploadedSchemeVersion.objects.update_or_create(
        scheme=row,
        content_hash=row.content_hash,
        defaults={
            "version": row.version,
            "yaml_text": row.yaml_text,
            "uploaded_by": row.uploaded_by,
            "uploaded_at": row.uploaded_at,
        },
    )


@transaction.atomic
def do_upload_scheme(actor: Any, filename: str, text: str) -> UploadedScheme:
    """Add a scheme, or replace the text of an uploaded scheme with the same key.

    The previous versions stay readable (`registry.get_version`), so an assessment that
    froze one is never rewritten. The returned row carries `previous_version` (None for a
    new key) for the message shown to the uploader.
    """
    _require_admin(actor)
    scheme = validate_upload(filename, text)
    _refuse_taken_key(scheme.key)
    row = UploadedScheme.objects.select_for_update().filter(key=scheme.key).first()
    now = timezone.now()
    if row is None:
        try:
            with transaction.atomic():
                row = UploadedScheme.objects.create(
                    key=scheme.key,
                    name=scheme.name,
                    yaml_text=text,
                    content_hash=scheme.content_hash,
                    version=scheme.version,
                    uploaded_by=actor,
                    uploaded_at=now,
                )
        except IntegrityError:
            raise ActionError(
                _("方案“%(key)s”刚刚已由他人上传，请刷新后再试。") % {"key": scheme.key}
            ) from None
        _remember_version(row)
        row.previous_version = None
        record(
            actor,
            "schemebook.scheme.upload",
            row,
            after=snapshot(row, UploadedScheme.audit_fields),
            scope_path=_scope_path(actor),
        )
        return row
    if row.yaml_text == text:
        raise ActionError(
            _("上传的文件与方案“%(key)s”的当前文件完全相同，未作更改。") % {"key": scheme.key},
            field="file",
        )
    before = snapshot(row, UploadedScheme.audit_fields)
    row.previous_version = row.version
    row.name = scheme.name
    row.yaml_text = text
    row.content_hash = scheme.content_hash
    row.version = scheme.version
    row.uploaded_by = actor
    row.uploaded_at = now
    row.save()
    _remember_version(row)
    record(
        actor,
        "schemebook.scheme.replace",
        row,
        before=before,
        after=snapshot(row, UploadedScheme.audit_fields),
        scope_path=_scope_path(actor),
    )
    return row


@transaction.atomic
def do_set_scheme_active(actor: Any, upload: UploadedScheme, active: bool) -> UploadedScheme:
    """Offer (active) or withdraw an uploaded scheme. A withdrawn scheme is kept, with its
    versions, for the assessments that use it; it is only no longer offered."""
    _require_admin(actor)
    row = UploadedScheme.objects.select_for_update().get(pk=upload.pk)
    if row.is_active == active:
        return row
    if active:
        # The key may have been taken by a dropped file while the upload was inactive.
        _refuse_taken_key(row.key)
    before = snapshot(row, UploadedScheme.audit_fields)
    row.is_active = active
    row.save(update_fields=["is_active"])
    record(
        actor,
        "schemebook.scheme.activate" if active else "schemebook.scheme.deactivate",
        row,
        before=before,
        after=snapshot(row, UploadedScheme.audit_fields),
        scope_path=_scope_path(actor),
    )
    return row
