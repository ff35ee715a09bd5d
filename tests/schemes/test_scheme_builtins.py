"""The four built-in schemes load and carry what the source document says."""

from __future__ import annotations

import json

import pytest

from fengping.schemes import Scheme, describe, load_builtin, to_json
from fengping.schemes.model import (
    AfterEventRule,
    CaseScreeningMethod,
    CompositeMethod,
    Gbt20984Method,
    MonthlyRule,
    MonthlyRunRule,
    YearlyRule,
)

from .helpers import BUILTIN_KEYS


@pytest.fixture(scope="module")
def schemes() -> dict[str, Scheme]:
    return load_builtin()


def test_all_four_builtins_load(schemes: dict[str, Scheme]) -> None:
    assert sorted(schemes) == list(BUILTIN_KEYS)
    kinds = {key: s.kind for key, s in schemes.items()}
    assert kinds == {
        "ssra-bureau": "ssra",
        "ssra-town": "ssra",
        "isra": "isra",
        "case-risk": "case",
    }
    sources = {key: s.source.section for key, s in schemes.items()}
    assert sources == {"ssra-bureau": "篇1", "isra": "篇2", "ssra-town": "篇3", "case-risk": "篇4"}


def test_source_documents_are_cited(schemes: dict[str, Scheme]) -> None:
    assert schemes["ssra-bureau"].source.document == "株办发〔20xx〕14号"
    assert schemes["ssra-town"].source.document == "安办发[20xx]26号"
    assert schemes["case-risk"].source.document == "宝市政法[]25号"


# -- ssra-bureau (篇1) ----------------------------------------------------------------------


def test_bureau_dimensions_and_other_note(schemes: dict[str, Scheme]) -> None:
    s = schemes["ssra-bureau"]
    assert [d.code for d in s.dimensions] == [
        "legality",
        "reasonableness",
        "feasibility",
        "security",
    ]
    assert [d.label for d in s.dimensions] == ["合法性", "合理性", "可行性", "安全性"]
    assert [len(d.items) for d in s.dimensions] == [4, 4, 5, 5]
    (note,) = s.dimension_notes
    assert note.items == ["是否会有其他诱发不稳定事件的风险性"]
    assert s.dimensions[3].items[3] == "是否可控"
    assert s.dimensions[0].item_codes()[:2] == ["legality.1", "legality.2"]


def test_bureau_grades_and_decisions(schemes: dict[str, Scheme]) -> None:
    s = schemes["ssra-bureau"]
    assert [g.code for g in s.grades] == ["A", "B", "C"]
    assert [d.label for d in s.decisions] == [
        "实施",
        "部分实施",
        "暂缓实施",
        "不予实施",
        "终止实施",
    ]
    a, b, c = s.grades
    assert a.definition == "群众反映强烈,可能引发重大不稳定事件的,评估为A级"
    assert a.recommendation == "对评为A级风险的,不得实施。"
    assert set(a.decisions.allowed) == {"reject", "postpone", "terminate"}
    assert "implement" in a.decisions.forbidden
    # B: 实施 only after an approved 化解矛盾方案.
    assert b.decisions.recommended == "postpone"
    needs = {cond.decision: cond.requires for cond in b.decisions.conditions}
    assert needs == {
        "implement": ["mitigation_plan_approved"],
        "implement_partially": ["mitigation_plan_approved"],
    }
    assert c.decisions.recommended == "implement"
    assert c.definition == "部分群众意见虽有分歧,但仅可能引发个体矛盾纠纷的评估为C级"


def test_bureau_taxonomy_items(schemes: dict[str, Scheme]) -> None:
    s = schemes["ssra-bureau"]
    cats = s.categories()
    assert [c.label for c in cats] == [
        "重大决策或政策调整",
        "重大工作事项",
        "涉及多数群众的改革改制事项",
    ]
    assert [len(c.items) for c in cats] == [5, 10, 2]
    assert all(c.must_assess for c in cats)
    assert cats[1].items[5] == "公务员招考等人事考试工作"


