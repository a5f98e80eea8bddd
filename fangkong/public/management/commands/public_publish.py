"""``fangkong public_publish``: write the current published edition again from its stored snapshot (after
losing the site or snapshot directory, or on a new host); nothing new is published: the files, manifest and
signature come out byte-identical, which the command checks against the manifest hash recorded at publication."""

from django.core.management.base import BaseCommand, CommandError

from fangkong.public import conf, services, signing, store
from fangkong.public.models import Publication


class Command(BaseCommand):
    help = "Write the published edition's files, manifest and signature again from its stored snapshot."

    def handle(self, *args, **options):
        publication = Publication.objects.filter(status=Publication.Status.PUBLISHED).order_by("-published_at").first()
        if publication is None:
            raise CommandError("no edition is published")
        files, manifest, signature = services.edition_build(publication.snapshot)
        if signing.sha256(manifest) != publication.manifest_sha256:
            raise CommandError("the edition renders differently from when it was published; prepare a new one")
        public_pem = signing.public_pem(signing.private_key_load(conf.signing_key_path()).public_key())
        store.edition_write(files=files, manifest=manifest, signature=signature, public_pem=public_pem,
                            site_dir=conf.site_dir(), snapshot_dir=conf.snapshot_dir())
        self.stdout.write(f"edition {publication.pk}: {len(files)} files written to {conf.site_dir()}")
