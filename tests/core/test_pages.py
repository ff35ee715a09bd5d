import re

from fengping.api.models import ApiToken
from fengping.core.tick import tick
from fengping.org import actions
from fengping.org.models import Department, Role, User


def test_home_shows_real_counts(org, login):
    html = login(org.rsj_handler).get("/").content.decode()
    assert "可见部门" in html
    assert re.search(r'stat-value">2<', html)  # 人社局 and 养老保险科
    assert "承办人" in html


def test_home_for_the_audit_admin_shows_audit_state(org, login):
    from tests.conftest import audit_admin

    tick()
    html = login(audit_admin(org)).get("/").content.decode()
    assert "审计链校验" in html and "完好" in html
    # 三员分立: the 系统管理员's home shows no audit log.
    assert "审计链校验" not in login(org.admin).get("/").content.decode()


def test_home_counts_audit_events_up_to_a_bound(org, login, monkeypatch):
    """Issue 9: the log grows without end; the card counts a bounded number of rows."""
    from fengping.desk import views
    from fengping.desk.audit_views import visible_events
    from tests.conftest import audit_admin

    auditor = audit_admin(org)
    client = login(auditor)
    html = client.get("/").content.decode()
    n = visible_events(auditor).count()
    assert n > 3 and re.search(rf'stat-value">{n:,}<', html)
    monkeypatch.setattr(views, "EVENT_COUNT_BOUND", 3)
    html = client.get("/").content.decode()
    assert re.search(r'stat-value">超过 3<', html)


def test_home_counts_matters_at_most_once_a_period_per_scope(org, login, settings):
    """Issue 9: counting a city's matters by state grows with them; a worker recounts a
    scope at most once per FENGPING_HOME_COUNTS_SECONDS and the card says when."""
    from fengping.matters.actions import do_register_matter
    from fengping.matters.cards import COUNTS

    def total(html):
        return int(re.search(r'评估事项</div>\s*<div class="stat-value">(\d+)<', html).group(1))

    settings.FENGPING_HOME_COUNTS_SECONDS = 60
    COUNTS.clear()
    client = login(org.rsj_handler)
    html = client.get("/").content.decode()
    before = total(html)
    assert "统计于" in html
    do_register_matter(
        org.rsj_handler,
        title="新登记事项",
        scheme_key="ssra-town",
        category_code="focus_social_security",
        department=org.rsj,
    )
    assert total(client.get("/").content.decode()) == before  # kept for the period
    settings.FENGPING_HOME_COUNTS_SECONDS = 0
    assert total(client.get("/").content.decode()) == before + 1  # recounted
    COUNTS.clear()


def test_sidebar_hides_admin_pages_from_members(org, login):
    html = login(org.rsj_handler).get("/").content.decode()
    assert "/org/import/" not in html and "/audit/" not in html
    html = login(org.admin).get("/").content.decode()
    assert "/org/import/" in html and "/audit/" not in html  # 三员分立


def test_language_switch_to_english_and_back(org, login):
    client = login(org.rsj_handler)
    assert 'lang="zh-hans"' in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert 'lang="en"' in html and "Visible departments" in html
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "可见部门" in client.get("/").content.decode()


def test_profile_edit_and_token_shown_once(org, login):
    client = login(org.rsj_handler)
    client.post("/me/", {"real_name": "张三", "phone": "13800000000", "email": "z@example.cn"})
    assert User.objects.get(pk=org.rsj_handler.pk).real_name == "张三"
    client.post("/me/tokens/", {"name": "数据对接"})
    first = client.get("/me/").content.decode()
    token = re.search(r'id="new-token">(fp_[^<]+)<', first).group(1)
    assert token not in client.get("/me/").content.decode()
    row = ApiToken.objects.get(user=org.rsj_handler)
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    # Another user cannot revoke it.
    login(org.zjj_handler).post(f"/me/tokens/{row.pk}/revoke/")
    assert ApiToken.objects.get(pk=row.pk).revoked_at is None
    login(org.rsj_handler).post(f"/me/tokens/{row.pk}/revoke/")
    assert ApiToken.objects.get(pk=row.pk).revoked_at is not None


