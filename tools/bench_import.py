"""Time the admin import preview of a 1,000-row file (`make bench-import`). A measurement, not a test.

Runs the site's settings on a fresh SQLite database in a temporary folder
(or BENCH_DATABASE_URL), with the notice loaded, and posts files to the rule
import as a logged-in administrator would, timing each preview:

- refused: 1,000 published rows over the 30 ordered pairs (most clash);
- new: 1,000 draft rows (all valid, all new);
- unchanged: those 1,000 rules exported and imported back;
- changed: the same with every row's 依据原文 changed.

Usage: tools/bench_import.py [--rows N] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import html
import itertools
import os
import pstats
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--profile", choices=["refused", "new", "unchanged", "changed"], help="print where it goes")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    os.environ.setdefault("DATABASE_URL", os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder / 'db.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-import-" + "x" * 40)
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("IMPORT_UPLOAD_DIR", str(folder / "uploads"))
    os.environ.setdefault("IMPORT_MAX_ROWS", str(max(args.rows, 2000)))

    import django

    django.setup()
    import tablib
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    from recognition.models import Certificate, RecognitionRule
    from recognition.staff.resources import COLUMNS, RecognitionRuleResource

    call_command("migrate", verbosity=0)
    call_command("load_notice", verbosity=0)
    admin = User.objects.create_superuser("bench", password="bench-password-" + "x" * 20)
    client = Client()
    client.force_login(admin)
    rules_url = "/admin/recognition/recognitionrule/"

    def preview(name: str, dataset: tablib.Dataset):
        profile = args.profile == name
        content = dataset.export("csv").encode("utf-8-sig")
        data = {"format": "0", "resource": "0", "import_file": SimpleUploadedFile("rules.csv", content)}
        profiler = cProfile.Profile() if profile else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        response = client.post(f"{rules_url}import/", data)
        if profiler:
            profiler.disable()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert response.status_code == 200, response.status_code
        page = response.content.decode()
        found = re.search(r"新增 \d+ 行,修改 \d+ 行,没有变化 \d+ 行|有 \d+ 行不能通过检查", page)
        totals = found.group(0) if found else "?"
        size = f"{len(content) / 1024:>6.0f} KB"
        print(f"{name:<10} {len(dataset):>6} rows  {size}  {elapsed:>6.2f} s  {cpu:>6.2f} s  {totals}")
        if profiler:
            stats = pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative"))
            stats.print_stats(int(os.environ.get("BENCH_LINES", "25")))
        return response

    headers = list(COLUMNS.values())
    base = dict(zip(headers, RecognitionRuleResource().export()[0], strict=True))
    slugs = list(Certificate.objects.order_by("slug").values_list("slug", flat=True))
    first_step = {
        certificate.slug: certificate.steps.order_by("order", "pk").first().name
        for certificate in Certificate.objects.prefetch_related("steps")
    }
    pairs = [(a, b) for a, b in itertools.permutations(slugs, 2)]

    def rows(publication: str) -> tablib.Dataset:
        dataset = tablib.Dataset(headers=headers)
        for serial, (held, target) in zip(range(8, 8 + args.rows), itertools.cycle(pairs)):
            row = dict(base, **{COLUMNS["serial"]: serial, COLUMNS["held"]: held, COLUMNS["target"]: target})
            row[COLUMNS["waived"]], row[COLUMNS["remaining"]] = first_step[target], ""
            row[COLUMNS["publication"]] = publication
            dataset.append([row[header] for header in headers])
        return dataset

    print(f"Import preview of {args.rows} rows (database: {django.db.connection.vendor}); CSV through the admin view")
    with override_settings(DEBUG=False):
        print(f"{'file':<10} {'rows':>11} {'size':>9} {'wall':>8} {'CPU':>8}  outcome")
        preview("refused", rows("已发布"))
        response = preview("new", rows("草稿"))
        hidden = re.findall(r'<input type="hidden"[^>]*>', response.content.decode())
        fields = dict(re.search(r'name="([^"]+)" value="([^"]*)"', tag).groups() for tag in hidden)
        confirmed = client.post(f"{rules_url}process_import/", {k: html.unescape(v) for k, v in fields.items()})
        assert confirmed.status_code == 302, sorted(fields)
        assert RecognitionRule.objects.count() >= args.rows
        exported = RecognitionRuleResource().export()
        preview("unchanged", exported)
        quote = headers.index(COLUMNS["quote"])
        changed = tablib.Dataset(
            *[[*row[:quote], f"{row[quote]}(改)", *row[quote + 1 :]] for row in exported], headers=exported.headers
        )
        preview("changed", changed)


if __name__ == "__main__":
    main()
