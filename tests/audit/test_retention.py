"""Retention (网络安全法 第二十一条): at least 180 days, refused below at start-up; a purge
removes nothing younger, nothing not exported, through one path only, keeps a checkpoint
from which the chain still verifies, and is itself an audit event."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from fengping import conf
from fengping.audit import checks
from fengping.audit.chain import record, verify
from fengping.audit.models import BundleExport, Checkpoint, CheckTrigger, Event
from fengping.audit.retention import PurgeRefused, latest_purge_date, purge
from fengping.cli import main

TODAY = timezone.localdate()
OLD = TODAY - dt.timedelta(days=400)
CUT = TODAY - dt.timedelta(days=200)


def table():
    return connection.ops.quote_name(Event._meta.db_table)


@pytest.fixture
def aged(db, monkeypatch):
    """Five events written 400 days ago, then five today."""
    then = timezone.now() - dt.timedelta(days=400)
    with monkeypatch.context() as m:
        m.setattr(timezone, "now", lambda: then)
        old = [record(None, "test.old", object_repr=f"old-{i}") for i in range(5)]
    young = [record(None, "test.young", object_repr=f"young-{i}") for i in range(5)]
    return old, young


def export(day_from, day_to, tmp_path, name="b.zip"):
    out = tmp_path / name
    assert (
        main(["audit", "export", "--from", str(day_from), "--to", str(day_to), "--out", str(out)])
        == 0
    )
    return out


def test_retention_below_180_days_is_refused_at_start_up(monkeypatch):
    monkeypatch.setenv("FENGPING_AUDIT_RETENTION_DAYS", "179")
    with pytest.raises(conf.ConfigError, match="网络安全法第二十一条"):
        conf.audit_retention_days()
    monkeypatch.setenv("FENGPING_AUDIT_RETENTION_DAYS", "365")
    assert conf.audit_retention_days() == 365
    monkeypatch.delenv("FENGPING_AUDIT_RETENTION_DAYS")
    assert conf.audit_retention_days() == 180


def test_a_date_inside_the_retention_is_refused(aged, tmp_path, capsys):
    export(OLD, TODAY, tmp_path)
    latest = latest_purge_date()
    assert latest == TODAY - dt.timedelta(days=180)
    for day in (TODAY, latest + dt.timedelta(days=1)):
        assert main(["audit", "purge", "--before", str(day)]) == 1
        assert "至少保留 180 天" in capsys.readouterr().err
    assert Event.objects.count() == 11  # the ten and the export's own event


def test_longer_retention_setting_is_obeyed(aged, tmp_path, settings):
    settings.FENGPING_AUDIT_RETENTION_DAYS = 500
    export(OLD, TODAY, tmp_path)
    with pytest.raises(PurgeRefused, match="500"):
        purge(CUT)


def test_unexported_events_are_not_purged(aged, tmp_path, capsys):
    old, _young = aged
    assert main(["audit", "purge", "--before", str(CUT)]) == 1
    assert "尚未完整导出" in capsys.readouterr().err
    # Recorded exports that leave a gap, or withhold events, do not cover them either.
    export(OLD, OLD, tmp_path)
    row = BundleExport.objects.get()
    BundleExport.objects.filter(pk=row.pk).update(last_seq=old[2].seq)
    BundleExport.objects.create(**{**_fields(row), "first_seq": old[4].seq, "last_seq": old[4].seq})
    BundleExport.objects.create(**{**_fields(row), "complete": False})
    with pytest.raises(PurgeRefused, match=f"#1–#{old[-1].seq}"):
        purge(CUT)
    with pytest.raises(PurgeRefused, match="找不到文件"):
        purge(CUT, bundle=tmp_path / "missing.zip")
    assert Event.objects.filter(action="test.old").count() == 5
    # Closing the gap is enough.
    BundleExport.objects.create(**{**_fields(row), "first_seq": old[3].seq, "last_seq": old[3].seq})
    assert purge(CUT).events == 5


def _fields(row):
    return {
        f.name: getattr(row, f.name) for f in BundleExport._meta.concrete_fields if f.name != "id"
    }


def test_purge_after_export_keeps_a_checkpoint_and_verifies(aged, tmp_path, capsys):
    old, young = aged
    export(OLD, OLD, tmp_path)
    assert main(["audit", "purge", "--before", str(CUT)]) == 0
    assert "已清理事件" in capsys.readouterr().out
    assert not Event.objects.filter(seq__lte=old[-1].seq).exists()
    point = Checkpoint.objects.get()
    assert (point.last_seq, point.last_hash) == (old[-1].seq, old[-1].hash)
    assert Event.objects.filter(seq__in=[e.seq for e in young]).count() == 5
    event = Event.objects.filter(action="audit.purge").get()
    assert event.after["first_seq"] == 1 and event.after["last_seq"] == old[-1].seq
    assert event.after["events"] == 5
    result = verify()
    assert result.ok, result.reason
    assert result.checked == Event.objects.count()
    assert main(["audit", "verify"]) == 0
    # The daily tick's and the audit page's verification start from the checkpoint too.
    check = checks.run_check(checks.start_check(CheckTrigger.MANUAL))
    assert check.ok and check.checked == Event.objects.count()
    # Nothing more to purge; the append-only queryset still refuses everywhere else.
    with pytest.raises(PurgeRefused, match="没有可清理的事件"):
        purge(CUT)
    with pytest.raises(TypeError):
        Event.objects.filter(seq=young[0].seq).delete()


def test_a_deleted_young_event_is_still_found_after_a_purge(aged, tmp_path):
    old, young = aged
    export(OLD, OLD, tmp_path)
    purge(CUT)
    for victim in (young[0].seq, young[2].seq):
        with connection.cursor() as c:
            c.execute(f"DELETE FROM {table()} WHERE seq = %s", [victim])
        result = verify()
        assert not result.ok and result.broken_seq == young[0].seq


def test_moving_the_checkpoint_is_found(aged, tmp_path):
    old, _young = aged
    export(OLD, OLD, tmp_path)
    purge(CUT)
    Checkpoint.objects.update(last_hash="f" * 64)
    assert not verify().ok


def test_purge_with_a_bundle_file(aged, tmp_path, capsys):
    old, _young = aged
    out = export(OLD, OLD, tmp_path)
    BundleExport.objects.all().delete()  # as if exported on another installation's record
    done = purge(CUT, bundle=out)
    assert done.events == 5 and verify().ok


def test_purge_refuses_a_foreign_or_partial_bundle(aged, tmp_path):
    from tests.audit.bundles import members, resign, write

    out = export(OLD, OLD, tmp_path)
    BundleExport.objects.all().delete()
    foreign = write(tmp_path / "foreign.zip", resign(members(out)))
    with pytest.raises(PurgeRefused, match="签名密钥不是所指定的密钥"):
        purge(CUT, bundle=foreign)
    assert Event.objects.filter(action="test.old").count() == 5


def test_purge_refuses_a_broken_chain(aged, tmp_path):
    old, _young = aged
    export(OLD, OLD, tmp_path)
    with connection.cursor() as c:
        c.execute(f"UPDATE {table()} SET object_repr = %s WHERE seq = %s", ["篡改", 2])
    with pytest.raises(PurgeRefused, match="审计链已断裂"):
        purge(CUT)
    assert Event.objects.filter(action="test.old").count() == 5
