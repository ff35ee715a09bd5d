"""The one lock-by-version helper and the one bump-save-record helper."""

import pytest
from django.db import transaction

from fengping.audit.chain import save_and_record
from fengping.audit.models import Event
from fengping.core.concurrency import StaleVersion, lock
from fengping.org.models import Department


def test_lock_returns_fresh_row_when_version_matches(org):
    with transaction.atomic():
        fresh = lock(org.rsj, org.rsj.version)
    assert fresh.pk == org.rsj.pk and fresh is not org.rsj


def test_lock_refuses_a_stale_version_and_carries_the_current_row(org):
    stale = org.rsj.version
    Department.objects.filter(pk=org.rsj.pk).update(version=stale + 1, name="人社局（改）")
    with pytest.raises(StaleVersion) as caught, transaction.atomic():
        lock(org.rsj, stale)
    assert caught.value.status == 409
    assert caught.value.current.name == "人社局（改）"
    assert caught.value.yours == stale
    assert "已被他人修改" in caught.value.message


def test_lock_without_version_never_refuses(org):
    Department.objects.filter(pk=org.rsj.pk).update(version=99)
    with transaction.atomic():
        assert lock(org.rsj).version == 99


def test_save_and_record_bumps_saves_and_audits(org):
    dept = Department.objects.get(pk=org.rsj.pk)
    before_version = dept.version
    dept.name = "人力资源和社会保障局"
    with transaction.atomic():
        event = save_and_record(
            org.admin, "org.department.update", dept, "name", before={"name": "x"}
        )
    dept.refresh_from_db()
    assert dept.version == before_version + 1
    assert dept.name == "人力资源和社会保障局"
    assert event == Event.objects.order_by("-seq").first()
    assert event.after["name"] == "人力资源和社会保障局"
    assert event.before == {"name": "x"}
