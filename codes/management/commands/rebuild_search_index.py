from django.core.management.base import BaseCommand, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from codes import derived
from codes.models import SearchEntry


class Command(BaseCommand):
    help = (
        "Make the search index and the triggers that keep it (and the content version's) anew "
        "from the kinds of content as they are now (codes/kinds.py). `migrate` does it when "
        "needed; this is for a database whose index was changed by hand."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *, database: str, **options) -> None:
        derived.install(connections[database])
        if options["verbosity"] >= 1:
            entries = SearchEntry.objects.using(database).count()
            kinds = SearchEntry.objects.using(database).values("kind").distinct().count()
            self.stdout.write(f"Rebuilt the search index: {entries:,} entries of {kinds} kinds.")
