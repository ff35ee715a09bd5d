"""The case registry (篇4): the organ's settings, cases, their stages through the gate, and
their 信访 history.

Every door (page, API, import) ends here or in `case_import`, which applies the same
checks (`check_case_values`, `Case.stage_refusal`) in bulk. A stage move asks the gate
(`Case.stage_refusal`) with the organ's kind and refuses with its text, which quotes the
source (凡经风险评估的案件，风险未化解的不得裁决).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record, save_and_record, snapshot
from fengping.core.concurrency import lock
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.org.models import WORK_ROLES, Department, Membership, User

from ..models import (
    LEADING_ROLES,
    Case,
    CaseRevision,
    OrganProfile,
    Petition,
    PetitionKind,
    StageChange,
    StageSource,
    decode_codes,
    encode_codes,
)
from ..queries import profile_of
from ..terms import vocabulary_for

LABELS = {
    "cases.organ.save": gettext_lazy("保存政法单位办案风险评估设置"),
    "cases.organ.mapping": gettext_lazy("保存案件导入列对应"),
    "cases.case.create": gettext_lazy("登记案件"),
    "cases.case.update": gettext_lazy("修改案件"),
    "cases.case.stage": gettext_lazy("变更案件办理阶段"),
    "cases.case.import": gettext_lazy("导入案件"),
    "cases.petition.record": gettext_lazy("登记信访记录"),
    "cases.petition.delete": gettext_lazy("删除信访记录"),
}

# The fields of a case a form, the API or an import sets (stage moves go through the gate).
CASE_FIELDS = (
    "number",
    "title",
    "category",
    "handler",
    "accepted_on",
    "amount",
    "parties",
    "party_count",
    "involved_count",
    "vulnerable_groups",
    "coercive_measures",
    "public_attention",
    "socially_sensitive",
    "officer_misconduct",
    "major_complex",
    "brief_facts",
)
# What a CaseRevision compares (and names): every field a change may touch.
REVISION_FIELDS = (*CASE_FIELDS, "stage", "stage_since")
MARKERS = ("public_attention", "socially_sensitive", "officer_misconduct", "major_complex")

# The import's fields: key -> our header (the organ's mapping renames its headers to these).
IMPORT_FIELDS: dict[str, str] = {
    "number": "案号",
    "title": "案件名称",
    "category": "案件类别",
    "stage": "办理阶段",
    "stage_since": "进入本阶段日期",
    "handler": "承办人",
    "accepted_on": "受理日期",
    "amount": "涉案金额（元）",
    "parties": "当事人及涉案人员",
    "party_count": "当事人人数",
    "involved_count": "涉案人数",
    "vulnerable_groups": "弱势群体",
    "coercive_measures": "查封、扣押、冻结措施",
    "public_attention": "群众关注",
    "socially_sensitive": "社会敏感",
    "officer_misconduct": "政法干警违法违纪",
    "major_complex": "重大、疑难、复杂",
    "brief_facts": "简要案情",
}
PETITION_FIELDS: dict[str, str] = {
    "p_number": "案号",
    "p_date": "信访日期",
    "p_kind": "信访形式",
    "p_persons": "人数",
    "p_content": "诉求内容",
}
CODE_SPLIT = re.compile(r"[\s,，;；、/]+")
MAX_HEADER = 100


# ---------------------------------------------------------------- organ settings


def can_manage_organ(actor: Any, department: Department) -> bool:
    """Admins, leaders and heads of the department (or above it) set up its cases."""
    return access.can_change_under(actor, department.path, LEADING_ROLES)


def can_work_in(actor: Any, department: Department) -> bool:
    """May the user register and change cases of the organ (a work role there)?"""
    return access.can_change_under(actor, department.path, WORK_ROLES)


def _case_section(scheme_key: str) -> Any:
    from fengping.schemebook import registry

    try:
        scheme = registry.get(scheme_key)
    except Exception:  # an unknown key: the registry's own error type varies
        raise ActionError(
            _("评估方案“%(k)s”不存在") % {"k": scheme_key}, field="scheme_key"
        ) from None
    if scheme.cases is None:
        raise ActionError(
            _("评估方案“%(k)s”不是办案风险评估方案") % {"k": scheme_key}, field="scheme_key"
        )
    return scheme.cases


@transaction.atomic
def do_save_organ(
    actor: Any,
    department: Department,
    *,
    organ_kind: str,
    scheme_key: str = "case-risk",
    version: int | None = None,
) -> OrganProfile:
    """Create or change the organ's profile: its kind (the stages of its cases) and scheme."""
    if not can_manage_organ(actor, department):
        raise PermissionDenied(
            _("只有“%(d)s”的系统管理员、分管领导或主要负责人可以设置") % {"d": department.name}
        )
    scheme_key = (scheme_key or "case-risk").strip()
    section = _case_section(scheme_key)
    kind = section.organ_kind(organ_kind or "")
    if kind is None:
        raise ActionError(
            _("单位类别须为：%(k)s") % {"k": "、".join(k.label for k in section.organ_kinds)},
            field="organ_kind",
        )
    profile = OrganProfile.objects.filter(department=department).first()
    if profile is None:
        profile = OrganProfile.objects.create(
            department=department, organ_kind=kind.code, scheme_key=scheme_key
        )
        record(
            actor,
            "cases.organ.save",
            profile,
            after=snapshot(profile, OrganProfile.audit_fields),
        )
        return profile
    profile = lock(profile, version, related=("department",))
    codes = set(kind.stage_codes())
    stray = (
        Case.objects.filter(organ=department)
        .exclude(stage__in=codes)
        .values_list("stage", flat=True)
        .distinct()[:5]
    )
    if stray:
        raise ActionError(
            _("本单位有案件处于“%(s)s”阶段，%(k)s没有这个阶段，不能改为该类别")
            % {"s": "、".join(stray), "k": kind.label},
            field="organ_kind",
        )
    before = snapshot(profile, OrganProfile.audit_fields)
    profile.organ_kind, profile.scheme_key = kind.code, scheme_key
    save_and_record(actor, "cases.organ.save", profile, before=before)
    return profile


