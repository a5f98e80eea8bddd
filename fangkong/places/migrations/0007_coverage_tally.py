"""The coverage tally (``places.tally``), filled from the register as it is: places by county, category,
inspected or never, next due day; unfinished orders by their place's county and category and their
deadline. (The grouping of ``tally.rebuild``, on the historical models.)"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, Q

UNFINISHED = ("open", "rectifying", "reopened", "overdue")


def fill(apps, schema_editor):
    Place = apps.get_model("places", "Place")
    Rectification = apps.get_model("places", "Rectification")
    CoverageTally = apps.get_model("places", "CoverageTally")
    rows = []
    for r in Place.objects.order_by().values("county_id", "category", "next_due_on").annotate(
            inspected=Count("id", filter=Q(last_inspected_on__isnull=False)),
            never=Count("id", filter=Q(last_inspected_on__isnull=True))):
        rows += [CoverageTally(county_id=r["county_id"], category=r["category"], kind=kind, due_on=r["next_due_on"],
                               count=r[kind]) for kind in ("inspected", "never") if r[kind]]
    rows += [CoverageTally(county_id=r["place__county_id"], category=r["place__category"], kind="order",
                           due_on=r["deadline"], count=r["n"])
             for r in Rectification.objects.order_by().filter(state__in=UNFINISHED)
             .values("place__county_id", "place__category", "deadline").annotate(n=Count("id"))]
    CoverageTally.objects.bulk_create(rows, batch_size=2000)


class Migration(migrations.Migration):

    dependencies = [
        ('places', '0006_finding_photo'),
        ('regions', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='CoverageTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('category', models.CharField(choices=[('port', 'Port'), ('cold_chain', 'Cold-chain warehouse'), ('farmers_market', "Farmers' market"), ('supermarket', 'Supermarket'), ('school', 'School'), ('elderly_care', 'Elderly-care home'), ('medical', 'Medical institution or fever clinic'), ('quarantine_hotel', 'Quarantine hotel'), ('construction', 'Construction site'), ('public_transport', 'Public transport')], max_length=24)),
                ('kind', models.CharField(choices=[('inspected', 'Inspected places'), ('never', 'Places never inspected'), ('order', 'Unfinished rectification orders')], max_length=10)),
                ('due_on', models.DateField()),
                ('count', models.IntegerField(default=0)),
                ('county', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='regions.region')),
            ],
            options={
                'verbose_name': 'coverage tally',
                'constraints': [models.UniqueConstraint(fields=('county', 'category', 'kind', 'due_on'), name='coverage_tally_key')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
