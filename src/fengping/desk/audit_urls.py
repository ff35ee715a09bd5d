from django.urls import path

from . import audit_bundle
from . import audit_views as views

app_name = "audit"
urlpatterns = [
    path("", views.events, name="events"),
    path("export.xlsx", views.events_export, name="export"),
    path("verify/", views.verify, name="verify"),
    path("bundle/", audit_bundle.bundle, name="bundle"),
    path("<int:seq>/", views.event, name="event"),
]
