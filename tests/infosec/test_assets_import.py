"""The asset list import (XLSX/CSV, all or nothing) and its export, which imports back
unchanged; the same import from the command line."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from fengping.audit.models import Event
from fengping.cli import main
from fengping.core.errors import ActionError
from fengping.core.models import ImportRecord
from fengping.infosec.actions import systems as actions
from fengping.infosec.asset_import import AssetImporter, import_assets
from fengping.infosec.models import Asset, AssetAddress, BusinessAsset

from .builders import add_assets, make_system

HEADER = [
    "资产编号",
    "资产名称",
    "资产层次",
    "功能部分",
    "资产类型",
    "承载业务编号",
    "主机名",
    "IP 地址",
    "部署位置",
    "保密性",
    "完整性",
    "可用性",
    "因素：资产的使命",
    "赋值理由",
]


def xlsx(rows, header=HEADER, businesses=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "资产"
    ws.append(header)
    for r in rows:
        ws.append(r)
    if businesses is not None:
        bs = wb.create_sheet("业务")
        bs.append(["业务编号", "业务名称", "业务重要性", "关联业务编号", "说明"])
        for r in businesses:
            bs.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(data: bytes, name="assets.xlsx"):
    return SimpleUploadedFile(name, data)


def row(code, ip, host="", **kw):
    r = [
        code,
        f"资产{code}",
        "系统组件和单元资产",
        "数据存储",
        "服务器",
        "",
        host,
        ip,
        "机房",
        4,
        3,
        3,
        None,
        "",
    ]
    for k, v in kw.items():
        r[HEADER.index(k)] = v
    return r


def test_import_creates_assets_with_addresses_and_values(org):
    system = make_system(org)
    n = Event.objects.count()
    record = import_assets(
        org.rsj_handler,
        system,
        upload(
            xlsx(
                [
                    row("DB", "10.10.1.40", "oa-db", 承载业务编号="GW", **{"因素：资产的使命": 5}),
                    row("WEB", "10.10.1.20\n10.10.1.21", 功能部分="业务服务提供"),
                    row("SYS", "", 资产层次="系统资产", 功能部分=""),
                ],
                businesses=[["GW", "公文流转", 5, "XX", ""], ["XX", "信息发布", 3, "", ""]],
            )
        ),
    )
    assert record.status == "done", record.errors
    assert record.counts["created"] == 3 and record.counts["businesses_created"] == 2
    db = Asset.objects.get(system=system, code="DB")
    # (2×4 + 5 + 5) / 4 = 4.5 → 5
    assert db.value == 5 and db.business.code == "GW" and db.part == "data_storage"
    assert AssetAddress.objects.filter(system=system).count() == 4
    gw = BusinessAsset.objects.get(system=system, code="GW")
    assert [b.code for b in gw.linked.all()] == ["XX"]
    assert Event.objects.filter(seq__gt=n, action="infosec.asset.import").count() == 1
    assert Event.objects.filter(seq__gt=n).count() == 1


def test_export_then_edit_one_row_updates_only_that_row(org):
    system = make_system(org)
    add_assets(system, 4)
    # values as the scheme computes them
    first = import_assets(org.rsj_handler, system, upload(AssetImporter(system).export_workbook()))
    assert first.status == "done", first.errors
    assert first.counts["unchanged"] + first.counts["updated"] == 5
    data = AssetImporter(system).export_workbook()
    again = import_assets(org.rsj_handler, system, upload(data))
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 5}
    wb = load_workbook(io.BytesIO(data))
    ws = wb["资产"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["资产编号", "资产名称", "资产层次"]
    ws.cell(row=3, column=header.index("资产名称") + 1, value="改过的名字")
    ws.cell(row=3, column=header.index("IP 地址") + 1, value="10.0.0.99")
    out = io.BytesIO()
    wb.save(out)
    versions = dict(Asset.objects.values_list("code", "version"))
    result = import_assets(org.rsj_handler, system, upload(out.getvalue()))
    assert result.status == "done", result.errors
    assert (result.counts["updated"], result.counts["unchanged"]) == (1, 4)
    changed = Asset.objects.get(code=ws.cell(row=3, column=1).value)
    assert changed.name == "改过的名字" and changed.ips == "10.0.0.99"
    assert AssetAddress.objects.filter(asset=changed, value="10.0.0.99").exists()
    assert changed.code == "OA-002" and not AssetAddress.objects.filter(value="10.0.0.2").exists()
    after = dict(Asset.objects.values_list("code", "version"))
    assert [c for c in after if after[c] != versions[c]] == [changed.code]
    # a formula-looking name goes out with an apostrophe and comes back without it
    Asset.objects.filter(pk=changed.pk).update(name="=HYPERLINK(1)", location="-1F")
    again = load_workbook(io.BytesIO(AssetImporter(system).export_workbook()))["资产"]
    assert any(c.value == "'=HYPERLINK(1)" for c in again["B"])
    assert (
        import_assets(
            org.rsj_handler, system, upload(AssetImporter(system).export_workbook())
        ).counts["unchanged"]
        == 5
    )


def test_one_bad_row_writes_nothing(org):
    system = make_system(org)
    record = import_assets(
        org.rsj_handler,
        system,
        upload(
            xlsx([row("A", "10.0.0.1"), row("B", "10.0.0.300"), row("C", "10.0.0.3", 保密性=9)])
        ),
    )
    assert record.status == "failed"
    errors = {(e["row"], e["column"]) for e in record.errors}
    assert errors == {(3, "IP 地址"), (4, "保密性")}
    assert not Asset.objects.filter(system=system).exists()


def test_duplicates_in_the_file_are_named_by_row(org):
    system = make_system(org)
    record = import_assets(
        org.rsj_handler,
        system,
        upload(
            xlsx(
                [
                    row("A", "10.0.0.1", "h1"),
                    row("A", "10.0.0.2"),
                    row("B", "10.0.0.1"),
                    row("C", "10.0.0.3", "H1"),
                ]
            )
        ),
    )
    assert record.status == "failed"
    messages = {(e["row"], e["column"], e["message"]) for e in record.errors}
    assert (3, "资产编号", "与第 2 行重复") in messages
    assert (4, "IP 地址", "“10.0.0.1”与第 2 行重复") in messages
    assert (5, "主机名", "“h1”与第 2 行重复") in messages
    assert not Asset.objects.exists()


def test_an_address_of_an_asset_not_in_the_file_is_refused(org):
    system = make_system(org)
    add_assets(system, 2)  # 10.0.0.1 host-1, 10.0.0.2 host-2
    record = import_assets(org.rsj_handler, system, upload(xlsx([row("NEW", "10.0.0.2")])))
    assert record.status == "failed"
    assert "10.0.0.2" in record.errors[0]["message"] and "OA-002" in record.errors[0]["message"]
    # the same address moves when its asset is in the file without it (even later in it)
    record = import_assets(
        org.rsj_handler,
        system,
        upload(xlsx([row("NEW", "10.0.0.2"), row("OA-002", "10.0.0.22", "host-2")])),
    )
    assert record.status == "done", record.errors
    assert AssetAddress.objects.get(system=system, value="10.0.0.2").asset.code == "NEW"


def test_unknown_business_is_refused(org):
    system = make_system(org)
    record = import_assets(
        org.rsj_handler, system, upload(xlsx([row("A", "10.0.0.1", 承载业务编号="NOPE")]))
    )
    assert record.status == "failed" and "NOPE" in record.errors[0]["message"]


def test_csv_reads_the_asset_sheet(org):
    system = make_system(org)
    text = ",".join(HEADER) + "\n" + "A,数据库,,数据存储,,,db1,10.0.0.1,,4,4,4,,\n"
    record = import_assets(org.rsj_handler, system, upload(text.encode("gb18030"), "a.csv"))
    assert record.status == "done", record.errors
    assert Asset.objects.get(code="A").value == 4


def test_a_renamed_png_is_refused(org):
    system = make_system(org)
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    with pytest.raises(ActionError, match="不符"):
        import_assets(org.rsj_handler, system, upload(png))
    assert not ImportRecord.objects.exists()


def test_outsiders_and_readers_cannot_import(org):
    system = make_system(org)
    for user in (org.zjj_handler, org.supervisor):
        with pytest.raises(PermissionDenied):
            import_assets(user, system, upload(xlsx([row("A", "10.0.0.1")])))


def test_import_revalues_assets_when_the_business_sheet_changes_importance(org):
    system = make_system(org)
    gw = actions.do_save_business(org.rsj_handler, system, code="GW", name="公文", importance=5)
    a = actions.do_save_asset(
        org.rsj_handler,
        system,
        code="A",
        name="a",
        part="client",
        confidentiality=2,
        integrity=2,
        availability=2,
        business=gw,
    )
    assert a.value == 3  # (4 + 5) / 3 = 3
    record = import_assets(
        org.rsj_handler, system, upload(xlsx([], businesses=[["GW", "公文", 1, "", ""]]))
    )
    assert record.status == "done", record.errors
    a.refresh_from_db()
    assert a.value == 2 and record.counts["revalued"] == 1  # (4 + 1) / 3 = 1.67 → 2


# ---------------------------------------------------------------- command line


def test_the_command_imports_and_prints_the_counts(org, tmp_path, capsys):
    system = make_system(org)
    path = tmp_path / "assets.xlsx"
    path.write_bytes(xlsx([row("A", "10.0.0.1"), row("B", "10.0.0.2")]))
    argv = ["infosec", "import-assets", "--system", system.code, "--user", "rsj_handler", str(path)]
    assert main(argv) == 0
    assert "新增 2 项，更新 0 项，未变 0 项" in capsys.readouterr().out
    assert main(argv) == 0
    assert "新增 0 项，更新 0 项，未变 2 项" in capsys.readouterr().out


def test_the_command_refuses_with_the_rows(org, tmp_path, capsys):
    system = make_system(org)
    path = tmp_path / "assets.xlsx"
    path.write_bytes(xlsx([row("A", "10.0.0.1"), row("B", "10.0.0.1")]))
    argv = ["infosec", "import-assets", "--system", system.code, "--user", "rsj_handler", str(path)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "未写入任何数据" in err and "第 3 行" in err and "与第 2 行重复" in err
    assert not Asset.objects.exists()
    png = tmp_path / "x.xlsx"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    assert main([*argv[:-1], str(png)]) == 1
    assert "不符" in capsys.readouterr().err
    assert main([*argv[:-2], "supervisor", str(path)]) == 1
    assert capsys.readouterr().err.strip()


def test_the_command_runs_a_large_file_itself(org, tmp_path, capsys, settings):
    settings.FENGPING_IMPORT_JOB_THRESHOLD = 1
    system = make_system(org)
    path = tmp_path / "assets.xlsx"
    path.write_bytes(xlsx([row("A", "10.0.0.1"), row("B", "10.0.0.2"), row("C", "10.0.0.3")]))
    argv = ["infosec", "import-assets", "--system", "OA", "--user", "rsj_handler", str(path)]
    assert main(argv) == 0, capsys.readouterr().err
    assert "新增 3 项" in capsys.readouterr().out
    assert Asset.objects.filter(system=system).count() == 3
    path.write_bytes(xlsx([row("A", "10.0.0.1"), row("B", "10.0.0.1")]))
    assert main(argv) == 1
    assert "与第 2 行重复" in capsys.readouterr().err
