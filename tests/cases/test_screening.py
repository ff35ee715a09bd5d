"""The monthly screening (篇4 四1): criteria compiled to one set-based query agree with the
row-by-row reference on random cases and random criteria (every op, keywords, petitions,
all/any/not); levels, hard triggers and flags by the scheme; changes since last month;
re-running a month; the 逐案分析研判 decisions; who may run and decide; the tick job; the
CLI; the pages and the API."""

from __future__ import annotations

import csv
import datetime as dt
import random
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from fengping.audit.models import Event
from fengping.cases import screening as sc
from fengping.cases.actions import screening as actions
from fengping.cases.actions.assessments import do_start_assessment
from fengping.cases.models import (
    AssessmentStatus,
    Case,
    CaseAssessment,
    Change,
    OrganProfile,
    Petition,
    ScreeningResult,
    ScreeningRun,
    TargetDecision,
)
from fengping.core import tick
from fengping.core.errors import ActionError
from fengping.schemebook import registry
from fengping.schemes.case_rules import (
    CASE_FIELDS,
    OPS_BY_TYPE,
    Criterion,
    check_condition,
    field_choices,
    keyword_vocabulary,
)

from .builders import build_courts, make_case

THIS_MONTH = timezone.localdate().replace(day=1)
LAST_MONTH = (THIS_MONTH - dt.timedelta(days=1)).replace(day=1)


@pytest.fixture
def courts(org):
    return build_courts(org)


def scheme_with(criteria: list[dict[str, Any]]):
    """The builtin case scheme with other criteria."""
    base = registry.get("case-risk")
    section = base.cases
    screening = section.screening.model_copy(
        update={"criteria": [Criterion(**c) for c in criteria]}
    )
    return base.model_copy(update={"cases": section.model_copy(update={"screening": screening})})


# ---------------------------------------------------------------------------------------
# Compiled == reference, on random data
# ---------------------------------------------------------------------------------------

WORDS = ["讨薪", "拆迁", "自杀", "媒体", "群体", "APP", "app", "征地", "欠薪", " ", "\u3000"]
FILLER = ["原告", "被告", "合同纠纷", "借款", "工程款", "。", "，", "\n", "\t", "x"]


def random_condition(rng: random.Random, choices: dict[str, list[str]], depth: int = 0) -> dict:
    kind = rng.random()
    if depth < 2 and kind < 0.18:
        name = rng.choice(["all", "any"])
        return {name: [random_condition(rng, choices, depth + 1) for _ in range(rng.randint(1, 3))]}
    if depth < 2 and kind < 0.25:
        return {"not": random_condition(rng, choices, depth + 1)}
    if kind < 0.35:
        cond: dict[str, Any] = {"keywords": rng.sample(WORDS[:9], rng.randint(1, 3))}
        if rng.random() < 0.3:
            cond["field"] = rng.choice(["title", "brief_facts"])
        return cond
    if kind < 0.45:
        spec = {"within_days": rng.choice([1, 30, 180, 365]), "at_least": rng.randint(1, 3)}
        if rng.random() < 0.5:
            spec["min_persons"] = rng.randint(1, 6)
        return {"petitions": spec}
    field = rng.choice(list(CASE_FIELDS))
    ftype = CASE_FIELDS[field][0]
    op = rng.choice(OPS_BY_TYPE[ftype])
    cond = {"field": field, "op": op}
    if op in ("is_true", "is_false", "empty", "not_empty", "blank", "not_blank"):
        return cond
    if ftype in ("int", "number"):
        pick = (
            (lambda: rng.choice([0, 1, 5, 10, 9.5, 100000, 1000000, 999999.99]))
            if ftype == "number"
            else (lambda: rng.choice([0, 1, 2, 5, 9.5, 10, 11]))
        )
        if op == "between":
            a, b = sorted([pick(), pick()])
            cond["value"] = [a, b]
        else:
            cond["value"] = pick()
    elif ftype == "date":
        cond["value"] = rng.choice([0, 1, 30, 365, 400])
    elif ftype in ("choice", "set"):
        codes = choices[field]
        if op in ("eq", "ne"):
            cond["value"] = rng.choice(codes)
        else:
            cond["value"] = rng.sample(codes, rng.randint(1, min(3, len(codes))))
    return cond


