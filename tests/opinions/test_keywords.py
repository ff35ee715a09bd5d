"""Issue 8 loophole 15: 群众关注的主要问题 are the concerns, not 早上, 实际, 半年 or 就近.

Part-of-speech filtering, a stop-word list and a domain dictionary shipped as data; the
page shows each keyword with the opinions behind it."""

import tomllib
from fnmatch import fnmatch
from pathlib import Path

from django.urls import reverse

from fengping.opinions import actions, keyword_index, keywords
from fengping.opinions.models import CommentChannel
from fengping.opinions.queries import keyword_evidence, matter_opinion_summary

from .conftest import answers_for

# The remarks behind the noisy report (早上, 实际, 半年, 就近 printed as concerns).
NOISY = [
    "早上菜市场太吵，实际补偿标准偏低",
    "半年内就近安置，拆迁补偿款什么时候发放",
    "希望就近安置，征收范围要公开",
    "实际上房屋征收补偿标准偏低，过渡期安置费不够",
]


def test_noise_words_are_not_concerns():
    words = dict(keywords.top_keywords(NOISY))
    for noise in ("早上", "实际", "半年", "就近", "时候", "希望"):
        assert noise not in words, noise
    assert words["补偿标准"] == 2 and words["安置"] == 2
    assert {"拆迁", "补偿款", "征收范围", "安置费", "过渡期"} <= set(words)
    # Among equals, the domain dictionary's words come first.
    ranked = keywords.rank(NOISY)
    assert ranked[0].domain and ranked[0].count == 2


def test_keywords_of_one_text_is_pure(django_assert_num_queries):
    keywords.keywords_of("预热")  # load the dictionary outside the measurement
    with django_assert_num_queries(0):
        assert keywords.keywords_of("早上菜市场太吵，实际补偿标准偏低，半年内就近安置") == [
            "菜市场",
            "补偿标准",
            "安置",
        ]
    assert keywords.keywords_of("") == [] and keywords.keywords_of("  ") == []
    # Person names are personal data, not a concern.
    assert "张三" not in keywords.keywords_of("张三说补偿太少")


def test_the_lists_are_data_shipped_in_the_wheel():
    assert "就近" in keywords.stopwords() and "早上" in keywords.stopwords()
    assert {"拆迁", "补偿", "安置", "征收"} <= set(keywords.domain_terms())
    pyproject = tomllib.loads(Path("pyproject.toml").read_text("utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["fengping"]
    data = Path("src/fengping/opinions/data")
    for name in ("stopwords.txt", "domain_terms.txt"):
        assert (data / name).exists()
        assert any(fnmatch(f"opinions/data/{name}", p) for p in patterns), name


def test_page_shows_each_keyword_with_the_opinions_behind_it(org, login, qn):
    actions.submit_public_response(
        qn,
        group="企业",
        answers=answers_for(qn, 4, text="早上菜市场太吵，实际补偿标准偏低"),
        browser_key="1" * 64,
    )
    actions.do_add_comment(
        org.rsj_handler,
        qn.matter,
        channel=CommentChannel.LETTER,
        content="半年内就近安置，补偿标准偏低",
    )
    keyword_index.extract_pending(qn.matter)  # what the job worker does
    evidence = {k.word: k for k in keyword_evidence(qn.matter)}
    assert evidence["补偿标准"].count == 2
    sources = [source for source, _text in evidence["补偿标准"].texts]
    assert sources == ["问卷“养老金调整意见征询”", "来信来访"]
    assert "早上" not in evidence and "就近" not in evidence
    assert dict(matter_opinion_summary(qn.matter).top_keywords)["补偿标准"] == 2
    body = login(org.rsj_head).get(reverse("opinions:matter", args=[qn.matter.pk]))
    html = body.content.decode()
    assert '<details class="keyword' in html
    assert "早上菜市场太吵，实际补偿标准偏低" in html and "半年内就近安置，补偿标准偏低" in html


def test_api_lists_keywords_with_their_texts(org, qn, client):
    from fengping.api.tokens import do_create_token

    actions.do_add_comment(
        org.rsj_handler, qn.matter, channel=CommentChannel.LETTER, content="早上拆迁补偿款没到位"
    )
    keyword_index.extract_pending(qn.matter)
    _row, token = do_create_token(org.rsj_head, "t")
    r = client.get(f"/api/matters/{qn.matter.pk}/keywords", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 200
    words = {k["word"]: k for k in r.json()}
    assert "早上" not in words and words["补偿款"]["domain"]
    assert words["拆迁"]["texts"] == [{"source": "来信来访", "text": "早上拆迁补偿款没到位"}]
