"""WSGI entry point of the bare reference view (bench/bare.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bare"

application = get_wsgi_application()
