"""Issue 8, loophole 10 and the checklist a new user hit.

Factor estimates: 篇1 六(一)3 and 篇3 六(四) require, for each factor, the people involved,
range, manner, intensity and possible negative impact; each built-in scheme names which
(`factor_estimates`), and a factor without them is refused — by the action, the page and
the API — and so is the analysis step. The tests walk the schemes' own lists, so a scheme
that requires one more estimate is tested without a new test.

Checklist: every item has its answer type in the scheme (compliance, yes/no with the good
answer, written); an answer of another type is refused, a bad yes/no answer is a failed
item (explained, and backed by a risk factor of its dimension before the analysis step
completes), the page shows one dimension at a time and saves each item by htmx, and the
report prints each item as its type reads.
"""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from fengping.assessments import actions, rules
from fengping.assessments.forms import FactorForm, GradeForm
from fengping.assessments.models import ANSWERS_BY_TYPE, Answer, ChecklistAnswer, RiskFactor
from fengping.core.errors import ActionError
from fengping.schemes import loader as scheme_registry

from .flow import ESTIMATES, GOOD_ANSWER, answer_checklist, to_analyse_step

SCHEMES = ("ssra-bureau", "ssra-town")


def _required(key):
    return list(scheme_registry.get(key).factor_estimates.required)


def _cases():
    return [(key, field) for key in SCHEMES for field in _required(key)]


def test_builtin_schemes_name_the_estimates_of_their_source():
    # 篇1 六(一)3: 人员数量、范围、方式; 篇3 六(四): 人员数量、范围和激烈程度，以及负面影响.
    assert _required("ssra-bureau") == ["people_involved", "scope", "manner"]
    assert _required("ssra-town") == ["people_involved", "scope", "intensity", "negative_impact"]
    for key in SCHEMES:
        assert scheme_registry.get(key).factor_estimates.quote


@pytest.mark.parametrize(("scheme_key", "field"), _cases())
def test_a_factor_without_a_required_estimate_is_refused_everywhere(
    org, login, api, scheme_key, field
):
    a = to_analyse_step(org, scheme_key)
    quote = a.scheme.factor_estimates.quote
    values = {**ESTIMATES, field: None if field == "people_involved" else "  "}
    # The action.
    with pytest.raises(ActionError) as refused:
        actions.do_save_factor(org.rsj_handler, a, dimension="legality", title="争议", **values)
    assert refused.value.field == field and quote in refused.value.message
    # The page: the form comes back with the rule on the field and everything typed.
    form = {
        "dimension": "legality",
        "title": "待遇标准争议",
        "weight": 1,
        **{k: ("" if v is None else v) for k, v in values.items()},
    }
    r = login(org.rsj_handler).post(reverse("assessments:factor_add", args=[a.pk]), form)
    body = r.content.decode()
    assert r.status_code == 200 and quote in body and 'value="待遇标准争议"' in body
    # The API: 400 naming the field, in Chinese, quoting the rule.
    body = {"dimension": "legality", "title": "争议", **values}
    r = api(org.rsj_handler)("post", f"/assessments/{a.pk}/factors", body)
    assert r.status_code == 400 and r.json()["field"] == field and quote in r.json()["detail"]
    assert not RiskFactor.objects.exists()
    # With the estimate the factor stands; editing it away again is refused too.
    factor = actions.do_save_factor(
        org.rsj_handler, a, dimension="legality", title="争议", **ESTIMATES
    )
    with pytest.raises(ActionError, match="方案规定"):
        actions.do_save_factor(
            org.rsj_handler,
            a,
            factor=factor,
            version=factor.version,
            dimension="legality",
            title="争议",
            **values,
        )


@pytest.mark.parametrize("scheme_key", SCHEMES)
def test_an_estimate_the_scheme_does_not_require_may_stay_empty(org, scheme_key):
    a = to_analyse_step(org, scheme_key)
    optional = {k: v for k, v in ESTIMATES.items() if k not in _required(scheme_key)}
    values = {**ESTIMATES, **{k: "" for k in optional}}
    factor = actions.do_save_factor(
        org.rsj_handler, a, dimension="legality", title="争议", **values
    )
    assert not rules.missing_estimates(a, factor)


