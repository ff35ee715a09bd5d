"""Context for the page shell: the unread count of the notification centre (the bell in
the top bar). One indexed COUNT on (user, read_at), capped at 100 so it stays cheap."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

CAP = 99


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .models import Notification

    unread = Notification.objects.filter(user=user, read_at__isnull=True)[: CAP + 1].count()
    return {"nav_unread": unread, "nav_unread_capped": unread > CAP}
