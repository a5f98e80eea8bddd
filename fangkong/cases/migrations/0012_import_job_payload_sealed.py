"""Uploaded import files kept only sealed, and only while their job may run: the files of finished jobs
are dropped, those of jobs still queued or running are sealed (``fangkong.cases.jobs``)."""

from django.db import migrations

from fangkong.persons import protection

PAYLOAD = "cases.importjob.data"  # fangkong.cases.jobs.PAYLOAD


def seal_or_drop(apps, schema_editor):
    ImportJob = apps.get_model("cases", "ImportJob")
    ImportJob.objects.filter(status__in=["done", "failed"]).exclude(data=b"").update(data=b"")
    for pk, data in ImportJob.objects.filter(status__in=["queued", "running"]).values_list("pk", "data"):
        data = bytes(data)
        if data and not data.startswith(b"v1:"):
            ImportJob.objects.filter(pk=pk).update(data=protection.seal(data, PAYLOAD))


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_caseearlies")]
    operations = [migrations.RunPython(seal_or_drop, migrations.RunPython.noop)]
