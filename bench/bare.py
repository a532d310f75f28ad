"""The benchmark's reference: the barest Django view, answering "ok".

Settings, URLs and view in one module: no database, no apps, only
SecurityMiddleware and CommonMiddleware, debug off. Served by the same
gunicorn settings and number of workers as the site (gunicorn.conf.py), so a
page's throughput as a ratio of this one's measures what the site costs on top
of Django and gunicorn themselves. (bench/baseline.py, with the seven
middleware of a new `startproject`, is kept as a second reference.)
"""

import os

from django.http import HttpRequest, HttpResponse
from django.urls import path

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "bench-bare-only")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")]
ROOT_URLCONF = __name__
INSTALLED_APPS: list[str] = []
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
DATABASES: dict = {}
USE_TZ = True


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("", ok)]