def random_case(rng: random.Random, organ, n: int, choices, today: dt.date) -> Case:
    def maybe_date():
        return None if rng.random() < 0.15 else today - dt.timedelta(days=rng.randint(-3, 800))

    def text():
        return "".join(rng.choice(WORDS + FILLER * 2) for _ in range(rng.randint(0, 6)))

    case = make_case(
        organ,
        f"（2026）随{n}号",
        title=text() or " ",
        category=rng.choice(choices["category"]),
        stage=rng.choice(choices["stage"]),
        amount=None
        if rng.random() < 0.2
        else rng.choice([Decimal("0"), Decimal("9.50"), Decimal("999999.99"), Decimal("1000000")]),
        party_count=rng.randint(0, 12),
        involved_count=rng.choice([0, 9, 10, 11]),
        vulnerable_groups=rng.sample(choices["vulnerable_groups"], rng.randint(0, 2)),
        coercive_measures=rng.sample(choices["coercive_measures"], rng.randint(0, 2)),
        public_attention=rng.random() < 0.3,
        socially_sensitive=rng.random() < 0.3,
        officer_misconduct=rng.random() < 0.1,
        major_complex=rng.random() < 0.2,
        accepted_on=maybe_date(),
        stage_since=maybe_date(),
        brief_facts=text(),
    )
    for _ in range(rng.choice([0, 0, 1, 2, 3, 4])):
        Petition.objects.create(
            case=case,
            date=today - dt.timedelta(days=rng.randint(-5, 400)),
            persons=rng.randint(1, 8),
        )
    return case


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_compiled_screening_equals_the_row_by_row_reference(courts, seed):
    rng = random.Random(seed)
    section = registry.get("case-risk").cases
    choices = field_choices(section)
    today = timezone.localdate()
    for n in range(120):
        random_case(rng, courts.fy, n, choices, today)
    make_case(courts.jcy, "（2026）检1号", officer_misconduct=True)  # another organ: not screened
    criteria = []
    for i in range(60):
        when = random_condition(rng, choices)
        assert check_condition(when, "when", choices) == []
        criteria.append(
            {
                "code": f"c{i}",
                "label": f"规则{i}",
                "weight": rng.choice([0, 0.5, 1, 2, 3]),
                "hard_trigger": rng.random() < 0.1,
                "when": when,
            }
        )
    # every op of every field type occurs at least once
    for field, (ftype, _l) in CASE_FIELDS.items():
        for op in OPS_BY_TYPE[ftype]:
            when = random_condition(random.Random(f"{field}{op}"), choices)
            cond = {"field": field, "op": op}
            if op not in ("is_true", "is_false", "empty", "not_empty", "blank", "not_blank"):
                while "field" not in when or when.get("op") != op or when["field"] != field:
                    when = random_condition(rng, choices)
                cond = when
            criteria.append({"code": f"op_{field}_{op}", "label": op, "weight": 1, "when": cond})
    profile = OrganProfile.objects.get(department=courts.fy)
    for start in range(0, len(criteria), 63):
        chunk = criteria[start : start + 63]
        scheme = scheme_with(chunk)
        # The keywords kept at arrival: a third of the cases kept under the run's vocabulary
        # (tested on them), a third under another key with every word claimed (must not be
        # trusted: their text is searched), a third with none kept.
        vocabulary = keyword_vocabulary(chunk)
        for i, case in enumerate(Case.objects.filter(organ=courts.fy).order_by("pk")):
            if i % 3 == 0:
                case.stamp_terms(vocabulary)
            elif i % 3 == 1:
                case.terms_mask = (1 << len(vocabulary)) - 1
                case.terms_key = "stale0000000"
            else:
                case.terms_mask, case.terms_key = 0, ""
            case.save(update_fields=["terms_mask", "terms_key"])
        run = sc.screen(profile, THIS_MONTH, scheme=scheme)
        grading = sc.grading_of(scheme)
        expected = sc.screen_naive(
            run.criteria, grading, run.as_of, Case.objects.filter(organ=courts.fy)
        )
        stored = {
            r.case_id: (r.score, r.fired, r.severity)
            for r in ScreeningResult.objects.filter(run=run)
        }
        assert set(stored) == set(expected)
        for case_id, (score, fired, severity) in expected.items():
            got = stored[case_id]
            assert got[1] == fired, (
                case_id,
                [c["when"] for i, c in enumerate(chunk) if (got[1] ^ fired) >> i & 1],
            )
            assert got[0] == pytest.approx(score) and got[2] == severity
        assert run.screened == 120
        assert run.flagged == sum(1 for v in expected.values() if v[2] >= grading.flag_at)


