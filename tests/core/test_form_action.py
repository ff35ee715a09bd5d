"""The one POST → action → message → redirect step (core.pages.submit / run_action)."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import RequestFactory

from fengping.core.errors import ActionError
from fengping.core.forms import StyledForm
from fengping.core.pages import run_action, submit


class NameForm(StyledForm):
    name = forms.CharField()


def post(data=None, **meta):
    request = RequestFactory().post("/x/", data or {}, **meta)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def flashed(request):
    return [(m.level_tag, m.message) for m in get_messages(request)]


def test_submit_calls_the_action_with_clean_data_flashes_and_redirects():
    request = post({"name": " 张三 "})
    seen = []
    response = submit(
        request,
        NameForm(request.POST),
        lambda d: seen.append(d) or 42,
        then=lambda result: f"/done/{result}/",
        success=lambda result: f"已保存 {result}",
    )
    assert seen == [{"name": "张三"}]
    assert response.status_code == 302 and response.url == "/done/42/"
    assert flashed(request) == [("success", "已保存 42")]


def test_submit_puts_the_refusal_on_the_named_field_and_keeps_the_input():
    request = post({"name": "张三"})
    form = NameForm(request.POST)

    def refuse(data):
        raise ActionError("名称已被使用", field="name")

    assert submit(request, form, refuse, then="/done/") is None
    assert form.errors == {"name": ["名称已被使用"]}
    assert form["name"].value() == "张三"
    assert flashed(request) == []


def test_submit_does_nothing_on_get_or_an_invalid_form():
    called = []
    get = RequestFactory().get("/x/")
    assert submit(get, NameForm(), called.append, then="/") is None
    request = post({})
    form = NameForm(request.POST)
    assert submit(request, form, called.append, then="/") is None
    assert called == [] and "name" in form.errors


def test_run_action_success_and_refusal():
    request = post()
    response = run_action(request, lambda: "ok", then="/a/", success="已完成")
    assert response.url == "/a/" and flashed(request) == [("success", "已完成")]

    request = post()

    def refuse():
        raise ActionError("不得实施")

    response = run_action(request, refuse, then="/a/", success="已完成")
    assert response.url == "/a/" and flashed(request) == [("error", "不得实施")]


def test_run_action_refusal_goes_back_only_to_this_site():
    def refuse():
        raise ActionError("不得实施")

    request = post(HTTP_REFERER="http://testserver/matters/7/")
    assert run_action(request, refuse, then=lambda r: "/x/").url == "http://testserver/matters/7/"
    request = post(HTTP_REFERER="https://evil.example/")
    assert run_action(request, refuse, then=lambda r: "/x/").url == "/"
    request = post()
    assert run_action(request, refuse, then=lambda r: "/x/", back="/b/").url == "/b/"


def test_run_action_lets_the_page_render_its_own_refusal():
    from django.http import HttpResponse

    def refuse():
        raise ActionError("请先完成评估")

    response = run_action(
        post(), refuse, then="/a/", refused=lambda exc: HttpResponse(exc.message, status=400)
    )
    assert response.status_code == 400 and response.content.decode() == "请先完成评估"


@pytest.mark.parametrize("exc", [PermissionError("x"), ValueError("x")])
def test_other_errors_are_not_swallowed(exc):
    def boom():
        raise exc

    with pytest.raises(type(exc)):
        run_action(post(), boom, then="/a/")
