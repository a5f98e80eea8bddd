"""The default retention policies (``fangkong.retention.policies.DEFAULTS``), so that a new installation starts
with one policy per data category; administrators change them in the platform (four eyes)."""

from django.db import migrations


def seed(apps, schema_editor):
    from fangkong.retention.policies import DEFAULTS

    RetentionPolicy = apps.get_model("retention", "RetentionPolicy")
    for category, values in DEFAULTS.items():
        RetentionPolicy.objects.get_or_create(category=category, defaults={k: str(v) if k in ("clock", "action")
                                                                           else v for k, v in values.items()})


class Migration(migrations.Migration):
    dependencies = [("retention", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
