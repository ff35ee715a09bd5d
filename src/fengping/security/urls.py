from django.urls import path

from . import views

app_name = "security"

urlpatterns = [
    path("policy/", views.policy_page, name="policy"),
    path("lockouts/", views.lockouts, name="lockouts"),
    path("lockouts/<int:pk>/unlock/", views.unlock, name="unlock"),
    path("second-factor/", views.second_factors, name="second_factors"),
    path(
        "second-factor/<int:user_id>/reset/", views.reset_second_factor, name="reset_second_factor"
    ),
]
