"""The one import framework: every XLSX/CSV import of the project goes through here.

An app declares an `Importer`: its sheets and columns (name, required, parser, help,
example — which also make the downloadable template and the column documentation on the
page), a `clean` that turns one row into plain JSON data or raises `RowInvalid` (it reads,
it never writes), and a `commit` that writes the cleaned rows in bulk. `run_import` does
the rest the same way for everybody:

1. the upload check (size, extension and content, SHA-256) — `core.uploads.check_file`;
2. limits before parsing: an XLSX must be a sound ZIP whose inflated size and compression
   ratio stay within settings; the row count (the sheet's dimension, else a streamed count)
   must stay within FENGPING_IMPORT_MAX_ROWS; CSV is decoded as UTF-8 (with or without BOM)
   or GB18030/GBK by strict attempts;
3. every row is read (streamed), parsed and cleaned; every error is kept as
   (sheet, row, column, message) and, when there is any, nothing is written;
4. otherwise `commit` runs in one transaction with one audit event for the whole import
   (counts, file name, SHA-256) — never one event per row.

An import of more rows than FENGPING_IMPORT_JOB_THRESHOLD runs as a background job
(django-tasks): the cleaned rows go to a staging table in short chunks while the page
polls the progress, and only the final bulk insert runs in one transaction, so the SQLite
write lock is held for that insert, not for the whole reading and checking. Each import
leaves an `ImportRecord` (who, when, file, counts, errors) that can be listed and opened.

A document that is not a table — a scanner report of 100,000 findings — declares a
`DocumentImporter` instead and goes through `run_document_import`: the same upload check,
access check, all-or-nothing transaction, one audit event with the counts and
`ImportRecord`, but the importer streams the document itself (`read`) and writes in bulk
(`commit`), with no cleaned row kept per record and no staging table.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks import task

from fengping import tabular

from .errors import ActionError
from .models import ImportRecord, ImportStagingRow, ImportStatus
from .uploads import DOCUMENT_TYPES, check_file
from .xlsx import (
    RowLimitExceeded,
    declared_rows,
    open_workbook,
    stream_rows,
    write_workbook,
)

# Widest header read; a row of 16,384 columns is not a table anyone meant to import.
MAX_COLUMNS = 200
STAGE_CHUNK = 1000
PROGRESS_EVERY = 500
IMPORT_TYPES = {
    ".xlsx": DOCUMENT_TYPES[".xlsx"],
    # Text: the readers decode UTF-8 or GB18030 and report anything else themselves.
    ".csv": ("text/csv", (b"",)),
    # Parsed by defusedxml, which refuses DTDs and entities; expat reads the declared encoding.
    ".xml": ("application/xml", (b"",)),
}


# ---------------------------------------------------------------- declarations


def text(value: Any) -> str:
    """A cell as text: numbers typed into Excel come back as floats (13800000000.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def integer(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        raw = text(value)
        try:
            number = int(raw)
        except ValueError:
            raise ValueError(_("“%(v)s”不是整数") % {"v": raw}) from None
        if not low <= number <= high:
            raise ValueError(_("须在 %(a)s–%(b)s 之间") % {"a": low, "b": high})
        return number

    return parse


@dataclass(frozen=True)
class Column:
    """A column of an import file. `name` is the header (and the name errors use);
    `pattern`, when given, is a regular expression a header may match instead (e.g.
    "第3题 …"); `parser` turns a non-blank cell into a value or raises ValueError with
    a message for the user; `key` names the value in the row handed to `clean`."""

    name: str
    help: str = ""
    required: bool = False
    parser: Callable[[Any], Any] | None = None
    key: str = ""
    example: Any = None
    pattern: str = ""
    # The header must be there even when its cells may be blank (a question column).
    must_exist: bool = False
    # In an XML record: the attribute or child element holding this column (default: name).
    xml: str = ""

    @property
    def field(self) -> str:
        return self.key or self.name

    def matches(self, header: str) -> bool:
        if self.pattern:
            return re.match(self.pattern, header) is not None
        return header == self.name


@dataclass(frozen=True)
class Sheet:
    """A worksheet (an XLSX sheet; a CSV file is its importer's single sheet)."""

    name: str
    columns: tuple[Column, ...]
    required: bool = True
    help: str = ""


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = _("“%(sheet)s”") % {"sheet": self.sheet} if self.sheet else ""
        if self.row:
            where += _("第 %(row)s 行") % {"row": self.row}
        if self.column:
            where += _("“%(col)s”列") % {"col": self.column}
        if not where:
            return self.message
        return _("%(where)s：%(message)s") % {"where": where, "message": self.message}


class RowInvalid(Exception):
    """Raised by `Importer.clean`: the row is wrong; each problem is (column, message)."""

    def __init__(self, *problems: tuple[str, str]) -> None:
        super().__init__("; ".join(m for _c, m in problems))
        self.problems = problems


@dataclass(frozen=True)
class CleanRow:
    sheet: str
    number: int
    data: dict[str, Any]


class Recorder(Protocol):
    """What `fengping.audit.chain.record` offers: append one audit event."""

    def __call__(
        self, actor: Any, action: str, obj: models.Model | None = None, *, after: dict[str, Any]
    ) -> Any: ...


class Importer(ABC):
    """Subclass per import. Class attributes declare; methods check and write.

    `core` lies below `audit` and `org`, so an importer brings what it needs from them:
    `recorder = staticmethod(fengping.audit.chain.record)` writes the import's one event,
    and `authorize` checks access through `fengping.org.access`."""

    recorder: Recorder

    title: str = ""
    action: str = ""  # the audit action of the one event per import
    sheets: tuple[Sheet, ...] = ()
    formats: tuple[str, ...] = ("xlsx",)
    # A single-sheet import reads the first worksheet when none has the sheet's name.
    first_sheet_fallback: bool = False
    template_filename: str = "fengping-import.xlsx"
    # Header of the table shown once after the import (e.g. generated passwords).
    reveal_header: tuple[str, ...] = ()
    # Rows beyond which this importer always runs as a job, when its rows are slow to check
    # (the org import hashes a password per user); FENGPING_IMPORT_JOB_THRESHOLD otherwise.
    job_threshold: int | None = None
    # Rows per sheet this importer accepts at most, when lower than FENGPING_IMPORT_MAX_ROWS.
    max_rows: int | None = None
    # The models a commit bulk-inserts into: their planner statistics are refreshed after a
    # successful import, so the lists over them keep their plans (PostgreSQL has none for a
    # table loaded in one go until autovacuum gets round to it).
    writes: tuple[type[models.Model], ...] = ()

    @classmethod
    def for_record(cls, record: ImportRecord) -> Importer:
        """Rebuild the importer in a background job."""
        return cls()

    def path(self) -> str:
        return f"{type(self).__module__}.{type(self).__qualname__}"

    @abstractmethod
    def authorize(self, actor: Any) -> None:
        """Raise PermissionDenied or ActionError unless `actor` may run this import."""

    def scope_path(self, actor: Any) -> str:
        """The department the import writes into: who else may see its record."""
        return ""

    def target_id(self) -> int | None:
        return None

    def start(self, actor: Any) -> None:  # noqa: B027 - optional hook, nothing to load by default
        """Load what `clean` looks up (existing codes, choices) before the rows are read."""

    def clean(self, sheet: Sheet, number: int, values: dict[str, Any]) -> dict[str, Any]:
        """One parsed row → JSON data for `commit`, or RowInvalid. Reads only."""
        return values

    @abstractmethod
    def commit(self, actor: Any, rows: Iterable[CleanRow]) -> dict[str, int]:
        """Write every row in bulk (inside the import's transaction); return the counts."""

    def audit_extra(self) -> dict[str, Any]:
        """More facts for the import's one audit event (e.g. the questionnaire's id)."""
        return {}

    @classmethod
    def summary(cls, counts: dict[str, int]) -> str:
        """One sentence for the result: what was created."""
        return _("已导入 %(n)s 行") % {"n": sum(counts.values())}

    def revealed(self) -> list[list[str]]:
        """Rows shown once to the importer after commit (and never stored in clear)."""
        return []

    def template_rows(self, sheet: Sheet) -> list[list[Any]]:
        if any(c.example is not None for c in sheet.columns):
            return [[c.example if c.example is not None else "" for c in sheet.columns]]
        return []

    def template_workbook(self) -> bytes:
        """The template: one sheet per declared sheet, then 填写说明 from the columns."""
        notes = [
            [
                sheet.name,
                column.name,
                _("必填") if column.required else _("选填"),
                str(column.help),
            ]
            for sheet in self.sheets
            for column in sheet.columns
        ]
        return write_workbook(
            [
                *(
                    (sheet.name, [c.name for c in sheet.columns], self.template_rows(sheet))
                    for sheet in self.sheets
                ),
                (_("填写说明"), [_("工作表"), _("列"), _("是否必填"), _("填写方法")], notes),
            ]
        )


# ---------------------------------------------------------------- limits


def max_rows(importer: Importer) -> int:
    limit = int(settings.FENGPING_IMPORT_MAX_ROWS)
    return min(limit, importer.max_rows) if importer.max_rows else limit


def job_threshold(importer: Importer) -> int:
    limit = int(settings.FENGPING_IMPORT_JOB_THRESHOLD)
    return min(limit, importer.job_threshold) if importer.job_threshold else limit


def _read_error(exc: tabular.ReadError) -> ActionError:
    """The pure readers' reasons, in the user's language."""
    if exc.code == "encoding":
        message = _("无法识别文件编码，请另存为 UTF-8 或 GB18030/GBK 编码的 CSV")
    elif exc.code == "bomb":
        message = _("文件解压后过大（%(mb)s MB，压缩比 %(ratio)s），超过导入上限，疑似异常文件") % {
            "mb": round(int(str(exc.params["uncompressed"])) / 1048576, 1),
            "ratio": exc.params["ratio"],
        }
    elif exc.code == "not_xlsx":
        message = _("文件不是 .xlsx 格式的 Excel 工作簿（请在 Excel 中“另存为”.xlsx 后再导入）")
    elif exc.code == "damaged":
        message = _("文件已损坏，无法读取（%(err)s）；请重新保存后再导入") % {
            "err": exc.params.get("detail", "")
        }
    elif exc.code == "xml_forbidden":
        message = _("XML 文件含有 DTD 或实体引用，出于安全原因拒绝导入")
    elif exc.code == "xml":
        message = _("XML 格式错误：%(err)s") % {"err": exc.params.get("detail", "")}
    else:
        message = _("CSV 格式错误：%(err)s") % {"err": exc.params.get("detail", "")}
    return ActionError(message, field="file")


# ---------------------------------------------------------------- reading


@dataclass
class _Table:
    sheet: Sheet
    title: str
    rows: Callable[[], Iterator[tuple[int, Sequence[Any]]]]  # a fresh stream, header first


@dataclass
class Source:
    """An upload opened for reading: its tables (one per declared sheet found) and the
    number of data rows, both established before any row is checked."""

    name: str
    tables: list[_Table]
    total_rows: int
    problems: list[RowError] = field(default_factory=list)

    @classmethod
    def open(cls, importer: Importer, name: str, data: bytes) -> Source:
        limit = max_rows(importer) + 1  # the header row
        if name.lower().endswith(".csv"):
            return cls._open_csv(importer, name, data, limit)
        if name.lower().endswith(".xml"):
            return cls._open_xml(importer, name, data, limit)
        return cls._open_xlsx(importer, name, data, limit)

    @classmethod
    def _open_csv(cls, importer: Importer, name: str, data: bytes, limit: int) -> Source:
        try:
            decoded = tabular.decode_text(data)
        except tabular.ReadError as exc:
            raise _read_error(exc) from None
        sheet = importer.sheets[0]

        def rows() -> Iterator[tuple[int, Sequence[Any]]]:
            try:
                for number, cells in tabular.csv_rows(decoded.text):
                    if number > limit:
                        raise RowLimitExceeded(name, limit)
                    yield number, cells[:MAX_COLUMNS]
            except tabular.ReadError as exc:
                raise _read_error(exc) from None

        total = sum(1 for _row in rows()) - 1
        return cls(name, [_Table(sheet, sheet.name, rows)], max(total, 0))

    @classmethod
    def _open_xml(cls, importer: Importer, name: str, data: bytes, limit: int) -> Source:
        """Each declared sheet names the XML element of one record; its columns name the
        record's attributes or child elements (`Column.xml`). Records are numbered from 1
        and the header is the declared columns."""
        tables: list[_Table] = []
        total = 0
        for sheet in importer.sheets:

            def rows(sheet: Sheet = sheet) -> Iterator[tuple[int, Sequence[Any]]]:
                yield 0, [c.name for c in sheet.columns]
                try:
                    for number, fields in tabular.xml_records(data, sheet.name):
                        if number >= limit:
                            raise RowLimitExceeded(name, limit - 1)
                        yield number, [fields.get(c.xml or c.name) for c in sheet.columns]
                except tabular.ReadError as exc:
                    raise _read_error(exc) from None

            total += sum(1 for _row in rows()) - 1
            tables.append(_Table(sheet, sheet.name, rows))
        return cls(name, tables, total)

    @classmethod
    def _open_xlsx(cls, importer: Importer, name: str, data: bytes, limit: int) -> Source:
        try:
            tabular.check_xlsx_archive(
                data,
                max_ratio=settings.FENGPING_IMPORT_MAX_RATIO,
                max_uncompressed=settings.FENGPING_IMPORT_MAX_UNCOMPRESSED_BYTES,
            )
        except tabular.ReadError as exc:
            raise _read_error(exc) from None
        wb = open_workbook(data)
        by_title = {ws.title.strip(): ws for ws in wb.worksheets}
        tables: list[_Table] = []
        problems: list[RowError] = []
        total = 0
        for sheet in importer.sheets:
            ws = by_title.get(sheet.name)
            if ws is None and importer.first_sheet_fallback and wb.worksheets:
                ws = wb.worksheets[0]
            if ws is None:
                if sheet.required:
                    problems.append(
                        RowError(sheet.name, 0, "", _("工作簿中没有这个工作表（请使用模板）"))
                    )
                continue
            claimed = declared_rows(ws)
            if claimed is not None and claimed > limit:
                raise RowLimitExceeded(ws.title, limit)

            def rows(ws: Any = ws) -> Iterator[tuple[int, Sequence[Any]]]:
                return stream_rows(ws, limit, MAX_COLUMNS)

            # The dimension may be missing or lie: count by streaming (stops at the limit).
            count = claimed if claimed is not None else sum(1 for _row in rows())
            total += max(count - 1, 0)
            tables.append(_Table(sheet, ws.title, rows))
        if not tables and not problems:
            problems.append(
                RowError(
                    "",
                    0,
                    "",
                    _("工作簿中没有名为%(names)s的工作表")
                    % {"names": "或".join(f"“{s.name}”" for s in importer.sheets)},
                )
            )
        return cls(name, tables, total, problems)

    def checked_rows(self, importer: Importer) -> Iterator[CleanRow | list[RowError]]:
        """Every data row, parsed and cleaned, or its errors. Blank rows are skipped."""
        for table in self.tables:
            yield from _check_table(importer, table)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _check_table(importer: Importer, table: _Table) -> Iterator[CleanRow | list[RowError]]:
    sheet = table.sheet
    stream = table.rows()
    first = next(stream, None)
    header = [text(h) for h in (first[1] if first else ())]
    positions: list[tuple[Column, int | None]] = []
    missing: list[RowError] = []
    for column in sheet.columns:
        index = next((i for i, h in enumerate(header) if h and column.matches(h)), None)
        if index is None and (column.required or column.must_exist):
            missing.append(RowError(table.title, 1, column.name, _("缺少此列（请使用模板）")))
        positions.append((column, index))
    if missing:
        yield missing
        return
    for number, cells in stream:
        if all(_blank(v) for v in cells):
            continue
        values: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        for column, index in positions:
            raw = cells[index] if index is not None and index < len(cells) else None
            if _blank(raw):
                if column.required:
                    problems.append((column.name, _("必填")))
                values[column.field] = None if column.parser else ""
                continue
            try:
                values[column.field] = column.parser(raw) if column.parser else text(raw)
            except ValueError as exc:
                problems.append((column.name, str(exc)))
        if not problems:
            try:
                yield CleanRow(table.title, number, importer.clean(sheet, number, values))
                continue
            except RowInvalid as exc:
                problems = list(exc.problems)
        yield [RowError(table.title, number, col, msg) for col, msg in problems]


# ---------------------------------------------------------------- running


def import_file_types(importer: Importer) -> dict[str, tuple[str, tuple[bytes, ...]]]:
    return {f".{ext}": IMPORT_TYPES[f".{ext}"] for ext in importer.formats}


def run_import(actor: Any, importer: Importer, upload: Any) -> ImportRecord:
    """Check and import one uploaded file. Refusals of the file itself (type, size,
    damage, limits) raise ActionError and leave no record; otherwise the returned record
    says what happened — done, failed with its row errors, or queued as a background job.
    After an import done here, `record.revealed` holds what is shown once."""
    importer.authorize(actor)
    checked = check_file(upload, import_file_types(importer), utf8_text=False)
    data = checked.content.read()
    source = Source.open(importer, checked.name, data)
    record = ImportRecord(
        importer=importer.path(),
        title=str(importer.title),
        target_id=importer.target_id(),
        scope_path=importer.scope_path(actor),
        actor=actor,
        file_name=checked.name,
        file_size=checked.size,
        sha256=checked.sha256,
        total_rows=source.total_rows,
    )
    if source.total_rows > job_threshold(importer) and not source.problems:
        record.background = True
        record.status = ImportStatus.QUEUED
        record.file.save(
            f"{checked.token}{checked.name[-5:].lower()}", ContentFile(data), save=False
        )
        record.save()
        transaction.on_commit(lambda: run_import_job.enqueue(record.pk))
        return record
    record.status = ImportStatus.RUNNING
    record.save()
    record.revealed = _process(actor, importer, source, record)  # type: ignore[attr-defined]
    return record


def _fail(record: ImportRecord, errors: list[RowError], total: int | None = None) -> None:
    cap = int(settings.FENGPING_IMPORT_MAX_ERRORS)
    record.status = ImportStatus.FAILED
    record.errors = [asdict(e) for e in errors[:cap]]
    record.error_count = total if total is not None else len(errors)
    record.finished_at = timezone.now()
    record.counts = {}
    record.save()


def _process(
    actor: Any, importer: Importer, source: Source, record: ImportRecord
) -> list[list[str]]:
    """Check every row, then commit all or nothing. Returns what is shown once."""
    importer.start(actor)
    errors: list[RowError] = list(source.problems)
    error_total = len(errors)
    kept: list[CleanRow] = []
    chunk: list[ImportStagingRow] = []
    done = 0
    staging = record.background
    try:
        for item in source.checked_rows(importer):
            done += 1
            if isinstance(item, list):
                error_total += len(item)
                if len(errors) < settings.FENGPING_IMPORT_MAX_ERRORS:
                    errors.extend(item)
            elif not errors:
                if staging:
                    chunk.append(
                        ImportStagingRow(
                            record=record, sheet=item.sheet, number=item.number, data=item.data
                        )
                    )
                    if len(chunk) >= STAGE_CHUNK:
                        ImportStagingRow.objects.bulk_create(chunk)
                        chunk = []
                else:
                    kept.append(item)
            if staging and done % PROGRESS_EVERY == 0:
                ImportRecord.objects.filter(pk=record.pk).update(processed_rows=done)
    except ActionError as exc:  # a limit reached or a sheet unreadable while streaming
        _fail(record, [RowError("", 0, "", exc.message), *errors], error_total + 1)
        ImportStagingRow.objects.filter(record=record).delete()
        return []
    try:
        if errors:
            _fail(record, errors, error_total)
            return []
        if chunk:
            ImportStagingRow.objects.bulk_create(chunk)
        rows: Iterable[CleanRow] = (
            (
                CleanRow(sheet, number, data)
                for sheet, number, data in record.staged.order_by("pk")
                .values_list("sheet", "number", "data")
                .iterator(chunk_size=STAGE_CHUNK)
            )
            if staging
            else kept
        )
        try:
            with transaction.atomic():
                importer.authorize(actor)
                counts = importer.commit(actor, rows)
                record.status = ImportStatus.DONE
                record.counts = counts
                record.processed_rows = done
                record.finished_at = timezone.now()
                record.save()
                importer.recorder(
                    actor,
                    importer.action,
                    record,
                    after={
                        "counts": counts,
                        "file": record.file_name,
                        "sha256": record.sha256,
                        "rows": done,
                        **importer.audit_extra(),
                    },
                )
        except (ActionError, PermissionDenied) as exc:
            _fail(record, [RowError("", 0, "", str(getattr(exc, "message", exc)))])
            return []
        except IntegrityError:
            _fail(
                record,
                [
                    RowError(
                        "", 0, "", _("导入期间数据被他人修改（如编码或用户名已被占用），请重新导入")
                    )
                ],
            )
            return []
    finally:
        if staging:
            ImportStagingRow.objects.filter(record=record).delete()
    refresh_statistics(importer.writes)
    return importer.revealed()


def refresh_statistics(written: Iterable[type[models.Model]]) -> None:
    """After a bulk load: ANALYZE the tables on PostgreSQL; on SQLite `PRAGMA optimize`
    (it analyses only what needs it, cheaply)."""
    tables = [m._meta.db_table for m in written]
    if not tables:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA optimize")


@task()
def run_import_job(record_id: int) -> None:
    """A large import in the worker (`fengping worker`). Idempotent: a record that is no
    longer queued is left alone."""
    updated = ImportRecord.objects.filter(pk=record_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING
    )
    if not updated:
        return
    record = ImportRecord.objects.select_related("actor").get(pk=record_id)
    try:
        importer = import_string(record.importer).for_record(record)
        with record.file.open("rb") as handle:
            data = handle.read()
        try:
            importer.authorize(record.actor)
            source = Source.open(importer, record.file_name, data)
        except (ActionError, PermissionDenied) as exc:
            _fail(record, [RowError("", 0, "", str(getattr(exc, "message", exc)))])
            return
        reveal = _process(record.actor, importer, source, record)
        if reveal:
            ImportRecord.objects.filter(pk=record.pk).update(reveal=reveal)
    except BaseException:
        # Leave no record "running" forever; the exception still reaches the task result
        # and the log.
        ImportRecord.objects.filter(pk=record_id, status=ImportStatus.RUNNING).update(
            status=ImportStatus.FAILED,
            finished_at=timezone.now(),
            errors=[asdict(RowError("", 0, "", _("导入时发生内部错误，请联系管理员")))],
            error_count=1,
        )
        raise
    finally:
        if record.file:
            record.file.delete(save=False)
            ImportRecord.objects.filter(pk=record.pk).update(file="")


# A job not finished a day after the upload was lost (no worker, or the worker was killed).
ABANDONED_AFTER = timedelta(hours=24)


def fail_abandoned_imports(now: datetime | None = None) -> int:
    """End imports still queued or running a day after their upload, so no page polls
    forever and no stored file or staging row is left behind. Returns how many."""
    cutoff = (now or timezone.now()) - ABANDONED_AFTER
    stale = ImportRecord.objects.filter(
        status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING], created_at__lt=cutoff
    )
    count = 0
    for record in stale:
        ImportStagingRow.objects.filter(record=record).delete()
        if record.file:
            record.file.delete(save=False)
        _fail(
            record,
            [
                RowError(
                    "",
                    0,
                    "",
                    _(
                        "导入在 24 小时内没有完成（任务进程未运行或被中断），已终止，未导入任何数据；请重新导入"
                    ),
                )
            ],
        )
        count += 1
    return count


# ---------------------------------------------------------------- documents


class DocumentImporter(ABC):
    """An import of one document that is not a table and is read by its importer itself,
    streamed (a scanner report of 100,000 findings): the row-by-row `Importer` would keep
    every cleaned row; this keeps what the importer chooses and writes it in bulk.

    `run_document_import` shares the rest with `run_import`: the upload check
    (`check_file`, with the importer's `types` and `max_bytes`), access checked before
    reading and again inside the transaction, all or nothing, one audit event for the
    whole import with its counts, an `ImportRecord` (file name, size, SHA-256, counts),
    and the planner statistics refreshed afterwards. `read` only reads and refuses with
    an ActionError naming the place; `commit` writes inside the transaction (and may lock
    what it must, e.g. the row the import belongs to, so two imports at once queue)."""

    recorder: Recorder

    title: str = ""
    action: str = ""
    # extension -> (content type, leading bytes); b"" leaves the content to `read`.
    types: dict[str, tuple[str, tuple[bytes, ...]]] = {}
    max_bytes: int | None = None  # FENGPING_UPLOAD_MAX_BYTES when None
    writes: tuple[type[models.Model], ...] = ()

    def path(self) -> str:
        return f"{type(self).__module__}.{type(self).__qualname__}"

    @abstractmethod
    def authorize(self, actor: Any) -> None:
        """Raise PermissionDenied or ActionError unless `actor` may run this import."""

    def scope_path(self, actor: Any) -> str:
        return ""

    def target_id(self) -> int | None:
        return None

    @abstractmethod
    def read(self, name: str, data: bytes) -> Any:
        """Parse and check the whole document (reads only); ActionError on any fault."""

    @abstractmethod
    def commit(self, actor: Any, prepared: Any, record: ImportRecord) -> dict[str, int]:
        """Write what `read` prepared (inside the import's transaction); return the counts."""

    def row_count(self, prepared: Any) -> int:
        """How many records the document held (the record's rows)."""
        return 0

    def audit_object(self, record: ImportRecord) -> models.Model:
        """The object the import's one audit event is recorded on (default: the record)."""
        return record

    def audit_extra(self) -> dict[str, Any]:
        return {}


def run_document_import(actor: Any, importer: DocumentImporter, upload: Any) -> ImportRecord:
    """Check, read and import one document, all or nothing. Any refusal — the file, its
    content (naming the place), access, a conflict — raises ActionError (or
    PermissionDenied) and leaves nothing behind, not even a record."""
    importer.authorize(actor)
    checked = check_file(upload, importer.types, max_bytes=importer.max_bytes, utf8_text=False)
    data = checked.content.read()
    checked.content.close()  # the document is read once: free it before writing
    prepared = importer.read(checked.name, data)
    del data
    try:
        with transaction.atomic():
            importer.authorize(actor)
            record = ImportRecord.objects.create(
                importer=importer.path(),
                title=str(importer.title),
                target_id=importer.target_id(),
                scope_path=importer.scope_path(actor),
                actor=actor,
                file_name=checked.name,
                file_size=checked.size,
                sha256=checked.sha256,
                status=ImportStatus.RUNNING,
            )
            counts = importer.commit(actor, prepared, record)
            record.status = ImportStatus.DONE
            record.counts = counts
            record.total_rows = record.processed_rows = importer.row_count(prepared)
            record.finished_at = timezone.now()
            record.save()
            importer.recorder(
                actor,
                importer.action,
                importer.audit_object(record),
                after={
                    "counts": counts,
                    "file": record.file_name,
                    "sha256": record.sha256,
                    "size": record.file_size,
                    **importer.audit_extra(),
                },
            )
    except IntegrityError:
        raise ActionError(_("导入期间数据被他人修改，请重新导入"), field="file") from None
    refresh_statistics(importer.writes)
    return record
