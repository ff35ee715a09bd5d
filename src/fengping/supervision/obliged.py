"""Who owes the annual plan, the implementation rules and the monthly report (篇3 六(一),
七(一): 各责任主体): the departments of a kind the supervising scheme names
(`supervision.obliged_kinds`), and every other department responsible for a matter of
that scheme. The obligations, the month's report overview and the annual evaluation all
ask this one function.

A department owes from the day it became obliged: the day it was created (an obliged
kind), or the day its first matter of the scheme was registered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from fengping.org.models import Department
from fengping.schemes.model import Scheme

from . import deadlines


@dataclass(frozen=True)
class Obliged:
    pk: int
    path: str
    name: str
    since: dt.date
    # Obliged by its kind (not only by a matter it is responsible for).
    by_kind: bool

    @property
    def joined_on(self) -> dt.date | None:
        """`since` for a department obliged only by its matters (it could not have met a
        deadline before its first matter); None for one of an obliged kind."""
        return None if self.by_kind else self.since


def _day(value: dt.datetime) -> dt.date:
    return timezone.localdate(value) if timezone.is_aware(value) else value.date()


def obliged(scheme: Scheme | None = None, *, root: str = "") -> dict[int, Obliged]:
    """Department pk -> Obliged, for the active departments under `root` (a path; ""
    for every organisation). Two queries."""
    from fengping.matters.models import Matter

    scheme = scheme or deadlines.supervising_scheme()
    assert scheme.supervision is not None
    out: dict[int, Obliged] = {}
    for pk, path, name, created in Department.objects.filter(
        is_active=True, kind__in=scheme.supervision.obliged_kinds, path__startswith=root
    ).values_list("pk", "path", "name", "created_at"):
        out[pk] = Obliged(pk, path, name, _day(created), True)
    # Each department's first matter of the scheme: one probe of the (scheme_key,
    # department, created_at) index per department, not a GROUP BY over every matter
    # (PostgreSQL scanned the 100,000 matters for it: 54 ms on every report overview).
    # The department is bounded on both sides rather than `=`, and the order names it:
    # with `=` PostgreSQL dropped it from the order and walked the created_at index
    # instead, filtering (700 ms); only the composite index gives this order.
    first = (
        Matter.objects.filter(
            scheme_key=scheme.key,
            department_id__gte=OuterRef("pk"),
            department_id__lte=OuterRef("pk"),
        )
        .order_by("department_id", "created_at")
        .values("created_at")[:1]
    )
    for pk, path, name, first_at in (
        Department.objects.filter(is_active=True, path__startswith=root)
        .annotate(first=Subquery(first))
        .filter(first__isnull=False)
        .values_list("pk", "path", "name", "first")
    ):
        since = _day(first_at)
        if pk not in out:
            out[pk] = Obliged(pk, path, name, since, False)
        elif since < out[pk].since:
            out[pk] = Obliged(pk, path, name, since, True)
    return out


def joined_on(department: Department, scheme: Scheme | None = None) -> dt.date | None:
    """The day a department obliged only by its matters became obliged (its first matter
    of the scheme), for `deadlines.yearly_due`'s `since`; None for a department of an
    obliged kind, which owed the year's filings whenever it was entered here (three
    queries)."""
    found = obliged(scheme, root=department.path).get(department.pk)
    return found.joined_on if found is not None else None


def obliged_by(day: dt.date, scheme: Scheme | None = None, *, root: str = "") -> list[int]:
    """The pks of the departments that owe for the period ending `day`, in path order:
    every department of an obliged kind (it existed before it was entered here), and a
    department responsible for a matter registered by then."""
    rows = [o for o in obliged(scheme, root=root).values() if o.by_kind or o.since <= day]
    return [o.pk for o in sorted(rows, key=lambda o: o.path)]
