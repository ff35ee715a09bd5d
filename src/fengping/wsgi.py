"""WSGI entry point for gunicorn: `gunicorn fengping.wsgi:application`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengping.settings")
application = get_wsgi_application()
