"""The sidebar (desk/nav.py): each role sees its entries, the page's entry is marked
active, and every link resolves to a page the user may open (not a 500, not a 404)."""

from __future__ import annotations

import re

from django.urls import reverse

from fengping.desk import nav


def links(html: str) -> dict[str, str]:
    """href -> the <li>'s class, from the sidebar's <ul>."""
    menu = html.split('id="sidebar-menu"', 1)[1].split("</ul>", 1)[0]
    return {
        href: css
        for css, href in re.findall(
            r'<li class="(nav-item[^"]*)"><a class="nav-link" href="([^"]+)"', menu
        )
    }


def test_each_role_sees_its_entries_and_the_page_is_active(org, login):
    handler = links(login(org.rsj_handler).get(reverse("matters:list")).content.decode())
    assert reverse("matters:list") in handler and "active" in handler[reverse("matters:list")]
    assert sum("active" in css for css in handler.values()) == 1
    for hidden in ("audit:events", "org:import", "supervision:unassessed_matters"):
        assert reverse(hidden) not in handler, hidden
    supervisor = links(login(org.supervisor).get(reverse("audit:events")).content.decode())
    assert "active" in supervisor[reverse("audit:events")]
    assert reverse("supervision:unassessed_matters") in supervisor
    assert reverse("org:import") not in supervisor
    admin = links(login(org.admin).get(reverse("home")).content.decode())
    assert reverse("org:import") in admin and "active" in admin[reverse("home")]
    # 三员分立: the 系统管理员 does not read the audit log.
    assert reverse("audit:events") not in admin


def test_every_entry_opens(org, login):
    client = login(org.admin)
    for href in links(client.get(reverse("home")).content.decode()):
        assert client.get(href).status_code == 200, href


def test_active_entry_rules():
    worker = frozenset({nav.EVERYONE, nav.WORK})
    assert nav.NAV[nav.active_index("/cases/screening/runs/3/", worker)].url == (
        "cases:screening_runs"
    )
    assert nav.NAV[nav.active_index("/cases/12/", worker)].url == "cases:list"
    admin = worker | {nav.ADMIN, nav.SUPERVISOR}
    assert nav.NAV[nav.active_index("/supervision/reports/overview/", admin)].url == (
        "supervision:report_overview"
    )
    # Not shown to a handler: not active either; the reports entry does not claim it.
    assert nav.active_index("/supervision/reports/overview/", worker) is None
