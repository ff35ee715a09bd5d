"""Builders shared by the infosec tests: a system with assets and addresses, an
assessment of it. Rows are written directly where the test is not about how they are
made; the actions are tested in their own modules."""

from __future__ import annotations

from fengping.infosec.actions.assessments import do_start_assessment
from fengping.infosec.models import (
    AddressKind,
    Asset,
    AssetAddress,
    AssetLayer,
    BusinessAsset,
    System,
    SystemAssessment,
)
from fengping.org import actions as org_actions
from fengping.org.models import Role, User

from ..conftest import PASSWORD, Org


def leader_of(org: Org, username: str = "rsj_leader") -> User:
    """A 分管领导 of 人社局 (the department owning the test systems)."""
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing
    user, _ = org_actions.do_create_user(
        org.superuser,
        username=username,
        real_name=username,
        department=org.rsj,
        role=Role.LEADER,
        password=PASSWORD,
    )
    return user


def make_system(
    org: Org, code: str = "OA", *, department=None, name: str = "协同办公系统"
) -> System:
    return System.objects.create(
        department=department or org.rsj,
        code=code,
        name=name,
        business="公文流转、信息发布",
        protection_level=3,
        filing_number="11010099999-00001",
        created_by=org.rsj_handler,
    )


def add_assets(system: System, n: int = 4, *, business: BusinessAsset | None = None) -> list[Asset]:
    """n component assets (10.0.0.1 …, host-1 …) of value 4, plus one system asset."""
    parts = ["client", "service_provision", "business_processing", "data_storage"]
    assets = [
        Asset.objects.create(
            system=system,
            layer=AssetLayer.SYSTEM,
            code=f"{system.code}-SYS",
            name=system.name,
            confidentiality=4,
            integrity=4,
            availability=4,
            value=4,
            business=business,
        )
    ]
    for i in range(1, n + 1):
        asset = Asset.objects.create(
            system=system,
            layer=AssetLayer.COMPONENT,
            part=parts[(i - 1) % 4],
            code=f"{system.code}-{i:03d}",
            name=f"服务器{i}",
            asset_type="服务器",
            hostnames=f"host-{i}",
            ips=f"10.0.0.{i}",
            confidentiality=4,
            integrity=3,
            availability=3,
            value=4,
            business=business,
        )
        AssetAddress.objects.create(
            system=system, asset=asset, kind=AddressKind.IP, value=f"10.0.0.{i}"
        )
        AssetAddress.objects.create(
            system=system, asset=asset, kind=AddressKind.HOST, value=f"host-{i}"
        )
        assets.append(asset)
    return assets


def start(org: Org, system: System, title: str = "2026年度风险评估", **kw) -> SystemAssessment:
    return do_start_assessment(org.rsj_handler, system, title=title, **kw)
