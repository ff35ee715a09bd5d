"""A scheme lacking an output its kind needs is refused — by the loader, by
`fengping scheme check` and at upload on the 评估方案 page — with the path named; a scheme
frozen by a past run stays readable."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pydantic import ValidationError

from fengping.cli import main
from fengping.schemebook.models import UploadedScheme
from fengping.schemes import Scheme, load_text
from fengping.schemes.model import REQUIRED_OUTPUTS
from tests.schemes.helpers import BUILTIN_KEYS, builtin_data, dump, refuse


def report_draft(data: dict[str, Any]) -> dict[str, Any]:
    """ssra-town whose report step produces `report_draft` (and the decide step requires it)."""
    steps = data["procedure"]["steps"]
    report = next(s for s in steps if s["code"] == "report")
    decide = next(s for s in steps if s["code"] == "decide")
    report["produces"] = ["report_draft"]
    decide["requires"] = ["report_draft"]
    return data


def city(data: dict[str, Any]) -> dict[str, Any]:
    data["key"] = "ssra-city"
    data["name"] = "某市重大事项社会稳定风险评估"
    return data


def test_every_builtin_produces_what_its_kind_needs() -> None:
    for key in BUILTIN_KEYS:
        data = builtin_data(key)
        produced = {o for s in data["procedure"]["steps"] for o in s.get("produces", [])}
        assert set(REQUIRED_OUTPUTS[data["kind"]]) <= produced, key
        assert load_text(dump(data), f"{key}.yaml").key == key


def test_a_report_step_producing_report_draft_is_refused_naming_the_path() -> None:
    error = refuse(dump(report_draft(builtin_data("ssra-town"))))
    issues = [i for i in error.issues if i.path == "procedure.steps"]
    assert len(issues) == 1, error.issues
    assert '"report"' in issues[0].zh and "评估报告" in issues[0].zh
    assert "needs a step that produces" in issues[0].en
    assert "broken.yaml: procedure.steps: ssra 类方案须有一个步骤产出" in str(error)


def test_every_missing_output_is_listed() -> None:
    data = builtin_data("ssra-bureau")
    for s in data["procedure"]["steps"]:
        s["produces"] = [o for o in s.get("produces", []) if o not in ("report", "decision")]
        s["requires"] = [r for r in s.get("requires", []) if r not in ("report", "decision")]
    error = refuse(dump(data))
    messages = [i.zh for i in error.issues if i.path == "procedure.steps"]
    assert len(messages) == 2
    assert '"report"' in messages[0] and '"decision"' in messages[1]


def test_the_decision_must_come_after_the_report() -> None:
    data = builtin_data("ssra-town")
    steps = data["procedure"]["steps"]
    # The report step (index 5) produces the decision, the decide step the report.
    steps[5]["produces"], steps[6]["produces"] = ["decision"], ["report", "filing"]
    steps[6]["requires"] = []
    error = refuse(dump(data))
    assert [i.path for i in error.issues] == ["procedure.steps[5].produces[0]"]
    assert '"decision"' in error.issues[0].zh and "须在产出" in error.issues[0].zh
    assert "must come after" in error.issues[0].en


def test_isra_and_case_need_their_outputs_too() -> None:
    data = builtin_data("isra")
    for s in data["procedure"]["steps"]:
        if "treatment_plan" in s["produces"]:
            s["produces"] = ["treatment_draft"]
        s["requires"] = [r for r in s.get("requires", []) if r != "treatment_plan"]
    error = refuse(dump(data))
    assert [i.path for i in error.issues] == ["procedure.steps"]
    assert '"treatment_plan"' in error.issues[0].zh


def test_a_frozen_snapshot_is_read_under_the_rules_it_was_accepted_under() -> None:
    data = report_draft(builtin_data("ssra-town"))
    with pytest.raises(ValidationError):
        Scheme.model_validate(data)
    frozen = Scheme.model_validate(data, context={"frozen": True})
    assert frozen.procedure.steps[5].produces == ["report_draft"]


def test_scheme_check_refuses_it(db, tmp_path, capsys) -> None:
    path = tmp_path / "ssra-city.yaml"
    path.write_text(dump(city(report_draft(builtin_data("ssra-town")))), encoding="utf-8")
    assert main(["scheme", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "ssra-city.yaml: procedure.steps:" in err
    assert '"report"' in err and "评估报告" in err


def test_upload_refuses_it_and_saves_nothing(org, login) -> None:
    text = dump(city(report_draft(builtin_data("ssra-town"))))
    upload = SimpleUploadedFile("ssra-city.yaml", text.encode(), content_type="application/yaml")
    response = login(org.admin).post(reverse("schemebook:upload"), {"file": upload})
    assert response.status_code == 200
    html = response.content.decode()
    assert "procedure.steps" in html and "评估报告" in html and "未保存" in html
    assert not UploadedScheme.objects.exists()
