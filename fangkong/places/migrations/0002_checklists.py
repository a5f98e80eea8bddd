"""The first checklist version of every category, in force from 2020-01-01."""

import datetime as dt

from django.db import migrations


def load(apps, schema_editor):
    from fangkong.places.checklists import OWN, first_version_items

    ChecklistVersion = apps.get_model("places", "ChecklistVersion")
    for category in OWN:
        ChecklistVersion.objects.get_or_create(category=category, version=1, defaults={
            "effective_from": dt.date(2020, 1, 1), "items": first_version_items(category)})


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
