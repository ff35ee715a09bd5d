import pytest

from fengping.api.models import ApiToken
from fengping.api.tokens import do_create_token, do_revoke_token
from fengping.org import actions
from fengping.org.models import Department, Role
from tests.conftest import force_login


@pytest.fixture
def auth(org):
    def make(user):
        _row, token = do_create_token(user, "test")
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    return make


def test_health(client, db):
    body = client.get("/api/health").json()
    assert body == {"status": "ok", "database": True, "migrations_applied": True, "detail": ""}


def test_openapi_docs_served_locally(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert "cdn" not in response.content.decode().lower()
    assert client.get("/api/openapi.json").json()["info"]["title"].startswith("风评")


def test_token_stored_hashed_and_revocable(org, client):
    row, token = do_create_token(org.rsj_handler, "对接")
    assert token not in (row.digest, row.prefix) and len(row.digest) == 64
    assert (
        client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}").json()["username"]
        == "rsj_handler"
    )
    do_revoke_token(org.rsj_handler, row.pk)
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert response.json() == {"detail": "API 令牌已撤销", "code": "token_revoked"}


def test_session_auth_works_for_reads(org, login):
    assert login(org.rsj_handler).get("/api/me").json()["memberships"][0]["role_label"] == "承办人"


def test_session_writes_need_csrf(org):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    force_login(client, org.admin)
    response = client.post(
        "/api/departments",
        {"name": "x", "code": "X", "parent_id": org.root.pk},
        content_type="application/json",
    )
    assert response.status_code in (401, 403)
    assert not Department.objects.filter(code="X").exists()


def test_create_and_update_department(org, client, auth):
    headers = auth(org.admin)
    response = client.post(
        "/api/departments",
        {"name": "就业科", "code": "RSJ-JY", "parent_id": org.rsj.pk},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content
    dept = response.json()
    assert dept["depth"] == 2 and dept["kind_label"] == "科室/单位"
    response = client.patch(
        f"/api/departments/{dept['id']}",
        {"version": 1, "name": "就业促进科"},
        content_type="application/json",
        **headers,
    )
    assert response.json()["name"] == "就业促进科" and response.json()["version"] == 2
    stale = client.patch(
        f"/api/departments/{dept['id']}",
        {"version": 1, "name": "旧"},
        content_type="application/json",
        **headers,
    )
    assert stale.status_code == 409 and "已被他人修改" in stale.json()["detail"]


def test_validation_error_is_chinese_json(org, client, auth):
    response = client.post(
        "/api/departments",
        {"name": "", "code": "X"},
        content_type="application/json",
        **auth(org.admin),
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "输入有误，请检查各字段" and body["errors"]
    assert [e["msg"] for e in body["errors"]] == ["至少 1 个字符"]


def test_validation_error_fields_are_explained_in_chinese(org, client, auth):
    response = client.post(
        "/api/matters",
        {"title": "x", "department_id": "abc", "planned_decision_date": "明天"},
        content_type="application/json",
        **auth(org.rsj_handler),
    )
    assert response.status_code == 422
    by_field = {e["loc"][-1]: e["msg"] for e in response.json()["errors"]}
    assert by_field["scheme_key"] == "必填"
    assert by_field["department_id"] == "应为整数"
    assert by_field["planned_decision_date"].startswith("应为日期")


def test_action_error_is_chinese_json(org, client, auth):
    response = client.post(
        "/api/departments",
        {"name": "重复", "code": "RSJ", "parent_id": org.rsj.pk},
        content_type="application/json",
        **auth(org.admin),
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "部门编码“RSJ”已被使用",
        "code": "refused",
        "field": "code",
    }


def test_member_cannot_create_department(org, client, auth):
    response = client.post(
        "/api/departments",
        {"name": "x", "code": "X", "parent_id": org.rsj.pk},
        content_type="application/json",
        **auth(org.rsj_head),
    )
    assert response.status_code == 403


def test_user_list_query_count_is_constant(org, client, auth, django_assert_max_num_queries):
    headers = auth(org.admin)
    for i in range(60):
        actions.do_create_user(
            org.admin,
            username=f"bulk{i}",
            real_name=f"批量{i}",
            department=org.rsj_unit,
            role=Role.ASSESSOR,
            password="Bulk-password-2026",
        )
    with django_assert_max_num_queries(8):
        body = client.get("/api/users", **headers).json()
    assert body["count"] == 69 and len(body["items"]) == 50
    assert ApiToken.objects.get(user=org.admin).last_used_at is not None
