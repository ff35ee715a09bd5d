"""The case registry: the organ's settings and column mapping, cases and their checks,
updates with their revisions, stage moves, 信访 records — by the actions, the pages and the
API, attacked from another organ, as a reader and by direct POST."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from fengping.audit.models import Event
from fengping.cases.actions import cases as actions
from fengping.cases.models import Case, CaseRevision, OrganProfile, Petition, StageChange
from fengping.cases.queries import profile_of
from fengping.core.concurrency import StaleVersion
from fengping.core.errors import ActionError
from fengping.org import actions as org_actions
from fengping.org.models import DepartmentKind, Role

from ..conftest import build_org
from ..module_db import module_data
from .builders import Courts, build_courts, make_case


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    def build():
        org = build_org()
        return org, build_courts(org)

    yield from module_data(django_db_blocker, build)


@pytest.fixture
def c(db, world) -> Courts:
    return world[1].fresh()


@pytest.fixture
def org(db, world):
    return world[0].fresh()


def events(action: str) -> int:
    return Event.objects.filter(action=action).count()


def new_case(c: Courts, number: str = "（2026）示刑初100号", **kw):
    values = {"number": number, "title": "张某故意伤害案", "category": "criminal", **kw}
    return actions.do_create_case(c.fy_handler, c.fy, **values)


# ---------------------------------------------------------------- organ settings


def test_only_leading_roles_set_up_an_organ(org, c):
    dept = org_actions.do_create_department(
        org.superuser, name="示范市公安局", code="GA", kind=DepartmentKind.POLITICAL_LEGAL,
        parent=org.root,
    )  # fmt: skip
    for user in (c.fy_handler, c.fy_reader, c.jcy_leader):
        with pytest.raises(PermissionDenied):
            actions.do_save_organ(user, c.fy, organ_kind="court")
    with pytest.raises(PermissionDenied):
        actions.do_save_organ(c.fy_leader, dept, organ_kind="public_security")
    profile = actions.do_save_organ(org.superuser, dept, organ_kind="public_security")
    assert profile.organ_kind == "public_security" and profile.scheme_key == "case-risk"
    with pytest.raises(ActionError, match="单位类别须为"):
        actions.do_save_organ(c.fy_head, c.fy, organ_kind="navy")
    assert events("cases.organ.save") == 1


def test_changing_the_kind_keeps_every_case_on_a_known_stage(c):
    make_case(c.fy, "A1", stage="trial")  # 审理: the procuratorate has no such stage
    profile = OrganProfile.objects.get(department=c.fy)
    with pytest.raises(ActionError, match="trial"):
        actions.do_save_organ(c.fy_head, c.fy, organ_kind="procuratorate", version=profile.version)
    Case.objects.filter(organ=c.fy).update(stage="review")
    with pytest.raises(StaleVersion):
        actions.do_save_organ(c.fy_head, c.fy, organ_kind="procuratorate", version=99)
    done = actions.do_save_organ(
        c.fy_head, c.fy, organ_kind="procuratorate", version=profile.version
    )
    assert done.organ_kind == "procuratorate" and done.version == profile.version + 1


def test_the_column_mapping_is_checked(c):
    profile = OrganProfile.objects.get(department=c.fy)
    with pytest.raises(PermissionDenied):
        actions.do_save_mapping(c.fy_handler, profile, mapping={"案件编号": "number"})
    for mapping, message in (
        ({"案件编号": "nope"}, "不存在"),
        ({"案件编号": "number", "编号": "number"}, "每个字段只能对应一列"),
        ({"案件名称": "number"}, "是本系统的列名"),
        ({"x" * 101: "number"}, "列名须为"),
    ):
        with pytest.raises(ActionError, match=message):
            actions.do_save_mapping(c.fy_leader, profile, mapping=mapping)
    saved = actions.do_save_mapping(
        c.fy_leader, profile, mapping={" 案件编号 ": "number", "阶段": "stage"}
    )
    assert saved.column_mapping == {"案件编号": "number", "阶段": "stage"}
    assert events("cases.organ.mapping") == 1


# ---------------------------------------------------------------- cases


def test_a_case_is_checked_against_the_organs_scheme(c):
    for kw, field in (
        ({"category": "navy"}, "category"),
        ({"number": ""}, "number"),
        ({"title": ""}, "title"),
        ({"vulnerable_groups": ["elderly", "aliens"]}, "vulnerable_groups"),
        ({"coercive_measures": "查封、没收"}, "coercive_measures"),
        ({"handler": c.jcy_handler}, "handler"),  # another organ's member
        ({"amount": "-1"}, "amount"),
        ({"accepted_on": dt.date.today() + dt.timedelta(days=3)}, "accepted_on"),
        ({"party_count": -1}, "party_count"),
        ({"stage": "investigation"}, "stage"),  # a stage of the police, not of a court
    ):
        with pytest.raises(ActionError) as refused:
            new_case(c, **kw)
        assert refused.value.field == field, (kw, refused.value.message)
    case = new_case(
        c,
        handler=c.fy_handler2,  # a member of the court's 刑事审判庭: a unit of the organ
        vulnerable_groups=["老年人", "minor"],
        coercive_measures="查封、冻结",
        amount="1,200.5",
        public_attention=True,
    )
    assert case.vulnerable_groups == ",elderly,minor,"
    assert case.coercive_measures == ",freezing,seizure,"
    assert case.amount == Decimal("1200.50")
    assert case.stage == "accepted" and case.stage_since == dt.date.today()
    assert StageChange.objects.get(case=case).to_stage == "accepted"
    with pytest.raises(ActionError, match="已有案号"):
        new_case(c)
    # The same 案号 at another organ is another case.
    actions.do_create_case(
        c.jcy_handler, c.jcy, number=case.number, title="另案", category="criminal"
    )
    assert events("cases.case.create") == 2


def test_who_may_register_a_case(c):
    for user, organ in ((c.fy_reader, c.fy), (c.jcy_handler, c.fy), (c.zfw_supervisor, c.fy)):
        with pytest.raises(PermissionDenied):
            actions.do_create_case(user, organ, number="X1", title="t", category="civil")
    assert not Case.objects.filter(number="X1").exists()


def test_an_update_writes_what_changed(c):
    case = new_case(c)
    unchanged = actions.do_update_case(c.fy_handler, case, version=case.version)
    assert unchanged.version == case.version and not CaseRevision.objects.exists()
    updated = actions.do_update_case(
        c.fy_handler,
        case,
        version=case.version,
        title="张某故意伤害（重伤）案",
        handler=c.fy_handler2,
        amount=Decimal("300"),
        major_complex=True,
    )
    revision = CaseRevision.objects.get(case=case)
    assert revision.source == "page" and revision.changed_by == c.fy_handler
    assert revision.changes == {
        "title": ["张某故意伤害案", "张某故意伤害（重伤）案"],
        "handler": [None, "fy_handler2"],
        "amount": [None, "300.00"],
        "major_complex": [False, True],
    }
    assert updated.version == case.version + 1
    with pytest.raises(StaleVersion):
        actions.do_update_case(c.fy_handler, case, version=case.version, title="x")
    # Clearing 重大、疑难、复杂 opens the gate: a handler may not, a leader may.
    with pytest.raises(ActionError, match="分管领导"):
        actions.do_update_case(c.fy_handler, updated, major_complex=False)
    actions.do_update_case(c.fy_leader, updated, major_complex=False)
    assert CaseRevision.objects.filter(case=case).count() == 2
    with pytest.raises(PermissionDenied):
        actions.do_update_case(c.fy_reader, updated, title="读者改名")
    with pytest.raises(PermissionDenied):
        actions.do_update_case(c.jcy_handler, updated, title="他单位改名")
    assert events("cases.case.update") == 2


def test_moving_the_stage_writes_the_change(c):
    case = new_case(c)
    with pytest.raises(ActionError, match="已处于"):
        actions.do_move_stage(c.fy_handler, case, to_stage="accepted")
    with pytest.raises(ActionError, match="不是人民法院的办理阶段"):
        actions.do_move_stage(c.fy_handler, case, to_stage="investigation")
    with pytest.raises(PermissionDenied):
        actions.do_move_stage(c.fy_reader, case, to_stage="trial")
    moved = actions.do_move_stage(
        c.fy_handler,
        case,
        to_stage="ruling",
        version=case.version,
        note="开庭后",
        on=dt.date(2026, 11, 2),
    )
    assert moved.stage == "ruling" and moved.stage_since == dt.date(2026, 11, 2)
    change = StageChange.objects.filter(case=case).first()
    assert (change.from_stage, change.to_stage, change.gate, change.source, change.note) == (
        "accepted", "ruling", "adjudicate", "page", "开庭后",
    )  # fmt: skip
    with pytest.raises(StaleVersion):
        actions.do_move_stage(c.fy_handler, case, to_stage="closed", version=case.version)
    # Back to an earlier stage crosses no gate.
    actions.do_move_stage(c.fy_handler, moved, to_stage="trial")
    assert events("cases.case.stage") == 2


def test_stage_options_say_why_a_stage_is_closed(c):
    case = make_case(c.fy, "G1", major_complex=True)
    options = {o["code"]: o for o in actions.stage_options(profile_of(case), case)}
    assert options["accepted"]["current"] and not options["accepted"]["refusal"]
    assert options["trial"]["refusal"] == ""
    assert "未经风险评估不得裁决" in options["ruling"]["refusal"]
    assert "未经风险评估不得裁决" in options["closed"]["refusal"]


# ---------------------------------------------------------------- petitions


def test_petitions(c):
    case = new_case(c)
    with pytest.raises(ActionError, match="不能晚于今天"):
        actions.do_record_petition(c.fy_handler, case, date=dt.date.today() + dt.timedelta(1))
    with pytest.raises(ActionError, match="信访形式"):
        actions.do_record_petition(c.fy_handler, case, date=dt.date(2026, 10, 1), kind="riot")
    with pytest.raises(PermissionDenied):
        actions.do_record_petition(c.fy_reader, case, date=dt.date(2026, 10, 1))
    petition = actions.do_record_petition(
        c.fy_handler, case, date=dt.date(2026, 10, 1), kind="集体信访", persons=6, content="讨薪"
    )
    assert (petition.kind, petition.persons, petition.recorded_by) == (
        "collective", 6, c.fy_handler,
    )  # fmt: skip
    with pytest.raises(PermissionDenied):
        actions.do_delete_petition(c.jcy_handler, petition)
    actions.do_delete_petition(c.fy_handler, petition)
    assert not Petition.objects.exists()
    assert events("cases.petition.record") == 1 and events("cases.petition.delete") == 1


# ---------------------------------------------------------------- pages


def test_case_pages(c, login):
    case = new_case(c, brief_facts="拖欠工资")
    client = login(c.fy_handler)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert case.number in page and "拖欠工资" in page and "受理" in page
    assert f"/cases/{case.pk}/stage/" in page
    response = client.post(
        f"/cases/{case.pk}/edit/",
        {"number": case.number, "title": "新名称", "category": "civil", "version": case.version,
         "vulnerable_groups": ["elderly"], "public_attention": "on"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert (case.title, case.category, case.vulnerable_groups, case.public_attention) == (
        "新名称", "civil", ",elderly,", True,
    )  # fmt: skip
    # A stale form keeps what was typed and says who saved.
    stale = client.post(
        f"/cases/{case.pk}/edit/",
        {"number": case.number, "title": "迟到", "category": "civil", "version": 1},
    )
    assert stale.status_code == 200 and "已被他人修改" in stale.content.decode()
    response = client.post(
        f"/cases/{case.pk}/stage/", {"to_stage": "trial", "version": case.version}
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).stage == "trial"
    # The reader reads but changes nothing; another organ does not see the case.
    reader = login(c.fy_reader)
    assert reader.get(f"/cases/{case.pk}/").status_code == 200
    assert "变更办理阶段" not in reader.get(f"/cases/{case.pk}/").content.decode()
    assert reader.post(f"/cases/{case.pk}/stage/", {"to_stage": "ruling"}).status_code == 403
    other = login(c.jcy_handler)
    assert other.get(f"/cases/{case.pk}/").status_code == 404
    assert other.post(f"/cases/{case.pk}/edit/", {"title": "x"}).status_code == 404


def test_case_new_page(c, login):
    client = login(c.fy_handler)
    form = client.get("/cases/new/").content.decode()
    assert "示范市人民法院" in form and "示范市人民检察院" not in form
    response = client.post(
        "/cases/new/",
        {"organ": c.jcy.pk, "number": "N1", "title": "t", "category": "criminal"},
    )
    assert response.status_code == 200 and not Case.objects.filter(number="N1").exists()
    response = client.post(
        "/cases/new/",
        {"organ": c.fy.pk, "number": "N1", "title": "t", "category": "criminal",
         "handler": c.fy_handler2.pk, "major_complex": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    case = Case.objects.get(number="N1")
    assert case.handler == c.fy_handler2 and case.major_complex
    assert login(c.fy_reader).get("/cases/new/").status_code == 403


def test_petition_pages(c, login):
    case = new_case(c)
    client = login(c.fy_handler)
    response = client.post(
        f"/cases/{case.pk}/petitions/new/",
        {"date": "2026-10-08", "kind": "individual", "persons": 1, "content": "要求赔偿"},
    )
    assert response.status_code == 302
    petition = Petition.objects.get(case=case)
    listing = client.get(f"/cases/{case.pk}/petitions/").content.decode()
    assert "要求赔偿" in listing and f"/cases/petitions/{petition.pk}/delete/" in listing
    confirm = client.get(f"/cases/petitions/{petition.pk}/delete/").content.decode()
    assert "确定删除" in confirm and Petition.objects.filter(pk=petition.pk).exists()
    assert login(c.fy_reader).post(f"/cases/petitions/{petition.pk}/delete/").status_code == 403
    assert login(c.jcy_handler).post(f"/cases/petitions/{petition.pk}/delete/").status_code == 404
    client = login(c.fy_handler)
    assert client.post(f"/cases/petitions/{petition.pk}/delete/").status_code == 302
    assert not Petition.objects.filter(pk=petition.pk).exists()


def test_organ_pages(c, login):
    leader = login(c.fy_leader)
    page = leader.get(f"/cases/organs/{c.fy.pk}/").content.decode()
    assert "人民法院" in page and "裁决关口" in page
    response = leader.post(
        f"/cases/organs/{c.fy.pk}/mapping/",
        {"m_number": "案件编号", "m_stage": "当前阶段", "version": 1},
    )
    assert response.status_code == 302
    assert OrganProfile.objects.get(department=c.fy).column_mapping == {
        "案件编号": "number", "当前阶段": "stage",
    }  # fmt: skip
    clash = leader.post(
        f"/cases/organs/{c.fy.pk}/mapping/", {"m_number": "编号", "m_title": "编号", "version": 2}
    )
    assert clash.status_code == 200 and "已对应到" in clash.content.decode()
    handler = login(c.fy_handler)
    assert handler.get(f"/cases/organs/{c.fy.pk}/").status_code == 200
    assert handler.post(f"/cases/organs/{c.fy.pk}/mapping/", {}).status_code == 403
    assert handler.post(f"/cases/organs/{c.fy.pk}/", {"organ_kind": "justice"}).status_code == 403
    assert login(c.jcy_leader).get(f"/cases/organs/{c.fy.pk}/").status_code == 404
    organs = login(c.fy_leader).get("/cases/organs/").content.decode()
    assert "示范市人民法院" in organs and "示范市人民检察院" not in organs


def test_navigation_has_the_case_list(c, login):
    page = login(c.fy_handler).get("/cases/").content.decode()
    assert 'href="/cases/"' in page and "办案风险评估" in page


# ---------------------------------------------------------------- the list


def test_the_list_runs_a_constant_number_of_queries(c, login, django_assert_max_num_queries):
    client = login(c.fy_handler)
    for i in range(3):
        make_case(c.fy, f"L{i}", handler=c.fy_handler)
    # 13: one of them is the notification bell's unread count (supervision.context).
    with django_assert_max_num_queries(13) as small:
        assert client.get("/cases/").status_code == 200
    Case.objects.bulk_create(
        [Case(organ=c.fy, number=f"M{i}", title=f"案{i}", category="civil", stage="trial",
              handler=c.fy_handler2) for i in range(120)]
    )  # fmt: skip
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get("/cases/").content.decode()
    assert "M119" in page and ">M70<" in page and ">M69<" not in page  # 50 rows a page


def test_list_filters_and_scope(c, login):
    make_case(c.fy, "F1", title="征地补偿纠纷", category="civil", public_attention=True)
    make_case(c.fy, "F2", title="盗窃", stage="trial")
    Case.objects.filter(number="F2").update(risk_open=True)
    make_case(c.jcy, "F3", title="征地案")
    client = login(c.fy_handler)

    def numbers(query: str) -> list[str]:
        body = client.get(f"/api/cases/cases?{query}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
        return [i["number"] for i in body["items"]]

    from fengping.api.tokens import do_create_token

    _row, token = do_create_token(c.fy_handler, "t")
    assert numbers("") == ["F2", "F1"]
    assert numbers("q=征地") == ["F1"]
    assert numbers("risk_open=1") == ["F2"]
    assert numbers("stage=trial") == ["F2"]
    assert numbers("category=civil") == ["F1"]
    assert numbers("public_attention=是") == ["F1"]
    assert numbers(f"organ={c.jcy.pk}") == ["F2", "F1"]  # not visible: ignored
    page = client.get("/cases/?q=征地").content.decode()
    assert "F1" in page and "F3" not in page
    export = client.get("/cases/export.xlsx?risk_open=1")
    assert export.status_code == 200
    import io

    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(export.content)).worksheets[0].values)
    assert [r[0] for r in rows[1:]] == ["F2"] and "简要案情" in rows[0]


# ---------------------------------------------------------------- the API


def test_api_create_update_and_petitions(c, api):
    call = api(c.fy_handler)
    created = call(
        "post",
        "/cases/cases",
        {"organ_id": c.fy.pk, "number": "A-1", "title": "行政案", "category": "administrative",
         "handler_id": c.fy_handler.pk, "vulnerable_groups": ["elderly"]},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["stage"] == "accepted" and body["vulnerable_groups"] == ["elderly"]
    assert StageChange.objects.get(case_id=body["id"]).source == "api"
    refused = call(
        "post",
        "/cases/cases",
        {"organ_id": c.fy.pk, "number": "A-2", "title": "t", "category": "x"},
    )
    assert refused.status_code == 400 and "案件类别" in refused.json()["detail"]
    updated = call(
        "put",
        f"/cases/cases/{body['id']}",
        {
            "number": "A-1",
            "title": "行政案（改）",
            "category": "administrative",
            "version": body["version"],
        },
    )
    assert updated.status_code == 200 and updated.json()["title"] == "行政案（改）"
    assert CaseRevision.objects.get(case_id=body["id"]).source == "api"
    stale = call(
        "put",
        f"/cases/cases/{body['id']}",
        {"number": "A-1", "title": "y", "category": "civil", "version": 1},
    )
    assert stale.status_code == 409
    stages = call("get", f"/cases/cases/{body['id']}/stages").json()
    assert [s["code"] for s in stages] == ["accepted", "trial", "ruling", "execution", "closed"]
    petition = call(
        "post", f"/cases/cases/{body['id']}/petitions", {"date": "2026-10-02", "persons": 3}
    )
    assert petition.status_code == 201
    listed = call("get", f"/cases/cases/{body['id']}/petitions").json()
    assert [p["persons"] for p in listed["items"]] == [3]
    assert (
        api(c.fy_reader)("delete", f"/cases/petitions/{petition.json()['id']}").status_code == 403
    )
    assert api(c.jcy_handler)("get", f"/cases/cases/{body['id']}").status_code == 404
    assert call("delete", f"/cases/petitions/{petition.json()['id']}").status_code == 204
    organ = api(c.fy_leader)(
        "put", f"/cases/organs/{c.fy.pk}/mapping", {"column_mapping": {"编号": "number"}}
    )
    assert organ.status_code == 200 and organ.json()["column_mapping"] == {"编号": "number"}
    assert (
        api(c.fy_handler)("put", f"/cases/organs/{c.fy.pk}", {"organ_kind": "justice"}).status_code
        == 403
    )


def test_roles_used_here_exist():
    assert {Role.LEADER, Role.HEAD, Role.ADMIN} == set(actions.LEADING_ROLES)


def test_every_page_renders(org, c, login):
    case = new_case(c)
    petition = actions.do_record_petition(c.fy_handler, case, date=dt.date(2026, 10, 1))
    client = login(c.fy_head)
    for url in (
        "/cases/",
        "/cases/?q=示刑&risk_open=0&stage=accepted&category=criminal",
        "/cases/new/",
        "/cases/organs/",
        f"/cases/organs/{c.fy.pk}/",
        f"/cases/organs/{c.fy.pk}/mapping/",
        f"/cases/organs/{c.fy.pk}/import/",
        f"/cases/{case.pk}/",
        f"/cases/{case.pk}/edit/",
        f"/cases/{case.pk}/stage/",
        f"/cases/{case.pk}/petitions/",
        f"/cases/{case.pk}/petitions/new/",
        f"/cases/petitions/{petition.pk}/delete/",
    ):
        assert client.get(url).status_code == 200, url
    assert login(org.admin).get("/cases/organs/new/").status_code == 200
    assert login(c.fy_handler).get("/cases/organs/new/").status_code == 403


def test_the_gate_flags_and_the_stage_cannot_be_written_by_an_update(c, api):
    case = make_case(c.fy, "U1", handler=c.fy_handler)
    Case.objects.filter(pk=case.pk).update(risk_open=True)
    response = api(c.fy_handler)(
        "put",
        f"/cases/cases/{case.pk}",
        {"number": "U1", "title": "t", "category": "criminal", "stage": "closed",
         "risk_open": False, "assessed": True},
    )  # fmt: skip
    assert response.status_code == 200
    case.refresh_from_db()
    assert (case.stage, case.risk_open, case.assessed) == ("accepted", True, False)
    updated = actions.do_update_case(
        c.fy_handler, case, title="t2", stage="closed", risk_open=False, version=case.version
    )
    assert (updated.stage, updated.risk_open) == ("accepted", True)
