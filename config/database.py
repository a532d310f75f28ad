"""The database settings, from DATABASE_URL or the embedded SQLite file.

SQLite is opened in WAL mode (readers never wait for a writer) with a busy
timeout, and every transaction takes the write lock when it starts
(`BEGIN IMMEDIATE`): a second editor's save then waits for the first one
instead of failing at once with "database is locked".

The serving process never creates the SQLite file: it is opened with
`mode=rw`, so a missing file is an error (/healthz answers 503, pages a
Chinese 503 page) instead of a new empty database. Only `manage.py migrate`
creates it (recognition/management/commands/migrate.py).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import dj_database_url

# Seconds a writer waits for another writer's transaction before giving up.
SQLITE_BUSY_TIMEOUT = 20


def database_settings(url: str, *, conn_max_age: int = 60, conn_health_checks: bool = False) -> dict:
    settings = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=conn_health_checks)
    if settings["ENGINE"] == "django.db.backends.sqlite3" and settings["NAME"] not in ("", ":memory:"):
        path = Path(settings["NAME"]).resolve()
        settings["NAME"] = f"file:{quote(str(path))}?mode=rw"
        settings["OPTIONS"] = {
            "timeout": SQLITE_BUSY_TIMEOUT,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            **settings.get("OPTIONS", {}),
        }
    return settings


def sqlite_file(settings_dict: dict) -> Path | None:
    """The file of an SQLite database that must already exist (opened with mode=rw), else None."""
    name = str(settings_dict.get("NAME") or "")
    if settings_dict.get("ENGINE") != "django.db.backends.sqlite3" or not name.startswith("file:"):
        return None
    parts = urlsplit(name)
    if parse_qs(parts.query).get("mode") != ["rw"]:
        return None
    return Path(unquote(parts.path))
