"""The list and the detail page of every built-in scheme, as any logged-in user sees them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from fengping.schemes import BUILTIN_DIR, load_builtin

# For each built-in scheme, text that must be on its page: a checklist question verbatim,
# a deadline as written for people, a rule that decides something.
KEY_CONTENT = {
    "ssra-bureau": [
        "涉及群众利益的问题是否按法律政策全部落实到位",  # dimension question
        "对评为A级风险的,不得实施。",  # grade recommendation
        "对不能使大多数群众理解支持的事项坚决终止实施",  # majority rule
        "先评估后决策",  # gate
    ],
    "ssra-town": [
        "是否有化解矛盾的对策措施",  # dimension question
        "每年 3 月 31 日前",  # annual plan deadline
        "每月 20 日前",  # monthly progress deadline
        "“确定实施意见”次日",  # filing deadline, named by its step
        "国土资源局",  # 篇3 五 lead-department table
        "必须评估",  # taxonomy badge
        "化解风险方案和应急处置预案",  # report outline
        "镇级分管领导审定",  # review chain
    ],
    "isra": [
        "风险值矩阵（可能性 × 损失）",
        "越权或滥用",  # threat catalogue
        "信息安全等级保护工作",  # vulnerability checklist item
        "业务服务提供",  # asset part
        "L = √(T·V)",
    ],
    "case-risk": [
        "明确表示将上访或以过激行为相威胁",  # hard-trigger factor
        "直接定为“红色”",
        "每月进行一次",  # monthly screening
        "未经风险评估不得裁决",  # gate
        "预防处置工作方案",  # report section
        "月度排查规则",  # the screening criteria, in words
        "365 天内信访不少于 2 次",
        "简要案情含有：拖欠工资、讨薪、欠薪",
        "裁决门槛",  # the gated stages of each organ kind
    ],
}


def test_list_shows_every_builtin(org, login):
    response = login(org.rsj_handler).get(reverse("schemebook:schemes"))
    assert response.status_code == 200
    html = response.content.decode()
    for key, scheme in load_builtin().items():
        assert scheme.name in html
        assert reverse("schemebook:scheme", args=[key]) in html
        assert scheme.version in html
    assert "内置" in html
    # Only administrators are offered the upload.
    assert reverse("schemebook:upload") not in html


def test_admin_sees_upload_button(org, login):
    html = login(org.admin).get(reverse("schemebook:schemes")).content.decode()
    assert reverse("schemebook:upload") in html


def test_sidebar_links_the_section_for_everyone(org, login):
    html = login(org.nobody).get(reverse("home")).content.decode()
    assert f'href="{reverse("schemebook:schemes")}"' in html


@pytest.mark.parametrize("key", sorted(KEY_CONTENT))
def test_detail_shows_the_scheme_in_full(org, login, key):
    scheme = load_builtin()[key]
    response = login(org.supervisor).get(reverse("schemebook:scheme", args=[key]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in KEY_CONTENT[key]:
        assert text in html, text
    assert scheme.version in html
    assert scheme.content_hash in html
    assert reverse("schemebook:download", args=[key]) in html
    for dimension in scheme.dimensions:
        for item in dimension.items:
            assert item in html
    for step in scheme.procedure.steps:
        assert step.label in html
    for grade in scheme.grades:
        assert grade.label in html
    # The Content-Security-Policy forbids inline styles and scripts.
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_matrices_are_coloured_by_class(org, login):
    html = login(org.rsj_head).get(reverse("schemebook:scheme", args=["isra"])).content.decode()
    # Three 5×5 GB/T 20984 matrices; 25 in the risk matrix lies in the top band.
    assert html.count('class="table table-bordered risk-grid') == 3
    assert re.search(r'<td class="text-center risk-5">25 很高</td>', html)
    assert re.search(r'<td class="text-center risk-1">1 很低</td>', html)
    # The composite schemes show P·I coloured by the band it falls in.
    town = login(org.rsj_head).get(reverse("schemebook:scheme", args=["ssra-town"]))
    html = town.content.decode()
    assert '<td class="text-center risk-5">1 高</td>' in html
    assert '<td class="text-center risk-2">0.04 低</td>' in html


def test_download_serves_the_file_as_text(org, login):
    response = login(org.rsj_handler).get(reverse("schemebook:download", args=["ssra-town"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert 'filename="ssra-town.yaml"' in response["Content-Disposition"]
    assert response.content.decode() == (BUILTIN_DIR / "ssra-town.yaml").read_text("utf-8")


def test_unknown_scheme_is_404(org, login):
    client = login(org.rsj_handler)
    assert client.get(reverse("schemebook:scheme", args=["no-such"])).status_code == 404
    assert client.get(reverse("schemebook:download", args=["no-such"])).status_code == 404


def test_pages_need_a_login(client, db):
    for url in (
        reverse("schemebook:schemes"),
        reverse("schemebook:scheme", args=["isra"]),
        reverse("schemebook:download", args=["isra"]),
        reverse("schemebook:upload"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
