"""The demo cases of `fengping demo`: three organs with their people and about 300 cases
each, petitions and stage changes; loading twice creates nothing twice; the statistics
page shows the organs' figures."""

from __future__ import annotations

import datetime as dt

from fengping.cases import statistics as st
from fengping.cases.models import Case, OrganProfile, Petition, StageChange


def test_the_demo_cases_load_once(db, login):
    from fengping.cases.demo import CASES_PER_ORGAN, load_demo
    from fengping.org.demo import load_demo as load_org
    from fengping.org.models import User

    load_org()
    today = dt.date(2026, 12, 6)
    first = load_demo(today)
    assert first > 3 * CASES_PER_ORGAN
    assert load_demo(today) == 0
    assert load_demo(today + dt.timedelta(days=40)) == 0  # other dates, other 案号
    profiles = {p.department.code: p.organ_kind for p in OrganProfile.objects.all()}
    assert profiles == {"SFS-FY": "court", "SFS-JCY": "procuratorate", "SFS-GAJ": "public_security"}
    assert Case.objects.count() == 3 * CASES_PER_ORGAN
    numbers = list(Case.objects.filter(organ__code="SFS-FY").values_list("number", flat=True))
    assert all(n.startswith("（20") and n.endswith("号") for n in numbers)
    assert len(set(numbers)) == CASES_PER_ORGAN
    # Each organ's stages are its kind's; some facts carry the keyword criteria's words.
    for profile in OrganProfile.objects.all():
        stages = set(profile.kind().stage_codes())
        assert (
            set(Case.objects.filter(organ=profile.department).values_list("stage", flat=True))
            <= stages
        )
    assert Case.objects.filter(brief_facts__contains="讨薪").exists()
    assert Case.objects.filter(brief_facts__contains="聚集").exists()
    assert Case.objects.filter(major_complex=True).exists()
    assert Case.objects.exclude(coercive_measures="").exists()
    petitions = Petition.objects.all()
    assert petitions.count() > 50
    assert all(today - dt.timedelta(days=183) <= p.date <= today for p in petitions)
    assert StageChange.objects.filter(gate="adjudicate").exists()
    # Every organ has its handler, 分管领导 and 主要负责人.
    for name in ("lintao", "hejun", "songwei", "fangli", "guoqiang", "tanghong", "majun",
                 "luyong", "xuefeng"):  # fmt: skip
        assert User.objects.get(username=name).memberships.exists()
    head = User.objects.get(username="songwei")
    period = st.Period(dt.date(2026, 7, 1), dt.date(2026, 12, 1))
    stats = st.monthly(head, period)
    assert [o.name for o in stats.organs] == ["市中级人民法院"]
    assert stats.total["petitions"] > 0 and stats.total["adjudicated"] > 0
    page = login(User.objects.get(username="admin")).get("/cases/statistics/")
    assert page.status_code == 200 and "市公安局" in page.content.decode()


def test_the_demo_flow_screens_decides_and_resolves_one_case(db):
    from fengping.cases import demo_flow
    from fengping.cases.demo import load_demo
    from fengping.cases.models import AssessmentStatus, CaseAssessment, ScreeningRun
    from fengping.org.demo import load_demo as load_org

    load_org()
    today = dt.date(2026, 12, 6)
    load_demo(today)
    assert not Case.objects.filter(terms_key="").exists()  # keywords kept, as an import keeps them
    assert demo_flow.load_demo(today) == 6
    assert demo_flow.load_demo(today) == 0  # once
    assert ScreeningRun.objects.filter(month=dt.date(2026, 11, 1)).count() == 3
    assert ScreeningRun.objects.filter(month=dt.date(2026, 12, 1)).count() == 3
    resolved = CaseAssessment.objects.get(status=AssessmentStatus.RESOLVED)
    assert resolved.case.stage == "ruling"  # adjudicated once its risk was resolved
    still_open = CaseAssessment.objects.get(status=AssessmentStatus.OPEN)
    assert still_open.case.risk_open
