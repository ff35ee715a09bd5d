"""Demo cases for `fengping demo` (after `org.demo.load_demo`): three 政法单位 of 示范市 —
the 市中级人民法院 of the demo organisation, a 市人民检察院 and a 市公安局 added here —
each with a 承办人, a 分管领导 and its 主要负责人 (the demo password), its case profile and
about 300 cases written as a case-management system would export them: Chinese 案号,
titles, brief facts (some with the words the screening's keyword criteria look for:
讨薪, 征地拆迁, 聚集, 舆情, 以死相逼 …), parties, amounts, 查封、扣押、冻结 measures,
vulnerable groups, the four markers of 篇4 三, stages and handlers; 信访 over the last six
months (more of them on the risky cases, so the screening's criteria can be seen to
predict them) and the stage changes of the cases adjudicated lately.

The cases are generated from a fixed seed; dates count back from today. Idempotent: an
organ or person that already exists (by code or user name) is left alone, and an organ
that has any case gets no demo cases (nor their petitions and stage changes) — also when
the demo is loaded again on another day. Returns how many
rows it created. The screening itself is not run here (`fengping cases screen` does it).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from fengping.org import actions as org_actions
from fengping.org.demo import DEMO_PASSWORD
from fengping.org.models import Department, DepartmentKind, Membership, Role, User

from .models import (
    Case,
    OrganProfile,
    Petition,
    PetitionKind,
    StageChange,
    StageSource,
    encode_codes,
)
from .terms import vocabulary_for

ROOT = "SFS"
CASES_PER_ORGAN = 300
SEED = 20261206

# code, name, organ kind, short name (the court is created by org.demo)
ORGANS = [
    ("SFS-FY", "市中级人民法院", "court", "中院"),
    ("SFS-JCY", "市人民检察院", "procuratorate", "市检察院"),
    ("SFS-GAJ", "市公安局", "public_security", "市公安局"),
]

USERS = [
    # username, real name, position, organ code, role
    ("lintao", "林涛", "刑事审判庭法官", "SFS-FY", Role.HANDLER),
    ("hejun", "何军", "副院长", "SFS-FY", Role.LEADER),
    ("songwei", "宋伟", "院长", "SFS-FY", Role.HEAD),
    ("fangli", "方莉", "第一检察部检察官", "SFS-JCY", Role.HANDLER),
    ("guoqiang", "郭强", "副检察长", "SFS-JCY", Role.LEADER),
    ("tanghong", "唐红", "检察长", "SFS-JCY", Role.HEAD),
    ("majun", "马骏", "法制大队民警", "SFS-GAJ", Role.HANDLER),
    ("luyong", "陆勇", "副局长", "SFS-GAJ", Role.LEADER),
    ("xuefeng", "薛峰", "局长", "SFS-GAJ", Role.HEAD),
]
HANDLER = {"SFS-FY": "lintao", "SFS-JCY": "fangli", "SFS-GAJ": "majun"}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
COMPANIES = [
    "示范市恒达建筑工程有限公司",
    "示范市金桥房地产开发有限公司",
    "示范市宏远物流有限公司",
    "示范市兴业小额贷款有限公司",
    "示范市鑫源矿业有限公司",
    "示范市新城物业服务有限公司",
    "示范市华泰商贸有限公司",
    "示范市安居置业有限公司",
]
VILLAGES = [
    "滔河镇东岭村",
    "滔河镇南湾村",
    "城关街道北关社区",
    "城关街道西园社区",
    "新区办事处李家庄",
]

# kind of case -> (category, title pattern, brief facts pattern, base risk markers)
# {p1}/{p2}: persons, {c}: a company, {v}: a village, {n}: a number of people.
CRIMINAL = [
    ("故意伤害案", "被告人{p1}因琐事与被害人{p2}发生争执，持械将其打成轻伤二级。", {}),
    ("盗窃案", "被告人{p1}多次入户盗窃，涉案财物价值{amount}元。", {}),
    (
        "诈骗案",
        "被告人{p1}以高额回报为名骗取{n}名老年人养老钱，涉案金额{amount}元，被害人多次到有关部门反映。",
        {"elderly": 1, "many": 1},
    ),
    (
        "非法吸收公众存款案",
        "被告人{p1}以{c}名义向社会公众非法吸收资金，涉及集资群众{n}人，部分群众在市政府门前聚集。",
        {"many": 1, "group": 1},
    ),
    (
        "交通肇事案",
        "被告人{p1}驾车肇事致{p2}死亡后逃逸，被害人家属情绪激动，扬言若不严惩将到北京上访。",
        {},
    ),
    (
        "寻衅滋事案",
        "被告人{p1}等人纠集多人围堵{c}办公场所，造成恶劣影响，相关视频在网络传播。",
        {"group": 1, "media": 1},
    ),
    (
        "拒不支付劳动报酬案",
        "被告人{p1}作为{c}实际控制人，拖欠{n}名农民工工资{amount}元，农民工多次集体讨薪。",
        {"wage": 1, "many": 1},
    ),
    ("故意毁坏财物案", "被告人{p1}因征地补偿款分配不满，毁坏{v}村委会财物。", {"land": 1}),
]
CIVIL = [
    (
        "民间借贷纠纷案",
        "原告{p1}诉被告{p2}借款{amount}元到期未还，申请诉前财产保全，冻结被告银行存款。",
        {"freezing": 1},
    ),
    (
        "劳动争议案",
        "原告{p1}等{n}名农民工诉{c}追索劳动报酬，被告以工程款未结算为由拒付工资。",
        {"wage": 1, "many": 1},
    ),
    (
        "房屋买卖合同纠纷案",
        "原告{p1}等{n}名购房人诉{c}逾期交房，要求解除合同、返还购房款，部分业主在售楼处拉横幅。",
        {"group": 1, "many": 1},
    ),
    (
        "离婚纠纷案",
        "原告{p1}诉被告{p2}离婚，双方对子女抚养和房产分割争议较大，被告称如判离婚将以死相逼。",
        {"minor": 1, "threat": 1},
    ),
    (
        "机动车交通事故责任纠纷案",
        "原告{p1}诉被告{p2}及保险公司赔偿医疗费、残疾赔偿金等{amount}元。",
        {"disabled": 1},
    ),
    (
        "建设工程施工合同纠纷案",
        "原告{c}诉发包方拖欠工程款{amount}元，申请查封被告名下在建工程。",
        {"seizure": 1},
    ),
    (
        "物业服务合同纠纷案",
        "原告{c}诉{n}户业主拖欠物业费，业主以服务质量差为由集体拒缴，相关帖子在网络热议。",
        {"many": 1, "media": 1},
    ),
    (
        "宅基地使用权纠纷案",
        "原告{p1}与被告{p2}因{v}宅基地界址发生争议，多次调解未果。",
        {"land": 1},
    ),
]
ADMINISTRATIVE = [
    (
        "房屋征收补偿决定案",
        "原告{p1}不服市住建局作出的房屋征收补偿决定，认为补偿款过低，曾多次到市信访局上访。",
        {"land": 1},
    ),
    ("行政处罚案", "原告{c}不服市场监管部门作出的罚款{amount}元的行政处罚决定。", {}),
    (
        "土地行政登记案",
        "原告{p1}等{n}户村民诉市自然资源局土地登记违法，涉及{v}集体土地征地补偿。",
        {"land": 1, "many": 1},
    ),
    ("工伤认定案", "原告{p1}不服人社局不予认定工伤决定，原告系农民工，生活困难。", {"hardship": 1}),
]
ENFORCEMENT = [
    (
        "执行案",
        "申请执行人{p1}申请执行被执行人{c}欠款{amount}元，已冻结、扣押被执行人账户和车辆。",
        {"freezing": 1, "distrainment": 1},
    ),
    (
        "执行案",
        "申请执行人{p1}等{n}名劳动者申请执行{c}拖欠工资，被执行人下落不明。",
        {"wage": 1, "many": 1},
    ),
    (
        "执行案",
        "申请执行人{c}申请腾退{p1}占用房屋，被执行人系残疾人，扬言跳楼。",
        {"disabled": 1, "threat": 1},
    ),
]
PROCURATORATE = [
    ("审查起诉案", "犯罪嫌疑人{p1}涉嫌故意伤害，被害人{p2}家属对鉴定意见不服，多次到院反映。", {}),
    (
        "审查起诉案",
        "犯罪嫌疑人{p1}等{n}人涉嫌集资诈骗，涉案金额{amount}元，集资群众在检察院门前聚集。",
        {"many": 1, "group": 1},
    ),
    (
        "审查逮捕案",
        "犯罪嫌疑人{p1}涉嫌拒不支付劳动报酬，拖欠{n}名农民工工资。",
        {"wage": 1, "many": 1},
    ),
    (
        "民事行政检察监督案",
        "申请人{p1}不服法院民事判决申请监督，认为原审认定宅基地权属错误。",
        {"land": 1},
    ),
    ("刑事申诉案", "申诉人{p1}对其子被判故意杀人罪不服，长期申诉，称将报复社会。", {"threat": 1}),
    ("审查起诉案", "犯罪嫌疑人{p1}涉嫌盗窃，已查扣赃款赃物，退赔被害人损失。", {"distrainment": 1}),
    ("公益诉讼案", "{c}非法采矿破坏生态环境，当地村民反映强烈，媒体曝光后引发关注。", {"media": 1}),
]
PUBLIC_SECURITY_CRIMINAL = [
    (
        "涉嫌诈骗案",
        "受害人{p1}等{n}人报案称被电信网络诈骗{amount}元，受害人中有多名老年人。",
        {"elderly": 1, "many": 1},
    ),
    (
        "涉嫌非法集资案",
        "{c}以投资养老项目为名吸收资金，{n}名投资人报案并到市政府聚集。",
        {"group": 1, "many": 1, "elderly": 1},
    ),
    ("涉嫌故意伤害案", "犯罪嫌疑人{p1}在征地拆迁现场与工作人员发生冲突致人受伤。", {"land": 1}),
    ("涉嫌盗窃案", "犯罪嫌疑人{p1}盗窃电动车多辆，已扣押涉案车辆。", {"distrainment": 1}),
    (
        "涉嫌强迫交易案",
        "犯罪嫌疑人{p1}等人垄断{v}砂石运输，强迫交易，冻结涉案账户资金{amount}元。",
        {"freezing": 1, "many": 1},
    ),
]
PUBLIC_ORDER = [
    ("治安案件（殴打他人）", "违法行为人{p1}因邻里纠纷殴打{p2}，致其轻微伤。", {}),
    (
        "治安案件（扰乱单位秩序）",
        "违法行为人{p1}等人因讨薪在{c}门口堵路、拉横幅，扰乱单位秩序。",
        {"wage": 1, "group": 1},
    ),
    (
        "治安案件（寻衅滋事）",
        "违法行为人{p1}在网络发布不实信息称{v}征地补偿款被侵吞，引发舆情。",
        {"land": 1, "media": 1},
    ),
    (
        "治安案件（阻碍执行职务）",
        "违法行为人{p1}阻碍拆迁执法人员执行职务，扬言自焚。",
        {"land": 1, "threat": 1},
    ),
]

# Ordinary cases, the great majority: nothing the screening looks for.
ORDINARY = {
    "criminal": [
        ("危险驾驶案", "被告人{p1}醉酒驾驶机动车，血液酒精含量超标，被当场查获。", {}),
        ("盗窃案", "被告人{p1}在商场盗窃手机一部，到案后如实供述，退赔被害人损失。", {}),
        ("故意伤害案", "被告人{p1}与{p2}因停车发生口角，致其轻伤，双方已达成和解。", {}),
    ],
    "civil": [
        ("买卖合同纠纷案", "原告{c}诉被告{p1}拖欠货款，被告对欠款数额无异议。", {}),
        ("离婚纠纷案", "原告{p1}诉被告{p2}离婚，双方同意离婚，对财产分割协商一致。", {}),
        ("民间借贷纠纷案", "原告{p1}诉被告{p2}借款到期未还，被告承认借款事实。", {}),
        ("租赁合同纠纷案", "原告{p1}诉被告{c}拖欠租金，双方在庭前达成调解意向。", {}),
    ],
    "administrative": [
        ("政府信息公开案", "原告{p1}申请公开某项规划文件，被告已部分公开。", {}),
    ],
    "enforcement": [
        ("执行案", "申请执行人{p1}申请执行被执行人{p2}借款，被执行人已履行大部分款项。", {}),
    ],
    "procuratorate": [
        ("审查起诉案", "犯罪嫌疑人{p1}涉嫌危险驾驶，认罪认罚。", {}),
        ("审查起诉案", "犯罪嫌疑人{p1}涉嫌盗窃，已退赃退赔，被害人{p2}表示谅解。", {}),
        ("审查逮捕案", "犯罪嫌疑人{p1}涉嫌故意伤害，证据确实充分。", {}),
    ],
    "public_security": [
        ("涉嫌盗窃案", "犯罪嫌疑人{p1}盗窃{p2}财物，已追回赃物。", {}),
        ("涉嫌危险驾驶案", "犯罪嫌疑人{p1}醉酒驾驶机动车被查获。", {}),
    ],
    "public_order": [
        (
            "治安案件（殴打他人）",
            "违法行为人{p1}与{p2}因琐事发生争执，动手殴打对方，双方已调解。",
            {},
        ),
        ("治安案件（赌博）", "违法行为人{p1}等人在出租屋内赌博，被当场查获。", {}),
    ],
}
RISKY_SHARE = 0.3


def _pick(rng: random.Random, risky: list, ordinary_key: str) -> tuple:
    if rng.random() < RISKY_SHARE:
        return rng.choice(risky)
    return rng.choice(ORDINARY[ordinary_key])


COURT_STAGES = ["accepted", "trial", "trial", "trial", "ruling", "execution", "closed"]
PROC_STAGES = ["accepted", "review", "review", "decision", "closed"]
PS_STAGES = ["accepted", "investigation", "investigation", "decision", "execution", "closed"]


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "某" + ("某" if rng.random() < 0.6 else "")


def _amount(rng: random.Random) -> Decimal:
    scale = rng.choice([5_000, 30_000, 200_000, 800_000, 3_000_000])
    return Decimal(rng.randint(scale // 5, scale)).quantize(Decimal("1"))


class _Numbers:
    """Sequential 案号 per organ, type and year, as the organs write them."""

    def __init__(self) -> None:
        self.seq: dict[tuple[str, int], int] = {}

    def next(self, pattern: str, year: int) -> str:
        n = self.seq[(pattern, year)] = self.seq.get((pattern, year), 0) + 1
        return pattern.format(y=year, n=n)


def _court_case(rng: random.Random, numbers: _Numbers, year: int) -> tuple[str, str, tuple]:
    kind = rng.choices(["criminal", "civil", "administrative", "enforcement"], [30, 45, 10, 15])[0]
    first = rng.random() < 0.7
    if kind == "criminal":
        pattern = "（{y}）示01刑初{n}号" if first else "（{y}）示01刑终{n}号"
        template = _pick(rng, CRIMINAL, "criminal")
    elif kind == "civil":
        pattern = "（{y}）示01民初{n}号" if first else "（{y}）示01民终{n}号"
        template = _pick(rng, CIVIL, "civil")
    elif kind == "administrative":
        pattern = "（{y}）示01行初{n}号"
        template = _pick(rng, ADMINISTRATIVE, "administrative")
    else:
        pattern = "（{y}）示01执{n}号"
        template = _pick(rng, ENFORCEMENT, "enforcement")
    return numbers.next(pattern, year), kind, template


def _proc_case(rng: random.Random, numbers: _Numbers, year: int) -> tuple[str, str, tuple]:
    template = _pick(rng, PROCURATORATE, "procuratorate")
    kind = "civil" if "民事" in template[0] else "criminal"
    prefix = {
        "审查逮捕案": "刑捕",
        "民事行政检察监督案": "民监",
        "刑事申诉案": "刑申",
        "公益诉讼案": "公益",
    }
    word = prefix.get(template[0], "刑诉")
    return numbers.next("示检一部" + word + "〔{y}〕{n}号", year), kind, template


def _ps_case(rng: random.Random, numbers: _Numbers, year: int) -> tuple[str, str, tuple]:
    if rng.random() < 0.55:
        return (
            numbers.next("示公（刑）立字〔{y}〕{n}号", year),
            "criminal",
            _pick(rng, PUBLIC_SECURITY_CRIMINAL, "public_security"),
        )
    return (
        numbers.next("示公（治）行决字〔{y}〕{n}号", year),
        "public_order",
        _pick(rng, PUBLIC_ORDER, "public_order"),
    )


MAKERS = {"court": (_court_case, COURT_STAGES), "procuratorate": (_proc_case, PROC_STAGES),
          "public_security": (_ps_case, PS_STAGES)}  # fmt: skip
GATE = {"ruling": "adjudicate", "decision": "adjudicate", "closed": "close"}


def _cases(organ: Department, kind: str, handler: User | None, today: dt.date) -> list[dict]:
    """The organ's demo cases, each a dict of Case fields plus `_risk` (0–5: how likely a
    petition is) — the same list on every run (fixed seed)."""
    rng = random.Random(f"{SEED}-{organ.code}")
    make, stages = MAKERS[kind]
    numbers = _Numbers()
    out = []
    accepted_days = sorted(rng.randint(5, 540) for _ in range(CASES_PER_ORGAN))
    for days in reversed(accepted_days):  # oldest first, so 案号 rise with the date
        accepted = today - dt.timedelta(days=days)
        number, category, (title_tail, facts, markers) = make(rng, numbers, accepted.year)
        p1, p2 = _person(rng), _person(rng)
        company, village = rng.choice(COMPANIES), rng.choice(VILLAGES)
        n = rng.randint(12, 86) if markers.get("many") else rng.randint(1, 3)
        amount = _amount(rng)
        text = facts.format(p1=p1, p2=p2, c=company, v=village, n=n, amount=f"{amount:,}")
        subject = company if "{c}" in facts and "{p1}" not in facts else p1
        title = f"{subject}{title_tail}" if "纠纷" not in title_tail else f"{p1}与{p2}{title_tail}"
        stage = stages[min(len(stages) - 1, int(rng.random() * len(stages) * min(1, days / 240)))]
        since = accepted + dt.timedelta(days=rng.randint(0, max(0, days - 1)))
        if stage == "accepted":
            since = accepted
        measures = [m for m in ("seizure", "distrainment", "freezing") if markers.get(m)]
        vulnerable = [
            g
            for g in ("elderly", "minor", "disabled", "hardship", "migrant_worker")
            if markers.get(g) or (g == "migrant_worker" and markers.get("wage"))
        ]
        sensitive = bool(markers.get("media") or markers.get("group")) and rng.random() < 0.6
        attention = sensitive or (markers.get("many") and rng.random() < 0.3)
        major = rng.random() < (0.2 if markers else 0.02)
        misconduct = rng.random() < 0.006
        risk = sum(1 for k in ("threat", "group", "wage", "land", "media") if markers.get(k))
        risk += int(major) + int(bool(attention))
        out.append(
            {
                "number": number,
                "title": title[:200],
                "category": category,
                "handler": handler,
                "stage": stage,
                "stage_since": since,
                "accepted_on": accepted,
                "amount": amount if ("{amount}" in facts or rng.random() < 0.3) else None,
                "parties": "、".join(
                    [p1, p2] if "{p2}" in facts else [p1, company] if "{c}" in facts else [p1]
                ),
                "party_count": n if markers.get("many") else 2,
                "involved_count": n if markers.get("many") else rng.randint(1, 4),
                "vulnerable_groups": encode_codes(vulnerable),
                "coercive_measures": encode_codes(measures),
                "public_attention": bool(attention),
                "socially_sensitive": sensitive,
                "officer_misconduct": misconduct,
                "major_complex": major,
                "brief_facts": text,
                "_risk": risk,
            }
        )
    return out


def _petitions(case: Case, risk: int, rng: random.Random, today: dt.date) -> list[Petition]:
    """Petitions over the last six months: rare on a quiet case, frequent on a risky one,
    and more of them lately (after the last screenings)."""
    chance = [0.04, 0.18, 0.35, 0.55, 0.7, 0.8][min(risk, 5)]
    out = []
    if rng.random() >= chance:
        return out
    for _ in range(rng.choice([1, 1, 2, 2, 3]) if risk else 1):
        days = rng.randint(0, 60) if rng.random() < 0.55 else rng.randint(61, 182)
        day = today - dt.timedelta(days=days)
        if case.accepted_on and day < case.accepted_on:
            day = case.accepted_on
        collective = risk >= 2 and rng.random() < 0.4
        out.append(
            Petition(
                case=case,
                date=day,
                kind=PetitionKind.COLLECTIVE
                if collective
                else rng.choice(
                    [PetitionKind.INDIVIDUAL, PetitionKind.INDIVIDUAL, PetitionKind.BEYOND_LEVEL]
                ),
                persons=rng.randint(5, 30) if collective else rng.randint(1, 3),
                content=rng.choice(
                    [
                        "要求尽快依法处理，反映办案拖延。",
                        "对处理结果不服，要求重新审查。",
                        "要求追回欠款、赔偿损失。",
                        "反映补偿标准过低，要求提高补偿。",
                        "要求追究有关人员责任。",
                    ]
                ),
            )
        )
    return out


def _organs(admin: User) -> tuple[int, dict[str, Department]]:
    created = 0
    root = Department.objects.get(code=ROOT)
    found = {d.code: d for d in Department.objects.filter(code__in=[o[0] for o in ORGANS])}
    for code, name, _kind, short in ORGANS:
        if code not in found:
            found[code] = org_actions.do_create_department(
                admin,
                name=name,
                code=code,
                kind=DepartmentKind.POLITICAL_LEGAL,
                parent=root,
                short_name=short,
            )
            created += 1
    for code, _name, kind, _short in ORGANS:
        if not OrganProfile.objects.filter(department=found[code]).exists():
            OrganProfile.objects.create(department=found[code], organ_kind=kind)
            created += 1
    for username, real_name, position, code, role in USERS:
        dept = found[code]
        user = User.objects.filter(username=username).first()
        if user is None:
            org_actions.do_create_user(
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
            org_actions.do_add_membership(admin, user, dept, role)
            created += 1
    return created, found


def _stage_changes(
    case: Case, kind: str, handler: User, rng: random.Random, today: dt.date
) -> list[StageChange]:
    """The adjudication (and closing) of a case decided in the last six months, as the
    case-management system recorded them."""
    stages = list(dict.fromkeys(MAKERS[kind][1]))
    gates = [s for s in stages if GATE.get(s) == "adjudicate"]
    if case.stage not in GATE or not case.stage_since or not gates:
        return []
    ruled = gates[0]
    out = []
    moves = [(ruled, case.stage_since)]
    if case.stage != ruled:  # closed (or executed) after the ruling
        moves = [(ruled, case.stage_since - dt.timedelta(days=rng.randint(10, 60)))]
        if case.stage == "closed":
            moves.append(("closed", case.stage_since))
    for stage, day in moves:
        if (today - day).days > 182 or (case.accepted_on and day < case.accepted_on):
            continue
        before = stages[stages.index(stage) - 1]
        at = timezone.make_aware(dt.datetime.combine(day, dt.time(10, rng.randint(0, 59))))
        out.append(
            StageChange(
                case=case,
                from_stage=before,
                to_stage=stage,
                gate=GATE[stage],
                source=StageSource.IMPORT,
                changed_by=handler,
                changed_at=min(at, timezone.now()),
                note="案件管理系统导入",
            )
        )
    return out


@transaction.atomic
def load_demo(today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    admin = User.objects.get(username="admin")
    created, organs = _organs(admin)
    for code, _name, kind, _short in ORGANS:
        organ = organs[code]
        # An organ that has cases (from an earlier demo, on another day: the 案号 count
        # from the dates) gets none: the demo's cases are generated once.
        if Case.objects.filter(organ=organ).exists():
            continue
        handler = User.objects.get(username=HANDLER[code])
        fresh = _cases(organ, kind, handler, today)
        risks = {r["number"]: r.pop("_risk") for r in fresh}
        vocabulary = vocabulary_for(OrganProfile.objects.get(department=organ))
        rows = [Case(organ=organ, **r) for r in fresh]
        for case in rows:
            case.stamp_terms(vocabulary)  # as the import keeps them at arrival
        Case.objects.bulk_create(rows)
        cases = list(Case.objects.filter(organ=organ, number__in=list(risks)))
        created += len(cases)
        petitions: list[Petition] = []
        changes: list[StageChange] = []
        rng = random.Random(f"{SEED}-{code}-petitions")
        for case in sorted(cases, key=lambda c: c.number):
            petitions += _petitions(case, risks[case.number], rng, today)
            changes += _stage_changes(case, kind, handler, rng, today)
        Petition.objects.bulk_create(petitions)
        StageChange.objects.bulk_create(changes)
        created += len(petitions) + len(changes)
    return created
