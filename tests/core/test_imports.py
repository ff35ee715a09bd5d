"""The one import framework: encodings, damaged and oversized files, limits, background
jobs with their progress, and the import records (who may open which)."""

import io
import os
import zipfile
from datetime import timedelta
from typing import ClassVar

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from fengping import tabular
from fengping.audit.chain import record
from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.core.imports import (
    Column,
    Importer,
    Sheet,
    fail_abandoned_imports,
    integer,
    run_import,
    run_import_job,
)
from fengping.core.models import ImportRecord, ImportStagingRow
from fengping.opinions.actions import PaperImporter
from fengping.opinions.models import Response
from fengping.org.imports import OrgImporter
from fengping.org.models import User
from tests.opinions.conftest import build_questionnaire, register_matter

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
HEADER = "受访群体,第1题 态度,第2题 关心,第3题 满意度,第4题 建议\n"


def csv_upload(text, encoding="utf-8", name="答卷.csv"):
    return SimpleUploadedFile(name, text.encode(encoding))


def xlsx_bytes(rows, title="答卷"):
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def with_sheet_xml(data, sheet_xml):
    """The same workbook with its first worksheet's XML replaced."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst,
    ):
        for info in src.infolist():
            body = sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else src.read(info)
            dst.writestr(info.filename, body)
    return out.getvalue()


def inline(*values):
    return "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)


def sheet_xml(rows, dimension=None):
    """A header and `rows` - 1 rows of one cell; rows without numbers compress best."""
    header = inline("受访群体", "第1题", "第2题", "第3题", "第4题")
    cells = f"<row>{header}</row>" + f"<row>{inline('企业')}</row>" * (rows - 1)
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dim}<sheetData>{cells}</sheetData></worksheet>"
    ).encode()


@pytest.fixture
def qn(org):
    return build_questionnaire(org, register_matter(org))


# ---------------------------------------------------------------- encodings


def test_gbk_is_detected_not_guessed():
    decoded = tabular.decode_text("问卷编号,姓名\n".encode("gbk"))
    assert (decoded.text, decoded.encoding) == ("问卷编号,姓名\n", "gb18030")


def test_utf8_wins_over_gb18030_for_text_valid_in_both():
    data = "中文".encode()
    assert data.decode("gb18030") != "中文"  # it would decode, wrongly
    assert tabular.decode_text(data) == tabular.Decoded("中文", "utf-8")


def test_utf8_bom_and_utf16():
    assert tabular.decode_text("\ufeff问卷编号".encode()).text == "问卷编号"
    assert tabular.decode_text("\ufeff问卷编号".encode()).encoding == "utf-8-sig"
    assert tabular.decode_text("问卷编号".encode("utf-16")).text == "问卷编号"


def test_undecodable_bytes_refused_with_position():
    with pytest.raises(tabular.ReadError) as info:
        tabular.decode_text(b"ok,\x81\x20")
    assert info.value.code == "encoding" and info.value.params["position"] == 4


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_paper_csv_in_any_excel_encoding(org, qn, encoding):
    text = HEADER + "企业,支持,缴费基数、待遇水平,4,无意见\n周边群众,反对,,2,\n"
    record = run_import(org.rsj_handler, PaperImporter(qn), csv_upload(text, encoding))
    assert record.status == "done", record.errors
    assert record.counts == {"responses": 2}
    assert sorted(Response.objects.values_list("group", flat=True)) == ["企业", "周边群众"]
    assert Response.objects.get(group="企业").answers.get(text="无意见")


def test_a_bulk_load_refreshes_the_planner_statistics(org, qn):
    """After an import the tables it loaded are analysed (PostgreSQL: ANALYZE each; SQLite:
    PRAGMA optimize), so list queries over them keep good plans; a failed import does not."""
    from django.test.utils import CaptureQueriesContext

    text = HEADER + "企业,支持,缴费基数、待遇水平,4,无意见\n"
    with CaptureQueriesContext(connection) as ran:
        record = run_import(org.rsj_handler, PaperImporter(qn), csv_upload(text, "utf-8"))
    assert record.status == "done"
    sql = [q["sql"] for q in ran.captured_queries]
    if connection.vendor == "postgresql":
        analysed = [s for s in sql if s.startswith("ANALYZE")]
        assert analysed == [f'ANALYZE "{m._meta.db_table}"' for m in PaperImporter.writes]
    else:
        assert "PRAGMA optimize" in sql
    with CaptureQueriesContext(connection) as ran:
        bad = run_import(
            org.rsj_handler, PaperImporter(qn), csv_upload(HEADER + "无此群体,,,,\n", "utf-8")
        )
    assert bad.status != "done"
    assert not [q for q in ran.captured_queries if "ANALYZE" in q["sql"] or "optimize" in q["sql"]]


def test_csv_errors_name_sheet_row_column(org, qn):
    text = HEADER + "企业,支持,,4,\n外星人,支持,,9,\n"
    record = run_import(org.rsj_handler, PaperImporter(qn), csv_upload(text, "gbk"))
    assert record.status == "failed" and not Response.objects.exists()
    assert [(e["sheet"], e["row"], e["column"]) for e in record.errors] == [
        ("答卷", 3, "受访群体"),
        ("答卷", 3, "第3题 对现行政策的满意度"),
    ]


def test_undecodable_csv_is_a_clear_message(org, qn):
    with pytest.raises(ActionError, match="无法识别文件编码"):
        run_import(org.rsj_handler, PaperImporter(qn), SimpleUploadedFile("a.csv", b"\x81\x20"))


# ---------------------------------------------------------------- damaged and oversized


def post_org(client, name, data):
    return client.post(reverse("org:import"), {"file": SimpleUploadedFile(name, data)})


def test_text_renamed_xlsx_refused_on_the_page(org, login):
    response = post_org(login(org.admin), "部门.xlsx", "编码,名称\n".encode())
    assert response.status_code == 200
    assert "文件内容与扩展名 .xlsx 不符" in response.content.decode()


def test_zip_that_is_no_workbook_refused(org, login):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    response = post_org(login(org.admin), "部门.xlsx", buf.getvalue())
    assert response.status_code == 200
    assert "不是 .xlsx 格式的 Excel 工作簿" in response.content.decode()


def test_truncated_and_corrupted_workbooks_refused(org, login):
    data = xlsx_bytes([["编码", "名称"], ["A", "甲"]], title="部门")
    client = login(org.admin)
    response = post_org(client, "cut.xlsx", data[: len(data) // 2])
    assert response.status_code == 200 and "文件已损坏" in response.content.decode()
    # Same length, damaged compressed bytes inside the worksheet member.
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    broken = bytearray(data)
    for i in range(start + 2, start + min(info.compress_size, 40)):
        broken[i] ^= 0x5A
    response = post_org(client, "bad.xlsx", bytes(broken))
    assert response.status_code == 200 and "文件已损坏" in response.content.decode()
    assert not ImportRecord.objects.exists()


def test_highly_compressed_workbook_refused_before_parsing(org, qn):
    # 300,000 nearly identical rows compress to a few hundred KB at most.
    data = with_sheet_xml(xlsx_bytes([["受访群体"]]), sheet_xml(300_000))
    assert len(data) < 400_000
    with pytest.raises(ActionError, match="解压后过大"):
        run_import(org.rsj_handler, PaperImporter(qn), SimpleUploadedFile("big.xlsx", data))


def test_row_limit_from_the_dimension(org, qn, settings):
    settings.FENGPING_IMPORT_MAX_RATIO = 100_000
    settings.FENGPING_IMPORT_MAX_ROWS = 1000
    data = with_sheet_xml(xlsx_bytes([["受访群体"]]), sheet_xml(5000, dimension="A1:A5000"))
    with pytest.raises(ActionError, match="超过 1001 行"):
        run_import(org.rsj_handler, PaperImporter(qn), SimpleUploadedFile("big.xlsx", data))


@pytest.mark.parametrize("dimension", [None, "A1:A2"])
def test_row_limit_while_streaming_when_dimension_missing_or_lying(org, qn, settings, dimension):
    settings.FENGPING_IMPORT_MAX_RATIO = 100_000
    settings.FENGPING_IMPORT_MAX_ROWS = 1000
    settings.FENGPING_IMPORT_JOB_THRESHOLD = 100_000
    data = with_sheet_xml(xlsx_bytes([["受访群体"]]), sheet_xml(5000, dimension=dimension))
    upload = SimpleUploadedFile("big.xlsx", data)
    if dimension is None:  # counted by streaming before anything is checked
        with pytest.raises(ActionError, match="超过 1001 行"):
            run_import(org.rsj_handler, PaperImporter(qn), upload)
    else:  # the dimension lies: stopped while reading the rows
        record = run_import(org.rsj_handler, PaperImporter(qn), upload)
        assert record.status == "failed"
        assert "超过 1001 行" in record.errors[0]["message"]
    assert not Response.objects.exists()


def test_csv_row_limit(org, qn, settings):
    settings.FENGPING_IMPORT_MAX_ROWS = 3
    text = HEADER + "企业,支持,,4,\n" * 4
    with pytest.raises(ActionError, match="超过 4 行"):
        run_import(org.rsj_handler, PaperImporter(qn), csv_upload(text))


# ---------------------------------------------------------------- background jobs


@pytest.fixture
def jobs(settings):
    settings.TASKS = IMMEDIATE
    settings.FENGPING_IMPORT_JOB_THRESHOLD = 2


def test_large_import_runs_as_a_job(org, qn, login, jobs, django_capture_on_commit_callbacks):
    text = HEADER + "企业,支持,,4,\n" * 3 + "专家,反对,,1,\n"
    client = login(org.rsj_handler)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("opinions:import", args=[qn.pk]), {"file": csv_upload(text)})
    record = ImportRecord.objects.get()
    assert response.status_code == 302 and response["Location"] == record.get_absolute_url()
    assert record.background and record.status == "done" and record.counts == {"responses": 4}
    assert not record.file and not ImportStagingRow.objects.exists()
    assert Response.objects.count() == 4
    assert Event.objects.filter(action="opinions.paper_import").count() == 1
    page = client.get(record.get_absolute_url()).content.decode()
    assert "导入成功" in page and "已导入纸质问卷 4 份" in page and "答卷.csv" in page


def test_job_with_errors_writes_nothing(org, qn, jobs, django_capture_on_commit_callbacks):
    text = HEADER + "企业,支持,,4,\n企业,支持,,4,\n企业,很支持,,4,\n"
    with django_capture_on_commit_callbacks(execute=True):
        record = run_import(org.rsj_handler, PaperImporter(qn), csv_upload(text))
    record.refresh_from_db()
    assert record.status == "failed" and record.error_count == 1
    assert record.errors[0]["row"] == 4
    assert not Response.objects.exists() and not ImportStagingRow.objects.exists()


def test_job_passwords_shown_once_to_the_importer(
    org, login, jobs, django_capture_on_commit_callbacks
):
    data = xlsx_bytes(
        [["用户名", "姓名", "部门编码", "角色"]]
        + [[f"u{i}", f"用户{i}", "RSJ", "承办人"] for i in range(3)],
        title="用户",
    )
    with django_capture_on_commit_callbacks(execute=True):
        record = run_import(org.admin, OrgImporter(), SimpleUploadedFile("users.xlsx", data))
    record.refresh_from_db()
    assert record.status == "done" and len(record.reveal) == 3
    # Another reader of the record never sees them, and does not consume them.
    assert "token-once" not in login(org.superuser).get(record.get_absolute_url()).content.decode()
    page = login(org.admin).get(record.get_absolute_url()).content.decode()
    username, password = record.reveal[0]
    assert password in page and User.objects.get(username=username).check_password(password)
    record.refresh_from_db()
    assert record.reveal == []
    assert password not in login(org.admin).get(record.get_absolute_url()).content.decode()


def test_queued_job_polls_its_progress(org, qn, login, settings):
    settings.FENGPING_IMPORT_JOB_THRESHOLD = 1  # the database backend: nobody runs it here
    text = HEADER + "企业,支持,,4,\n企业,支持,,4,\n"
    record = run_import(org.rsj_handler, PaperImporter(qn), csv_upload(text))
    assert record.status == "queued" and record.file
    client = login(org.rsj_handler)
    page = client.get(record.get_absolute_url()).content.decode()
    assert f'hx-get="{reverse("import_progress", args=[record.pk])}"' in page
    partial = client.get(reverse("import_progress", args=[record.pk]))
    assert "HX-Refresh" not in partial and "0%" in partial.content.decode()
    # The Content-Security-Policy forbids inline styles: a native <progress>, no style="…".
    assert '<progress class="w-100" value="0"' in partial.content.decode()
    assert "style=" not in partial.content.decode()
    run_import_job.call(record.pk)  # what the worker does
    partial = client.get(reverse("import_progress", args=[record.pk]))
    assert partial["HX-Refresh"] == "true" and "100%" in partial.content.decode()
    record.refresh_from_db()
    assert record.status == "done" and Response.objects.count() == 2
    run_import_job.call(record.pk)  # a second run of the same job does nothing
    assert Response.objects.count() == 2


# ---------------------------------------------------------------- records


def test_records_visible_to_importer_and_department_readers(org, qn, login):
    record = run_import(org.rsj_handler, PaperImporter(qn), csv_upload(HEADER + "企业,支持,,4,\n"))
    url = record.get_absolute_url()
    for persona in (org.rsj_handler, org.rsj_head, org.supervisor):
        client = login(persona)
        assert client.get(url).status_code == 200
        assert "答卷.csv" in client.get(reverse("import_records")).content.decode()
    client = login(org.zjj_handler)
    assert client.get(url).status_code == 404
    assert client.get(reverse("import_progress", args=[record.pk])).status_code == 404
    assert "答卷.csv" not in client.get(reverse("import_records")).content.decode()


def test_import_page_documents_columns_and_template(org, qn, login):
    client = login(org.rsj_handler)
    page = client.get(reverse("opinions:import", args=[qn.pk])).content.decode()
    assert "第3题 对现行政策的满意度" in page and "填写 1–5 之间的整数" in page
    assert reverse("opinions:import_template", args=[qn.pk]) in page
    assert 'accept=".xlsx,.csv"' in page


# ---------------------------------------------------------------- XML


class HostImporter(Importer):
    """A scanner-style XML import, declared like any other."""

    title = "主机"
    action = "test.hosts"
    recorder = staticmethod(record)
    formats = ("xml",)
    sheets = (
        Sheet(
            "host",
            (
                Column("地址", required=True, xml="ip"),
                Column("端口", parser=integer(1, 65535), xml="port"),
            ),
        ),
    )

    def authorize(self, actor):
        pass

    def commit(self, actor, rows):
        self.committed = [(r.number, r.data) for r in rows]
        return {"hosts": len(self.committed)}


def xml_upload(text, name="scan.xml"):
    return SimpleUploadedFile(name, text.encode())


def test_xml_records_stream_through_the_framework(org):
    importer = HostImporter()
    text = (
        '<?xml version="1.0"?><scan xmlns="urn:x"><host ip="10.0.0.1"><port>22</port></host>'
        '<host ip="10.0.0.2"/></scan>'
    )
    record = run_import(org.admin, importer, xml_upload(text))
    assert record.status == "done" and record.counts == {"hosts": 2}
    assert importer.committed == [
        (1, {"地址": "10.0.0.1", "端口": 22}),
        (2, {"地址": "10.0.0.2", "端口": None}),
    ]
    assert Event.objects.get(action="test.hosts").after["counts"] == {"hosts": 2}


def test_xml_row_errors_name_the_record(org):
    text = '<scan><host ip="10.0.0.1"><port>99999</port></host><host port="1"/></scan>'
    record = run_import(org.admin, HostImporter(), xml_upload(text))
    assert [(e["sheet"], e["row"], e["column"]) for e in record.errors] == [
        ("host", 1, "端口"),
        ("host", 2, "地址"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        '<scan><host ip="&lol2;"/></scan>',
        '<?xml version="1.0"?><!DOCTYPE scan [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<scan><host ip="&xxe;"/></scan>',
    ],
)
def test_xml_entities_and_dtds_refused(org, text):
    with pytest.raises(ActionError, match="DTD 或实体引用"):
        run_import(org.admin, HostImporter(), xml_upload(text))


def test_malformed_xml_is_a_clear_message(org):
    with pytest.raises(ActionError, match="XML 格式错误"):
        run_import(org.admin, HostImporter(), xml_upload("<scan><host ip='1'></scan>"))


def test_import_page_of_a_draft_questionnaire_says_why(org, login):
    draft = build_questionnaire(org, register_matter(org), publish=False)
    client = login(org.rsj_handler)
    page = client.get(reverse("opinions:import", args=[draft.pk])).content.decode()
    assert "问卷尚未发布" in page
    response = client.post(
        reverse("opinions:import", args=[draft.pk]),
        {"file": csv_upload(HEADER + "企业,支持,,4,\n")},
    )
    assert response.status_code == 200 and "问卷尚未发布" in response.content.decode()
    assert not ImportRecord.objects.exists() and not Response.objects.exists()


def test_an_importer_may_accept_fewer_rows_than_the_setting(org, qn, settings):
    settings.FENGPING_IMPORT_MAX_ROWS = 100_000
    assert PaperImporter.max_rows == 10_000
    text = HEADER + "企业,支持,,4,\n" * 10_001
    with pytest.raises(ActionError, match="超过 10001 行"):
        run_import(org.rsj_handler, PaperImporter(qn), csv_upload(text))


class SpyPaperImporter(PaperImporter):
    """Notes whether a transaction is open while rows are checked and while they are
    written."""

    seen: ClassVar[dict[str, set[bool]]] = {"clean": set(), "commit": set()}

    def clean(self, sheet, number, values):
        self.seen["clean"].add(connection.in_atomic_block)
        return super().clean(sheet, number, values)

    def commit(self, actor, rows):
        self.seen["commit"].add(connection.in_atomic_block)
        return super().commit(actor, rows)


@pytest.mark.django_db(transaction=True)
def test_a_job_checks_rows_outside_any_transaction(jobs):
    # The long part (reading, checking, hashing, staging) holds no write lock; only the
    # final bulk insert runs in a transaction.
    from tests.conftest import build_org

    org = build_org()
    qn = build_questionnaire(org, register_matter(org))
    text = HEADER + "企业,支持,,4,\n" * 5
    record = run_import(org.rsj_handler, SpyPaperImporter(qn), csv_upload(text))
    record.refresh_from_db()
    assert record.background and record.status == "done", record.errors
    assert SpyPaperImporter.seen == {"clean": {False}, "commit": {True}}
    assert Response.objects.count() == 5


def test_abandoned_jobs_are_ended_by_the_daily_tick(org, qn, settings):
    settings.FENGPING_IMPORT_JOB_THRESHOLD = 1  # queued; no worker runs in this test
    record = run_import(
        org.rsj_handler, PaperImporter(qn), csv_upload(HEADER + "企业,支持,,4,\n" * 2)
    )
    fresh = run_import(
        org.rsj_handler, PaperImporter(qn), csv_upload(HEADER + "企业,支持,,4,\n" * 2)
    )
    ImportRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(days=2))
    stored = record.file.path
    assert fail_abandoned_imports() == 1
    record.refresh_from_db()
    fresh.refresh_from_db()
    assert record.status == "failed" and "24 小时" in record.errors[0]["message"]
    assert not record.file and not os.path.exists(stored)
    assert fresh.status == "queued"


def test_empty_files_are_refused_clearly(org, qn):
    with pytest.raises(ActionError, match="文件内容与扩展名 .xlsx 不符"):
        run_import(org.rsj_handler, PaperImporter(qn), SimpleUploadedFile("a.xlsx", b""))
    record = run_import(org.rsj_handler, PaperImporter(qn), SimpleUploadedFile("a.csv", b""))
    assert record.status == "failed" and record.errors[0]["message"] == "缺少此列（请使用模板）"
