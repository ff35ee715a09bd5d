import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from fengping.api.tokens import do_create_token
from fengping.opinions import actions
from fengping.opinions.models import Comment, CommentChannel, Questionnaire, Response
from tests.opinions.conftest import answers_for


def test_matter_page_shows_summary_and_chart_data(org, login, qn):
    for n, stance in enumerate([0, 0, 4]):
        actions.submit_public_response(
            qn, group="企业", answers=answers_for(qn, stance), browser_key=f"{n:064d}"
        )
    response = login(org.rsj_head).get(reverse("opinions:matter", args=[qn.matter.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<script id="opinion-chart-data" type="application/json">' in body
    assert "fengping/charts.js" in body and "66.7%" in body and "33.3%" in body
    assert 'data-chart="stance-pie"' in body and 'data-chart="group-bar"' in body
    assert " style=" not in body  # CSP: no inline styles


def test_build_and_publish_through_the_pages(org, login, matter):
    client = login(org.rsj_handler)
    response = client.post(
        reverse("opinions:questionnaire_create", args=[matter.pk]),
        {
            "title": "问卷",
            "groups": "居民\n商户",
            "closes_at": "2099-01-01T10:00",
            "with_stance_question": "on",
        },
    )
    qn = Questionnaire.objects.get()
    assert response["Location"] == reverse("opinions:questionnaire", args=[qn.pk])
    assert qn.groups == ["居民", "商户"]
    response = client.post(
        reverse("opinions:question_add", args=[qn.pk]),
        {"kind": "single", "text": "补偿方式", "choices": "货币补偿\n产权调换", "required": "on"},
    )
    assert response.status_code == 302
    # A stance line without its stance is refused with a message naming it.
    response = client.post(
        reverse("opinions:question_add", args=[qn.pk]),
        {"kind": "single", "text": "态度", "choices": "赞成 | 支持\n反对", "is_stance": "on"},
    )
    assert "“反对”没有标明态度" in response.content.decode()
    client.post(reverse("opinions:questionnaire_publish", args=[qn.pk]))
    qn.refresh_from_db()
    assert qn.status == "published"
    page = client.get(reverse("opinions:questionnaire", args=[qn.pk])).content.decode()
    assert reverse("opinions:public_form", args=[qn.token]) in page


def test_import_page_and_template(org, login, qn):
    client = login(org.rsj_handler)
    response = client.get(reverse("opinions:import_template", args=[qn.pk]))
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["答卷", "填写说明"]
    response = client.post(
        reverse("opinions:import", args=[qn.pk]),
        {"file": SimpleUploadedFile("a.txt", b"x,y")},
    )
    assert "不接受该类型的文件（.txt）" in response.content.decode()
    response = client.post(
        reverse("opinions:import", args=[qn.pk]),
        {"file": SimpleUploadedFile("a.csv", b"x,y")},
    )
    page = response.content.decode()
    assert "未导入任何数据" in page and "a.csv" in page and "缺少此列" in page


def test_activity_pages_with_attachment(org, login, matter):
    client = login(org.rsj_handler)
    response = client.post(
        reverse("opinions:activity_create", args=[matter.pk]),
        {
            "kind": "symposium",
            "date": "2020-05-01",
            "place": "会议室",
            "participant_count": "12",
            "participants": "企业代表",
            "minutes": "纪要",
            "attachment": SimpleUploadedFile("签到表.txt", "签到".encode()),
        },
    )
    assert response.status_code == 302
    activity = matter.opinion_activities.get()
    page = client.get(response["Location"]).content.decode()
    assert "2020年5月1日" in page and "签到表.txt" in page
    att = activity.attachments.get()
    download = client.get(reverse("opinions:attachment", args=[att.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == "签到".encode()
    assert "座谈会" in client.get(reverse("opinions:activities", args=[matter.pk])).content.decode()


def test_comments_filter_reply_and_revision(org, login, matter):
    client = login(org.rsj_handler)
    client.post(
        reverse("opinions:comment_create", args=[matter.pk]),
        {
            "channel": "letter",
            "content": "为何不公开测算依据",
            "author_group": "企业",
            "is_query": "on",
        },
    )
    actions.do_add_comment(
        org.rsj_handler, matter, channel=CommentChannel.ONLINE, content="普通建议"
    )
    url = reverse("opinions:comments", args=[matter.pk])
    body = client.get(url + "?show=unanswered").content.decode()
    assert "为何不公开测算依据" in body and "普通建议" not in body
    query = Comment.objects.get(is_query=True)
    response = client.post(
        reverse("opinions:comment_reply", args=[query.pk]),
        {
            "reply": "测算依据已在网站公开",
            "version": query.version,
            "next": url + "?show=unanswered",
        },
    )
    assert response["Location"] == url + "?show=unanswered"
    query.refresh_from_db()
    assert query.replied_by == org.rsj_handler and query.replied_at is not None
    assert "为何不公开测算依据" not in client.get(url + "?show=unanswered").content.decode()
    client.post(
        reverse("opinions:comment_revision", args=[query.pk]),
        {"revision_note": "增加测算附件", "version": query.version},
    )
    query.refresh_from_db()
    assert query.led_to_revision
    # An off-site "next" is ignored.
    other = Comment.objects.get(is_query=False)
    response = client.post(
        reverse("opinions:comment_reply", args=[other.pk]),
        {"reply": "收到", "next": "https://evil.example/"},
    )
    assert response["Location"] == url


def test_responses_list_query_count_is_constant(org, login, qn, django_assert_max_num_queries):
    for n in range(30):
        actions.submit_public_response(
            qn,
            group="企业",
            answers=answers_for(qn, n % 5, text=f"意见{n}", picks=[0, 1]),
            browser_key=f"{n:064d}",
        )
    client = login(org.rsj_head)
    url = reverse("opinions:responses", args=[qn.pk])
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    assert "意见29" in response.content.decode()
    assert client.get(url + "?stance=oppose").context["listing"].page.total == 12


def test_api(org, qn, client):
    _row, token = do_create_token(org.rsj_handler, "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    actions.submit_public_response(
        qn, group="企业", answers=answers_for(qn, 4), browser_key="a" * 64
    )
    m = qn.matter.pk
    items = client.get(f"/api/matters/{m}/questionnaires", **auth).json()
    assert [(i["title"], i["response_count"], i["is_accepting"]) for i in items] == [
        ("养老金调整意见征询", 1, True)
    ]
    summary = client.get(f"/api/matters/{m}/opinion-summary", **auth).json()
    assert (summary["respondents"], summary["oppose_rate"], summary["support_rate"]) == (
        1,
        1.0,
        0.0,
    )
    created = client.post(
        f"/api/matters/{m}/comments",
        {"channel": "online", "content": "质疑补偿标准", "is_query": True},
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201
    cid = created.json()["id"]
    assert [
        c["id"]
        for c in client.get(f"/api/matters/{m}/comments?unanswered=true", **auth).json()["items"]
    ] == [cid]
    replied = client.post(
        f"/api/comments/{cid}/reply", {"reply": "已答复"}, content_type="application/json", **auth
    )
    assert replied.status_code == 200 and replied.json()["replied_by_id"] == org.rsj_handler.pk
    refused = client.post(
        f"/api/comments/{cid}/reply",
        {"reply": "x", "version": 1},
        content_type="application/json",
        **auth,
    )
    assert refused.status_code == 409 and "已被他人修改" in refused.json()["detail"]
    bad = client.post(
        f"/api/matters/{m}/comments",
        {"channel": "letter", "content": "  "},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 400 and bad.json()["detail"] == "请填写意见内容"
    assert Response.objects.count() == 1


def test_matter_page_links_to_opinions(org, login, qn):
    actions.submit_public_response(
        qn, group="企业", answers=answers_for(qn, 0), browser_key="b" * 64
    )
    actions.do_add_comment(
        org.rsj_handler, qn.matter, channel=CommentChannel.LETTER, content="质疑", is_query=True
    )
    body = login(org.rsj_head).get(reverse("matters:detail", args=[qn.matter.pk])).content.decode()
    assert reverse("opinions:matter", args=[qn.matter.pk]) in body
    assert "答卷 1 份 · 支持率 100.0%" in body and "待回复质疑 1 条" in body
