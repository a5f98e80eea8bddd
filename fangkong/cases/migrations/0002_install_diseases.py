"""Install the notifiable-disease table (COVID-19 managed as class A until 7 January 2023)."""

from django.db import migrations


def install(apps, schema_editor):
    from fangkong.cases.diseases import install_diseases

    install_diseases(apps.get_model("cases", "Disease"), apps.get_model("cases", "DiseaseStatus"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
