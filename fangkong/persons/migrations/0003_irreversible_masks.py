"""Masks nothing else shown can undo (issue 13): a citizen ID mask keeps its six region digits only (the birth
date and the last four digits together gave the number back), a phone mask its last four digits only."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Right, Substr


def forwards(apps, schema_editor):
    Person = apps.get_model("persons", "Person")
    Person.objects.exclude(citizen_id_masked="").update(
        citizen_id_masked=Concat(Substr("citizen_id_masked", 1, 6), Value("*" * 12)))
    Person.objects.filter(phone_masked__startswith="+86 ").update(
        phone_masked=Concat(Value("+86 " + "*" * 7), Right("phone_masked", 4)))
    Person.objects.exclude(phone_masked="").exclude(phone_masked__startswith="+86 ").update(
        phone_masked=Concat(Value("+" + "*" * 8), Right("phone_masked", 4)))


class Migration(migrations.Migration):
    dependencies = [("persons", "0002_equality_only_indexes")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
