from django.urls import path

from . import views

app_name = "opinions"
urlpatterns = [
    # staff pages, under the matter they belong to
    path("matters/<int:pk>/opinions/", views.matter_opinions, name="matter"),
    path(
        "matters/<int:pk>/opinions/questionnaires/new/",
        views.questionnaire_create,
        name="questionnaire_create",
    ),
    path("matters/<int:pk>/opinions/activities/", views.activities, name="activities"),
    path(
        "matters/<int:pk>/opinions/activities/export.xlsx",
        views.activities_export,
        name="activities_export",
    ),
    path(
        "matters/<int:pk>/opinions/activities/new/", views.activity_create, name="activity_create"
    ),
    path("matters/<int:pk>/opinions/comments/", views.comments, name="comments"),
    path(
        "matters/<int:pk>/opinions/comments/export.xlsx",
        views.comments_export,
        name="comments_export",
    ),
    path("matters/<int:pk>/opinions/comments/new/", views.comment_create, name="comment_create"),
    path("opinions/questionnaires/<int:pk>/", views.questionnaire_detail, name="questionnaire"),
    path(
        "opinions/questionnaires/<int:pk>/edit/",
        views.questionnaire_edit,
        name="questionnaire_edit",
    ),
    path(
        "opinions/questionnaires/<int:pk>/publish/",
        views.questionnaire_publish,
        name="questionnaire_publish",
    ),
    path(
        "opinions/questionnaires/<int:pk>/close/",
        views.questionnaire_close,
        name="questionnaire_close",
    ),
    path(
        "opinions/questionnaires/<int:pk>/questions/new/", views.question_add, name="question_add"
    ),
    path("opinions/questionnaires/<int:pk>/responses/", views.responses, name="responses"),
    path(
        "opinions/questionnaires/<int:pk>/responses/export.xlsx",
        views.responses_export,
        name="responses_export",
    ),
    path("opinions/questionnaires/<int:pk>/import/", views.import_paper, name="import"),
    path(
        "opinions/questionnaires/<int:pk>/import/template.xlsx",
        views.import_template,
        name="import_template",
    ),
    path("opinions/questions/<int:pk>/edit/", views.question_edit, name="question_edit"),
    path("opinions/questions/<int:pk>/delete/", views.question_delete, name="question_delete"),
    path("opinions/activities/<int:pk>/", views.activity_detail, name="activity"),
    path(
        "opinions/activities/<int:pk>/attachments/add/", views.attachment_add, name="attachment_add"
    ),
    path("opinions/attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("opinions/comments/<int:pk>/reply/", views.comment_reply, name="comment_reply"),
    path("opinions/comments/<int:pk>/revision/", views.comment_revision, name="comment_revision"),
    path("opinions/comments/<int:pk>/stance/", views.comment_stance, name="comment_stance"),
    # public pages (no login)
    path("public/", views.public_index, name="public"),
    path("public/decisions/", views.public_decisions, name="public_decisions"),
    path("q/<str:token>/", views.public_form, name="public_form"),
    path("q/<str:token>/thanks/", views.public_thanks, name="public_thanks"),
]
