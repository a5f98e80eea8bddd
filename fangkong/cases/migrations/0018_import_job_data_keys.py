"""Crypto-shredding of import files (issue 25): a job's uploaded file and its name are sealed with a data key of
the job's own, wrapped under the persons' keyring, so that a keyring rotation shreds the copies a dump holds
(``fangkong.cases.jobs``). The files and names sealed before (``v1:``, under the key derived from ``PII_KEY``, or
names in clear) are sealed again with each job's key (``jobs.import_jobs_legacy_upgrade``). A database without
import jobs does not touch the keyring."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    from fangkong.cases.jobs import import_jobs_legacy_upgrade

    ImportJob = apps.get_model("cases", "ImportJob")
    if ImportJob.objects.filter(key_epoch=0).exists():
        import_jobs_legacy_upgrade(ImportJob)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0017_number_sequence_kind_contact_release'),
    ]

    operations = [
        migrations.AddField(
            model_name='importjob',
            name='key_epoch',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='importjob',
            name='key_wrapped',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=80),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
