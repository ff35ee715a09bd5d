import datetime as dt

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from fengping.audit.models import Event
from fengping.matters.actions import do_set_consultation
from fengping.opinions import actions
from fengping.opinions.models import Answer, AnswerChoice, Response
from fengping.opinions.views import COOKIE
from tests.opinions.conftest import build_questionnaire, register_matter


def form_data(qn, stance="0", scale="4", text="", picks=(), group="直接利益群体"):
    qs = list(qn.questions.all())
    data = {"group": group, f"q{qs[0].pk}": stance, f"q{qs[2].pk}": scale, f"q{qs[3].pk}": text}
    data[f"q{qs[1].pk}"] = list(picks)
    return data


def test_public_form_renders_without_login_and_sets_the_cookie(client, qn):
    response = client.get(reverse("opinions:public_form", args=[qn.token]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "您对该事项的态度是" in body and "csrfmiddlewaretoken" in body
    assert "navbar-vertical" not in body  # the public layout, not the staff shell
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["max-age"]


def test_happy_path_with_csrf_enforced(org, qn):
    client = Client(enforce_csrf_checks=True)
    url = reverse("opinions:public_form", args=[qn.token])
    page = client.get(url)
    token = page.context["csrf_token"]
    data = form_data(qn, stance="1", picks=["0", "2"], text="希望提高待遇")
    assert client.post(url, data).status_code == 403  # no CSRF token: refused
    response = client.post(url, {**data, "csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    assert response["Location"] == reverse("opinions:public_thanks", args=[qn.token])
    r = Response.objects.get()
    assert (r.group, r.channel, r.stance) == ("直接利益群体", "online", "support")
    assert len(r.browser_key) == 64 and r.browser_key != client.cookies[COOKIE].value
    assert sorted(
        AnswerChoice.objects.filter(answer__response=r).values_list("index", flat=True)
    ) == [0, 1, 2]
    assert Answer.objects.get(response=r, text__gt="").text == "希望提高待遇"
    event = Event.objects.get(action="opinions.response.submit")
    assert (
        event.actor_id is None
        and r.browser_key not in str(event.after)
        and "希望" not in str(event.after)
    )
    assert "感谢" in client.get(response["Location"]).content.decode()


def test_invalid_answers_name_the_question_and_keep_the_input(client, qn):
    url = reverse("opinions:public_form", args=[qn.token])
    response = client.post(url, form_data(qn, stance="", scale="9", text="保留我的文字"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "第1题“您对该事项的态度是”：此题为必答题" in body
    assert "第3题“对现行政策的满意度”：请填写 1–5 之间的整数" in body
    assert "保留我的文字" in body
    assert not Response.objects.exists()


def test_unknown_group_refused(client, qn):
    response = client.post(
        reverse("opinions:public_form", args=[qn.token]), form_data(qn, group="火星人")
    )
    assert response.status_code == 200 and "请选择您所属的群体" in response.content.decode()


def test_second_submission_from_the_same_browser_is_refused(client, qn):
    url = reverse("opinions:public_form", args=[qn.token])
    client.get(url)
    assert client.post(url, form_data(qn, stance="0")).status_code == 302
    response = client.post(url, form_data(qn, stance="4"))
    assert response.status_code == 409
    assert "已提交过" in response.content.decode()
    (r,) = Response.objects.all()
    assert r.stance == "support"  # the first answer is kept
    assert "已提交过" in client.get(url).content.decode()


def test_a_different_browser_may_answer(qn):
    url = reverse("opinions:public_form", args=[qn.token])
    for stance in ("0", "4"):
        c = Client()
        c.get(url)
        assert c.post(url, form_data(qn, stance=stance)).status_code == 302
    assert Response.objects.count() == 2


def test_duplicate_browser_key_refused_by_the_action(qn):
    answers = {q.pk: v for q, v in zip(qn.questions.all(), [0, [], 3, ""], strict=True)}
    actions.submit_public_response(qn, group="企业", answers=answers, browser_key="k" * 64)
    with pytest.raises(actions.AlreadySubmitted):
        actions.submit_public_response(qn, group="企业", answers=answers, browser_key="k" * 64)
    assert Response.objects.count() == 1


def test_submission_after_closing_time_refused(client, qn):
    url = reverse("opinions:public_form", args=[qn.token])
    client.get(url)
    type(qn).objects.filter(pk=qn.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.post(url, form_data(qn))
    assert response.status_code == 410
    assert "已截止或已结束" in response.content.decode()
    assert not Response.objects.exists()


def test_closed_questionnaire_refused(client, org, qn):
    actions.do_close(org.rsj_handler, qn)
    assert (
        client.post(reverse("opinions:public_form", args=[qn.token]), form_data(qn)).status_code
        == 410
    )


def test_draft_and_unknown_tokens_are_404(client, org, matter):
    draft = build_questionnaire(org, matter, publish=False)
    assert client.get(reverse("opinions:public_form", args=[draft.token])).status_code == 404
    assert client.get(reverse("opinions:public_form", args=["nope"])).status_code == 404


@override_settings(FENGPING_PUBLIC_SUBMIT_LIMIT=3)
def test_flood_from_one_address_gets_429(qn):
    url = reverse("opinions:public_form", args=[qn.token])
    statuses = []
    for _ in range(5):
        c = Client()  # a fresh browser each time: only the address is the same
        statuses.append(c.post(url, form_data(qn)).status_code)
    assert statuses == [302, 302, 302, 429, 429]
    assert "提交过于频繁" in Client().post(url, form_data(qn)).content.decode()
    assert Response.objects.count() == 3
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post(url, form_data(qn)).status_code == 302


def test_public_list_shows_open_matters_and_never_a_confidential_one(client, org, qn):
    secret = register_matter(org, title="涉密搬迁方案")
    do_set_consultation(
        org.rsj_handler,
        qn.matter,
        open=True,
        summary="调整方案说明",
        channels="电话 12333",
        until=None,
    )
    do_set_consultation(
        org.rsj_handler, secret, open=True, summary="搬迁说明", channels="", until=None
    )
    # Marked confidential after it was opened: it must disappear from the public list.
    type(secret).objects.filter(pk=secret.pk).update(confidential=True)
    body = client.get(reverse("opinions:public")).content.decode()
    assert "企业退休人员养老金调整" in body and "调整方案说明" in body and "电话 12333" in body
    assert reverse("opinions:public_form", args=[qn.token]) in body
    assert "涉密搬迁方案" not in body and "搬迁说明" not in body


def test_questionnaire_of_a_matter_made_confidential_is_gone(client, org, qn):
    type(qn.matter).objects.filter(pk=qn.matter.pk).update(confidential=True)
    assert client.get(reverse("opinions:public_form", args=[qn.token])).status_code == 404


@override_settings(FENGPING_PUBLIC_SUBMIT_LIMIT=2)
def test_flood_is_counted_in_the_database_shared_by_every_process(qn):
    """Each app process has its own memory; the count lives in the database cache."""
    from django.db import connection

    from fengping.opinions import views

    url = reverse("opinions:public_form", args=[qn.token])
    assert Client().post(url, form_data(qn)).status_code == 302
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM fengping_cache")
        keys = [row[0] for row in cursor.fetchall()]
    assert any("opinions:submit:" in key for key in keys), keys
    # A second process: its own memory, the same database.
    views.cache.close()
    from django.core.cache import caches

    del caches["default"]
    assert Client().post(url, form_data(qn)).status_code == 302
    assert Client().post(url, form_data(qn)).status_code == 429


def test_public_text_answer_arrives_without_control_characters(qn):
    from fengping.opinions.models import Answer

    url = reverse("opinions:public_form", args=[qn.token])
    assert Client().post(url, form_data(qn, text="意见\x0b第二行\x01")).status_code == 302
    assert Answer.objects.exclude(text="").get().text == "意见\n第二行"
