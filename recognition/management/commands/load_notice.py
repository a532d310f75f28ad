"""Load notice packages (docs/notice-format.md); with no file, the shared data and 1号 into an empty database."""

from pathlib import Path

from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command
from django.db import transaction

from recognition.models import Notice
from recognition.notice_files import packages

FIXTURES = Path(settings.BASE_DIR) / "fixtures"


class Command(BaseCommand):
    help = (
        "Load notice packages (JSON, docs/notice-format.md). Without FILE: load the shared reference data "
        "(fixtures/reference.json), every package in fixtures/notices/, fixtures/certificate-facts.json and "
        "fixtures/next-steps.json into an empty database; never over staff edits unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", metavar="FILE", help="notice packages to load")
        parser.add_argument(
            "--replace", action="store_true", help="replace a notice of the same number (prints what changes first)"
        )
        parser.add_argument("--dry-run", action="store_true", help="check and show the changes; write nothing")
        parser.add_argument(
            "--force",
            action="store_true",
            help="without FILE: load fixtures/ even if a notice is already there, replacing what they hold",
        )

    def handle(self, *args, files=(), replace=False, dry_run=False, force=False, **options):
        if not files:
            self.load_fixtures(force, options["verbosity"])
            return
        try:
            with transaction.atomic():
                for name in files:
                    self.load_file(Path(name), replace=replace, dry_run=dry_run)
        except packages.PackageError as error:
            raise CommandError("Refused; nothing was written:\n" + "\n".join(error.problems)) from None

    def load_file(self, path: Path, *, replace: bool, dry_run: bool, comment: str = "从通知文件载入") -> None:
        try:
            data = packages.parse(path.read_bytes())
        except OSError as error:
            raise CommandError(f"{path}: {error}") from None
        result = packages.load(data, replace=replace, dry_run=dry_run, history_comment=comment)
        if result.action == "unchanged":
            self.stdout.write(f"{path}: {result.number} is already loaded as in the file; nothing changed.")
            return
        for line in result.changes:
            self.stdout.write(f"  {line}")
        verb = {
            "created": "would load" if dry_run else "loaded",
            "replaced": "would replace" if dry_run else "replaced",
        }
        self.stdout.write(self.style.SUCCESS(f"{path}: {verb[result.action]} {result.number}."))

    def load_fixtures(self, force: bool, verbosity: int) -> None:
        if Notice.objects.exists() and not force:
            self.stdout.write("The database already holds a notice: nothing loaded (staff edits are kept).")
            return
        notices = sorted((FIXTURES / "notices").glob("*.json"))
        with transaction.atomic():
            call_command("loaddata", str(FIXTURES / "reference.json"), verbosity=verbosity)
            for path in notices:
                result = packages.load(packages.parse(path.read_bytes()), replace=force)
                if verbosity:
                    self.stdout.write(f"{path.relative_to(FIXTURES.parent)}: {result.number} {result.action}.")
            call_command("loaddata", str(FIXTURES / "certificate-facts.json"), verbosity=verbosity)
            call_command("loaddata", str(FIXTURES / "next-steps.json"), verbosity=verbosity)
        self.stdout.write(self.style.SUCCESS(f"Loaded the reference data and {len(notices)} notice package(s)."))
