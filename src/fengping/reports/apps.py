from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "fengping.reports"
    label = "reports"
    verbose_name = "评估报告"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from fengping.audit.labels import register as register_labels

        register_labels(
            {
                "reports.template.upload": _("更换报告模板"),
                "reports.template.reset": _("恢复默认报告模板"),
            }
        )
