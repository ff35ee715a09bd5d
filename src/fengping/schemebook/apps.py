from django.apps import AppConfig


class SchemebookConfig(AppConfig):
    name = "fengping.schemebook"
    label = "schemebook"
    verbose_name = "评估方案"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from fengping.audit.labels import register as register_labels

        register_labels(
            {
                "schemebook.scheme.upload": _("上传评估方案"),
                "schemebook.scheme.replace": _("更新评估方案"),
                "schemebook.scheme.activate": _("启用评估方案"),
                "schemebook.scheme.deactivate": _("停用评估方案"),
            }
        )
