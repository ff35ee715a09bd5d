"""Issue 8 loophole 14: 篇3 二(四) 除涉及国家秘密、商业机密和个人隐私的事项外，重大决策应当
依法向社会公开 — the public page lists decided, non-confidential matters with the decision,
its 文号 and date, the consultation's figures and how the concerns were answered."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from fengping.assessments import actions
from fengping.matters import actions as matter_actions
from fengping.opinions import actions as opinion_actions
from tests.assessments.flow import approve_reviews, to_decide_step, to_grade_step
from tests.dates import YEAR


def decided(org, *, confidential=False, title="企业退休人员养老金调整", before_report=None):
    a = to_grade_step(org, scheme_key="ssra-bureau")
    matter = a.matter
    if before_report:
        before_report(a)  # the consultation's records are locked once the report exists
    if title != matter.title or confidential:
        matter_actions.do_update_matter(
            org.rsj_handler,
            matter,
            version=None,
            title=title,
            kind=matter.kind,
            description=matter.description,
            category_code=matter.category_code,
            lead_department=matter.lead_department,
            assisting_departments=[],
            deciding_authority=matter.deciding_authority,
            planned_decision_date=None,
            confidential=confidential,
        )
    a = approve_reviews(org, to_decide_step(org, a))
    actions.do_decide(
        org.rsj_handler,
        a,
        outcome="postpone",
        doc_no=f"株人社发〔{YEAR}〕7号",
        decided_on=timezone.localdate(),
        authority="局务会议",
    )
    return a


def test_decided_matter_is_published_with_decision_figures_and_answers(org, client):
    def query_answered(a):
        comment = opinion_actions.do_add_comment(
            org.rsj_handler,
            a.matter,
            channel="letter",
            content="挂钩调整为什么按缴费年限计算？",
            author_name="李师傅",
            author_group="直接利益群体",
            is_query=True,
        )
        opinion_actions.do_reply_comment(org.rsj_handler, comment, reply="多缴多得、长缴多得。")

    a = decided(org, before_report=query_answered)
    page = client.get(reverse("opinions:public_decisions")).content.decode()
    assert a.matter.title in page
    assert "暂缓实施" in page and f"株人社发〔{YEAR}〕7号" in page
    assert timezone.localdate().strftime("%Y") in page
    # The flow's figures: 10 answers (6 support, 3 oppose, 1 neutral), one 座谈会.
    assert "问卷答卷 10 份" in page and "征求意见活动 1 次" in page
    assert "支持 6 人、反对 3 人、中立 1 人" in page
    assert "挂钩调整为什么按缴费年限计算？" in page and "多缴多得、长缴多得。" in page
    assert "李师傅" not in page  # never a name


def test_confidential_and_undecided_matters_are_not_published(org, client):
    decided(org, confidential=True, title="涉密的调整事项")
    undecided = to_grade_step(org, scheme_key="ssra-bureau")
    page = client.get(reverse("opinions:public_decisions")).content.decode()
    assert "涉密的调整事项" not in page
    assert undecided.matter.title not in page
    assert "目前没有可以公开的决策" in page


def test_decided_matter_is_not_listed_as_open_for_consultation(org, client):
    a = to_grade_step(org, scheme_key="ssra-bureau")
    # Opened for public consultation before, closed by the consultation step since.
    matter_actions.do_set_consultation(
        org.rsj_handler, a.matter, open=True, summary="公开征求意见", channels="", until=None
    )
    page = client.get(reverse("opinions:public")).content.decode()
    assert a.matter.title not in page
    assert reverse("opinions:public_decisions") in page
