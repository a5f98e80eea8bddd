"""Compliance per person and stretch of membership, independent of the day it was computed (issue 28: the
morning recomputation of everyone is gone). The rows are derived data: the old table is dropped and the new
one filled from the rosters, frequencies and tests (only where there are rosters: a fresh database has none,
so this never runs the module's SQL against an older schema). On PostgreSQL the table leaves a quarter of
each page free, so that the daily update of the persons tested stays on its page (no index holds the
columns it writes)."""

import django.db.models.deletion
from django.db import migrations, models


def rebuild(apps, schema_editor):
    if not apps.get_model("keypopulations", "RosterEntry").objects.exists():
        return
    from fangkong.keypopulations.compliance import refresh

    refresh()


def fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE keypopulations_compliance SET (fillfactor = 75)")


class Migration(migrations.Migration):

    dependencies = [
        ('keypopulations', '0004_workplaceflag'),
        ('persons', '0003_irreversible_masks'),
    ]

    operations = [
        migrations.DeleteModel(name='Compliance'),
        migrations.CreateModel(
            name='Compliance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('stretch_from', models.DateField(verbose_name='on the rosters from')),
                ('stretch_until', models.DateField(blank=True, null=True, verbose_name='on the rosters until')),
                ('prior_from', models.DateField(blank=True, null=True, verbose_name='the frequency before from')),
                ('prior_days', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='the frequency before (days)')),
                ('steady_from', models.DateField(verbose_name='one frequency from')),
                ('steady_days', models.PositiveSmallIntegerField(verbose_name='frequency from then on (days)')),
                ('last_test_on', models.DateField(blank=True, null=True, verbose_name='last test')),
                ('interval_days', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='strictest frequency (days)')),
                ('next_due_on', models.DateField(blank=True, null=True, verbose_name='next test due')),
                ('positive_on', models.DateField(blank=True, null=True, verbose_name='positive on')),
                ('person', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='persons.person', verbose_name='person')),
            ],
            options={
                'verbose_name': 'testing compliance',
                'verbose_name_plural': 'testing compliance',
                'ordering': ['person_id', 'stretch_from'],
                'constraints': [models.UniqueConstraint(fields=('person', 'stretch_from'), name='keypop_compliance_stretch')],
            },
        ),
        migrations.RunPython(fillfactor, migrations.RunPython.noop),
        migrations.RunPython(rebuild, migrations.RunPython.noop),
    ]
