"""Load benchmark: the production server under 20 signed-in clients (not a test; run by hand).

    .venv/bin/python bench/bench_load.py --db sqlite            # seed, then 60 s of load
    .venv/bin/python bench/bench_load.py --db postgres          # the same on PostgreSQL
    .venv/bin/python bench/bench_load.py --seed-only            # only build the data set
    .venv/bin/python bench/bench_load.py --no-seed --duration 600   # RSS sampled every 60 s

1. Seeds (deterministic, idempotent: each part is topped up to its target) the demo
   organisation, 20 bench users, 100,000 matters, 5,000 assessments × 10 scored risk
   factors, and one matter whose questionnaire has 200,000 responses (stance, choice,
   multiple choice, scale and free-text answers in Chinese) plus a few comments.
2. Starts `fengping serve` (production mode: FENGPING_DEBUG=0, gunicorn, the job worker)
   on a free port 8100–8199 against the same database.
3. A solo pass: each URL of the mix requested 5 times by one client (median ms).
4. The load: `--clients` threads, each signed in through the login form (CSRF token and
   cookie), request the 14-URL mix round-robin for `--duration` seconds.
5. Prints per URL count, median, p95, p99 and errors; requests/s; CPU seconds per request
   of the web workers, the job worker and the database (PostgreSQL: every `postgres`
   process; SQLite runs inside the web workers); worker RSS before and after; load average.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/fengping_load"
BENCH_PASSWORD = "Fengping-load-2026"  # noqa: S105 (a throwaway benchmark database)
HOT_TITLE = "城区老旧小区加装电梯及停车位配建实施方案"
HOT_QUESTIONNAIRE = "老旧小区加装电梯方案意见征询问卷"
N_MATTERS = 100_000
N_ASSESSMENTS = 5_000
N_FACTORS = 10
N_RESPONSES = 200_000
N_CLIENT_USERS = 20
TICK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--database-url", help=f"default: SQLite in --data-dir, or {PG_DEFAULT}")
    p.add_argument("--data-dir", help="FENGPING_DATA_DIR (default /tmp/fp-load-<db>)")
    p.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    p.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    p.add_argument("--timeout", type=float, default=130, help="client timeout per request (s)")
    p.add_argument("--solo-repeat", type=int, default=5, help="solo requests per URL (default 5)")
    p.add_argument("--no-solo", action="store_true", help="skip the solo pass")
    p.add_argument(
        "--exclude",
        default="",
        help="leave URLs out of the load: comma-separated parts of their names, e.g. 'opinion'",
    )
    p.add_argument("--seed-only", action="store_true", help="seed, then stop")
    p.add_argument("--no-seed", action="store_true", help="use the data set as it is")
    return p.parse_args(argv)


def configure(args: argparse.Namespace) -> None:
    """The environment both this process and the server read (before Django starts)."""
    data_dir = Path(args.data_dir or f"/tmp/fp-load-{args.db}")  # noqa: S108
    data_dir.mkdir(parents=True, exist_ok=True)
    url = args.database_url or (
        PG_DEFAULT if args.db == "postgres" else f"sqlite:///{data_dir / 'fengping.sqlite3'}"
    )
    os.environ["FENGPING_DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = url
    os.environ["FENGPING_DEBUG"] = "0"  # production mode, whatever the shell says
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengping.settings")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    sys.path.insert(0, str(SRC))
    if url.startswith(("postgres:", "postgresql:")):
        create_pg_database(url)


def create_pg_database(url: str) -> None:
    import psycopg

    base, _slash, name = url.rpartition("/")
    name = name.split("?")[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        conn.execute(f'CREATE DATABASE "{name}"')
        print(f"created database {name}")


# ---------------------------------------------------------------- seeding

# Titles: deterministic combinations, so a search finds a realistic share of rows.
PLACES = ["滔河镇", "城关街道", "东城区", "西城区", "南湖街道", "北山乡", "高新区", "临江镇"]
TOPICS = [
    ("老旧小区改造", "scope_livelihood_policy"),
    ("养老服务设施建设", "scope_social_decisions"),
    ("征地拆迁补偿", "focus_rural"),
    ("企业职工安置", "scope_enterprise_reform"),
    ("垃圾处理场选址", "scope_planning_projects"),
    ("公交线路调整", "scope_industry_policy"),
    ("农贸市场搬迁", "scope_planning_projects"),
    ("学区划分调整", "scope_livelihood_policy"),
    ("水价调整", "scope_livelihood_policy"),
    ("食品安全专项整治", "scope_safety_measures"),
]
SUFFIX = ["实施方案", "项目", "工作方案", "政策调整", "试点方案"]
STATUSES = ["registered", "registered", "decided", "reviewing"]

FACTOR_TITLES = [
    "补偿标准低于群众预期",
    "安置房建设进度滞后",
    "低楼层住户利益受损",
    "施工期间噪音扰民",
    "费用分摊方案争议",
    "信息公开不充分",
    "历史遗留问题叠加",
    "网络舆情发酵",
    "少数群众串联上访",
    "配套资金不到位",
]

# Free-text answers: opening × concern × ending, in the words residents write.
OPENINGS = ["", "我认为", "建议", "希望", "担心", "个人觉得", "强烈要求", "说实话，"]
CONCERNS = [
    "加装电梯的费用分摊要公平合理",
    "低楼层住户的采光和通风会受影响",
    "电梯占用绿化和停车位",
    "施工期间的噪音和安全问题",
    "后期电梯维护保养费用由谁承担",
    "停车位配建数量太少",
    "补贴资金能否及时到位",
    "方案没有充分征求一楼住户意见",
    "老年人上下楼确实不方便，电梯很有必要",
    "小区道路狭窄，消防通道会被占用",
    "物业管理跟不上，电梯坏了没人修",
    "政府补贴标准偏低",
    "停车收费标准不透明",
    "加装电梯后房屋价值的变化",
    "施工队伍的资质和工程质量",
    "业主之间意见分歧很大需要协调",
    "希望公开招标过程",
    "残疾人和孕妇出行需要无障碍设施",
    "地下管线改造可能影响供水供气",
    "居委会应该多组织协商会议",
]
ENDINGS = ["", "。", "，请尽快公示方案。", "，希望政府重视。", "，谢谢！", "，望采纳。"]
COMMENTS = [
    ("letter", "一楼住户联名来信：加装电梯遮挡采光，要求给予补偿并公开协商结果。", True),
    ("visit", "走访中老年住户普遍支持加装电梯，希望尽快开工。", False),
    ("online", "停车位配建方案中的收费标准是多少？是否优先本小区业主？", True),
    ("symposium", "座谈会上业主代表提出费用分摊比例应按楼层递增。", False),
    ("hearing", "听证会上有居民质疑施工期间的消防通道如何保障。", True),
    ("letter", "来信反映小区物业管理混乱，担心电梯建成后无人维护。", True),
]


def _scheme_bits(key: str) -> dict[str, Any]:
    """What a bulk assessment of scheme `key` needs: its frozen snapshot (parsed once),
    the steps before the analysis (done), the analysis step (open), dimensions, levels."""
    from fengping.procedure import engine
    from fengping.schemebook import registry
    from fengping.schemes import to_json

    scheme = registry.get(key)
    codes = [s.code for s in scheme.procedure.steps]
    current = engine.step_producing(scheme, "risk_analysis").code
    scales = {s.code: s for s in scheme.scales}
    method = scheme.method
    return {
        "scheme": scheme,
        "snapshot": to_json(scheme),
        "done": codes[: codes.index(current)],
        "current": current,
        "dimensions": [d.code for d in scheme.dimensions],
        "p_levels": [(lv.code, lv.value) for lv in scales[method.probability_scale].levels],
        "i_levels": [(lv.code, lv.value) for lv in scales[method.impact_scale].levels],
    }


def seed_users() -> None:
    from fengping.org import actions as org_actions
    from fengping.org.demo import load_demo
    from fengping.org.models import Department, Role, User

    load_demo()
    admin = User.objects.get(username="admin")
    city = Department.objects.get(code="SFS")
    office = Department.objects.get(code="SFS-WWB")
    for n in range(1, N_CLIENT_USERS + 1):
        username = f"bench{n:02d}"
        if User.objects.filter(username=username).exists():
            continue
        # Half 系统管理员 of the city, half 督查 of the 维稳办: both see every matter, and
        # neither is a superuser, so every list goes through the scoping joins.
        role, dept = (Role.ADMIN, city) if n % 2 else (Role.SUPERVISOR, office)
        org_actions.do_create_user(
            admin,
            username=username,
            real_name=f"压测用户{n:02d}",
            department=dept,
            role=role,
            password=BENCH_PASSWORD,
        )


def seed_matters(target: int) -> None:
    from django.db import transaction

    from fengping.matters.models import Matter
    from fengping.org.models import Department, User

    have = Matter.objects.count()
    if have >= target:
        return
    handler = User.objects.get(username="chenjing")
    depts = list(
        Department.objects.filter(
            code__in=["SFS-RSJ-YL", "SFS-RSJ-JY", "SFS-ZJJ-ZS", "SFS-THZ", "SFS-RSJ"]
        ).order_by("code")
    )
    batch_size = 5000
    for start in range(have - have % batch_size, target, batch_size):
        rng = random.Random(f"2026-matters-{start}")
        rows = []
        for i in range(max(start, have), min(start + batch_size, target)):
            topic, category = rng.choice(TOPICS)
            dept = depts[i % len(depts)]
            rows.append(
                Matter(
                    title=f"{rng.choice(PLACES)}{topic}{rng.choice(SUFFIX)}（{i:06d}）",
                    description=f"关于{topic}的重大事项，涉及群众切身利益。",
                    scheme_key="ssra-town",
                    category_code=category,
                    category_label=topic,
                    department=dept,
                    lead_department=dept,
                    year=2020 + rng.randrange(7),
                    status=rng.choice(STATUSES),
                    created_by=handler,
                )
            )
        with transaction.atomic():
            Matter.objects.bulk_create(rows)


def seed_hot_matter() -> Any:
    """The matter everyone looks at, registered and assessed up to the consultation step
    through the action functions, with a published questionnaire."""
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from fengping.assessments import actions as a_actions
    from fengping.assessments.models import MemberKind
    from fengping.matters import actions as m_actions
    from fengping.matters.models import Matter
    from fengping.opinions import actions as o_actions
    from fengping.opinions.models import QuestionKind, Questionnaire
    from fengping.org.models import Department, User

    qn = Questionnaire.objects.filter(title=HOT_QUESTIONNAIRE).first()
    if qn is not None and qn.status == "published":
        return qn
    handler = User.objects.get(username="chenjing")
    assessor = User.objects.get(username="lihua")
    rsj = Department.objects.get(code="SFS-RSJ-YL")
    matter = Matter.objects.filter(title=HOT_TITLE).first()
    if matter is None:
        matter = m_actions.do_register_matter(
            handler,
            title=HOT_TITLE,
            scheme_key="ssra-town",
            category_code="scope_livelihood_policy",
            department=rsj,
            description="城区 1990 年前建成的多层住宅加装电梯，并在小区内配建停车位。",
            deciding_authority="市人民政府常务会议",
        )
        matter = m_actions.do_file_plan(
            handler,
            matter,
            office=Department.objects.get(code="SFS-WWB"),
            filed_on=timezone.localdate(),
        )
    a = matter.assessments.first()
    if a is None:
        a = a_actions.do_start_assessment(handler, matter)
        a = a_actions.do_complete_step(handler, a, a.current_step)
        a = a_actions.do_save_plan(
            handler,
            a,
            version=None,
            lead_department=rsj,
            assisting_departments=[],
            plan_content="评估组负责收集资料、征求意见、分析风险因素并形成评估报告。",
            plan_methods="问卷调查、座谈会、听证会、走访群众",
            schedule_start=None,
            schedule_end=None,
        )
        for user, duty in ((handler, "组长"), (assessor, "成员")):
            a_actions.do_add_member(
                handler, a, kind=MemberKind.STAFF, name="", user=user, duty=duty
            )
        a_actions.do_add_member(
            handler, a, kind=MemberKind.EXPERT, name="王教授", organisation="市社科院"
        )
        a_actions.do_add_member(
            handler, a, kind=MemberKind.PUBLIC, name="李代表", organisation="社区居民"
        )
        a_actions.do_archive_document(
            handler, a, SimpleUploadedFile("方案.txt", "评估工作方案".encode()), title="评估方案"
        )
        a = a_actions.do_complete_step(handler, a, "plan")
    if qn is None:
        qn = o_actions.do_create_questionnaire(
            handler,
            matter,
            title=HOT_QUESTIONNAIRE,
            intro="请根据您的真实想法填写，问卷不记名。",
            groups=["直接利益群体", "周边群众", "企业", "专家", "其他"],
            closes_at=timezone.now() + dt.timedelta(days=365),
        )
        o_actions.do_add_question(
            handler,
            qn,
            kind=QuestionKind.SINGLE,
            text="您居住在几楼？",
            choices=["一楼", "二至三楼", "四至五楼", "六楼及以上", "不住本小区"],
        )
        o_actions.do_add_question(
            handler,
            qn,
            kind=QuestionKind.MULTIPLE,
            text="您最关心哪些方面？（可多选）",
            choices=["费用分摊", "采光通风", "施工安全", "停车位", "后期维护", "补贴政策"],
            required=False,
        )
        o_actions.do_add_question(
            handler, qn, kind=QuestionKind.SCALE, text="您对目前方案的满意程度（1–5分）"
        )
        o_actions.do_add_question(
            handler, qn, kind=QuestionKind.TEXT, text="您的意见和建议", required=False
        )
    if qn.is_draft:
        qn = o_actions.do_publish(handler, qn)
    for channel, content, is_query in COMMENTS:
        if not matter.opinion_comments.filter(content=content).exists():
            o_actions.do_add_comment(
                handler,
                matter,
                channel=channel,
                content=content,
                author_group="直接利益群体",
                is_query=is_query,
            )
    return qn


def seed_responses(qn: Any, target: int) -> None:
    """Responses written through `_save_responses` in batches of 1,000, as the paper
    import commits them (so whatever it keeps beside the rows stays consistent)."""
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from fengping.opinions.actions import CleanAnswer, _save_responses
    from fengping.opinions.models import Channel, QuestionKind, Response
    from fengping.org.models import User

    have = qn.responses.count()
    if have >= target:
        return
    entered_by = User.objects.get(username="chenjing")
    questions = list(qn.questions.all())
    by_kind = {(q.kind, q.is_stance): q for q in questions}  # stance, floor, multiple, scale, text
    stance_q = by_kind[(QuestionKind.SINGLE, True)]
    floor_q = by_kind[(QuestionKind.SINGLE, False)]
    multi_q = by_kind[(QuestionKind.MULTIPLE, False)]
    scale_q = by_kind[(QuestionKind.SCALE, False)]
    text_q = by_kind[(QuestionKind.TEXT, False)]
    groups = list(qn.groups)
    start_time = timezone.now() - dt.timedelta(days=30)
    batch_size = 1000
    for start in range(have - have % batch_size, target, batch_size):
        rng = random.Random(f"2026-responses-{start}")
        rows = []
        for i in range(max(start, have), min(start + batch_size, target)):
            # Stances: about 55 % for, 15 % neutral, 30 % against (indexes of the 5 choices).
            choice = rng.choices(range(5), weights=[35, 20, 15, 12, 18])[0]
            floor = rng.choices(range(5), weights=[18, 30, 30, 17, 5])[0]
            answers = [
                CleanAnswer(stance_q, [choice]),
                CleanAnswer(floor_q, [floor]),
                CleanAnswer(scale_q, scale=max(1, min(5, 5 - choice + rng.choice([-1, 0, 0, 1])))),
            ]
            if rng.random() < 0.7:
                answers.append(
                    CleanAnswer(multi_q, sorted(rng.sample(range(6), rng.randint(1, 3))))
                )
            if rng.random() < 0.2:
                text = rng.choice(OPENINGS) + rng.choice(CONCERNS)
                if rng.random() < 0.4:
                    text += "，" + rng.choice(CONCERNS)
                answers.append(CleanAnswer(text_q, text=text + rng.choice(ENDINGS)))
            paper = i % 7 == 0
            rows.append(
                (
                    Response(
                        questionnaire=qn,
                        group=groups[0] if floor < 4 and rng.random() < 0.8 else rng.choice(groups),
                        channel=Channel.PAPER if paper else Channel.ONLINE,
                        submitted_at=start_time + dt.timedelta(seconds=i * 12),
                        browser_key=""
                        if paper
                        else hashlib.sha256(f"load-{i}".encode()).hexdigest(),
                        stance=str(stance_q.stances[choice]),
                        entered_by=entered_by if paper else None,
                    ),
                    answers,
                )
            )
        with transaction.atomic():
            _save_responses(qn, rows)
        if (start // batch_size) % 20 == 19:
            print(f"  … {min(start + batch_size, target):,} responses", flush=True)


def seed_assessments(target: int, exclude_matter: int) -> None:
    """Assessments bulk-created on ordinary matters, each with its step records (the
    steps before the analysis done, the analysis open), two assessors on the team and
    10 risk factors scored by both, aggregated as the actions aggregate them."""
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from fengping.assessments.models import (
        Assessment,
        FactorScore,
        MemberKind,
        RiskFactor,
        StepRecord,
        StepState,
        TeamMember,
    )
    from fengping.matters.models import Matter
    from fengping.org.models import User

    have = Assessment.objects.count()
    if have >= target:
        return
    bits = _scheme_bits("ssra-town")
    handler = User.objects.get(username="chenjing")
    assessor = User.objects.get(username="lihua")
    # Every 19th matter without an assessment yet, in id order: spread over the table.
    taken = set(Assessment.objects.values_list("matter_id", flat=True))
    every = list(Matter.objects.order_by("id").values_list("id", flat=True))[::19]
    candidates = [pk for pk in every if pk not in taken and pk != exclude_matter][: target - have]
    matters = Matter.objects.in_bulk(candidates)
    now = timezone.now()
    chunk = 250
    for c in range(0, len(candidates), chunk):
        rng = random.Random(f"2026-assessments-{have + c}")
        ids = candidates[c : c + chunk]
        with transaction.atomic():
            runs = Assessment.objects.bulk_create(
                [
                    Assessment(
                        matter_id=pk,
                        scheme_key=bits["scheme"].key,
                        scheme_version=bits["scheme"].version,
                        scheme_hash=bits["scheme"].content_hash,
                        scheme_snapshot=bits["snapshot"],
                        status="in_progress",
                        current_step=bits["current"],
                        lead_department_id=matters[pk].lead_department_id,
                        plan_content="评估组负责收集资料、征求意见、分析风险因素。",
                        plan_methods="问卷调查、座谈会",
                        started_by=handler,
                    )
                    for pk in ids
                ]
            )
            steps, team, factors = [], [], []
            for a in runs:
                for n, code in enumerate(bits["done"]):
                    steps.append(
                        StepRecord(
                            assessment=a,
                            step_code=code,
                            state=StepState.DONE,
                            done_by=handler,
                            done_at=now - dt.timedelta(days=10 - n),
                        )
                    )
                steps.append(StepRecord(assessment=a, step_code=bits["current"]))
                team += [
                    TeamMember(assessment=a, kind=MemberKind.STAFF, user=handler, name="陈静"),
                    TeamMember(assessment=a, kind=MemberKind.STAFF, user=assessor, name="李华"),
                ]
                for f in range(N_FACTORS):
                    picks = [
                        (rng.choice(bits["p_levels"]), rng.choice(bits["i_levels"]))
                        for _user in (handler, assessor)
                    ]
                    factor = RiskFactor(
                        assessment=a,
                        dimension=bits["dimensions"][f % len(bits["dimensions"])],
                        title=FACTOR_TITLES[f],
                        description=f"{FACTOR_TITLES[f]}，可能引发群众不满。",
                        people_involved=rng.randint(5, 2000),
                        scope="本小区及周边社区",
                        manner=rng.choice(["集体上访", "网络发帖", "信访投诉", "聚集"]),
                        intensity=rng.choice(["一般", "较激烈", "激烈"]),
                        negative_impact="影响社会稳定和政府公信力",
                        weight=1.0,
                        created_by=handler,
                        **aggregate_of(picks),
                    )
                    factors.append((factor, picks))
            StepRecord.objects.bulk_create(steps)
            TeamMember.objects.bulk_create(team)
            RiskFactor.objects.bulk_create([f for f, _p in factors])
            FactorScore.objects.bulk_create(
                FactorScore(
                    factor=factor,
                    assessor=user,
                    probability_level=pc,
                    impact_level=ic,
                    probability=pv,
                    impact=iv,
                )
                for factor, picks in factors
                for user, ((pc, pv), (ic, iv)) in zip((handler, assessor), picks, strict=True)
            )
            Matter.objects.filter(pk__in=ids).update(status="assessing")


def aggregate_of(picks: list[tuple[tuple[str, float], tuple[str, float]]]) -> dict[str, Any]:
    """The factor's aggregate as `assessments.actions._reaggregate` keeps it for the
    scheme's default (mean): probability, impact, score, spread, residual = initial."""
    ps = [pv for (_pc, pv), _i in picks]
    is_ = [iv for _p, (_ic, iv) in picks]
    pis = [p * i for p, i in zip(ps, is_, strict=True)]
    p, i = statistics.mean(ps), statistics.mean(is_)
    score = round(p * i, 6)

    def spread(xs: list[float]) -> list[float]:
        return [round(min(xs), 4), round(max(xs), 4), round(statistics.pstdev(xs), 4)]

    return {
        "probability": p,
        "impact": i,
        "score": score,
        "spread": {
            "method": "mean",
            "n": len(picks),
            "probability": [min(ps), max(ps), round(statistics.pstdev(ps), 4)],
            "impact": [min(is_), max(is_), round(statistics.pstdev(is_), 4)],
            "score": spread(pis),
        },
        "residual_probability": p,
        "residual_impact": i,
        "residual_score": score,
    }


