"""Every page and API endpoint that names an object: an outsider (another department)
gets 404, a member who may read but not change gets 403 on everything that changes, the
owner may proceed. The organisation and its objects are built once for the module and
rolled back at its end (tests/module_db.py); each test runs in its own savepoint.

How to add a row
----------------
Pages. A URL whose pattern takes an argument must appear in PAGES under the kind of object
its argument names: `"app:url_name": CHANGE` when a POST changes something, `READ` when it
only shows. `test_every_object_url_is_covered` fails for a URL without a row. (A row in the
old flat format `"app:url_name": ("kind", True)` goes to `PAGES["kind"]["app:url_name"] = CHANGE`.)
A URL that is not scoped by department goes into OTHER_OBJECT_URLS with a comment saying
where it is tested instead.

API. The rows are generated from the OpenAPI schema: every operation whose path has a
parameter is tested (outsider 404 on every method; reader 403 on every POST, PUT, PATCH and
DELETE; a member reads every GET). What you may have to add:
- a new path parameter name: `API_PARAMETERS[name] = "<kind>"`, the fixture object it takes;
- a new kind of object: build one in `build_objects` (key = kind) and name its READERS;
- in `API_OPERATIONS["METHOD /api/path"]`, when the defaults do not fit: `kind` (whose
  READERS must get 403; required for a changing operation without path parameters),
  `params` (parameter → kind, overriding API_PARAMETERS), `readers` (overriding READERS)
  or `body` (a function of the fixture objects returning fields laid over the minimal body
  generated from the schema, for fields that must name a real object).
`test_every_api_operation_has_a_row` names the operation and what to add.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from fengping.api.main import api
from fengping.api.tokens import do_create_token
from fengping.assessments import actions as assessments
from fengping.assessments.actions import pending_review
from fengping.matters.actions import do_add_document, do_register_matter
from fengping.opinions import actions as opinions
from fengping.org import actions
from fengping.org.models import Department, LeaderPosition, Membership, User
from fengping.schemebook.actions import do_upload_scheme
from fengping.schemes import BUILTIN_DIR
from tests.assessments.flow import ESTIMATES, approve_reviews, to_decide_step, to_grade_step
from tests.cases import scoping as cases_scoping
from tests.conftest import Org, build_org, settled
from tests.infosec import scoping as infosec_scoping
from tests.module_db import module_data
from tests.opinions.conftest import build_questionnaire
from tests.supervision import scoping as supervision_scoping

# ---------------------------------------------------------------- the module's objects


def build_lead_department(org: Org) -> User:
    """发改局, the lead department (篇3 五 牵头部门) of the module's matter, and its handler:
    a member of the lead department, not of the 责任主体."""
    fgj = actions.do_create_department(
        org.superuser, name="发改局", code="FGJ", kind="functional", parent=org.root
    )
    user, _ = actions.do_create_user(
        org.superuser,
        username="fgj_handler",
        real_name="发改局承办人",
        department=fgj,
        role="handler",
        password="Test-password-2026",
    )
    settled(user)
    return user


def build_objects(org: Org, lead: Department | None = None) -> dict[str, Any]:
    """One object of each kind, owned by 人社局 (led by `lead`, 发改局): kind -> primary
    key (or path value)."""
    group = actions.do_save_leadership_group(
        org.admin, org.rsj, name="人社局领导小组", office=org.rsj_unit
    )
    leader = actions.do_add_leader(
        org.admin, group, org.rsj_head, LeaderPosition.HEAD, title="局长"
    )
    matter = do_register_matter(
        org.rsj_handler,
        title="企业退休人员养老金调整",
        scheme_key="ssra-town",
        category_code="focus_social_security",
        department=org.rsj,
        lead_department=lead,
    )
    document = do_add_document(
        org.rsj_handler, matter, SimpleUploadedFile("a.txt", "说明".encode())
    )
    assessment = assessments.do_start_assessment(org.rsj_handler, matter)
    base = {
        "api_token": do_create_token(org.rsj_handler, "scoping-object")[0].pk,
        "department": org.rsj.pk,
        "supervising_office": org.wwb.pk,
        "user": org.rsj_handler.pk,
        "membership": Membership.objects.get(user=org.rsj_handler).pk,
        "leadership_group": group.pk,
        "leader": leader.pk,
        "matter": matter.pk,
        "matter_document": document.pk,
        "assessment": assessment.pk,
        "assessment_step": assessment.current_step,
        **assessment_objects(org, assessment),
        **review_objects(org),
        **opinion_objects(org, matter),
        "uploaded_scheme": upload_scheme(org).key,
        "report_template": "default",
        **infosec_scoping.objects(org),
        **cases_scoping.objects(org),
    }
    # The supervision objects may name the ones above (a matter in a plan, a case or a
    # system linked to an incident): `base` hands them over.
    return {**base, **supervision_scoping.objects(org, base)}


def upload_scheme(org: Org):
    text = (BUILTIN_DIR / "ssra-town.yaml").read_text(encoding="utf-8")
    return do_upload_scheme(
        org.admin, "town-copy.yaml", text.replace("key: ssra-town", "key: town-copy", 1)
    )


def assessment_objects(org: Org, assessment) -> dict[str, Any]:
    member = assessments.do_add_member(org.rsj_handler, assessment, kind="expert", name="王教授")
    factor = assessments.do_save_factor(
        org.rsj_handler, assessment, dimension="legality", title="标准争议", **ESTIMATES
    )
    doc = assessments.do_archive_document(
        org.rsj_handler, assessment, SimpleUploadedFile("方案.txt", "方案".encode()), title="方案"
    )
    measure = assessments.do_add_measure(
        org.rsj_handler, assessment, kind="response", title="分批兑现", owner="养老保险科"
    )
    return {
        "assessment_member": member.pk,
        "risk_factor": factor.pk,
        "archive_document": doc.pk,
        "follow_up_measure": measure.pk,
    }


def review_objects(org: Org) -> dict[str, Any]:
    """An assessment whose report awaits review: only there does the review action get as
    far as asking who reviews; its grade was changed when grading, so a proposal awaits a
    leader. And a decided one filed with 联席办, whose filing only a member of 联席办 may
    acknowledge (签收)."""
    a = to_decide_step(org, to_grade_step(org), grade="level3", reason="群众反映较大")
    override = a.pending_override()
    decided = approve_reviews(org, to_decide_step(org, to_grade_step(org)))
    today = timezone.localdate()
    assessments.do_decide(
        org.rsj_handler,
        decided,
        outcome="reject",
        doc_no=f"示政发〔{today.year}〕1号",
        decided_on=today,
    )
    filing = assessments.do_file(org.rsj_handler, decided, office=org.lxb, filed_on=today)
    return {
        "assessment_review": a.pk,
        "review_stage": pending_review(a).code,
        "grade_override": override.pk,
        "condition_code": "plan_filed",
        "filing": filing.pk,
    }


def opinion_objects(org: Org, matter) -> dict[str, Any]:
    qn = build_questionnaire(org, matter)
    activity = opinions.do_record_activity(
        org.rsj_handler,
        matter,
        kind="hearing",
        date=timezone.localdate(),
        uploads=[SimpleUploadedFile("纪要.txt", "纪要".encode())],
    )
    comment = opinions.do_add_comment(
        org.rsj_handler, matter, channel="letter", content="质疑", is_query=True
    )
    return {
        "questionnaire": qn.pk,
        "question": qn.questions.first().pk,
        "opinion_activity": activity.pk,
        "opinion_attachment": activity.attachments.get().pk,
        "opinion_comment": comment.pk,
        "import_record": opinions.import_paper_responses(
            org.rsj_handler, qn, SimpleUploadedFile("答卷.csv", "受访群体\n企业\n".encode())
        ).pk,
    }


@dataclass(frozen=True)
class World:
    org: Org
    objects: dict[str, Any]
    tokens: dict[str, str]  # persona -> API token ("lead": the lead department's handler)
    lead: User


def build_world() -> World:
    org = build_org()
    lead = build_lead_department(org)
    objects = build_objects(org, lead.memberships.get().department)
    tokens = {}
    for f in fields(org):
        if isinstance(person := getattr(org, f.name), User):
            _row, tokens[f.name] = do_create_token(person, "scoping")
    _row, tokens["lead"] = do_create_token(lead, "scoping")
    return World(org, objects, tokens, lead)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from module_data(django_db_blocker, build_world)


@pytest.fixture
def org(db, world) -> Org:
    # Overrides the per-test organisation of tests/conftest.py for this module.
    return world.org.fresh()


@pytest.fixture
def objects(db, world) -> dict[str, Any]:
    return dict(world.objects)


# ---------------------------------------------------------------- pages

READ, CHANGE = False, True

# object kind -> {url name: whether a POST changes something}
PAGES: dict[str, dict[str, bool]] = {
    "department": {
        "org:department": READ,
        "org:department_edit": CHANGE,
        "org:department_delete": CHANGE,
        "org:leadership_edit": CHANGE,
    },
    "leadership_group": {"org:leader_add": CHANGE},
    "leader": {"org:leader_remove": CHANGE},
    "user": {
        "org:user": READ,
        "org:user_edit": CHANGE,
        "org:user_password": CHANGE,
        "org:membership_add": CHANGE,
    },
    "membership": {"org:membership_remove": CHANGE},
    "matter": {
        "matters:detail": READ,
        "matters:edit": CHANGE,
        "matters:designate": CHANGE,
        "matters:responsibility": CHANGE,
        "matters:consultation": CHANGE,
        "matters:document_add": CHANGE,
        "assessments:matter_decide": CHANGE,
        "assessments:start": CHANGE,
        "opinions:matter": READ,
        "opinions:questionnaire_create": CHANGE,
        "opinions:activities": READ,
        "opinions:activities_export": READ,
        "opinions:activity_create": CHANGE,
        "opinions:comments": READ,
        "opinions:comments_export": READ,
        "opinions:comment_create": CHANGE,
    },
    "matter_document": {
        "matters:document": READ,
        "matters:document_remove": CHANGE,
    },
    "assessment": {
        "assessments:detail": READ,
        "assessments:complete_step": CHANGE,
        "assessments:send_back": CHANGE,
        "assessments:plan": CHANGE,
        "assessments:member_add": CHANGE,
        "assessments:archive_add": CHANGE,
        "assessments:factor_add": CHANGE,
        "assessments:checklist_answer": CHANGE,
        "assessments:grade": CHANGE,
        "assessments:condition_confirm": CHANGE,
        "assessments:condition_record": CHANGE,
        "assessments:override_propose": CHANGE,
        "assessments:decide": CHANGE,
        "assessments:file": CHANGE,
        "assessments:measure_add": CHANGE,
        "assessments:incident_add": CHANGE,
        "assessments:survey_add": CHANGE,
        "assessments:redecide": CHANGE,
        "assessments:finish": CHANGE,
        "reports:generate": CHANGE,
        "reports:docx": READ,
        "reports:print": READ,
        "reports:archive_zip": READ,
    },
    "assessment_member": {"assessments:member_remove": CHANGE},
    "archive_document": {"assessments:archive_document": READ},
    "risk_factor": {
        "assessments:factor_edit": CHANGE,
        "assessments:factor_remove": CHANGE,
        "assessments:factor_score": CHANGE,
        "assessments:mitigation_add": CHANGE,
    },
    "follow_up_measure": {"assessments:measure_update": CHANGE},
    "assessment_review": {"assessments:review": CHANGE},
    "filing": {"assessments:filing_acknowledge": CHANGE},
    "grade_override": {
        "assessments:override_approve": CHANGE,
        "assessments:override_reject": CHANGE,
    },
    "questionnaire": {
        "opinions:questionnaire": READ,
        "opinions:questionnaire_edit": CHANGE,
        "opinions:questionnaire_publish": CHANGE,
        "opinions:questionnaire_close": CHANGE,
        "opinions:question_add": CHANGE,
        "opinions:responses": READ,
        "opinions:responses_export": READ,
        "opinions:import": CHANGE,
        "opinions:import_template": READ,
    },
    "question": {
        "opinions:question_edit": CHANGE,
        "opinions:question_delete": CHANGE,
    },
    "opinion_activity": {
        "opinions:activity": READ,
        "opinions:attachment_add": CHANGE,
    },
    "opinion_attachment": {"opinions:attachment": READ},
    "opinion_comment": {
        "opinions:comment_reply": CHANGE,
        "opinions:comment_revision": CHANGE,
        "opinions:comment_stance": CHANGE,
    },
    # An import record: its importer and the readers of the department it imported into.
    "import_record": {"import_record": READ, "import_progress": READ},
}
# Who may read but not change each kind of object: organisation data is changed by
# administrators only; a matter by the work roles of its department, so only the
# supervisor (督查) is a pure reader there.
READERS: dict[str, tuple[str, ...]] = {
    "department": ("supervisor", "rsj_head"),
    "user": ("supervisor", "rsj_head"),
    "membership": ("supervisor", "rsj_head"),
    "leadership_group": ("supervisor", "rsj_head"),
    "leader": ("supervisor", "rsj_head"),
    "matter": ("supervisor",),
    "matter_document": ("supervisor",),
    "assessment": ("supervisor",),
    "assessment_member": ("supervisor",),
    "risk_factor": ("supervisor",),
    "archive_document": ("supervisor",),
    "follow_up_measure": ("supervisor",),
    # Supervisors (督查) may review a report, and the review page answers a form without
    # the pending stage with a message, whoever sends it: no pure reader for the page (the
    # API operation names one: a handler, with a valid body).
    "assessment_review": (),
    # Only a 分管领导 or 主要负责人 of the department approves; the proposer (a handler)
    # and supervisors read the proposal.
    "grade_override": ("supervisor", "rsj_handler"),
    "questionnaire": ("supervisor",),
    "question": ("supervisor",),
    "opinion_activity": ("supervisor",),
    "opinion_attachment": ("supervisor",),
    "opinion_comment": ("supervisor",),
    "import_record": (),
    # A filing with 联席办 is acknowledged (签收) by 联席办's members only: the matter's
    # head and the 维稳办's supervisor read it and are refused.
    "filing": ("supervisor", "rsj_head"),
    # Only a 安全管理员 revokes another's API token; a colleague and the 督查 see its holder.
    "api_token": ("supervisor", "rsj_head"),
}
PAGES.update(infosec_scoping.PAGES)
READERS.update(infosec_scoping.READERS)
PAGES.update(cases_scoping.PAGES)
READERS.update(cases_scoping.READERS)
PAGES.update(supervision_scoping.PAGES)
READERS.update(supervision_scoping.READERS)
# Object URLs that are not department-scoped: the audit event (checked in tests/audit)
# and a user's own API tokens (checked in tests/core/test_pages.py).
OTHER_OBJECT_URLS = {
    "audit:event",
    "token_revoke",
    # A 安全管理员 revoking another's token: outsider 404, colleague 403, and the other
    # administrators 403 (tests/api/test_tokens.py).
    "security_token_revoke",
    # Schemes are organisation-wide reference data, readable by every logged-in user;
    # changing them is for administrators (tests/schemebook).
    "schemebook:scheme",
    "schemebook:download",
    "schemebook:set_active",
    # Scoped like the other report URLs, but answers 503 without LibreOffice on the
    # server, so its reader test lives in tests/reports (404 for outsiders there too).
    "reports:pdf",
    # Public questionnaire links: the unguessable token is the access (tests/opinions/test_public.py).
    "opinions:public_form",
    "opinions:public_thanks",
    # A user's calendar feed: the token is the access (tests/supervision/test_calendar_feed.py).
    "supervision:feed",
    # The 安全管理员's pages (role gate: everyone else 403 before any object is read). A
    # lockout is a user name and address, not a department's object; resetting a second
    # factor answers 404 for a user outside the security administrator's departments
    # (tests/security/test_second_factor.py, tests/security/test_lockout.py).
    "security:unlock",
    "security:reset_second_factor",
}

# url name -> (object kind, whether a POST changes something)
OBJECT_URLS = {
    name: (kind, changing) for kind, rows in PAGES.items() for name, changing in rows.items()
}


def named_routes(patterns, ns=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith("api/"):
                continue
            yield from named_routes(p.url_patterns, f"{p.namespace}:" if p.namespace else ns)
        elif isinstance(p, URLPattern) and p.pattern.converters:
            yield ns + p.name


def test_every_object_url_is_covered():
    found = set(named_routes(get_resolver().url_patterns))
    missing = sorted(found - set(OBJECT_URLS) - OTHER_OBJECT_URLS)
    assert not missing, f"add a row to PAGES (or OTHER_OBJECT_URLS) for {missing}"
    assert set(OBJECT_URLS) | OTHER_OBJECT_URLS == found, "rows for URLs that do not exist"
    assert not set(OBJECT_URLS) & OTHER_OBJECT_URLS
    assert set(PAGES) <= set(READERS), "name the READERS of every kind in PAGES"


@pytest.mark.parametrize("name", sorted(OBJECT_URLS))
def test_outsider_gets_404(name, org, objects, login):
    kind, _ = OBJECT_URLS[name]
    client = login(org.zjj_handler)
    url = reverse(name, args=[objects[kind]])
    assert client.get(url).status_code in (404, 405)
    assert client.post(url, {}).status_code == 404


@pytest.mark.parametrize("name", sorted(n for n, (_, changing) in OBJECT_URLS.items() if changing))
def test_reader_gets_403_on_changing_pages(name, org, objects, login):
    kind, _ = OBJECT_URLS[name]
    for reader in (getattr(org, persona) for persona in READERS[kind]):
        client = login(reader)
        url = reverse(name, args=[objects[kind]])
        assert client.post(url, {}).status_code == 403, (reader, url)


@pytest.mark.parametrize(
    "name", sorted(n for n, (_, changing) in OBJECT_URLS.items() if not changing)
)
def test_member_reads(name, org, objects, login):
    kind, _ = OBJECT_URLS[name]
    for persona in member_readers(kind):
        client = login(getattr(org, persona))
        assert client.get(reverse(name, args=[objects[kind]])).status_code == 200, persona


def member_readers(kind: str | None) -> tuple[str, ...]:
    """Who, of the module's people, reads an object of ``kind``: 人社局's head and the 督查
    — but a case belongs to the court, where 人社局 has no say; the 督查 reads it (the
    court's own people are tested in tests/cases)."""
    if kind in cases_scoping.KINDS:
        return ("supervisor",)
    if kind in supervision_scoping.MEMBER_READERS:
        return tuple(supervision_scoping.MEMBER_READERS[kind])
    return ("rsj_head", "supervisor")


@pytest.mark.parametrize("name", sorted(n for n, (_, changing) in OBJECT_URLS.items() if changing))
def test_admin_may_open_changing_pages(name, org, objects, login):
    kind, _ = OBJECT_URLS[name]
    client = login(org.admin)
    response = client.get(reverse(name, args=[objects[kind]]))
    assert response.status_code in (200, 405)


# ---------------------------------------------------------------- API

# path parameter -> the kind of fixture object it takes
# Whoever is not an administrator: the 主要负责人 of 人社局 and the 督查.
ADMIN_ONLY = ("rsj_head", "supervisor")
API_PARAMETERS: dict[str, str] = {
    "dept_id": "department",
    "user_id": "user",
    "matter_id": "matter",
    "comment_id": "opinion_comment",
    "question_id": "question",
    "assessment_id": "assessment",
    "step_code": "assessment_step",
    "factor_id": "risk_factor",
    "measure_id": "follow_up_measure",
    "membership_id": "membership",
    "leader_id": "leader",
    "matter_document_id": "matter_document",
    "scheme_key": "uploaded_scheme",
    "template_key": "report_template",
    "questionnaire_id": "questionnaire",
    "activity_id": "opinion_activity",
    "filing_id": "filing",
    "override_id": "grade_override",
    "code": "condition_code",
    "member_id": "assessment_member",
    "document_id": "archive_document",
    "token_id": "api_token",
}
# "METHOD /api/path" (as in the OpenAPI schema) -> what the defaults do not say; see the
# module docstring. A body function returns fields that must name real objects or values
# the endpoint checks before access (a reader must meet the 403, not a 400).
API_OPERATIONS: dict[str, dict[str, Any]] = {
    "POST /api/departments": {
        "kind": "department",
        "body": lambda o: {"parent_id": o["department"]},
    },
    # Schemes and report templates are organisation-wide reference data: every logged-in
    # user reads them (no outsider), only administrators change them.
    "GET /api/schemes/{scheme_key}": {"org_wide": True},
    "PUT /api/schemes/{scheme_key}/active": {"org_wide": True, "readers": ADMIN_ONLY},
    "POST /api/schemes": {"kind": "uploaded_scheme", "readers": ADMIN_ONLY},
    "POST /api/report-templates/{template_key}": {"org_wide": True, "readers": ADMIN_ONLY},
    "DELETE /api/report-templates/{template_key}": {"org_wide": True, "readers": ADMIN_ONLY},
    # The security policy: the 安全管理员 only (tests/security/test_policy.py).
    "PUT /api/security/policy": {"kind": "department", "readers": ADMIN_ONLY},
    # A login lockout belongs to a user name, not a department: only the 安全管理员 of
    # that account's departments lifts it (tests/security/test_lockout.py); the others
    # are refused before the record is looked up.
    "POST /api/security/lockouts/{attempt_id}/unlock": {
        "org_wide": True,
        "params": {"attempt_id": "department"},
        "readers": ADMIN_ONLY,
    },
    # Verifying the audit chain: administrators only (tests/audit/test_audit_browser.py).
    "POST /api/audit/chain/verify": {"kind": "department", "readers": ADMIN_ONLY},
    # The signed audit bundle: 审计管理员 only (tests/audit/test_bundle.py).
    "POST /api/audit/bundle": {"kind": "department", "readers": ADMIN_ONLY},
    # One's own profile and password: every logged-in user changes their own and nobody
    # else's (there is no reader to refuse; test_api_own_account_only checks them).
    "PUT /api/me": {"own": True},
    "POST /api/me/password": {"own": True},
    # One's own API tokens (tests/api/test_tokens.py): someone else's token id is 404.
    "POST /api/me/tokens": {"own": True},
    "POST /api/me/tokens/{token_id}/revoke": {"own": True},
    "POST /api/users": {
        "kind": "department",
        "body": lambda o: {"department_id": o["department"], "role": "handler"},
    },
    "POST /api/users/{user_id}/memberships": {
        "body": lambda o: {"department_id": o["department"], "role": "assessor"},
    },
    "POST /api/departments/{dept_id}/leadership-group/members": {
        "kind": "leadership_group",
        "body": lambda o: {"user_id": o["user"], "position": "member"},
    },
    "PUT /api/departments/{dept_id}/leadership-group": {"kind": "leadership_group"},
    "GET /api/departments/{dept_id}/leadership-group": {"kind": "leadership_group"},
    "POST /api/matters": {
        "kind": "matter",
        "body": lambda o: {
            "department_id": o["department"],
            "scheme_key": "ssra-town",
            "category_code": "focus_social_security",
        },
    },
    "POST /api/assessments": {"kind": "matter", "body": lambda o: {"matter_id": o["matter"]}},
    "POST /api/assessments/{assessment_id}/reviews": {
        # Supervisors may review; a handler of the department reads the report but may not.
        "params": {"assessment_id": "assessment_review"},
        "readers": ("rsj_handler",),
        "body": lambda o: {"stage": o["review_stage"], "result": "approved"},
    },
    "POST /api/assessments/{assessment_id}/filings": {
        # The handler looks the office up (404 when it is not one) before the action checks
        # access.
        "body": lambda o: {"office_id": o["supervising_office"]}
    },
    "POST /api/matters/{matter_id}/decision": {
        # The handler checks the outcome against the scheme before the action checks access.
        "body": lambda o: {"outcome": "reject"}
    },
}
# A domain app's path parameters hold only under its own prefix: /api/infosec/incidents/
# {incident_id} and /api/supervision/incidents/{incident_id} name different objects.
API_PARAMETERS_UNDER: dict[str, dict[str, str]] = {
    "/api/infosec/": infosec_scoping.API_PARAMETERS,
    "/api/cases/": cases_scoping.API_PARAMETERS,
    "/api/supervision/": supervision_scoping.API_PARAMETERS,
}
API_OPERATIONS.update(infosec_scoping.API_OPERATIONS)
API_OPERATIONS.update(cases_scoping.API_OPERATIONS)
API_OPERATIONS.update(supervision_scoping.API_OPERATIONS)
CHANGING_METHODS = frozenset({"post", "put", "patch", "delete"})


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def path_parameters(self) -> list[str]:
        return [p["name"] for p in self.spec.get("parameters", []) if p["in"] == "path"]

    @property
    def row(self) -> dict[str, Any]:
        return API_OPERATIONS.get(self.key, {})

    def parameter_kinds(self) -> dict[str, str]:
        under = next(
            (
                table
                for prefix, table in API_PARAMETERS_UNDER.items()
                if self.path.startswith(prefix)
            ),
            {},
        )
        return {**API_PARAMETERS, **under, **self.row.get("params", {})}

    def missing_row(self) -> str:
        """What to add before this operation can be tested, or ""."""
        unmapped = [p for p in self.path_parameters if p not in self.parameter_kinds()]
        if unmapped:
            return f"add a row for {self.key}: API_PARAMETERS for {unmapped}"
        if self.method in CHANGING_METHODS and self.kind() is None:
            return f'add a row for {self.key}: API_OPERATIONS["{self.key}"]["kind"]'
        if self.kind() is not None and self.kind() not in READERS and "readers" not in self.row:
            return f"add a row for {self.key}: READERS[{self.kind()!r}]"
        return ""

    def kind(self) -> str | None:
        """The object the operation is about: whose readers must be refused."""
        if "kind" in self.row:
            return self.row["kind"]
        params = self.path_parameters
        return self.parameter_kinds().get(params[0]) if params else None

    def readers(self) -> tuple[str, ...]:
        return self.row["readers"] if "readers" in self.row else READERS[self.kind()]

    def url(self, objects: dict[str, Any]) -> str:
        kinds = self.parameter_kinds()
        values = {p: objects[kinds[p]] for p in self.path_parameters}
        url = self.path.format(**values)
        query = {
            p["name"]: example(p["schema"])
            for p in self.spec.get("parameters", [])
            if p["in"] == "query" and p.get("required")
        }
        if query:
            url += "?" + urlencode(query)
        return url

    def request(self, client, token: str, objects: dict[str, Any]):
        """Call the operation with a minimal valid body as the token's owner."""
        kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        content = self.spec.get("requestBody", {}).get("content", {})
        body_fn = self.row.get("body")
        extra = body_fn(objects) if body_fn else {}
        if "application/json" in content:
            body = {**example(content["application/json"]["schema"]), **extra}
            data, kwargs["content_type"] = json.dumps(body), "application/json"
        elif "multipart/form-data" in content:
            body = {**example(content["multipart/form-data"]["schema"]), **extra}
            data, kwargs["content_type"] = encode_multipart(BOUNDARY, body), MULTIPART_CONTENT
        else:
            assert not content, f"{self.key}: no body for {sorted(content)}"
            data = ""
        return client.generic(self.method.upper(), self.url(objects), data, **kwargs)


SCHEMA = api.get_openapi_schema()
COMPONENTS = SCHEMA.get("components", {}).get("schemas", {})
OPERATIONS = [
    Operation(method, path, spec)
    for path, methods in SCHEMA["paths"].items()
    for method, spec in methods.items()
]
OBJECT_OPERATIONS = [op for op in OPERATIONS if op.path_parameters and not op.row.get("org_wide")]
CHANGING_OPERATIONS = [
    op for op in OPERATIONS if op.method in CHANGING_METHODS and not op.row.get("own")
]


def example(schema: dict[str, Any]) -> Any:
    """The smallest value the schema accepts: required fields only, first enum choice."""
    if "$ref" in schema:
        return example(COMPONENTS[schema["$ref"].rsplit("/", 1)[-1]])
    for combinator in ("allOf", "anyOf", "oneOf"):
        if combinator in schema:
            options = [s for s in schema[combinator] if s.get("type") != "null"]
            return example(options[0])
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: example(props[name]) for name in schema.get("required", [])}
    if kind == "array":
        return [example(schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return float(max(1, schema.get("minimum", 1)))
    if kind == "boolean":
        return False
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date":
            return timezone.localdate().isoformat()
        if fmt == "date-time":
            return timezone.now().isoformat()
        if fmt == "binary":
            return SimpleUploadedFile("样例.txt", "样例".encode())
        text = "测试" * max(1, schema.get("minLength", 1))
        return text[: schema.get("maxLength", len(text))]
    raise AssertionError(f"no example for the schema {schema}: add a body in API_OPERATIONS")


def _ids(ops: list[Operation]) -> list[str]:
    return [op.key for op in ops]


def test_every_api_operation_has_a_row():
    missing = [m for op in OBJECT_OPERATIONS + CHANGING_OPERATIONS if (m := op.missing_row())]
    assert not missing, "\n".join(sorted(set(missing)))
    known = {op.key for op in OPERATIONS}
    assert set(API_OPERATIONS) <= known, f"rows for no operation: {set(API_OPERATIONS) - known}"
    assert CHANGING_OPERATIONS, "the schema lists no changing operation"


def _operation(op: Operation) -> Operation:
    if message := op.missing_row():
        pytest.fail(message)
    return op


@pytest.mark.parametrize("op", OBJECT_OPERATIONS, ids=_ids(OBJECT_OPERATIONS))
def test_api_outsider_gets_404(op, world, objects, client):
    response = _operation(op).request(client, world.tokens["zjj_handler"], objects)
    assert response.status_code == 404, response.content
    assert response.json()["detail"] == "对象不存在或无权访问"


@pytest.mark.parametrize("op", CHANGING_OPERATIONS, ids=_ids(CHANGING_OPERATIONS))
def test_api_reader_gets_403_on_change(op, world, objects, client):
    readers = _operation(op).readers()
    assert readers, f"{op.key}: name a persona who may read but not change"
    for persona in readers:
        response = op.request(client, world.tokens[persona], objects)
        assert response.status_code == 403, (persona, response.content)
        assert response.json()["code"] == "forbidden"


def test_api_own_account_only(world, org, client):
    """The operations on one's own account take no user id: they change the caller only."""
    own = sorted(op.key for op in OPERATIONS if op.row.get("own"))
    assert own == [
        "DELETE /api/supervision/calendar-feed",
        "POST /api/me/password",
        "POST /api/me/tokens",
        "POST /api/me/tokens/{token_id}/revoke",
        "POST /api/supervision/calendar-feed",
        # One's own notifications (tests/supervision/test_reminders.py).
        "POST /api/supervision/notifications/read-all",
        "POST /api/supervision/notifications/{notification_id}/read",
        "PUT /api/me",
    ]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens['zjj_handler']}"}
    others = dict(User.objects.exclude(username="zjj_handler").values_list("pk", "real_name"))
    response = client.put(
        "/api/me", {"real_name": "新名字"}, content_type="application/json", **auth
    )
    assert response.status_code == 200, response.content
    assert User.objects.get(username="zjj_handler").real_name == "新名字"
    assert dict(User.objects.exclude(username="zjj_handler").values_list("pk", "real_name")) == (
        others
    )
    wrong = client.post(
        "/api/me/password",
        {"old_password": "不对", "new_password": "Another-long-pass-2026"},
        content_type="application/json",
        **auth,
    )
    assert wrong.status_code == 400
    assert wrong.json()["detail"] == "原密码不正确"


GET_OPERATIONS = [op for op in OBJECT_OPERATIONS if op.method == "get"]


@pytest.mark.parametrize("op", GET_OPERATIONS, ids=_ids(GET_OPERATIONS))
def test_api_member_reads(op, world, objects, client):
    for persona in member_readers(op.kind()):
        response = _operation(op).request(client, world.tokens[persona], objects)
        assert response.status_code == 200, (persona, response.content)


def test_api_lists_are_scoped(world, org, client):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens['zjj_handler']}"}
    codes = [d["code"] for d in client.get("/api/departments", **auth).json()["items"]]
    assert codes == ["ZJJ"]
    users = [u["username"] for u in client.get("/api/users", **auth).json()["items"]]
    assert users == ["zjj_handler"]


