"""Time imports through the one framework (not a test; run by hand).

    FENGPING_DATA_DIR=/tmp/fp-bench-imports .venv/bin/python bench/bench_imports.py [N] [M]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fengping_bench ... (PostgreSQL)

Prints, for each case, the wall time and the peak memory of this process:
1. a 300,000-row XLSX that compresses to a few KB (refused before parsing),
2. a 3,000,000-row one (refused before parsing),
3. a paper-questionnaire CSV (GBK) of N rows (default 50,000) run as a background job,
   with the time of its final transaction (the only time it holds the write lock) apart
   from the reading, checking and staging before it;
4. an organisation import of M users (second argument, default 150) with the production
   password hasher: the hashing happens before the transaction.
"""

from __future__ import annotations

import io
import os
import resource
import sys
import time
import zipfile
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengping.settings")
os.environ.setdefault("FENGPING_DATA_DIR", "/tmp/fp-bench-imports")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from fengping.core.errors import ActionError  # noqa: E402
from fengping.core.imports import run_import, run_import_job  # noqa: E402
from fengping.matters.actions import do_register_matter  # noqa: E402
from fengping.opinions import actions as opinions  # noqa: E402
from fengping.opinions.actions import PaperImporter  # noqa: E402
from fengping.opinions.models import QuestionKind  # noqa: E402
from fengping.org.demo import load_demo  # noqa: E402
from fengping.org.imports import OrgImporter  # noqa: E402
from fengping.org.models import Department, User  # noqa: E402

COMMIT_SECONDS: list[float] = []
ORG_COMMIT_SECONDS: list[float] = []


class TimedOrgImporter(OrgImporter):
    """The org importer, timing its commit (the transaction's body)."""

    def commit(self, actor, rows):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return super().commit(actor, rows)
        finally:
            ORG_COMMIT_SECONDS.append(time.perf_counter() - started)


class TimedPaperImporter(PaperImporter):
    """The paper importer, timing its commit (the transaction's body)."""

    def commit(self, actor, rows):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return super().commit(actor, rows)
        finally:
            COMMIT_SECONDS.append(time.perf_counter() - started)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bomb(rows: int) -> bytes:
    wb = Workbook()
    wb.active.title = "答卷"
    buf = io.BytesIO()
    wb.save(buf)
    row = '<row><c t="inlineStr"><is><t>企业</t></is></c></row>'
    xml = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + row * rows
        + "</sheetData></worksheet>"
    ).encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(buf) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst,
    ):
        for info in src.infolist():
            name = info.filename
            dst.writestr(name, xml if name == "xl/worksheets/sheet1.xml" else src.read(info))
    return out.getvalue()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    call_command("migrate", interactive=False, verbosity=0)
    load_demo()
    admin = User.objects.get(username="admin")
    dept = Department.objects.filter(parent__isnull=False).order_by("path").first()
    matter = do_register_matter(
        admin,
        title="导入基准事项",
        scheme_key="ssra-town",
        category_code="focus_social_security",
        department=dept,
    )
    qn = opinions.do_create_questionnaire(
        admin, matter, title="导入基准问卷", closes_at=timezone.now() + timedelta(days=7)
    )
    opinions.do_add_question(admin, qn, kind=QuestionKind.SCALE, text="满意度")
    qn = opinions.do_publish(admin, qn)

    for rows in (300_000, 3_000_000):
        data = bomb(rows)
        started = time.perf_counter()
        try:
            run_import(admin, PaperImporter(qn), SimpleUploadedFile("bomb.xlsx", data))
            outcome = "accepted"
        except ActionError as exc:
            outcome = exc.message
        print(
            f"{rows:>9,} rows in {len(data) / 1024:,.0f} KB: {time.perf_counter() - started:.2f} s,"
            f" peak {peak_mb():,.0f} MB — {outcome}"
        )

    text = "受访群体,第1题 态度,第2题 满意度\n" + "企业,支持,4\n周边群众,反对,2\n" * (n // 2)
    upload = SimpleUploadedFile("答卷.csv", text.encode("gbk"))
    started = time.perf_counter()
    record = run_import(admin, TimedPaperImporter(qn), upload)
    queued = time.perf_counter() - started
    started = time.perf_counter()
    run_import_job.call(record.pk)
    total = time.perf_counter() - started
    record.refresh_from_db()
    print(
        f"paper CSV of {n:,} rows (GBK): request {queued:.2f} s (checks, queues);"
        f" job {total:.2f} s, of which the final transaction {COMMIT_SECONDS[-1]:.2f} s;"
        f" {record.get_status_display()} {record.counts}; peak {peak_mb():,.0f} MB"
    )

    users = int(sys.argv[2]) if len(sys.argv) > 2 else 150
    if not users:
        return
    wb = Workbook()
    ws = wb.active
    ws.title = "用户"
    ws.append(["用户名", "姓名", "部门编码", "角色"])
    for i in range(users):
        ws.append([f"bench{i}", f"用户{i}", dept.code, "承办人"])
    buf = io.BytesIO()
    wb.save(buf)
    started = time.perf_counter()
    record = run_import(admin, TimedOrgImporter(), SimpleUploadedFile("users.xlsx", buf.getvalue()))
    if record.background:
        run_import_job.call(record.pk)
        record.refresh_from_db()
    print(
        f"org import of {users:,} users (production Argon2, generated passwords):"
        f" {time.perf_counter() - started:.2f} s, of which the final transaction"
        f" {ORG_COMMIT_SECONDS[-1]:.2f} s; {record.get_status_display()} {record.counts}"
    )


if __name__ == "__main__":
    main()