def mapping_problems(mapping: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    targets: dict[str, str] = {}
    ours = set(IMPORT_FIELDS.values())
    for header, field in mapping.items():
        if not header or len(header) > MAX_HEADER:
            problems.append(_("列名须为 1–%(n)s 个字") % {"n": MAX_HEADER})
            continue
        if field not in IMPORT_FIELDS:
            problems.append(_("“%(h)s”对应的字段“%(f)s”不存在") % {"h": header, "f": field})
            continue
        if header in ours and IMPORT_FIELDS[field] != header:
            problems.append(
                _("“%(h)s”是本系统的列名，不能对应到“%(f)s”")
                % {"h": header, "f": IMPORT_FIELDS[field]}
            )
        if field in targets:
            problems.append(
                _("“%(a)s”和“%(b)s”都对应到“%(f)s”，每个字段只能对应一列")
                % {"a": targets[field], "b": header, "f": IMPORT_FIELDS[field]}
            )
        targets[field] = header
    return problems


@transaction.atomic
def do_save_mapping(
    actor: Any, profile: OrganProfile, *, mapping: Mapping[str, str], version: int | None = None
) -> OrganProfile:
    """Save the organ's column mapping: the header of its case-management system's export
    -> the field of the case import (`IMPORT_FIELDS`)."""
    access.require(actor, profile, "change")
    profile = lock(profile, version, related=("department",))
    cleaned = {str(h).strip(): str(f).strip() for h, f in mapping.items() if str(h).strip()}
    problems = mapping_problems(cleaned)
    if problems:
        raise ActionError("；".join(problems), field="mapping")
    before = snapshot(profile, OrganProfile.audit_fields)
    profile.column_mapping = cleaned
    save_and_record(actor, "cases.organ.mapping", profile, before=before)
    return profile


# ---------------------------------------------------------------- checking a case


def options_of(section: Any, field: str) -> dict[str, str]:
    """code -> label of a choice/set field in the scheme's cases block."""
    items = {
        "category": section.categories,
        "vulnerable_groups": section.vulnerable_groups,
        "coercive_measures": section.coercive_measures,
    }[field]
    return {o.code: o.label for o in items}


def handler_allowed(organ: Department, user: Any) -> bool:
    """A handler must be an active member of the organ or one of its units."""
    return Membership.objects.filter(
        user_id=getattr(user, "pk", user),
        user__is_active=True,
        department__path__startswith=organ.path,
    ).exists()


def _text(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    return "" if value is None else str(value).strip()


def _count(value: Any, field: str, label: str) -> int:
    if value in (None, ""):
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ActionError(_("%(f)s须为整数") % {"f": label}, field=field) from None
    if not 0 <= number <= 10_000_000:
        raise ActionError(_("%(f)s须在 0–10000000 之间") % {"f": label}, field=field)
    return number


def _date(value: Any, field: str, label: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ActionError(_("%(f)s须为日期（如 2026-10-01）") % {"f": label}, field=field) from None


def _amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise ActionError(_("涉案金额须为数字"), field="amount") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e14"):
        raise ActionError(_("涉案金额须在 0 至 100000000000000 元之间"), field="amount")
    return amount.quantize(Decimal("0.01"))


def _codes(section: Any, values: Mapping[str, Any], field: str, label: str) -> str:
    raw = values.get(field) or []
    items = CODE_SPLIT.split(raw) if isinstance(raw, str) else list(raw)
    known = options_of(section, field)
    by_label = {v: k for k, v in known.items()}
    codes: list[str] = []
    for item in items:
        item = str(item).strip()
        if not item:
            continue
        code = item if item in known else by_label.get(item)
        if code is None:
            raise ActionError(
                _("%(f)s“%(v)s”不在方案中，可选：%(all)s")
                % {"f": label, "v": item, "all": "、".join(known.values()) or "—"},
                field=field,
            )
        codes.append(code)
    return encode_codes(codes)


def check_case_values(
    profile: OrganProfile,
    values: Mapping[str, Any],
    *,
    case: Case | None = None,
    section: Any = None,
    in_bulk: bool = False,
) -> dict[str, Any]:
    """The case fields of a form, the API body or an import row, checked against the
    organ's scheme; returns model values (handler as a User or None). ActionError names the
    field. With `in_bulk` (the import) no query runs: the import resolves the handler and
    checks 案号 against the whole file and the organ's cases itself."""
    section = section or profile.scheme().cases
    out: dict[str, Any] = {}
    number = _text(values, "number")
    if not number or len(number) > 80:
        raise ActionError(_("请填写案号（不超过 80 字）"), field="number")
    out["number"] = number
    title = _text(values, "title")
    if not title or len(title) > 200:
        raise ActionError(_("请填写案件名称（不超过 200 字）"), field="title")
    out["title"] = title
    categories = options_of(section, "category")
    category = _text(values, "category")
    category = {v: k for k, v in categories.items()}.get(category, category)
    if category not in categories:
        raise ActionError(
            _("案件类别须为：%(c)s") % {"c": "、".join(categories.values())}, field="category"
        )
    out["category"] = category
    handler = values.get("handler")
    if in_bulk or handler in ("", None):
        out["handler"] = None
    else:
        if not isinstance(handler, User):
            handler = User.objects.filter(pk=handler).first() if str(handler).isdigit() else None
        if handler is None or not handler_allowed(profile.department, handler):
            raise ActionError(
                _("承办人须为“%(o)s”（或其内设机构）的在职人员") % {"o": profile.department.name},
                field="handler",
            )
        out["handler"] = handler
    out["accepted_on"] = _date(values.get("accepted_on"), "accepted_on", _("受理日期"))
    if out["accepted_on"] and out["accepted_on"] > timezone.localdate():
        raise ActionError(_("受理日期不能晚于今天"), field="accepted_on")
    out["amount"] = _amount(values.get("amount"))
    out["parties"] = _text(values, "parties")[:5000]
    out["party_count"] = _count(values.get("party_count"), "party_count", _("当事人人数"))
    out["involved_count"] = _count(values.get("involved_count"), "involved_count", _("涉案人数"))
    out["vulnerable_groups"] = _codes(section, values, "vulnerable_groups", _("弱势群体"))
    out["coercive_measures"] = _codes(
        section, values, "coercive_measures", _("查封、扣押、冻结措施")
    )
    for marker in MARKERS:
        out[marker] = bool(values.get(marker))
    out["brief_facts"] = _text(values, "brief_facts")[:20000]
    if in_bulk:
        return out
    clash = Case.objects.filter(organ_id=profile.department_id, number=number)
    if case is not None:
        clash = clash.exclude(pk=case.pk)
    if clash.exists():
        raise ActionError(_("本单位已有案号为“%(n)s”的案件") % {"n": number}, field="number")
    return out


def revision_value(value: Any) -> Any:
    """A field value as a CaseRevision stores it (JSON; a handler by username)."""
    if isinstance(value, User):
        return value.username
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _handler_name(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return User.objects.filter(pk=user_id).values_list("username", flat=True).first()


def _unmark_allowed(actor: Any, case: Case, values: Mapping[str, Any]) -> None:
    """Clearing the 重大、疑难、复杂 marker takes the organ's leader: it opens the gate."""
    if (
        case.major_complex
        and not values["major_complex"]
        and not access.can_change_under(actor, case.organ.path, LEADING_ROLES)
    ):
        raise ActionError(
            _("取消“重大、疑难、复杂”标记须由分管领导、主要负责人或系统管理员操作"),
            field="major_complex",
        )


# ---------------------------------------------------------------- cases


@transaction.atomic
def do_create_case(
    actor: Any,
    organ: Department,
    *,
    stage: str = "",
    source: str = StageSource.PAGE,
    **values: Any,
) -> Case:
    """Register a case of the organ at `stage` (its first stage by default). A case may not
    be registered past a gate the gate would refuse (a 重大、疑难、复杂 case at 裁决)."""
    if not can_work_in(actor, organ):
        raise PermissionDenied(_("您在“%(o)s”没有登记案件的权限") % {"o": organ.name})
    profile = OrganProfile.objects.select_related("department").filter(department=organ).first()
    if profile is None:
        raise ActionError(_("该政法单位尚未设置办案风险评估"))
    kind = profile.kind()
    clean = check_case_values(profile, values)
    stage = stage or kind.stages[0].code
    case = Case(organ=organ, stage="", **clean)
    refusal = case.stage_refusal(kind, stage)
    if refusal:
        raise ActionError(refusal, field="stage")
    case.stage = stage
    case.stage_since = timezone.localdate()
    case.stamp_terms(vocabulary_for(profile))
    case.save()
    StageChange.objects.create(
        case=case,
        from_stage="",
        to_stage=stage,
        gate=kind.stage(stage).gate or "",  # type: ignore[union-attr]
        source=source,
        changed_by=actor,
    )
    record(actor, "cases.case.create", case, after=snapshot(case, Case.audit_fields))
    return case


@transaction.atomic
def do_update_case(
    actor: Any,
    case: Case,
    *,
    version: int | None = None,
    source: str = StageSource.PAGE,
    **values: Any,
) -> Case:
    """Change a case's fields (not its stage: `do_move_stage`); writes a CaseRevision
    {field: [old, new]} of what changed."""
    access.require(actor, case, "change")
    case = lock(case, version, related=("organ", "handler"))
    profile = profile_of(case)
    merged = {f: values[f] if f in values else _current(case, f) for f in CASE_FIELDS}
    clean = check_case_values(profile, merged, case=case)
    _unmark_allowed(actor, case, clean)
    before = snapshot(case, Case.audit_fields)
    changes: dict[str, list[Any]] = {}
    for field, new in clean.items():
        old = case.handler if field == "handler" else getattr(case, field)
        if _norm(old) != _norm(new):
            changes[field] = [revision_value(old), revision_value(new)]
            setattr(case, field, new)
    if not changes:
        return case
    case.stamp_terms(vocabulary_for(profile))
    CaseRevision.objects.create(case=case, changes=changes, source=source, changed_by=actor)
    save_and_record(actor, "cases.case.update", case, before=before)
    return case


def _current(case: Case, field: str) -> Any:
    if field == "handler":
        return case.handler
    if field in ("vulnerable_groups", "coercive_measures"):
        return decode_codes(getattr(case, field))
    return getattr(case, field)


def _norm(value: Any) -> Any:
    if isinstance(value, User):
        return value.pk
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    return value


def stage_options(profile: OrganProfile, case: Case) -> list[dict[str, Any]]:
    """The organ's stages as the move form shows them: each with the gate's refusal (the
    same text the action raises), so a page disables what the action would refuse."""
    kind = profile.kind()
    return [
        {
            "code": s.code,
            "label": s.label,
            "gate": s.gate or "",
            "current": s.code == case.stage,
            "refusal": "" if s.code == case.stage else (case.stage_refusal(kind, s.code) or ""),
        }
        for s in kind.stages
    ]


@transaction.atomic
def do_move_stage(
    actor: Any,
    case: Case,
    *,
    to_stage: str,
    version: int | None = None,
    note: str = "",
    source: str = StageSource.PAGE,
    on: dt.date | None = None,
) -> Case:
    """Move the case to another stage of its organ, through the gate (篇4 二1–3)."""
    access.require(actor, case, "change")
    case = lock(case, version, related=("organ",))
    profile = profile_of(case)
    kind = profile.kind()
    to_stage = (to_stage or "").strip()
    if source not in StageSource.values:
        raise ActionError(_("未知的来源"), field="source")
    if to_stage == case.stage:
        stage = kind.stage(to_stage)
        raise ActionError(
            _("本案已处于“%(s)s”阶段") % {"s": stage.label if stage else to_stage},
            field="to_stage",
        )
    refusal = case.stage_refusal(kind, to_stage)
    if refusal:
        raise ActionError(refusal, field="to_stage")
    note = (note or "").strip()
    if len(note) > 300:
        raise ActionError(_("说明不超过 300 字"), field="note")
    before = snapshot(case, Case.audit_fields)
    old = case.stage
    since = on or timezone.localdate()
    StageChange.objects.create(
        case=case,
        from_stage=old,
        to_stage=to_stage,
        gate=kind.stage(to_stage).gate or "",  # type: ignore[union-attr]
        source=source,
        changed_by=actor,
        note=note,
    )
    case.stage, case.stage_since = to_stage, since
    save_and_record(actor, "cases.case.stage", case, "stage", "stage_since", before=before)
    return case


# ---------------------------------------------------------------- petitions


def check_petition_values(values: Mapping[str, Any]) -> dict[str, Any]:
    date = _date(values.get("date"), "date", _("信访日期"))
    if date is None:
        raise ActionError(_("请填写信访日期"), field="date")
    if date > timezone.localdate():
        raise ActionError(_("信访日期不能晚于今天"), field="date")
    kind = _text(values, "kind") or PetitionKind.INDIVIDUAL
    labels = {str(label): code for code, label in PetitionKind.choices}
    kind = labels.get(kind, kind)
    if kind not in PetitionKind.values:
        raise ActionError(
            _("信访形式须为：%(k)s") % {"k": "、".join(labels)},
            field="kind",
        )
    persons = _count(values.get("persons") or 1, "persons", _("人数"))
    if persons < 1:
        raise ActionError(_("人数至少为 1"), field="persons")
    content = _text(values, "content")
    if len(content) > 5000:
        raise ActionError(_("诉求内容不超过 5000 字"), field="content")
    return {"date": date, "kind": kind, "persons": persons, "content": content}


@transaction.atomic
def do_record_petition(actor: Any, case: Case, **values: Any) -> Petition:
    access.require(actor, case, "change")
    case = lock(case, related=("organ",))
    petition = Petition.objects.create(
        case=case, recorded_by=actor, **check_petition_values(values)
    )
    record(
        actor,
        "cases.petition.record",
        petition,
        after={"case": case.number, **snapshot(petition, Petition.audit_fields)},
    )
    return petition


@transaction.atomic
def do_delete_petition(actor: Any, petition: Petition) -> None:
    access.require(actor, petition, "change")
    petition = (
        Petition.objects.select_for_update(of=("self",))
        .select_related("case__organ")
        .get(pk=petition.pk)
    )
    before = {"case": petition.case.number, **snapshot(petition, Petition.audit_fields)}
    record(actor, "cases.petition.delete", petition, before=before)
    petition.delete()