@pytest.mark.parametrize("scheme_key", SCHEMES)
def test_the_analysis_step_refuses_a_factor_without_its_estimates(org, login, api, scheme_key):
    a = to_analyse_step(org, scheme_key)
    answer_checklist(org.rsj_handler, a)
    factor = actions.do_save_factor(
        org.rsj_handler, a, dimension="legality", title="标准争议", **ESTIMATES
    )
    for assessor in (org.rsj_handler, org.rsj_head):
        actions.do_score_factor(assessor, factor, probability_level="high", impact_level="major")
    # A factor recorded before the scheme asked for its range (or by an import).
    RiskFactor.objects.filter(pk=factor.pk).update(scope="")
    quote = a.scheme.factor_estimates.quote
    with pytest.raises(ActionError) as refused:
        actions.do_complete_step(org.rsj_handler, a, "analyse")
    assert "标准争议" in refused.value.message and quote in refused.value.message
    r = api(org.rsj_handler)("post", f"/assessments/{a.pk}/steps/analyse/complete", {})
    assert r.status_code == 400 and quote in r.json()["detail"]
    assert quote in api(org.rsj_handler)("get", f"/assessments/{a.pk}").json()["analysis_refusal"]
    r = login(org.rsj_handler).post(
        reverse("assessments:complete_step", args=[a.pk]), {"step": "analyse"}, follow=True
    )
    assert quote in r.content.decode()
    body = (
        login(org.rsj_handler)
        .get(reverse("assessments:detail", args=[a.pk]) + "?tab=factors")
        .content.decode()
    )
    assert "须补填（方案规定）：" + rules.estimate_label("scope") in body
    a.refresh_from_db()
    assert a.current_step == "analyse"
    RiskFactor.objects.filter(pk=factor.pk).update(scope="全市")
    a = actions.do_complete_step(org.rsj_handler, a, "analyse")
    assert a.current_step == "grade"


# ------------------------------------------------------------------ checklist answer types


def _items(scheme_key):
    scheme = scheme_registry.get(scheme_key)
    return [
        (dim.code, i, dim.answer_type(i))
        for dim in scheme.dimensions
        for i in range(len(dim.items))
    ]


def test_every_checklist_item_of_the_ssra_schemes_has_its_answer_type():
    for key in SCHEMES:
        for dim in scheme_registry.get(key).dimensions:
            assert len(dim.answers) == len(dim.items), (key, dim.code)
    town = {d.code: d for d in scheme_registry.get("ssra-town").dimensions}
    # The questions the new user hit: an open question and a negatively worded one.
    security, legality = town["security"], town["legality"]
    assert security.answer_type(security.items.index("对生态环境有何重大影响")) == "written"
    assert legality.answer_type(legality.items.index("是否与现行政策、法律、法规相抵触")) == (
        "no_good"
    )


@pytest.mark.parametrize("scheme_key", SCHEMES)
def test_an_answer_of_another_type_is_refused(org, api, scheme_key):
    a = to_analyse_step(org, scheme_key)
    call = api(org.rsj_handler)
    for dimension, item_no, kind in _items(scheme_key):
        for answer in Answer.values:
            if answer in ANSWERS_BY_TYPE[kind]:
                continue
            with pytest.raises(ActionError) as refused:
                actions.do_answer_checklist(
                    org.rsj_handler,
                    a,
                    dimension=dimension,
                    item_no=item_no,
                    answer=answer,
                    note="说明",
                )
            assert refused.value.field == "answer" and "该条应回答" in refused.value.message
        # One refusal per item through the API, in Chinese, naming the field.
        wrong = next(x for x in Answer.values if x not in ANSWERS_BY_TYPE[kind])
        body = {"dimension": dimension, "item_no": item_no, "answer": wrong, "note": "说明"}
        r = call("post", f"/assessments/{a.pk}/checklist", body)
        assert r.status_code == 400 and r.json()["field"] == "answer", r.json()
    assert not ChecklistAnswer.objects.exists()


def _first(scheme_key, kind):
    return next((d, i) for d, i, k in _items(scheme_key) if k == kind)


