"""Uploading a scheme: administrators only, the loader's full validation, versions, audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fengping.audit.models import Event
from fengping.schemebook import actions, registry
from fengping.schemebook.models import UploadedScheme, UploadedSchemeVersion
from fengping.schemes import load_text
from tests.schemes.helpers import builtin_data, builtin_text, dump

UPLOAD = reverse("schemebook:upload")


def city_text(name: str = "某市重大事项社会稳定风险评估", **changes) -> str:
    data = builtin_data("ssra-town")
    data["key"] = "ssra-city"
    data["name"] = name
    data.update(changes)
    return dump(data)


def post_file(client, text: str, filename: str = "ssra-city.yaml", encoding: str = "utf-8"):
    upload = SimpleUploadedFile(filename, text.encode(encoding), content_type="application/yaml")
    return client.post(UPLOAD, {"file": upload})


def test_admin_uploads_a_scheme(org, login):
    client = login(org.admin)
    assert client.get(UPLOAD).status_code == 200
    response = post_file(client, city_text())
    assert response.status_code == 302
    assert response["Location"] == reverse("schemebook:scheme", args=["ssra-city"])

    row = UploadedScheme.objects.get(key="ssra-city")
    scheme = load_text(city_text(), "x.yaml")
    assert (row.version, row.content_hash) == (scheme.version, scheme.content_hash)
    assert row.uploaded_by == org.admin and row.is_active
    assert row.versions.count() == 1

    event = Event.objects.get(action="schemebook.scheme.upload")
    assert event.actor_name == "admin" and event.after["version"] == row.version
    assert event.scope_path == org.root.path  # read by the organisation's administrators

    # Anyone logged in now finds it in the list and reads it in full.
    reader = login(org.zjj_handler)
    html = reader.get(reverse("schemebook:schemes")).content.decode()
    assert "某市重大事项社会稳定风险评估" in html and "上传" in html and row.version in html
    detail = reader.get(reverse("schemebook:scheme", args=["ssra-city"])).content.decode()
    assert "是否有化解矛盾的对策措施" in detail and row.content_hash in detail
    download = reader.get(reverse("schemebook:download", args=["ssra-city"]))
    assert download.content.decode() == city_text()
    assert registry.get("ssra-city").name == "某市重大事项社会稳定风险评估"
    assert [e.origin for e in registry.entries() if e.key == "ssra-city"] == ["upload"]


def test_pasted_text_works_like_a_file(org, login):
    response = login(org.admin).post(UPLOAD, {"text": city_text()})
    assert response.status_code == 302
    assert UploadedScheme.objects.filter(key="ssra-city").exists()


def test_a_bad_file_shows_every_issue_and_saves_nothing(org, login):
    data = builtin_data("ssra-town")
    data["key"] = "ssra-city"
    data["grades"][0]["decisions"]["allowed"] = ["approve"]
    data["majority_rule"]["forbids"] = ["approve"]
    response = post_file(login(org.admin), dump(data))
    assert response.status_code == 200
    html = response.content.decode()
    assert "grades[0].decisions.allowed[0]" in html
    assert "未知的决定 &quot;approve&quot;" in html  # the Chinese explanation
    assert "unknown decision" in html  # and the English one, in small print
    assert "majority_rule.forbids[0]" in html
    assert "未保存" in html
    assert not UploadedScheme.objects.exists()
    assert not Event.objects.filter(action__startswith="schemebook").exists()


def test_action_error_lists_path_and_chinese_text():
    data = builtin_data("ssra-town")
    data["key"] = "ssra-city"
    data["grades"][0]["decisions"]["allowed"] = ["approve"]
    with pytest.raises(actions.SchemeUploadError) as info:
        actions.validate_upload("city.yaml", dump(data))
    assert "grades[0].decisions.allowed[0]：未知的决定" in info.value.message
    assert info.value.issues[0].path == "grades[0].decisions.allowed[0]"


def test_a_structural_error_names_its_path(org, login):
    data = builtin_data("ssra-town")
    data["key"] = "ssra-city"
    data["scales"][0]["levels"][1]["value"] = "0.4"
    html = post_file(login(org.admin), dump(data)).content.decode()
    assert "scales[0].levels[1].value" in html and "类型错误：应为数字" in html
    assert not UploadedScheme.objects.exists()


def test_yaml_syntax_error_names_the_line(org, login):
    html = post_file(login(org.admin), "key: [unclosed\n").content.decode()
    assert "YAML 语法错误" in html and "第 2 行" in html
    assert not UploadedScheme.objects.exists()


def test_a_builtin_key_is_refused(org, login):
    response = post_file(login(org.admin), builtin_text("ssra-town"), "ssra-town.yaml")
    assert response.status_code == 200
    assert "是内置方案的键" in response.content.decode()
    assert not UploadedScheme.objects.exists()


def test_a_reserved_page_name_is_refused(org, login):
    data = builtin_data("ssra-town")
    data["key"] = "upload"
    response = post_file(login(org.admin), dump(data), "upload.yaml")
    assert "系统保留字" in response.content.decode()
    assert not UploadedScheme.objects.exists()


@pytest.mark.parametrize("who", ["rsj_handler", "rsj_head", "supervisor", "nobody"])
def test_only_administrators_upload(org, login, who):
    client = login(getattr(org, who))
    assert client.get(UPLOAD).status_code == 403
    assert post_file(client, city_text()).status_code == 403
    assert not UploadedScheme.objects.exists()
    with pytest.raises(PermissionDenied):
        actions.do_upload_scheme(getattr(org, who), "city.yaml", city_text())


def test_reupload_changes_the_version_and_keeps_the_old_one(org, login):
    client = login(org.admin)
    post_file(client, city_text())
    first = UploadedScheme.objects.get(key="ssra-city")
    old_version, old_hash = first.version, first.content_hash

    response = post_file(client, city_text(name="某市重大事项社会稳定风险评估（修订）"))
    assert response.status_code == 302
    row = UploadedScheme.objects.get(key="ssra-city")
    assert row.version != old_version and row.name.endswith("（修订）")
    assert UploadedScheme.objects.count() == 1

    event = Event.objects.get(action="schemebook.scheme.replace")
    assert event.before["version"] == old_version
    assert event.after["version"] == row.version
    assert event.before["content_hash"] == old_hash

    # An assessment that froze the first version still gets it back.
    assert registry.get_version("ssra-city", old_version).content_hash == old_hash
    assert registry.get_version("ssra-city", row.version).name.endswith("（修订）")
    assert UploadedSchemeVersion.objects.filter(scheme=row).count() == 2
    page = client.get(response["Location"])
    assert f"{old_version} → {row.version}" in page.content.decode()


def test_identical_reupload_is_refused(org, login):
    client = login(org.admin)
    post_file(client, city_text())
    response = post_file(client, city_text())
    assert "完全相同" in response.content.decode()
    assert Event.objects.filter(action__startswith="schemebook").count() == 1


def test_comments_change_the_text_but_not_the_version(org):
    actions.do_upload_scheme(org.admin, "c.yaml", city_text())
    row = actions.do_upload_scheme(org.admin, "c.yaml", "# 修订说明\n" + city_text())
    assert row.previous_version == row.version
    assert row.yaml_text.startswith("# 修订说明")


def test_file_checks(org, login, settings):
    client = login(org.admin)
    html = post_file(client, city_text(), "city.txt").content.decode()
    assert "只接受 .yaml 或 .yml" in html
    html = post_file(client, city_text(), encoding="gb18030").content.decode()
    assert "不是 UTF-8 编码" in html
    settings.FENGPING_UPLOAD_MAX_BYTES = 1000
    html = post_file(client, city_text()).content.decode()
    assert "文件过大" in html
    html = client.post(UPLOAD, {}).content.decode()
    assert "请选择方案文件" in html
    assert not UploadedScheme.objects.exists()


def test_alias_bomb_is_refused_before_validation(org):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 8):
        refs = ", ".join([f"*a{n - 1}"] * 10)
        lines.append(f"a{n}: &a{n} [{refs}]")
    with pytest.raises(actions.SchemeUploadError) as info:
        actions.do_upload_scheme(org.admin, "bomb.yaml", "\n".join(lines))
    assert "展开后过大" in info.value.message


def test_deactivate_and_activate(org, login):
    client = login(org.admin)
    post_file(client, city_text())
    url = reverse("schemebook:set_active", args=["ssra-city"])
    assert login(org.rsj_handler).post(url, {"active": "0"}).status_code == 403

    client = login(org.admin)
    assert client.post(url, {"active": "0"}).status_code == 302
    assert not UploadedScheme.objects.get(key="ssra-city").is_active
    assert "ssra-city" not in [e.key for e in registry.entries()]
    reader = login(org.rsj_handler)
    assert reader.get(reverse("schemebook:scheme", args=["ssra-city"])).status_code == 404
    # The administrator still finds it, to switch it back on.
    client = login(org.admin)
    assert url in client.get(reverse("schemebook:schemes")).content.decode()
    client.post(url, {"active": "1"})
    assert registry.get("ssra-city")
    actions_seen = list(
        Event.objects.filter(action__startswith="schemebook")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions_seen == [
        "schemebook.scheme.upload",
        "schemebook.scheme.deactivate",
        "schemebook.scheme.activate",
    ]