def test_bureau_method_procedure_and_rules(schemes: dict[str, Scheme]) -> None:
    s = schemes["ssra-bureau"]
    method = s.method
    assert isinstance(method, CompositeMethod)
    assert method.band_grades == {"high": "A", "medium": "B", "low": "C"}
    assert [(b.min, b.max) for b in method.bands.levels] == [(0, 0.36), (0.36, 0.64), (0.64, 1)]
    assert method.aggregation.default in method.aggregation.methods
    assert s.scale("probability").values() == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert [lv.label for lv in s.scale("impact").levels] == [
        "可忽略",
        "较小",
        "中等",
        "较大",
        "严重",
    ]
    assert [step.label for step in s.procedure.steps] == [
        "确定评估项目",
        "制定评估方案",
        "分析评估风险",
        "确定风险等级",
        "形成评估报告",
        "评估结论采用",
        "跟踪落实",  # 篇1 六(二), issue 8 loophole 7
    ]
    assert len(s.procedure.follow_up) == 5
    needs = {f.code: f.requires for f in s.procedure.follow_up}
    assert needs["implement_with_measures"] == ["response_measures"]
    assert needs["postponed"] == ["countermeasures"]
    assert needs["contingency"] == ["contingency_plan"]
    assert s.majority_rule is not None
    assert s.majority_rule.quote == "对不能使大多数群众理解支持的事项坚决终止实施"
    assert s.majority_rule.threshold == 0.5
    assert s.responsibility is not None
    assert s.responsibility.rules == ["谁主管、谁负责", "谁决策、谁负责", "谁审批、谁负责"]
    assert "局长周光耀任组长" in (s.responsibility.leadership or "")
    assert [x.label for x in s.report.sections] == ["评估事项", "风险分析", "评估结论", "应对措施"]
    assert [p.title for p in s.principles] == ["权责统一的原则", "以人为本的原则", "民主决策的原则"]


# -- ssra-town (篇3) ------------------------------------------------------------------------


def test_town_dimensions(schemes: dict[str, Scheme]) -> None:
    s = schemes["ssra-town"]
    assert [d.label for d in s.dimensions] == ["合法性", "合理性", "可行性", "安全性", "可控性"]
    assert [len(d.items) for d in s.dimensions] == [6, 8, 10, 10, 4]
    assert s.dimensions[1].items[-1] == "社会各界和广大群众的反映如何"
    assert s.dimensions[4].items[-1] == "是否在可控范围之内"


def test_town_grades(schemes: dict[str, Scheme]) -> None:
    s = schemes["ssra-town"]
    assert [g.label for g in s.grades] == ["一级", "二级", "三级", "四级"]
    assert [g.definition for g in s.grades] == [
        "一级为风险大",
        "二级为风险较大",
        "三级为风险较小",
        "四级为无风险",
    ]
    one, two, three, four = s.grades
    assert one.decisions.allowed == ["reject"]
    assert set(two.decisions.allowed) == {"postpone", "implement_partially", "reject"}
    assert "implement" in two.decisions.forbidden
    assert "implement" in three.decisions.allowed and "implement" in four.decisions.allowed
    assert one.recommendation is not None and one.recommendation.endswith("提出不予实施的建议")
    method = s.method
    assert isinstance(method, CompositeMethod)
    assert method.band_grades == {"high": "level1", "medium": "level2", "low": "level3"}
    (override,) = method.overrides
    assert (override.kind, override.band, override.grade) == (
        "all_factors_within_band",
        "low",
        "level4",
    )
    assert s.majority_rule is not None
    assert s.majority_rule.quote == "凡是绝大多数群众不予理解支持的政策坚决不出台"


def test_town_procedure(schemes: dict[str, Scheme]) -> None:
    s = schemes["ssra-town"]
    steps = s.procedure.steps
    assert [step.label for step in steps] == [
        "确定评估项目",
        "制定评估方案",
        "广泛征求意见",
        "认真分析预测",
        "划分风险等级",
        "形成评估报告",
        "确定实施意见",
        "落实应对措施",
    ]
    assert "project_file" in steps[1].produces  # 专项工作档案
    assert steps[2].channels == [
        "走访群众",
        "抽样调查",
        "媒体公示",
        "召开听证会",
        "与利益相关方进行座谈",
        "组织专家分析论证",
    ]
    chain = [(r.actor, r.when) for r in steps[6].review_chain]
    assert chain == [
        ("审批、审议部门", None),
        ("镇级分管领导", None),
        ("镇委、镇政府", "存在涉稳重大问题"),
    ]
    # Each step needs what the one before produced.
    for earlier, later in zip(steps, steps[1:], strict=False):
        assert set(later.requires) <= set(earlier.produces) | {earlier.code}