# ---------------------------------------------------------------------------------------
# Levels, flags, changes, re-running a month (the builtin scheme)
# ---------------------------------------------------------------------------------------


def fy_profile(courts) -> OrganProfile:
    return OrganProfile.objects.select_related("department").get(department=courts.fy)


def result_of(run, case) -> ScreeningResult | None:
    return ScreeningResult.objects.filter(run=run, case=case).first()


def test_levels_hard_triggers_and_flags_by_the_builtin_scheme(courts):
    fy = courts.fy
    quiet = make_case(fy, "（2026）静1号")
    attention = make_case(fy, "（2026）关1号", public_attention=True)  # 2: 蓝, not flagged
    major = make_case(fy, "（2026）重1号", major_complex=True)  # 3: 黄, flagged
    two = make_case(  # 3 + 3 = 6: 橙
        fy, "（2026）重2号", major_complex=True, socially_sensitive=True
    )
    misconduct = make_case(fy, "（2026）警1号", officer_misconduct=True)  # hard: 红
    threat = make_case(fy, "（2026）威1号", brief_facts="当事人扬言要跳楼")  # hard: 红
    wages = make_case(fy, "（2026）薪1号", brief_facts="十余名农民工讨薪无果")  # 2: 蓝
    make_case(courts.jcy, "（2026）检1号", officer_misconduct=True)
    run = actions.do_run_screening(courts.fy_handler, fy_profile(courts), THIS_MONTH)
    assert run.screened == 7 and run.previous_id is None
    assert result_of(run, quiet) is None
    got = {
        c.number: (r.level, r.flagged, r.score)
        for c in (attention, major, two, misconduct, threat, wages)
        for r in [result_of(run, c)]
    }
    assert got == {
        attention.number: ("blue", False, 2),
        major.number: ("yellow", True, 3),
        two.number: ("orange", True, 6),
        misconduct.number: ("red", True, 3),
        threat.number: ("red", True, 4),
        wages.number: ("blue", False, 2),
    }
    assert run.flagged == 4 and run.new == run.raised == run.lowered == run.cleared == 0
    assert result_of(run, threat).fired_codes() == ["threat_words"]
    # the run keeps what it screened with
    assert run.criteria_version and len(run.criteria) == 16 and run.flag_at == "yellow"
    counts = {c["code"]: (c["fired"], c["flagged"]) for c in sc.criterion_counts(run)}
    assert counts["major_complex"] == (2, 2) and counts["wage_arrears"] == (1, 0)
    # one audit event with the counts
    event = Event.objects.filter(action="cases.screening.run").get()
    assert event.after["screened"] == 7 and event.after["flagged"] == 4


