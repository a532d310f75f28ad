"""WSGI entry point of the baseline (bench/baseline.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.baseline"

application = get_wsgi_application()
