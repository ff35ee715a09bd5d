import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from fengping.api.tokens import do_create_token
from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.matters import actions
from fengping.matters.models import Matter
from fengping.org import actions as org_actions
from tests.dates import YEAR


def register(org, **kw):
    data = {
        "title": "企业退休人员养老金调整",
        "scheme_key": "ssra-town",
        "category_code": "focus_social_security",
        "department": org.rsj,
    }
    data.update(kw)
    return actions.do_register_matter(org.rsj_handler, **data)


def test_register_takes_category_from_scheme(org):
    matter = register(org)
    assert matter.category_label and matter.must_assess
    assert matter.status == "registered" and matter.year == dt.date.today().year
    assert Event.objects.filter(action="matters.matter.register", object_id=str(matter.pk)).exists()


def test_unknown_category_or_scheme_refused(org):
    with pytest.raises(ActionError, match="不是方案"):
        register(org, category_code="nope")
    with pytest.raises(ActionError, match="不存在"):
        register(org, scheme_key="nope")


def test_outsider_and_supervisor_cannot_register(org):
    with pytest.raises(PermissionDenied):
        actions.do_register_matter(
            org.zjj_handler,
            title="x",
            scheme_key="ssra-town",
            category_code="focus_social_security",
            department=org.rsj,
        )
    with pytest.raises(PermissionDenied):
        actions.do_register_matter(
            org.supervisor,
            title="x",
            scheme_key="ssra-town",
            category_code="focus_social_security",
            department=org.rsj,
        )


def test_lead_department_proposed_from_area_table(org):
    """篇3 五: 住建局负责重大城镇建设项目的规划、建设、房屋拆迁 … the 简称 finds the department."""
    org_actions.do_update_department(
        org.admin,
        org.zjj,
        version=1,
        name=org.zjj.name,
        code="ZJJ",
        kind=org.zjj.kind,
        parent=org.root,
        is_active=True,
        short_name="住建局",
    )
    from fengping.schemebook import registry

    scheme = registry.get("ssra-town")
    code = next(
        lead.categories[0]
        for lead in scheme.responsibility.lead_departments
        if "住建局" in lead.departments
    )
    matter = actions.do_register_matter(
        org.admin,
        title="旧城改造房屋征收补偿",
        scheme_key="ssra-town",
        category_code=code,
        department=org.rsj,
    )
    assert matter.lead_department == org.zjj


def test_designation_needs_leader_and_makes_mandatory(org):
    matter = register(org)
    Matter.objects.filter(pk=matter.pk).update(must_assess=False)
    matter.refresh_from_db()
    with pytest.raises(PermissionDenied):
        actions.do_designate(org.rsj_handler, matter, body="party_group", note="x")
    matter = actions.do_designate(
        org.rsj_head, matter, body="party_group", note=f"局党组会议纪要〔{YEAR}〕5号"
    )
    assert matter.must_assess and matter.designated_by == org.rsj_head


def test_confidential_matter_cannot_be_opened_to_public(org):
    matter = register(org, confidential=True)
    with pytest.raises(ActionError, match="不得公开"):
        actions.do_set_consultation(
            org.rsj_handler, matter, open=True, summary="s", channels="", until=None
        )


def test_documents_checked_and_hashed(org, login):
    matter = register(org)
    with pytest.raises(ActionError, match="不符"):
        actions.do_add_document(org.rsj_handler, matter, SimpleUploadedFile("x.pdf", b"not a pdf"))
    with pytest.raises(ActionError, match="不接受"):
        actions.do_add_document(org.rsj_handler, matter, SimpleUploadedFile("x.exe", b"MZ"))
    doc = actions.do_add_document(
        org.rsj_handler, matter, SimpleUploadedFile("方案.pdf", b"%PDF-1.4 test")
    )
    assert len(doc.sha256) == 64 and "方案" not in doc.file.name
    response = login(org.rsj_head).get(f"/matters/documents/{doc.pk}/")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"


def test_pages_register_list_filter_export(org, login):
    client = login(org.rsj_handler)
    form = client.get("/matters/new/").content.decode()
    assert "ssra-town/focus_social_security" in form and "必须评估" in form
    response = client.post(
        "/matters/new/",
        {
            "title": "企业退休人员养老金调整",
            "kind": "policy",
            "category": "ssra-town/focus_social_security",
            "department": org.rsj.pk,
            "planned_decision_date": "2026-12-20",
            "description": "调整方案",
        },
    )
    matter = Matter.objects.get()
    assert response.url == f"/matters/{matter.pk}/"
    assert matter.year == 2026 and matter.kind == "policy"
    html = client.get("/matters/?status=registered").content.decode()
    assert "企业退休人员养老金调整" in html
    assert "企业退休人员养老金调整" not in client.get("/matters/?status=decided").content.decode()
    wb = load_workbook(io.BytesIO(client.get("/matters/export.xlsx").content))
    assert wb.active.cell(2, 2).value == "企业退休人员养老金调整"
    assert "没有符合条件" in login(org.zjj_handler).get("/matters/").content.decode()


def test_edit_page_version_conflict(org, login):
    matter = register(org)
    client = login(org.rsj_handler)
    data = {
        "title": "新名称",
        "kind": "decision",
        "category": "ssra-town/focus_social_security",
        "version": 1,
    }
    client.post(f"/matters/{matter.pk}/edit/", data)
    assert Matter.objects.get().title == "新名称"
    stale = client.post(f"/matters/{matter.pk}/edit/", {**data, "title": "旧"})
    assert "已被他人修改" in stale.content.decode()


def test_lead_proposal_partial(org, login):
    html = (
        login(org.rsj_handler)
        .get("/matters/lead-proposal/?category=ssra-town/focus_social_security")
        .content.decode()
    )
    assert "人社局" in html


def test_api_register_and_list(org, client):
    _row, token = do_create_token(org.rsj_handler, "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    response = client.post(
        "/api/matters",
        {
            "title": "养老金调整",
            "scheme_key": "ssra-town",
            "category_code": "focus_social_security",
            "department_id": org.rsj.pk,
        },
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201, response.content
    assert client.get("/api/matters", **auth).json()["count"] == 1
    bad = client.post(
        "/api/matters",
        {
            "title": "x",
            "scheme_key": "ssra-town",
            "category_code": "nope",
            "department_id": org.rsj.pk,
        },
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 400 and "不是方案" in bad.json()["detail"]


def test_list_query_count_constant(org, login, django_assert_max_num_queries):
    for i in range(70):
        register(org, title=f"事项{i}")
    client = login(org.rsj_handler)
    # 14: the page's 10, the notification bell's unread count in the top bar, and the
    # session refresh of a fresh login (UPDATE in a savepoint: 3).
    with django_assert_max_num_queries(14):
        assert client.get("/matters/").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get("/matters/?page=2&status=registered").status_code == 200
    with django_assert_max_num_queries(14):  # the 决定 filter is a subquery, not a query
        assert client.get("/matters/?decision=implement&grade=level1").status_code == 200
