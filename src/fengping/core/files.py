"""Stored files: one abstract model, one `store` that checks, saves and audits, and one
`file_response` that serves a file back.

Every file a user uploads (a matter's documents, an assessment's archive, an opinion
activity's attachments, and whatever the next apps keep) is a subclass of `StoredFile`.
The original name is kept in the row only; on disk the file lives under a generated name
(`<prefix>/<owner id>/<first 16 hex of the SHA-256>-<random token>`), so a user's file
name never becomes a path and two uploads of the same name never collide.

`core` sits below `org` and `audit` (both import it), so it cannot import either:
- `store` writes the audit event through the `record` callable the caller passes
  (`fengping.audit.chain.record`); the one store path stays here, and an action reads
  `store(..., record=record)`, which says on its face that it is audited.
- `file_response` builds the response for a row the caller has already fetched through
  `org.access.get_for_user`, which answers 404 to outsiders; the view is one line.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _

from .uploads import DOCUMENT_TYPES, check_document

F = TypeVar("F", bound="StoredFile")


class Recorder(Protocol):
    """What `fengping.audit.chain.record` offers `store`: append one event."""

    def __call__(
        self, actor: Any, action: str, obj: models.Model | None = None, *, after: dict[str, Any]
    ) -> Any: ...


def stored_file_path(instance: StoredFile, filename: str) -> str:
    """`upload_to` of every stored file: a generated name, never the user's."""
    return instance.storage_name


class StoredFile(models.Model):
    """A file kept for a row of the app (its owner), with its SHA-256, size and type.

    A subclass adds the foreign key to its owner and names it in `owner_field`, sets
    `storage_prefix` (its top folder under MEDIA_ROOT) and `audit_action` (the event
    `store` writes). Extra columns (a title, a note) go in `audit_fields` too when the
    audit event should show them."""

    owner_field: ClassVar[str]
    storage_prefix: ClassVar[str]
    audit_action: ClassVar[str]
    audit_fields: ClassVar[tuple[str, ...]] = ("name", "sha256", "size", "content_type")

    name = models.CharField(_("文件名"), max_length=200)
    file = models.FileField(_("文件"), upload_to=stored_file_path, max_length=255)
    # The random part of the generated storage name.
    token = models.CharField(max_length=32, editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    size = models.PositiveIntegerField(editable=False)
    content_type = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def owner(self) -> models.Model:
        return getattr(self, self.owner_field)  # type: ignore[no-any-return]

    @property
    def audit_scope_path(self) -> str:
        """The owner's scope: a file is seen and changed by whoever sees its owner."""
        return getattr(self.owner, "audit_scope_path", "") or ""

    def storage_dir(self) -> str:
        """The folder the file is stored in; a subclass may group files differently."""
        owner_id = getattr(self, self._meta.get_field(self.owner_field).attname)
        return f"{self.storage_prefix}/{owner_id}"

    @property
    def storage_name(self) -> str:
        return f"{self.storage_dir()}/{self.sha256[:16]}-{self.token}"

    def audit_values(self) -> dict[str, Any]:
        """The `audit_fields` as plain values (foreign keys by their id)."""
        return {
            name: getattr(self, self._meta.get_field(name).attname) for name in self.audit_fields
        }


@transaction.atomic
def store(
    actor: Any,
    model: type[F],
    owner: models.Model,
    upload: Any,
    *,
    record: Recorder,
    types: dict[str, tuple[str, tuple[bytes, ...]]] | None = None,
    **fields: Any,
) -> F:
    """Check `upload` (size, and type by extension and content — `ActionError` with a
    Chinese message otherwise), store it under a generated name, save the row with its
    SHA-256, size and content type, and write one audit event `model.audit_action`.

    The caller has checked that `actor` may change `owner` (`org.access.require`);
    `fields` are the subclass's own columns (a title, a note)."""
    checked = check_document(upload, types or DOCUMENT_TYPES)
    obj = model(
        name=checked.name,
        token=checked.token,
        sha256=checked.sha256,
        size=checked.size,
        content_type=checked.content_type,
        uploaded_by=actor,
        **{model.owner_field: owner},
        **fields,
    )
    # The file name passed here is ignored by `stored_file_path`; the row keeps it.
    obj.file.save(checked.name, checked.content, save=False)
    obj.save()
    record(actor, model.audit_action, obj, after=obj.audit_values())
    return obj


def file_response(stored: StoredFile) -> FileResponse:
    """The file as a download under its original name (RFC 6266 `filename*` for Chinese
    names), never rendered inline and never type-sniffed by the browser. Fetch `stored`
    through `org.access.get_for_user` first."""
    response = FileResponse(
        stored.file.open("rb"),
        as_attachment=True,
        filename=stored.name,
        content_type=stored.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
