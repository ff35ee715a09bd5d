from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("<int:pk>/generate/", views.generate, name="generate"),
    path("<int:pk>/report.docx", views.report_docx, name="docx"),
    path("<int:pk>/print/", views.report_print, name="print"),
    path("<int:pk>/report.pdf", views.report_pdf, name="pdf"),
    path("<int:pk>/archive.zip", views.archive_zip, name="archive_zip"),
    path("template/", views.template_page, name="template"),
    path("template/download/", views.template_download, name="template_download"),
]