def test_town_deadlines(schemes: dict[str, Scheme]) -> None:
    s = schemes["ssra-town"]
    rules = {d.code: d.rule for d in s.deadlines}
    assert rules["annual_plan"] == YearlyRule(kind="yearly", month=3, day=31)
    assert rules["monthly_progress"] == MonthlyRule(kind="monthly", day=20)
    assert rules["filing"] == AfterEventRule(kind="after_event", event="decision", days=1)
    assert rules["implementation_rules"] == YearlyRule(kind="yearly", month=3, day=30)
    filing = next(d for d in s.deadlines if d.code == "filing")
    assert filing.recipients == ["镇维稳办", "镇联席办"]


def test_town_taxonomy_and_lead_departments(schemes: dict[str, Scheme]) -> None:
    s = schemes["ssra-town"]
    assert s.taxonomy is not None
    assert [len(g.categories) for g in s.taxonomy.groups] == [7, 7]
    assert all(c.must_assess for c in s.categories())
    assert s.taxonomy.quote == "凡属于本《实施方案》确定的评估事项,都要纳入评估范围,严禁漏项。"
    assert s.responsibility is not None
    leads = s.responsibility.lead_departments
    by_dept = {dept: lead for lead in leads for dept in lead.departments}
    assert by_dept["发改局"].area == "重大改革决策"
    assert by_dept["扶贫局"].area == "移民搬迁"
    assert (
        by_dept["住建局"].text
        == "住建局负责重大城镇建设项目的规划、建设、房屋拆迁、小区物业管理等方面"
    )
    assert by_dept["卫生局"] is by_dept["药监局"]
    # Choosing a category proposes a lead department.
    proposals = [lead.departments for lead in leads if "focus_environment" in lead.categories]
    assert proposals == [["环保局"]]
    supervisors = [x.label for x in s.responsibility.supervisors]
    assert supervisors[0] == "镇维稳办" and "信访联席会议办公室" in supervisors[1]
    assert [x.label for x in s.report.sections] == [
        "重大决策或重大工程项目的概括",
        "开展评估有关情况",
        "稳定风险因素分析",
        "稳定风险等级评价",
        "重大事项实施建议",
        "化解风险方案和应急处置预案",
    ]
    scales = {x.code for x in s.scales}
    assert {"probability", "impact", "people", "scope", "intensity"} <= scales
    people = s.scale("people")
    assert people.levels[0].min == 1 and people.levels[-1].max is None


# -- isra (篇2) -----------------------------------------------------------------------------


def test_isra_checklists(schemes: dict[str, Scheme]) -> None:
    info = schemes["isra"].infosec
    assert info is not None
    vul = {c.code: c.items for c in info.vulnerabilities.checklists}
    assert [len(vul[k]) for k in ("management", "operations", "technical")] == [10, 6, 5]
    assert vul["management"][0] == "安全方针"
    assert vul["operations"][-1] == "设备与介质安全"
    assert vul["technical"] == [
        "网络系统",
        "主机安全",
        "通用系统安全",
        "业务系统安全",
        "现有安全措施",
    ]
    measures = {c.code: c.items for c in info.measures.checklists}
    assert list(measures) == ["technical", "management", "physical", "emergency"]
    assert "弱口令情况" in measures["technical"]
    assert "灭火系统是否安全可用" in measures["physical"]
    assert [p.label for p in info.asset_model.parts] == [
        "数据存储",
        "业务处理",
        "业务服务提供",
        "客户端",
    ]
    assert [m.label for m in info.assessment_methods] == [
        "安全顾问访谈",
        "管理问卷调查",
        "安全文档分析",
        "漏洞扫描",
        "人工安全检查",
    ]


def test_isra_threat_catalogue(schemes: dict[str, Scheme]) -> None:
    info = schemes["isra"].infosec
    assert info is not None
    assert [t.label for t in info.threats.classes] == [
        "软硬件故障",
        "物理环境影响",
        "无作为或操作失误",
        "管理不到位",
        "恶意代码",
        "越权或滥用",
        "网络攻击",
        "物理攻击",
        "泄密",
        "篡改",
        "抵赖",
    ]
    origins = {t.origin for t in info.threats.classes}
    assert origins == {"environmental", "human_malicious", "human_non_malicious"}


