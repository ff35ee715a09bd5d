from django.urls import path

from . import views

app_name = "schemebook"
urlpatterns = [
    path("", views.scheme_list, name="schemes"),
    path("upload/", views.scheme_upload, name="upload"),
    path("<slug:key>/", views.scheme_detail, name="scheme"),
    path("<slug:key>/download.yaml", views.scheme_download, name="download"),
    path("<slug:key>/active/", views.scheme_set_active, name="set_active"),
]
