"""The audit chain: intact after real actions; any row altered or deleted by raw SQL is
found, and `fengping audit verify` exits non-zero naming the first broken event."""

import pytest
from django.db import connection

from fengping.audit.chain import record, verify
from fengping.audit.models import Event
from fengping.cli import main
from fengping.org import actions


@pytest.fixture
def chain(org):
    actions.do_update_department(
        org.admin,
        org.rsj,
        version=1,
        name="人力资源和社会保障局",
        code="RSJ",
        kind=org.rsj.kind,
        parent=org.root,
        is_active=True,
    )
    assert Event.objects.count() > 10
    return org


def table():
    return connection.ops.quote_name(Event._meta.db_table)


def test_actions_write_events_with_before_and_after(chain):
    event = Event.objects.filter(action="org.department.update").get()
    assert event.before["name"] == "人社局"
    assert event.after["name"] == "人力资源和社会保障局"
    assert event.actor_name == "admin"
    assert event.scope_path == chain.rsj.path


def test_intact_chain_verifies(chain, capsys):
    result = verify()
    assert result.ok and result.checked == Event.objects.count()
    assert main(["audit", "verify"]) == 0
    assert "审计链完好" in capsys.readouterr().out


def test_altered_row_is_found(chain, capsys):
    with connection.cursor() as c:
        c.execute(f"UPDATE {table()} SET object_repr = %s WHERE seq = %s", ["篡改", 5])
    result = verify()
    assert not result.ok and result.broken_seq == 5
    assert main(["audit", "verify"]) == 1
    assert "#5" in capsys.readouterr().err


def test_altered_json_is_found(chain):
    seq = Event.objects.filter(action="org.department.update").get().seq
    with connection.cursor() as c:
        c.execute(f"UPDATE {table()} SET after = %s WHERE seq = %s", ['{"name": "别的名字"}', seq])
    assert verify().broken_seq == seq


def test_deleted_middle_row_is_found(chain):
    with connection.cursor() as c:
        c.execute(f"DELETE FROM {table()} WHERE seq = %s", [3])
    result = verify()
    assert not result.ok and result.broken_seq == 3


def test_deleted_last_row_is_found(chain):
    last = Event.objects.order_by("-seq").first().seq
    with connection.cursor() as c:
        c.execute(f"DELETE FROM {table()} WHERE seq = %s", [last])
    result = verify()
    assert not result.ok and result.broken_seq == last


def test_rehashed_forgery_is_found(chain):
    """Recomputing the altered row's own hash is not enough: the next row links to the old one."""
    from fengping.audit.chain import _event_hash

    event = Event.objects.get(seq=4)
    event.object_repr = "伪造"
    new_hash = _event_hash(event)
    with connection.cursor() as c:
        c.execute(
            f"UPDATE {table()} SET object_repr = %s, hash = %s WHERE seq = 4", ["伪造", new_hash]
        )
    assert verify().broken_seq == 5


def test_orm_cannot_update_or_delete(chain):
    event = Event.objects.first()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        Event.objects.all().delete()
    with pytest.raises(TypeError):
        Event.objects.update(action="x")


def test_event_rolls_back_with_its_change(org):
    from django.db import transaction

    before = Event.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        record(org.admin, "test.noop", org.rsj)
        raise RuntimeError
    assert Event.objects.count() == before
    assert verify().ok


def test_audit_pages_scoped(chain, login):
    from tests.conftest import audit_admin

    assert login(audit_admin(chain)).get("/audit/").status_code == 200
    assert login(chain.admin).get("/audit/").status_code == 403  # 三员分立
    assert login(chain.supervisor).get("/audit/").status_code == 200
    assert login(chain.rsj_handler).get("/audit/").status_code == 403
    seq = Event.objects.filter(action="org.department.update").get().seq
    assert login(chain.supervisor).get(f"/audit/{seq}/").status_code == 200
    assert login(chain.rsj_handler).get(f"/audit/{seq}/").status_code == 403


def test_anchor_detects_a_consistently_rewritten_chain(chain, capsys):
    """A printed anchor survives a rewrite that keeps the chain internally consistent."""
    from fengping.audit.chain import GENESIS, _event_hash, head
    from fengping.audit.models import ChainHead

    seq, digest = head()
    assert main(["audit", "verify", "--anchor", f"{seq}:{digest}"]) == 0
    assert "1 个锚点相符" in capsys.readouterr().out
    # Rewrite event 3 and re-hash every later event and the head: verify alone is fooled.
    prev = GENESIS
    for event in Event.objects.order_by("seq"):
        with connection.cursor() as c:
            if event.seq == 3:
                c.execute(f"UPDATE {table()} SET object_repr = %s WHERE seq = 3", ["改写"])
            event = Event.objects.get(seq=event.seq)
            event.prev_hash = prev
            new = _event_hash(event)
            c.execute(
                f"UPDATE {table()} SET prev_hash = %s, hash = %s WHERE seq = %s",
                [prev, new, event.seq],
            )
        prev = new
    ChainHead.objects.filter(pk=1).update(last_hash=prev)
    assert verify().ok
    assert main(["audit", "verify", "--anchor", f"#{seq}:{digest[:16]}"]) == 1
    assert "锚点不符" in capsys.readouterr().err


def test_report_context_carries_the_anchor(org):
    from fengping.audit.chain import head
    from fengping.reports.context import report_context
    from tests.assessments.flow import to_grade_step

    a = to_grade_step(org)
    seq, digest = head()
    assert f"#{seq}:{digest}" in report_context(a)["audit_anchor"]
