"""The matters list's 决定 filter (the outcome of `assessments.Decision`): its options are
the ssra schemes' decisions with their labels; the page, the API and the XLSX export
apply it alike, within the user's scope, a matter decided twice alike once; a value no
scheme offers is ignored and said so; the page costs a constant number of queries."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from fengping.assessments import actions as assessments
from fengping.assessments.models import Decision
from fengping.matters.actions import do_register_matter
from fengping.matters.models import Matter
from tests.assessments.flow import approve_reviews, to_decide_step, to_grade_step
from tests.opinions.conftest import register_matter


def decide(org, matter: Matter, outcome: str, label: str) -> Decision:
    """A decision row written directly (how decisions are taken is tested in
    tests/assessments); the matter is marked decided as `do_decide` would."""
    Matter.objects.filter(pk=matter.pk).update(status="decided")
    return Decision.objects.create(
        matter=matter,
        outcome=outcome,
        outcome_label=label,
        doc_no=f"示政发〔2026〕{matter.pk}号",
        decided_on=timezone.localdate(),
        authority="示范市人民政府",
        recorded_by=org.rsj_handler,
    )


@pytest.fixture
def decided(org):
    """人社局: 实施 ×2 (one decided twice alike), 不予实施 ×1, 暂缓实施 ×1, one undecided;
    住建局: 实施 ×1."""
    m = {name: register_matter(org, name) for name in ("甲", "乙", "丙", "丁", "未决")}
    decide(org, m["甲"], "implement", "实施")
    decide(org, m["甲"], "implement", "实施")  # decided again on a second assessment
    decide(org, m["乙"], "implement", "实施")
    decide(org, m["丙"], "reject", "不予实施")
    decide(org, m["丁"], "postpone", "暂缓实施")
    zjj = do_register_matter(
        org.zjj_handler,
        title="住建事项",
        scheme_key="ssra-town",
        category_code="focus_social_security",
        department=org.zjj,
    )
    # the area table makes 人社局 the lead department of a social-security matter
    Matter.objects.filter(pk=zjj.pk).update(lead_department=None)
    zjj.assisting_departments.clear()
    decide(org, zjj, "implement", "实施")
    return m


def titles(response) -> set[str]:
    return {m.title for m in response.context["listing"].page.object_list}


def test_the_filter_offers_the_schemes_decisions_with_their_labels(org, login):
    page = login(org.rsj_handler).get("/matters/")
    widget = next(w for w in page.context["listing"].filters if w["name"] == "decision")
    options = dict(widget["options"])
    # ssra-bureau's and ssra-town's decisions, each once.
    assert options == {
        "implement": "实施",
        "implement_partially": "部分实施",
        "postpone": "暂缓实施",
        "reject": "不予实施",
        "terminate": "终止实施",
    }
    assert widget["label"] == "决定"
    assert 'name="decision"' in page.content.decode()


def test_the_page_filters_by_outcome_within_the_scope(org, login, decided):
    client = login(org.rsj_handler)
    response = client.get("/matters/?decision=implement")
    assert titles(response) == {"甲", "乙"}  # 甲 once, though decided twice
    assert response.context["listing"].page.total == 2
    assert titles(client.get("/matters/?decision=reject")) == {"丙"}
    assert titles(client.get("/matters/?decision=terminate")) == set()
    assert titles(client.get(f"/matters/?decision=implement&department={org.rsj.pk}")) == {
        "甲",
        "乙",
    }
    # another department's matters stay out; the supervisor reads them all
    assert titles(login(org.zjj_handler).get("/matters/?decision=implement")) == {"住建事项"}
    assert titles(login(org.supervisor).get("/matters/?decision=implement")) == {
        "甲",
        "乙",
        "住建事项",
    }


def test_a_value_no_scheme_offers_is_ignored_and_said(org, login, decided):
    response = login(org.rsj_handler).get("/matters/?decision=approve-all")
    assert "筛选条件“决定”的值无效，已忽略" in response.content.decode()
    assert len(titles(response)) == 5


def test_a_decision_taken_through_the_action_is_found(org, login):
    a = approve_reviews(org, to_decide_step(org, to_grade_step(org)))
    assessments.do_decide(
        org.rsj_handler,
        a,
        outcome="reject",
        doc_no="示政发〔2026〕9号",
        decided_on=timezone.localdate(),
    )
    client = login(org.rsj_handler)
    assert titles(client.get("/matters/?decision=reject")) == {a.matter.title}
    assert titles(client.get("/matters/?decision=implement")) == set()


def test_the_api_twin_filters_alike(org, api, decided):
    call = api(org.rsj_handler)
    body = call("get", "/matters?decision=implement").json()
    assert body["count"] == 2 and {i["title"] for i in body["items"]} == {"甲", "乙"}
    assert call("get", "/matters?decision=postpone").json()["count"] == 1
    ignored = call("get", "/matters?decision=approve-all").json()
    assert ignored["count"] == 5 and ignored["messages"] == ["筛选条件“决定”的值无效，已忽略"]
    assert api(org.zjj_handler)("get", "/matters?decision=implement").json()["count"] == 1


def test_the_export_honours_the_filter(org, login, decided):
    response = login(org.rsj_handler).get("/matters/export.xlsx?decision=implement")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].values)
    header, body = rows[0], rows[1:]
    title = header.index("事项名称")
    assert sorted(r[title] for r in body) == ["乙", "甲"]
    # the page's export button carries the filter
    page = login(org.rsj_handler).get("/matters/?decision=implement").content.decode()
    assert "/matters/export.xlsx?decision=implement" in page


def test_the_filtered_page_costs_a_constant_number_of_queries(
    org, login, decided, django_assert_max_num_queries
):
    """As tests/matters/test_matters.py pins the list: the page's own, the bell and a fresh
    login's session refresh — the same with 62 decided matters as with 132."""
    client = login(org.rsj_handler)
    for i in range(60):
        decide(org, register_matter(org, f"事项{i}"), "implement", "实施")
    with django_assert_max_num_queries(14) as some:
        response = client.get("/matters/?decision=implement")
    assert response.context["listing"].page.total == 62
    nxt = response.context["listing"].page.next_query
    with django_assert_max_num_queries(14):
        assert len(titles(client.get(f"/matters/?{nxt}"))) == 12
    for i in range(70):
        decide(org, register_matter(org, f"后来{i}"), "implement", "实施")
    with django_assert_max_num_queries(len(some.captured_queries)):
        response = client.get("/matters/?decision=implement&year=" + str(timezone.localdate().year))
    assert response.context["listing"].page.total == 132
