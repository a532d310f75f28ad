"""Write one notice as a package (docs/notice-format.md) to standard output."""

from django.core.management import BaseCommand, CommandError

from recognition.models import Notice
from recognition.notice_files import packages


class Command(BaseCommand):
    help = "Write the notice with this number (or slug) as a JSON package to standard output."

    def add_arguments(self, parser):
        parser.add_argument("number", help="the notice's number, e.g. 人社厅发〔2026〕1号, or its slug")

    def handle(self, *args, number: str, **options):
        notice = Notice.objects.filter(number=number).first() or Notice.objects.filter(slug=number).first()
        if notice is None:
            known = "、".join(Notice.objects.values_list("number", flat=True))
            raise CommandError(f"No notice numbered {number!r}. Known: {known}")
        self.stdout.write(packages.dumps(notice), ending="")
