"""Django settings for fengping, read from the environment (see README "Configuration").

Wrong values raise `fengping.conf.ConfigError`; the `fengping` command turns that into a
one-line message. Nothing here has a production-unsafe default except under
FENGPING_DEBUG=1, which only `make demo` sets.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from fengping import conf

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = conf.data_dir()

DEBUG = conf.envbool("FENGPING_DEBUG", False)
SECRET_KEY = conf.secret_key(DATA_DIR)
ALLOWED_HOSTS = conf.envlist("FENGPING_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = conf.envlist("FENGPING_CSRF_TRUSTED_ORIGINS", [])
HTTPS = conf.envbool("FENGPING_HTTPS", False)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "fengping.core",
    "fengping.audit",
    "fengping.org",
    "fengping.schemebook",
    "fengping.procedure",
    "fengping.matters",
    "fengping.assessments",
    "fengping.reports",
    "fengping.opinions",
    "fengping.infosec",
    "fengping.cases",
    "fengping.supervision",
    "fengping.directory",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "fengping.security",
    "ninja",
    "fengping.api",
    "fengping.desk",
]

MIDDLEWARE = [
    "fengping.core.middleware.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "fengping.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fengping.core.middleware.SessionRefreshMiddleware",
    "fengping.core.middleware.LanguageMiddleware",
    # After the language is chosen (its messages are Chinese by default), inside the
    # header middlewares (their headers reach the JSON errors too).
    "fengping.api.errors.ApiJsonErrorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Records every refusal (403) and every download (export) as an audit event; costs
    # nothing on other responses.
    "fengping.audit.trail.AuditTrailMiddleware",
    "fengping.core.middleware.NoStoreForUsersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The second factor first (who is this?), then the password's age (security, org).
    "fengping.security.middleware.SecondFactorMiddleware",
    "fengping.org.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fengping.urls"
WSGI_APPLICATION = "fengping.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fengping.supervision.context.notifications",
                "fengping.desk.context.shell",
            ],
        },
    }
]

DATABASES = {"default": conf.database(DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
# Directory login (LDAP / OIDC) from the settings file FENGPING_DIRECTORY_FILE, validated
# here (the role names when the directory app is ready); see docs/security.md.
from fengping.directory import config as _directory  # noqa: E402

FENGPING_DIRECTORY_FILE = conf.envstr("FENGPING_DIRECTORY_FILE")
_directory_cfg = _directory.load(FENGPING_DIRECTORY_FILE) if FENGPING_DIRECTORY_FILE else None
globals().update(_directory.django_settings(_directory_cfg))
# Axes first, then local accounts (administrators log in even with the directory down),
# then the directory's backends.
AUTHENTICATION_BACKENDS = _directory.authentication_backends(_directory_cfg)
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # Length and character classes, and the history, from the security policy (the
    # 安全管理员 changes it on /security/policy/; see docs/security.md).
    {"NAME": "fengping.security.validators.ComplexityValidator"},
    {"NAME": "fengping.security.validators.HistoryValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The security policy's first values (fengping.security: one row, changed afterwards by the
# 安全管理员 on /security/policy/). Values weaker than the 等保 level-3 floor stop start-up.
FENGPING_SECURITY_DEFAULTS = {
    "min_length": conf.envint("FENGPING_PASSWORD_MIN_LENGTH", 8),
    "required_classes": conf.envint("FENGPING_PASSWORD_CLASSES", 3),
    "expiry_days": conf.envint("FENGPING_PASSWORD_EXPIRY_DAYS", 90),
    "history_count": conf.envint("FENGPING_PASSWORD_HISTORY", 5),
    "lockout_failures": conf.envint("FENGPING_LOGIN_FAILURE_LIMIT", 5),
    "lockout_minutes": conf.envint("FENGPING_LOGIN_COOLOFF_MINUTES", 15),
    "idle_minutes": conf.envint("FENGPING_SESSION_IDLE_MINUTES", 120),
    "otp_for_everyone": conf.envbool("FENGPING_OTP_FOR_EVERYONE", False),
}
conf.security_floor(FENGPING_SECURITY_DEFAULTS)
# Each process keeps the policy row this long (a change elsewhere is seen within it).
FENGPING_SECURITY_POLICY_SECONDS = conf.envint("FENGPING_SECURITY_POLICY_SECONDS", 30)
OTP_TOTP_ISSUER = conf.envstr("FENGPING_OTP_ISSUER", "风评")

# Login throttling: the policy's number of failures (password or second-step code) for one
# user name from one address lock it for the policy's minutes.
AXES_FAILURE_LIMIT = "fengping.security.policy.axes_failure_limit"
AXES_COOLOFF_TIME = "fengping.security.policy.axes_cooloff"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Sessions end after the policy's idle minutes (core.middleware.SessionRefreshMiddleware
# checks the last activity) and when the browser closes. The stored session lives at most
# the policy's ceiling for idle time (120 minutes).
SESSION_COOKIE_AGE = 120 * 60
# No write per read: the expiry is refreshed at most once per interval
# (core.middleware.SessionRefreshMiddleware), not by saving the session on every request.
SESSION_SAVE_EVERY_REQUEST = False
FENGPING_SESSION_REFRESH_SECONDS = conf.envint("FENGPING_SESSION_REFRESH_SECONDS", 300)
FENGPING_IDLE_SECONDS = "fengping.security.policy.idle_seconds"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = conf.envbool("FENGPING_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = conf.envstr("FENGPING_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "uploads"
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FENGPING_UPLOAD_MAX_BYTES = conf.envint("FENGPING_UPLOAD_MAX_MB", 20) * 1024 * 1024
# Imports (core.imports): refused before parsing beyond these; larger than the threshold
# runs as a background job with a progress bar.
FENGPING_IMPORT_MAX_ROWS = conf.envint("FENGPING_IMPORT_MAX_ROWS", 100_000)
FENGPING_IMPORT_MAX_RATIO = conf.envint("FENGPING_IMPORT_MAX_RATIO", 100)
FENGPING_IMPORT_MAX_UNCOMPRESSED_BYTES = (
    conf.envint("FENGPING_IMPORT_MAX_UNCOMPRESSED_MB", 200) * 1024 * 1024
)
FENGPING_IMPORT_JOB_THRESHOLD = conf.envint("FENGPING_IMPORT_JOB_THRESHOLD", 2000)
FENGPING_IMPORT_MAX_ERRORS = conf.envint("FENGPING_IMPORT_MAX_ERRORS", 1000)
# Scanner reports (infosec.scan_import): streamed, so larger than other uploads.
FENGPING_SCAN_UPLOAD_MAX_BYTES = conf.envint("FENGPING_SCAN_UPLOAD_MAX_MB", 200) * 1024 * 1024
FENGPING_SCAN_MAX_FINDINGS = conf.envint("FENGPING_SCAN_MAX_FINDINGS", 300_000)
# The monthly case screening of several organs (`fengping tick`, `fengping cases screen`):
# on PostgreSQL this many organs are screened at once, each in its own connection.
FENGPING_SCREEN_WORKERS = conf.envint("FENGPING_SCREEN_WORKERS", min(4, os.cpu_count() or 1))
# The scheme whose deadlines, reminder policy and evaluation rubric the supervising offices
# work by (its `supervision` section): annual plans, monthly reports, reminders.
FENGPING_SUPERVISION_SCHEME = conf.envstr("FENGPING_SUPERVISION_SCHEME", "ssra-town")
# The audit chain is verified in the request (立即校验) or the tick up to this many events;
# a longer log by the job worker.
FENGPING_AUDIT_VERIFY_INLINE = conf.envint("FENGPING_AUDIT_VERIFY_INLINE", 50_000)
# The hash of new audit events: sha256 or sm3 (GB/T 32905); each event records its own.
FENGPING_AUDIT_HASH = conf.audit_hash()
# Days an audit event is kept at least; `fengping audit purge` removes nothing younger.
FENGPING_AUDIT_RETENTION_DAYS = conf.audit_retention_days()
# The Ed25519 key that signs exported audit bundles (generated on first use, mode 0600).
# Several app servers share one: copy the file or point each at the same path.
FENGPING_AUDIT_KEY_FILE = Path(
    conf.envstr("FENGPING_AUDIT_KEY_FILE") or DATA_DIR / "audit-signing-key.pem"
).expanduser()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# The public-consultation throttle counts submissions here, so the cache must be shared by
# every app process (a per-process cache let two workers accept twice the limit): the
# database cache by default, its table created by the core migration `cache_table`.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "fengping_cache",
        # Culling at the default 300 entries would forget counts under a flood from many
        # addresses; expired rows are culled all the same.
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}
# Several app processes or hosts may share Redis instead (`redis://host:6379/0`); while it
# cannot be reached each process falls back to its own memory (core/cache.py).
FENGPING_CACHE_URL = conf.cache_url("FENGPING_CACHE_URL")
if FENGPING_CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "fengping.core.cache.FallbackRedisCache",
            "LOCATION": FENGPING_CACHE_URL,
            "KEY_PREFIX": "fengping",
        }
    }
# At most this many questionnaire submissions per address in ten minutes.
FENGPING_PUBLIC_SUBMIT_LIMIT = conf.envint("FENGPING_PUBLIC_SUBMIT_LIMIT", 20)

EMAIL_HOST = conf.envstr("FENGPING_EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = conf.envint("FENGPING_EMAIL_PORT", 25)
    EMAIL_HOST_USER = conf.envstr("FENGPING_EMAIL_USER")
    EMAIL_HOST_PASSWORD = conf.envstr("FENGPING_EMAIL_PASSWORD")
    EMAIL_USE_TLS = conf.envbool("FENGPING_EMAIL_TLS", False)
    EMAIL_USE_SSL = conf.envbool("FENGPING_EMAIL_SSL", False)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise conf.ConfigError(
            "FENGPING_EMAIL_TLS 与 FENGPING_EMAIL_SSL 不能同时开启"
            " / FENGPING_EMAIL_TLS and FENGPING_EMAIL_SSL cannot both be on"
        )
else:
    # Without a mail server, messages go to the log so nothing is silently lost.
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = conf.envstr("FENGPING_EMAIL_FROM", "fengping@localhost")
# Group robots (DingTalk / WeCom) per department code for reminders, as JSON; see
# fengping.supervision.webhooks.
try:
    from fengping.supervision.webhooks import parse_setting as _parse_webhooks

    FENGPING_WEBHOOKS = _parse_webhooks(conf.envstr("FENGPING_WEBHOOKS"))
except ValueError as _exc:
    raise conf.ConfigError(
        f"FENGPING_WEBHOOKS 格式错误：{_exc} / FENGPING_WEBHOOKS is wrong: {_exc}"
    ) from None

NINJA_PAGINATION_PER_PAGE = 50
# Reverse proxies (addresses or networks) whose X-Forwarded-For names the client: the login
# throttle and the public questionnaire's throttle count by that address. From no other
# peer is the header believed (anyone can send one).
FENGPING_TRUSTED_PROXIES = conf.networks("FENGPING_TRUSTED_PROXIES")
FENGPING_PAGE_SIZE = 50
# How long a list remembers that it is past its bounded count (core.listing.bounded_count).
FENGPING_CAPPED_COUNT_SECONDS = conf.envint("FENGPING_CAPPED_COUNT_SECONDS", 60)
# The longest life of a personal API token, in days (GB/T 22239-2019 8.1.4.1).
FENGPING_API_TOKEN_MAX_DAYS = conf.envint("FENGPING_API_TOKEN_MAX_DAYS", 90)
if not 1 <= FENGPING_API_TOKEN_MAX_DAYS <= 366:
    raise conf.ConfigError(
        "FENGPING_API_TOKEN_MAX_DAYS 须在 1 到 366 之间 / must be between 1 and 366"
    )
# The home page's counts of matters by state are recounted at most this often per worker.
FENGPING_HOME_COUNTS_SECONDS = conf.envint("FENGPING_HOME_COUNTS_SECONDS", 60)
# A list export holds at most this many rows; a longer list is cut with a note saying so.
# An export is built within the request: 50,000 rows take about 20 s on a small server,
# well inside the 120 s worker timeout of `fengping serve`.
FENGPING_EXPORT_MAX_ROWS = conf.envint("FENGPING_EXPORT_MAX_ROWS", 50_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_403_traceback": {"()": "fengping.core.logs.PermissionDeniedWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO" if not DEBUG else "DEBUG"},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.request": {"filters": ["no_403_traceback"]},
    },
}

SITE_NAME = _("风评")
