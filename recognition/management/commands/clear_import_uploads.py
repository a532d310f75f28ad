"""Remove import uploads that were never confirmed (older than an hour, or all with --all)."""

from django.core.management.base import BaseCommand

from recognition.staff.uploads import ABANDONED_AFTER, remove_abandoned, upload_dir


class Command(BaseCommand):
    help = "Remove import uploads that were never confirmed: those older than an hour, or all of them with --all."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="also those less than an hour old")

    def handle(self, *args, **options):
        removed = remove_abandoned(0 if options["all"] else ABANDONED_AFTER)
        self.stdout.write(f"Removed {removed} upload(s) from {upload_dir()}.")
