"""One declarative list: a `ListSpec` gives the page, its htmx partial, the XLSX export
of the filtered list and the API list endpoint's query parameters.

An app declares, once:

* the base query — a callable `(user, *parents) -> QuerySet` that goes through the app's
  `org.access` scoping (this module never builds an unscoped query itself),
* its filters — `ChoiceFilter`, `DepartmentFilter` (a department and its subtree, by the
  materialised `path`), `SearchFilter`, `YearFilter`, `DateRangeFilter`, `BooleanFilter`,
* its columns — one `Column` per column, read by the page and the export alike,
* the default order, whose last term must be unique (the primary key or a unique field),
  and the other orders a user may choose (`sorts`, the `sort` parameter),
* whether it pages by key (`keyset=True`, for tables that grow without bound).

Every filter parses leniently: a value it cannot use (`²` as a year, a department that is
not visible, a forty-digit page) is ignored and named in a message; it never raises.

Keyset paging never counts the whole table: the page is fetched by "after the last row
shown" (or "before the first" for the previous page) and the total shown is a bounded count
("超过 1,000 条" past the bound). Lists that stay small (`keyset=False`) keep Django's
`Paginator` with page numbers.

core imports no domain app, so department options come from a callable the app passes
(`DepartmentFilter(departments=...)`); options derived from the scheme registry are cached
by the registry's version with `versioned`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.timezone import is_aware, localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import create_model

from .xlsx import ILLEGAL_CHARACTERS_RE, XLSX_MIME, write_workbook

# A bounded count: past this many matching rows the page says "more than" instead of
# counting a table of a million rows on every view.
COUNT_BOUND = 1000
# `?page=N` still works on keyset lists (links people saved, the API's `page`); it is an
# OFFSET, so it is bounded — beyond this, next/previous links page by key.
MAX_OFFSET_PAGE = 1000
SEARCH_MAX = 100
# The parameter naming one of a spec's `sorts`.
SORT_PARAM = "sort"

Options = Sequence[tuple[Any, Any]]
Apply = Callable[[QuerySet[Any], Any, Mapping[str, Any]], QuerySet[Any]]


@dataclass(frozen=True)
class Context:
    """What a filter may need to compute its options or check a value."""

    user: Any
    parents: tuple[Any, ...] = ()
    # Per request: what `versioned` getters already looked up, so the registry's version
    # is read once per page however many filters use it.
    memo: dict[Any, Any] = field(default_factory=dict, compare=False)


# The list being built in this thread/task, so a `versioned` getter called from a column
# (a row's label) reads the registry's version once per request, not once per row.
_current: ContextVar[Context | None] = ContextVar("fengping_listing", default=None)


@contextmanager
def _building(ctx: Context) -> Iterator[Context]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def _raw(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if value is None:
        return ""
    # Control characters never match anything stored; drop them rather than send them on.
    return ILLEGAL_CHARACTERS_RE.sub("", str(value)).strip()


def _int(raw: str, low: int, high: int) -> int | None:
    """A decimal integer in [low, high], or None. "²" is a digit to str.isdigit() yet int()
    refuses it (the old 500), and "٣" converts; only ASCII digits count, and the range check
    keeps a 40-digit number away from the database's integer columns."""
    if not raw or len(raw) > 18 or not (raw.isascii() and raw.isdigit()):
        return None
    number = int(raw)
    return number if low <= number <= high else None


def _ignored(label: Any) -> str:
    return _("筛选条件“%(label)s”的值无效，已忽略") % {"label": label}


