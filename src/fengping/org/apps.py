from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "fengping.org"
    label = "org"
    verbose_name = "组织机构"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from fengping.audit.labels import register as register_labels

        register_labels(
            {
                "org.department.create": _("新建部门"),
                "org.department.update": _("修改部门"),
                "org.department.delete": _("删除部门"),
                "org.leadership.create": _("设立领导小组"),
                "org.leadership.update": _("修改领导小组"),
                "org.leadership.add_member": _("增加领导小组成员"),
                "org.leadership.remove_member": _("移除领导小组成员"),
                "org.membership.add": _("分配角色"),
                "org.membership.remove": _("撤销角色"),
                "org.user.create": _("新建用户"),
                "org.user.create_superuser": _("创建超级管理员"),
                "org.user.create_admin": _("创建三员管理员账号"),
                "org.user.update": _("修改用户"),
                "org.user.profile": _("修改个人资料"),
                "org.user.change_password": _("修改密码"),
                "org.user.reset_password": _("重置密码"),
                "org.import": _("批量导入部门和人员"),
            }
        )
