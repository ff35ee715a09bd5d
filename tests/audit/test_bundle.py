"""Signed audit bundles: `fengping audit export` writes one, `fengping audit verify
--bundle` checks it in another process with a fresh data directory and an empty database,
and refuses it when one byte changed, a line was removed, the chain was rewritten and
re-signed, or it is signed by another key than the one named with --key. The 审计管理员
downloads one from the audit page or the API; others are refused."""

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

import fengping
from fengping.api.tokens import do_create_token
from fengping.audit import bundle_verify as fmt
from fengping.audit.bundle import key_file, key_fingerprint
from fengping.audit.bundle_verify import verify_bundle
from fengping.audit.chain import record
from fengping.audit.models import BundleExport, Event
from fengping.cli import main
from fengping.org import actions
from fengping.org.models import Role
from tests.conftest import settled

from .bundles import join, lines, members, resign, write

SRC = str(Path(fengping.__file__).resolve().parent.parent)
TODAY = timezone.localdate().isoformat()


@pytest.fixture
def exported(org, tmp_path, capsys):
    out = tmp_path / "bundle.zip"
    assert main(["audit", "export", "--from", TODAY, "--to", TODAY, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "审计包已写入" in printed and key_fingerprint() in printed
    return out


def verify_elsewhere(tmp_path, bundle, *extra):
    """`fengping audit verify --bundle` in a new process: a fresh data directory, an
    empty SQLite database, no settings module of the tests."""
    fresh = tmp_path / "auditor"
    fresh.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": SRC,
        "FENGPING_DATA_DIR": str(fresh),
        "DATABASE_URL": f"sqlite:///{fresh / 'empty.sqlite3'}",
        "LANG": "C.UTF-8",
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "fengping.cli", "audit", "verify", "--bundle", str(bundle), *extra],
        env=env,
        capture_output=True,
        text=True,
        cwd=fresh,
        timeout=120,
    )
    return done


def test_exported_bundle_verifies_on_another_machine(exported, tmp_path):
    done = verify_elsewhere(tmp_path, exported, "--key", key_fingerprint())
    assert done.returncode == 0, done.stderr
    assert "审计包完好" in done.stdout and "bundle intact" in done.stdout
    # Nothing was needed from the auditor's machine: no database was created or migrated.
    assert not (tmp_path / "auditor" / "empty.sqlite3").exists()


def test_the_bundle_holds_every_field_and_its_manifest(exported, org):
    files = members(exported)
    assert set(files) == {"manifest.json", "manifest.sig", "public_key.pem", "events.jsonl"}
    events = lines(files)
    first = Event.objects.order_by("seq").first()
    assert events[0]["seq"] == first.seq and events[0]["prev_hash"] == first.prev_hash
    assert set(events[0]) == {*fmt_fields(), "hash", "algorithm"}
    verdict = verify_bundle(exported, key=key_fingerprint())
    assert verdict.ok and verdict.events == len(events) and verdict.withheld == 0
    m = verdict.manifest
    assert m["members"]["events.jsonl"]["sha256"] == fmt.sha256(files["events.jsonl"])
    assert m["range"] == {"from": TODAY, "to": TODAY, "time_zone": "Asia/Shanghai"}
    row = BundleExport.objects.get()
    assert (row.first_seq, row.last_seq, row.bundle_hash) == (
        m["first_seq"],
        m["last_seq"],
        m["bundle_hash"],
    )
    event = Event.objects.filter(action="audit.bundle.export").get()
    assert event.after["bundle_hash"] == m["bundle_hash"] and event.actor_name == "system"
    assert event.seq > m["chain_head"]["seq"]  # recorded after the head it exported


def fmt_fields():
    from fengping.audit.hashing import FIELDS

    return FIELDS


