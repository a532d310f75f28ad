"""Survive a database restart and a missing SQLite file without a 500.

Public requests start with the data version query, which reconnects once when
a persistent connection died (recognition.rules.snapshot), so they need no extra
round trip. Staff pages (the admin, the preview) run many queries and read the
session first: for them this checks the persistent connection before the view
and replaces it when the database restarted meanwhile.

With SQLite, a worker's open connection would go on reading a database file
that was moved or deleted; a `stat` of the path (no query) tells, and the
connection is closed so that the next one fails loudly (the file is opened
without create, config.database) or finds the file back. Public requests look
at most once per RULES_VERSION_CHECK_INTERVAL, the bound within which they
already see a published change; staff requests look every time.

Whatever still fails to reach the database answers 503 with a Chinese page, not 500.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.urls import reverse

from config.database import sqlite_file

STAFF_PREFIXES = ("/admin/", "/preview/")
logger = logging.getLogger(__name__)


@receiver(connection_created)
def remember_sqlite_file(sender, connection, **kwargs) -> None:
    path = sqlite_file(connection.settings_dict)
    if path is not None:
        connection.opened_file = file_identity(path)


def file_identity(path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def drop_stale_connections(check_usable: bool) -> bool:
    """Close connections that can no longer serve; False when an SQLite database file is missing."""
    present = True
    for connection in connections.all(initialized_only=True):
        path = sqlite_file(connection.settings_dict)
        identity = file_identity(path) if path is not None else None
        if path is not None and identity is None:
            present = False
        if connection.connection is None or connection.in_atomic_block:
            continue
        if path is not None:
            if not hasattr(connection, "opened_file"):  # opened before this module was imported
                connection.opened_file = identity
            if identity != connection.opened_file:
                logger.error("The database file %s is missing or was replaced: reconnecting.", path)
                connection.close()
        elif check_usable and not connection.is_usable():
            connection.close()
    return present


def unavailable(request: HttpRequest) -> HttpResponse:
    if request.path_info == reverse("healthz"):  # a load balancer reads the status, an operator the text
        response = HttpResponse("database unreachable\n", status=503, content_type="text/plain")
    else:
        body = loader.get_template("503.html").render({"home_url": reverse("home")})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"
    return response


class DatabaseHealthMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.last_check = threading.local()  # connections are per thread, and so is their check

    def __call__(self, request: HttpRequest) -> HttpResponse:
        staff = request.path_info.startswith(STAFF_PREFIXES)
        now = time.monotonic()
        checked_at = getattr(self.last_check, "at", float("-inf"))
        if staff or now - checked_at >= settings.RULES_VERSION_CHECK_INTERVAL:
            self.last_check.present = drop_stale_connections(check_usable=staff)
            self.last_check.at = now
        if not self.last_check.present:
            # Not even a kept answer: the site must not look up while its database is gone.
            return unavailable(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError | InterfaceError):
            logger.error("Database unavailable for %s: %s", request.path, exception)
            return unavailable(request)
        return None
