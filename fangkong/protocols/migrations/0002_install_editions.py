"""Install the 8th edition, the 9th edition and the November 2022 measures (DESIGN.md §8)."""

from django.db import migrations


def install(apps, schema_editor):
    from fangkong.protocols.editions import install_editions

    install_editions(apps.get_model("protocols", "ProtocolVersion"))


class Migration(migrations.Migration):
    dependencies = [("protocols", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
