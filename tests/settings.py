"""Test settings: the real settings, with a throw-away data directory and plain static
file storage (the manifest storage needs `collectstatic`, which tests don't run)."""

import os
import tempfile

os.environ.setdefault("FENGPING_DATA_DIR", tempfile.mkdtemp(prefix="fengping-test-"))
# Under pytest-xdist each worker keeps its files (uploads, replaced report templates) in
# a directory of its own: a template one worker's test replaces must not reach another's.
if _worker := os.environ.get("PYTEST_XDIST_WORKER"):
    _base = os.environ["FENGPING_DATA_DIR"]
    if not _base.endswith(_worker):
        os.environ["FENGPING_DATA_DIR"] = os.path.join(_base, _worker)
        os.makedirs(os.environ["FENGPING_DATA_DIR"], exist_ok=True)
os.environ.pop("FENGPING_DEBUG", None)

from fengping.settings import *  # noqa: E402, F403

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Argon2 all the same (the production hasher), at the lowest cost: tests create many users.
PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns when it is missing
# Persistent connections outlive live-server threads and block dropping the test database.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Every test sees the counts of its own data at once.
FENGPING_HOME_COUNTS_SECONDS = 0
FENGPING_CAPPED_COUNT_SECONDS = 0  # tests_listing turns it on where it tests it
