"""The infosec app's frame: systems are scoped, an assessment runs the isra procedure, and
the command line refuses what it cannot do with a message and a non-zero exit."""

from __future__ import annotations

import pytest

from fengping.cli import main
from fengping.core.errors import ActionError
from fengping.infosec.actions.assessments import do_complete_step, do_start_assessment
from fengping.infosec.models import SystemAssessment

from .builders import add_assets, make_system, start


def test_outsider_does_not_see_a_system(org, login):
    system = make_system(org)
    assert login(org.rsj_handler).get(f"/infosec/systems/{system.pk}/").status_code == 200
    assert login(org.zjj_handler).get(f"/infosec/systems/{system.pk}/").status_code == 404
    page = login(org.zjj_handler).get("/infosec/")
    assert page.status_code == 200 and "协同办公系统" not in page.content.decode()
    page = login(org.supervisor).get("/infosec/")
    assert "协同办公系统" in page.content.decode()


def test_start_freezes_the_scheme_and_refuses_a_second_open_assessment(org):
    system = make_system(org)
    a = start(org, system)
    assert a.scheme.key == "isra" and a.current_step == "assets"
    assert a.calculation == "multiplication"
    with pytest.raises(ActionError, match="已有进行中"):
        start(org, system, title="again")


def test_a_reader_cannot_start(org):
    system = make_system(org)
    with pytest.raises(Exception) as exc:
        do_start_assessment(org.supervisor, system, title="x")
    assert exc.type.__name__ in {"PermissionDenied", "Http404"}


def test_the_asset_step_needs_assets(org):
    system = make_system(org)
    a = start(org, system)
    with pytest.raises(ActionError, match="资产清单"):
        do_complete_step(org.rsj_handler, a, "assets")
    add_assets(system, 2)
    a = do_complete_step(org.rsj_handler, SystemAssessment.objects.get(pk=a.pk), "assets")
    assert a.current_step == "threats"


def test_the_command_refuses_an_unknown_user_and_system(org, tmp_path, capsys):
    make_system(org)
    report = tmp_path / "scan.nessus"
    report.write_text("<NessusClientData_v2/>")
    assert main(["infosec", "import-scan", "--system", "OA", "--user", "ghost", str(report)]) == 1
    assert "用户“ghost”不存在" in capsys.readouterr().err
    assert (
        main(["infosec", "import-scan", "--system", "NOPE", "--user", "rsj_handler", str(report)])
        == 1
    )
    assert "系统“NOPE”不存在或无权访问" in capsys.readouterr().err
    # Another department's user does not learn that the system exists.
    assert (
        main(["infosec", "import-scan", "--system", "OA", "--user", "zjj_handler", str(report)])
        == 1
    )
    assert "不存在或无权访问" in capsys.readouterr().err
