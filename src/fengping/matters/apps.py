from django.apps import AppConfig


class MattersConfig(AppConfig):
    name = "fengping.matters"
    label = "matters"
    verbose_name = "评估事项"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from fengping.audit.labels import register as register_labels

        register_labels(
            {
                "matters.matter.register": _("登记评估事项"),
                "matters.matter.update": _("修改评估事项"),
                "matters.matter.designate": _("登记指定评估"),
                "matters.matter.designate_responsibility": _("登记指定责任主体"),
                "matters.matter.plan_filed": _("评估计划报备"),
                "matters.matter.consultation": _("设置公开征求意见"),
                "matters.document.add": _("上传事项材料"),
                "matters.document.remove": _("删除事项材料"),
            }
        )
        from . import cards  # noqa: F401 - adds the matter counts to the home page
