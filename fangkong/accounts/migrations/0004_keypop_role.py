# The enterprise contact (企业联络员) among the roles: the key-populations module's employers (issue 28).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_followup_role'),
    ]

    operations = [
        migrations.AlterField(
            model_name='membership',
            name='role',
            field=models.CharField(choices=[('provincial_commander', 'Provincial commander'), ('local_commander', 'City/county commander'), ('epidemiologist', 'Epidemiologist'), ('sentinel_reporter', 'Sentinel reporter'), ('quarantine_manager', 'Quarantine-site manager'), ('community_worker', 'Community worker'), ('inspector', 'Inspector'), ('laboratory', 'Laboratory'), ('analyst', 'Analyst (read-only)'), ('system_administrator', 'System administrator'), ('enterprise_contact', 'Enterprise contact')], max_length=32, verbose_name='role'),
        ),
    ]
