from pathlib import Path

from django.conf import settings
from django.core.management import BaseCommand, call_command

from recognition.models import Notice


class Command(BaseCommand):
    help = "Load the notice's fixtures (fixtures/*.json) into an empty database; never over staff edits."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="load even if a notice is already there")

    def handle(self, *args, force: bool = False, **options):
        if Notice.objects.exists() and not force:
            self.stdout.write("The database already holds a notice: nothing loaded (staff edits are kept).")
            return
        fixtures = sorted(str(path) for path in (Path(settings.BASE_DIR) / "fixtures").glob("*.json"))
        call_command("loaddata", *fixtures, verbosity=options["verbosity"])
        self.stdout.write(self.style.SUCCESS(f"Loaded {len(fixtures)} fixture files."))