def test_next_month_changes_and_rerunning_a_month(courts):
    fy = courts.fy
    stays = make_case(fy, "（2026）稳1号", major_complex=True)  # 黄 → 黄: same
    rises = make_case(fy, "（2026）升1号", major_complex=True)  # 黄 → 红: raised
    falls = make_case(fy, "（2026）降1号", major_complex=True, socially_sensitive=True)  # 橙 → 黄
    clears = make_case(fy, "（2026）退1号", major_complex=True)  # 黄 → none: cleared
    fades = make_case(fy, "（2026）淡1号", major_complex=True)  # 黄 → 蓝 (a row, unflagged)
    arrives = make_case(fy, "（2026）新1号")  # none → 黄: new
    profile = fy_profile(courts)
    first = actions.do_run_screening(courts.fy_handler, profile, LAST_MONTH)
    assert first.flagged == 5
    Case.objects.filter(pk=rises.pk).update(officer_misconduct=True)
    Case.objects.filter(pk=falls.pk).update(socially_sensitive=False)
    Case.objects.filter(pk=clears.pk).update(major_complex=False)
    Case.objects.filter(pk=fades.pk).update(major_complex=False, public_attention=True)
    Case.objects.filter(pk=arrives.pk).update(socially_sensitive=True)
    run = actions.do_run_screening(courts.fy_handler, profile, THIS_MONTH)
    assert run.previous_id == first.pk
    changes = {
        c.number: (r.change, r.previous_severity) if r else None
        for c in (stays, rises, falls, clears, fades, arrives)
        for r in [result_of(run, c)]
    }
    assert changes == {
        stays.number: (Change.SAME, 2),
        rises.number: (Change.RAISED, 2),
        falls.number: (Change.LOWERED, 3),
        clears.number: None,
        fades.number: (Change.LOWERED, 2),  # unflagged now: counted as cleared, not lowered
        arrives.number: (Change.NEW, None),
    }
    assert (run.flagged, run.new, run.raised, run.lowered, run.cleared) == (4, 1, 1, 1, 2)
    # Re-running the month replaces its results; decisions taken stay.
    result = result_of(run, rises)
    actions.do_decide_target(courts.fy_leader, run, rises, "not_target", "已化解")
    Case.objects.filter(pk=stays.pk).update(major_complex=False)
    again = actions.do_run_screening(courts.fy_handler, profile, THIS_MONTH)
    assert again.pk == run.pk and ScreeningRun.objects.filter(organ=courts.fy).count() == 2
    assert not ScreeningResult.objects.filter(pk=result.pk).exists()
    assert ScreeningResult.objects.filter(run=run, case=rises).count() == 1
    assert result_of(again, stays) is None and again.flagged == 3 and again.cleared == 3
    assert TargetDecision.objects.filter(run=run, case=rises).exists()
    assert rises.pk not in set(sc.work_list(again).values_list("case_id", flat=True))
    assert Event.objects.filter(action="cases.screening.run").order_by("pk").last().after["again"]


def test_who_may_run_a_screening(courts, org):
    profile = fy_profile(courts)
    with pytest.raises(PermissionDenied):
        actions.do_run_screening(courts.jcy_handler, profile, THIS_MONTH)  # another organ
    with pytest.raises(PermissionDenied):
        actions.do_run_screening(courts.fy_reader, profile, THIS_MONTH)  # reads only
    with pytest.raises(PermissionDenied):
        actions.do_run_screening(courts.zfw_supervisor, profile, THIS_MONTH)
    with pytest.raises(ActionError, match="尚未到来"):
        actions.do_run_screening(courts.fy_handler, profile, THIS_MONTH + dt.timedelta(days=40))
    assert not ScreeningRun.objects.exists()
    assert actions.do_run_screening(org.admin, profile, THIS_MONTH).started_by == org.admin
    assert [p.department for p in actions.organs_to_screen(courts.fy_handler)] == [courts.fy]
    # a handler of a unit of the court does not screen the whole court
    assert actions.organs_to_screen(courts.fy_handler2) == []


# ---------------------------------------------------------------------------------------
# 逐案分析研判
# ---------------------------------------------------------------------------------------


def test_decisions_on_the_work_list(courts):
    fy = courts.fy
    a = make_case(fy, "（2026）研1号", major_complex=True, handler=courts.fy_handler)
    b = make_case(fy, "（2026）研2号", officer_misconduct=True, handler=courts.fy_handler)
    c = make_case(fy, "（2026）研3号", socially_sensitive=True, major_complex=True)
    quiet = make_case(fy, "（2026）研4号", public_attention=True)  # fired, not flagged
    none = make_case(fy, "（2026）研5号")
    other = make_case(courts.jcy, "（2026）检2号", officer_misconduct=True)
    open_one = do_start_assessment(courts.fy_handler, c)
    run = actions.do_run_screening(courts.fy_handler, fy_profile(courts), THIS_MONTH)
    assert list(sc.work_list(run).values_list("case_id", flat=True)) == [b.pk, c.pk, a.pk]

    with pytest.raises(ActionError, match="理由"):
        actions.do_decide_target(courts.fy_handler, run, a, "not_target", "  ")
    with pytest.raises(ActionError, match="研判结论"):
        actions.do_decide_target(courts.fy_handler, run, a, "maybe", "x")
    d = actions.do_decide_target(courts.fy_handler, run, a, "not_target", "已调解结案")
    assert d.reason == "已调解结案" and d.assessment is None
    with pytest.raises(ActionError, match="已对该案件作出研判"):
        actions.do_decide_target(courts.fy_leader, run, a, "target")
    # target: an assessment starts for the screening …
    d = actions.do_decide_target(courts.fy_leader, run, b, "target")
    assessment = CaseAssessment.objects.get(case=b)
    assert d.assessment == assessment and assessment.reason == "screening"
    assert assessment.status == AssessmentStatus.OPEN
    # … unless one is open already: it is the one
    before = CaseAssessment.objects.count()
    d = actions.do_decide_target(courts.fy_handler, run, c, "target")
    assert d.assessment == open_one and CaseAssessment.objects.count() == before
    assert not sc.work_list(run).exists()
    # only flagged cases of this run, of the latest run, by the organ's people
    for case in (quiet, none, other):
        with pytest.raises(ActionError, match="不在本次排查"):
            actions.do_decide_target(courts.fy_handler, run, case, "not_target", "x")
    with pytest.raises(PermissionDenied):
        actions.do_decide_target(courts.fy_reader, run, a, "not_target", "x")
    with pytest.raises(PermissionDenied):
        actions.do_decide_target(courts.jcy_handler, run, a, "not_target", "x")
    assert Event.objects.filter(action="cases.screening.decide").count() == 3


