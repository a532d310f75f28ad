"""A notice as a file: one JSON package holding a notice, its clauses, new certificates, rules and levels.

The format is described in docs/notice-format.md. A package refers to shared
reference data (departments, occupations, skill levels, provinces) and to
certificates already in the database by slug, name or code. Each field is
described once, in recognition.rules.fields; the modules here loop over it:

- `read`: `parse(text)` and `prepare(data)`, which checks a package's shape and
  references and returns it in canonical form (every optional key filled in),
  or raises `PackageError` with every problem;
- `check`: the refusals (`PackageError`, the size limit, the model's checks);
- `diff`: what the database holds for a package, and what loading it changes;
- `dump`: `dump(notice)` writes a notice in that same canonical form;
- `write`: `load(data, replace=...)` writes a package in one transaction:
  unchanged packages write nothing; a changed one needs `replace`; every row
  goes through the checks the admin makes (`recognition.rules.checks`), and if
  any row is refused nothing is written.

This module is what the management commands and the admin import call.
"""

from recognition.notice_files.check import MAX_BYTES, PackageError, Problems
from recognition.notice_files.diff import changes, current
from recognition.notice_files.dump import dump, dump_certificate, dumps, new_certificates
from recognition.notice_files.read import parse, prepare, suggest_label
from recognition.notice_files.write import Result, load
from recognition.rules.fields import FORMAT

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "PackageError",
    "Problems",
    "Result",
    "changes",
    "current",
    "dump",
    "dump_certificate",
    "dumps",
    "load",
    "new_certificates",
    "parse",
    "prepare",
    "suggest_label",
]
