"""Builders for the treatment, task and report tests: a risk register written directly
through the ORM (the risk computation is tested elsewhere). No tests here."""

from __future__ import annotations

from fengping.infosec.models import (
    Aspect,
    Scenario,
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
from .builders import add_assets, make_system, start

# level -> risk value in the band of that level (isra bands 1–5, 6–10, 11–15, 16–20, 21–25)
RISK_OF = {1: 4, 2: 8, 3: 12, 4: 16, 5: 23}


def user_in(org: Org, username: str, department, role: str) -> User:
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing
    user, _ = org_actions.do_create_user(
        org.superuser,
        username=username,
        real_name=username,
        department=department,
        role=role,
        password=PASSWORD,
    )
    settled(user)
    return user


def rsj_leader(org: Org) -> User:
    return user_in(org, "rsj_leader", org.rsj, Role.LEADER)


def zjj_leader(org: Org) -> User:
    return user_in(org, "zjj_leader", org.zjj, Role.LEADER)


def vulnerability(system, n: int, *, grade: str = "high", severity: int = 4, aspect=None):
    return Vulnerability.objects.create(
        system=system,
        source=VulnSource.SCAN,
        aspect=aspect or Aspect.TECHNICAL,
        scanner="nessus",
        key=f"nessus:{n}:10.0.0.1:443/tcp",
        plugin_id=str(n),
        title=f"漏洞{n}",
        host="10.0.0.1",
        grade=grade,
        severity=severity,
    )


def register(
    org: Org,
    levels: dict[int, int] | None = None,
    *,
    code: str = "OA",
    department=None,
    shared_vulnerability: bool = False,
) -> SystemAssessment:
    """A system with assets, an open assessment and scenarios: `levels` maps a level to
    how many scenarios of it (default one of each). Each scenario has its own
    vulnerability unless `shared_vulnerability` (then all rest on one)."""
    levels = levels or {1: 1, 2: 1, 3: 1, 4: 1, 5: 1}
    system = make_system(org, code, department=department)
    assets = add_assets(system, 2)
    if department is not None:
        handler = user_in(org, f"{code.lower()}_handler", department, Role.HANDLER)
        from fengping.infosec.actions.assessments import do_start_assessment

        a = do_start_assessment(handler, system, title="评估")
    else:
        a = start(org, system)
    threat = ThreatRating.objects.create(
        assessment=a,
        code="T1",
        threat_class="malicious_code",
        name="恶意代码",
        origin=ThreatOrigin.HUMAN_MALICIOUS,
        frequency=4,
    )
    rows = []
    n = 0
    shared = vulnerability(system, 0) if shared_vulnerability else None
    for level, count in sorted(levels.items()):
        for _ in range(count):
            n += 1
            v = shared or vulnerability(system, n)
            risk = RISK_OF[level]
            rows.append(
                Scenario(
                    assessment=a,
                    asset=assets[1 + n % 2] if shared is None else assets[1 + n % 2],
                    threat=threat,
                    vulnerability=v,
                    asset_value=4,
                    frequency=4,
                    severity=4,
                    likelihood=min(5, level),
                    loss=min(5, level),
                    risk=risk,
                    level=level,
                    residual_risk=risk,
                    residual_level=level,
                )
            )
    if shared is not None:
        # one scenario per asset for a shared vulnerability (unique asset×threat×vuln)
        extra = []
        for i, row in enumerate(rows):
            row.asset = assets[i % len(assets)]
            extra.append(row)
        rows = extra[: len(assets)]
    Scenario.objects.bulk_create(rows)
    SystemAssessment.objects.filter(pk=a.pk).update(scenario_count=len(rows))
    return SystemAssessment.objects.get(pk=a.pk)


def scenario_of(a: SystemAssessment, level: int) -> Scenario:
    return Scenario.objects.filter(assessment=a, level=level).order_by("id").first()
