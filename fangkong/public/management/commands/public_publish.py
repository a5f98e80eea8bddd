"""``fangkong public_publish``: write the current published edition again from its stored snapshot (after
losing the site or snapshot directory, or on a new host); nothing new is published: the files, manifest and
signature come out byte-identical, which the command checks against the manifest hash recorded at publication."""

from django.core.management.base import BaseCommand, CommandError

from fangkong.public import conf, services


class Command(BaseCommand):
    help = "Write the published edition's files, manifest and signature again from its stored snapshot."

    def handle(self, *args, **options):
        publication = services.publication_latest()
        if publication is None:
            raise CommandError("no edition is published")
        try:
            count = services.edition_rewrite(publication)
        except services.PublicationStateError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"edition {publication.serial} (#{publication.pk}): {count} files written to {conf.site_dir()}")
