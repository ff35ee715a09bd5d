"""Builders shared by the infosec tests: a system with assets and addresses, an
assessment of it, an assessment with risk scenarios of given levels. Rows are written directly where the test is not about how they are
made; the actions are tested in their own modules."""

from __future__ import annotations

from fengping.infosec.actions.assessments import do_start_assessment
from fengping.infosec.models import (
    AddressKind,
    Aspect,
    AssessmentStatus,
    Asset,
    AssetAddress,
    AssetLayer,
    BusinessAsset,
    Scenario,
    System,
    SystemAssessment,
    ThreatOrigin,
    ThreatRating,
    Vulnerability,
    VulnSource,
)
from fengping.org import actions as org_actions
from fengping.org.models import Role, User
from tests.conftest import settled

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
    settled(user)
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


def assess_risks(
    user, system: System, levels: list[int], *, title="评估", vulnerability="弱口令"
) -> list[Scenario]:
    """A new assessment of `system` (the previous one finished) with one scenario per
    level: the system's first component asset and a vulnerability, one threat each."""
    SystemAssessment.objects.filter(system=system).update(status=AssessmentStatus.FINISHED)
    a = do_start_assessment(user, system, title=title)
    asset = system.assets.filter(layer="component").order_by("id").first()
    vuln, _new = Vulnerability.objects.get_or_create(
        system=system,
        key=f"{system.code}:v",
        defaults={
            "source": VulnSource.SCAN,
            "aspect": Aspect.TECHNICAL,
            "title": vulnerability,
            "grade": "high",
            "severity": 4,
        },
    )
    rows = []
    for n, level in enumerate(levels):
        threat = ThreatRating.objects.create(
            assessment=a,
            code=f"T{n:03d}",
            threat_class="network_attack",
            name=f"{system.code}攻击{n}",
            origin=ThreatOrigin.HUMAN_MALICIOUS,
            frequency=3,
        )
        risk = level * 5 - n % 3  # ties on level, risk apart (ties on both by n % 3)
        rows.append(
            Scenario(
                assessment=a,
                asset=asset,
                threat=threat,
                vulnerability=vuln,
                asset_value=4,
                frequency=3,
                severity=4,
                likelihood=3,
                loss=level,
                risk=risk,
                level=level,
                residual_risk=risk,
                residual_level=level,
            )
        )
    return Scenario.objects.bulk_create(rows)
