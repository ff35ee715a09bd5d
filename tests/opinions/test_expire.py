import datetime as dt

from django.utils import timezone

from fengping.core.tick import tick
from fengping.matters.actions import do_register_matter
from fengping.opinions import actions
from fengping.opinions.models import Questionnaire


def test_tick_closes_expired_questionnaires(org):
    matter = do_register_matter(
        org.rsj_handler,
        title="x",
        scheme_key="ssra-town",
        category_code="focus_social_security",
        department=org.rsj,
    )
    qn = actions.do_create_questionnaire(
        org.rsj_handler, matter, title="问卷", closes_at=timezone.now() + dt.timedelta(days=1)
    )
    actions.do_publish(org.rsj_handler, qn)
    assert actions.close_expired(timezone.now()) == 0
    Questionnaire.objects.filter(pk=qn.pk).update(
        closes_at=timezone.now() - dt.timedelta(minutes=1)
    )
    outcomes = {o.job: o for o in tick()}
    assert outcomes["close_expired_questionnaires"].detail == "closed 1 questionnaires"
    assert Questionnaire.objects.get(pk=qn.pk).status == "closed"
