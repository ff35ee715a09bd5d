"""The screening keywords kept at arrival: every write of a case's brief facts (create,
update, import) keeps the words of the organ's vocabulary under its key; the daily job
re-stamps cases kept under another key."""

from __future__ import annotations

import pytest

from fengping.cases import terms
from fengping.cases.actions import cases as actions
from fengping.cases.case_import import CaseImporter
from fengping.cases.models import Case, OrganProfile
from fengping.core.imports import run_import
from fengping.schemes.case_rules import terms_words, vocabulary_key

from ..conftest import build_org
from ..module_db import module_data
from .builders import Courts, build_courts, make_case
from .test_case_import import ROW1, xlsx


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    def build():
        org = build_org()
        return org, build_courts(org)

    yield from module_data(django_db_blocker, build)


@pytest.fixture
def c(db, world) -> Courts:
    return world[1].fresh()


def profile(c: Courts) -> OrganProfile:
    return OrganProfile.objects.select_related("department").get(department=c.fy)


def key(c: Courts) -> str:
    return vocabulary_key(terms.vocabulary_for(profile(c)))


def words(c: Courts, case: Case) -> list[str]:
    return terms_words(case.terms_mask, terms.vocabulary_for(profile(c)))


def test_the_vocabulary_is_the_schemes_brief_facts_keywords(c):
    vocabulary = terms.vocabulary_for(profile(c))
    assert {"讨薪", "跳楼", "拆迁", "舆情"} <= set(vocabulary)
    assert list(vocabulary) == sorted(set(vocabulary))


def test_create_and_update_keep_the_keywords(c):
    case = actions.do_create_case(
        c.fy_handler,
        c.fy,
        number="（2026）示民初900号",
        title="讨薪纠纷",
        category="civil",
        brief_facts="工人因拖欠工资多次讨薪，扬言跳楼。",
    )
    assert case.terms_key == key(c)
    assert words(c, case) == ["拖欠工资", "讨薪", "跳楼"]
    case = actions.do_update_case(
        c.fy_handler, case, version=case.version, brief_facts="双方已和解。"
    )
    case.refresh_from_db()
    assert (case.terms_mask, case.terms_key) == (0, key(c))


def test_the_import_keeps_the_keywords_of_new_and_changed_cases(c):
    run_import(c.fy_handler, CaseImporter(profile(c)), xlsx([ROW1]))
    case = Case.objects.get(organ=c.fy, number=ROW1[0])
    assert case.terms_key == key(c) and "讨薪" in words(c, case)
    changed = [*ROW1[:-1], "当事人聚集围堵法院"]
    run_import(c.fy_handler, CaseImporter(profile(c)), xlsx([changed]))
    case.refresh_from_db()
    assert words(c, case) == ["围堵", "聚集"] and case.terms_key == key(c)


def test_the_daily_job_restamps_cases_kept_under_another_key(c):
    stale = make_case(c.fy, "（2026）示刑初901号", brief_facts="有人在网络上曝光此案")
    Case.objects.filter(pk=stale.pk).update(terms_mask=1, terms_key="old000000000")
    assert stale.pk in set(terms.stale_cases(profile(c)).values_list("pk", flat=True))
    terms.restamp_all()
    stale.refresh_from_db()
    assert (words(c, stale), stale.terms_key) == (["曝光", "网络"], key(c))
    assert not terms.stale_cases(profile(c)).exists()
