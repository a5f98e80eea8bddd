"""Install the testing rules of ``fangkong.keypopulations.rules`` (idempotent)."""

from django.db import migrations


def install(apps, schema_editor):
    from fangkong.keypopulations.rules import install_rules

    install_rules(apps.get_model("keypopulations", "TestingRule"), apps.get_model("protocols", "ProtocolVersion"))


class Migration(migrations.Migration):
    dependencies = [("keypopulations", "0001_initial"), ("protocols", "0002_install_editions")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
