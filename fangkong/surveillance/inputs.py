"""Input schemas of sentinel reporting (``fangkong.inputs``): the types only; every rule about the values
(whole numbers, plausible sizes, a date not in the future, the site's indicators, the denominator, at least
one count on a day's sheet) is the services' (``report_submit``, ``site_day_report``, and ``reports_import``,
which applies the same ``_check_values`` to each row of a file)."""

from __future__ import annotations

from rest_framework import serializers


class ReportInput(serializers.Serializer):
    """One daily count of one indicator at a site (the API; a second report of the day corrects it)."""

    site = serializers.IntegerField(help_text="site id")
    indicator = serializers.CharField(max_length=40)
    date = serializers.CharField(max_length=10, help_text="YYYY-MM-DD")
    count = serializers.JSONField()
    denominator = serializers.JSONField(required=False, allow_null=True)


def site_day_input(indicator_codes) -> type[serializers.Serializer]:
    """The daily report page's sheet for a site: the day and, for each indicator the site reports, a count
    and a denominator (``count-<code>``, ``denominator-<code>``), as typed; ``site_day_report`` judges them."""
    fields: dict[str, serializers.Field] = {
        "date": serializers.CharField(required=False, allow_blank=True, max_length=10)}
    for code in indicator_codes:
        fields[f"count-{code}"] = serializers.CharField(required=False, allow_blank=True, max_length=40)
        fields[f"denominator-{code}"] = serializers.CharField(required=False, allow_blank=True, max_length=40)
    return type("SiteDayInput", (serializers.Serializer,), fields)
