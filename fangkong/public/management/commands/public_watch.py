"""``fangkong public_watch [--url URL] [--no-restore]``: the watcher once (``fangkong.public.watcher``);
exit status 1 when anything was found."""

from django.core.management.base import BaseCommand, CommandError

from fangkong.public.watcher import watch


class Command(BaseCommand):
    help = "Fetch every published file of the public site, check it against the signed manifest, report, restore."

    def add_arguments(self, parser):
        parser.add_argument("--url", default=None, help="base URL of the public site (default: setting PUBLIC_WATCH_URL)")
        parser.add_argument("--no-restore", action="store_true", help="report only; do not restore the snapshot")

    def handle(self, *args, url=None, no_restore=False, **options):
        report = watch(base_url=url, restore=not no_restore)
        for kind, path, detail in report.findings:
            self.stdout.write(f"{kind}\t{path}\t{detail}")
        for line in report.restored:
            self.stdout.write(f"restore\t{line}")
        self.stdout.write(f"checked {report.checked} files, {len(report.findings)} findings, "
                          f"{len(report.restored)} restored")
        if report.findings:
            raise CommandError("the public site differs from its signed manifest")
