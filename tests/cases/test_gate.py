"""The adjudication gate (篇4 二1–3) at every door, generated from the scheme data: for every
organ kind of the builtin case-risk scheme and every stage with a `gate`, each door (the
action, the page's POST, the API, the import) refuses

* a case whose assessed risk is not resolved, quoting 凡经风险评估的案件，风险未化解的不得裁决;
* a 重大、疑难、复杂 case never assessed, quoting 未经风险评估不得裁决;
* a case awaiting the head's second confirmation, at an adjudicate gate;

and lets a case with none of these through. A refusal changes nothing: the stage stays, no
StageChange is written, and a refused import writes nothing at all (naming the row).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fengping.api.tokens import do_create_token
from fengping.cases.actions.assessments import do_start_assessment
from fengping.cases.actions.cases import do_move_stage
from fengping.cases.case_import import CaseImporter
from fengping.cases.models import Case, CaseRevision, OrganProfile, StageChange
from fengping.core.errors import ActionError
from fengping.core.imports import run_import
from fengping.org import actions as org_actions
from fengping.org.models import Department, DepartmentKind, Role, User
from fengping.schemes.loader import load_builtin
from tests.conftest import settled

from ..conftest import PASSWORD, build_org
from ..module_db import module_data
from .builders import build_courts, make_case

UNRESOLVED = "凡经风险评估的案件，风险未化解的不得裁决"
UNASSESSED = "未经风险评估不得裁决"
CAREFUL = "慎之又慎"

# Read at collection from the builtin file (the registry needs the database).
SECTION = load_builtin()["case-risk"].cases
GATED = [
    (kind.code, i, stage.code, stage.gate)
    for kind in SECTION.organ_kinds
    for i, stage in enumerate(kind.stages)
    if stage.gate
]
DOORS = ("action", "page", "api", "import")
CONDITIONS = ("risk_open", "unassessed", "confirmation", "clear")


def test_the_scheme_has_gates_for_every_kind():
    kinds = {k for k, *_rest in GATED}
    assert kinds == {k.code for k in SECTION.organ_kinds}
    assert {g for *_rest, g in GATED} == {"adjudicate", "close"}


@dataclass
class World:
    organs: dict[str, int]  # organ kind -> department pk
    handlers: dict[str, int]  # organ kind -> handler pk


def _build() -> World:
    org = build_org()
    courts = build_courts(org)
    organs = {"court": courts.fy.pk, "procuratorate": courts.jcy.pk}
    handlers = {"court": courts.fy_handler.pk, "procuratorate": courts.jcy_handler.pk}
    for code in ("public_security", "justice"):
        dept = org_actions.do_create_department(
            org.superuser,
            name=f"{code}单位",
            code=code.upper(),
            kind=DepartmentKind.POLITICAL_LEGAL,
            parent=org.root,
        )
        OrganProfile.objects.create(department=dept, organ_kind=code)
        user, _ = org_actions.do_create_user(
            org.superuser,
            username=f"{code}_handler",
            real_name=f"{code}承办人",
            department=dept,
            role=Role.HANDLER,
            password=PASSWORD,
        )
        settled(user)
        organs[code], handlers[code] = dept.pk, user.pk
    assert set(organs) == {k.code for k in SECTION.organ_kinds}
    return World(organs, handlers)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from module_data(django_db_blocker, _build)


def _case(world: World, kind: str, index: int, condition: str, number: str) -> tuple[Case, User]:
    """A case of an organ of `kind` at the stage before the gated one, in `condition`."""
    organ = Department.objects.get(pk=world.organs[kind])
    handler = User.objects.get(pk=world.handlers[kind])
    stages = SECTION.organ_kind(kind).stages
    case = make_case(
        organ,
        number,
        stage=stages[index - 1].code,
        handler=handler,
        major_complex=condition == "unassessed",
    )
    if condition == "risk_open":
        do_start_assessment(handler, case)  # an open assessment: its risk is not resolved
    elif condition == "confirmation":
        Case.objects.filter(pk=case.pk).update(confirmation_needed=True)
    case.refresh_from_db()
    if condition == "risk_open":
        assert case.risk_open
    return case, handler


def _expected(condition: str, gate: str) -> str | None:
    if condition == "risk_open":
        return UNRESOLVED
    if condition == "unassessed":
        return UNASSESSED
    if condition == "confirmation" and gate == "adjudicate":
        return CAREFUL
    return None


def _csv(rows: list[list[str]]) -> SimpleUploadedFile:
    out = io.StringIO()
    out.write("案号,案件名称,案件类别,办理阶段\n")
    for row in rows:
        out.write(",".join(row) + "\n")
    return SimpleUploadedFile("cases.csv", out.getvalue().encode("utf-8"))


def _through_door(door: str, client: Any, case: Case, handler: User, target: str, label: str):
    """Ask the door to move the case to `target`; return the refusal text or None."""
    if door == "action":
        try:
            do_move_stage(handler, case, to_stage=target, version=case.version)
        except ActionError as exc:
            return exc.message
        return None
    if door == "page":
        client.force_login(handler)
        url = f"/cases/{case.pk}/stage/"
        page = client.get(url).content.decode()
        response = client.post(url, {"to_stage": target, "version": case.version})
        if response.status_code == 302:
            return None
        assert response.status_code == 200
        body = response.content.decode()
        # The refusal was on the form before submitting, the option disabled …
        refusal = case.stage_refusal(
            OrganProfile.objects.get(department_id=case.organ_id).kind(), target
        )
        assert refusal in page
        assert f'value="{target}" disabled' in page
        # … and the POST is refused with the same text.
        assert refusal in body
        return refusal
    if door == "api":
        _row, token = do_create_token(handler, "gate")
        response = client.post(
            f"/api/cases/cases/{case.pk}/stage",
            {"to_stage": target, "version": case.version},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        if response.status_code == 200:
            assert response.json()["stage"] == target
            return None
        assert response.status_code == 400, response.content
        return response.json()["detail"]
    # The import: the case's row, and a clean case's row that would pass on its own.
    profile = OrganProfile.objects.select_related("department").get(department_id=case.organ_id)
    other = make_case(case.organ, f"{case.number}-other", stage=case.stage, handler=handler)
    upload = _csv(
        [
            [case.number, case.title, "刑事", label],
            [other.number, other.title, "刑事", label],
        ]
    )
    revisions = CaseRevision.objects.count()
    record = run_import(handler, CaseImporter(profile), upload)
    if record.status == "done":
        assert record.counts["updated"] == 2
        assert StageChange.objects.filter(case=other, source="import").count() == 1
        return None
    assert record.status == "failed"
    # Nothing written: not even the row that would have passed.
    other.refresh_from_db()
    assert other.stage == case.stage
    assert not StageChange.objects.filter(case=other).exists()
    assert CaseRevision.objects.count() == revisions
    named = [e for e in record.errors if e["row"] == 2 and e["column"] == "办理阶段"]
    assert named, record.errors
    assert all(e["row"] == 2 for e in record.errors), "only the forbidden row is named"
    return named[0]["message"]


CASES = [
    (kind, index, stage, gate, door, condition)
    for kind, index, stage, gate in GATED
    for door in DOORS
    for condition in CONDITIONS
]


@pytest.mark.parametrize(
    ("kind", "index", "stage", "gate", "door", "condition"),
    CASES,
    ids=[f"{k}-{s}-{d}-{c}" for k, _i, s, _g, d, c in CASES],
)
def test_the_gate(db, world, client, kind, index, stage, gate, door, condition):
    number = f"（2026）{kind}-{stage}-{door}-{condition}"
    case, handler = _case(world, kind, index, condition, number)
    before = case.stage
    changes = StageChange.objects.filter(case=case).count()
    label = SECTION.organ_kind(kind).stage(stage).label
    refusal = _through_door(door, client, case, handler, stage, label)
    expected = _expected(condition, gate)
    case.refresh_from_db()
    if expected is None:
        assert refusal is None
        assert case.stage == stage
        moved = StageChange.objects.filter(case=case).order_by("-id").first()
        assert moved.to_stage == stage and moved.from_stage == before
        assert moved.gate == gate
        assert moved.source == {"action": "page", "page": "page"}.get(door, door)
        return
    assert refusal is not None and expected in refusal, refusal
    assert case.stage == before
    assert StageChange.objects.filter(case=case).count() == changes


@pytest.mark.parametrize(("kind", "index", "stage", "gate"), GATED)
def test_jumping_over_the_gate_is_refused_too(db, world, kind, index, stage, gate):
    """From the first stage straight to the gated one (or past it) crosses every gate."""
    case, handler = _case(world, kind, index, "risk_open", f"（2026）jump-{kind}-{stage}")
    first = SECTION.organ_kind(kind).stages[0].code
    Case.objects.filter(pk=case.pk).update(stage=first)
    case.refresh_from_db()
    last = SECTION.organ_kind(kind).stages[-1].code
    with pytest.raises(ActionError, match=UNRESOLVED):
        do_move_stage(handler, case, to_stage=last)
    case.refresh_from_db()
    assert case.stage == first


@pytest.mark.parametrize(("kind", "index", "stage", "gate"), GATED)
def test_a_new_major_complex_case_cannot_be_registered_past_a_gate(
    db, world, kind, index, stage, gate
):
    """Registering (or importing) a new case directly at a gated stage is a move too."""
    from fengping.cases.actions.cases import do_create_case

    organ = Department.objects.get(pk=world.organs[kind])
    handler = User.objects.get(pk=world.handlers[kind])
    with pytest.raises(ActionError, match=UNASSESSED):
        do_create_case(
            handler,
            organ,
            number=f"new-{kind}-{stage}",
            title="新案",
            category="criminal",
            stage=stage,
            major_complex=True,
        )
    profile = OrganProfile.objects.select_related("department").get(department=organ)
    label = SECTION.organ_kind(kind).stage(stage).label
    record = run_import(
        handler,
        CaseImporter(profile),
        SimpleUploadedFile(
            "c.csv",
            f"案号,案件名称,案件类别,办理阶段,重大、疑难、复杂\nnew-{kind}-{stage},新案,刑事,{label},是\n".encode(),
        ),
    )
    assert record.status == "failed"
    assert UNASSESSED in record.errors[0]["message"]
    assert not Case.objects.filter(organ=organ, number=f"new-{kind}-{stage}").exists()