def test_only_the_latest_run_is_decided(courts):
    case = make_case(courts.fy, "（2026）旧1号", major_complex=True)
    profile = fy_profile(courts)
    old = actions.do_run_screening(courts.fy_handler, profile, LAST_MONTH)
    actions.do_run_screening(courts.fy_handler, profile, THIS_MONTH)
    with pytest.raises(ActionError, match="最近一次"):
        actions.do_decide_target(courts.fy_handler, old, case, "not_target", "x")


# ---------------------------------------------------------------------------------------
# explain, tick, CLI
# ---------------------------------------------------------------------------------------


def test_explain_says_why(courts):
    case = make_case(
        courts.fy,
        "（2026）释1号",
        brief_facts="工人讨薪，扬言跳楼",
        vulnerable_groups=["elderly"],
        accepted_on=timezone.localdate() - dt.timedelta(days=400),
        stage="trial",
    )
    for days in (10, 100):
        Petition.objects.create(case=case, date=timezone.localdate() - dt.timedelta(days=days))
    run = actions.do_run_screening(courts.fy_handler, fy_profile(courts), THIS_MONTH)
    fired = {e["code"]: e["reasons"] for e in sc.explain(case, run) if e["fired"]}
    assert set(fired) == {
        "wage_arrears",
        "threat_words",
        "vulnerable",
        "long_pending",
        "repeated_petitions",
    }
    assert set(fired) == set(result_of(run, case).fired_codes())
    assert fired["threat_words"] == ["简要案情含“跳楼”"]
    assert fired["repeated_petitions"] == ["365 天内信访 2 次（须 2 次以上）"]
    assert fired["vulnerable"] == ["弱势群体：elderly"]


def test_tick_screens_every_organ_once_a_month_from_the_day(courts, monkeypatch):
    make_case(courts.fy, "（2026）定1号", major_complex=True)
    job = tick.JOBS["cases_monthly_screening"]
    first = timezone.localdate().replace(day=1)
    monkeypatch.setattr(timezone, "localdate", lambda *a: first)
    assert "screened 2 organs, flagged 1" in job.run()
    assert ScreeningRun.objects.filter(month=first, started_by=None).count() == 2
    assert "screened 0 organs" in job.run()  # already screened this month
    # a scheme day later in the month waits for it
    ScreeningRun.objects.all().delete()
    section = registry.get("case-risk").cases
    later = section.model_copy(
        update={"screening": section.screening.model_copy(update={"day": 15})}
    )
    scheme = registry.get("case-risk").model_copy(update={"cases": later})
    monkeypatch.setattr(OrganProfile, "scheme", lambda self: scheme)
    assert "screened 0 organs" in job.run()
    monkeypatch.setattr(timezone, "localdate", lambda *a: first.replace(day=15))
    assert "screened 2 organs" in job.run()


