"""Two demo information systems of the 人社局's 养老保险科, registered by 陈静 (chenjing)
through the actions, for `fengping demo` (after `org.demo.load_demo`):

1. 协同办公系统 (OA, 等保三级): businesses 公文流转 and 信息发布; the four component assets
   of 2.1's example — 客户端, Web服务器, Domino服务器, DB2数据库服务器 — one in each part,
   on 10.10.1.x, plus the system asset.
2. 社保业务系统 (SB, 等保三级): businesses 养老保险待遇发放, 参保登记 and 网上经办; ten
   assets across the four parts.

Idempotent: a system, business or asset that already exists (by code) is left alone.
Returns how many rows it created.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from fengping.org.models import Department, User

from .actions import systems as actions
from .models import System

USERNAME = "chenjing"
DEPARTMENT = "SFS-RSJ-YL"

SYSTEMS: list[dict[str, Any]] = [
    {
        "code": "OA",
        "name": "协同办公系统",
        "protection_level": 3,
        "filing_number": "11010043001-00101",
        "business": "公文流转、信息发布",
        "description": "局机关协同办公平台，Lotus Domino + DB2，内网访问。",
        "businesses": [
            ("OA-GWLZ", "公文流转", 5, "收文、发文、签报的拟稿、审核、签发和归档", []),
            ("OA-XXFB", "信息发布", 3, "通知公告、内部信息发布", ["OA-GWLZ"]),
        ],
        "assets": [
            # code, name, layer, part, type, business, hosts, ips, location, C, I, A, factors, reason
            (
                "OA-SYS",
                "协同办公系统",
                "system",
                "",
                "应用系统",
                "OA-GWLZ",
                "",
                "",
                "",
                4,
                4,
                3,
                {"mission": 4, "importance": 5},
                "承载全局公文流转，公文涉及工作秘密",
            ),
            (
                "OA-CLT",
                "客户端",
                "component",
                "client",
                "终端",
                "OA-GWLZ",
                "",
                "10.10.1.100",
                "办公区",
                3,
                3,
                2,
                {"reach": 2},
                "终端分散，单台故障影响有限",
            ),
            (
                "OA-WEB",
                "Web服务器",
                "component",
                "service_provision",
                "服务器",
                "OA-XXFB",
                "oa-web01",
                "10.10.1.20",
                "核心机房 应用区",
                3,
                4,
                4,
                {"dependence": 4, "location": 3},
                "所有用户经此访问",
            ),
            (
                "OA-DOM",
                "Domino服务器",
                "component",
                "business_processing",
                "中间件",
                "OA-GWLZ",
                "oa-domino01",
                "10.10.1.30",
                "核心机房 应用区",
                4,
                4,
                4,
                {"importance": 5, "dependence": 5},
                "公文流程均在此处理",
            ),
            (
                "OA-DB",
                "DB2数据库服务器",
                "component",
                "data_storage",
                "数据库",
                "OA-GWLZ",
                "oa-db01",
                "10.10.1.40",
                "核心机房 数据区",
                5,
                5,
                4,
                {"intrinsic": 5, "reach": 4},
                "存储全部公文和流转记录",
            ),
        ],
    },
    {
        "code": "SB",
        "name": "社保业务系统",
        "protection_level": 3,
        "filing_number": "11010043001-00102",
        "business": "养老保险待遇发放、参保登记、网上经办",
        "description": "社会保险核心业务系统，含网上经办大厅。",
        "businesses": [
            ("SB-DYFF", "养老保险待遇发放", 5, "每月养老金核定与发放", []),
            ("SB-CBDJ", "参保登记", 4, "单位和个人参保登记、变更", []),
            ("SB-WSJB", "网上经办", 4, "互联网经办大厅", ["SB-CBDJ", "SB-DYFF"]),
        ],
        "assets": [
            (
                "SB-SYS",
                "社保业务系统",
                "system",
                "",
                "应用系统",
                "SB-DYFF",
                "",
                "",
                "",
                5,
                5,
                4,
                {"mission": 5},
                "关系到全市参保人员待遇发放",
            ),
            (
                "SB-CLT",
                "经办柜台终端",
                "component",
                "client",
                "终端",
                "SB-CBDJ",
                "",
                "10.20.5.11\n10.20.5.12",
                "经办大厅",
                3,
                4,
                3,
                {},
                "",
            ),
            (
                "SB-PORTAL",
                "网上经办门户",
                "component",
                "service_provision",
                "Web服务器",
                "SB-WSJB",
                "sb-portal",
                "10.20.1.10",
                "DMZ",
                4,
                4,
                4,
                {"location": 5, "reach": 5},
                "面向互联网",
            ),
            (
                "SB-LB",
                "负载均衡",
                "component",
                "service_provision",
                "网络设备",
                "SB-WSJB",
                "sb-lb",
                "10.20.1.2",
                "DMZ",
                2,
                3,
                5,
                {"dependence": 5},
                "",
            ),
            (
                "SB-APP1",
                "核心业务应用服务器1",
                "component",
                "business_processing",
                "服务器",
                "SB-DYFF",
                "sb-app01",
                "10.20.2.11",
                "核心机房 应用区",
                4,
                5,
                5,
                {"importance": 5},
                "待遇核定",
            ),
            (
                "SB-APP2",
                "核心业务应用服务器2",
                "component",
                "business_processing",
                "服务器",
                "SB-DYFF",
                "sb-app02",
                "10.20.2.12",
                "核心机房 应用区",
                4,
                5,
                5,
                {"importance": 5},
                "待遇核定（双机）",
            ),
            (
                "SB-MQ",
                "消息中间件",
                "component",
                "business_processing",
                "中间件",
                "SB-CBDJ",
                "sb-mq01",
                "10.20.2.20",
                "核心机房 应用区",
                3,
                4,
                4,
                {},
                "",
            ),
            (
                "SB-DB",
                "Oracle数据库服务器",
                "component",
                "data_storage",
                "数据库",
                "SB-DYFF",
                "sb-db01",
                "10.20.3.10",
                "核心机房 数据区",
                5,
                5,
                5,
                {"intrinsic": 5, "reach": 5},
                "全部参保和待遇数据",
            ),
            (
                "SB-BAK",
                "备份服务器",
                "component",
                "data_storage",
                "存储",
                "SB-DYFF",
                "sb-bak01",
                "10.20.3.20",
                "同城灾备机房",
                5,
                4,
                3,
                {"location": 3},
                "",
            ),
            (
                "SB-ETL",
                "数据交换前置机",
                "component",
                "data_storage",
                "服务器",
                "SB-CBDJ",
                "sb-etl01",
                "10.20.3.30",
                "核心机房 数据区",
                4,
                4,
                3,
                {},
                "与税务、银行交换数据",
            ),
        ],
    },
]


@transaction.atomic
def load_demo() -> int:
    actor = User.objects.get(username=USERNAME)
    department = Department.objects.get(code=DEPARTMENT)
    created = 0
    for spec in SYSTEMS:
        system = System.objects.filter(code=spec["code"]).first()
        if system is None:
            system = actions.do_create_system(
                actor,
                department=department,
                code=spec["code"],
                name=spec["name"],
                protection_level=spec["protection_level"],
                filing_number=spec["filing_number"],
                business=spec["business"],
                description=spec["description"],
            )
            created += 1
        businesses = {b.code: b for b in system.businesses.all()}
        for code, name, importance, description, linked in spec["businesses"]:
            if code in businesses:
                continue
            businesses[code] = actions.do_save_business(
                actor,
                system,
                code=code,
                name=name,
                importance=importance,
                description=description,
                linked=[businesses[c] for c in linked if c in businesses],
            )
            created += 1
        have = set(system.assets.values_list("code", flat=True))
        for (
            code,
            name,
            layer,
            part,
            asset_type,
            business,
            hosts,
            ips,
            location,
            c,
            i,
            a,
            factors,
            reason,
        ) in spec["assets"]:
            if code in have:
                continue
            actions.do_save_asset(
                actor,
                system,
                code=code,
                name=name,
                layer=layer,
                part=part,
                asset_type=asset_type,
                business=businesses.get(business),
                hostnames=hosts,
                ips=ips,
                location=location,
                confidentiality=c,
                integrity=i,
                availability=a,
                factors=factors,
                value_reason=reason,
            )
            created += 1
    return created
