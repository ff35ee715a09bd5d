"""The risk register of an assessment as a list (page, htmx partial, XLSX, API), the
estate-wide list of the risks of every system's latest assessment (`ESTATE`, with the
same scenario columns), and the summaries around the register: the heat map cells, risk
per asset / business / system, and the comparison of two assessments of one system.

Every query of one assessment starts from an assessment the caller already fetched
through `org.access.get_for_user`, so its scenarios are in the user's scope by
construction; the estate list scopes through `org.access.visible`. The register pages by
key on (-risk, id), the index `infosec_scen_register`: a page costs the same at 500,000
scenarios as at 50."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from django.db.models import Case, CharField, Count, Max, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from fengping.core import listing
from fengping.core.listing import (
    ChoiceFilter,
    Column,
    Context,
    DepartmentFilter,
    Filter,
    ListSpec,
    SearchFilter,
    Sort,
)
from fengping.org import access
from fengping.schemes.methods import isra_bands

from .lists import system_options, visible_departments
from .models import ApprovalState, Asset, RiskDecision, Scenario, SystemAssessment, ThreatRating
from .queries import later_assessment

if TYPE_CHECKING:  # numpy loads on first use: a web worker starts without it
    import numpy as np

LEVELS = range(1, 6)
LEVEL_CSS = {
    1: "bg-green-lt",
    2: "bg-lime-lt",
    3: "bg-yellow-lt",
    4: "bg-orange-lt",
    5: "bg-red-lt",
}


def level_labels(assessment: SystemAssessment) -> dict[int, str]:
    """Level 1… → the band label of the frozen scheme (很低 … 很高)."""
    return {i + 1: label for i, label in enumerate(isra_bands(assessment.scheme).labels)}


def threat_classes(assessment: SystemAssessment) -> list[tuple[str, str]]:
    info = assessment.scheme.infosec
    return [(c.code, c.label) for c in info.threats.classes] if info else []


class AssetFilter(Filter):
    """One asset of the assessment's system, by id (the per-asset summary links here)."""

    kind = "number"

    def parse(self, params: Mapping[str, Any], ctx: Context) -> tuple[Any, str | None]:
        raw = listing._raw(params, self.name)
        if not raw:
            return None, None
        pk = listing._int(raw, 1, 2**63 - 1)
        assessment = ctx.parents[0]
        if pk is None or not Asset.objects.filter(system_id=assessment.system_id, pk=pk).exists():
            return None, listing._ignored(self.label)
        return pk, None

    def narrow(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        return qs.filter(asset_id=value)


def scenarios(user: Any, assessment: SystemAssessment) -> QuerySet[Scenario]:
    labels = level_labels(assessment)
    return (
        Scenario.objects.filter(assessment=assessment)
        .select_related("asset", "business", "threat", "vulnerability")
        .only(
            *(f.name for f in Scenario._meta.concrete_fields if f.name not in ("assessment",)),
            "asset__code",
            "asset__name",
            "business__name",
            "threat__code",
            "threat__name",
            "threat__threat_class",
            "vulnerability__key",
            "vulnerability__title",
        )
        .annotate(
            level_label=Case(
                *(When(level=n, then=Value(label)) for n, label in labels.items()),
                default=Value(""),
                output_field=CharField(),
            )
        )
    )


def _level_html(s: Scenario) -> Any:
    return listing.badge(s.level_label, LEVEL_CSS.get(s.level, "bg-secondary-lt"))  # type: ignore[attr-defined]


def _residual(s: Scenario) -> Any:
    return s.residual_risk if s.residual_risk is not None else _("已消除")


def _asset_html(s: Scenario) -> Any:
    return format_html(
        '<span class="text-nowrap">{}</span><div class="small text-secondary">{}</div>',
        s.asset.code,
        s.asset.name,
    )


def _vuln_html(s: Scenario) -> Any:
    return format_html(
        '{}<div class="small text-secondary">{}</div>', s.vulnerability.title, s.vulnerability.key
    )


# The columns of a risk scenario, shared by the register of one assessment and the
# estate-wide list: a scenario reads the same in both, and in both exports. A queryset
# they read selects the asset, threat and vulnerability and annotates `level_label`.
ASSET = Column(gettext_lazy("资产"), lambda s: f"{s.asset.code} {s.asset.name}", html=_asset_html)
BUSINESS = Column(gettext_lazy("业务"), lambda s: s.business.name if s.business else "")
THREAT = Column(gettext_lazy("威胁"), lambda s: f"{s.threat.code} {s.threat.name}")
VULNERABILITY = Column(gettext_lazy("脆弱性"), lambda s: s.vulnerability.title, html=_vuln_html)
VULNERABILITY_KEY = Column(gettext_lazy("脆弱性标识"), lambda s: s.vulnerability.key, page=False)
FREQUENCY = Column("T", lambda s: s.frequency, css="text-end")
SEVERITY = Column("V", lambda s: s.severity, css="text-end")
ASSET_VALUE = Column("Ia", lambda s: s.asset_value, css="text-end")
LIKELIHOOD_STEPS = Column(gettext_lazy("预防性措施降级"), lambda s: s.likelihood_steps, page=False)
LOSS_STEPS = Column(gettext_lazy("保护性措施降级"), lambda s: s.loss_steps, page=False)
LIKELIHOOD = Column("L", lambda s: s.likelihood, css="text-end")
LOSS = Column("F", lambda s: s.loss, css="text-end")
RISK = Column("R", lambda s: s.risk, css="text-end fw-bold")
LEVEL = Column(gettext_lazy("风险等级"), lambda s: s.level_label, html=_level_html)
RESIDUAL = Column(gettext_lazy("剩余风险"), _residual, css="text-end")

# The scenario's own columns (after who it belongs to), as the register shows them.
SCENARIO_COLUMNS = (
    ASSET,
    BUSINESS,
    THREAT,
    VULNERABILITY,
    VULNERABILITY_KEY,
    FREQUENCY,
    SEVERITY,
    ASSET_VALUE,
    LIKELIHOOD_STEPS,
    LOSS_STEPS,
    LIKELIHOOD,
    LOSS,
    RISK,
    LEVEL,
    RESIDUAL,
)

REGISTER = ListSpec(
    name="infosec-risk-register",
    title=gettext_lazy("风险清单"),
    queryset=scenarios,
    order=("-risk", "id"),
    keyset=True,
    filters=(
        SearchFilter(
            "q",
            gettext_lazy("搜索"),
            ("asset__code", "asset__name"),
            placeholder=gettext_lazy("按资产编号或名称搜索"),
        ),  # fmt: skip
        ChoiceFilter(
            "level",
            gettext_lazy("风险等级"),
            lambda ctx: sorted(level_labels(ctx.parents[0]).items(), reverse=True),
        ),
        ChoiceFilter(
            "business",
            gettext_lazy("业务"),
            lambda ctx: list(ctx.parents[0].system.businesses.values_list("pk", "name")),
            field="business_id",
        ),
        ChoiceFilter(
            "threat_class",
            gettext_lazy("威胁类别"),
            lambda ctx: threat_classes(ctx.parents[0]),
            field="threat__threat_class",
        ),
        ChoiceFilter("likelihood", gettext_lazy("可能性"), [(n, n) for n in LEVELS]),
        ChoiceFilter("loss", gettext_lazy("损失"), [(n, n) for n in LEVELS]),
        AssetFilter("asset", gettext_lazy("资产 ID")),
    ),
    columns=SCENARIO_COLUMNS,
    empty_title=gettext_lazy("没有符合条件的风险场景"),
    page_template="infosec/risk/register.html",
    export_url=lambda a: reverse("infosec:risk_export", args=[a.pk]),
)


# ------------------------------------------------------------------ the estate

# The five bands of GB/T 20984, level 1 first, as every system's risk is named side by
# side (each assessment's frozen scheme may name its own; the estate needs one name per
# level). The supervision dashboard's risk chart reads them too.
LEVEL_NAMES = {
    1: gettext_lazy("很低"),
    2: gettext_lazy("低"),
    3: gettext_lazy("中"),
    4: gettext_lazy("高"),
    5: gettext_lazy("很高"),
}


def _sees_organisations(user: Any) -> bool:
    """Whether the user reads whole organisations (superusers, supervisors, those who
    hold a role at an organisation's root) rather than some departments."""
    scope = access.scope_of(user)
    return scope.everything or bool(
        scope.view_paths and all(p.count("/") == 1 for p in scope.view_paths)
    )


def _of_assessments(qs: QuerySet[Scenario], assessments: QuerySet[Any]) -> QuerySet[Scenario]:
    return qs.filter(assessment_id__in=assessments.order_by().values("id"))


def estate_scenarios(user: Any) -> QuerySet[Scenario]:
    """The scenarios of each system's latest assessment, of every system the user may see.

    The list is read in the order (-level, -risk, id), or in its reverse (the `level`
    sort: level and risk up, id down). Over a whole organisation a page walks the index
    `infosec_scen_estate` in that order and keeps the rows of latest assessments
    (`~later_assessment()`, one index probe per row), so page 1 and page 10,000 cost the
    same at 500,000 scenarios. A narrower set — a department's user, or
    the department or system filter — is named by its assessments as well
    (`assessment_id IN …`): the rows are then read from those assessments' index and
    sorted, which costs what the set holds, where walking the whole estate's index for a
    few matches would cost what the estate holds. PostgreSQL chooses between the two by
    its statistics either way; SQLite takes the IN list whenever there is one, hence the
    two forms (bench/bench_infosec_estate.py)."""
    qs = access.visible(user, Scenario.objects.filter(~later_assessment()))
    if not _sees_organisations(user):
        qs = _of_assessments(qs, access.visible(user, SystemAssessment.objects.all()))
    return (
        qs.select_related(
            "asset", "threat", "vulnerability", "assessment__system__department", "decision"
        )
        .only(
            *(f.name for f in Scenario._meta.concrete_fields),
            "asset__code",
            "asset__name",
            "threat__code",
            "threat__name",
            "threat__threat_class",
            "vulnerability__key",
            "vulnerability__title",
            "assessment__title",
            "assessment__system__code",
            "assessment__system__name",
            "assessment__system__department__name",
            "decision__id",
            "decision__treatment",
            "decision__approval",
        )
        .annotate(
            level_label=Case(
                *(When(level=n, then=Value(str(label))) for n, label in LEVEL_NAMES.items()),
                default=Value(""),
                output_field=CharField(),
            )
        )
    )


def _in_department(qs: QuerySet[Scenario], path: str, values: Any) -> QuerySet[Scenario]:
    qs = qs.filter(assessment__system__department__path__startswith=path)
    return _of_assessments(
        qs, SystemAssessment.objects.filter(system__department__path__startswith=path)
    )


def _of_system(qs: QuerySet[Scenario], pk: str, values: Any) -> QuerySet[Scenario]:
    return _of_assessments(qs, SystemAssessment.objects.filter(system_id=pk))


class NameSearch(SearchFilter):
    """Text in the asset's code or name or the threat's name, found in those tables and
    matched by id: a rare word does not walk every scenario of the estate."""

    def narrow(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        assets = Asset.objects.filter(Q(code__icontains=value) | Q(name__icontains=value))
        threats = ThreatRating.objects.filter(name__icontains=value)
        return qs.filter(
            Q(asset_id__in=assets.order_by().values("id"))
            | Q(threat_id__in=threats.order_by().values("id"))
        )


def decision_of(s: Scenario) -> RiskDecision | None:
    try:
        return s.decision  # type: ignore[no-any-return]
    except RiskDecision.DoesNotExist:
        return None


def treatment_text(s: Scenario) -> str:
    """处置 as it stands: the treatment decided, with its approval when one is needed."""
    d = decision_of(s)
    if d is None:
        return str(_("未决策"))
    if d.approval == ApprovalState.NOT_NEEDED:
        return str(d.get_treatment_display())
    return f"{d.get_treatment_display()}（{d.get_approval_display()}）"


def _treatment_html(s: Scenario) -> Any:
    d = decision_of(s)
    if d is None:
        return listing.badge(_("未决策"), "bg-secondary-lt")
    css = {
        ApprovalState.PENDING: "bg-yellow-lt",
        ApprovalState.REJECTED: "bg-red-lt",
    }.get(d.approval, "bg-green-lt")
    return listing.badge(treatment_text(s), css)


def _system_html(s: Scenario) -> Any:
    system = s.assessment.system
    return format_html(
        '<a class="text-nowrap" href="{}">{}</a><div class="small text-secondary">{}</div>',
        reverse("infosec:risk", args=[s.assessment_id]),
        system.name,
        system.code,
    )


def _export_only(column: Column) -> Column:
    return replace(column, page=False)


ESTATE = ListSpec(
    name="infosec-all-risks",
    title=gettext_lazy("风险清单（全部系统）"),
    queryset=estate_scenarios,
    order=("-level", "-risk", "id"),
    order_label=gettext_lazy("风险等级从高到低"),
    # The same index read the other way (level and risk up, id down).
    sorts=(Sort("level", gettext_lazy("风险等级从低到高"), ("level", "risk", "-id")),),
    keyset=True,
    filters=(
        NameSearch(
            "q",
            gettext_lazy("搜索"),
            ("asset__code", "asset__name", "threat__name"),
            placeholder=gettext_lazy("按资产或威胁名称搜索"),
        ),
        ChoiceFilter(
            "level",
            gettext_lazy("风险等级"),
            sorted(LEVEL_NAMES.items(), reverse=True),
            all_label=gettext_lazy("全部等级"),
        ),
        DepartmentFilter(
            "department",
            gettext_lazy("主管部门"),
            visible_departments,
            path_field="assessment__system__department__path",
            apply=_in_department,
        ),
        ChoiceFilter("system", gettext_lazy("系统"), system_options, apply=_of_system),
    ),
    columns=(
        Column(
            gettext_lazy("系统"),
            lambda s: f"{s.assessment.system.code} {s.assessment.system.name}",
            html=_system_html,
        ),
        Column(
            gettext_lazy("主管部门"),
            lambda s: s.assessment.system.department.name,
            css="text-nowrap",
        ),
        Column(gettext_lazy("评估"), lambda s: s.assessment.title, page=False),
        ASSET,
        THREAT,
        VULNERABILITY,
        VULNERABILITY_KEY,
        *(
            _export_only(c)
            for c in (FREQUENCY, SEVERITY, ASSET_VALUE, LIKELIHOOD_STEPS, LOSS_STEPS)
        ),
        LIKELIHOOD,
        LOSS,
        RISK,
        LEVEL,
        RESIDUAL,
        Column(gettext_lazy("处置"), treatment_text, html=_treatment_html),
    ),
    empty_title=gettext_lazy("没有符合条件的风险场景"),
    empty_hint=gettext_lazy("各系统最近一次评估计算出的风险场景列在这里。"),
    page_template="infosec/risk/all.html",
    export_url=lambda: reverse("infosec:all_risks_export"),
)


# ------------------------------------------------------------------ summaries


def heat_cells(assessment: SystemAssessment) -> list[dict[str, int]]:
    """Scenario counts per (likelihood, loss) cell: one GROUP BY answered from the index
    `infosec_scen_heat` alone (no other column is read, so no table row is visited)."""
    rows = (
        Scenario.objects.filter(assessment=assessment)
        .order_by()
        .values("likelihood", "loss")
        .annotate(n=Count("likelihood"))
    )
    return [
        {
            "likelihood": r["likelihood"],
            "loss": r["loss"],
            "count": r["n"],
        }
        for r in rows
    ]


def heat_zones(assessment: SystemAssessment) -> dict[str, Any]:
    """The risk level of every (likelihood, loss) cell by the frozen scheme's risk matrix,
    and the level labels: the heat map colours a cell by its risk, not by its count."""
    scheme = assessment.scheme
    bands = isra_bands(scheme)
    matrix = scheme.method.risk_matrix.cells  # type: ignore[union-attr]
    zones = [
        [loss - 1, likelihood - 1, bands.index(int(matrix[likelihood - 1][loss - 1])) + 1]
        for likelihood in LEVELS
        for loss in LEVELS
    ]
    return {"zones": zones, "level_labels": [str(label) for label in bands.labels]}


def heat_grid(cells: list[dict[str, int]]) -> list[dict[str, Any]]:
    """The 5×5 grid for the table fallback: rows likelihood 5…1, columns loss 1…5."""
    by = {(c["likelihood"], c["loss"]): c for c in cells}
    return [
        {"likelihood": lk, "cells": [(fs, by.get((lk, fs), {}).get("count", 0)) for fs in LEVELS]}
        for lk in sorted(LEVELS, reverse=True)
    ]


def _level_counts() -> dict[str, Any]:
    return {f"l{n}": Count("id", filter=Q(level=n)) for n in LEVELS}


def system_summary(assessment: SystemAssessment) -> dict[str, Any]:
    """Max risk, count and count per level over the whole system (one query)."""
    return Scenario.objects.filter(assessment=assessment).aggregate(
        max_risk=Max("risk"), n=Count("id"), **_level_counts()
    )


def by_business(assessment: SystemAssessment) -> list[dict[str, Any]]:
    rows = list(
        Scenario.objects.filter(assessment=assessment)
        .order_by()
        .values("business_id")
        .annotate(max_risk=Max("risk"), n=Count("id"), **_level_counts())
        .order_by("-max_risk", "business_id")
    )
    names = dict(assessment.system.businesses.values_list("pk", "name"))
    for r in rows:
        r["name"] = names.get(r["business_id"], "") if r["business_id"] else ""
    return rows


def by_asset(assessment: SystemAssessment) -> QuerySet[Any]:
    """Per asset: max risk and count, highest first — a GROUP BY answered from the index
    `infosec_scen_asset` alone; paginate it, then `name_assets` adds the names and the
    counts per level of the page's assets only."""
    return (
        Scenario.objects.filter(assessment=assessment)
        .order_by()
        .values("asset_id")
        .annotate(max_risk=Max("risk"), n=Count("asset_id"))
        .order_by("-max_risk", "asset_id")
    )


def name_assets(
    rows: list[dict[str, Any]], assessment: SystemAssessment | None = None
) -> list[dict[str, Any]]:
    ids = [r["asset_id"] for r in rows]
    assets = {a.pk: a for a in Asset.objects.filter(pk__in=ids).only("code", "name", "layer")}
    levels: dict[int, dict[str, int]] = {}
    if assessment is not None and ids:
        for r in (
            Scenario.objects.filter(assessment=assessment, asset_id__in=ids)
            .order_by()
            .values("asset_id")
            .annotate(**_level_counts())
        ):
            levels[r.pop("asset_id")] = r
    for r in rows:
        r["asset"] = assets.get(r["asset_id"])
        r.update(levels.get(r["asset_id"], {f"l{n}": 0 for n in LEVELS}))
    return rows


# ------------------------------------------------------------------ comparison


class Change:
    NEW = "new"
    HIGHER = "higher"
    LOWER = "lower"
    UNCHANGED = "unchanged"
    GONE = "gone"


CHANGE_LABELS = {
    Change.NEW: gettext_lazy("新增"),
    Change.HIGHER: gettext_lazy("升高"),
    Change.LOWER: pgettext_lazy("risk change", "降低"),
    Change.UNCHANGED: gettext_lazy("不变"),
    Change.GONE: gettext_lazy("消失"),
}
CHANGE_ORDER = [Change.NEW, Change.HIGHER, Change.LOWER, Change.GONE, Change.UNCHANGED]


def comparable(assessment: SystemAssessment) -> QuerySet[SystemAssessment]:
    """The other assessments of the same system (same scope: same system)."""
    return (
        SystemAssessment.objects.filter(system_id=assessment.system_id)
        .exclude(pk=assessment.pk)
        .order_by("-started_at", "-id")
    )


@dataclass
class Comparison:
    """Scenarios of `this` and `other` matched on (asset code, threat code, vulnerability
    key): one entry per matched or unmatched scenario, ordered by change then risk."""

    this_ids: np.ndarray  # scenario of this assessment, 0 = none (gone)
    other_ids: np.ndarray  # scenario of the other assessment, 0 = none (new)
    change: np.ndarray  # index into CHANGE_ORDER
    counts: dict[str, int]

    def __len__(self) -> int:
        return int(self.change.shape[0])


def _keys(assessment: SystemAssessment) -> tuple[np.ndarray, list[tuple[str, str, str]]]:
    import numpy as np

    rows = list(
        Scenario.objects.filter(assessment=assessment)
        .order_by()
        .values_list("pk", "risk", "asset__code", "threat__code", "vulnerability__key")
        .iterator(chunk_size=20_000)
    )
    ids = np.array([(r[0], r[1]) for r in rows], dtype=np.int64).reshape(-1, 2)
    return ids, [(r[2], r[3], r[4]) for r in rows]


def compare(this: SystemAssessment, other: SystemAssessment) -> Comparison:
    import numpy as np

    a_ids, a_keys = _keys(this)
    b_ids, b_keys = _keys(other)
    vocabulary: dict[tuple[str, str, str], int] = {}
    a = np.array([vocabulary.setdefault(k, len(vocabulary)) for k in a_keys], dtype=np.int64)
    b = np.array([vocabulary.setdefault(k, len(vocabulary)) for k in b_keys], dtype=np.int64)
    _common, ia, ib = np.intersect1d(a, b, assume_unique=True, return_indices=True)
    only_a = np.setdiff1d(np.arange(len(a)), ia, assume_unique=True)
    only_b = np.setdiff1d(np.arange(len(b)), ib, assume_unique=True)
    code = {c: i for i, c in enumerate(CHANGE_ORDER)}
    risk_a, risk_b = a_ids[ia, 1], b_ids[ib, 1]
    matched_change = np.where(
        risk_a > risk_b,
        code[Change.HIGHER],
        np.where(risk_a < risk_b, code[Change.LOWER], code[Change.UNCHANGED]),
    )
    this_ids = np.concatenate([a_ids[ia, 0], a_ids[only_a, 0], np.zeros(len(only_b), np.int64)])
    other_ids = np.concatenate([b_ids[ib, 0], np.zeros(len(only_a), np.int64), b_ids[only_b, 0]])
    change = np.concatenate(
        [
            matched_change,
            np.full(len(only_a), code[Change.NEW]),
            np.full(len(only_b), code[Change.GONE]),
        ]
    ).astype(np.int64)
    risk = np.concatenate([risk_a, a_ids[only_a, 1], b_ids[only_b, 1]])
    order = np.lexsort((-risk, change))
    counts = np.bincount(change, minlength=len(CHANGE_ORDER))
    return Comparison(
        this_ids=this_ids[order],
        other_ids=other_ids[order],
        change=change[order],
        counts={c: int(counts[i]) for i, c in enumerate(CHANGE_ORDER)},
    )


def comparison_rows(cmp: Comparison, start: int, stop: int, only: str = "") -> list[dict[str, Any]]:
    """Rows start…stop of the comparison (optionally of one change) with both scenarios."""
    import numpy as np

    positions = np.arange(len(cmp))
    if only in CHANGE_ORDER:
        positions = positions[cmp.change == CHANGE_ORDER.index(only)]
    positions = positions[start:stop]
    ids = [int(i) for i in cmp.this_ids[positions] if i] + [
        int(i) for i in cmp.other_ids[positions] if i
    ]
    found = {
        s.pk: s
        for s in Scenario.objects.filter(pk__in=ids).select_related(
            "asset", "threat", "vulnerability"
        )
    }
    out = []
    for p in positions.tolist():
        this = found.get(int(cmp.this_ids[p]))
        other = found.get(int(cmp.other_ids[p]))
        either = this or other
        change = CHANGE_ORDER[int(cmp.change[p])]
        out.append(
            {
                "change": change,
                "change_label": CHANGE_LABELS[change],
                "asset": f"{either.asset.code} {either.asset.name}" if either else "",
                "threat": f"{either.threat.code} {either.threat.name}" if either else "",
                "vulnerability": either.vulnerability.title if either else "",
                "vulnerability_key": either.vulnerability.key if either else "",
                "this_risk": this.risk if this else None,
                "this_level": this.level if this else None,
                "other_risk": other.risk if other else None,
                "other_level": other.level if other else None,
            }
        )
    return out


def comparison_count(cmp: Comparison, only: str = "") -> int:
    if only in CHANGE_ORDER:
        return cmp.counts[only]
    return len(cmp)
