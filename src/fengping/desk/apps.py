from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The user's desk: home page, sign-in, profile, password and API tokens, and the
    page shell's context. It sits above the domain apps (it reads their home cards
    through `core.registry`), so `core` stays free of them."""

    name = "fengping.desk"
    label = "desk"
    verbose_name = "工作台"