def test_one_byte_changed_is_refused(exported, tmp_path):
    files = members(exported)
    data = bytearray(files["events.jsonl"])
    at = data.index(b'"actor_name": "root"') + len('"actor_name": "r')
    data[at] = ord("x")
    files["events.jsonl"] = bytes(data)
    bad = write(tmp_path / "byte.zip", files)
    done = verify_elsewhere(tmp_path, bad)
    assert done.returncode == 1
    assert "events.jsonl 的 SHA-256 与清单不符" in done.stderr


def test_a_removed_line_is_refused(exported, tmp_path):
    files = members(exported)
    events = lines(files)
    files["events.jsonl"] = join(events[:3] + events[4:])
    assert not verify_bundle(write(tmp_path / "cut.zip", files)).ok
    # Re-signed so that the manifest agrees: the chain still shows the gap.
    verdict = verify_bundle(write(tmp_path / "cut2.zip", resign(files)))
    assert not verdict.ok
    assert f"应为事件 #{events[3]['seq']}" in verdict.problem


def test_a_rewritten_and_resigned_bundle(exported, tmp_path):
    files = members(exported)
    events = lines(files)
    events[2]["object_repr"] = "改过的"
    forged = write(tmp_path / "forged.zip", resign({**files, "events.jsonl": join(events)}))
    verdict = verify_bundle(forged)
    assert not verdict.ok and f"事件 #{events[2]['seq']} 内容已被改动" in verdict.problem

    # Worse: every hash recomputed, so the chain is consistent — only the key tells.
    from fengping.audit.hashing import event_hash

    prev = events[0]["prev_hash"]
    for e in events:
        e["prev_hash"] = prev
        e["hash"] = prev = event_hash(e, e["algorithm"])
    rewritten = {**files, "events.jsonl": join(events)}
    # The head recorded at export no longer matches the last event...
    verdict = verify_bundle(write(tmp_path / "head.zip", resign(rewritten)))
    assert not verdict.ok and "末尾事件与导出时的链头不符" in verdict.problem
    # ...unless the forger rewrites it too: then the bundle is consistent in itself...
    head = {"seq": events[-1]["seq"], "hash": events[-1]["hash"]}
    consistent = write(tmp_path / "consistent.zip", resign(rewritten, chain_head=head))
    assert verify_bundle(consistent).ok
    done = verify_elsewhere(tmp_path, consistent, "--key", key_fingerprint())
    assert done.returncode == 1  # ...but not signed by this installation
    assert "签名密钥不是所指定的密钥" in done.stderr


def test_a_swapped_signature_or_manifest_is_refused(exported, tmp_path):
    files = members(exported)
    files["manifest.json"] = files["manifest.json"].replace(b'"version": 1', b'"version": 1 ')
    verdict = verify_bundle(write(tmp_path / "m.zip", files))
    assert not verdict.ok and "签名无效" in verdict.problem
    extra = {**members(exported), "note.txt": b"hi"}
    assert "多出" in verify_bundle(write(tmp_path / "x.zip", extra)).problem
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    assert "不是完整的审计包" in verify_bundle(tmp_path / "junk.zip").problem


def test_an_event_altered_in_the_database_fails_in_the_bundle(org, tmp_path):
    table = connection.ops.quote_name(Event._meta.db_table)
    with connection.cursor() as c:
        c.execute(f"UPDATE {table} SET object_repr = %s WHERE seq = %s", ["篡改", 4])
    out = tmp_path / "b.zip"
    assert main(["audit", "export", "--from", TODAY, "--to", TODAY, "--out", str(out)]) == 0
    verdict = verify_bundle(out)
    assert not verdict.ok and "事件 #4 内容已被改动" in verdict.problem


def test_export_refuses_an_empty_range_and_an_existing_file(org, tmp_path, capsys):
    out = tmp_path / "b.zip"
    assert (
        main(["audit", "export", "--from", "2001-01-01", "--to", "2001-01-02", "--out", str(out)])
        == 1
    )
    assert "没有审计事件" in capsys.readouterr().err and not out.exists()
    out.write_bytes(b"x")
    assert main(["audit", "export", "--from", TODAY, "--to", TODAY, "--out", str(out)]) == 1
    assert "不覆盖" in capsys.readouterr().err


