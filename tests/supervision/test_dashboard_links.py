"""The dashboard's decisions and risk charts open the list actually behind them: each
slice's link, followed with the test client, opens a list that accepts every filter it
carries and counts what the slice says — for each persona and with the dashboard's year
and department filters."""

from __future__ import annotations

import pytest
from django.utils import timezone

from fengping.assessments.models import Decision
from fengping.matters.actions import do_register_matter
from fengping.matters.models import Matter
from fengping.supervision import dashboard as db
from tests.infosec.builders import add_assets, assess_risks, make_system
from tests.opinions.conftest import register_matter


@pytest.fixture(autouse=True)
def _fresh_memo():
    db._memo.clear()
    yield
    db._memo.clear()


def decide(org, matter: Matter, outcome: str, label: str) -> None:
    Matter.objects.filter(pk=matter.pk).update(status="decided")
    Decision.objects.create(
        matter=matter,
        outcome=outcome,
        outcome_label=label,
        doc_no=f"示政发〔2026〕{matter.pk}号",
        decided_on=timezone.localdate(),
        authority="示范市人民政府",
        recorded_by=org.rsj_handler,
    )


@pytest.fixture
def built(org):
    """Decisions of 人社局 (2025 and 2026; one matter decided twice alike), of its
    养老保险科 and of 住建局 (led by 人社局, as the area table proposes); risk scenarios
    of systems of all three, one system with an older assessment."""
    rsj = [register_matter(org, f"人社事项{i}") for i in range(5)]
    unit = register_matter(org, "科室事项", department=org.rsj_unit)
    zjj = [
        do_register_matter(
            org.zjj_handler,
            title=f"住建事项{i}",
            scheme_key="ssra-town",
            category_code="focus_social_security",
            department=org.zjj,
        )
        for i in range(2)
    ]
    Matter.objects.update(year=2026)
    Matter.objects.filter(pk=rsj[4].pk).update(year=2025)
    for matter, outcome, label in (
        (rsj[0], "implement", "实施"),
        (rsj[0], "implement", "实施"),  # a second assessment decided alike
        (rsj[1], "implement", "实施"),
        (rsj[2], "reject", "不予实施"),
        (rsj[3], "postpone", "暂缓实施"),
        (rsj[4], "implement", "实施"),
        (unit, "implement_partially", "部分实施"),
        (zjj[0], "implement", "实施"),
        (zjj[1], "reject", "不予实施"),
    ):
        decide(org, matter, outcome, label)
    oa = make_system(org, "OA")
    yl = make_system(org, "YL", department=org.rsj_unit, name="养老金系统")
    zj = make_system(org, "ZJ", department=org.zjj, name="住建系统")
    for system in (oa, yl, zj):
        add_assets(system, 1)
    assess_risks(org.rsj_handler, oa, [5, 5, 5, 5], title="上一次评估")
    assess_risks(org.rsj_handler, oa, [5, 4, 4, 3, 2, 1, 1])
    assess_risks(org.rsj_handler, yl, [5, 3, 3])
    assess_risks(org.zjj_handler, zj, [4, 2, 2, 2])


def followed(client, chart: dict) -> list[tuple[str, int, int]]:
    """(label, the slice's value, the count of the list its link opens) per slice."""
    out = []
    for item in chart["items"]:
        response = client.get(item["url"])
        assert response.status_code == 200, item["url"]
        listing = response.context["listing"]
        assert listing.messages == [], (item["url"], listing.messages)
        assert not listing.page.total_capped
        out.append((item["label"], item["value"], listing.page.total))
    return out


PERSONAS = ["supervisor", "rsj_head", "rsj_unit_assessor", "zjj_handler"]


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize(
    "year,department",
    [(None, None), (2026, None), (None, "rsj"), (2026, "rsj_unit"), (None, "zjj")],
)
def test_each_slice_opens_a_list_of_as_many(org, login, built, who, year, department):
    user = getattr(org, who)
    dept = getattr(org, department).pk if department else None
    data = db.figures(user, db.parse_filters(user, year, dept))[0]
    client = login(user)
    for key in ("decisions", "risk"):
        chart = next(c for c in data["charts"] if c["key"] == key)
        for label, value, total in followed(client, chart):
            assert total == value, (who, year, department, key, label)


def test_the_figures_are_what_was_built(org, built):
    def values(user, key, **f):
        data = db.figures(user, db.parse_filters(user, f.get("year"), f.get("department")))[0]
        chart = next(c for c in data["charts"] if c["key"] == key)
        return {i["label"]: i["value"] for i in chart["items"] if i["value"]}

    db._memo.clear()
    assert values(org.supervisor, "decisions") == {
        "实施": 4,  # 人社事项0 once, 人社事项1, 人社事项4, 住建事项0
        "不予实施": 2,
        "暂缓实施": 1,
        "部分实施": 1,
    }
    assert values(org.supervisor, "decisions", year=2026, department=org.rsj.pk) == {
        "实施": 2,
        "不予实施": 1,
        "暂缓实施": 1,
        "部分实施": 1,
    }
    # 住建局's matters are led by 人社局: its people see their decisions too
    assert values(org.rsj_head, "decisions")["实施"] == 4
    assert values(org.zjj_handler, "decisions") == {"实施": 1, "不予实施": 1}
    # the latest assessment of each system only
    assert values(org.supervisor, "risk") == {"很高": 2, "高": 3, "中": 3, "低": 4, "很低": 2}
    assert values(org.rsj_unit_assessor, "risk") == {"很高": 1, "中": 2}
    assert values(org.supervisor, "risk", department=org.zjj.pk) == {"高": 1, "低": 3}


def test_the_links_name_the_outcome_the_level_and_the_filters(org, built):
    f = db.parse_filters(org.supervisor, 2026, org.rsj.pk)
    data = db.figures(org.supervisor, f)[0]
    decisions = next(c for c in data["charts"] if c["key"] == "decisions")
    reject = next(i for i in decisions["items"] if i["code"] == "reject")
    assert reject["url"] == f"/matters/?year=2026&department={org.rsj.pk}&decision=reject"
    risk = next(c for c in data["charts"] if c["key"] == "risk")
    assert [i["url"] for i in risk["items"]][
        0
    ] == f"/infosec/risks/?level=5&department={org.rsj.pk}"
    assert [i["code"] for i in risk["items"]] == [5, 4, 3, 2, 1]


def test_an_outcome_no_scheme_offers_opens_the_decided_matters(org, built):
    decide(org, register_matter(org, "旧方案事项"), "withdrawn", "撤回")
    data = db.figures(org.supervisor, db.parse_filters(org.supervisor, None, None))[0]
    decisions = next(c for c in data["charts"] if c["key"] == "decisions")
    withdrawn = next(i for i in decisions["items"] if i["code"] == "withdrawn")
    assert withdrawn["label"] == "撤回" and withdrawn["value"] == 1
    assert withdrawn["url"] == "/matters/?status=decided"
