"""The case import: the template, labels or codes, the handler by username or real name,
the 信访记录 sheet, the organ's column mapping, all or nothing with row errors, re-import
updating by 案号 with one revision per changed case, the CLI and the API doors."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from fengping.audit.models import Event
from fengping.cases.actions.cases import do_save_mapping
from fengping.cases.case_import import CaseImporter, command
from fengping.cases.models import Case, CaseRevision, OrganProfile, Petition, StageChange
from fengping.core.imports import run_import
from fengping.core.xlsx import write_workbook

from ..conftest import build_org
from ..module_db import module_data
from .builders import Courts, build_courts, make_case

HEADER = [
    "案号", "案件名称", "案件类别", "办理阶段", "承办人", "受理日期", "涉案金额（元）",
    "涉案人数", "弱势群体", "查封、扣押、冻结措施", "群众关注", "重大、疑难、复杂", "简要案情",
]  # fmt: skip


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    def build():
        org = build_org()
        return org, build_courts(org)

    yield from module_data(django_db_blocker, build)


@pytest.fixture
def c(db, world) -> Courts:
    return world[1].fresh()


def profile(c: Courts) -> OrganProfile:
    return OrganProfile.objects.select_related("department").get(department=c.fy)


def xlsx(rows, petitions=None, header=HEADER, sheet="案件") -> SimpleUploadedFile:
    sheets = [(sheet, header, rows)]
    if petitions is not None:
        sheets.append(("信访记录", ["案号", "信访日期", "信访形式", "人数", "诉求内容"], petitions))
    return SimpleUploadedFile("cases.xlsx", write_workbook(sheets))


def run(c: Courts, upload, user=None):
    return run_import(user or c.fy_handler, CaseImporter(profile(c)), upload)


ROW1 = ["（2026）示民初1号", "李某劳动争议案", "民商事", "受理", "fy_handler", "2026-10-01",
        "1200000", 12, "农民工、老年人", "查封", "是", "否", "拖欠工资，多次讨薪"]  # fmt: skip
ROW2 = ["（2026）示刑初2号", "王某盗窃案", "criminal", "trial", "fy_handler2", dt.date(2026, 9, 1),
        None, None, None, None, "否", "是", ""]  # fmt: skip


def test_the_template_imports_as_it_is(c):
    importer = CaseImporter(profile(c))
    template = importer.template_workbook()
    record = run(c, SimpleUploadedFile("t.xlsx", template))
    assert record.status == "done", record.errors
    case = Case.objects.get(organ=c.fy, number="（2026）示刑初1号")
    assert case.category == "criminal" and case.stage == "accepted"
    assert Petition.objects.filter(case=case).count() == 1


def test_an_import_creates_cases_and_petitions(c):
    record = run(
        c,
        xlsx(
            [ROW1, ROW2],
            [["（2026）示民初1号", "2026-10-08", "集体信访", 6, "要求支付工资"],
             ["（2026）示刑初2号", dt.date(2026, 9, 20), "", None, ""]],
        ),
    )  # fmt: skip
    assert record.status == "done", record.errors
    assert record.counts == {
        "created": 2, "updated": 0, "unchanged": 0, "stage_changes": 0, "petitions": 2,
    }  # fmt: skip
    one = Case.objects.get(number="（2026）示民初1号")
    assert (one.category, one.stage, one.handler, one.accepted_on) == (
        "civil", "accepted", c.fy_handler, dt.date(2026, 10, 1),
    )  # fmt: skip
    assert one.amount == Decimal("1200000.00") and one.involved_count == 12
    assert (
        one.vulnerable_groups == ",elderly,migrant_worker," and one.coercive_measures == ",seizure,"
    )
    assert one.public_attention and not one.major_complex
    two = Case.objects.get(number="（2026）示刑初2号")
    assert two.stage == "trial" and two.handler == c.fy_handler2 and two.major_complex
    assert StageChange.objects.get(case=two).source == "import"
    petition = Petition.objects.get(case=one)
    assert (petition.kind, petition.persons, petition.content) == ("collective", 6, "要求支付工资")
    assert Petition.objects.get(case=two).kind == "individual"
    # One audit event for the whole import.
    event = Event.objects.get(action="cases.case.import")
    assert event.after["counts"]["created"] == 2 and event.after["organ"] == "FY"


def test_the_handler_by_real_name_and_refusals(c):
    c.fy_handler2.real_name = "赵承办"
    c.fy_handler2.save()
    record = run(c, xlsx([["N1", "案", "刑事", "受理", "赵承办"] + [None] * 8]))
    assert record.status == "done", record.errors
    assert Case.objects.get(number="N1").handler == c.fy_handler2


@pytest.fixture(params=["preloaded", "row by row"])
def lookups(request, monkeypatch):
    """The organ's cases read at once (an ordinary organ) or looked up row by row (past
    PRELOAD cases): the same answers."""
    if request.param == "row by row":
        monkeypatch.setattr("fengping.cases.case_import.PRELOAD", 0)
    return request.param


def test_a_bad_file_is_refused_whole_naming_every_row(c, lookups):
    make_case(c.fy, "EXIST", stage="trial")
    rows = [
        ROW1,  # fine on its own
        ["D1", "案", "刑事", "受理"] + [None] * 9,
        ["D1", "重复", "刑事", "受理"] + [None] * 9,  # 案号 twice
        ["S1", "案", "刑事", "侦查"] + [None] * 9,  # a stage of the police
        ["C1", "案", "海事", "受理"] + [None] * 9,  # unknown category
        ["H1", "案", "刑事", "受理", "jcy_handler"] + [None] * 8,  # another organ's member
        ["G1", "案", "刑事", "受理", None, None, None, None, "外星人"] + [None] * 4,
        ["M1", "案", "刑事", "受理", None, None, None, None, None, None, "也许", None, None],
        ["EXIST", "案", "刑事", "裁决", None, None, None, None, None, None, None, "是", None],
    ]
    record = run(c, xlsx(rows, [["NOPE", "2026-10-01", "", 1, ""]]))
    assert record.status == "failed"
    named = {(e["sheet"], e["row"], e["column"]) for e in record.errors}
    assert named == {
        ("案件", 4, "案号"),
        ("案件", 5, "办理阶段"),
        ("案件", 6, "案件类别"),
        ("案件", 7, "承办人"),
        ("案件", 8, "弱势群体"),
        ("案件", 9, "群众关注"),
        ("案件", 10, "办理阶段"),  # the gate: 重大、疑难、复杂 and never assessed
        ("信访记录", 2, "案号"),
    }, record.errors
    messages = {(e["row"], e["sheet"]): e["message"] for e in record.errors}
    assert "与第 3 行重复" in messages[(4, "案件")]
    assert "未经风险评估不得裁决" in messages[(10, "案件")]
    assert not Case.objects.filter(number__in=["（2026）示民初1号", "D1"]).exists()
    assert Case.objects.get(number="EXIST").stage == "trial"
    assert not Event.objects.filter(action="cases.case.import").exists()


def test_reimport_updates_by_number_and_records_what_changed(c, lookups):
    assert (
        run(c, xlsx([ROW1, ROW2], [["（2026）示民初1号", "2026-10-08", "", 2, "x"]])).status
        == "done"
    )
    two = Case.objects.get(number="（2026）示刑初2号")
    version = two.version
    changed = list(ROW1)
    changed[1] = "李某等十二人劳动争议案"
    changed[3] = "审理"
    changed[4] = None  # blank: keeps the handler
    changed[12] = None  # blank: keeps the facts
    record = run(c, xlsx([changed, ROW2], [["（2026）示民初1号", "2026-10-08", "", 2, "x"]]))
    assert record.status == "done", record.errors
    assert record.counts == {
        "created": 0, "updated": 1, "unchanged": 1, "stage_changes": 1, "petitions": 0,
        "petitions_skipped": 1,
    }  # fmt: skip
    one = Case.objects.get(number="（2026）示民初1号")
    assert one.title == "李某等十二人劳动争议案" and one.stage == "trial"
    assert one.handler == c.fy_handler and one.brief_facts == "拖欠工资，多次讨薪"
    revision = CaseRevision.objects.get(case=one)
    assert revision.changes == {
        "title": ["李某劳动争议案", "李某等十二人劳动争议案"],
        "stage": ["accepted", "trial"],
    }
    assert revision.source == "import" and revision.import_record_id == record.pk
    assert StageChange.objects.filter(case=one, source="import").count() == 2
    assert Case.objects.get(pk=two.pk).version == version
    assert not CaseRevision.objects.filter(case=two).exists()
    assert Petition.objects.filter(case=one).count() == 1


def test_the_organs_column_mapping_renames_its_headers(c):
    theirs = ["案件编号", "案由", "类型", "当前阶段"]
    record = run(c, xlsx([["X-1", "案", "刑事", "受理"]], header=theirs))
    assert record.status == "failed"
    assert {e["column"] for e in record.errors} == {"案号", "案件名称", "案件类别", "办理阶段"}
    do_save_mapping(
        c.fy_leader,
        profile(c),
        mapping={"案件编号": "number", "案由": "title", "类型": "category", "当前阶段": "stage"},
    )
    record = run(c, xlsx([["X-1", "案", "刑事", "受理"]], header=theirs))
    assert record.status == "done", record.errors
    assert Case.objects.get(number="X-1").title == "案"
    # Our own headers still work beside the mapping.
    assert run(c, xlsx([["X-2", "案", "刑事", "受理"]], header=HEADER[:4])).status == "done"


def test_a_csv_export_is_the_case_sheet(c):
    text = "案号,案件名称,案件类别,办理阶段,群众关注\nC-1,甲案,行政,受理,是\n"
    record = run(c, SimpleUploadedFile("c.csv", text.encode("gb18030")))
    assert record.status == "done", record.errors
    assert Case.objects.get(number="C-1").public_attention


def test_who_may_import(c):
    upload = xlsx([["R-1", "案", "刑事", "受理"]])
    for user in (c.fy_reader, c.jcy_handler, c.zfw_supervisor):
        with pytest.raises(PermissionDenied):
            run(c, upload, user)
    assert not Case.objects.filter(number="R-1").exists()


def test_clearing_major_complex_by_import_takes_a_leader(c):
    make_case(c.fy, "MC", major_complex=True)
    row = [["MC", "案", "刑事", "受理", None, None, None, None, None, None, None, "否", None]]
    record = run(c, xlsx(row))
    assert record.status == "failed" and "分管领导" in record.errors[0]["message"]
    assert run(c, xlsx(row), c.fy_leader).status == "done"
    assert not Case.objects.get(number="MC").major_complex


def test_the_command(c, tmp_path, capsys):
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx([ROW1]).read())
    args = SimpleNamespace(organ="FY", user="fy_handler", file=str(good))
    assert command(args) == 0
    assert "新增 1 件" in capsys.readouterr().out
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([["B1", "案", "海事", "受理"], ["B1", "案", "刑事", "未知"]]).read())
    assert command(SimpleNamespace(organ="FY", user="fy_handler", file=str(bad))) == 1
    err = capsys.readouterr().err
    assert "第 2 行" in err and "第 3 行" in err and "案件类别" in err and "办理阶段" in err
    assert not Case.objects.filter(number="B1").exists()


def test_the_command_through_the_cli(c, tmp_path, capsys):
    from fengping.cases.commands import run as run_command

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([["B1", "案", "刑事", "受理"]]).read())
    refused = SimpleNamespace(cases_command="import", organ="JCY", user="fy_handler", file=str(bad))
    assert run_command(refused) == 1  # another organ: not found within the user's scope
    assert "JCY" in capsys.readouterr().err
    nobody = SimpleNamespace(cases_command="import", organ="FY", user="", file=str(bad))
    assert run_command(nobody) == 1


def test_the_api_import(c, client):
    from fengping.api.tokens import do_create_token

    _row, token = do_create_token(c.fy_handler, "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    refused = client.post(
        f"/api/cases/organs/{c.fy.pk}/import",
        {"upload": xlsx([["A", "案", "刑事", "审判"]])},
        **auth,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["row"] == 2
    done = client.post(
        f"/api/cases/organs/{c.fy.pk}/import",
        {"upload": xlsx([["A", "案", "刑事", "审理"]])},
        **auth,
    )
    assert done.status_code == 200 and done.json()["counts"]["created"] == 1


def test_the_import_pages(c, login):
    client = login(c.fy_handler)
    page = client.get(f"/cases/organs/{c.fy.pk}/import/").content.decode()
    assert "案号" in page and "凡经风险评估的案件，风险未化解的不得裁决" in page
    response = client.post(
        f"/cases/organs/{c.fy.pk}/import/", {"file": xlsx([["P-1", "案", "刑事", "受理"]])}
    )
    assert response.status_code == 200 and Case.objects.filter(number="P-1").exists()
    template = client.get(f"/cases/organs/{c.fy.pk}/import/template.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(template.content))
    assert book.sheetnames[:2] == ["案件", "信访记录"]
    assert login(c.fy_reader).post(f"/cases/organs/{c.fy.pk}/import/", {}).status_code == 403


def test_a_large_import_runs_as_a_job_the_same_way(c, tmp_path, capsys, settings):
    """Past the job threshold the rows are staged and committed by the worker's job (the
    importer rebuilt from its record); the command runs the job itself."""
    settings.FENGPING_IMPORT_JOB_THRESHOLD = 1
    make_case(c.fy, "J0", stage="trial", major_complex=True)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        xlsx(
            [
                ["J1", "案", "刑事", "受理"],
                ["J0", "案", "刑事", "裁决"],
                ["J2", "案", "刑事", "受理"],
            ]
        ).read()
    )
    assert command(SimpleNamespace(organ="FY", user="fy_handler", file=str(bad))) == 1
    assert "第 3 行" in capsys.readouterr().err
    assert not Case.objects.filter(number__in=["J1", "J2"]).exists()
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx([["J1", "案", "刑事", "受理"], ["J2", "案", "刑事", "审理"]]).read())
    assert command(SimpleNamespace(organ="FY", user="fy_handler", file=str(good))) == 0
    assert set(Case.objects.filter(number__in=["J1", "J2"]).values_list("stage", flat=True)) == {
        "accepted", "trial",
    }  # fmt: skip


def test_a_changed_handler_is_recorded_by_username(c, lookups):
    make_case(c.fy, "HC", handler=c.fy_handler2)
    record = run(c, xlsx([["HC", "案件 HC", "刑事", "受理", "fy_handler"]]))
    assert record.status == "done", record.errors
    revision = CaseRevision.objects.get(case__number="HC")
    assert revision.changes == {"handler": ["fy_handler2", "fy_handler"]}