def test_a_bad_yes_no_answer_is_a_failed_item(org, login, api):
    a = to_analyse_step(org, "ssra-town")
    dimension, item_no = _first("ssra-town", "no_good")  # 是否与现行政策…相抵触
    item = {"dimension": dimension, "item_no": item_no}
    with pytest.raises(ActionError, match="须说明情况") as refused:
        actions.do_answer_checklist(org.rsj_handler, a, answer=Answer.YES, **item)
    assert refused.value.field == "note"
    # The good answer needs no explanation.
    row = actions.do_answer_checklist(org.rsj_handler, a, answer=Answer.NO, **item)
    actions.do_answer_checklist(
        org.rsj_handler, a, answer=Answer.YES, note="与某条例相抵触", version=row.version, **item
    )
    answer_checklist_except(org, a, skip=(dimension, item_no))
    factor = actions.do_save_factor(
        org.rsj_handler, a, dimension="security", title="治安隐患", **ESTIMATES
    )
    for assessor in (org.rsj_handler, org.rsj_head):
        actions.do_score_factor(assessor, factor, probability_level="low", impact_level="minor")
    # Failed in 合法性 with no factor of 合法性: the analysis is refused, naming the item.
    refusal = rules.analysis_refusal(a)
    assert "是否与现行政策、法律、法规相抵触" in refusal and "“是”" in refusal
    with pytest.raises(ActionError, match="相抵触"):
        actions.do_complete_step(org.rsj_handler, a, "analyse")
    items = api(org.rsj_handler)("get", f"/assessments/{a.pk}/checklist").json()
    got = next(x for x in items if (x["dimension"], x["item_no"]) == (dimension, item_no))
    assert got["answer_type"] == "no_good" and got["failed"] and got["answer"] == "yes"
    assert got["accepted"] == ["no", "yes", "na"]
    # The page marks the dimension with its failed item.
    body = login(org.rsj_handler).get(
        reverse("assessments:detail", args=[a.pk]) + f"?tab=checklist&dim={dimension}"
    )
    body = body.content.decode()
    assert "1 项不符合" in body and "维度登记相应的风险因素" in body
    factor = actions.do_save_factor(
        org.rsj_handler, a, dimension=dimension, title="政策依据不足", **ESTIMATES
    )
    for assessor in (org.rsj_handler, org.rsj_head):
        actions.do_score_factor(assessor, factor, probability_level="low", impact_level="minor")
    assert rules.analysis_refusal(a) == ""
    assert actions.do_complete_step(org.rsj_handler, a, "analyse").current_step == "grade"


def answer_checklist_except(org, a, skip):
    for dim in a.scheme.dimensions:
        for i, _text in enumerate(dim.items):
            if (dim.code, i) == skip:
                continue
            kind = dim.answer_type(i)
            actions.do_answer_checklist(
                org.rsj_handler,
                a,
                dimension=dim.code,
                item_no=i,
                answer=GOOD_ANSWER[kind],
                note="经评估，影响可控" if kind == "written" else "",
            )


def test_a_written_item_needs_its_assessment_and_counts_only_when_written(org, api):
    a = to_analyse_step(org, "ssra-town")
    dimension, item_no = _first("ssra-town", "written")
    item = {"dimension": dimension, "item_no": item_no}
    with pytest.raises(ActionError, match="评估意见") as refused:
        actions.do_answer_checklist(org.rsj_handler, a, answer=Answer.WRITTEN, note=" ", **item)
    assert refused.value.field == "note"
    r = api(org.rsj_handler)(
        "post", f"/assessments/{a.pk}/checklist", {**item, "answer": "written", "note": ""}
    )
    assert r.status_code == 400 and r.json()["field"] == "note"
    row = actions.do_answer_checklist(
        org.rsj_handler, a, answer=Answer.WRITTEN, note="第一行\n第二行", **item
    )
    assert row.note == "第一行\n第二行" and row.display() == "第一行\n第二行"


def test_an_answer_stored_under_another_type_does_not_count(org):
    """A compliance answer stored on an item the scheme now asks as yes/no (data from
    before answer types) is not an answer: the analysis names it."""
    a = to_analyse_step(org, "ssra-town")
    answer_checklist(org.rsj_handler, a)
    dimension, item_no = _first("ssra-town", "yes_good")
    ChecklistAnswer.objects.filter(assessment=a, dimension=dimension, item_no=item_no).update(
        answer=Answer.MEETS
    )
    assert "未按规定方式作答" in rules.checklist_refusal(a)


# ------------------------------------------------------------------ the checklist page


