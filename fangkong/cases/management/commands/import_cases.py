"""``fangkong import_cases FILE --kind cases|contacts --user NAME``: import a CSV/XLSX with progress.

The same validation as the page and the API (every row checked, nothing saved if any row fails, rows
already imported skipped), run in this process with a progress line on stderr.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fangkong.accounts.models import User
from fangkong.cases import imports


class Command(BaseCommand):
    help = "Import cases or contacts from a CSV or XLSX file, as the given user (within that user's scope)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--kind", choices=sorted(imports.COLUMNS), default="cases")
        parser.add_argument("--user", required=True, help="the user the import is made as (scope and audit)")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        actor = User.objects.filter(username=options["user"]).first()
        if actor is None:
            raise CommandError(f"no such user: {options['user']}")

        def progress(done: int, total: int) -> None:
            self.stderr.write(f"\rchecked {done:,} of {total:,} rows ({100 * done // max(total, 1)}%)"
                              + ("; saving ..." if done >= total else ""), ending="")
            self.stderr.flush()

        rows = imports.read_table(path.read_bytes(), path.name)
        run = imports.cases_import if options["kind"] == "cases" else imports.contacts_import
        try:
            outcome = run(actor=actor, rows=rows, source=path.name, progress=progress)
        except imports.ImportRejected as exc:
            self.stderr.write("")
            for error in exc.errors[:50]:
                self.stderr.write(f"row {error['row']}, {error['column'] or '-'}: {error['message']}")
            raise CommandError(f"nothing imported: {len(exc.errors)} error(s)") from exc
        self.stderr.write("")
        self.stdout.write(f"{outcome.created} created, {outcome.existing} already there, "
                          f"{outcome.persons_created} persons registered")