def test_key_is_private_and_its_fingerprint_printed(org, capsys):
    assert main(["audit", "key"]) == 0
    assert key_fingerprint() in capsys.readouterr().out
    assert key_file().stat().st_mode & 0o777 == 0o600


# ---------------------------------------------------------------- the page and the API


@pytest.fixture
def auditor(org):
    user, _ = actions.do_create_user(
        org.superuser,
        username="auditor",
        real_name="审计员",
        department=org.root,
        role=Role.AUDIT_ADMIN,
        password="Test-password-2026",
    )
    settled(user)
    return user


def test_audit_admin_downloads_a_bundle_from_the_page(org, auditor, login, client, tmp_path):
    client.post("/accounts/login/", {"username": "ghost", "password": "x"})  # no scope
    # An event of another organisation: withheld from this one's 审计管理员.
    other = record(None, "test.elsewhere", object_type="test", scope_path="9999999/")
    page = login(auditor).get("/audit/bundle/")
    assert page.status_code == 200
    assert key_fingerprint()[:4] in page.content.decode()
    response = login(auditor).post("/audit/bundle/", {"date_from": TODAY, "date_to": TODAY})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    data = b"".join(response.streaming_content)
    path = tmp_path / "page.zip"
    path.write_bytes(data)
    verdict = verify_bundle(path, key=key_fingerprint())
    assert verdict.ok, verdict.problem
    ghost = Event.objects.filter(action="auth.login_failed", scope_path="").get()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        lines = archive.read("events.jsonl").splitlines()
    rows = {r["seq"]: r for r in map(json.loads, lines)}
    # System-wide events (an unknown name's failed login) are the 审计管理员's to read.
    assert rows[ghost.seq]["action"] == "auth.login_failed"
    assert rows[other.seq] == {
        "seq": other.seq,
        "prev_hash": other.prev_hash,
        "hash": other.hash,
        "algorithm": "sha256",
        "withheld": True,
    }
    event = Event.objects.filter(action="audit.bundle.export").get()
    assert event.actor_id == auditor.pk and event.after["withheld"] >= 1
    assert not BundleExport.objects.get().complete
    # The view recorded its own event; the trail adds no `export.zip` beside it.
    assert not Event.objects.filter(action="export.zip").exists()


def test_bad_dates_are_refused_with_a_message(org, login):
    response = login(org.superuser).post(
        "/audit/bundle/", {"date_from": TODAY, "date_to": "2001-01-01"}
    )
    assert response.status_code == 200
    assert "截止日期早于起始日期" in response.content.decode()
    response = login(org.superuser).post("/audit/bundle/", {"date_from": "昨天", "date_to": TODAY})
    assert response.status_code == 200 and not BundleExport.objects.exists()


@pytest.mark.parametrize("persona", ["admin", "supervisor", "rsj_handler"])
def test_others_are_refused_the_bundle(org, login, persona):
    client = login(getattr(org, persona))
    assert client.get("/audit/bundle/").status_code == 403
    assert client.post("/audit/bundle/", {"date_from": TODAY, "date_to": TODAY}).status_code == 403
    assert not BundleExport.objects.exists()


def test_api_bundle(org, auditor, client, tmp_path):
    _row, token = do_create_token(org.superuser, "t")
    response = client.post(
        "/api/audit/bundle",
        {"date_from": TODAY, "date_to": TODAY},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200, response.content
    path = tmp_path / "api.zip"
    path.write_bytes(b"".join(response.streaming_content))
    assert verify_bundle(path, key=key_fingerprint()).ok
    assert BundleExport.objects.get().complete  # a superuser receives every event
    _row, token = do_create_token(org.admin, "t")
    refused = client.post(
        "/api/audit/bundle",
        {"date_from": TODAY, "date_to": TODAY},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert refused.status_code == 403
    assert Event.objects.filter(action="access.denied", actor_id=org.admin.pk).exists()
