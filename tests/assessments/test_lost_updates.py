"""Two people editing the same record at once: the second save is refused (409 through
the API, the form again with their input and who changed it on the page), never lost."""

import re

import pytest
from django.urls import reverse

from fengping.api.tokens import do_create_token
from fengping.assessments import actions
from fengping.assessments.models import ChecklistAnswer, FollowUpMeasure, RiskFactor
from fengping.audit.models import Event
from fengping.core.concurrency import StaleVersion
from fengping.opinions import actions as opinion_actions
from fengping.opinions.models import Question
from tests.conftest import force_login

from .flow import ESTIMATES, register


@pytest.fixture
def factor(org):
    a = actions.do_start_assessment(org.rsj_handler, register(org))
    return actions.do_save_factor(
        org.rsj_handler,
        a,
        dimension="legality",
        title="标准争议",
        **{**ESTIMATES, "people_involved": 100},
    )


@pytest.fixture
def api(client):
    def as_user(user):
        _row, token = do_create_token(user, f"t-{user.pk}")

        def call(method, path, payload=None):
            return getattr(client, method)(
                f"/api{path}",
                data=payload,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )

        return call

    return as_user


def _factor_form(factor, **changes):
    data = {
        "version": factor.version,
        "dimension": factor.dimension,
        "title": factor.title,
        "description": factor.description,
        "people_involved": factor.people_involved or "",
        "scope": factor.scope,
        "manner": factor.manner,
        "intensity": factor.intensity,
        "negative_impact": factor.negative_impact,
        "weight": factor.weight,
    }
    return {**data, **changes}


def _api_body(factor, **changes):
    return {**_factor_form(factor, people_involved=factor.people_involved), **changes}


def _edit(org, factor, user, version, **changes):
    values = {
        "dimension": factor.dimension,
        "title": factor.title,
        "weight": factor.weight,
        **{k: getattr(factor, k) for k in ESTIMATES},
    }
    return actions.do_save_factor(
        user, factor.assessment, factor=factor, version=version, **{**values, **changes}
    )


# ------------------------------------------------------------------ the action


def test_second_edit_of_the_same_version_is_refused_and_names_the_first(org, factor):
    shown = factor.version
    saved = _edit(org, factor, org.rsj_head, shown, title="待遇标准争议")
    assert saved.version == shown + 1
    with pytest.raises(StaleVersion) as exc:
        _edit(org, factor, org.rsj_handler, shown, description="补充说明")
    assert exc.value.status == 409 and exc.value.yours == shown
    assert "rsj_head" in exc.value.message and "已被他人修改" in exc.value.message
    assert re.search(r"\d{4}年\d{2}月\d{2}日 \d{2}:\d{2}", exc.value.message)
    factor.refresh_from_db()
    assert factor.title == "待遇标准争议" and factor.description == ""
    update = Event.objects.filter(action="assessments.factor.update").get()
    assert update.before["title"] == "标准争议" and update.after["title"] == "待遇标准争议"


def test_sixteen_interleaved_edits_lose_nothing_silently(org, factor, api):
    """Read, read, write, write — through the action, the API and the page in turn. Every
    try ends with the first edit stored and the second refused: no edit is lost unseen."""
    client_page = None
    silent_losses = refused = 0
    for n in range(16):
        factor.refresh_from_db()
        shown = factor.version
        first, second = f"第{n}次甲", f"第{n}次乙"
        door = n % 3
        _edit(org, factor, org.rsj_head, shown, title=first)
        if door == 0:
            try:
                _edit(org, factor, org.rsj_handler, shown, title=second)
            except StaleVersion:
                refused += 1
        elif door == 1:
            body = _api_body(factor, version=shown, title=second)
            r = api(org.rsj_handler)("put", f"/factors/{factor.pk}", body)
            refused += r.status_code == 409
        else:
            client_page = client_page or _login(org.rsj_handler)
            r = client_page.post(
                reverse("assessments:factor_edit", args=[factor.pk]),
                _factor_form(factor, version=shown, title=second),
            )
            refused += r.status_code == 200 and "已被他人修改" in r.content.decode()
        factor.refresh_from_db()
        silent_losses += factor.title != first
    assert (silent_losses, refused) == (0, 16)


def _login(user):
    from django.test import Client

    client = Client()
    force_login(client, user)
    return client


# ------------------------------------------------------------------ the API


def test_api_answers_409_with_who_and_the_current_version(org, factor, api):
    shown = factor.version
    r = api(org.rsj_head)("put", f"/factors/{factor.pk}", _api_body(factor, title="甲的修改"))
    assert r.status_code == 200 and r.json()["version"] == shown + 1
    r = api(org.rsj_handler)("put", f"/factors/{factor.pk}", _api_body(factor, title="乙的修改"))
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "conflict" and "rsj_head" in body["detail"]
    assert body["current_version"] == shown + 1
    assert RiskFactor.objects.get().title == "甲的修改"
    # Without a version the API keeps its old contract: the last write wins.
    payload = _api_body(factor, title="乙再次提交")
    del payload["version"]
    assert api(org.rsj_handler)("put", f"/factors/{factor.pk}", payload).status_code == 200


# ------------------------------------------------------------------ the page


