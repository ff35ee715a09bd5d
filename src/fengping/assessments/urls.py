from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("", views.assessment_list, name="list"),
    path("export.xlsx", views.assessment_export, name="export"),
    path("start/<int:matter_pk>/", views.assessment_start, name="start"),
    path("matters/<int:matter_pk>/decide/", views.matter_decide, name="matter_decide"),
    path("<int:pk>/", views.assessment_detail, name="detail"),
    path("<int:pk>/complete/", views.step_complete, name="complete_step"),
    path("<int:pk>/send-back/", views.step_send_back, name="send_back"),
    path("<int:pk>/plan/", views.plan_edit, name="plan"),
    path("<int:pk>/team/", views.member_add, name="member_add"),
    path("team/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("<int:pk>/archive/", views.archive_add, name="archive_add"),
    path("archive/<int:pk>/", views.archive_download, name="archive_document"),
    path("<int:pk>/factors/new/", views.factor_add, name="factor_add"),
    path("factors/<int:pk>/edit/", views.factor_edit, name="factor_edit"),
    path("factors/<int:pk>/remove/", views.factor_remove, name="factor_remove"),
    path("factors/<int:pk>/score/", views.factor_score, name="factor_score"),
    path("factors/<int:pk>/mitigations/new/", views.mitigation_add, name="mitigation_add"),
    path("<int:pk>/checklist/", views.checklist_answer, name="checklist_answer"),
    path("<int:pk>/grade/", views.grade_edit, name="grade"),
    path("<int:pk>/conditions/", views.condition_confirm, name="condition_confirm"),
    path("<int:pk>/conditions/record/", views.condition_record, name="condition_record"),
    path("<int:pk>/override/", views.override_propose, name="override_propose"),
    path("overrides/<int:pk>/approve/", views.override_approve, name="override_approve"),
    path("overrides/<int:pk>/reject/", views.override_reject, name="override_reject"),
    path("<int:pk>/reviews/", views.review_add, name="review"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/filing/", views.filing_add, name="file"),
    path("<int:pk>/measures/new/", views.measure_add, name="measure_add"),
    path("measures/<int:pk>/", views.measure_update, name="measure_update"),
    path("<int:pk>/incidents/new/", views.incident_add, name="incident_add"),
    path("<int:pk>/finish/", views.finish, name="finish"),
]
