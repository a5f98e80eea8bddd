"""Crypto-shredding (issue 25): a data key per traveller seals the document number, and its hash moves to the
keyring epoch's hash key, as in the registry (``persons/0004``); the numbers sealed before are sealed again
with each row's own key."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    from fangkong.persons.shredding import legacy_upgrade

    Traveller = apps.get_model("inbound", "Traveller")
    if Traveller.objects.filter(key_epoch=0).exclude(id_sealed="").exists():
        legacy_upgrade(Traveller)


class Migration(migrations.Migration):

    dependencies = [
        ('inbound', '0003_alter_loopbreak_closed_by_and_more'),
    ]

    operations = [
        migrations.AddField(
            model_name='traveller',
            name='key_epoch',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='traveller',
            name='key_wrapped',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=80),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
