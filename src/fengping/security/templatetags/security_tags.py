from django import template

from fengping.security import policy

register = template.Library()


@register.simple_tag
def lockout_minutes() -> int:
    """The policy's lockout time, for the lockout page (django-axes renders it)."""
    return policy.current().lockout_minutes
