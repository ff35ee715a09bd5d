"""三员分立 (GB/T 22239-2019 8.1.4.2, 8.1.5.1–8.1.5.3): what the 系统管理员, the 安全管理员
and the 审计管理员 may each do, through the action, the page and the API; no one holds two
of the three roles; nobody changes their own roles; the transition from the single
administrator role; `fengping createadmin`; the `fengping check` line."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction

from fengping.audit.chain import record
from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.desk.audit_views import visible_events
from fengping.org import access, actions, separation
from fengping.org.models import Membership, Role, User
from tests.conftest import PASSWORD, audit_admin, force_login, security_admin
from tests.org.test_import import import_org_workbook, workbook


@pytest.fixture
def three(org):
    """The organisation once its 安全管理员 and 审计管理员 exist (transition over)."""
    org.security = security_admin(org)
    org.auditor = audit_admin(org)
    return org


class Rollback(Exception):
    pass


def rolled_back(call):
    """Run `call` and undo what it changed, so each row of a table starts from the same
    state (one POST must not decide the next row's answer)."""
    result = None
    try:
        with transaction.atomic():
            result = call()
            raise Rollback
    except Rollback:
        pass
    return result


# ---------------------------------------------------------------- the table

# (description, page-or-api, method, url template, body) -> expected status for
# (系统管理员, 安全管理员, 审计管理员). 404: the object is out of sight; 403: in sight but
# not theirs to change (or a gate).
TABLE = [
    ("page", "get", "/org/departments/new/", None, (200, 403, 403)),
    ("page", "get", "/org/departments/{rsj}/edit/", None, (200, 403, 404)),
    ("page", "post", "/org/departments/{rsj}/delete/", {}, (302, 403, 404)),
    ("page", "get", "/org/departments/{rsj}/leadership/", None, (200, 403, 404)),
    ("page", "get", "/org/users/new/", None, (200, 403, 403)),
    ("page", "get", "/org/users/{handler}/edit/", None, (200, 403, 404)),
    ("page", "post", "/org/users/{handler}/password/", {}, (302, 403, 404)),
    ("page", "get", "/org/users/{handler}/memberships/add/", None, (403, 200, 404)),
    (
        "page",
        "post",
        "/org/users/{handler}/memberships/add/",
        {"department": "{rsj}", "role": "assessor"},
        (403, 302, 404),
    ),
    ("page", "post", "/org/memberships/{membership}/remove/", {}, (403, 302, 404)),
    ("page", "get", "/org/import/", None, (200, 403, 403)),
    ("page", "get", "/audit/", None, (403, 403, 200)),
    ("page", "get", "/audit/export.xlsx", None, (403, 403, 200)),
    ("page", "get", "/audit/{seq}/", None, (403, 403, 200)),
    ("page", "post", "/audit/verify/", {}, (403, 403, 302)),
    (
        "api",
        "post",
        "/departments",
        {"name": "新科室", "code": "NEW", "parent_id": "{rsj}"},
        (201, 403, 404),
    ),
    ("api", "patch", "/departments/{rsj}", {"version": 1, "name": "改名"}, (200, 403, 404)),
    ("api", "delete", "/departments/{rsj}", None, (400, 403, 404)),
    (
        "api",
        "post",
        "/users",
        {"username": "newbie", "real_name": "新人", "department_id": "{rsj}", "role": "handler"},
        (201, 403, 404),
    ),
    ("api", "patch", "/users/{handler}", {"version": 1, "is_active": False}, (200, 403, 404)),
    ("api", "post", "/users/{handler}/reset-password", None, (200, 403, 404)),
    (
        "api",
        "post",
        "/users/{handler}/memberships",
        {"department_id": "{rsj}", "role": "assessor"},
        (403, 201, 404),
    ),
    ("api", "delete", "/memberships/{membership}", None, (403, 204, 404)),
    ("api", "put", "/departments/{rsj}/leadership-group", {"name": "小组"}, (200, 403, 404)),
    ("api", "get", "/audit/chain", None, (403, 403, 200)),
    ("api", "post", "/audit/chain/verify", None, (403, 403, 200)),
]


def _fill(value, ids):
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if value.startswith("{") and filled.isdigit() else filled
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("who", ["admin", "security", "auditor"])
def test_who_may_do_what(three, who, client, api):
    ids = {
        "rsj": three.rsj.pk,
        "handler": three.rsj_handler.pk,
        "membership": Membership.objects.get(user=three.rsj_handler).pk,
        "seq": Event.objects.filter(scope_path__startswith=three.rsj.path).first().seq,
    }
    person = getattr(three, who)
    column = ["admin", "security", "auditor"].index(who)
    force_login(client, person)
    call_api = api(person)
    wrong = []
    for door, method, url, body, expected in TABLE:
        path, data = _fill(url, ids), _fill(body, ids)

        def go(door=door, method=method, path=path, data=data):
            if door == "page":
                return getattr(client, method)(path, data or {})
            return call_api(method, path, data)

        status = rolled_back(go).status_code
        if status != expected[column]:
            wrong.append(f"{door} {method.upper()} {url}: {status}, expected {expected[column]}")
    assert wrong == []


# ---------------------------------------------------------------- no two of the three


def test_no_one_holds_two_of_the_three_roles(three, login, api):
    target = three.rsj_handler
    actions.do_add_membership(three.security, target, three.rsj, Role.ADMIN)
    # the action, anywhere in the tree
    for role in (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN):
        with pytest.raises(ActionError, match="不得兼任"):
            actions.do_add_membership(three.security, target, three.zjj, role)
    # the page keeps the form and shows the refusal
    response = login(three.security).post(
        f"/org/users/{target.pk}/memberships/add/",
        {"department": three.zjj.pk, "role": Role.AUDIT_ADMIN},
    )
    assert response.status_code == 200 and "不得兼任" in response.content.decode()
    # the API
    response = api(three.security)(
        "post",
        f"/users/{target.pk}/memberships",
        {"department_id": three.rsj_unit.pk, "role": Role.SECURITY_ADMIN},
    )
    assert response.status_code == 400 and "不得兼任" in response.json()["detail"]
    assert set(target.memberships.values_list("role", flat=True)) == {Role.HANDLER, Role.ADMIN}
    # A work role beside one of the three is fine; the same role elsewhere too.
    actions.do_add_membership(three.security, target, three.zjj, Role.ADMIN)
    # Creating an account with an administrator role is a grant as well.
    with pytest.raises(ActionError, match="安全管理员"):
        actions.do_create_user(
            three.admin,
            username="second_admin",
            real_name="x",
            department=three.rsj,
            role=Role.ADMIN,
            password=PASSWORD,
        )


def test_the_import_refuses_two_of_the_three_roles(org):
    """During the transition the 系统管理员 imports administrators, but never two of the
    three roles for one person, in the file or beside a role already held."""
    data = workbook(
        [],
        [
            ["zhang", "张三", "RSJ", "系统管理员", "", "", "", PASSWORD],
            ["zhang", "张三", "ZJJ", "审计管理员", "", "", "", ""],
        ],
    )
    result = import_org_workbook(org.admin, data)
    assert result.status == "failed" and "不得兼任" in str(result.errors)
    assert not User.objects.filter(username="zhang").exists()
    actions.do_add_membership(org.admin, org.rsj_handler, org.rsj, Role.AUDIT_ADMIN)
    data = workbook([], [["rsj_handler", "", "RSJ", "安全管理员", "", "", "", ""]])
    result = import_org_workbook(org.admin, data)
    assert result.status == "failed" and "不得兼任" in str(result.errors)
    assert not Membership.objects.filter(role=Role.SECURITY_ADMIN).exists()


def test_the_import_follows_the_grant_rules(three):
    # Once a 安全管理员 exists, the 系统管理员's import creates accounts with work roles
    # but gives no role to an existing person and no administrator role to anyone.
    ok = import_org_workbook(
        three.admin, workbook([], [["wang", "王五", "RSJ", "承办人", "", "", "", PASSWORD]])
    )
    assert ok.status == "done", ok.errors
    for row in (
        ["rsj_handler", "", "ZJJ", "承办人", "", "", "", ""],
        ["li", "李四", "RSJ", "审计管理员", "", "", "", PASSWORD],
        ["admin", "", "ZJJ", "承办人", "", "", "", ""],
    ):
        result = import_org_workbook(three.admin, workbook([], [row]))
        assert result.status == "failed", row
    assert "不能修改自己的任职" in str(
        import_org_workbook(
            three.admin, workbook([], [["admin", "", "ZJJ", "承办人", "", "", "", ""]])
        ).errors
    )


@pytest.mark.django_db(transaction=True)
def test_two_grants_at_once_cannot_both_pass(django_db_blocker):
    """Two 安全管理员 give one person two of the three roles at the same moment: the row
    lock on the person makes the second wait and then see the first (PostgreSQL; SQLite
    serialises every write transaction anyway)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    from tests.conftest import build_org

    org = build_org()
    first = security_admin(org, "security1")
    second = security_admin(org, "security2")
    target = org.rsj_handler
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def grant(actor, role):
        try:
            barrier.wait()
            actions.do_add_membership(User.objects.get(pk=actor.pk), target, org.rsj, role)
            outcomes.append("granted")
        except ActionError as exc:
            outcomes.append(exc.message)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=grant, args=(first, Role.ADMIN)),
        threading.Thread(target=grant, args=(second, Role.AUDIT_ADMIN)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("granted") == 1, outcomes
    assert any("不得兼任" in o for o in outcomes), outcomes
    held = Membership.objects.filter(user=target, role__in=[Role.ADMIN, Role.AUDIT_ADMIN])
    assert held.count() == 1


# ---------------------------------------------------------------- own roles, accounts


def test_nobody_changes_their_own_roles(three, login, api):
    me = three.security
    with pytest.raises(ActionError, match="不能修改自己的任职"):
        actions.do_add_membership(me, me, three.rsj, Role.HANDLER)
    with pytest.raises(ActionError, match="不能修改自己的任职"):
        actions.do_remove_membership(me, me.memberships.get())
    assert login(me).get(f"/org/users/{me.pk}/memberships/add/").status_code == 403
    response = api(me)(
        "post", f"/users/{me.pk}/memberships", {"department_id": three.rsj.pk, "role": "handler"}
    )
    assert response.status_code == 400
    response = api(me)("delete", f"/memberships/{me.memberships.get().pk}")
    assert response.status_code == 400
    # The 系统管理员 in the transition: the same.
    with pytest.raises(ActionError, match="不能修改自己的任职"):
        actions.do_add_membership(three.admin, three.admin, three.rsj, Role.HANDLER)
    assert me.memberships.count() == 1


def test_the_administrators_keep_each_other_in_check(three, login, api):
    """The 系统管理员 manages accounts but not those of the 安全管理员 or 审计管理员
    (deactivating the 安全管理员 would hand role granting back to them); the 安全管理员
    manages no account; none of the three roles can be left without a holder."""
    for target in (three.security, three.auditor):
        with pytest.raises(Exception, match="三员分立"):
            actions.do_update_user(
                three.admin,
                target,
                version=target.version,
                real_name="x",
                phone="",
                position="",
                email="",
                is_active=False,
            )
        with pytest.raises(Exception, match="三员分立"):
            actions.do_reset_password(three.admin, target)
        response = login(three.admin).get(f"/org/users/{target.pk}/edit/")
        assert response.status_code == 403 and "三员分立" in response.content.decode()
        response = api(three.admin)(
            "patch", f"/users/{target.pk}", {"version": 1, "is_active": False}
        )
        assert response.status_code == 403
        response = api(three.admin)("post", f"/users/{target.pk}/reset-password")
        assert response.status_code == 403 and "三员分立" in response.json()["detail"]
        # The user page shows the buttons off, with the reason.
        html = login(three.admin).get(f"/org/users/{target.pk}/").content.decode()
        assert "disabled" in html and "三员分立" in html
        target.refresh_from_db()
        assert target.is_active
    # The 安全管理员 edits no account, the 系统管理员's included.
    with pytest.raises(PermissionDenied):
        actions.do_reset_password(three.security, three.admin)
    # The 系统管理员 cannot deactivate or move the department the 安全管理员 sits in.
    with pytest.raises(ActionError, match="三员分立"):
        actions.do_update_department(
            three.admin,
            three.root,
            version=three.root.version,
            name=three.root.name,
            code=three.root.code,
            kind=three.root.kind,
            parent=None,
            is_active=False,
        )
    assert not access.in_transition(three.root.path)
    # The 安全管理员 cannot leave a role without a holder: the successor comes first.
    with pytest.raises(ActionError, match="唯一的审计管理员"):
        actions.do_remove_membership(three.security, three.auditor.memberships.get())
    with pytest.raises(ActionError, match="唯一的系统管理员"):
        actions.do_remove_membership(three.security, three.admin.memberships.get())
    successor = three.rsj_head
    actions.do_add_membership(three.security, successor, three.root, Role.AUDIT_ADMIN)
    actions.do_remove_membership(three.security, three.auditor.memberships.get())
    assert not access.is_audit_admin(User.objects.get(pk=three.auditor.pk))


# ---------------------------------------------------------------- the transition


def test_an_install_with_only_a_system_admin_keeps_working(org, login):
    """Today's installs: one 系统管理员 role. Until a 安全管理员 exists its holder still
    grants roles (and `fengping check` says so); the first 安全管理员 ends that."""
    assert access.in_transition(org.root.path)
    actions.do_add_membership(org.admin, org.rsj_handler, org.zjj, Role.HANDLER)
    assert any("安全管理员" in p for p in separation.problems())
    response = login(org.admin).post(
        f"/org/users/{org.zjj_handler.pk}/memberships/add/",
        {"department": org.rsj.pk, "role": Role.SECURITY_ADMIN},
    )
    assert response.status_code == 302
    assert not access.in_transition(org.root.path)
    admin = User.objects.get(pk=org.admin.pk)
    with pytest.raises(Exception, match="安全管理员"):
        actions.do_add_membership(admin, org.rsj_handler, org.rsj_unit, Role.HANDLER)
    # The 系统管理员 still manages ordinary accounts, departments and schemes.
    actions.do_reset_password(admin, org.rsj_handler)
    assert login(admin).get("/org/departments/new/").status_code == 200
    # ... but cannot reopen the transition by deactivating the 安全管理员.
    security = User.objects.get(pk=org.zjj_handler.pk)
    with pytest.raises(Exception, match="三员分立"):
        actions.do_update_user(
            admin,
            security,
            version=security.version,
            real_name="x",
            phone="",
            position="",
            email="",
            is_active=False,
        )
    assert not access.in_transition(org.root.path)


# ---------------------------------------------------------------- the audit log


def test_the_audit_admin_reads_the_administrators_events_and_the_system_wide_ones(three):
    actions.do_create_department(three.admin, name="新科", code="XK", parent=three.rsj)
    actions.do_add_membership(three.security, three.rsj_handler, three.zjj, Role.ASSESSOR)
    record(None, "org.user.create_superuser", None, object_type="x", scope_path="")
    seen = visible_events(three.auditor)
    assert seen.filter(actor_id=three.admin.pk, action="org.department.create").exists()
    assert seen.filter(actor_id=three.security.pk, action="org.membership.add").exists()
    assert seen.filter(scope_path="").exists()
    # Supervisors read their organisation as before, not the system-wide events.
    assert not visible_events(three.supervisor).filter(scope_path="").exists()
    assert visible_events(three.supervisor).filter(actor_id=three.security.pk).exists()
    # The 系统管理员 and the 安全管理员 read none.
    assert not visible_events(three.admin).exists()
    assert not visible_events(three.security).exists()


def test_an_audit_admin_of_a_bureau_reads_only_its_events(three):
    bureau = audit_admin(three, "rsj_auditor")
    Membership.objects.filter(user=bureau).update(department=three.rsj)
    bureau = User.objects.get(pk=bureau.pk)
    paths = set(visible_events(bureau).values_list("scope_path", flat=True))
    assert paths and all(p == "" or p.startswith(three.rsj.path) for p in paths)


# ---------------------------------------------------------------- the sidebar


def test_each_administrator_sees_their_own_entries(three, login):
    from tests.core.test_sidebar import links

    def html(user):
        return " ".join(links(login(user).get("/").content.decode()))

    admin, security, auditor = html(three.admin), html(three.security), html(three.auditor)
    assert "/org/import/" in admin and "/audit/" not in admin and "/matters/" in admin
    assert "/org/users/" in security and "/audit/" not in security
    assert "/matters/" not in security and "/org/import/" not in security
    assert "/audit/" in auditor and "/org/users/" not in auditor and "/matters/" not in auditor


# ---------------------------------------------------------------- createadmin and check


def test_createadmin_creates_the_three(db, capsys):
    from fengping.cli import main

    argv = ["createadmin", "--org", "某市人民政府", "--security", "anquan"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    users = {u.username: u for u in User.objects.all()}
    assert set(users) == {"sysadmin", "anquan", "auditadmin"}
    for name, role in (
        ("sysadmin", Role.ADMIN),
        ("anquan", Role.SECURITY_ADMIN),
        ("auditadmin", Role.AUDIT_ADMIN),
    ):
        user = users[name]
        assert not user.is_superuser and user.must_change_password
        membership = user.memberships.get()
        assert membership.role == role and membership.department.name == "某市人民政府"
        line = next(x for x in out.splitlines() if f"user: {name} " in x)
        password = line.rsplit(" ", 1)[1]
        assert user.check_password(password)
    assert separation.problems() == []
    # Run again: the names are taken, nothing is created twice.
    assert main(["createadmin", "--org", "某市人民政府"]) == 1
    assert User.objects.count() == 3
    assert Event.objects.filter(action="org.user.create_admin").count() == 3


def test_check_reports_three_admins_not_separated(org, capsys):
    from fengping.cli import main

    main(["check"])
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "三员" in x)
    assert line.startswith("✗ 三员未分立") and "root" in line and "安全管理员" in line
    security_admin(org)
    audit_admin(org)
    User.objects.filter(is_superuser=True).update(is_active=False)
    main(["check"])
    line = next(x for x in capsys.readouterr().out.splitlines() if "三员" in x)
    assert line.startswith("✓ 三员分立")
    # An organisation whose 审计管理员 left (deactivated) is flagged again.
    Membership.objects.filter(role=Role.AUDIT_ADMIN).update(department=org.zjj)
    org.zjj.is_active = False
    org.zjj.save()
    assert any("审计管理员" in p for p in separation.problems())
