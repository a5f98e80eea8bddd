"""``fangkong audit_verify``: walk the audit trail's hash chain and report the first broken link.

Exit status 0 when the chain holds (the head printed: keep it elsewhere, then ``--expect ID:HASH`` later
shows that nobody rewrote the trail up to there or cut its end), 1 when it is broken.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from fangkong.audit.chain import chain_verify
from fangkong.audit.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; report the first broken event."

    def add_arguments(self, parser):
        parser.add_argument("--expect", metavar="ID:HASH", default="",
                            help="a head printed by an earlier run: that event must still carry that hash")

    def handle(self, *args, expect: str = "", **options):
        report = chain_verify()
        if not report.intact:
            broken = report.first_break
            raise CommandError(f"audit chain broken at event {broken.event_id} ({broken.kind}): {broken.message}; "
                               f"{report.checked - 1} events before it verified")
        if expect:
            event_id, _sep, expected_hash = expect.partition(":")
            if not event_id.isdigit() or len(expected_hash) != 64:
                raise CommandError("--expect takes ID:HASH as printed by an earlier run (a number, a colon, 64 hex digits)")
            stored = AuditEvent.objects.filter(pk=int(event_id)).values_list("event_hash", flat=True).first()
            if stored != expected_hash:
                raise CommandError(f"audit chain rewritten: event {event_id} does not carry the expected hash "
                                   f"{expected_hash[:12]}… ({'missing' if stored is None else stored[:12] + '…'})")
        self.stdout.write(f"audit chain intact: {report.checked} events; head {report.head_id}:{report.head_hash}")
