"""Builders shared by the cases tests: two 政法单位 (a court and a procuratorate) with
their people, cases written directly (the actions are tested in their own modules).

    org = build_org(); courts = build_courts(org)
    case = make_case(courts.fy, "（2026）示刑初1号", major_complex=True)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from fengping.cases.models import Case, OrganProfile, encode_codes
from fengping.org import actions as org_actions
from fengping.org.models import Department, DepartmentKind, Role, User
from tests.conftest import settled

from ..conftest import PASSWORD, Org


@dataclass
class Courts:
    fy: Department  # 示范市人民法院 (court)
    fy_trial: Department  # its 刑事审判庭, a child unit
    jcy: Department  # 示范市人民检察院 (procuratorate)
    zfw: Department  # 区委政法委 (supervises: supervisor role)
    fy_handler: User  # 承办人 of the court
    fy_handler2: User  # another 承办人 of the court
    fy_leader: User  # 分管领导
    fy_head: User  # 院长 (主要负责人, 第一责任人)
    fy_reader: User  # a supervisor membership in the court: reads, changes nothing
    jcy_handler: User
    jcy_leader: User
    zfw_supervisor: User

    def fresh(self) -> Courts:
        return Courts(
            **{
                f.name: type(obj)._default_manager.get(pk=obj.pk)
                for f in fields(self)
                for obj in [getattr(self, f.name)]
            }
        )


def _user(org: Org, username: str, dept: Department, role: str) -> User:
    user, _ = org_actions.do_create_user(
        org.superuser,
        username=username,
        real_name=username,
        department=dept,
        role=role,
        password=PASSWORD,
    )
    settled(user)
    return user


def build_courts(org: Org) -> Courts:
    su = org.superuser
    fy = org_actions.do_create_department(
        su, name="示范市人民法院", code="FY", kind=DepartmentKind.POLITICAL_LEGAL, parent=org.root
    )
    trial = org_actions.do_create_department(su, name="刑事审判庭", code="FY-XS", parent=fy)
    jcy = org_actions.do_create_department(
        su,
        name="示范市人民检察院",
        code="JCY",
        kind=DepartmentKind.POLITICAL_LEGAL,
        parent=org.root,
    )
    zfw = org_actions.do_create_department(
        su, name="区委政法委", code="ZFW", kind=DepartmentKind.OTHER, parent=org.root
    )
    OrganProfile.objects.create(department=fy, organ_kind="court")
    OrganProfile.objects.create(department=jcy, organ_kind="procuratorate")
    return Courts(
        fy=fy,
        fy_trial=trial,
        jcy=jcy,
        zfw=zfw,
        fy_handler=_user(org, "fy_handler", fy, Role.HANDLER),
        fy_handler2=_user(org, "fy_handler2", trial, Role.HANDLER),
        fy_leader=_user(org, "fy_leader", fy, Role.LEADER),
        fy_head=_user(org, "fy_head", fy, Role.HEAD),
        fy_reader=_user(org, "fy_reader", fy, Role.SUPERVISOR),
        jcy_handler=_user(org, "jcy_handler", jcy, Role.HANDLER),
        jcy_leader=_user(org, "jcy_leader", jcy, Role.LEADER),
        zfw_supervisor=_user(org, "zfw_supervisor", org.root, Role.SUPERVISOR),
    )


def make_case(organ: Department, number: str, **values: Any) -> Case:
    """A case written directly; set fields (vulnerable_groups, coercive_measures) may be
    given as lists of codes."""
    for name in ("vulnerable_groups", "coercive_measures"):
        if isinstance(values.get(name), list | tuple | set):
            values[name] = encode_codes(values[name])
    defaults: dict[str, Any] = {
        "title": f"案件 {number}",
        "category": "criminal",
        "stage": "accepted",
        "accepted_on": dt.date(2026, 10, 1),
        "brief_facts": "",
    }
    defaults.update(values)
    return Case.objects.create(organ=organ, number=number, **defaults)