class Filter(ABC):
    """One filter: the query parameters it reads, how it parses them, how it narrows the
    query, and how the page shows it. `apply` may be replaced per filter (`apply=`)."""

    kind = "select"

    def __init__(
        self,
        name: str,
        label: Any,
        field: str = "",
        apply: Apply | None = None,
    ) -> None:
        self.name = name
        self.label = label
        self.field = field or name
        self._apply = apply

    def params(self) -> list[str]:
        return [self.name]

    @abstractmethod
    def parse(self, params: Mapping[str, Any], ctx: Context) -> tuple[Any, str | None]:
        """(value or None when the filter is off, message when the input was ignored)."""

    def narrow(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        return qs.filter(**{self.field: value})

    def apply(self, qs: QuerySet[Any], value: Any, values: Mapping[str, Any]) -> QuerySet[Any]:
        """Narrow by this filter. A custom `apply(qs, value, values)` also sees the other
        filters' parsed values, for filters that must act on the same related row."""
        if self._apply is not None:
            return self._apply(qs, value, values)
        return self.narrow(qs, value)

    def widget(self, params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "label": self.label,
                "value": _raw(params, self.name)}  # fmt: skip


class ChoiceFilter(Filter):
    """One value of a fixed or computed list. `choices` is a list of (value, label) or a
    callable `(ctx) -> list`; `conditions` maps a value to a Q instead of `field=value`."""

    def __init__(
        self,
        name: str,
        label: Any,
        choices: Options | Callable[[Context], Options] = (),
        *,
        field: str = "",
        conditions: Mapping[str, Q] | None = None,
        all_label: Any = None,
        apply: Apply | None = None,
    ) -> None:
        super().__init__(name, label, field, apply)
        self.choices = choices
        self.conditions = dict(conditions or {})
        self.all_label = all_label

    def options(self, ctx: Context) -> list[tuple[str, Any]]:
        choices = self.choices(ctx) if callable(self.choices) else self.choices
        return [(str(v), label) for v, label in choices]

    def parse(self, params: Mapping[str, Any], ctx: Context) -> tuple[Any, str | None]:
        raw = _raw(params, self.name)
        if not raw:
            return None, None
        if raw in self.conditions or raw in {v for v, _label in self.options(ctx)}:
            return raw, None
        return None, _ignored(self.label)

    def narrow(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value in self.conditions:
            return qs.filter(self.conditions[value])
        return qs.filter(**{self.field: value})

    def widget(self, params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        return {
            **super().widget(params, ctx),
            "options": self.options(ctx),
            "all_label": self.all_label or _("全部%(label)s") % {"label": self.label},
        }


class DepartmentFilter(Filter):
    """A department and everything under it, by the materialised path. `departments` is
    `(user) -> QuerySet[Department]` of the departments the user may pick — the app passes
    it (through org.access) so core imports no app; a department outside it is ignored."""

    def __init__(
        self,
        name: str,
        label: Any,
        departments: Callable[[Any], QuerySet[Any]],
        *,
        path_field: str = "department__path",
        apply: Apply | None = None,
        all_label: Any = None,
    ) -> None:
        super().__init__(name, label, path_field, apply)
        self.departments = departments
        self.all_label = all_label  # two department filters on a page need their own

    def parse(self, params: Mapping[str, Any], ctx: Context) -> tuple[Any, str | None]:
        raw = _raw(params, self.name)
        if not raw:
            return None, None
        pk = _int(raw, 1, 2**63 - 1)
        path = None
        if pk is not None:
            path = self.departments(ctx.user).filter(pk=pk).values_list("path", flat=True).first()
        if path is None:
            return None, _ignored(self.label)
        return path, None

    def narrow(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        return qs.filter(**{f"{self.field}__startswith": value})

    def widget(self, params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        return {
            **super().widget(params, ctx),
            "options": [
                (str(pk), name)
                for pk, name in self.departments(ctx.user)
                .order_by("path")
                .values_list("pk", "name")
            ],  # fmt: skip
            "all_label": self.all_label or _("全部部门"),
        }


class SearchFilter(Filter):
    """Text found in any of `fields`; `lookup` is how (contained, case-insensitive, by
    default; "startswith" or "exact" for codes and names)."""

    kind = "search"

    def __init__(
        self,
        name: str,
        label: Any,
        fields: Sequence[str],
        *,
        placeholder: Any = "",
        lookup: str = "icontains",
    ) -> None:
        super().__init__(name, label, fields[0])
        self.fields = tuple(fields)
        self.placeholder = placeholder
        self.lookup = lookup

    def parse(self, params: Mapping[str, Any], ctx: Context) -> tuple[Any, str | None]:
        raw = _raw(params, self.name)[:SEARCH_MAX]
        return (raw or None), None

    def narrow(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        q = Q()
        for f in self.fields:
            q |= Q(**{f"{f}__{self.lookup}": value})
        return qs.filter(q)

    def widget(self, params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        return {**super().widget(params, ctx), "placeholder": self.placeholder or self.label}


class YearFilter(Filter):
    """A calendar year: `field` is an integer year field or e.g. `created_at__year`.
    `years` is `(ctx) -> list[int]` for the select; without it the page shows a number box."""

    def __init__(
        self,
        name: str,
        label: Any,
        field: str = "",
        *,
        years: Callable[[Context], Sequence[int]] | None = None,
    ) -> None:
        super().__init__(name, label, field)
        self.years = years

    def parse(self, params: Mapping[str, Any], ctx: Context) -> tuple[Any, str | None]:
        raw = _raw(params, self.name)
        if not raw:
            return None, None
        year = _int(raw, 1900, 2999)
        return (year, None) if year is not None else (None, _ignored(self.label))

    def widget(self, params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        w = super().widget(params, ctx)
        if self.years is None:
            return {**w, "kind": "number"}
        return {**w, "options": [(str(y), y) for y in self.years(ctx)], "all_label": self.label}


class DateRangeFilter(Filter):
    """From–to dates, both inclusive: parameters `<name>_from` and `<name>_to`.
    For a datetime field pass e.g. `field="submitted_at__date"`."""

    kind = "daterange"

    def params(self) -> list[str]:
        return [f"{self.name}_from", f"{self.name}_to"]

    def parse(self, params: Mapping[str, Any], ctx: Context) -> tuple[Any, str | None]:
        bounds: list[dt.date | None] = []
        bad = False
        for param in self.params():
            raw = _raw(params, param)
            try:
                bounds.append(dt.date.fromisoformat(raw) if raw else None)
            except ValueError:
                bounds.append(None)
                bad = True
        value = tuple(bounds) if any(bounds) else None
        return value, (_ignored(self.label) if bad else None)

    def narrow(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        start, end = value
        if start:
            qs = qs.filter(**{f"{self.field}__gte": start})
        if end:
            qs = qs.filter(**{f"{self.field}__lte": end})
        return qs

    def widget(self, params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        names = self.params()
        return {
            **super().widget(params, ctx),
            "from_name": names[0],
            "to_name": names[1],
            "from_value": _raw(params, names[0]),
            "to_value": _raw(params, names[1]),
        }


_TRUE = {"1", "true", "yes", "on", "是"}
_FALSE = {"0", "false", "no", "off", "否"}


class BooleanFilter(Filter):
    """Yes or no: 1/0, true/false, yes/no, 是/否."""

    def __init__(
        self,
        name: str,
        label: Any,
        field: str = "",
        *,
        yes: Any = None,
        no: Any = None,
        apply: Apply | None = None,
    ) -> None:
        super().__init__(name, label, field, apply)
        self.yes = yes or _("是")
        self.no = no or _("否")

    def parse(self, params: Mapping[str, Any], ctx: Context) -> tuple[Any, str | None]:
        raw = _raw(params, self.name).lower()
        if not raw:
            return None, None
        if raw in _TRUE:
            return True, None
        if raw in _FALSE:
            return False, None
        return None, _ignored(self.label)

    def widget(self, params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        w = super().widget(params, ctx)
        value = w["value"].lower()
        selected = "1" if value in _TRUE else "0" if value in _FALSE else ""
        return {**w, "kind": "select", "value": selected,
                "options": [("1", self.yes), ("0", self.no)], "all_label": self.label}  # fmt: skip


@dataclass(frozen=True)
class Column:
    """One column of the page and of the export. `value(obj)` is the export cell and, unless
    `html(obj)` is given, the page cell too."""

    label: Any
    value: Callable[[Any], Any]
    html: Callable[[Any], Any] | None = None
    css: str = ""
    export: bool = True
    page: bool = True  # False: a detail column only the export carries

    def cell(self, obj: Any) -> SafeString:
        if self.html is not None:
            return conditional_escape(self.html(obj))
        return display(self.value(obj))


def display(value: Any) -> SafeString:
    """A plain value on a page: dates in the local format, empty as a dash."""
    if value is None or value == "":
        return SafeString("—")
    if isinstance(value, bool):
        return conditional_escape(_("是") if value else _("否"))
    if isinstance(value, dt.datetime):
        return conditional_escape(
            date_format(localtime(value) if is_aware(value) else value, "DATETIME_FORMAT")
        )
    if isinstance(value, dt.date):
        return conditional_escape(date_format(value, "DATE_FORMAT"))
    return conditional_escape(value)


def link(url: str, text: Any) -> SafeString:
    return format_html('<a href="{}">{}</a>', url, text)


def badge(text: Any, css: str = "bg-blue-lt") -> SafeString:
    if not text:
        return SafeString("—")
    return format_html('<span class="badge {}">{}</span>', css, text)


@dataclass(frozen=True)
class Sort:
    """An order a user may choose for a list (`?sort=<key>`; the API's `sort`). As for the
    spec's own order, the last term must be unique; on a keyset list every term must be a
    field of the model itself, because the cursor carries their values."""

    key: str
    label: Any
    order: tuple[str, ...]


@dataclass(frozen=True)
class ListSpec:
    """A list, declared once. `queryset(user, *parents)` must scope through org.access.
    `order` is the default order (`order_label` names it in the sort select); `sorts` are
    the others a user may choose."""

    name: str
    title: Any
    queryset: Callable[..., QuerySet[Any]]
    columns: tuple[Column, ...]
    order: tuple[str, ...]
    filters: tuple[Filter, ...] = ()
    keyset: bool = False
    per_page: int | None = None
    page_template: str = "core/list.html"
    rows_template: str = "core/_list_rows.html"
    empty_title: Any = gettext_lazy("没有符合条件的记录")
    empty_hint: Any = ""
    export_url: Callable[..., str] | None = None
    sorts: tuple[Sort, ...] = ()
    order_label: Any = gettext_lazy("默认排序")

    def base(self, user: Any, *parents: Any) -> QuerySet[Any]:
        return self.queryset(user, *parents)

    def params(self) -> list[str]:
        names = [p for f in self.filters for p in f.params()]
        return [*names, SORT_PARAM] if self.sorts else names

    def sort_for(self, params: Mapping[str, Any]) -> tuple[tuple[str, ...], str | None]:
        """(the order asked for, or the default; a message when the value was ignored)."""
        raw = _raw(params, SORT_PARAM)
        if not raw or not self.sorts:
            return self.order, None
        for sort in self.sorts:
            if sort.key == raw:
                return sort.order, None
        return self.order, _ignored(_("排序"))

    def sort_widget(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The sort select, drawn by the page like a filter's select."""
        raw = _raw(params, SORT_PARAM)
        keys = {s.key for s in self.sorts}
        return {
            "kind": "select",
            "name": SORT_PARAM,
            "label": _("排序"),
            "value": raw if raw in keys else "",
            "options": [(s.key, s.label) for s in self.sorts],
            "all_label": self.order_label,
        }


@dataclass
class Filtered:
    queryset: QuerySet[Any]
    values: dict[str, Any]
    messages: list[str]
    query: str  # the filters as a query string (no paging), for links and the export
    order: tuple[str, ...] = ()  # the order applied (the spec's, or the chosen sort's)


def filtered(
    spec: ListSpec,
    user: Any,
    params: Mapping[str, Any],
    *parents: Any,
    ctx: Context | None = None,
) -> Filtered:
    """The spec's base query narrowed by every filter that parsed; the others are named."""
    ctx = ctx or Context(user, parents)
    qs = spec.base(user, *parents)
    values: dict[str, Any] = {}
    notes: list[str] = []
    for f in spec.filters:
        value, note = f.parse(params, ctx)
        if note:
            notes.append(note)
        if value is not None:
            values[f.name] = value
    for f in spec.filters:
        if f.name in values:
            qs = f.apply(qs, values[f.name], values)
    order, note = spec.sort_for(params)
    if note:
        notes.append(note)
    keep = QueryDict(mutable=True)
    for name in spec.params():
        raw = _raw(params, name)
        if raw and not (name == SORT_PARAM and note):
            keep[name] = raw
    return Filtered(qs.order_by(*order), values, notes, keep.urlencode(), tuple(order))


# ------------------------------------------------------------------------------ paging


@dataclass
class Page:
    """One page of a list, however it was paged. `total` is exact when `total_capped` is
    False; `start`/`end` are known on counted pages and offset pages only."""

    object_list: list[Any]
    has_next: bool
    has_previous: bool
    next_query: str = ""
    previous_query: str = ""
    first_query: str = ""
    last_query: str = ""
    number: int | None = None
    num_pages: int | None = None
    start: int | None = None
    end: int | None = None
    total: int = 0
    total_capped: bool = False
    messages: list[str] = field(default_factory=list)


def _join(base: str, extra: str) -> str:
    return "&".join(p for p in (base, extra) if p)


def _key_field(term: str) -> str:
    return term.lstrip("-")


def _cursor(obj: Model, order: Sequence[str]) -> str:
    values = []
    for term in order:
        value = getattr(obj, _key_field(term))
        values.append(value.isoformat() if isinstance(value, dt.date | dt.datetime) else value)
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode_cursor(model: type[Model], order: Sequence[str], raw: str) -> list[Any] | None:
    """The key values in a cursor, or None when it is not one of ours."""
    if not raw or len(raw) > 1000:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(values, list) or len(values) != len(order):
        return None
    decoded = []
    try:
        for term, raw_value in zip(order, values, strict=True):
            model_field = model._meta.get_field(_key_field(term))
            value = model_field.to_python(raw_value)
            # The field's validators hold the database's integer range: a crafted cursor
            # with a 40-digit id must not reach PostgreSQL and overflow there.
            model_field.run_validators(value)
            decoded.append(value)
    except (ValidationError, TypeError, ValueError, OverflowError):
        return None
    return decoded


def _beyond(order: Sequence[str], values: Sequence[Any], forward: bool) -> Q:
    """Rows strictly after (forward) or before the row with these key values."""
    q = Q()
    for i, term in enumerate(order):
        descending = term.startswith("-")
        op = "lt" if descending == forward else "gt"
        cond = Q(**{f"{_key_field(term)}__{op}": values[i]})
        for j in range(i):
            cond &= Q(**{_key_field(order[j]): values[j]})
        q |= cond
    # The first key's bound, said once more on its own: a planner then reads a range of
    # the index in the list's order instead of one index search per alternative.
    first = order[0]
    bound = "lte" if first.startswith("-") == forward else "gte"
    return Q(**{f"{_key_field(first)}__{bound}": values[0]}) & q


def _reverse(order: Sequence[str]) -> list[str]:
    return [t[1:] if t.startswith("-") else f"-{t}" for t in order]


def bounded_count(
    qs: QuerySet[Any], bound: int | None = None, order: Sequence[str] = ()
) -> tuple[int, bool]:
    """(count, capped): counts at most bound + 1 rows, so it costs the same at a million.

    On PostgreSQL the rows are taken in the list's `order`, along its index as the page
    itself is: left to choose, the planner hashed the 5,000 assessments and scanned the
    100,000 matters to find the first thousand (29 ms; 2.4 ms in order). SQLite counts
    faster unordered (2 ms; 20 ms ordered, when it builds the scope subquery's list)."""
    bound = bound or COUNT_BOUND
    if connections[qs.db].vendor != "postgresql":
        order = ()
    limited = qs.order_by(*order).values("pk")[: bound + 1]  # no annotation per row
    key = _capped_key(limited, bound)
    if key is not None and _CAPPED.get(key, 0.0) > time.monotonic():
        return bound, True
    n = limited.count()
    if n <= bound:
        return n, False
    if key is not None:
        _remember_capped(key)
    return bound, True


# "More than the bound" is remembered for FENGPING_CAPPED_COUNT_SECONDS per query (its SQL
# and parameters, so per scope and filter): a list of a million rows is past the bound a
# minute later too, and counting the first thousand rows of a join with subqueries on each
# view cost a third of the 应评未评 page. A count under the bound is never remembered, so
# a list that grows or shrinks near it shows its exact count at once.
_CAPPED: dict[tuple[Any, ...], float] = {}
_CAPPED_MAX = 2000


def _capped_key(qs: QuerySet[Any], bound: int) -> tuple[Any, ...] | None:
    if settings.FENGPING_CAPPED_COUNT_SECONDS <= 0:
        return None
    try:
        sql, params = qs.query.sql_with_params()
        return (qs.db, bound, sql, *map(repr, params))
    except Exception:  # noqa: BLE001 — an empty result set or an unusual query: just count
        return None


def _remember_capped(key: tuple[Any, ...]) -> None:
    now = time.monotonic()
    if len(_CAPPED) >= _CAPPED_MAX:
        for k, expiry in list(_CAPPED.items()):
            if expiry <= now:
                _CAPPED.pop(k, None)
        if len(_CAPPED) >= _CAPPED_MAX:
            _CAPPED.clear()
    _CAPPED[key] = now + settings.FENGPING_CAPPED_COUNT_SECONDS


def paginate(
    spec: ListSpec, result: Filtered, params: Mapping[str, Any], per_page: int | None = None
) -> Page:
    size = per_page or spec.per_page or settings.FENGPING_PAGE_SIZE
    if spec.keyset:
        return _keyset_page(spec, result, params, size)
    return _counted_page(result, params, size)


def _counted_page(result: Filtered, params: Mapping[str, Any], size: int) -> Page:
    paginator = Paginator(result.queryset, size)
    number = _int(_raw(params, "page"), 1, 2**31) or 1
    page = paginator.get_page(min(number, paginator.num_pages))
    base = result.query
    return Page(
        object_list=list(page.object_list),
        has_next=page.has_next(),
        has_previous=page.has_previous(),
        next_query=_join(base, f"page={page.number + 1}"),
        previous_query=_join(base, f"page={page.number - 1}"),
        first_query=_join(base, "page=1"),
        last_query=_join(base, f"page={paginator.num_pages}"),
        number=page.number,
        num_pages=paginator.num_pages,
        start=page.start_index(),
        end=page.end_index(),
        total=paginator.count,
    )


def _keyset_page(spec: ListSpec, result: Filtered, params: Mapping[str, Any], size: int) -> Page:
    qs, order, base = result.queryset, result.order or spec.order, result.query
    model = qs.model
    notes: list[str] = []
    after_raw, before_raw = _raw(params, "after"), _raw(params, "before")
    after = _decode_cursor(model, order, after_raw)
    before = _decode_cursor(model, order, before_raw) if after is None else None
    if (after_raw and after is None) or (before_raw and not after_raw and before is None):
        notes.append(_("翻页参数无效，已回到第一页"))
    offset = 0
    page_raw = _raw(params, "page")
    if after is None and before is None and page_raw:
        number = _int(page_raw, 1, MAX_OFFSET_PAGE)
        if number is None:
            notes.append(_("页码须为 1 至 %(max)s 的整数，已回到第一页") % {"max": MAX_OFFSET_PAGE})
        else:
            offset = (number - 1) * size
    if before is not None:
        rows = list(qs.filter(_beyond(order, before, False)).order_by(*_reverse(order))[: size + 1])
        has_previous = len(rows) > size
        rows = rows[:size][::-1]
        has_next = True
    else:
        window = qs.filter(_beyond(order, after, True)) if after is not None else qs
        rows = list(window[offset : offset + size + 1])
        has_next = len(rows) > size
        rows = rows[:size]
        has_previous = after is not None or offset > 0
    if after is None and before is None and not has_next and (rows or offset == 0):
        # The last page reached from the start: the rows are the count (a search that
        # matches a few rows would otherwise scan the table a second time to count them).
        total, capped = offset + len(rows), False
    else:
        total, capped = bounded_count(qs, order=order)
    start = end = None
    if after is None and before is None and rows:
        start, end = offset + 1, offset + len(rows)
    page = Page(
        object_list=rows,
        has_next=has_next and bool(rows),
        has_previous=has_previous,
        first_query=base,
        total=total,
        total_capped=capped,
        start=start,
        end=end,
        messages=notes,
    )
    if rows:
        page.next_query = _join(base, f"after={_cursor(rows[-1], order)}")
        page.previous_query = _join(base, f"before={_cursor(rows[0], order)}")
    elif has_previous:
        page.previous_query = base
    return page


# ------------------------------------------------------------------------------ page


@dataclass
class Listing:
    """What a list page's template reads (as `listing`)."""

    spec: ListSpec
    page: Page
    filters: list[dict[str, Any]]
    columns: list[Column]
    rows: list[tuple[Any, list[tuple[str, SafeString]]]]
    messages: list[str]
    query: str
    export_url: str
    partial: bool = False

    @property
    def body(self) -> SafeString:
        """The table's rows as HTML, joined here rather than by two nested template loops:
        the cells are escaped already (`Column.cell`), and a 50-row page of eight columns
        cost the template engine 800 node renders."""
        parts = []
        for _obj, cells in self.rows:
            parts.append("<tr>")
            for css, cell in cells:
                parts.append(f'<td class="{conditional_escape(css)}">' if css else "<td>")
                parts.append(cell)
                parts.append("</td>")
            parts.append("</tr>")
        return SafeString("".join(parts))


def _with_options_html(widget: dict[str, Any]) -> dict[str, Any]:
    """A select's <option>s joined here (a department filter lists every department)."""
    if "options" in widget:
        value = widget.get("value")
        widget["options_html"] = SafeString(
            "".join(
                format_html(
                    '<option value="{}"{}>{}</option>', v, " selected" if v == value else "", label
                )
                for v, label in widget["options"]
            )
        )
    return widget


def build(request: HttpRequest, spec: ListSpec, *parents: Any) -> Listing:
    with _building(Context(request.user, parents)) as ctx:
        return _build(request, spec, ctx, *parents)


def _build(request: HttpRequest, spec: ListSpec, ctx: Context, *parents: Any) -> Listing:
    result = filtered(spec, request.user, request.GET, *parents, ctx=ctx)
    page = paginate(spec, result, request.GET)
    columns = [c for c in spec.columns if c.page]
    export = spec.export_url(*parents) if spec.export_url else ""
    widgets = [f.widget(request.GET, ctx) for f in spec.filters]
    if spec.sorts:
        widgets.append(spec.sort_widget(request.GET))
    return Listing(
        spec=spec,
        page=page,
        filters=[_with_options_html(w) for w in widgets],
        columns=columns,
        rows=[(obj, [(c.css, c.cell(obj)) for c in columns]) for obj in page.object_list],
        messages=[*result.messages, *page.messages],
        query=result.query,
        export_url=f"{export}?{result.query}" if result.query else export,
    )


def render_list(
    request: HttpRequest,
    spec: ListSpec,
    *parents: Any,
    context: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """The list page, or for an htmx request only its results block (the same template
    file the page includes), so filtering swaps the table without a reload."""
    listing = build(request, spec, *parents)
    listing.partial = bool(getattr(request, "htmx", False))
    data = {**(context or {}), "listing": listing, "page": listing.page, "qs": listing.query}
    return render(request, spec.rows_template if listing.partial else spec.page_template, data)


# ------------------------------------------------------------------------------ export


def export_rows(spec: ListSpec, qs: QuerySet[Any], cap: int) -> tuple[Iterator[list[Any]], Any]:
    """The export's rows (at most `cap`) and a callable telling, once they were consumed,
    whether the list was longer."""
    columns = [c for c in spec.columns if c.export]
    cut = {"more": False}

    def rows() -> Iterator[list[Any]]:
        for n, obj in enumerate(qs[: cap + 1].iterator(chunk_size=1000)):
            if n == cap:
                cut["more"] = True
                return
            yield [_export_value(c.value(obj)) for c in columns]

    return rows(), lambda: cut["more"]


def _export_value(value: Any) -> Any:
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return value


def export(request: HttpRequest, spec: ListSpec, *parents: Any) -> HttpResponse:
    """The filtered list as XLSX with the page's columns. A list longer than
    FENGPING_EXPORT_MAX_ROWS is cut there and a second sheet, 说明, says so (it also names
    filter values that were ignored)."""
    with _building(Context(request.user, parents)) as ctx:
        return _export(request, spec, ctx, *parents)


def _export(request: HttpRequest, spec: ListSpec, ctx: Context, *parents: Any) -> HttpResponse:
    cap = settings.FENGPING_EXPORT_MAX_ROWS
    result = filtered(spec, request.user, request.GET, *parents, ctx=ctx)
    rows, was_cut = export_rows(spec, result.queryset, cap)
    header = [str(c.label) for c in spec.columns if c.export]
    written = {"rows": 0}

    def counted() -> Iterator[list[Any]]:
        for row in rows:
            written["rows"] += 1
            yield row

    def sheets() -> Iterator[tuple[str, list[str], Iterable[list[Any]]]]:
        yield str(spec.title), header, counted()
        # The first sheet has been written by now, so whether it was cut is known; the
        # 说明 sheet appears only when there is something to say.
        notes = [[message] for message in result.messages]
        if was_cut():
            text = _("列表超过 %(n)s 行，只导出了前 %(n)s 行；请缩小筛选范围后分批导出。")
            notes.insert(0, [text % {"n": cap}])
        if notes:
            yield _("说明"), [_("说明")], notes

    response = HttpResponse(write_workbook(sheets()), content_type=XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="fengping-{spec.name}.xlsx"'
    # Read by the audit trail (audit.trail.record_export): what was exported, how much.
    response.audit_export = {  # type: ignore[attr-defined]
        "list": spec.name,
        "title": str(spec.title),
        "rows": written["rows"],
        "cut": was_cut(),
    }
    return response


# ------------------------------------------------------------------------------ API


def api_filters(spec: ListSpec, model_name: str) -> Any:
    """A pydantic model of the spec's filters (all text, parsed leniently like the page)
    plus the paging parameters, for `filters: Query[...]` in a ninja endpoint."""
    from pydantic import Field

    fields: dict[str, Any] = {
        name: (str, Field("", description=str(f.label)))
        for f in spec.filters
        for name in f.params()
    }
    if spec.sorts:
        choices = "；".join(f"{s.key}：{s.label}" for s in spec.sorts)
        text = _("排序（不填为%(default)s）：%(choices)s")
        fields[SORT_PARAM] = (
            str,
            Field("", description=text % {"default": spec.order_label, "choices": choices}),
        )
    fields["page"] = (str, Field("", description=_("页码（按键翻页的列表最多第 1000 页）")))
    if spec.keyset:
        fields["after"] = (str, Field("", description=_("上一页返回的 next，取其后一页")))
        fields["before"] = (str, Field("", description=_("previous，取其前一页")))
    return create_model(model_name, **fields)


def api_page_schema(item: type, name: str) -> Any:
    """The response schema of a list endpoint: the shape ninja's page-number pagination
    gave (`items`, `count`), extended with the bound flag, cursors and messages."""
    from ninja import Schema

    return create_model(
        name,
        __base__=Schema,
        items=(list[item], ...),  # type: ignore[valid-type]
        count=(int, ...),
        count_capped=(bool, False),
        next=(str | None, None),
        previous=(str | None, None),
        messages=(list[str], []),
    )


def api_page(
    spec: ListSpec,
    user: Any,
    params: Mapping[str, Any],
    *parents: Any,
    per_page: int | None = None,
) -> dict[str, Any]:
    """{items, count, count_capped, next, previous, messages} for an API list endpoint;
    `next`/`previous` are cursors for `after`/`before`. `count` is exact unless
    `count_capped` (then it is the bound, see COUNT_BOUND)."""
    with _building(Context(user, parents)) as ctx:
        result = filtered(spec, user, params, *parents, ctx=ctx)
        page = paginate(spec, result, params, per_page or settings.NINJA_PAGINATION_PER_PAGE)
    next_cursor = previous_cursor = None
    order = result.order or spec.order
    if spec.keyset and page.object_list:
        if page.has_next:
            next_cursor = _cursor(page.object_list[-1], order)
        if page.has_previous:
            previous_cursor = _cursor(page.object_list[0], order)
    return {
        "items": page.object_list,
        "count": page.total,
        "count_capped": page.total_capped,
        "next": next_cursor,
        "previous": previous_cursor,
        "messages": [*result.messages, *page.messages],
    }


# ------------------------------------------------------------------------------ options


_versioned_lock = threading.Lock()
_MISSING = object()


def versioned(version: Callable[[], str]) -> Callable[[Callable[[], Any]], Any]:
    """Cache a derived value (filter options from the scheme registry) per version: the
    builder runs again only when `version()` changes, not on every request. Called with
    the list's Context, the version itself is read once per request."""

    def wrap(build: Callable[[], Any]) -> Callable[..., Any]:
        memo: dict[str, Any] = {}

        def get(ctx: Context | None = None) -> Any:
            ctx = ctx or _current.get()
            if ctx is not None and get in ctx.memo:
                key = ctx.memo[get]
            else:
                key = version()
                if ctx is not None:
                    ctx.memo[get] = key
            value = memo.get(key, _MISSING)
            if value is _MISSING:
                value = build()
                with _versioned_lock:
                    memo.clear()
                    memo[key] = value
            return value

        get.__wrapped__ = build  # type: ignore[attr-defined]
        return get

    return wrap
