"""SM3 (GB/T 32905-2016) for the chain: the standard's test vector through both
implementations, a chain that switches sha256 → sm3 → sha256 and verifies, tampering
found in each part, a bundle across the switch, and the setting checked at start-up."""

import pytest
from django.db import connection
from django.utils import timezone

from fengping import conf
from fengping.audit import hashing
from fengping.audit.bundle_verify import verify_bundle
from fengping.audit.chain import record, verify
from fengping.audit.models import Event
from fengping.cli import main

# GB/T 32905-2016 附录 A, 示例 1: "abc".
ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
# 示例 2: "abcd" sixteen times (512 bits).
ABCD16 = "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_the_standard_test_vectors():
    assert hashing.hash_function("sm3")(b"abc") == ABC
    assert hashing.hash_function("sm3")(b"abcd" * 16) == ABCD16
    assert hashing._sm3_cryptography(b"abc") == ABC
    if "sm3" in __import__("hashlib").algorithms_available:
        assert hashing._sm3_hashlib(b"abc") == ABC


def test_unknown_or_missing_algorithm_is_refused_at_start_up(monkeypatch):
    monkeypatch.setenv("FENGPING_AUDIT_HASH", "md5")
    with pytest.raises(conf.ConfigError, match="sha256 或 sm3"):
        conf.audit_hash()
    monkeypatch.setenv("FENGPING_AUDIT_HASH", "SM3")
    assert conf.audit_hash() == "sm3"
    monkeypatch.setattr(hashing, "_sm3", lambda: None)
    with pytest.raises(conf.ConfigError, match="均不提供 SM3"):
        conf.audit_hash()
    monkeypatch.delenv("FENGPING_AUDIT_HASH")
    assert conf.audit_hash() == "sha256"


@pytest.fixture
def switching(db, settings):
    """Three events under each setting: sha256, then sm3, then sha256 again."""
    parts = []
    for algorithm in ("sha256", "sm3", "sha256"):
        settings.FENGPING_AUDIT_HASH = algorithm
        parts.append(
            [record(None, "test.event", object_repr=f"{algorithm}-{i}").seq for i in range(3)]
        )
    return parts


def test_a_chain_that_changes_algorithm_verifies(switching):
    algorithms = dict(Event.objects.values_list("seq", "algorithm"))
    assert [algorithms[s] for part in switching for s in part] == ["sha256"] * 3 + ["sm3"] * 3 + [
        "sha256"
    ] * 3
    sm3_event = Event.objects.get(seq=switching[1][0])
    assert len(sm3_event.hash) == 64 and sm3_event.hash != hashing.event_hash(
        {**_fields(sm3_event)}, "sha256"
    )
    assert verify().ok


def _fields(event):
    from fengping.audit.chain import fields_of

    return fields_of(event)


@pytest.mark.parametrize("part", [0, 1, 2])
def test_tampering_is_found_in_each_part(switching, part):
    seq = switching[part][1]
    table = connection.ops.quote_name(Event._meta.db_table)
    with connection.cursor() as c:
        c.execute(f"UPDATE {table} SET object_repr = %s WHERE seq = %s", ["篡改", seq])
    result = verify()
    assert not result.ok and result.broken_seq == seq


def test_relabelling_the_algorithm_is_found(switching):
    seq = switching[1][0]
    table = connection.ops.quote_name(Event._meta.db_table)
    with connection.cursor() as c:
        c.execute(f"UPDATE {table} SET algorithm = %s WHERE seq = %s", ["sha256", seq])
    assert verify().broken_seq == seq


def test_a_bundle_across_the_switch_verifies(switching, tmp_path, capsys):
    today = timezone.localdate().isoformat()
    out = tmp_path / "b.zip"
    assert main(["audit", "export", "--from", today, "--to", today, "--out", str(out)]) == 0
    verdict = verify_bundle(out)
    assert verdict.ok and verdict.events == 9
    assert main(["audit", "verify", "--bundle", str(out)]) == 0
    assert "审计包完好" in capsys.readouterr().out
