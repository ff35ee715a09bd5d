from django.urls import include, path

from fengping.api.main import api
from fengping.desk import import_views, token_admin
from fengping.desk import views as desk
from fengping.security import views as security

urlpatterns = [
    path("", desk.home, name="home"),
    path("accounts/login/", desk.login, name="login"),
    path("accounts/logout/", desk.logout, name="logout"),
    path("accounts/oidc/", include("fengping.directory.urls")),
    path("me/", desk.profile, name="profile"),
    path("me/password/", desk.password_change, name="password_change"),
    path("me/2fa/", security.otp_setup, name="otp_setup"),
    path("me/2fa/recovery/", security.otp_recovery, name="otp_recovery"),
    path("accounts/2fa/", security.otp_verify, name="otp_verify"),
    path("me/tokens/", desk.token_create, name="token_create"),
    path("me/tokens/<int:token_id>/revoke/", desk.token_revoke, name="token_revoke"),
    path("security/tokens/", token_admin.token_list, name="security_tokens"),
    path(
        "security/tokens/export.xlsx",
        token_admin.token_list_export,
        name="security_tokens_export",
    ),
    path(
        "security/tokens/<int:token_id>/revoke/",
        token_admin.token_revoke,
        name="security_token_revoke",
    ),
    path("imports/", import_views.records, name="import_records"),
    path("imports/export.xlsx", import_views.records_export, name="import_records_export"),
    path("imports/<int:pk>/", import_views.record, name="import_record"),
    path("imports/<int:pk>/progress/", import_views.progress, name="import_progress"),
    path("i18n/setlang/", desk.set_language, name="set_language"),
    path("org/", include("fengping.org.urls")),
    path("matters/", include("fengping.matters.urls")),
    path("reports/", include("fengping.reports.urls")),
    path("assessments/", include("fengping.assessments.urls")),
    path("infosec/", include("fengping.infosec.urls")),
    path("cases/", include("fengping.cases.urls")),
    path("supervision/", include("fengping.supervision.urls")),
    path("", include("fengping.opinions.urls")),
    path("audit/", include("fengping.desk.audit_urls")),
    path("security/", include("fengping.security.urls")),
    path("schemes/", include("fengping.schemebook.urls")),
    path("api/", api.urls),
]
