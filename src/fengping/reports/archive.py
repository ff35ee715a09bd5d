"""专项工作档案 as one ZIP: every archive document of an assessment, with an index
(目录.csv in UTF-8 with BOM, so Excel opens it; 目录.txt for reading) that lists each
file's SHA-256, so the receiving office can check nothing was changed."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import zipfile
from typing import IO, Any

from django.utils import timezone

from fengping.assessments.models import ArchiveDocument, Assessment
from fengping.audit.chain import anchor_text
from fengping.core.xlsx import safe_cell

from .actions import safe_name
from .context import cn_date

HEADER = ["序号", "材料名称", "文件名", "所属步骤", "上传人", "上传时间", "SHA-256"]


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


def archive_rows(assessment: Assessment) -> list[dict[str, Any]]:
    steps = {s.code: s.label for s in assessment.scheme.procedure.steps}
    docs = ArchiveDocument.objects.filter(assessment=assessment).select_related("uploaded_by")
    used: set[str] = {"目录.csv", "目录.txt"}
    rows = []
    for n, doc in enumerate(docs.order_by("uploaded_at", "id"), 1):
        at = timezone.localtime(doc.uploaded_at)
        rows.append(
            {
                "doc": doc,
                "no": n,
                "title": doc.title,
                "filename": _unique(f"{n:03d}-{safe_name(doc.name)}", used),
                "step": steps.get(doc.step_code, doc.step_code),
                "uploader": doc.uploaded_by.real_name or doc.uploaded_by.username,
                "uploaded_at": f"{cn_date(at)} {at:%H:%M}",
                "sha256": doc.sha256,
            }
        )
    return rows


def _index_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for r in rows:
        # Neutralise spreadsheet formulas: a title starting with = + - @ is text, not code.
        cells = [r["no"], r["title"], r["filename"], r["step"], r["uploader"], r["uploaded_at"]]
        cells = [safe_cell(c) for c in cells]
        writer.writerow([*cells, r["sha256"]])
    return out.getvalue().encode("utf-8-sig")


def _index_txt(assessment: Assessment, rows: list[dict[str, Any]]) -> bytes:
    lines = [
        f"{assessment.matter.title} 社会稳定风险评估专项工作档案",
        f"导出时间：{cn_date(timezone.now())} {timezone.localtime():%H:%M}    共 {len(rows)} 份材料",
        anchor_text(),
        "",
    ]
    for r in rows:
        lines += [
            f"{r['no']}. {r['title']}",
            f"   文件名：{r['filename']}",
            f"   所属步骤：{r['step']}    上传人：{r['uploader']}    上传时间：{r['uploaded_at']}",
            f"   SHA-256：{r['sha256']}",
            "",
        ]
    return "\r\n".join(lines).encode("utf-8-sig")


def build_archive_zip(assessment: Assessment) -> IO[bytes]:
    """The ZIP in a temporary file (rewound): files are copied in chunks, so a large
    archive never sits in memory. The caller streams and closes it."""
    rows = archive_rows(assessment)
    tmp = tempfile.TemporaryFile(suffix=".zip")  # noqa: SIM115 - handed to the response
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("目录.csv", _index_csv(rows))
        z.writestr("目录.txt", _index_txt(assessment, rows))
        for r in rows:
            with r["doc"].file.open("rb") as src, z.open(r["filename"], "w") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
    tmp.seek(0)
    return tmp
