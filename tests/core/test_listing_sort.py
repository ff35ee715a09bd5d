"""A list's sorts (`ListSpec.sorts`, `?sort=`): the chosen order is applied to the page,
the paging (by key too), the export and the API; an unknown sort is ignored with a
message like any filter value."""

from __future__ import annotations

from dataclasses import replace

from fengping.core import listing
from fengping.core.listing import Sort
from fengping.matters.models import Matter
from fengping.matters.queries import visible_matters
from tests.core.test_listing import SPEC, matters, register  # noqa: F401 (fixture)

SORTED = replace(
    SPEC,
    sorts=(
        Sort("title", "按名称", ("title", "id")),
        Sort("year", "按年度", ("year", "-id")),
    ),
    order_label="按登记（新→旧）",
)


def test_the_chosen_sort_orders_the_list(org, matters):  # noqa: F811
    default = listing.filtered(SORTED, org.admin, {})
    assert [m.pk for m in default.queryset] == sorted(
        (m.pk for m in default.queryset), reverse=True
    )
    by_title = listing.filtered(SORTED, org.admin, {"sort": "title"})
    # The database's collation decides the order of names (as on the page).
    assert [m.pk for m in by_title.queryset] == list(
        visible_matters(org.admin).order_by("title", "id").values_list("pk", flat=True)
    )
    assert by_title.query == "sort=title" and by_title.order == ("title", "id")
    assert by_title.messages == []


def test_an_unknown_sort_is_ignored_with_a_message(org, matters):  # noqa: F811
    result = listing.filtered(SORTED, org.admin, {"sort": "-title; drop table", "q": "养老"})
    assert result.order == SORTED.order and result.query == "q=%E5%85%BB%E8%80%81"
    assert result.messages == ["筛选条件“排序”的值无效，已忽略"]
    # A spec without sorts reads no `sort` at all.
    assert listing.filtered(SPEC, org.admin, {"sort": "title"}).messages == []


def test_keyset_paging_follows_the_chosen_sort(org, matters):  # noqa: F811
    for i in range(5):
        register(org, f"补充{i}")
    Matter.objects.filter(title__in=["补充1", "补充3"]).update(year=2024)
    expected = [m.title for m in visible_matters(org.admin).order_by("year", "-id")]
    params: dict[str, str] = {"sort": "year"}
    result = listing.filtered(SORTED, org.admin, params)
    seen = []
    while True:
        page = listing.paginate(SORTED, result, params)
        seen += [m.title for m in page.object_list]
        if not page.has_next:
            break
        assert "sort=year" in page.next_query
        params = {"sort": "year", "after": page.next_query.split("after=")[1]}
    assert seen == expected


def test_the_page_draws_the_sort_and_the_api_takes_it(org, matters, rf):  # noqa: F811
    request = rf.get("/", {"sort": "title"})
    request.user = org.admin
    built = listing.build(request, SORTED)
    widget = built.filters[-1]
    assert widget["name"] == "sort" and widget["value"] == "title"
    assert widget["all_label"] == "按登记（新→旧）"
    assert [v for v, _label in widget["options"]] == ["title", "year"]
    assert built.export_url == "?sort=title"  # the export is sorted as the page
    assert built.query == "sort=title"
    filters = listing.api_filters(SORTED, "SortedFilters")
    assert "sort" in filters.model_fields and "title：按名称" in str(
        filters.model_fields["sort"].description
    )
    expected = list(visible_matters(org.admin).order_by("title", "id").values_list("pk", flat=True))
    page = listing.api_page(SORTED, org.admin, {"sort": "title", "page": ""}, per_page=2)
    assert [m.pk for m in page["items"]] == expected[:2]
    assert page["next"] is not None  # two per page, by key on the chosen order
    following = listing.api_page(
        SORTED, org.admin, {"sort": "title", "after": page["next"]}, per_page=2
    )
    assert [m.pk for m in following["items"]] == expected[2:4]
