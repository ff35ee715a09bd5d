"""The lost-update mechanism itself: who changed the row (from the audit log), the form
that keeps the loser's input, and the edit pages that send a version."""

import pytest
from django import forms
from django.db import transaction
from django.urls import reverse

from fengping.core.concurrency import StaleVersion, lock
from fengping.core.forms import StyledForm
from fengping.matters import actions as matter_actions
from fengping.org import actions as org_actions
from fengping.org.models import Department, User


def _rename(org, name):
    dept = Department.objects.get(pk=org.rsj.pk)
    return org_actions.do_update_department(
        org.admin,
        dept,
        version=dept.version,
        name=name,
        code=dept.code,
        kind=dept.kind,
        parent=dept.parent,
        is_active=True,
    )


def test_stale_version_names_who_saved_last_and_when(org):
    shown = Department.objects.get(pk=org.rsj.pk).version
    _rename(org, "人力资源和社会保障局")
    with pytest.raises(StaleVersion) as exc, transaction.atomic():
        lock(org.rsj, shown)
    assert "admin 于 " in exc.value.message and f"版本 {shown + 1}" in exc.value.message
    assert exc.value.current.name == "人力资源和社会保障局"


class _DeptForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField()
    note = forms.CharField(required=False)


def test_form_keeps_the_input_shows_what_is_stored_and_takes_the_current_version(org):
    shown = Department.objects.get(pk=org.rsj.pk).version
    _rename(org, "人力资源和社会保障局")
    form = _DeptForm({"version": shown, "name": "人社局（我的修改）", "note": "我的说明"})
    assert form.is_valid()
    with pytest.raises(StaleVersion) as exc, transaction.atomic():
        lock(org.rsj, form.cleaned_data["version"])
    form.add_action_error(exc.value)
    assert form.data["name"] == "人社局（我的修改）" and form.data["note"] == "我的说明"
    assert form.data["version"] == str(shown + 1)
    assert form["name"].help_text == "他人保存的内容：人力资源和社会保障局"
    assert not form["note"].help_text  # nothing stored there: nothing to compare
    assert "admin" in form.non_field_errors()[0]


def test_own_profile_edited_meanwhile_by_an_administrator(org, login):
    client = login(org.rsj_handler)
    shown = User.objects.get(pk=org.rsj_handler.pk).version
    assert f'name="version" value="{shown}"' in client.get(reverse("profile")).content.decode()
    target = User.objects.get(pk=org.rsj_handler.pk)
    org_actions.do_update_user(
        org.admin,
        target,
        version=shown,
        real_name="张三",
        phone="",
        position="科员",
        email="",
        is_active=True,
    )
    r = client.post(
        reverse("profile"), {"version": shown, "real_name": "张小三", "phone": "13800000000"}
    )
    body = r.content.decode()
    assert r.status_code == 200 and "已被他人修改" in body and 'value="13800000000"' in body
    assert User.objects.get(pk=org.rsj_handler.pk).real_name == "张三"


def test_consultation_settings_changed_meanwhile(org, login):
    from tests.assessments.flow import register

    matter = register(org)
    shown = matter.version
    matter_actions.do_set_consultation(
        org.rsj_head, matter, open=True, summary="面向公众的说明", channels="", until=None
    )
    r = login(org.rsj_handler).post(
        reverse("matters:consultation", args=[matter.pk]),
        {"version": shown, "open": "", "summary": "我的说明", "channels": "来信"},
    )
    body = r.content.decode()
    assert r.status_code == 200 and "rsj_head" in body and "我的说明" in body
    matter.refresh_from_db()
    assert matter.consultation_open and matter.consultation_summary == "面向公众的说明"
