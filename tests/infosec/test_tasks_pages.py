"""The 安全整改 tab and a task's page through the pages and the API: overdue visible and
counted, filters, export, refusals (another system's task, an owner outside the
department, a reader)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from fengping.infosec.actions import tasks as k
from fengping.infosec.actions import treatment as t
from fengping.infosec.models import RemediationTask, TaskStatus, VulnStatus
from fengping.org.models import Role

from .treatment_builders import register, scenario_of, user_in, vulnerability


def _overdue(task):
    RemediationTask.objects.filter(pk=task.pk).update(
        deadline=timezone.localdate() - dt.timedelta(days=3)
    )


def test_tab_lists_filters_and_counts_overdue(org, login):
    a = register(org, {2: 1})
    late = k.do_create_task_from_vulnerability(org.rsj_handler, vulnerability(a.system, 91))
    k.do_create_task_from_vulnerability(org.rsj_handler, vulnerability(a.system, 92))
    _overdue(late)
    client = login(org.rsj_handler)
    url = reverse("infosec:tasks", args=[a.system.pk])
    html = client.get(url).content.decode()
    assert "漏洞91" in html and "漏洞92" in html and "已逾期 1" in html
    html = client.get(url + "?overdue=1").content.decode()
    assert "漏洞91" in html and "漏洞92" not in html
    html = client.get(url + "?status=unfinished&kind=technical").content.decode()
    assert "漏洞92" in html
    export = client.get(reverse("infosec:tasks_export", args=[a.system.pk]) + "?overdue=1")
    assert export.status_code == 200
    assert login(org.zjj_handler).get(url).status_code == 404


def test_create_from_vulnerability_through_the_page(org, login):
    a = register(org, {2: 1})
    v = vulnerability(a.system, 93, grade="critical", severity=5)
    client = login(org.rsj_handler)
    url = reverse("infosec:tasks", args=[a.system.pk])
    r = client.post(url, {"vulnerability": v.pk, "owner": org.rsj_unit_assessor.pk})
    assert r.status_code == 302
    task = RemediationTask.objects.get(vulnerability=v)
    assert (task.deadline - timezone.localdate()).days == 7
    assert login(org.supervisor).post(url, {"vulnerability": v.pk}).status_code == 403


def test_task_page_close_with_evidence_and_refusals(org, login):
    a = register(org, {4: 1})
    t.do_decide(org.rsj_handler, scenario_of(a, 4), "reduce", "修复")
    (task,) = k.do_create_tasks_from_risks(org.rsj_handler, a)
    client = login(org.rsj_handler)
    r = client.post(reverse("infosec:task_close", args=[task.pk]), {"text": ""})
    assert r.status_code == 302
    assert RemediationTask.objects.get(pk=task.pk).status == TaskStatus.OPEN
    # owner outside the department: the form shows the rule
    r = client.post(
        reverse("infosec:task", args=[task.pk]),
        {
            "title": "x",
            "kind": "technical",
            "owner": org.zjj_handler.pk,
            "deadline": "2027-01-01",
            "version": task.version,
        },
    )
    assert r.status_code == 200 and "责任人须是系统主管部门的人员" in r.content.decode()
    assert (
        login(org.supervisor)
        .post(reverse("infosec:task_close", args=[task.pk]), {"text": "x"})
        .status_code
        == 403
    )
    assert (
        login(org.zjj_handler)
        .post(reverse("infosec:task_close", args=[task.pk]), {"text": "x"})
        .status_code
        == 404
    )
    client = login(org.rsj_handler)  # one test client: log the owner in again
    r = client.post(reverse("infosec:task_close", args=[task.pk]), {"text": "已修复并复测"})
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.vulnerability.status == VulnStatus.CLOSED


def test_api_tasks(org, api):
    a = register(org, {3: 2})
    call = api(org.rsj_handler)
    t.do_decide_bulk(org.rsj_handler, a, "reduce", "整改", filters={"levels": [3]})
    r = call("post", f"/infosec/assessments/{a.pk}/tasks/from-risks", {"owner": "rsj_handler"})
    assert r.status_code == 201 and len(r.json()) == 2
    task_id = r.json()[0]["id"]
    base = f"/infosec/systems/{a.system.pk}/tasks"
    page = call("get", base + "?status=open").json()
    assert page["count"] == 2
    r = call("post", f"{base}/{task_id}/close", {"text": ""})
    assert r.status_code == 400 and "证据" in r.json()["detail"]
    r = call("post", f"{base}/{task_id}/start", {})
    assert r.json()["status"] == "in_progress"
    r = call(
        "put",
        f"{base}/{task_id}",
        {"title": "x", "kind": "technical", "deadline": "2027-01-01", "owner": "zjj_handler"},
    )
    assert r.status_code == 400 and r.json()["detail"] == "责任人须是系统主管部门的人员"
    r = call("post", f"{base}/{task_id}/close", {"text": "已修复"})
    assert r.json()["status"] == "done"
    assert call("get", base + "?overdue=1").json()["count"] == 0
    # another system's task under this system's URL: 404
    other = register(org, {2: 1}, code="ZJ", department=org.zjj)
    zj = user_in(org, "zj_handler", org.zjj, Role.HANDLER)
    foreign = k.do_create_task_from_vulnerability(zj, vulnerability(other.system, 7))
    assert call("post", f"{base}/{foreign.pk}/close", {"text": "x"}).status_code == 404
    r = call("post", f"/infosec/systems/{other.system.pk}/tasks/{foreign.pk}/close", {"text": "x"})
    assert r.status_code == 404
    assert api(org.supervisor)("post", f"{base}/{task_id}/cancel", {"text": "x"}).status_code == 403


def test_estate_lists_of_overdue_tasks_and_due_reviews(org, login, api):
    import datetime as _dt

    from fengping.infosec.models import RiskDecision

    a = register(org, {4: 1, 2: 1})
    late = k.do_create_task_from_vulnerability(org.rsj_handler, vulnerability(a.system, 95))
    _overdue(late)
    d = t.do_decide(org.rsj_handler, scenario_of(a, 4), "accept", "可接受")
    t.do_approve_acceptance(org.city_leader, d)
    RiskDecision.objects.filter(pk=d.pk).update(
        expires_on=timezone.localdate() - _dt.timedelta(days=1)
    )
    html = login(org.rsj_head).get(reverse("infosec:all_tasks") + "?overdue=1").content.decode()
    assert "漏洞95" in html
    html = login(org.zjj_handler).get(reverse("infosec:all_tasks")).content.decode()
    assert "漏洞95" not in html
    html = login(org.supervisor).get(reverse("infosec:due_reviews")).content.decode()
    assert "可接受" in html
    assert login(org.rsj_head).get(reverse("infosec:due_reviews_export")).status_code == 200
    assert login(org.rsj_head).get(reverse("infosec:all_tasks_export")).status_code == 200
    assert api(org.rsj_head)("get", "/infosec/tasks?overdue=1").json()["count"] == 1
    assert api(org.zjj_handler)("get", "/infosec/tasks?overdue=1").json()["count"] == 0
    assert len(api(org.rsj_head)("get", "/infosec/acceptances/due").json()) == 1
    from fengping.infosec.task_lists import COUNTS, treatment_cards

    COUNTS.clear()
    cards = {c["label"]: c["value"] for c in treatment_cards(org.rsj_head)}
    assert cards == {"逾期整改任务": 1, "到期待复核的风险接受": 1, "待我批准的风险接受": 0}
