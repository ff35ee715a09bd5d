"""The one stored-file base: `core.files.store` checks, hashes, stores under a generated
name and audits; `core.files.file_response` serves the file to whoever may see its owner;
the three file models (matter documents, archive documents, activity attachments) are
its subclasses and kept their tables, files and hashes across the migration."""

import hashlib
import secrets
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse
from django.utils import timezone

from fengping.assessments import actions as assessment_actions
from fengping.assessments.models import ArchiveDocument
from fengping.audit.chain import record
from fengping.audit.models import Event
from fengping.core import files
from fengping.core.errors import ActionError
from fengping.matters.models import MatterDocument
from fengping.opinions import actions as opinion_actions
from fengping.opinions.models import ActivityKind, Attachment
from tests.assessments.flow import register

PDF = b"%PDF-1.4 stored-file test"
NAME = "养老金调整方案（征求意见稿）.pdf"


def _matter_document(org, upload):
    matter = register(org)
    return files.store(org.rsj_handler, MatterDocument, matter, upload, record=record)


def _archive_document(org, upload):
    a = assessment_actions.do_start_assessment(org.rsj_handler, register(org))
    return assessment_actions.do_archive_document(org.rsj_handler, a, upload, title="评估方案")


def _attachment(org, upload):
    activity = opinion_actions.do_record_activity(
        org.rsj_handler, register(org), kind=ActivityKind.SYMPOSIUM, date=timezone.localdate()
    )
    return opinion_actions.do_add_attachment(org.rsj_handler, activity, upload)


# (how to store one, the download URL's name, the audit action, the storage folder)
KINDS = {
    "matter-document": (_matter_document, "matters:document", "matters.document.add", "matters"),
    "archive-document": (
        _archive_document,
        "assessments:archive_document",
        "assessments.archive.add",
        "assessments",
    ),
    "attachment": (_attachment, "opinions:attachment", "opinions.attachment.add", "opinions"),
}


@pytest.fixture(params=list(KINDS))
def kind(request):
    return KINDS[request.param]


def test_the_three_file_models_are_stored_files():
    for model in (MatterDocument, ArchiveDocument, Attachment):
        assert issubclass(model, files.StoredFile)
        assert model._meta.get_field("file").upload_to is files.stored_file_path


def test_store_records_hash_size_type_and_a_generated_name(org, kind):
    create, _url, _action, prefix = kind
    doc = create(org, SimpleUploadedFile(f"C:\\Users\\张三\\{NAME}", PDF))
    doc.refresh_from_db()
    assert doc.name == NAME  # the client's folder is dropped
    assert doc.sha256 == hashlib.sha256(PDF).hexdigest()
    assert doc.size == len(PDF) and doc.content_type == "application/pdf"
    assert doc.uploaded_by == org.rsj_handler and doc.uploaded_at is not None
    # On disk: <prefix>/<id>/<hash prefix>-<token>; nothing of the user's name.
    assert doc.file.name.startswith(f"{prefix}/")
    assert doc.file.name.rsplit("/", 1)[-1] == f"{doc.sha256[:16]}-{doc.token}"
    assert "养老金" not in doc.file.name and ".pdf" not in doc.file.name
    with doc.file.open("rb") as f:
        assert f.read() == PDF


def test_store_writes_one_audit_event_in_the_owner_scope(org, kind):
    create, _url, action, _prefix = kind
    doc = create(org, SimpleUploadedFile(NAME, PDF))
    (event,) = Event.objects.filter(action=action)
    assert event.object_id == str(doc.pk) and event.actor_id == org.rsj_handler.pk
    assert event.scope_path == org.rsj.path
    assert event.after["sha256"] == doc.sha256 and event.after["size"] == len(PDF)
    assert event.after["name"] == NAME


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("run.exe", b"MZ\x90\x00"), "不接受该类型的文件"),
        (SimpleUploadedFile("方案.pdf", b"MZ\x90\x00"), "文件内容与扩展名 .pdf 不符"),
        (SimpleUploadedFile("意见.txt", "意见".encode("gbk")), "文本文件须为 UTF-8 编码"),
        (None, "请选择文件"),
    ],
)
def test_store_refuses_a_wrong_type_with_a_chinese_message(org, upload, message):
    matter = register(org)
    with pytest.raises(ActionError, match=message):
        files.store(org.rsj_handler, MatterDocument, matter, upload, record=record)
    assert not MatterDocument.objects.exists()
    assert not Event.objects.filter(action="matters.document.add").exists()


