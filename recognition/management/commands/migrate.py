"""Django's migrate, which alone may create the embedded SQLite database file.

The site opens its SQLite file without create (config.database), so that a
missing file is reported instead of silently replaced by an empty database.
"""

from __future__ import annotations

import sqlite3

from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections

from config.database import sqlite_file


class Command(MigrateCommand):
    def handle(self, *args, **options):
        path = sqlite_file(connections[options["database"]].settings_dict)
        if path is not None and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            sqlite3.connect(path).close()
            if options["verbosity"] >= 1:
                self.stdout.write(f"Created the SQLite database {path}")
        return super().handle(*args, **options)
