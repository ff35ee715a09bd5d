"""具体实施办法和工作方案 (篇3 七(一)): registered with its files, filed with both the 维稳办
and the 联席办 (one receipt each, server time, late flag), each office 签收s its own, a
revision is version n+1 — every refusal through the action, the page and the API."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from fengping.core.errors import ActionError
from fengping.org import actions as org_actions
from fengping.org.models import Role, User
from fengping.supervision import deadlines
from fengping.supervision.actions import plans
from fengping.supervision.actions import rules_filing as rules
from fengping.supervision.models import RulesFiling, RulesReceipt
from tests.conftest import PASSWORD, Org, build_org, settled
from tests.module_db import module_data

YEAR = timezone.localdate().year


def upload(name: str = "实施办法.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "实施办法正文".encode())


def build_world() -> tuple[Org, int]:
    org = build_org()
    dual, _ = org_actions.do_create_user(
        org.superuser,
        username="dual",
        real_name="双重任职",
        department=org.rsj,
        role=Role.HANDLER,
        password=PASSWORD,
    )
    settled(dual)
    org_actions.do_add_membership(org.superuser, dual, org.lxb, Role.HANDLER)
    return org, dual.pk


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from module_data(django_db_blocker, build_world)


@pytest.fixture
def org(db, world) -> Org:
    return world[0].fresh()


@pytest.fixture
def dual(db, world) -> User:
    return User.objects.get(pk=world[1])


@pytest.fixture
def at(monkeypatch):
    def move(*args: int) -> None:
        when = timezone.make_aware(dt.datetime(*args, 10, 0))
        monkeypatch.setattr(plans, "now", lambda: when)

    return move


def registered(org: Org, actor=None) -> RulesFiling:
    return rules.do_register_rules(
        actor or org.rsj_handler,
        org.rsj,
        year=YEAR,
        title="人社局社会稳定风险评估实施办法",
        doc_number="示人社发〔2026〕3号",
        uploads=[upload()],
    )


def test_filed_with_both_offices_each_acknowledges_its_own(org):
    filing = rules.do_file_rules(org.rsj_handler, registered(org))
    assert filing.filed_by == org.rsj_handler and filing.number == 1
    _base, due = deadlines.yearly_due("implementation_rules", YEAR)
    assert filing.due_on == due and filing.late is (timezone.localdate(filing.filed_at) > due)
    receipts = {r.office_id: r for r in filing.receipts.all()}
    assert set(receipts) == {org.wwb.pk, org.lxb.pk}
    with pytest.raises(PermissionDenied):
        rules.do_acknowledge_rules(org.supervisor, receipts[org.lxb.pk])  # the other office's
    with pytest.raises(PermissionDenied):
        rules.do_acknowledge_rules(org.rsj_handler, receipts[org.wwb.pk])
    rules.do_acknowledge_rules(org.supervisor, receipts[org.wwb.pk])
    rules.do_acknowledge_rules(org.lxb_supervisor, receipts[org.lxb.pk])
    assert RulesReceipt.objects.filter(filing=filing, acknowledged_at__isnull=True).count() == 0
    with pytest.raises(ActionError, match="已于"):
        rules.do_acknowledge_rules(
            org.supervisor, RulesReceipt.objects.get(pk=receipts[org.wwb.pk].pk)
        )


def test_revision_is_the_next_number(org):
    first = rules.do_file_rules(org.rsj_handler, registered(org))
    with pytest.raises(ActionError, match="已于"):
        rules.do_file_rules(org.rsj_handler, RulesFiling.objects.get(pk=first.pk))
    with pytest.raises(ActionError, match="不能再更改文件"):
        rules.do_add_rules_document(org.rsj_handler, first, upload())
    second = registered(org)
    assert second.number == 2
    with pytest.raises(ActionError, match="尚未报送"):
        registered(org)
    rules.do_file_rules(org.rsj_handler, second)


def test_refusals(org, at, dual):
    with pytest.raises(PermissionDenied):
        registered(org, org.zjj_handler)
    with pytest.raises(PermissionDenied):
        registered(org, org.supervisor)
    empty = rules.do_register_rules(org.rsj_handler, org.rsj, year=YEAR, title="无文件")
    with pytest.raises(ActionError, match="请先上传"):
        rules.do_file_rules(org.rsj_handler, empty)
    with pytest.raises(PermissionDenied):
        rules.do_file_rules(org.zjj_handler, empty)
    doc = rules.do_add_rules_document(org.rsj_handler, empty, upload())
    rules.do_remove_rules_document(org.rsj_handler, doc)
    assert not empty.documents.exists()
    at(YEAR, 9, 1)
    with pytest.raises(ActionError, match="10月1日起"):
        rules.do_register_rules(org.rsj_handler, org.rsj, year=YEAR + 1, title="明年")
    # the filer who is also of the 联席办 may not 签收 it
    rules.do_add_rules_document(dual, empty, upload())
    filed = rules.do_file_rules(dual, empty)
    with pytest.raises(ActionError, match="报送人不能签收"):
        rules.do_acknowledge_rules(dual, filed.receipts.get(office=org.lxb))


def test_late_filing(org, at):
    at(YEAR, 4, 15)
    filing = rules.do_file_rules(org.rsj_handler, registered(org))
    assert filing.late is True and filing.filed_at.date() == dt.date(YEAR, 4, 15)


def test_pages(org, login, dual):
    client = login(org.rsj_handler)
    r = client.post(
        reverse("supervision:rules_create"),
        {"department": org.rsj.pk, "year": YEAR, "title": "实施办法", "file": upload()},
    )
    assert r.status_code == 302, r.content.decode()[:500]
    filing = RulesFiling.objects.get(department=org.rsj, title="实施办法")
    page = html.unescape(
        client.get(reverse("supervision:rules", args=[filing.pk])).content.decode()
    )
    assert "报送维稳办、联席办" in page and "实施办法.txt" in page
    assert (
        login(org.zjj_handler).post(reverse("supervision:rules_file", args=[filing.pk])).status_code
        == 404
    )
    assert (
        login(org.supervisor).post(reverse("supervision:rules_file", args=[filing.pk])).status_code
        == 403
    )
    client = login(org.rsj_handler)
    assert client.post(reverse("supervision:rules_file", args=[filing.pk])).status_code == 302
    r = client.post(reverse("supervision:rules_file", args=[filing.pk]))
    assert "已于" in " ".join(str(m) for m in r.wsgi_request._messages)
    wwb = filing.receipts.get(office=org.wwb)
    ack = reverse("supervision:rules_acknowledge", args=[wwb.pk])
    assert client.post(ack).status_code == 403
    assert login(org.lxb_supervisor).post(ack).status_code == 403
    assert login(org.supervisor).post(ack).status_code == 302
    assert client.get(reverse("supervision:rules_list")).status_code == 200
    export = client.get(reverse("supervision:rules_export"))
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    doc = filing.documents.get()
    assert client.get(reverse("supervision:rules_document", args=[doc.pk])).status_code == 200
    # the dual filer of the 联席办
    second = registered(org, dual)
    rules.do_file_rules(dual, second)
    r = login(dual).post(
        reverse("supervision:rules_acknowledge", args=[second.receipts.get(office=org.lxb).pk])
    )
    assert "报送人不能签收" in " ".join(str(m) for m in r.wsgi_request._messages)


def test_api(org, api, dual):
    call = api(org.rsj_handler)
    r = call(
        "post",
        "/supervision/rules",
        {"department_id": org.rsj.pk, "year": YEAR, "title": "接口登记"},
    )
    assert r.status_code == 201 and r.json()["number"] == 1
    rid = r.json()["id"]
    r = call("post", f"/supervision/rules/{rid}/filing")
    assert r.status_code == 400 and r.json()["detail"] == "请先上传实施办法和工作方案文件"
    rules.do_add_rules_document(org.rsj_handler, RulesFiling.objects.get(pk=rid), upload())
    r = api(org.zjj_handler)(
        "post", "/supervision/rules", {"department_id": org.rsj.pk, "year": YEAR, "title": "x"}
    )
    assert r.status_code == 403
    r = call("post", f"/supervision/rules/{rid}/filing")
    assert r.status_code == 200 and len(r.json()["receipts"]) == 2
    receipts = {x["office_id"]: x["id"] for x in r.json()["receipts"]}
    r = call("post", f"/supervision/rules/receipts/{receipts[org.wwb.pk]}/acknowledgement")
    assert r.status_code == 403
    r = api(org.supervisor)(
        "post", f"/supervision/rules/receipts/{receipts[org.lxb.pk]}/acknowledgement"
    )
    assert r.status_code == 403
    r = api(org.lxb_supervisor)(
        "post", f"/supervision/rules/receipts/{receipts[org.lxb.pk]}/acknowledgement"
    )
    assert r.status_code == 200 and r.json()["acknowledged_by"] == "lxb_supervisor"
    listed = call("get", f"/supervision/rules?year={YEAR}")
    assert [x["id"] for x in listed.json()["items"]] == [rid]
    assert api(org.zjj_handler)("get", "/supervision/rules").json()["items"] == []
    r = call(
        "post", "/supervision/rules", {"department_id": org.rsj.pk, "year": 2019, "title": "旧"}
    )
    assert r.status_code == 400 and "已经结束" in r.json()["detail"]
    second = registered(org, dual)
    rules.do_file_rules(dual, second)
    r = api(dual)(
        "post",
        f"/supervision/rules/receipts/{second.receipts.get(office=org.lxb).pk}/acknowledgement",
    )
    assert r.status_code == 400 and r.json()["detail"] == "报送人不能签收本人报送的文件"
