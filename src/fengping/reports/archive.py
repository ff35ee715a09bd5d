"""专项工作档案 as one ZIP: every document of the matter's assessment — the archived
documents (plan, generated reports with their version, filings' papers …), the
consultation (each activity's minutes and attachments, the questionnaires' results,
comments and replies as XLSX), the reviews, the decision and the filings — with an
index (目录.csv in UTF-8 with BOM, so Excel opens it; 目录.txt for reading) that lists
every file's SHA-256, so the receiving office can check nothing was changed."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from fengping.assessments.models import ArchiveDocument, Assessment, Decision
from fengping.audit.chain import anchor_text
from fengping.core.listing import export_rows
from fengping.core.xlsx import safe_cell, write_workbook
from fengping.opinions.lists import ACTIVITIES, COMMENTS, RESPONSES
from fengping.opinions.models import Activity, ResponseTally

from .actions import safe_name
from .context import cn_date

HEADER = [
    "序号",
    "类别",
    "材料名称",
    "文件名",
    "所属步骤",
    "上传人",
    "上传时间",
    "状态",
    "SHA-256",
]
INDEX_NAMES = ("目录.csv", "目录.txt")
EXPORT_CAP = 100_000


@dataclass
class Entry:
    """One file of the ZIP: its index row and where its bytes come from."""

    category: str
    title: str
    filename: str
    step: str = ""
    uploader: str = ""
    uploaded_at: str = ""
    status: str = ""
    sha256: str = ""
    data: bytes | None = None  # generated now
    open: Callable[[], IO[bytes]] | None = None  # a stored file


def _unique(name: str, used: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 2
    while candidate.lower() in used:
        candidate = f"{stem}（{n}）{'.' + ext if ext else ''}"
        n += 1
    used.add(candidate.lower())
    return candidate


def _person(user: Any) -> str:
    return (user.real_name or user.username) if user is not None else ""


def _at(value: Any) -> str:
    at = timezone.localtime(value)
    return f"{cn_date(at)} {at:%H:%M}"


def _report_status(doc: ArchiveDocument, a: Assessment) -> str:
    if not doc.generated or not doc.report_version:
        return ""
    current = a.report_is_current() and doc.report_version == a.report_version
    return _("有效") if current else _("已作废（退回）")


def _documents(a: Assessment, steps: dict[str, str]) -> list[Entry]:
    entries = []
    docs = ArchiveDocument.objects.filter(assessment=a).select_related("uploaded_by")
    for n, doc in enumerate(docs.order_by("uploaded_at", "id"), 1):
        entries.append(
            Entry(
                category=_("评估报告") if doc.generated else _("档案材料"),
                title=doc.title,
                filename=f"档案材料/{n:03d}-{safe_name(doc.name)}",
                step=steps.get(doc.step_code, doc.step_code),
                uploader=_person(doc.uploaded_by),
                uploaded_at=_at(doc.uploaded_at),
                status=_report_status(doc, a),
                sha256=doc.sha256,
                open=lambda doc=doc: doc.file.open("rb"),
            )
        )
    return entries


def _activity_text(act: Activity) -> str:
    lines = [
        f"{act.get_kind_display()}  {cn_date(act.date)}",
        f"地点：{act.place or '—'}",
        f"参加人数：{act.participant_count}",
        f"参加人员：{act.participants or '—'}",
        "",
        "主要意见和纪要：",
        act.minutes or "—",
    ]
    names = [att.name for att in act.attachments.all()]
    if names:
        lines += ["", "附件：" + "、".join(names)]
    return "\r\n".join(lines)


def _activities(a: Assessment) -> list[Entry]:
    entries = []
    acts = (
        Activity.objects.filter(matter=a.matter)
        .select_related("created_by")
        .prefetch_related("attachments__uploaded_by")
        .order_by("date", "id")
    )
    for n, act in enumerate(acts, 1):
        folder = f"征求意见/活动/{n:02d}-{safe_name(act.get_kind_display())}-{act.date:%Y%m%d}"
        label = f"{act.get_kind_display()}（{cn_date(act.date)}）"
        entries.append(
            Entry(
                category=_("征求意见活动"),
                title=_("%(a)s纪要") % {"a": label},
                filename=f"{folder}/纪要.txt",
                uploader=_person(act.created_by),
                uploaded_at=_at(act.created_at),
                data=_activity_text(act).encode("utf-8-sig"),
            )
        )
        for m, att in enumerate(act.attachments.all(), 1):
            entries.append(
                Entry(
                    category=_("征求意见活动"),
                    title=_("%(a)s附件：%(n)s") % {"a": label, "n": att.name},
                    filename=f"{folder}/{m:02d}-{safe_name(att.name)}",
                    uploader=_person(att.uploaded_by),
                    uploaded_at=_at(att.uploaded_at),
                    sha256=att.sha256,
                    open=lambda att=att: att.file.open("rb"),
                )
            )
    return entries


def _rows(spec: Any, user: Any, parent: Any) -> list[list[Any]]:
    rows, _more = export_rows(spec, spec.queryset(user, parent).order_by(*spec.order), EXPORT_CAP)
    return list(rows)


def _header(spec: Any) -> list[str]:
    return [str(c.label) for c in spec.columns if c.export]


def _consultation_xlsx(a: Assessment, user: Any) -> bytes | None:
    """The questionnaires' results (a summary by group and stance, then every answer
    sheet), the activities and the comments with their replies, in one workbook."""
    matter = a.matter
    questionnaires = list(matter.questionnaires.order_by("id"))
    summary = []
    counts = (
        ResponseTally.objects.filter(questionnaire__matter=matter, count__gt=0)
        .order_by()
        .values("questionnaire_id", "group", "stance")
        .annotate(n=Sum("count"))
    )
    table: dict[tuple[int, str], dict[str, int]] = {}
    for row in counts:
        cell = table.setdefault((row["questionnaire_id"], row["group"]), {})
        cell[row["stance"]] = cell.get(row["stance"], 0) + row["n"]
    titles = {qn.pk: qn.title for qn in questionnaires}
    for (qn_id, group), c in sorted(table.items()):
        total = sum(c.values())
        summary.append(
            [
                titles.get(qn_id, qn_id),
                group or _("未分组"),
                total,
                c.get("support", 0),
                c.get("oppose", 0),
                c.get("neutral", 0),
                total - c.get("support", 0) - c.get("oppose", 0) - c.get("neutral", 0),
            ]
        )
    sheets: list[tuple[str, list[str], list[list[Any]]]] = [
        (
            _("问卷结果汇总"),
            [_("问卷"), _("受访群体"), _("答卷数"), _("支持"), _("反对"), _("中立"), _("未表态")],
            summary,
        )
    ]
    for n, qn in enumerate(questionnaires, 1):
        sheets.append((f"{n}-{qn.title}"[:31], _header(RESPONSES), _rows(RESPONSES, user, qn)))
    sheets.append((str(ACTIVITIES.title), _header(ACTIVITIES), _rows(ACTIVITIES, user, matter)))
    sheets.append((str(COMMENTS.title), _header(COMMENTS), _rows(COMMENTS, user, matter)))
    if not questionnaires and not any(rows for _t, _h, rows in sheets):
        return None
    return write_workbook(sheets)


def _procedure_text(a: Assessment) -> str:
    """The reviews (void ones marked), the decision and the filings."""
    stages = {
        stage.code: f"{stage.actor}{stage.action}"
        for step in a.scheme.procedure.steps
        for stage in step.review_chain
    }
    lines = [f"{a.matter.title} 审查、决定和备案情况", ""]
    lines.append("一、审查")
    reviews = list(a.reviews.select_related("reviewer").order_by("at", "id"))
    for r in reviews:
        version = f"第{r.report_version}版报告" if r.report_version else ""
        void = f"  【已作废：{r.void_reason}】" if r.voided_at else ""
        lines.append(
            f"第{r.round}轮 {stages.get(r.stage, r.stage)} {version} "
            f"{_person(r.reviewer)} {r.get_result_display()} {_at(r.at)}{void}"
        )
        lines.append(f"   审查意见：{r.opinion}")
    if not reviews:
        lines.append("（无）")
    lines += ["", "二、决定"]
    d = Decision.objects.filter(assessment=a).first()
    if d is None:
        lines.append("（尚未作出决定）")
    else:
        lines.append(
            f"{d.authority}于{cn_date(d.decided_on)}作出“{d.outcome_label}”的决定，文号：{d.doc_no}。"
        )
        if d.note:
            lines.append(f"   说明：{d.note}")
    for later in a.later_decisions.order_by("decided_on", "id"):
        lines.append(
            f"{later.authority}于{cn_date(later.decided_on)}作出新的决定“{later.outcome_label}”，"
            f"文号：{later.doc_no}。理由：{later.reason}"
        )
    lines += ["", "三、备案"]
    filings = list(a.filings.select_related("office", "acknowledged_by").order_by("filed_on", "id"))
    for f in filings:
        note = f"（{f.note}）" if f.note else ""
        late = f"（逾期备案，原因：{f.late_reason}）" if f.late else ""
        ack = (
            f"{_person(f.acknowledged_by)}于{_at(f.acknowledged_at)}签收"
            if f.acknowledged_by
            else "尚未签收"
        )
        lines.append(f"{cn_date(f.filed_on)}报{f.office.name}备案{note}{late}；{ack}")
    if not filings:
        lines.append("（无）")
    surveys = list(a.surveys.order_by("held_on", "id"))
    if surveys:
        lines += ["", "四、跟踪调查"]
        for v in surveys:
            lines.append(
                f"{cn_date(v.held_on)}（{v.method}）：支持 {v.support} 人、反对 {v.oppose} 人、"
                f"中立 {v.neutral} 人、未表态 {v.no_stance} 人"
            )
    return "\r\n".join(lines)


def archive_entries(assessment: Assessment, user: Any) -> list[Entry]:
    """Every file of the ZIP, numbered, with unique names and each one's SHA-256."""
    a = assessment
    steps = {s.code: s.label for s in a.scheme.procedure.steps}
    entries = _documents(a, steps) + _activities(a)
    consultation = _consultation_xlsx(a, user)
    if consultation is not None:
        entries.append(
            Entry(
                category=_("征求意见"),
                title=_("问卷结果、征求意见活动和意见建议（XLSX）"),
                filename="征求意见/问卷结果和意见建议.xlsx",
                data=consultation,
            )
        )
    entries.append(
        Entry(
            category=_("审查、决定和备案"),
            title=_("审查、决定和备案情况"),
            filename="审查、决定和备案情况.txt",
            data=_procedure_text(a).encode("utf-8-sig"),
        )
    )
    used: set[str] = {n.lower() for n in INDEX_NAMES}
    for e in entries:
        e.filename = _unique(e.filename, used)
        if e.data is not None:
            e.sha256 = hashlib.sha256(e.data).hexdigest()
    return entries


