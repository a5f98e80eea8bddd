"""The editions' own words (``fangkong.protocols.editions.CITATIONS``) stored with their rules."""

from django.db import migrations, models


def install(apps, schema_editor):
    from fangkong.protocols.editions import install_citations

    install_citations(apps.get_model("protocols", "ProtocolVersion"))


class Migration(migrations.Migration):
    dependencies = [("protocols", "0002_install_editions")]
    operations = [
        migrations.AddField(
            model_name="protocolversion", name="citations",
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name="citations"),
        ),
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
