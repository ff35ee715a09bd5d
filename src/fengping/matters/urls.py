from django.urls import path

from . import views

app_name = "matters"
urlpatterns = [
    path("", views.matter_list, name="list"),
    path("export.xlsx", views.matter_export, name="export"),
    path("new/", views.matter_create, name="create"),
    path("lead-proposal/", views.lead_proposal, name="lead_proposal"),
    path("<int:pk>/", views.matter_detail, name="detail"),
    path("<int:pk>/edit/", views.matter_edit, name="edit"),
    path("<int:pk>/designate/", views.matter_designate, name="designate"),
    path("<int:pk>/responsibility/", views.matter_responsibility, name="responsibility"),
    path("<int:pk>/consultation/", views.matter_consultation, name="consultation"),
    path("<int:pk>/documents/", views.document_add, name="document_add"),
    path("documents/<int:pk>/", views.document_download, name="document"),
    path("documents/<int:pk>/remove/", views.document_remove, name="document_remove"),
]
