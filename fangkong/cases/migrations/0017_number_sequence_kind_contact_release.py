"""Readable contact numbers and early release (issue 16).

- The case-number counter becomes the counter of every readable number (``NumberSequence``, by kind):
  contacts are numbered ``440304-2022-M00123`` like cases. Contacts that carry the old generated number
  (``K-<timestamp>-<n>``) are renumbered by managing county and year of listing, in listing order; imported
  numbers are kept.
- ``Contact.released_at``: when management ended before its due date (released early, lost to follow-up),
  filled for the contacts already released or lost before their due date with the time of their last change.
- An index for the count of contacts in quarantine on a day (the dashboard).
"""

import re

from django.db import migrations, models
from django.utils import timezone

GENERATED = re.compile(r"K-\d{20}-\d+")


def renumber_and_release(apps, schema_editor):
    Contact = apps.get_model("cases", "Contact")
    NumberSequence = apps.get_model("cases", "NumberSequence")
    taken = set(Contact.objects.exclude(contact_no__startswith="K-").filter(contact_no__contains="-M")
                .values_list("contact_no", flat=True))
    old = [c for c in Contact.objects.filter(contact_no__startswith="K-").order_by("listed_at", "id")
           .only("id", "contact_no", "region_id", "listed_at", "listed_date") if GENERATED.fullmatch(c.contact_no)]
    counters: dict = {}
    for contact in old:
        day = contact.listed_date or timezone.localtime(contact.listed_at).date()
        key = (contact.region_id[:6], day.year)
        if key not in counters:
            row = NumberSequence.objects.filter(kind="contact", county=key[0], year=key[1]).first()
            counters[key] = row.last if row else 0
        while True:
            counters[key] += 1
            number = f"{key[0]}-{key[1]}-M{counters[key]:05d}"
            if number not in taken:
                break
        taken.add(number)
        Contact.objects.filter(pk=contact.pk).update(contact_no=number)
    for (county, year), last in counters.items():
        NumberSequence.objects.update_or_create(kind="contact", county=county, year=year, defaults={"last": last})
    for contact in Contact.objects.filter(status__in=("released", "lost"), released_at__isnull=True,
                                          release_due__isnull=False).only("id", "updated_at", "release_due"):
        if timezone.localtime(contact.updated_at).date() < contact.release_due:
            Contact.objects.filter(pk=contact.pk).update(released_at=contact.updated_at)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0016_alter_caseearlies_options_and_more'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='casenumbersequence',
            name='case_number_sequence_once',
        ),
        migrations.RenameModel('CaseNumberSequence', 'NumberSequence'),
        migrations.AlterModelOptions(
            name='numbersequence',
            options={'verbose_name': 'number sequence'},
        ),
        migrations.AddField(
            model_name='numbersequence',
            name='kind',
            field=models.CharField(choices=[('case', 'case'), ('contact', 'contact')], default='case', max_length=8,
                                   verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='numbersequence',
            name='county',
            field=models.CharField(max_length=6, verbose_name='county'),
        ),
        migrations.AlterField(
            model_name='numbersequence',
            name='year',
            field=models.PositiveSmallIntegerField(verbose_name='year'),
        ),
        migrations.AlterField(
            model_name='numbersequence',
            name='last',
            field=models.PositiveIntegerField(default=0, verbose_name='last number drawn'),
        ),
        migrations.AddConstraint(
            model_name='numbersequence',
            constraint=models.UniqueConstraint(fields=('kind', 'county', 'year'), name='number_sequence_once'),
        ),
        migrations.AddField(
            model_name='contact',
            name='released_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='management ended'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['release_due', 'region', 'quarantined_at', 'released_at', 'converted_case'],
                               name='contact_quarantined_on'),
        ),
        migrations.RunPython(renumber_and_release, migrations.RunPython.noop),
    ]
