"""Issue 8 (what a new user hit): a 篇3 matter's pages cited 篇1 passages. Every page of a
matter and its assessment quotes the frozen scheme's own text — 篇3 for a town's matter,
篇1 for a bureau's — and never the other section."""

import pytest
from django.urls import reverse

from fengping.schemes import load_builtin
from fengping.schemes.cite import cite, step_text

from .flow import to_grade_step

OTHER = {"ssra-town": "篇1", "ssra-bureau": "篇3"}
OWN = {"ssra-town": "篇3", "ssra-bureau": "篇1"}


def _pages(a):
    m = a.matter_id
    tabs = ["plan", "consult", "factors", "checklist", "grade", "report", "decision", "filing"]
    return [
        *(reverse("assessments:detail", args=[a.pk]) + f"?tab={tab}" for tab in tabs),
        reverse("assessments:plan", args=[a.pk]),
        reverse("assessments:factor_add", args=[a.pk]),
        reverse("assessments:grade", args=[a.pk]),
        reverse("assessments:file", args=[a.pk]),
        reverse("assessments:measure_add", args=[a.pk]),
        reverse("matters:detail", args=[m]),
        reverse("matters:designate", args=[m]),
        reverse("matters:consultation", args=[m]),
        reverse("opinions:matter", args=[m]),
    ]


@pytest.mark.parametrize("key", ["ssra-town", "ssra-bureau"])
def test_pages_cite_only_their_own_scheme(key, org, login):
    a = to_grade_step(org, scheme_key=key)
    client = login(org.rsj_head)
    own_seen = False
    for url in _pages(a):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert OTHER[key] not in html, url
        own_seen = own_seen or OWN[key] in html
    assert own_seen


def test_citations_come_from_the_scheme_text():
    town, bureau = load_builtin()["ssra-town"], load_builtin()["ssra-bureau"]
    assert (
        cite(town, "专项工作档案") == "篇3：并建立专项工作档案,做好资料的规范化收集和整理以备查。"
    )
    assert cite(bureau, "专家和群众代表").startswith("篇1：评估工作应邀请相关专家和群众代表参加")
    assert cite(bureau, "上级主管部门") == ""  # 篇1 says nothing of it: nothing is quoted
    assert step_text(town, "plan").startswith("篇3「制定评估方案」：评估事项确定后")
    assert step_text(bureau, "plan").startswith("篇1「制定评估方案」：")


def test_plan_page_quotes_the_frozen_scheme(org, login):
    a = to_grade_step(org, scheme_key="ssra-bureau")
    html = login(org.rsj_handler).get(reverse("assessments:plan", args=[a.pk])).content.decode()
    assert step_text(a.scheme, "plan") in html