def test_cli_prints_counts_and_writes_the_flagged_csv(courts, tmp_path, capsys):
    make_case(courts.fy, "（2026）表1号", title='=HYPERLINK("x")', officer_misconduct=True)
    make_case(courts.fy, "（2026）表2号", public_attention=True)
    out = tmp_path / "flagged.csv"
    args = SimpleNamespace(organ="FY", month="", flagged_csv=str(out), user="fy_handler")
    assert sc.command(args) == 0
    printed = capsys.readouterr().out
    assert "示范市人民法院" in printed and "排查 2 件，列入研判 1 件" in printed
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0] == ["案号", "案件名称", "单位", "得分", "等级", "触发规则"]
    assert rows[1] == [
        "（2026）表1号",
        '\'=HYPERLINK("x")',
        "示范市人民法院",
        "3",
        "红色",
        "政法干警违法违纪",
    ]
    # the scheduled form: no user, every organ
    assert sc.command(SimpleNamespace(organ="", month="", flagged_csv="", user="")) == 0
    assert "示范市人民检察院" in capsys.readouterr().out
    # another organ's user is refused
    from fengping.cases.commands import CommandRefused

    with pytest.raises(CommandRefused):
        sc.command(SimpleNamespace(organ="FY", month="", flagged_csv="", user="jcy_handler"))
    with pytest.raises(CommandRefused):
        sc.command(SimpleNamespace(organ="FY", month="2026-13", flagged_csv="", user=""))


# ---------------------------------------------------------------------------------------
# Pages and API
# ---------------------------------------------------------------------------------------


def many_flagged(courts, n: int) -> None:
    for i in range(n):
        make_case(
            courts.fy,
            f"（2026）量{i}号",
            major_complex=True,
            officer_misconduct=i % 3 == 0,
            public_attention=i % 2 == 0,
        )


def test_pages_of_a_run_and_the_work_list(courts, login, django_assert_max_num_queries):
    many_flagged(courts, 12)
    make_case(courts.fy, "（2026）页1号", public_attention=True)
    client = login(courts.fy_handler)
    page = client.get(reverse("cases:screening_run_now", args=[courts.fy.pk]))
    assert page.status_code == 200 and "确认排查" in page.content.decode()
    response = client.post(
        reverse("cases:screening_run_now", args=[courts.fy.pk]), {"month": f"{THIS_MONTH:%Y-%m}"}
    )
    run = ScreeningRun.objects.get(organ=courts.fy)
    assert response.status_code == 302 and response["Location"].endswith(
        reverse("cases:screening_run", args=[run.pk])
    )
    with django_assert_max_num_queries(16):
        html = client.get(reverse("cases:screening_run", args=[run.pk])).content.decode()
    assert "列入研判数" in html and "无上月排查可比" in html and "政法干警违法违纪" in html
    # filters: level, criterion, flagged
    url = reverse("cases:screening_run", args=[run.pk])
    red = client.get(url, {"level": "red"}).content.decode()
    assert "（2026）量0号" in red and "（2026）量1号" not in red
    blue = client.get(url, {"criterion": "public_attention", "flagged": "0"}).content.decode()
    assert "（2026）页1号" in blue and "（2026）量0号" not in blue
    xlsx = client.get(reverse("cases:screening_run_export", args=[run.pk]))
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd")
    # the work list: constant queries whatever its size
    worklist = reverse("cases:screening_worklist", args=[run.pk])
    with django_assert_max_num_queries(16):
        html = client.get(worklist).content.decode()
    assert "（2026）量0号" in html and "（2026）页1号" not in html and "研判" in html
    many_flagged_more = [
        make_case(courts.fy, f"（2026）加{i}号", major_complex=True) for i in range(30)
    ]
    actions.do_run_screening(courts.fy_handler, fy_profile(courts), THIS_MONTH)
    with django_assert_max_num_queries(16):
        html = client.get(worklist).content.decode()
    assert len(many_flagged_more) == 30
    # deciding from the page
    result = ScreeningResult.objects.filter(run=run, flagged=True).order_by("id").first()
    decide = reverse("cases:screening_decide", args=[result.pk])
    assert "触发依据" in client.get(decide).content.decode()
    response = client.post(decide, {"choice": "not_target", "reason": ""})
    assert response.status_code == 200 and "须说明理由" in response.content.decode()
    response = client.post(decide, {"choice": "not_target", "reason": "已和解"})
    assert response.status_code == 302
    assert TargetDecision.objects.get(run=run, case=result.case).reason == "已和解"
    assert "已对该案件作出研判" in client.get(decide).content.decode()
    # the reader sees, and may not decide or run
    reader = login(courts.fy_reader)
    assert reader.get(worklist).status_code == 200
    assert reader.post(decide, {"choice": "target"}).status_code == 403
    assert (
        reader.post(reverse("cases:screening_run_now", args=[courts.fy.pk]), {}).status_code == 403
    )
    # the case's tab: history with what fired
    tab = login(courts.fy_handler).get(reverse("cases:case_screening", args=[result.case_id]))
    assert tab.status_code == 200 and "已和解" in tab.content.decode()