def _row(n: int, e: Entry) -> dict[str, Any]:
    return {
        "no": n,
        "category": e.category,
        "title": e.title,
        "filename": e.filename,
        "step": e.step,
        "uploader": e.uploader,
        "uploaded_at": e.uploaded_at,
        "status": e.status,
        "sha256": e.sha256,
    }


def archive_rows(assessment: Assessment, user: Any = None) -> list[dict[str, Any]]:
    """The index rows, in the ZIP's order."""
    return [_row(n, e) for n, e in enumerate(archive_entries(assessment, user), 1)]


def _index_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    keys = ["no", "category", "title", "filename", "step", "uploader", "uploaded_at", "status"]
    for r in rows:
        # Neutralise spreadsheet formulas: a title starting with = + - @ is text, not code.
        writer.writerow([*(safe_cell(r[k]) for k in keys), r["sha256"]])
    return out.getvalue().encode("utf-8-sig")


def _index_txt(assessment: Assessment, rows: list[dict[str, Any]]) -> bytes:
    a = assessment
    version = (
        f"现行评估报告：第{a.report_version}版" if a.report_is_current() else "现行评估报告：无"
    )
    lines = [
        f"{a.matter.title} 社会稳定风险评估专项工作档案",
        f"导出时间：{cn_date(timezone.now())} {timezone.localtime():%H:%M}    共 {len(rows)} 份材料    {version}",
        anchor_text(),
        "",
    ]
    for r in rows:
        status = f"    状态：{r['status']}" if r["status"] else ""
        lines += [
            f"{r['no']}. [{r['category']}] {r['title']}",
            f"   文件名：{r['filename']}",
        ]
        if r["step"] or r["uploader"]:
            lines.append(
                f"   所属步骤：{r['step'] or '—'}    上传人：{r['uploader'] or '—'}    "
                f"上传时间：{r['uploaded_at'] or '—'}{status}"
            )
        lines += [f"   SHA-256：{r['sha256']}", ""]
    return "\r\n".join(lines).encode("utf-8-sig")


def build_archive_zip(assessment: Assessment, user: Any = None) -> IO[bytes]:
    """The ZIP in a temporary file (rewound): stored files are copied in chunks, so a
    large archive never sits in memory. The caller streams and closes it."""
    entries = archive_entries(assessment, user)
    rows = [_row(n, e) for n, e in enumerate(entries, 1)]
    tmp = tempfile.TemporaryFile(suffix=".zip")  # noqa: SIM115 - handed to the response
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("目录.csv", _index_csv(rows))
        z.writestr("目录.txt", _index_txt(assessment, rows))
        for e in entries:
            if e.data is not None:
                z.writestr(e.filename, e.data)
                continue
            assert e.open is not None
            with e.open() as src, z.open(e.filename, "w") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
    tmp.seek(0)
    return tmp