def test_an_operation_without_a_row_is_named():
    new = Operation(
        "delete", "/api/imports/{job_id}", {"parameters": [{"name": "job_id", "in": "path"}]}
    )
    assert (
        new.missing_row()
        == "add a row for DELETE /api/imports/{job_id}: API_PARAMETERS for ['job_id']"
    )
    create = Operation("post", "/api/imports", {})
    assert create.missing_row() == (
        'add a row for POST /api/imports: API_OPERATIONS["POST /api/imports"]["kind"]'
    )


@pytest.mark.parametrize("run", [1, 2])
def test_each_test_starts_from_the_module_rows(run, org, objects):
    """Whichever runs second sees the first one's change rolled back."""
    dept = Department.objects.get(pk=objects["department"])
    assert (dept.name, dept.version) == ("人社局", 1)
    assert org.rsj.name == "人社局"
    actions.do_update_department(
        org.admin,
        dept,
        version=1,
        name=f"改名{run}",
        code=dept.code,
        kind=dept.kind,
        parent=dept.parent,
        is_active=True,
    )
    assert Department.objects.get(pk=dept.pk).name == f"改名{run}"


def test_example_fills_the_required_fields_with_accepted_values():
    schema = {
        "type": "object",
        "required": ["upload", "on", "n", "kind", "code"],
        "properties": {
            "upload": {"type": "string", "format": "binary"},
            "on": {"type": "string", "format": "date"},
            "n": {"type": "integer", "minimum": 3},
            "kind": {"anyOf": [{"type": "null"}, {"enum": ["a", "b"]}]},
            "code": {"type": "string", "minLength": 3, "maxLength": 4},
            "note": {"type": "string"},
        },
    }
    body = example(schema)
    assert {k: v for k, v in body.items() if k != "upload"} == {
        "on": timezone.localdate().isoformat(),
        "n": 3,
        "kind": "a",
        "code": "测试测试",
    }
    assert b'name="upload"; filename="' in encode_multipart(BOUNDARY, body)