def test_password_change_page(org, login):
    client = login(org.rsj_handler)
    response = client.post(
        "/me/password/",
        {"old_password": "x", "new_password1": "New-pass-2026", "new_password2": "New-pass-2026"},
    )
    assert "原密码不正确" in response.content.decode()
    response = client.post(
        "/me/password/",
        {
            "old_password": "Test-password-2026",
            "new_password1": "New-pass-2026",
            "new_password2": "New-pass-2026",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # still logged in


def test_department_pages_flow(org, login):
    client = login(org.admin)
    response = client.post(
        "/org/departments/new/",
        {"name": "就业科", "code": "RSJ-JY", "kind": "unit", "parent": org.rsj.pk},
    )
    dept = Department.objects.get(code="RSJ-JY")
    assert response.url == f"/org/departments/{dept.pk}/"
    response = client.post(
        f"/org/departments/{dept.pk}/edit/",
        {
            "name": "就业促进科",
            "code": "RSJ-JY",
            "kind": "unit",
            "parent": org.rsj.pk,
            "is_active": "on",
            "version": 1,
        },
    )
    assert Department.objects.get(pk=dept.pk).name == "就业促进科"
    stale = client.post(
        f"/org/departments/{dept.pk}/edit/",
        {
            "name": "旧",
            "code": "RSJ-JY",
            "kind": "unit",
            "parent": org.rsj.pk,
            "is_active": "on",
            "version": 1,
        },
    )
    assert "已被他人修改" in stale.content.decode()
    confirm = client.get(f"/org/departments/{dept.pk}/delete/")
    assert "确定删除" in confirm.content.decode()
    client.post(f"/org/departments/{dept.pk}/delete/")
    assert not Department.objects.filter(pk=dept.pk).exists()


def test_user_pages_flow(org, login):
    client = login(org.admin)
    response = client.post(
        "/org/users/new/",
        {
            "username": "newbie",
            "real_name": "新同事",
            "department": org.rsj.pk,
            "role": Role.HANDLER,
        },
    )
    user = User.objects.get(username="newbie")
    page = client.get(response.url).content.decode()
    assert "初始密码" in page
    client.post(
        f"/org/users/{user.pk}/memberships/add/",
        {"department": org.rsj_unit.pk, "role": Role.ASSESSOR},
    )
    assert user.memberships.count() == 2
    dup = client.post(
        f"/org/users/{user.pk}/memberships/add/",
        {"department": org.rsj_unit.pk, "role": Role.ASSESSOR},
    )
    assert "已在" in dup.content.decode()


def test_lists_filter_and_htmx_partial(org, login):
    client = login(org.admin)
    html = client.get("/org/users/?q=rsj", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html and "rsj_handler" in html and "zjj_handler" not in html
    html = client.get(f"/org/users/?department={org.zjj.pk}").content.decode()
    assert "zjj_handler" in html and "rsj_handler" not in html
    assert "没有符合条件的部门" in client.get("/org/departments/?q=不存在").content.decode()


def test_lists_have_constant_query_counts(org, login, django_assert_max_num_queries):
    for i in range(120):
        actions.do_create_user(
            org.admin,
            username=f"u{i:03d}",
            real_name=f"用户{i}",
            department=org.rsj_unit,
            role=Role.ASSESSOR,
            password="Bulk-password-2026",
        )
    for i in range(60):
        actions.do_create_department(org.admin, name=f"科室{i}", code=f"K{i}", parent=org.rsj)
    from tests.conftest import audit_admin

    client = login(org.admin)
    for url in ("/org/users/", "/org/users/?page=2", "/org/departments/", "/"):
        # 16: one of them is the notification bell's unread count (supervision.context),
        # one the session's second-factor device (django-otp's middleware re-reads it, so
        # that a reset by the 安全管理员 ends a verified session at once).
        with django_assert_max_num_queries(16):
            assert client.get(url).status_code == 200
    auditor = login(audit_admin(org))
    for url in ("/audit/", "/"):
        with django_assert_max_num_queries(15):
            assert auditor.get(url).status_code == 200
