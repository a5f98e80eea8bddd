"""Crypto-shredding (issue 25): a data key per listed person seals their citizen ID and phone, as in the registry
(``persons/0004``); the identifiers sealed before are sealed again with each row's own key."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    from fangkong.persons.shredding import legacy_upgrade

    RequestedPerson = apps.get_model("crossregion", "RequestedPerson")
    if RequestedPerson.objects.filter(key_epoch=0).exclude(citizen_id_sealed="", phone_sealed="").exists():
        legacy_upgrade(RequestedPerson)


class Migration(migrations.Migration):

    dependencies = [
        ('crossregion', '0002_outcome_label'),
    ]

    operations = [
        migrations.AddField(
            model_name='requestedperson',
            name='key_epoch',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='requestedperson',
            name='key_wrapped',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=80),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