def test_store_refuses_a_file_over_the_size_limit(org, settings):
    settings.FENGPING_UPLOAD_MAX_BYTES = 1024 * 1024
    matter = register(org)
    big = SimpleUploadedFile("大文件.pdf", b"%PDF" + b"0" * (2 * 1024 * 1024))
    with pytest.raises(ActionError, match="文件过大（2.0 MB），上限 1 MB"):
        files.store(org.rsj_handler, MatterDocument, matter, big, record=record)
    assert not MatterDocument.objects.exists()


def test_store_takes_the_subclass_columns(org):
    a = assessment_actions.do_start_assessment(org.rsj_handler, register(org))
    doc = assessment_actions.do_archive_document(
        org.rsj_handler, a, SimpleUploadedFile(NAME, PDF), title="", step_code="plan"
    )
    # Without a title the archive lists the document under its file name.
    assert (doc.title, doc.step_code, doc.generated) == (NAME, "plan", False)
    event = Event.objects.get(action="assessments.archive.add")
    assert event.after["title"] == NAME and event.after["step_code"] == "plan"


def test_download_is_an_attachment_under_the_chinese_name(org, login, kind):
    create, url, _action, _prefix = kind
    doc = create(org, SimpleUploadedFile(NAME, PDF))
    response = login(org.rsj_head).get(reverse(url, args=[doc.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(NAME)}"
    assert response["Content-Length"] == str(len(PDF))


def test_download_is_404_to_an_outsider(org, login, kind):
    create, url, _action, _prefix = kind
    doc = create(org, SimpleUploadedFile(NAME, PDF))
    for outsider in (org.zjj_handler, org.nobody):
        response = login(outsider).get(reverse(url, args=[doc.pk]))
        assert response.status_code == 404
    assert login(org.zjj_handler).get(reverse(url, args=[doc.pk + 1000])).status_code == 404


def test_file_models_have_no_pending_migration(db):
    call_command("makemigrations", "matters", "assessments", "opinions", "--check", "--dry-run")


def _stored_file_migration(executor):
    """(the migration that made ArchiveDocument a stored file, the state just before it)."""
    (key,) = [
        k
        for k in executor.loader.graph.nodes
        if k[0] == "assessments" and k[1].endswith("archive_document_stored_file")
    ]
    (parent,) = [p.key for p in executor.loader.graph.node_map[key].parents if p.key[0] == key[0]]
    return key, parent


def test_stored_file_models_keep_their_columns(db):
    """The three tables are the same before and after that migration: no column added,
    dropped or retyped by it (later migrations may add columns of their own)."""
    executor = MigrationExecutor(connection)
    key, before = _stored_file_migration(executor)
    others = [n for n in executor.loader.graph.leaf_nodes() if n[0] != key[0]]
    old_apps = executor.loader.project_state([before, *others]).apps
    new_apps = executor.loader.project_state([key, *others]).apps
    for current in (MatterDocument, ArchiveDocument, Attachment):
        old = old_apps.get_model(current._meta.app_label, current.__name__)
        model = new_apps.get_model(current._meta.app_label, current.__name__)

        def columns(m):
            return {
                f.column: (f.db_parameters(connection)["type"], f.null)
                for f in m._meta.local_fields
            }

        assert old._meta.db_table == model._meta.db_table
        assert columns(old) == columns(model)


@pytest.mark.django_db(transaction=True)
def test_archive_rows_written_before_the_migration_keep_file_and_hash(org, login):
    """A row stored the old way, on the schema before the migration, is read after it by
    the new model with the same stored path and SHA-256, and downloads the same bytes."""
    a = assessment_actions.do_start_assessment(org.rsj_handler, register(org))
    executor = MigrationExecutor(connection)
    key, before = _stored_file_migration(executor)
    executor.migrate([before])
    assert key not in MigrationRecorder(connection).applied_migrations()
    old_model = executor.loader.project_state([before]).apps.get_model(
        "assessments", "ArchiveDocument"
    )
    sha, token = hashlib.sha256(PDF).hexdigest(), secrets.token_hex(8)
    path = default_storage.save(f"assessments/{a.pk}/{sha[:16]}-{token}", ContentFile(PDF))
    old = old_model.objects.create(
        assessment_id=a.pk,
        step_code="plan",
        title="旧材料",
        name=NAME,
        file=path,
        token=token,
        sha256=sha,
        size=len(PDF),
        content_type="application/pdf",
        uploaded_by_id=org.rsj_handler.pk,
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert key in MigrationRecorder(connection).applied_migrations()

    doc = ArchiveDocument.objects.get(pk=old.pk)
    assert (doc.file.name, doc.sha256, doc.size, doc.name) == (path, sha, len(PDF), NAME)
    with doc.file.open("rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == doc.sha256
    response = login(org.rsj_head).get(reverse("assessments:archive_document", args=[doc.pk]))
    assert b"".join(response.streaming_content) == PDF