# ---------------------------------------------------------------- the lead department
# 篇3 五 / issue 8 loophole 11: the members of a matter's lead and assisting departments see
# the matter and every row linked to it, and do the work given to them — and nothing else.
# The module's matter (人社局) is led by 发改局; 住建局 (zjj_handler) stays the outsider above.

# The kinds linked to the module's matter (the reviewed assessment, its grade proposal and
# the filing belong to other matters; the import record to its importer).
LEAD_KINDS = frozenset(PAGES) - {
    "department",
    "user",
    "membership",
    "leadership_group",
    "leader",
    "assessment_review",
    "grade_override",
    "filing",
    "import_record",
    *infosec_scoping.KINDS,  # systems belong to their department; no lead department
    *cases_scoping.KINDS,  # cases belong to their organ; no lead department
    *supervision_scoping.KINDS,  # plans, reports, incidents: the department's or office's
}
# The work the lead and assisting departments share (`org.access` need="work"): the
# matter's documents, the activities and their attachments, the project file. Scoring is
# theirs as team members (the action checks membership, so a non-member meets 403).
LEAD_WORK_PAGES = frozenset(
    {
        "matters:document_add",
        "matters:document_remove",
        "opinions:activity_create",
        "opinions:attachment_add",
        "assessments:archive_add",
    }
)
# API operations of that work (none of the operations below may refuse the lead with 403).
LEAD_WORK_OPERATIONS = frozenset(
    {
        "POST /api/matters/{matter_id}/documents",
        "POST /api/matters/{matter_id}/activities",
        "POST /api/activities/{activity_id}/attachments",
        "POST /api/assessments/{assessment_id}/archive",
    }
)


