from django.apps import AppConfig


class DirectoryAppConfig(AppConfig):
    name = "fengping.directory"
    label = "directory"
    verbose_name = "目录登录"

    def ready(self) -> None:
        from django.conf import settings
        from django.utils.translation import gettext_lazy as _

        from fengping.audit.labels import register as register_labels
        from fengping.org.models import THREE_ADMIN_ROLES, Role

        from . import config

        register_labels(
            {
                "directory.sync": _("目录同步用户与任职"),
            }
        )
        cfg = getattr(settings, "FENGPING_DIRECTORY", None)
        if cfg is not None:
            # Start-up refuses a file mapping a group to an administrator role.
            config.check_roles(cfg, set(Role.values), {str(r) for r in THREE_ADMIN_ROLES})