def test_stale_form_comes_back_with_the_input_kept_and_who_changed_it(org, factor, login):
    url = reverse("assessments:factor_edit", args=[factor.pk])
    head = _login(org.rsj_head)
    handler = login(org.rsj_handler)
    shown_to_handler = handler.get(url).content.decode()
    assert f'name="version" value="{factor.version}"' in shown_to_handler
    assert head.post(url, _factor_form(factor, title="甲的修改")).status_code == 302
    r = handler.post(url, _factor_form(factor, title="乙的修改", scope="全市"))
    body = r.content.decode()
    assert r.status_code == 200
    assert "已被他人修改" in body and "rsj_head" in body
    assert 'value="乙的修改"' in body and 'value="全市"' in body
    assert "他人保存的内容：甲的修改" in body
    # The form now carries the current version: sending it again is a deliberate overwrite.
    assert f'name="version" value="{factor.version + 1}"' in body
    again = handler.post(url, _factor_form(factor, version=factor.version + 1, title="乙的修改"))
    assert again.status_code == 302
    assert RiskFactor.objects.get().title == "乙的修改"


# ------------------------------------------------------------------ the other editable records


def test_measure_update_conflict_on_both_doors(org, factor, api, login):
    a = factor.assessment
    m = actions.do_add_measure(org.rsj_handler, a, kind="response", title="分批兑现", owner="科")
    shown = m.version
    actions.do_update_measure(
        org.rsj_head, m, status="in_progress", evidence="已启动", version=shown
    )
    r = api(org.rsj_handler)(
        "put", f"/measures/{m.pk}", {"status": "done", "evidence": "已兑现", "version": shown}
    )
    assert r.status_code == 409 and "rsj_head" in r.json()["detail"]
    r = login(org.rsj_handler).post(
        reverse("assessments:measure_update", args=[m.pk]),
        {"status": "done", "evidence": "已全部兑现", "version": shown},
    )
    body = r.content.decode()
    assert r.status_code == 200 and "rsj_head" in body and 'value="已全部兑现"' in body
    m = FollowUpMeasure.objects.get()
    assert (m.status, m.evidence) == ("in_progress", "已启动")


def test_checklist_item_answered_meanwhile_is_not_overwritten(org, factor, login):
    a = factor.assessment
    item = {"dimension": "legality", "item_no": 0}
    actions.do_answer_checklist(org.rsj_head, a, answer="fails", note="缺少依据", version=0, **item)
    with pytest.raises(StaleVersion, match="rsj_head"):
        actions.do_answer_checklist(org.rsj_handler, a, answer="meets", version=0, **item)
    r = login(org.rsj_handler).post(
        reverse("assessments:checklist_answer", args=[a.pk]),
        {**item, "answer": "partly", "note": "部分条款待定", "version": 0},
    )
    body = r.content.decode()
    assert r.status_code == 200 and "部分条款待定</textarea>" in body and "rsj_head" in body
    # The same through htmx: the question comes back in place with what was typed.
    r = login(org.rsj_handler).post(
        reverse("assessments:checklist_answer", args=[a.pk]),
        {**item, "answer": "partly", "note": "部分条款待定", "version": 0},
        HTTP_HX_REQUEST="true",
    )
    body = r.content.decode()
    assert r.status_code == 200 and "rsj_head" in body
    assert (
        'value="部分条款待定"' in body
        and 'value="partly" id="cl-legality-0-partly" checked' in body
    )
    row = ChecklistAnswer.objects.get()
    assert (row.answer, row.note) == ("fails", "缺少依据")


def test_question_edit_conflict_keeps_the_text(org, login):
    from tests.opinions.conftest import build_questionnaire

    qn = build_questionnaire(org, register(org), publish=False)
    question = qn.questions.order_by("order").last()
    shown = question.version
    opinion_actions.do_update_question(
        org.rsj_head, question, kind=question.kind, text="其他意见", version=shown
    )
    r = login(org.rsj_handler).post(
        reverse("opinions:question_edit", args=[question.pk]),
        {"version": shown, "kind": question.kind, "text": "其他建议", "required": "on"},
    )
    body = r.content.decode()
    assert r.status_code == 200 and "rsj_head" in body and "其他建议" in body
    assert Question.objects.get(pk=question.pk).text == "其他意见"


# ------------------------------------------------------------------ truly at once


@pytest.mark.django_db(transaction=True)
def test_two_people_saving_at_the_same_moment(org, factor):
    """Two threads, two database connections, the same version, released together by a
    barrier, 16 times: the row lock makes one of them wait and then see the new version,
    so each try ends with one edit saved and the other refused. PostgreSQL only: SQLite
    serialises whole-database writes and has no row locks to exercise."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL")
    outcomes = []
    for n in range(16):
        factor.refresh_from_db()
        shown = factor.version
        barrier = threading.Barrier(2)
        results = {}

        def edit(user, title, results=results, barrier=barrier, shown=shown):
            try:
                barrier.wait()
                _edit(org, factor, user, shown, title=title)
                results[title] = "saved"
            except StaleVersion:
                results[title] = "refused"
            finally:
                connections.close_all()

        threads = [
            threading.Thread(target=edit, args=(org.rsj_head, f"甲{n}")),
            threading.Thread(target=edit, args=(org.rsj_handler, f"乙{n}")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        factor.refresh_from_db()
        saved = [title for title, result in results.items() if result == "saved"]
        outcomes.append((sorted(results.values()), saved == [factor.title]))
    assert outcomes == [(["refused", "saved"], True)] * 16
