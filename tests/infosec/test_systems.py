"""Systems, business assets and assets through the actions (篇2 2.1): rules, access,
versions, addresses and the stale risk of open assessments."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from fengping.audit.models import Event
from fengping.core.concurrency import StaleVersion
from fengping.core.errors import ActionError
from fengping.infosec.actions import systems as actions
from fengping.infosec.models import Asset, AssetAddress, Scenario, SystemAssessment

from .builders import add_assets, make_system, start


def asset_kw(**kw):
    base = {
        "code": "OA-WEB",
        "name": "Web服务器",
        "layer": "component",
        "part": "service_provision",
        "asset_type": "服务器",
        "ips": "10.10.1.20",
        "hostnames": "oa-web01",
        "confidentiality": 3,
        "integrity": 4,
        "availability": 4,
    }
    return {**base, **kw}


def test_create_system_checks_department_and_code(org):
    s = actions.do_create_system(
        org.rsj_handler, department=org.rsj, code="OA", name="协同办公系统", protection_level=3
    )
    assert s.department == org.rsj and s.version == 1
    assert Event.objects.filter(action="infosec.system.create", object_id=str(s.pk)).count() == 1
    with pytest.raises(ActionError, match="已被使用"):
        actions.do_create_system(
            org.rsj_handler, department=org.rsj, code="oa", name="x", protection_level=3
        )
    with pytest.raises(ActionError) as exc:
        actions.do_create_system(
            org.rsj_handler, department=org.rsj, code="O A", name="x", protection_level=3
        )
    assert exc.value.field == "code"
    with pytest.raises(ActionError) as exc:
        actions.do_create_system(
            org.rsj_handler, department=org.rsj, code="X1", name="x", protection_level=6
        )
    assert exc.value.field == "protection_level"
    for outsider in (org.zjj_handler, org.supervisor):
        with pytest.raises(PermissionDenied):
            actions.do_create_system(
                outsider, department=org.rsj, code="Z1", name="x", protection_level=2
            )


def test_update_system_refuses_a_stale_version_and_touches_open_assessments(org):
    system = make_system(org)
    a = start(org, system)
    before = SystemAssessment.objects.get(pk=a.pk).inputs_changed_at
    s = actions.do_update_system(
        org.rsj_handler, system, version=1, name="协同办公", protection_level=4
    )
    assert s.version == 2 and s.protection_level == 4
    assert SystemAssessment.objects.get(pk=a.pk).inputs_changed_at > before
    with pytest.raises(StaleVersion):
        actions.do_update_system(org.rsj_handler, system, version=1, name="y", protection_level=3)
    with pytest.raises(PermissionDenied):
        actions.do_update_system(org.supervisor, system, version=2, name="y", protection_level=3)


def test_business_links_stay_within_the_system(org):
    system = make_system(org)
    other = make_system(org, "SB", name="社保")
    gw = actions.do_save_business(org.rsj_handler, system, code="GW", name="公文流转", importance=5)
    xx = actions.do_save_business(
        org.rsj_handler, system, code="XX", name="信息发布", importance=3, linked=[gw]
    )
    assert list(xx.linked.all()) == [gw]
    foreign = actions.do_save_business(org.rsj_handler, other, code="YL", name="养老", importance=4)
    with pytest.raises(ActionError) as exc:
        actions.do_save_business(
            org.rsj_handler,
            system,
            xx,
            version=1,
            code="XX",
            name="信息发布",
            importance=3,
            linked=[foreign.pk],
        )
    assert exc.value.field == "linked"
    with pytest.raises(ActionError, match="自身"):
        actions.do_save_business(
            org.rsj_handler,
            system,
            xx,
            version=1,
            code="XX",
            name="信息发布",
            importance=3,
            linked=[xx.pk],
        )
    with pytest.raises(ActionError, match="已被使用"):
        actions.do_save_business(org.rsj_handler, system, code="GW", name="x", importance=1)


def test_asset_value_is_computed_and_follows_the_business(org):
    system = make_system(org)
    gw = actions.do_save_business(org.rsj_handler, system, code="GW", name="公文流转", importance=5)
    asset = actions.do_save_asset(
        org.rsj_handler,
        system,
        **asset_kw(factors={"mission": 5, "intrinsic": 4}, business=gw, value_reason="对外服务"),
    )
    # max(3, 4, 4) = 4; (2×4 + 5 + 4 + 5) / 5 = 4.4 → 4
    assert asset.value == 4 and asset.value_reason == "对外服务"
    assert asset.value_basis["text"].endswith("= 22/5 = 4.4 → 4")
    assert set(AssetAddress.objects.filter(asset=asset).values_list("kind", "value")) == {
        ("ip", "10.10.1.20"),
        ("host", "oa-web01"),
    }
    # the business becomes unimportant: (8 + 9 + 1) / 5 = 3.6 → 4; importance 1 and the
    # factors 1: (8 + 1 + 1 + 1) / 5 = 2.2 → 2
    asset = actions.do_save_asset(
        org.rsj_handler,
        system,
        asset,
        version=1,
        **asset_kw(factors={"mission": 1, "intrinsic": 1}, business=gw),
    )
    assert asset.value == 3  # (8 + 1 + 1 + 5) / 5 = 3
    actions.do_save_business(
        org.rsj_handler, system, gw, version=1, code="GW", name="公文流转", importance=1
    )
    asset.refresh_from_db()
    assert asset.value == 2 and asset.version == 3  # (8 + 1 + 1 + 1) / 5 = 2.2 → 2
    actions.do_remove_business(org.rsj_handler, gw)
    asset.refresh_from_db()
    assert asset.business is None and asset.value == 3  # (8 + 1 + 1) / 4 = 2.5 → 3


def test_layer_and_part(org):
    system = make_system(org)
    with pytest.raises(ActionError) as exc:
        actions.do_save_asset(org.rsj_handler, system, **asset_kw(part=""))
    assert exc.value.field == "part"
    with pytest.raises(ActionError) as exc:
        actions.do_save_asset(org.rsj_handler, system, **asset_kw(part="kitchen"))
    assert exc.value.field == "part"
    with pytest.raises(ActionError, match="系统资产不分"):
        actions.do_save_asset(org.rsj_handler, system, **asset_kw(layer="system"))
    s = actions.do_save_asset(
        org.rsj_handler,
        system,
        **asset_kw(code="OA", layer="system", part="", ips="", hostnames=""),
    )
    assert s.layer == "system"


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("ips", "10.10.1.300", "不是有效的 IP 地址"),
        ("ips", "oa-web", "不是有效的 IP 地址"),
        ("hostnames", "bad_host!", "不是有效的主机名"),
        ("hostnames", "-web", "不是有效的主机名"),
        ("hostnames", "10.1.1.1", "请填在“IP 地址”中"),
    ],
)
def test_addresses_are_validated(org, field, text, message):
    system = make_system(org)
    with pytest.raises(ActionError, match=message) as exc:
        actions.do_save_asset(org.rsj_handler, system, **asset_kw(**{field: text}))
    assert exc.value.field == field


def test_addresses_are_normalised(org):
    system = make_system(org)
    a = actions.do_save_asset(
        org.rsj_handler,
        system,
        **asset_kw(ips="10.10.1.20, 2001:DB8::0:1、10.10.1.20", hostnames="OA-Web01.Local."),
    )
    assert a.ips == "10.10.1.20\n2001:db8::1" and a.hostnames == "oa-web01.local"


def test_an_address_of_another_asset_is_refused_naming_it(org):
    system = make_system(org)
    actions.do_save_asset(org.rsj_handler, system, **asset_kw())
    with pytest.raises(ActionError, match="OA-WEB Web服务器") as exc:
        actions.do_save_asset(
            org.rsj_handler, system, **asset_kw(code="OA-DB", hostnames="db", ips="10.10.1.20")
        )
    assert exc.value.field == "ips"
    with pytest.raises(ActionError, match="OA-WEB") as exc:
        actions.do_save_asset(
            org.rsj_handler,
            system,
            **asset_kw(code="OA-DB", ips="10.10.1.40", hostnames="OA-WEB01"),
        )
    assert exc.value.field == "hostnames"
    # another system may use the same address
    other = make_system(org, "SB", name="社保")
    actions.do_save_asset(org.rsj_handler, other, **asset_kw())


def test_addresses_follow_an_edit(org):
    system = make_system(org)
    a = actions.do_save_asset(org.rsj_handler, system, **asset_kw())
    a = actions.do_save_asset(
        org.rsj_handler, system, a, version=1, **asset_kw(ips="10.10.1.21", hostnames="oa-web01")
    )
    assert sorted(AssetAddress.objects.filter(asset=a).values_list("value", flat=True)) == [
        "10.10.1.21",
        "oa-web01",
    ]
    b = actions.do_save_asset(org.rsj_handler, system, **asset_kw(code="B", hostnames=""))
    assert AssetAddress.objects.get(value="10.10.1.20").asset == b


def test_asset_refusals(org):
    system = make_system(org)
    a = actions.do_save_asset(org.rsj_handler, system, **asset_kw())
    with pytest.raises(ActionError, match="已被使用"):
        actions.do_save_asset(org.rsj_handler, system, **asset_kw(ips="", hostnames=""))
    with pytest.raises(StaleVersion):
        actions.do_save_asset(org.rsj_handler, system, a, version=7, **asset_kw())
    with pytest.raises(ActionError) as exc:
        actions.do_save_asset(org.rsj_handler, system, a, version=1, **asset_kw(integrity=6))
    assert exc.value.field == "integrity"
    with pytest.raises(ActionError, match="未知的赋值因素"):
        actions.do_save_asset(org.rsj_handler, system, a, version=1, **asset_kw(factors={"x": 1}))
    other = make_system(org, "SB", name="社保")
    foreign = actions.do_save_business(org.rsj_handler, other, code="YL", name="养老", importance=4)
    with pytest.raises(ActionError) as exc:
        actions.do_save_asset(org.rsj_handler, system, a, version=1, **asset_kw(business=foreign))
    assert exc.value.field == "business"
    for outsider in (org.zjj_handler, org.supervisor):
        with pytest.raises(PermissionDenied):
            actions.do_save_asset(outsider, system, **asset_kw(code="Z"))
        with pytest.raises(PermissionDenied):
            actions.do_remove_asset(outsider, a)


def test_each_change_writes_one_event(org):
    system = make_system(org)
    n = Event.objects.count()
    a = actions.do_save_asset(org.rsj_handler, system, **asset_kw())
    actions.do_save_asset(org.rsj_handler, system, a, version=1, **asset_kw(name="门户"))
    actions.do_remove_asset(org.rsj_handler, Asset.objects.get(pk=a.pk))
    assert list(Event.objects.order_by("seq").values_list("action", flat=True)[n:]) == [
        "infosec.asset.create",
        "infosec.asset.update",
        "infosec.asset.remove",
    ]


def _scenario(assessment, asset):
    from fengping.infosec.models import ThreatRating, Vulnerability

    threat = ThreatRating.objects.create(
        assessment=assessment,
        code=f"T{asset.pk}",
        threat_class="malicious_code",
        name="木马",
        origin="human_malicious",
        frequency=3,
    )
    vuln = Vulnerability.objects.create(
        system=assessment.system,
        source="audit",
        aspect="technical",
        key=f"k{asset.pk}",
        title="弱口令",
        severity=4,
    )
    return Scenario.objects.create(
        assessment=assessment,
        asset=asset,
        threat=threat,
        vulnerability=vuln,
        asset_value=4,
        frequency=3,
        severity=4,
        likelihood=3,
        loss=4,
        risk=14,
        level=3,
    )


def test_removal_takes_open_scenarios_and_is_refused_with_finished_ones(org):
    system = make_system(org)
    assets = add_assets(system, 2)
    a = start(org, system)
    _scenario(a, assets[1])
    assert actions.removal_effects(assets[1])["open"] == 1
    actions.do_remove_asset(org.rsj_handler, assets[1])
    assert not Scenario.objects.filter(assessment=a).exists()
    assert SystemAssessment.objects.get(pk=a.pk).inputs_changed_at >= a.inputs_changed_at
    SystemAssessment.objects.filter(pk=a.pk).update(status="finished")
    _scenario(SystemAssessment.objects.get(pk=a.pk), assets[2])
    with pytest.raises(ActionError, match="已办结"):
        actions.do_remove_asset(org.rsj_handler, assets[2])
    assert Asset.objects.filter(pk=assets[2].pk).exists()


def test_the_demo_systems_load_through_the_actions_once(db):
    from fengping.infosec.demo import load_demo
    from fengping.org.demo import load_demo as load_org

    load_org()
    assert load_demo() == 2 + 2 + 5 + 3 + 10
    assert load_demo() == 0
    oa = Asset.objects.filter(system__code="OA", layer="component")
    assert sorted(oa.values_list("part", flat=True)) == [
        "business_processing",
        "client",
        "data_storage",
        "service_provision",
    ]
    assert set(oa.values_list("ips", flat=True)) <= {
        "10.10.1.100",
        "10.10.1.20",
        "10.10.1.30",
        "10.10.1.40",
    }
    assert Asset.objects.filter(system__code="SB").count() == 10
    assert all(a.value_basis.get("text") for a in Asset.objects.all())
    assert AssetAddress.objects.filter(system__code="SB").count() == 18
