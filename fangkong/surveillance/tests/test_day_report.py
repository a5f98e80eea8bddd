"""A sentinel site's day as one action (issue 15, item 1): ``site_day_report`` owns the transaction and the
rule "enter at least one count", the daily report page only binds its sheet (``inputs.site_day_input``)
and shows the service's verdict; the same count entered on the page, sent to the API (``inputs.ReportInput``)
and imported (``reports_import``) gets the same verdict, the same messages and the same stored report."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fangkong.surveillance.models import SentinelReport
from fangkong.surveillance.services import reports_import, site_day_report

DAY = "2022-03-01"


def test_a_day_without_any_count_is_refused_by_the_service_and_on_the_page(client, futian_reporter, futian_site):
    with pytest.raises(ValidationError) as refused:
        site_day_report(actor=futian_reporter, site_id=futian_site.pk, date=DAY,
                        counts={"fever_clinic_visits": ("", ""), "ili_consultations": (" ", "180")})
    assert refused.value.message_dict == {"__all__": ["Enter at least one count."]}
    client.force_login(futian_reporter)
    response = client.post(reverse("surveillance:report"), {"site": futian_site.pk, "date": DAY,
                                                            "count-fever_clinic_visits": ""})
    with translation.override(django_settings.LANGUAGE_CODE):  # the page speaks Chinese by default
        assert response.status_code == 400 and gettext("Enter at least one count.") in response.content.decode()
    assert SentinelReport.objects.count() == 0


def test_the_day_is_all_or_nothing_with_each_error_under_its_indicator(futian_reporter, futian_site):
    with pytest.raises(ValidationError) as refused:
        site_day_report(actor=futian_reporter, site_id=futian_site.pk, date=DAY,
                        counts={"fever_clinic_visits": ("12", ""), "ili_consultations": ("5", "4")})
    assert refused.value.message_dict == {
        "ili_consultations": ["The denominator cannot be smaller than the count."]}
    assert SentinelReport.objects.count() == 0
    result = site_day_report(actor=futian_reporter, site_id=futian_site.pk, date=DAY,
                             counts={"fever_clinic_visits": ("12", ""), "ili_consultations": ("5", "40")})
    assert (result.created, result.corrected) == (2, 0)
    again = site_day_report(actor=futian_reporter, site_id=futian_site.pk, date=DAY,
                            counts={"fever_clinic_visits": ("13", ""), "ili_consultations": ("", "")})
    assert (again.created, again.corrected) == (0, 1)
    assert dict(SentinelReport.objects.values_list("indicator__code", "count")) == {
        "fever_clinic_visits": 13, "ili_consultations": 5}


def test_a_bad_date_is_judged_even_without_a_count(futian_reporter, futian_site):
    with pytest.raises(ValidationError) as refused:
        site_day_report(actor=futian_reporter, site_id=futian_site.pk, date="2022-02-30", counts={})
    assert refused.value.message_dict == {"date": ["Enter a date as YYYY-MM-DD."],
                                          "__all__": ["Enter at least one count."]}


def test_someone_who_does_not_report_for_the_site_is_refused(futian_commander, futian_site, futian_other_site,
                                                             futian_reporter):
    for actor, site in ((futian_commander, futian_site), (futian_reporter, futian_other_site)):
        with pytest.raises(PermissionDenied):
            site_day_report(actor=actor, site_id=site.pk, date=DAY, counts={"fever_clinic_visits": ("1", "")})
    assert SentinelReport.objects.count() == 0


def _stored():
    report = SentinelReport.objects.first()
    SentinelReport.objects.all().delete()
    return None if report is None else (report.indicator.code, report.date.isoformat(), report.count,
                                        report.denominator)


def _messages(errors: dict) -> list[str]:
    return sorted(m for messages in errors.values() for m in messages)


values = st.one_of(st.sampled_from(["", "0", "3", "12", "12.0", "1.5", "-3", "abc", "10000001", "1e3", " 7 "]),
                   st.integers(0, 300).map(str))


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(indicator=st.sampled_from(["fever_clinic_visits", "ili_consultations"]), count=values,
       denominator=st.one_of(st.just(""), values),
       day=st.sampled_from([DAY, "2022-02-30", "2030-01-01", "yesterday", "2021-12-31"]))
def test_page_api_and_import_give_the_same_verdict_and_the_same_report(futian_reporter, futian_site, shenzhen_epi,
                                                                       indicator, count, denominator, day):
    client = Client()
    client.force_login(futian_reporter)
    page = client.post(reverse("surveillance:report"),
                       {"site": futian_site.pk, "date": day, f"count-{indicator}": count,
                        f"denominator-{indicator}": denominator})
    assert page.status_code in (302, 400)
    page_verdict = page.status_code == 302
    page_messages = [] if page_verdict else sorted(
        m for row in page.context["rows"] for m in row["errors"]) + sorted(page.context["date_errors"]) + sorted(
        page.context["non_field_errors"])
    page_stored = _stored()

    api = client.post(reverse("surveillance-api:report-list"),
                      {"site": futian_site.pk, "indicator": indicator, "date": day, "count": count,
                       "denominator": denominator or None}, content_type="application/json")
    assert api.status_code in (200, 201, 400), api.content
    api_verdict = api.status_code != 400
    api_messages = [] if api_verdict else _messages(api.json()["error"]["fields"])
    assert (api_verdict, _stored()) == (page_verdict, page_stored)

    try:
        reports_import(actor=shenzhen_epi, rows=[{"site": futian_site.code, "indicator": indicator, "date": day,
                                                  "count": count, "denominator": denominator}])
        import_messages = []
    except ValidationError as exc:
        import_messages = sorted(line.split(": ", 1)[1] for line in exc.message_dict["row 1"])
    assert (not import_messages, _stored()) == (page_verdict, page_stored)
    if count.strip():  # an empty count: the page's "at least one count", the others' "required"
        assert sorted(page_messages) == sorted(set(api_messages)) == sorted(set(import_messages))
