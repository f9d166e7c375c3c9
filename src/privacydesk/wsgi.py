"""WSGI entry point for gunicorn (``privacydesk.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacydesk.settings")
application = get_wsgi_application()
