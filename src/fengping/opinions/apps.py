from django.apps import AppConfig


class OpinionsConfig(AppConfig):
    name = "fengping.opinions"
    label = "opinions"
    verbose_name = "征求意见"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from fengping.audit.labels import register as register_labels

        register_labels(
            {
                "opinions.questionnaire.create": _("新建问卷"),
                "opinions.questionnaire.update": _("修改问卷"),
                "opinions.questionnaire.publish": _("发布问卷"),
                "opinions.questionnaire.close": _("结束问卷"),
                "opinions.questionnaire.expire": _("问卷到期关闭"),
                "opinions.consultation.close": _("征求意见结束（问卷随征求意见步骤关闭）"),
                "opinions.consultation.reopen": _("征求意见重新开启（评估退回）"),
                "opinions.question.add": _("增加题目"),
                "opinions.question.update": _("修改题目"),
                "opinions.question.remove": _("删除题目"),
                "opinions.response.submit": _("提交答卷"),
                "opinions.paper_import": _("导入纸质问卷"),
                "opinions.activity.record": _("登记征求意见活动"),
                "opinions.attachment.add": _("上传活动材料"),
                "opinions.comment.add": _("登记意见"),
                "opinions.comment.reply": _("答复意见"),
                "opinions.comment.revision": _("根据意见修改"),
                "opinions.comment.stance": _("登记意见的态度"),
            }
        )
        from . import jobs, panels  # noqa: F401 - the matter-page card and the tick job