def refresh_statistics() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
        else:
            cursor.execute("PRAGMA optimize")


# ---- derived data ------------------------------------------------------------------
# What the job worker derives from the rows as they arrive, done at once here after the
# bulk load so the load measures reading: the keywords of the free-text opinions.


def prepare_derived_data() -> None:
    from fengping.opinions.keyword_index import extract_pending_all

    started = time.perf_counter()
    result = extract_pending_all()
    print(
        f"derived data: extract_pending_all() → {result!r} in {time.perf_counter() - started:.1f} s"
    )


# ---- end of derived data -------------------------------------------------------------


def seed() -> None:
    from fengping.opinions.models import Questionnaire

    steps: list[tuple[str, Callable[[], Any]]] = [
        ("organisation and 20 bench users", seed_users),
        (f"{N_MATTERS:,} matters", lambda: seed_matters(N_MATTERS)),
        ("the hot matter, its assessment and questionnaire", seed_hot_matter),
        (
            f"{N_RESPONSES:,} responses",
            lambda: seed_responses(Questionnaire.objects.get(title=HOT_QUESTIONNAIRE), N_RESPONSES),
        ),
        (
            f"{N_ASSESSMENTS:,} assessments × {N_FACTORS} factors",
            lambda: seed_assessments(
                N_ASSESSMENTS,
                Questionnaire.objects.get(title=HOT_QUESTIONNAIRE).matter_id,
            ),
        ),
        ("planner statistics", refresh_statistics),
        ("derived data", prepare_derived_data),
    ]
    total = time.perf_counter()
    for label, step in steps:
        started = time.perf_counter()
        step()
        print(f"seed: {label:<52} {time.perf_counter() - started:7.1f} s", flush=True)
    print(f"seed: total {time.perf_counter() - total:.1f} s", flush=True)