@pytest.fixture
def lead(db, world) -> User:
    return User.objects.get(pk=world.lead.pk)


def test_lead_work_pages_exist():
    assert set(OBJECT_URLS) >= LEAD_WORK_PAGES
    assert all(OBJECT_URLS[name][1] for name in LEAD_WORK_PAGES)


@pytest.mark.parametrize(
    "name",
    sorted(n for n, (kind, changing) in OBJECT_URLS.items() if kind in LEAD_KINDS and not changing),
)
def test_lead_department_member_reads(name, lead, objects, login):
    """The matter, the assessment, the report and every row of the matter: 200."""
    kind, _ = OBJECT_URLS[name]
    assert login(lead).get(reverse(name, args=[objects[kind]])).status_code == 200


@pytest.mark.parametrize(
    "name",
    sorted(n for n, (kind, changing) in OBJECT_URLS.items() if kind in LEAD_KINDS and changing),
)
def test_lead_department_member_changes_only_the_shared_work(name, lead, objects, login):
    kind, _ = OBJECT_URLS[name]
    status = login(lead).post(reverse(name, args=[objects[kind]]), {}).status_code
    if name in LEAD_WORK_PAGES:
        assert status not in (403, 404), (name, status)
    else:
        assert status == 403, (name, status)


LEAD_OPERATIONS = [
    op for op in OBJECT_OPERATIONS if not op.missing_row() and op.kind() in LEAD_KINDS
]


@pytest.mark.parametrize("op", LEAD_OPERATIONS, ids=_ids(LEAD_OPERATIONS))
def test_api_lead_department_member(op, world, objects, client):
    """Reads every GET of the matter's rows; meets 403 on every change but the shared work."""
    response = op.request(client, world.tokens["lead"], objects)
    if op.method == "get":
        assert response.status_code == 200, response.content
    elif op.key in LEAD_WORK_OPERATIONS:
        assert response.status_code not in (403, 404), response.content
    else:
        assert response.status_code == 403, response.content


def test_api_lead_department_lists_the_matter(world, objects, client):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens['lead']}"}
    ids = [m["id"] for m in client.get("/api/matters", **auth).json()["items"]]
    assert ids == [objects["matter"]]
    outsider = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens['zjj_handler']}"}
    assert client.get("/api/matters", **outsider).json()["items"] == []
