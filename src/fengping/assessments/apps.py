from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "fengping.assessments"
    label = "assessments"
    verbose_name = "风险评估"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from fengping.audit.labels import register as register_labels

        register_labels(
            {
                "assessments.assessment.start": _("开始风险评估"),
                "assessments.step.complete": _("完成评估步骤"),
                "assessments.step.send_back": _("退回评估步骤"),
                "assessments.plan.save": _("保存评估方案"),
                "assessments.team.add": _("增加评估人员"),
                "assessments.team.remove": _("移除评估人员"),
                "assessments.archive.add": _("归档专项工作档案"),
                "assessments.factor.add": _("登记风险因素"),
                "assessments.factor.update": _("修改风险因素"),
                "assessments.factor.remove": _("删除风险因素"),
                "assessments.factor.score": _("风险因素评分"),
                "assessments.factor.mitigation": _("登记防范化解措施"),
                "assessments.checklist.answer": _("逐项评估"),
                "assessments.grade": _("确定风险等级"),
                "assessments.condition.record": _("登记实施条件落实情况"),
                "assessments.condition.confirm": _("确认实施条件"),
                "assessments.grade.override.propose": _("提出调整风险等级"),
                "assessments.grade.override.approve": _("批准调整风险等级"),
                "assessments.grade.override.reject": _("不批准调整风险等级"),
                "assessments.grade.override.void": _("调整风险等级作废"),
                "assessments.report.generate": _("生成评估报告"),
                "assessments.report.void": _("退回作废评估报告及本轮审查"),
                "assessments.review": _("审查评估报告"),
                "assessments.decide": _("作出决定"),
                "assessments.file": _("决定备案"),
                "assessments.filing.acknowledge": _("备案签收"),
                "assessments.major_stability.set": _("认定存在涉稳重大问题"),
                "assessments.measure.add": _("登记应对措施"),
                "assessments.measure.update": _("更新措施落实情况"),
                "assessments.incident": _("登记不稳定情况"),
                "assessments.survey": _("登记跟踪调查"),
                "assessments.redecide": _("作出新的决定"),
                "assessments.close": _("评估办结"),
                "matters.decide_without_assessment": _("不经评估作出决定"),
            }
        )
        from fengping.core.registry import matter_locks

        from . import panels  # noqa: F401 - adds the assessment card to the matter page
        from .models import consultation_lock

        matter_locks.add(consultation_lock)
        from .outputs import register

        register()  # how the procedure engine checks an assessment's outputs
