"""``fangkong places_overdue``: the periodic job of the places module, from cron (no broker)."""

from django.core.management.base import BaseCommand

from fangkong.places.services import overdue_mark


class Command(BaseCommand):
    help = "Mark rectification orders past their deadline overdue; count places overdue for inspection."

    def handle(self, *args, **options):
        self.stdout.write(str(overdue_mark()))
