"""The local year, for the 文号 of decisions dated today (a 文号's year must match its
decision date, so a literal year would break the suite on 1 January)."""

from django.utils import timezone

YEAR = timezone.localdate().year
