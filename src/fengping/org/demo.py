"""Demo organisation for `fengping demo` / `make demo`. Idempotent: every object is looked
up by its code or user name first, so running it twice creates nothing twice.

The 人社局 and its leadership group follow 篇1 七(一) (局长周光耀任组长 …, 办公室设在局办公室);
the town and the supervising offices follow 篇3 五 and 六(七)."""

from __future__ import annotations

from django.db import transaction

from . import actions
from .models import (
    Department,
    DepartmentKind,
    LeaderPosition,
    LeadershipGroup,
    LeadershipMember,
    Membership,
    Role,
    User,
)

# Printed by `make demo`; the demo is for trying fengping, never for production data.
DEMO_PASSWORD = "Fengping-demo-2026"  # noqa: S105

DEPARTMENTS = [
    # code, name, kind, parent code[, short name as the schemes write it]
    ("SFS", "示范市人民政府", DepartmentKind.DECIDING, None),
    ("SFS-RSJ", "市人力资源和社会保障局", DepartmentKind.FUNCTIONAL, "SFS", "人社局"),
    ("SFS-RSJ-BGS", "局办公室", DepartmentKind.OFFICE, "SFS-RSJ"),
    ("SFS-RSJ-YL", "养老保险科", DepartmentKind.UNIT, "SFS-RSJ"),
    ("SFS-RSJ-JY", "就业促进科", DepartmentKind.UNIT, "SFS-RSJ"),
    ("SFS-RSJ-JCS", "监察室", DepartmentKind.SUPERVISION, "SFS-RSJ"),
    ("SFS-ZJJ", "市住房和城乡建设局", DepartmentKind.FUNCTIONAL, "SFS", "住建局"),
    ("SFS-ZJJ-ZS", "房屋征收科", DepartmentKind.UNIT, "SFS-ZJJ"),
    ("SFS-WWB", "市维稳办", DepartmentKind.STABILITY_OFFICE, "SFS"),
    ("SFS-LXB", "市信访联席会议办公室", DepartmentKind.JOINT_OFFICE, "SFS"),
    ("SFS-THZ", "滔河镇人民政府", DepartmentKind.TOWN, "SFS"),
    ("SFS-XXZX", "市信息中心", DepartmentKind.IT, "SFS"),
    ("SFS-FY", "市中级人民法院", DepartmentKind.POLITICAL_LEGAL, "SFS"),
]

USERS = [
    # username, real name, position, department code, role
    ("admin", "系统管理员", "信息中心工程师", "SFS", Role.ADMIN),
    # 三员分立: the security and the audit administrator beside the system administrator.
    ("secadmin", "安全管理员", "信息中心安全管理员", "SFS", Role.SECURITY_ADMIN),
    ("auditadmin", "审计管理员", "信息中心审计管理员", "SFS", Role.AUDIT_ADMIN),
    ("zhouguangyao", "周光耀", "局长", "SFS-RSJ", Role.HEAD),
    ("liusuixian", "刘遂弦", "副局长", "SFS-RSJ", Role.LEADER),
    ("liuzegui", "刘泽贵", "副局长", "SFS-RSJ", Role.LEADER),
    ("hexiangyuan", "贺湘原", "副局长", "SFS-RSJ", Role.LEADER),
    ("wangruhai", "王如海", "局办公室副主任", "SFS-RSJ-BGS", Role.HANDLER),
    ("chenjing", "陈静", "养老保险科科员", "SFS-RSJ-YL", Role.HANDLER),
    ("lihua", "李华", "养老保险科副科长", "SFS-RSJ-YL", Role.ASSESSOR),
    ("zhaoqiang", "赵强", "房屋征收科科长", "SFS-ZJJ-ZS", Role.HANDLER),
    # The deciding organ's leaders sign 审定 (分管副市长) and 涉稳重大问题 (市长), 篇3 六(七).
    ("wujianguo", "吴建国", "副市长", "SFS", Role.LEADER),
    ("zhengmin", "郑敏", "市长", "SFS", Role.HEAD),
    ("sunli", "孙丽", "维稳办副主任", "SFS-WWB", Role.SUPERVISOR),
    ("zhoumin", "周敏", "联席办科员", "SFS-LXB", Role.SUPERVISOR),
]

LEADERS = [
    # username, position, title, order
    ("zhouguangyao", LeaderPosition.HEAD, "局长", 1),
    ("liusuixian", LeaderPosition.DEPUTY, "副局长", 2),
    ("liuzegui", LeaderPosition.DEPUTY, "副局长", 3),
    ("hexiangyuan", LeaderPosition.DEPUTY, "副局长", 4),
    ("liusuixian", LeaderPosition.OFFICE_DIRECTOR, "副局长（兼）", 5),
    ("wangruhai", LeaderPosition.OFFICE_DEPUTY, "局办公室副主任", 6),
]


@transaction.atomic
def load_demo() -> int:
    created = 0
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        admin = actions.do_create_superuser(
            username="admin",
            password=DEMO_PASSWORD,
            real_name="系统管理员",
            # Creates the city (code SFS) with admin as its 系统管理员: nobody grants
            # themselves a role afterwards (三员分立).
            org_name=DEPARTMENTS[0][1],
            org_code=DEPARTMENTS[0][0],
        )
        created += 1
    by_code = {d.code: d for d in Department.objects.filter(code__in=[d[0] for d in DEPARTMENTS])}
    for code, name, kind, parent_code, *short in DEPARTMENTS:
        if code in by_code:
            continue
        parent = by_code[parent_code] if parent_code else None
        by_code[code] = actions.do_create_department(
            admin, name=name, code=code, kind=kind, parent=parent, short_name="".join(short)
        )
        created += 1
    for username, real_name, position, dept_code, role in USERS:
        dept = by_code[dept_code]
        user = User.objects.filter(username=username).first()
        if user is None:
            user, _ = actions.do_create_user(
                admin,
                username=username,
                real_name=real_name,
                position=position,
                department=dept,
                role=role,
                password=DEMO_PASSWORD,
            )
            created += 1
        elif not Membership.objects.filter(user=user, department=dept, role=role).exists():
            actions.do_add_membership(admin, user, dept, role)
            created += 1
    bureau = by_code["SFS-RSJ"]
    group = LeadershipGroup.objects.filter(department=bureau).first()
    if group is None:
        group = actions.do_save_leadership_group(
            admin,
            bureau,
            name="市人力资源和社会保障局社会稳定风险评估工作领导小组",
            office=by_code["SFS-RSJ-BGS"],
            duties="局长任组长，副局长任副组长，其他局班子成员和二级处主要负责人为成员；"
            "领导小组办公室设在局办公室，负责社会稳定风险评估工作的日常组织、指导和督促检查。",
        )
        created += 1
    for username, position, title, order in LEADERS:
        user = User.objects.get(username=username)
        if not LeadershipMember.objects.filter(group=group, user=user, position=position).exists():
            actions.do_add_leader(admin, group, user, position, title=title, order=order)
            created += 1
    return created


def settle_demo_accounts() -> int:
    """The demo's people log in with the printed demo password: it is theirs, not one an
    administrator chose for them, so they are not sent to change it first (a real account
    made by an administrator is, `org.actions.do_create_user`). Administrators still enrol
    a second factor at their first login."""
    flagged = User.objects.filter(must_change_password=True)
    settled = [u.pk for u in flagged if u.check_password(DEMO_PASSWORD)]
    return User.objects.filter(pk__in=settled).update(must_change_password=False)
