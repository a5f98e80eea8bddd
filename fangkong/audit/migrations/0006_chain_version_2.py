"""Version 2 of the hash chain (``fangkong.audit.chain``): ``chain_version`` and ``content_digest``.

Existing events stay version 1 (``default=1``); events written from now on are version 2. The index on
(object type, object id) finds the events about a purged record."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_action_lookup")]

    operations = [
        migrations.AddField(
            model_name="auditevent", name="chain_version",
            field=models.PositiveSmallIntegerField(default=1, editable=False, verbose_name="chain version")),
        migrations.AddField(
            model_name="auditevent", name="content_digest",
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="content digest")),
        migrations.AddIndex(model_name="auditevent",
                            index=models.Index(fields=["object_type", "object_id"], name="audit_object")),
    ]
