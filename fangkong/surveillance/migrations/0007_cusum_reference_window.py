"""CUSUM's moving reference moved into fangkong.epi (``CusumControl.reference_window``): a stored
configuration's ``reference_days`` becomes ``reference_window`` (same meaning: the days whose mean is the
reference of each evaluated day)."""

from django.db import migrations


def rename(apps, old: str, new: str) -> None:
    DetectionConfig = apps.get_model("surveillance", "DetectionConfig")
    for config in DetectionConfig.objects.filter(method="cusum"):
        if old in config.parameters:
            config.parameters[new] = config.parameters.pop(old)
            config.save(update_fields=["parameters"])


def forwards(apps, schema_editor):
    rename(apps, "reference_days", "reference_window")


def backwards(apps, schema_editor):
    rename(apps, "reference_window", "reference_days")


class Migration(migrations.Migration):
    dependencies = [("surveillance", "0006_alert_case_earlies_target")]

    operations = [migrations.RunPython(forwards, backwards)]
