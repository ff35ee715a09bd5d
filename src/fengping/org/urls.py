from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("departments/", views.departments, name="departments"),
    path("departments/export.xlsx", views.departments_export, name="departments_export"),
    path("departments/new/", views.department_create, name="department_create"),
    path("departments/<int:pk>/", views.department, name="department"),
    path("departments/<int:pk>/edit/", views.department_edit, name="department_edit"),
    path("departments/<int:pk>/delete/", views.department_delete, name="department_delete"),
    path("departments/<int:pk>/leadership/", views.leadership_edit, name="leadership_edit"),
    path("leadership/", views.leadership_groups, name="leadership_groups"),
    path("leadership/export.xlsx", views.leadership_export, name="leadership_export"),
    path("leadership/<int:pk>/members/add/", views.leader_add, name="leader_add"),
    path("leadership/members/<int:pk>/remove/", views.leader_remove, name="leader_remove"),
    path("users/", views.users, name="users"),
    path("users/export.xlsx", views.users_export, name="users_export"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/", views.user_detail, name="user"),
    path("users/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/password/", views.user_reset_password, name="user_password"),
    path("users/<int:pk>/memberships/add/", views.membership_add, name="membership_add"),
    path("memberships/<int:pk>/remove/", views.membership_remove, name="membership_remove"),
    path("import/", views.import_workbook, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
]
