"""Due dates from scheme data: which scheme supervises, the dates its deadlines give, and
the move of a date off a statutory holiday to the next working day.

The Chinese statutory calendar (holidays and the 调休 weekend working days) comes from the
`chinesecalendar` package, which the State Council's yearly notice updates (upgrade the
package each December: `pip install -U chinesecalendar`). For a year the installed
package does not know yet, only weekends count as days off, and `calendar_known(year)`
says so, so a page can warn.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.conf import settings

from fengping.schemes.model import Deadline, ReminderPolicy, Scheme

DEFAULT_SCHEME = "ssra-town"


def supervising_scheme() -> Scheme:
    """The scheme whose `supervision` section and deadlines the supervising offices work
    by (setting FENGPING_SUPERVISION_SCHEME, default ssra-town)."""
    from fengping.schemebook import registry

    scheme = registry.get(getattr(settings, "FENGPING_SUPERVISION_SCHEME", DEFAULT_SCHEME))
    if scheme.supervision is None:
        raise LookupError(f"scheme {scheme.key} has no supervision section")
    return scheme


def deadline(code: str, scheme: Scheme | None = None) -> Deadline | None:
    scheme = scheme or supervising_scheme()
    return next((d for d in scheme.deadlines if d.code == code), None)


def policy(dl: Deadline | None, scheme: Scheme | None = None) -> ReminderPolicy:
    """The reminder policy of a deadline: its own, else the supervision section's."""
    if dl is not None and dl.reminders is not None:
        return dl.reminders
    scheme = scheme or supervising_scheme()
    assert scheme.supervision is not None
    return scheme.supervision.reminders


# -- the statutory calendar ---------------------------------------------------------------


@functools.cache
def _calendar() -> Any:
    import chinese_calendar

    return chinese_calendar


def calendar_known(year: int) -> bool:
    try:
        _calendar().is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_working_day(day: dt.date) -> bool:
    """A working day: not a statutory holiday and not a weekend, unless it is a 调休
    working day. Outside the years the calendar knows, Monday to Friday."""
    try:
        return bool(_calendar().is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def next_working_day(day: dt.date) -> dt.date:
    """`day` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def shifted(day: dt.date, pol: ReminderPolicy) -> dt.date:
    return next_working_day(day) if pol.on_holiday == "next_working_day" else day


# -- the dates a deadline gives -----------------------------------------------------------


def yearly_due(
    code: str, year: int, scheme: Scheme | None = None, *, since: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """(the date the rule gives, the date that counts) for a yearly deadline in `year`,
    for a department obliged only by its matters since that day (`obliged.joined_on`;
    None: a department of an obliged kind, held to the rule's date)."""
    scheme = scheme or supervising_scheme()
    dl = deadline(code, scheme)
    if dl is None or dl.rule.kind != "yearly":
        raise LookupError(f"{scheme.key} has no yearly deadline {code}")
    base = joined_late(dt.date(year, dl.rule.month, dl.rule.day), since, scheme)
    return base, shifted(base, policy(dl, scheme))


def joined_late(base: dt.date, since: dt.date | None, scheme: Scheme) -> dt.date:
    """A yearly deadline for a department obliged only after it: `joined_late_days` after
    the department became obliged (scheme `supervision.joined_late_days`)."""
    if since is None or since <= base or scheme.supervision is None:
        return base
    return since + dt.timedelta(days=scheme.supervision.joined_late_days)


def monthly_due(code: str, month: dt.date, scheme: Scheme | None = None) -> tuple[dt.date, dt.date]:
    """(the date the rule gives, the date that counts) for a monthly deadline in the month
    that `month` lies in."""
    scheme = scheme or supervising_scheme()
    dl = deadline(code, scheme)
    if dl is None or dl.rule.kind != "monthly":
        raise LookupError(f"{scheme.key} has no monthly deadline {code}")
    base = dt.date(month.year, month.month, dl.rule.day)
    return base, shifted(base, policy(dl, scheme))


def after_event_due(
    code: str, event_day: dt.date, scheme: Scheme | None = None
) -> tuple[dt.date, dt.date]:
    scheme = scheme or supervising_scheme()
    dl = deadline(code, scheme)
    if dl is None or dl.rule.kind != "after_event":
        raise LookupError(f"{scheme.key} has no after-event deadline {code}")
    base = event_day + dt.timedelta(days=dl.rule.days)
    return base, shifted(base, policy(dl, scheme))


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)
