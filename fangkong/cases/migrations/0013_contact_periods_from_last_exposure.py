"""Contacts' release dates and test schedules counted again from the last exposure (the protocols' rule),
no longer from the day of quarantine or listing (``fangkong.protocols.periods``)."""

from django.db import migrations
from django.utils import timezone


def recount(apps, schema_editor):
    from fangkong.protocols.periods import contact_plan

    Contact = apps.get_model("cases", "Contact")
    protocols = {p.pk: p for p in apps.get_model("protocols", "ProtocolVersion").objects.all()}
    last = 0
    while True:
        rows = list(Contact.objects.filter(pk__gt=last).order_by("pk")
                    .only("pk", "protocol_id", "category", "exposure_end", "listed_date", "listed_at")[:2000])
        if not rows:
            return
        for row in rows:
            listed = row.listed_date or timezone.localtime(row.listed_at).date()
            row.test_schedule, row.release_due = contact_plan(protocols[row.protocol_id], row.category,
                                                              exposure_end=row.exposure_end, listed_date=listed)
        Contact.objects.bulk_update(rows, ["test_schedule", "release_due"])
        last = rows[-1].pk


class Migration(migrations.Migration):
    dependencies = [("cases", "0012_import_job_payload_sealed"), ("protocols", "0003_protocolversion_citations")]
    operations = [migrations.RunPython(recount, migrations.RunPython.noop, elidable=True)]