def row_counts() -> dict[str, int]:
    from fengping.assessments.models import Assessment, FactorScore, RiskFactor, StepRecord
    from fengping.matters.models import Matter
    from fengping.opinions.models import Answer, AnswerChoice, Comment, Response

    return {
        m._meta.label: m.objects.count()
        for m in (
            Matter,
            Assessment,
            StepRecord,
            RiskFactor,
            FactorScore,
            Response,
            Answer,
            AnswerChoice,
            Comment,
        )
    }


def build_mix() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The 14 URLs of the load, and the extra URLs of the solo pass: (name, path)."""
    from fengping.assessments.models import Assessment
    from fengping.core import listing
    from fengping.matters.models import Matter
    from fengping.opinions.models import Questionnaire

    qn = Questionnaire.objects.select_related("matter").get(title=HOT_QUESTIONNAIRE)
    hot = qn.matter
    hot_assessment = hot.assessments.order_by("-started_at").first()
    # An ordinary assessment: at the analysis step with its 10 scored factors.
    typical = Assessment.objects.exclude(matter=hot).order_by("id")[N_ASSESSMENTS // 2]
    ids = Matter.objects.order_by("-id").values_list("id", flat=True)
    middle = ids[Matter.objects.count() // 2]
    deep = listing._cursor(Matter(id=middle), ("-id",))
    mix = [
        ("matters p1", "/matters/"),
        ("matters deep (after=)", f"/matters/?after={deep}"),
        ("matters filtered", "/matters/?status=assessing&year=2024"),
        ("matters search q=", "/matters/?q=加装电梯"),
        ("matter page", f"/matters/{hot.pk}/"),
        ("assessment page", f"/assessments/{typical.pk}/"),
        ("questionnaire stats", f"/opinions/questionnaires/{qn.pk}/"),
        ("opinion summary page", f"/matters/{hot.pk}/opinions/"),
        ("home /", "/"),
        ("assessments list", "/assessments/"),
        ("api matters", "/api/matters"),
        ("api assessments", "/api/assessments"),
        ("api opinion-summary", f"/api/matters/{hot.pk}/opinion-summary"),
        ("api questionnaires", f"/api/matters/{hot.pk}/questionnaires"),
    ]
    # The hot matter's own assessment opens on its current step, the consultation, whose
    # tab shows the opinion summary: measured alone, not in the load.
    extra = [("assessment page (hot)", f"/assessments/{hot_assessment.pk}/")]
    return mix, extra


# ---------------------------------------------------------------- processes


def proc_stat(pid: int) -> tuple[str, int, float] | None:
    """(comm, ppid, CPU seconds: utime+stime+cutime+cstime) of a process, or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return comm, int(fields[1]), ticks / TICK


