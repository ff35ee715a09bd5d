from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "fengping.audit"
    label = "audit"
    verbose_name = "审计"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from fengping.core.concurrency import last_change

        from . import (
            jobs,  # noqa: F401 - registers the daily chain verification
            trail,
        )
        from .chain import who_changed
        from .labels import register

        register(
            {
                # Recorded by desk.audit_actions (the audit app cannot check roles itself).
                "audit.chain.verify": _("手动校验审计链"),
                "audit.backup.create": _("备份数据"),  # `fengping backup` (audit.backup)
                # audit.bundle / audit.retention (the CLI) and desk.audit_bundle (the page).
                "audit.bundle.export": _("导出审计签名包"),
                "audit.purge": _("清理过期审计事件"),
                # audit.trail: sign-in signals and the refusal/export middleware.
                "auth.login": _("登录"),
                "auth.logout": _("退出登录"),
                "auth.login_failed": _("登录失败"),
                "auth.lockout": _("登录锁定"),
                "access.denied": _("拒绝访问"),
                "export.xlsx": _("导出表格（XLSX）"),
                "export.csv": _("导出表格（CSV）"),
                "export.docx": _("导出文书（DOCX）"),
                "export.pdf": _("导出文书（PDF）"),
                "export.zip": _("导出压缩包"),
                "export.json": _("导出数据（JSON）"),
                "export.file": _("下载文件"),
            }
        )
        trail.connect()

        last_change.add(who_changed)  # names who won a concurrent edit