def test_the_checklist_page_shows_one_dimension_and_saves_by_htmx(org, login):
    a = to_analyse_step(org, "ssra-town")
    client = login(org.rsj_handler)
    url = reverse("assessments:detail", args=[a.pk])
    body = client.get(url + "?tab=checklist").content.decode()
    dims = a.scheme.dimensions
    # The first dimension's questions, every dimension as a tab, the others' questions not.
    assert dims[0].items[0] in body and dims[1].items[0] not in body
    for d in dims:
        assert f"dim={d.code}" in body
    assert 'hx-post="' + reverse("assessments:checklist_answer", args=[a.pk]) in body
    body = client.get(url + f"?tab=checklist&dim={dims[3].code}").content.decode()
    assert dims[3].items[1] in body and dims[0].items[0] not in body
    assert "“否”为符合要求" in body or "“是”为符合要求" in body
    # Saved in place: the item alone comes back (no page), with the progress out of band.
    dimension, item_no = _first("ssra-town", "yes_good")
    post = {"dimension": dimension, "item_no": item_no, "answer": "yes", "version": 0}
    r = client.post(
        reverse("assessments:checklist_answer", args=[a.pk]), post, HTTP_HX_REQUEST="true"
    )
    body = r.content.decode()
    assert r.status_code == 200 and "<html" not in body and "已保存" in body
    assert 'id="cl-nav" hx-swap-oob="true"' in body and "已作答 1 / 38" in body
    assert ChecklistAnswer.objects.get().answer == "yes"
    # A refusal comes back in place with what was typed.
    bad = {"dimension": dimension, "item_no": item_no, "answer": "no", "note": "", "version": 1}
    bad["evidence"] = "会议纪要"
    r = client.post(
        reverse("assessments:checklist_answer", args=[a.pk]), bad, HTTP_HX_REQUEST="true"
    )
    body = r.content.decode()
    assert "须说明情况" in body and 'value="会议纪要"' in body
    assert f'value="no" id="cl-{dimension}-{item_no}-no" checked' in body
    # Without htmx: back to the dimension's page.
    post = {**post, "answer": "no", "note": "尚未公示", "version": 1}
    r = client.post(reverse("assessments:checklist_answer", args=[a.pk]), post)
    assert r.status_code == 302 and f"dim={dimension}" in r["Location"]
    assert ChecklistAnswer.objects.get().answer == "no"
    # Without htmx, a refusal keeps everything typed on the form.
    r = client.post(
        reverse("assessments:checklist_answer", args=[a.pk]),
        {**post, "answer": "meets", "evidence": "会议纪要甲", "version": 2},
    )
    body = r.content.decode()
    assert r.status_code == 200 and "该条应回答" in body and 'value="会议纪要甲"' in body


def test_the_report_prints_each_item_as_its_type_reads(org):
    from fengping.reports.context import _checklist

    a = to_analyse_step(org, "ssra-town")
    answer_checklist(org.rsj_handler, a)
    dimension, item_no = _first("ssra-town", "no_good")
    row = ChecklistAnswer.objects.get(assessment=a, dimension=dimension, item_no=item_no)
    actions.do_answer_checklist(
        org.rsj_handler,
        a,
        dimension=dimension,
        item_no=item_no,
        answer=Answer.YES,
        note="与某条例相抵触",
        version=row.version,
    )
    printed = {(d["dimension"], i["no"]): i for d in _checklist(a, a.scheme) for i in d["answers"]}
    labels = {d.code: d.label for d in a.scheme.dimensions}
    bad = printed[(labels[dimension], item_no + 1)]
    assert bad["answer"] == "是（不符合要求）" and bad["failed"]
    w_dim, w_no = _first("ssra-town", "written")
    written = printed[(labels[w_dim], w_no + 1)]
    assert written["written"] and written["answer"] == "经评估，影响可控"
    c_dim, c_no = _first("ssra-town", "compliance")
    assert printed[(labels[c_dim], c_no + 1)]["answer"] == "符合"
    yes_dim, yes_no = _first("ssra-town", "yes_good")
    assert printed[(labels[yes_dim], yes_no + 1)]["answer"] == "是"
    summaries = {d["dimension"]: d["summary"] for d in _checklist(a, a.scheme)}
    assert "不符合要求 1 项" in summaries[labels[dimension]]
    assert "书面评估 1 项" in summaries[labels[w_dim]]


# ------------------------------------------------------------------ forms


def test_required_estimates_and_the_recommendation_are_marked_required(org, login):
    a = to_analyse_step(org, "ssra-town")
    form = FactorForm(assessment=a)
    for name in _required("ssra-town"):
        assert getattr(form.fields[name], "rule_required", False)
    assert not getattr(form.fields["manner"], "rule_required", False)
    body = login(org.rsj_handler).get(reverse("assessments:factor_add", args=[a.pk])).content
    body = body.decode()
    assert 'class="form-label required" for="id_scope"' in body
    assert 'class="form-label" for="id_manner"' in body
    assert getattr(GradeForm(assessment=a).fields["recommendation"], "rule_required", False)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_date_inputs_show_iso_dates_in_every_locale(language):
    from fengping.opinions.forms import ActivityForm

    with translation.override(language):
        html = str(ActivityForm(initial={"date": dt.date(2026, 12, 2)})["date"])
    assert 'type="date"' in html and 'value="2026-12-02"' in html


def test_a_failed_form_says_the_file_must_be_chosen_again(org, login):
    from fengping.opinions.models import Activity

    a = to_analyse_step(org, "ssra-town")
    upload = SimpleUploadedFile("座谈会纪要.txt", "纪要".encode())
    r = login(org.rsj_handler).post(
        reverse("opinions:activity_create", args=[a.matter.pk]),
        {"kind": "symposium", "date": "", "place": "三楼会议室", "attachment": upload},
    )
    body = r.content.decode()
    assert r.status_code == 200 and "座谈会纪要.txt" in body and "请重新选择该文件" in body
    assert 'value="三楼会议室"' in body
    assert not Activity.objects.filter(place="三楼会议室").exists()