def test_isra_method(schemes: dict[str, Scheme]) -> None:
    s = schemes["isra"]
    method = s.method
    assert isinstance(method, Gbt20984Method)
    assert method.asset_value.default == "max"
    assert "weighted" in method.asset_value.allowed
    for matrix in (method.likelihood_matrix, method.loss_matrix, method.risk_matrix):
        assert matrix.example
        assert len(matrix.cells) == 5 and all(len(row) == 5 for row in matrix.cells)
    assert method.risk_matrix.cells[4][4] == 25
    assert [(b.label, b.min, b.max) for b in method.bands.levels] == [
        ("很低", 1, 5),
        ("低", 6, 10),
        ("中等", 11, 15),
        ("高", 16, 20),
        ("很高", 21, 25),
    ]
    assert [d.label for d in s.decisions] == ["接受", "降低", "转移", "规避"]
    effects = {m.kind: m.lowers for m in method.measure_effects}
    assert effects == {"preventive": "likelihood", "protective": "loss"}
    severity = [lv.label for lv in s.scale("vulnerability_severity").levels]
    assert severity == ["可忽略", "较小损害", "一般损害", "重大损害", "完全损害"]
    assert [step.label for step in s.procedure.steps] == [
        "资产评估",
        "威胁评估",
        "脆弱性评估",
        "现有安全措施评估",
        "风险计算和分析",
        "风险决策和安全建议",
        "安全整改",
    ]


# -- case-risk (篇4) ------------------------------------------------------------------------


def test_case_risk(schemes: dict[str, Scheme]) -> None:
    s = schemes["case-risk"]
    assert [d.label for d in s.dimensions] == [
        "执法办案的合法性",
        "利益协调的合理性",
        "稳定风险的可控性",
    ]
    assert [g.label for g in s.grades] == ["红色", "橙色", "黄色", "蓝色"]
    assert [g.colour for g in s.grades] == ["red", "orange", "yellow", "blue"]
    assert len(s.categories()) == 4
    method = s.method
    assert isinstance(method, CaseScreeningMethod)
    hard = {f.code for f in method.factors if f.hard_trigger}
    assert hard == {"petition_threat", "kind_officer_misconduct"}
    assert method.hard_trigger_grade == "red"
    linked = {f.category for f in method.factors if f.category}
    assert linked == {c.code for c in s.categories()}
    (screening,) = s.deadlines
    assert screening.rule == MonthlyRunRule(kind="monthly_run")
    assert screening.quote == "各政法部门要坚持每月对所有案件进行全面排查"
    # Adjudication gate: 风险未化解的不得裁决 on every grade, 未经风险评估不得裁决 by gate.
    for grade in s.grades:
        needs = {c.decision: c.requires for c in grade.decisions.conditions}
        assert "risk_resolved" in needs["adjudicate"]
    (gate,) = s.gates
    assert gate.quote == "凡是事关全局的重大、疑难、复杂案件,未经风险评估不得裁决。"
    assert s.responsibility is not None
    roles = {r.label: r.holder for r in s.responsibility.roles}
    assert roles == {
        "第一责任人": "政法单位主要领导",
        "主要责任人": "分管领导",
        "直接责任人": "案件承办人员",
    }
    assert s.responsibility.rules == ["谁办理、谁评估、谁化解"]
    assert len(s.procedure.steps) == 4
    assert [x.label for x in s.report.sections] == [
        "案件名称",
        "涉案人员情况",
        "简要案情",
        "案件办理情况",
        "存在问题隐患",
        "预防处置工作方案",
    ]


# -- views ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", BUILTIN_KEYS)
def test_describe_and_to_json(schemes: dict[str, Scheme], key: str) -> None:
    s = schemes[key]
    text = describe(s)
    assert s.name in text and s.version in text
    assert len(text.splitlines()) > 10
    data = to_json(s)
    assert data["version"] == s.version and data["content_hash"] == s.content_hash
    assert json.loads(json.dumps(data, ensure_ascii=False))["key"] == key


def test_every_grade_is_reachable_and_severities_unique(schemes: dict[str, Scheme]) -> None:
    for s in schemes.values():
        assert len({g.severity for g in s.grades}) == len(s.grades)
