"""A case list (the export of a case-management system) imported into one organ, all or
nothing; re-importing updates the cases by 案号.

Sheet 案件 (a CSV is this sheet): one row per case, columns `IMPORT_FIELDS`; categories,
stages, measures and groups as the scheme's Chinese labels or codes; markers 是/否; the
handler by username or real name of a member of the organ (or its units). The organ's
saved column mapping renames its system's headers to ours before the columns are matched.
Sheet 信访记录 (optional): 案号, 信访日期, 信访形式, 人数, 诉求内容; a petition already
recorded (same case, date, form, persons and content) is not added twice.

Refused whole, each naming its row: a 案号 twice in the file; an unknown category, stage,
measure or group; a handler who is not a member; a stage change the gate forbids (every
such row is named, quoting 凡经风险评估的案件，风险未化解的不得裁决). On re-import a blank
optional cell keeps the stored value; a case that changed gets one CaseRevision
{field: [old, new]} and, when its stage moved, a StageChange from the import. One audit
event `cases.case.import` for the whole import.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record
from fengping.core.errors import ActionError
from fengping.core.imports import (
    CleanRow,
    Column,
    Importer,
    RowError,
    RowInvalid,
    Sheet,
    run_import,
    run_import_job,
    text,
)
from fengping.core.models import ImportRecord, ImportStatus
from fengping.org.models import Membership, User

from .actions.cases import (
    IMPORT_FIELDS,
    LEADING_ROLES,
    MARKERS,
    PETITION_FIELDS,
    can_work_in,
    check_case_values,
    check_petition_values,
    options_of,
    revision_value,
)
from .models import (
    Case,
    CaseRevision,
    OrganProfile,
    Petition,
    PetitionKind,
    StageChange,
    StageSource,
)
from .terms import vocabulary_for

CASE_SHEET = "案件"
PETITION_SHEET = "信访记录"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_YES = {"是", "y", "yes", "true", "1", "√", "有"}
_NO = {"否", "n", "no", "false", "0", "×", "无"}
CHUNK = 500
PRELOAD = 50_000
STATE = ("number", "stage", "risk_open", "assessed", "confirmation_needed", "major_complex")
# Fields a row updates only when its cell is filled (blank keeps the stored value).
OPTIONAL = (
    "handler",
    "accepted_on",
    "amount",
    "parties",
    "party_count",
    "involved_count",
    "vulnerable_groups",
    "coercive_measures",
    *MARKERS,
    "brief_facts",
)
UPDATED = (
    "title",
    "category",
    "handler_id",
    "accepted_on",
    "amount",
    "parties",
    "party_count",
    "involved_count",
    "vulnerable_groups",
    "coercive_measures",
    *MARKERS,
    "brief_facts",
)


def cell_text(value: Any) -> str:
    raw = text(value)
    if raw.startswith("'") and raw[1:].startswith(_FORMULA_START):
        return raw[1:]
    return raw


def marker(value: Any) -> bool:
    raw = cell_text(value).lower()
    if raw in _YES:
        return True
    if raw in _NO:
        return False
    raise ValueError(_("须为“是”或“否”"))


def date_cell(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raw = cell_text(value)
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s.*)?", raw)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            pass
    raise ValueError(_("“%(v)s”不是日期（如 2026-10-01）") % {"v": raw})


def count_cell(value: Any) -> int:
    raw = cell_text(value)
    try:
        number = int(Decimal(raw))
    except Exception:
        raise ValueError(_("“%(v)s”不是整数") % {"v": raw}) from None
    if not 0 <= number <= 10_000_000 or Decimal(raw) != number:
        raise ValueError(_("须为 0–10000000 的整数"))
    return number


def amount_cell(value: Any) -> str:
    raw = cell_text(value).replace(",", "").replace("，", "")
    try:
        amount = Decimal(raw)
    except Exception:
        raise ValueError(_("“%(v)s”不是金额") % {"v": raw}) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e14"):
        raise ValueError(_("须在 0 至 100000000000000 元之间"))
    return str(amount.quantize(Decimal("0.01")))


def _pattern(ours: str, theirs: list[str]) -> str:
    if not theirs:
        return ""
    names = [ours, *theirs]
    return "^(?:" + "|".join(re.escape(n) for n in names) + r")\Z"


class CaseImporter(Importer):
    title = gettext_lazy("案件清单")
    action = "cases.case.import"
    recorder = staticmethod(record)
    formats = ("xlsx", "csv")
    first_sheet_fallback = False
    max_rows = 100_000
    writes = (Case, CaseRevision, StageChange, Petition)

    def __init__(self, profile: OrganProfile) -> None:
        self.profile = profile
        self.organ = profile.department
        self.section = profile.scheme().cases
        self.kind = profile.kind()
        self.template_filename = f"fengping-cases-{self.organ.code or self.organ.pk}.xlsx"
        self.sheets = self._sheets()

    @classmethod
    def for_record(cls, record: ImportRecord) -> CaseImporter:
        return cls(OrganProfile.objects.select_related("department").get(pk=record.target_id))

    # ------------------------------------------------------------ declaration

    def _stage(self, value: Any) -> str:
        raw = cell_text(value)
        for s in self.kind.stages:
            if raw in (s.code, s.label):
                return s.code
        raise ValueError(
            _("未知的办理阶段“%(v)s”，%(k)s的阶段为：%(all)s")
            % {"v": raw, "k": self.kind.label, "all": "、".join(s.label for s in self.kind.stages)}
        )

    def _sheets(self) -> tuple[Sheet, ...]:
        mapped: dict[str, list[str]] = {}
        for header, field in (self.profile.column_mapping or {}).items():
            mapped.setdefault(field, []).append(header)
        cats = "、".join(options_of(self.section, "category").values())
        stages = "、".join(s.label for s in self.kind.stages)
        groups = "、".join(options_of(self.section, "vulnerable_groups").values())
        measures = "、".join(options_of(self.section, "coercive_measures").values())
        spec: list[tuple[str, str, bool, Any, Any]] = [
            ("number", _("本单位内唯一；再次导入时按它更新已有案件"), True, cell_text, "（2026）示刑初1号"),
            ("title", _("必填，不超过 200 字"), True, cell_text, "张某某故意伤害案"),
            ("category", _("可填：%(c)s") % {"c": cats}, True, cell_text, "刑事"),
            ("stage", _("可填：%(s)s；进入裁决/决定、结案须通过风险评估关口") % {"s": stages},
             True, self._stage, self.kind.stages[0].label),
            ("stage_since", _("日期；留空为导入当天（阶段变化时）"), False, date_cell, None),
            ("handler", _("本单位人员的用户名或姓名"), False, cell_text, ""),
            ("accepted_on", _("日期，如 2026-10-01"), False, date_cell, "2026-10-01"),
            ("amount", _("元，可含两位小数"), False, amount_cell, None),
            ("parties", _("当事人及涉案人员情况"), False, cell_text, ""),
            ("party_count", _("整数"), False, count_cell, 2),
            ("involved_count", _("整数"), False, count_cell, 2),
            ("vulnerable_groups", _("可填多个，以顿号分隔：%(g)s") % {"g": groups}, False, cell_text, ""),
            ("coercive_measures", _("可填多个，以顿号分隔：%(m)s") % {"m": measures}, False, cell_text, ""),
            ("public_attention", _("是/否"), False, marker, "否"),
            ("socially_sensitive", _("是/否"), False, marker, "否"),
            ("officer_misconduct", _("是/否"), False, marker, "否"),
            ("major_complex", _("是/否"), False, marker, "否"),
            ("brief_facts", _("简要案情"), False, cell_text, ""),
        ]  # fmt: skip
        case_columns = tuple(
            Column(
                IMPORT_FIELDS[key],
                help_,
                required,
                parser,
                key,
                example,
                pattern=_pattern(IMPORT_FIELDS[key], mapped.get(key, [])),
            )
            for key, help_, required, parser, example in spec
        )
        kinds = "、".join(str(label) for _c, label in PetitionKind.choices)
        petition_columns = (
            Column(PETITION_FIELDS["p_number"], _("须为本文件或本单位已有的案号"), True, cell_text, "p_number", "（2026）示刑初1号"),
            Column(PETITION_FIELDS["p_date"], _("日期"), True, date_cell, "p_date", "2026-10-08"),
            Column(PETITION_FIELDS["p_kind"], _("可填：%(k)s；留空为个人信访") % {"k": kinds}, False, cell_text, "p_kind", str(PetitionKind.INDIVIDUAL.label)),
            Column(PETITION_FIELDS["p_persons"], _("整数，至少 1；留空为 1"), False, count_cell, "p_persons", 1),
            Column(PETITION_FIELDS["p_content"], _("诉求内容"), False, cell_text, "p_content", ""),
        )  # fmt: skip
        return (
            Sheet(CASE_SHEET, case_columns),
            Sheet(PETITION_SHEET, petition_columns, required=False),
        )

    # ------------------------------------------------------------ checks

    def authorize(self, actor: Any) -> None:
        if not can_work_in(actor, self.organ):
            raise PermissionDenied(_("您在“%(o)s”没有导入案件的权限") % {"o": self.organ.name})

    def scope_path(self, actor: Any) -> str:
        return str(self.organ.path)

    def target_id(self) -> int | None:
        return self.profile.pk

    def audit_extra(self) -> dict[str, Any]:
        return {"organ": self.organ.code or self.organ.name}

    def start(self, actor: Any) -> None:
        from fengping.org import access

        self.leading = access.can_change_under(actor, self.organ.path, LEADING_ROLES)
        # number -> (stage, risk_open, assessed, confirmation_needed, major_complex): read
        # at once for an organ of ordinary size, else row by row on the unique index (a
        # million cases held in memory would cost the worker hundreds of megabytes).
        cases = Case.objects.filter(organ=self.organ)
        self.preloaded = cases.count() <= PRELOAD
        self.existing: dict[str, tuple[str, bool, bool, bool, bool]] = {}
        if self.preloaded:
            self.existing = {
                row[0]: row[1:] for row in cases.values_list(*STATE).iterator(chunk_size=2000)
            }
        self.usernames: dict[str, int] = {}
        self.real_names: dict[str, set[int]] = {}
        for uid, username, real_name in Membership.objects.filter(
            department__path__startswith=self.organ.path, user__is_active=True
        ).values_list("user_id", "user__username", "user__real_name"):
            self.usernames[username] = uid
            if real_name:
                self.real_names.setdefault(real_name, set()).add(uid)
        self.rows: dict[str, int] = {}  # 案号 -> row number in the file

    def clean(self, sheet: Sheet, number: int, values: dict[str, Any]) -> dict[str, Any]:
        if sheet.name == PETITION_SHEET:
            return self._clean_petition(values)
        return self._clean_case(number, values)

    def _existing(self, number: str) -> tuple[str, bool, bool, bool, bool] | None:
        if self.preloaded:
            return self.existing.get(number)
        row = Case.objects.filter(organ=self.organ, number=number).values_list(*STATE[1:]).first()
        return tuple(row) if row is not None else None  # type: ignore[return-value]

    def _handler(self, raw: str) -> int:
        if raw in self.usernames:
            return self.usernames[raw]
        ids = self.real_names.get(raw, set())
        if len(ids) == 1:
            return next(iter(ids))
        if len(ids) > 1:
            raise ValueError(_("本单位有多人名为“%(n)s”，请填用户名") % {"n": raw})
        raise ValueError(
            _("“%(n)s”不是“%(o)s”（或其内设机构）的在职人员") % {"n": raw, "o": self.organ.name}
        )

    def _clean_case(self, number: int, values: dict[str, Any]) -> dict[str, Any]:
        problems: list[tuple[str, str]] = []
        case_number = values["number"]
        if case_number in self.rows:
            raise RowInvalid(
                (IMPORT_FIELDS["number"], _("与第 %(n)s 行重复") % {"n": self.rows[case_number]})
            )
        self.rows[case_number] = number
        try:
            clean = check_case_values(self.profile, values, section=self.section, in_bulk=True)
        except ActionError as exc:
            raise RowInvalid((IMPORT_FIELDS.get(exc.field or "", ""), exc.message)) from None
        handler_id = None
        if values.get("handler"):
            try:
                handler_id = self._handler(values["handler"])
            except ValueError as exc:
                problems.append((IMPORT_FIELDS["handler"], str(exc)))
        stage = values["stage"]
        old = self._existing(case_number)
        mc = clean["major_complex"] if values.get("major_complex") is not None else None
        if old is not None and old[4] and mc is False and not self.leading:
            problems.append(
                (
                    IMPORT_FIELDS["major_complex"],
                    _("取消“重大、疑难、复杂”标记须由分管领导、主要负责人或系统管理员操作"),
                )
            )
        refusal = gate_refusal(self.kind, old, stage, bool(mc))
        if refusal:
            problems.append((IMPORT_FIELDS["stage"], refusal))
        if problems:
            raise RowInvalid(*problems)
        data: dict[str, Any] = {
            "kind": "case",
            "number": case_number,
            "title": clean["title"],
            "category": clean["category"],
            "stage": stage,
            "stage_since": values.get("stage_since"),
        }
        for field in OPTIONAL:
            if field == "handler":
                if handler_id is not None:
                    data["handler_id"] = handler_id
                continue
            if values.get(field) in (None, ""):
                continue
            value = clean[field]
            data[field] = revision_value(value)
        return data

    def _clean_petition(self, values: dict[str, Any]) -> dict[str, Any]:
        case_number = values["p_number"]
        if case_number not in self.rows and self._existing(case_number) is None:
            raise RowInvalid(
                (
                    PETITION_FIELDS["p_number"],
                    _("本单位没有案号为“%(n)s”的案件（也不在“案件”表中）") % {"n": case_number},
                )
            )
        try:
            clean = check_petition_values(
                {
                    "date": values["p_date"],
                    "kind": values.get("p_kind"),
                    "persons": values.get("p_persons"),
                    "content": values.get("p_content"),
                }
            )
        except ActionError as exc:
            column = {"date": "p_date", "kind": "p_kind", "persons": "p_persons"}.get(
                exc.field or "", "p_content"
            )
            raise RowInvalid((PETITION_FIELDS[column], exc.message)) from None
        return {
            "kind": "petition",
            "number": case_number,
            "date": clean["date"].isoformat(),
            "form": clean["kind"],
            "persons": clean["persons"],
            "content": clean["content"],
        }

    # ------------------------------------------------------------ writing

    def commit(self, actor: Any, rows: Iterable[CleanRow]) -> dict[str, int]:
        case_rows: list[CleanRow] = []
        petition_rows: list[dict[str, Any]] = []
        for row in rows:
            if row.data["kind"] == "case":
                case_rows.append(row)
            else:
                petition_rows.append(row.data)
        numbers = [r.data["number"] for r in case_rows]
        fresh: dict[str, Case] = {}
        for i in range(0, len(numbers), CHUNK):
            for case in Case.objects.select_for_update().filter(
                organ=self.organ, number__in=numbers[i : i + CHUNK]
            ):
                fresh[case.number] = case
        # The gate again, on the rows as they are now (an assessment may have started since
        # the file was read): every forbidden row is named, nothing is written.
        refused = []
        for row in case_rows:
            case = fresh.get(row.data["number"])
            old = _state(case) if case is not None else None
            refusal = gate_refusal(
                self.kind, old, row.data["stage"], bool(row.data.get("major_complex"))
            )
            if refusal:
                refused.append(
                    str(RowError(CASE_SHEET, row.number, IMPORT_FIELDS["stage"], refusal))
                )
        if refused:
            raise ActionError(_("导入被拒绝，未写入任何数据：") + "；".join(refused))
        import_record = (
            ImportRecord.objects.filter(
                actor=actor, importer=self.path(), status=ImportStatus.RUNNING
            )
            .order_by("-pk")
            .first()
        )
        today = timezone.localdate()
        self.names = {uid: name for name, uid in self.usernames.items()}
        old_handlers = {c.handler_id for c in fresh.values()} - set(self.names) - {None}
        self.names.update(User.objects.filter(pk__in=old_handlers).values_list("pk", "username"))
        new: list[Case] = []
        updated: list[Case] = []
        revisions: list[CaseRevision] = []
        stage_changes: list[StageChange] = []
        unchanged = 0
        vocabulary = vocabulary_for(self.profile)
        for row in case_rows:
            d = row.data
            since = dt.date.fromisoformat(d["stage_since"]) if d.get("stage_since") else today
            case = fresh.get(d["number"])
            values = _model_values(d)
            if case is None:
                case = Case(organ=self.organ, number=d["number"], stage=d["stage"], **values)
                case.stage_since = since
                case.stamp_terms(vocabulary)
                new.append(case)
                continue
            changes: dict[str, list[Any]] = {}
            for field, value in values.items():
                old = getattr(case, field)
                if _same(old, value):
                    continue
                name = "handler" if field == "handler_id" else field
                changes[name] = [self._revision(field, old), self._revision(field, value)]
                setattr(case, field, value)
            if d["stage"] != case.stage:
                changes["stage"] = [case.stage, d["stage"]]
                stage_changes.append(
                    StageChange(
                        case=case,
                        from_stage=case.stage,
                        to_stage=d["stage"],
                        gate=self.kind.stage(d["stage"]).gate or "",  # type: ignore[union-attr]
                        source=StageSource.IMPORT,
                        changed_by=actor,
                    )
                )
                case.stage = d["stage"]
                if case.stage_since != since:
                    changes["stage_since"] = [revision_value(case.stage_since), since.isoformat()]
                    case.stage_since = since
            if not changes:
                unchanged += 1
                continue
            case.stamp_terms(vocabulary)
            case.version += 1
            case.updated_at = timezone.now()
            updated.append(case)
            revisions.append(
                CaseRevision(
                    case=case,
                    changes=changes,
                    source=StageSource.IMPORT,
                    import_record=import_record,
                    changed_by=actor,
                )
            )
        Case.objects.bulk_create(new, batch_size=CHUNK)
        stage_changes += [
            StageChange(
                case=c,
                from_stage="",
                to_stage=c.stage,
                gate=self.kind.stage(c.stage).gate or "",  # type: ignore[union-attr]
                source=StageSource.IMPORT,
                changed_by=actor,
            )
            for c in new
        ]
        Case.objects.bulk_update(
            updated,
            [*UPDATED, "stage", "stage_since", "version", "updated_at", "terms_mask", "terms_key"],
            batch_size=CHUNK,
        )
        CaseRevision.objects.bulk_create(revisions, batch_size=CHUNK)
        StageChange.objects.bulk_create(stage_changes, batch_size=CHUNK)
        added, skipped = self._commit_petitions(
            actor, petition_rows, {**fresh, **{c.number: c for c in new}}
        )
        counts = {
            "created": len(new),
            "updated": len(updated),
            "unchanged": unchanged,
            "stage_changes": len(stage_changes) - len(new),
            "petitions": added,
        }
        if skipped:
            counts["petitions_skipped"] = skipped
        return counts

    def _commit_petitions(
        self, actor: Any, rows: list[dict[str, Any]], cases: dict[str, Case]
    ) -> tuple[int, int]:
        if not rows:
            return 0, 0
        missing = sorted({r["number"] for r in rows} - set(cases))
        for i in range(0, len(missing), CHUNK):
            for case in Case.objects.filter(organ=self.organ, number__in=missing[i : i + CHUNK]):
                cases[case.number] = case
        ids = {cases[r["number"]].pk for r in rows}
        known = set(
            Petition.objects.filter(case_id__in=ids).values_list(
                "case_id", "date", "kind", "persons", "content"
            )
        )
        new: list[Petition] = []
        skipped = 0
        for r in rows:
            case = cases[r["number"]]
            date = dt.date.fromisoformat(r["date"])
            key = (case.pk, date, r["form"], r["persons"], r["content"])
            if key in known:
                skipped += 1
                continue
            known.add(key)
            new.append(
                Petition(
                    case=case,
                    date=date,
                    kind=r["form"],
                    persons=r["persons"],
                    content=r["content"],
                    recorded_by=actor,
                )
            )
        Petition.objects.bulk_create(new, batch_size=CHUNK)
        return len(new), skipped

    def _revision(self, field: str, value: Any) -> Any:
        if field == "handler_id":
            return self.names.get(value) if value is not None else None
        return revision_value(value)

    @classmethod
    def summary(cls, counts: dict[str, int]) -> str:
        text_ = _(
            "案件：新增 %(c)s 件，更新 %(u)s 件（其中阶段变化 %(s)s 件），未变 %(n)s 件；信访记录：新增 %(p)s 条"
        ) % {
            "c": counts.get("created", 0),
            "u": counts.get("updated", 0),
            "s": counts.get("stage_changes", 0),
            "n": counts.get("unchanged", 0),
            "p": counts.get("petitions", 0),
        }
        if counts.get("petitions_skipped"):
            text_ += _("（%(k)s 条已登记过，未重复导入）") % {"k": counts["petitions_skipped"]}
        return text_


def _state(case: Case) -> tuple[str, bool, bool, bool, bool]:
    return (
        case.stage,
        case.risk_open,
        case.assessed,
        case.confirmation_needed,
        case.major_complex,
    )


def gate_refusal(
    kind: Any, old: tuple[str, bool, bool, bool, bool] | None, to_stage: str, major_complex: bool
) -> str | None:
    """The gate for one import row: the stored case (None: a new one) moving to `to_stage`.
    The 重大、疑难、复杂 marker counts when either the stored case or the row sets it."""
    if old is None:
        probe = Case(stage="", major_complex=major_complex)
    else:
        if old[0] == to_stage:
            return None
        probe = Case(
            stage=old[0],
            risk_open=old[1],
            assessed=old[2],
            confirmation_needed=old[3],
            major_complex=old[4] or major_complex,
        )
    return probe.stage_refusal(kind, to_stage)


def _model_values(d: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {"title": d["title"], "category": d["category"]}
    for field in OPTIONAL:
        key = "handler_id" if field == "handler" else field
        if key not in d:
            continue
        value = d[key]
        if field in ("accepted_on",) and value:
            value = dt.date.fromisoformat(value)
        elif field == "amount" and value is not None:
            value = Decimal(value)
        values[key] = value
    return values


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        if old is None or new is None:
            return old is new
        return Decimal(old).quantize(Decimal("0.01")) == Decimal(new).quantize(Decimal("0.01"))
    return bool(old == new)


# ---------------------------------------------------------------- doors


def import_cases(actor: Any, profile: OrganProfile, upload: Any) -> ImportRecord:
    """Import an uploaded case list into the organ (see CaseImporter)."""
    return run_import(actor, CaseImporter(profile), upload)


def command(args: Any) -> int:
    """`fengping cases import --organ CODE [--user U] FILE`: prints the counts; a refused
    import prints every row error to stderr and exits 1."""
    from .commands import CommandRefused, organ_coded, user_named

    user = user_named(getattr(args, "user", "") or os.environ.get("FENGPING_USER", ""))
    profile = organ_coded(user, args.organ)
    path = Path(args.file)
    if not path.is_file():
        raise CommandRefused(_("文件“%(f)s”不存在") % {"f": path})
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    try:
        result = import_cases(user, profile, upload)
    except PermissionDenied as exc:
        raise CommandRefused(str(exc) or _("无权导入")) from None
    if result.background:
        run_import_job.call(result.pk)
        result.refresh_from_db()
    if result.status != ImportStatus.DONE:
        print(_("导入被拒绝，未写入任何数据："), file=sys.stderr)
        for error in result.errors or []:
            print(str(RowError(**error)), file=sys.stderr)
        more = result.error_count - len(result.errors or [])
        if more > 0:
            print(_("（另有 %(n)s 处错误）") % {"n": more}, file=sys.stderr)
        return 1
    print(CaseImporter.summary(result.counts))
    return 0
