"""Crypto-shredding (issue 25): a data key per person, wrapped under the persons' keyring, seals the citizen ID
and phone; the look-up hashes move to the keyring epoch's hash key. The identifiers sealed before (``v1:``,
under the key derived from ``PII_KEY``) are opened and sealed again with each person's own key
(``fangkong.persons.shredding.legacy_upgrade``). A database without persons does not touch the keyring."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    from fangkong.persons.shredding import legacy_upgrade

    Person = apps.get_model("persons", "Person")
    if Person.objects.filter(key_epoch=0).exclude(citizen_id_sealed="", phone_sealed="").exists():
        legacy_upgrade(Person)


class Migration(migrations.Migration):

    dependencies = [
        ('persons', '0003_irreversible_masks'),
    ]

    operations = [
        migrations.AddField(
            model_name='person',
            name='key_epoch',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='person',
            name='key_wrapped',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=80),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
