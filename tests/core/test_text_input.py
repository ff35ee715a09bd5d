"""Control characters never get in through a form: one \\x0b in a matter title used to
make the matters export answer 500, one \\x01 in a profile name the users export."""

from __future__ import annotations

import pytest
from django import forms

from fengping.core.forms import StyledForm
from fengping.core.text import clean_text, find_control_character
from fengping.matters.models import Matter
from fengping.org.models import User


class Sample(StyledForm):
    title = forms.CharField()
    body = forms.CharField(widget=forms.Textarea, required=False)
    email = forms.EmailField(required=False)
    secret = forms.CharField(widget=forms.PasswordInput, strip=False, required=False)


@pytest.mark.parametrize(
    ("raw", "single", "multi"),
    [
        ("a\x0bb", "a b", "a\nb"),
        ("a\x0cb", "a b", "a\nb"),
        ("a\x01b\x00c\x7f\x9fd", "abcd", "abcd"),
        ("一\r\n二\t三", "一 二 三", "一\n二\t三"),
        ("a\u2028b\ufffe", "a b", "a\nb"),
        ("普通文本", "普通文本", "普通文本"),
    ],
)
def test_clean_text(raw, single, multi):
    assert clean_text(raw, multiline=False) == single
    assert clean_text(raw, multiline=True) == multi
    assert find_control_character(single) is None


def test_styled_form_cleans_every_text_field_but_passwords():
    form = Sample(
        {
            "title": " 标题\x0b二\x01 ",
            "body": "第一行\x0b第二行\x02",
            "email": "a\x01@example.com",
            "secret": "pa\x01ss ",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["title"] == "标题 二"
    assert form.cleaned_data["body"] == "第一行\n第二行"
    assert form.cleaned_data["email"] == "a@example.com"
    assert form.cleaned_data["secret"] == "pa\x01ss "
    # Another instance of the same form class is cleaned the same way (no shared state).
    assert Sample({"title": "x\x01"}).is_valid()


def test_matter_title_and_profile_name_arrive_clean(org, login):
    client = login(org.rsj_handler)
    response = client.post("/me/", {"real_name": "张\x01三", "phone": "", "email": ""}, follow=True)
    assert response.status_code == 200
    assert User.objects.get(pk=org.rsj_handler.pk).real_name == "张三"
    assert client.get("/org/users/export.xlsx").status_code == 200
    response = client.post(
        "/matters/new/",
        {
            "title": "养老金\x0b调整",
            "kind": "policy",
            "category": "ssra-town/focus_social_security",
            "department": org.rsj.pk,
            "planned_decision_date": "2026-12-20",
            "description": "第一段\x0b第二段",
        },
    )
    assert response.status_code == 302
    matter = Matter.objects.get()
    assert (matter.title, matter.description) == ("养老金 调整", "第一段\n第二段")
    assert client.get("/matters/export.xlsx").status_code == 200