def cpu_of(pids: list[int]) -> float:
    return sum(s[2] for pid in pids if (s := proc_stat(pid)) is not None)


def rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) / 1024 if match else float("nan")


def all_pids() -> Iterator[int]:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            yield int(entry)


def children(pid: int) -> list[int]:
    return [p for p in all_pids() if (s := proc_stat(p)) is not None and s[1] == pid]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def postgres_pids() -> list[int]:
    return [p for p in all_pids() if (s := proc_stat(p)) is not None and s[0] == "postgres"]


def backend_cpu(dbname: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to `dbname` (its process title
    names the database: `postgres: 15/main: postgres fengping_load 127.0.0.1(…) idle`).
    The servers keep their connections (CONN_MAX_AGE), so the backends live through a run."""
    out = {}
    for pid in postgres_pids():
        if f" {dbname} " in cmdline(pid) and (s := proc_stat(pid)) is not None:
            out[pid] = s[2]
    return out


def free_port() -> int:
    for port in range(8100, 8200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port in 8100–8199")


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    workers: list[int] = field(default_factory=list)
    job_worker: int | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def find_processes(self, expected: int) -> None:
        """The gunicorn master is the serve process itself; its children are the web
        workers (forked: same command line) and the job worker (`… worker`)."""
        deadline = time.time() + 60
        while time.time() < deadline:
            kids = children(self.proc.pid)
            self.job_worker = next((p for p in kids if "fengping.cli worker" in cmdline(p)), None)
            self.workers = sorted(p for p in kids if p != self.job_worker)
            if len(self.workers) >= expected and self.job_worker:
                return
            time.sleep(0.5)

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)  # the group we started: server + job worker
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def start_server(workers: int, threads: int = 4) -> Server:
    import requests

    port = free_port()
    log = Path(os.environ["FENGPING_DATA_DIR"]) / f"server-{port}.log"
    cmd = [
        str(REPO / ".venv" / "bin" / "fengping"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603
            cmd, stdout=out, stderr=subprocess.STDOUT, env=os.environ.copy(), start_new_session=True
        )
    server = Server(proc, port, log)
    started = time.perf_counter()
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"fengping serve exited ({proc.returncode}); see {log}")
        try:
            if requests.get(f"{server.base}/api/health", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            pass
        if time.perf_counter() - started > 300:
            server.stop()
            raise SystemExit(f"fengping serve did not answer within 300 s; see {log}")
        time.sleep(0.5)
    server.find_processes(workers)
    print(
        f"server: {server.base} (pid {proc.pid}, workers {server.workers}, job worker"
        f" {server.job_worker}) ready in {time.perf_counter() - started:.1f} s; log {log}"
    )
    return server


# ---------------------------------------------------------------- clients


def login(base: str, username: str) -> Any:
    """A session signed in through the login form, as a browser does."""
    import requests

    s = requests.Session()
    page = s.get(f"{base}/accounts/login/", timeout=30)
    page.raise_for_status()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if token is None or "csrftoken" not in s.cookies:
        raise RuntimeError("login page without a CSRF token or cookie")
    r = s.post(
        f"{base}/accounts/login/",
        data={
            "username": username,
            "password": BENCH_PASSWORD,
            "csrfmiddlewaretoken": token.group(1),
        },
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=60,
    )
    if r.status_code != 302 or "sessionid" not in s.cookies:
        raise RuntimeError(f"login of {username} failed: HTTP {r.status_code}")
    return s


@dataclass
class Sample:
    name: str
    status: str  # the HTTP status, or the exception's name (ReadTimeout: the client gave up)
    seconds: float


def pct(values: list[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def solo_pass(base: str, mix: list[tuple[str, str]], repeat: int, timeout: float) -> None:
    print(f"\nSolo pass: one client, each URL {repeat}× (stops repeating after 30 s on one URL)")
    print(f"  {'url':<24} {'n':>3} {'median ms':>10} {'min ms':>9} {'max ms':>9}  status")
    s = login(base, "bench01")
    for name, path in mix:
        times, statuses, spent = [], set(), 0.0
        for _ in range(repeat):
            started = time.perf_counter()
            try:
                statuses.add(s.get(base + path, timeout=timeout, allow_redirects=False).status_code)
            except Exception as exc:  # noqa: BLE001 — a failed request is a figure here
                statuses.add(type(exc).__name__)
            times.append(time.perf_counter() - started)
            spent += times[-1]
            if spent > 30:
                break
        flag = "" if statistics.median(times) <= 0.1 else "  > 100 ms"
        print(
            f"  {name:<24} {len(times):>3} {statistics.median(times) * 1000:>10.1f}"
            f" {min(times) * 1000:>9.1f} {max(times) * 1000:>9.1f}  {sorted(map(str, statuses))}{flag}"
        )


def run_load(
    server: Server,
    mix: list[tuple[str, str]],
    clients: int,
    duration: float,
    timeout: float,
) -> tuple[list[Sample], float]:
    import requests

    sessions = []
    started = time.perf_counter()
    for n in range(clients):
        sessions.append(login(server.base, f"bench{n % N_CLIENT_USERS + 1:02d}"))
    print(
        f"\n{clients} clients signed in through the login form in {time.perf_counter() - started:.1f} s"
    )
    samples: list[Sample] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    deadline = [0.0]
    retried = [0]

    def client(k: int) -> None:
        s, own, i = sessions[k], [], k
        barrier.wait()
        while time.perf_counter() < deadline[0]:
            name, path = mix[i % len(mix)]
            i += 1
            t0 = time.perf_counter()
            status = ""
            for attempt in (1, 2):
                try:
                    status = str(
                        s.get(
                            server.base + path, timeout=timeout, allow_redirects=False
                        ).status_code
                    )
                    break
                except requests.ConnectionError as exc:
                    # A kept-alive connection closed under the request: a browser sends the
                    # GET again on a new one. Counted and printed; a second failure is an error.
                    status = type(exc).__name__
                    if attempt == 1:
                        with lock:
                            retried[0] += 1
                except Exception as exc:  # noqa: BLE001 — counted as an error
                    status = type(exc).__name__
                    break
            own.append(Sample(name, status, time.perf_counter() - t0))
        with lock:
            samples.extend(own)

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + duration
    t_start = time.perf_counter()
    barrier.wait()
    for t in threads:
        t.join()
    if retried[0]:
        print(f"  requests sent again after a connection reset: {retried[0]}")
    return samples, time.perf_counter() - t_start


def rss_line(server: Server) -> str:
    return ", ".join(f"{pid}: {rss_mb(pid):.0f} MB" for pid in server.workers)


def report(samples: list[Sample], mix: list[tuple[str, str]], elapsed: float) -> None:
    by: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by[s.name].append(s)
    print(
        f"\n  {'url':<24} {'count':>6} {'median ms':>10} {'p95 ms':>9} {'p99 ms':>9} {'errors':>7}"
    )
    for name, _path in mix:
        rows = by.get(name, [])
        if not rows:
            print(f"  {name:<24} {0:>6}")
            continue
        ms = sorted(r.seconds * 1000 for r in rows)
        errors = [r.status for r in rows if r.status != "200"]
        detail = (
            f"  {dict(sorted((str(e), errors.count(e)) for e in set(errors)))}" if errors else ""
        )
        print(
            f"  {name:<24} {len(rows):>6} {statistics.median(ms):>10.1f} {pct(ms, 95):>9.1f}"
            f" {pct(ms, 99):>9.1f} {len(errors):>7}{detail}"
        )
    every = sorted(s.seconds * 1000 for s in samples)
    failed = sum(1 for s in samples if s.status != "200")
    if every:
        print(
            f"  {'all':<24} {len(samples):>6} {statistics.median(every):>10.1f}"
            f" {pct(every, 95):>9.1f} {pct(every, 99):>9.1f} {failed:>7}"
        )
    print(f"  {len(samples)} requests in {elapsed:.1f} s → {len(samples) / elapsed:.1f} requests/s")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    configure(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"data dir: {os.environ['FENGPING_DATA_DIR']}")
    if not args.no_seed:
        call_command("migrate", interactive=False, verbosity=0)
        seed()
    counts = row_counts()
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    if args.seed_only:
        return
    mix, extra = build_mix()
    leave_out = [x.strip() for x in args.exclude.split(",") if x.strip()]
    mix = [(n, p) for n, p in mix if not any(x in n for x in leave_out)]
    print("mix:")
    for name, path in mix:
        print(f"  {name:<24} {path}")
    connections.close_all()

    def interrupted(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # stop the server in `finally`, as on Ctrl-C

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)  # also when started with SIGINT ignored (`&`)
    server = start_server(args.workers)
    sampler_stop = threading.Event()
    try:
        if not args.no_solo:
            solo_pass(server.base, mix + extra, args.solo_repeat, args.timeout)
        server.find_processes(args.workers)
        load_before = os.getloadavg()
        rss_before = rss_line(server)
        web = [server.proc.pid, *server.workers]
        job = [server.job_worker] if server.job_worker else []
        pg = connection.vendor == "postgresql"
        dbname = connection.settings_dict["NAME"]
        cpu_web, cpu_job = cpu_of(web), cpu_of(job)
        cpu_db = cpu_of(postgres_pids()) if pg else 0.0
        backends = backend_cpu(dbname) if pg else {}
        # Connections are recycled after CONN_MAX_AGE (60 s): a backend that exits takes
        # its CPU time with it, so the backends are sampled twice a second.
        seen: dict[int, float] = dict(backends)

        def sample_backends() -> None:
            while not sampler_stop.wait(0.5):
                seen.update(backend_cpu(dbname))

        if pg:
            threading.Thread(target=sample_backends, daemon=True).start()
        self_before = sum(os.times()[:2])

        def sample_rss() -> None:
            minute = 0
            while not sampler_stop.wait(60):
                minute += 1
                print(f"  RSS at {minute} min: {rss_line(server)}", flush=True)

        if args.duration >= 120:
            threading.Thread(target=sample_rss, daemon=True).start()
        print(f"\nLoad: {args.clients} clients × {args.duration:.0f} s, {args.workers} workers")
        samples, elapsed = run_load(server, mix, args.clients, args.duration, args.timeout)
        sampler_stop.set()
        cpu_web = cpu_of(web) - cpu_web
        cpu_job = cpu_of(job) - cpu_job
        cpu_db = cpu_of(postgres_pids()) - cpu_db if pg else 0.0
        seen.update(backend_cpu(dbname) if pg else {})
        cpu_own_db = sum(c - backends.get(p, 0.0) for p, c in seen.items())
        cpu_self = sum(os.times()[:2]) - self_before
        load_after = os.getloadavg()
        report(samples, mix, elapsed)
        print(
            f"  (requests start for {args.duration:.0f} s; the last in-flight ones ended"
            f" {max(elapsed - args.duration, 0):.1f} s later — all counted)"
        )
        n = max(len(samples), 1)
        print(
            f"\nCPU per request: web workers {cpu_web / n * 1000:.1f} ms"
            f" ({cpu_web:.1f} s over {elapsed:.0f} s)"
        )
        print(f"                 job worker  {cpu_job / n * 1000:.1f} ms ({cpu_job:.1f} s)")
        if pg:
            print(
                f"                 database    {cpu_own_db / n * 1000:.1f} ms ({cpu_own_db:.1f} s,"
                f" {len(seen)} backends connected to {dbname}, sampled every 0.5 s)"
            )
            print(
                f"                 all postgres processes of the machine {cpu_db / n * 1000:.1f} ms"
                f" ({cpu_db:.1f} s: also other databases' clients, autovacuum, WAL writer)"
            )
        else:
            print("                 database    inside the web workers (SQLite)")
        print(f"                 load generator (this process) {cpu_self:.1f} s")
        now_workers = sorted(p for p in children(server.proc.pid) if p != server.job_worker)
        if now_workers != server.workers:
            print(f"  note: gunicorn workers changed {server.workers} → {now_workers} (restarted)")
        print(f"worker RSS before: {rss_before}")
        print(f"worker RSS after:  {rss_line(server)}")
        print(
            "load average before: {:.2f} {:.2f} {:.2f}; after: {:.2f} {:.2f} {:.2f}".format(
                *load_before, *load_after
            )
        )
    finally:
        sampler_stop.set()
        server.stop()
        print("server stopped")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        raise SystemExit("interrupted") from None