def test_runs_list_is_scoped(courts, login):
    make_case(courts.fy, "（2026）列1号", major_complex=True)
    make_case(courts.jcy, "（2026）检1号", major_complex=True)
    for profile in OrganProfile.objects.all():
        sc.screen(profile, THIS_MONTH)
    html = login(courts.jcy_handler).get(reverse("cases:screening_runs")).content.decode()
    assert "示范市人民检察院" in html and "示范市人民法院" not in html
    fy_run = ScreeningRun.objects.get(organ=courts.fy)
    assert (
        login(courts.jcy_handler).get(reverse("cases:screening_run", args=[fy_run.pk])).status_code
        == 404
    )


def test_api_runs_results_worklist_and_decisions(courts, api):
    many_flagged(courts, 4)
    make_case(courts.fy, "（2026）接1号", public_attention=True)
    handler = api(courts.fy_handler)
    response = handler("post", f"/cases/screening/organs/{courts.fy.pk}/runs", {"month": ""})
    assert response.status_code == 201, response.content
    run = response.json()
    assert (run["screened"], run["flagged"]) == (5, 4)
    detail = handler("get", f"/cases/screening/runs/{run['id']}").json()
    assert detail["undecided"] == 4
    assert {c["code"]: c["fired"] for c in detail["criteria"]}["public_attention"] == 3
    results = handler("get", f"/cases/screening/runs/{run['id']}/results?flagged=0").json()
    assert [r["case_number"] for r in results["items"]] == ["（2026）接1号"]
    assert results["items"][0]["fired"] == ["public_attention"]
    work = handler("get", f"/cases/screening/runs/{run['id']}/worklist").json()
    assert work["count"] == 4 and work["items"][0]["level"] == "red"
    first = work["items"][0]["id"]
    bad = handler("post", f"/cases/screening/results/{first}/decision", {"choice": "not_target"})
    assert bad.status_code == 400 and "理由" in bad.json()["detail"]
    ok = handler("post", f"/cases/screening/results/{first}/decision", {"choice": "target"})
    assert ok.status_code == 201 and ok.json()["assessment_id"]
    twice = handler("post", f"/cases/screening/results/{first}/decision", {"choice": "target"})
    assert twice.status_code == 400
    unflagged = results["items"][0]["id"]
    refused = handler(
        "post", f"/cases/screening/results/{unflagged}/decision", {"choice": "target"}
    )
    assert refused.status_code == 400 and "不在本次排查" in refused.json()["detail"]
    # other organ: 404; reader: 403
    other = api(courts.jcy_handler)
    assert other("get", f"/cases/screening/runs/{run['id']}").status_code == 404
    assert other("post", f"/cases/screening/organs/{courts.fy.pk}/runs", {}).status_code == 404
    reader = api(courts.fy_reader)
    assert reader("get", f"/cases/screening/runs/{run['id']}/worklist").status_code == 200
    assert reader("post", f"/cases/screening/organs/{courts.fy.pk}/runs", {}).status_code == 403
    second = work["items"][1]["id"]
    assert (
        reader(
            "post", f"/cases/screening/results/{second}/decision", {"choice": "target"}
        ).status_code
        == 403
    )
    listed = other("get", "/cases/screening/runs").json()
    assert listed["count"] == 0


def test_a_run_is_a_constant_number_of_statements(courts):
    """Set-based: the statements a run takes do not grow with the cases."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    profile = fy_profile(courts)
    counts = []
    for n in (3, 40):
        for i in range(n):
            make_case(courts.fy, f"（2026）常{n}-{i}号", major_complex=i % 2 == 0)
        with CaptureQueriesContext(connection) as ctx:
            sc.screen(profile, THIS_MONTH)
        counts.append(len(ctx.captured_queries))
        inserts = [
            q
            for q in ctx.captured_queries
            if "INSERT INTO" in q["sql"] and "screeningresult" in q["sql"]
        ]
        assert len(inserts) == 1
    assert counts[0] == counts[1]
