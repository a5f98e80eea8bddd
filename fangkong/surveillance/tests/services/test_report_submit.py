"""report_submit: a reporter reports for its own site only; bad input is refused and changes nothing;
the same site, indicator and day again is a correction that keeps the previous value."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.surveillance.models import SentinelReport, SentinelReportRevision
from fangkong.surveillance.services import report_submit

DAY = dt.date(2022, 3, 1)


def submit(user, site, **overrides):
    values = {"site_id": site.pk, "indicator_code": "fever_clinic_visits", "date": DAY, "count": 12}
    values.update(overrides)
    return report_submit(actor=user, **values)


def test_a_reporter_submits_for_its_own_site(futian_reporter, futian_site):
    result = submit(futian_reporter, futian_site)
    assert result.created
    report = SentinelReport.objects.get()
    assert (report.site, report.count, report.date, report.reported_by) == (futian_site, 12, DAY, futian_reporter)
    assert report.region_id == "440304"
    assert AuditEvent.objects.filter(action="create", object_type="surveillance.sentinelreport").count() == 1


def test_a_reporter_cannot_submit_for_another_site_of_its_county(futian_reporter, futian_other_site):
    with pytest.raises(PermissionDenied):
        submit(futian_reporter, futian_other_site)
    assert SentinelReport.objects.count() == 0


def test_a_site_outside_the_reporters_region_is_unknown_to_it(futian_reporter, guangzhou_site):
    with pytest.raises(ValidationError) as error:
        submit(futian_reporter, guangzhou_site)
    assert "site" in error.value.message_dict
    assert SentinelReport.objects.count() == 0


def test_an_epidemiologist_is_not_a_reporter(shenzhen_epi, futian_site):
    with pytest.raises(PermissionDenied):
        submit(shenzhen_epi, futian_site)
    assert SentinelReport.objects.count() == 0


@pytest.mark.parametrize(("overrides", "field"), [
    ({"count": -1}, "count"),
    ({"count": "abc"}, "count"),
    ({"count": 2.5}, "count"),
    ({"date": lambda: timezone.localdate() + dt.timedelta(days=1)}, "date"),  # read when the test runs
    ({"date": "2022-13-01"}, "date"),
    ({"indicator_code": "no_such_indicator"}, "indicator"),
    ({"indicator_code": "school_absences"}, "indicator"),
    ({"site_id": 999999}, "site"),
    ({"indicator_code": "ili_consultations", "count": 30, "denominator": 10}, "denominator"),
    ({"denominator": 100}, "denominator"),
])
def test_bad_input_gets_a_clear_error_and_saves_nothing(futian_reporter, futian_site, overrides, field):
    overrides = {name: value() if callable(value) else value for name, value in overrides.items()}
    with pytest.raises(ValidationError) as error:
        submit(futian_reporter, futian_site, **overrides)
    assert field in error.value.message_dict
    assert error.value.message_dict[field][0]
    assert SentinelReport.objects.count() == 0


def test_a_duplicate_is_a_correction_that_keeps_the_previous_value(futian_reporter, futian_site):
    submit(futian_reporter, futian_site, count=12)
    result = submit(futian_reporter, futian_site, count=15)
    assert result.corrected and not result.created
    report = SentinelReport.objects.get()
    assert report.count == 15
    revision = SentinelReportRevision.objects.get()
    assert (revision.report, revision.count, revision.replaced_by) == (report, 12, futian_reporter)
    assert AuditEvent.objects.filter(action="update", object_type="surveillance.sentinelreport").count() == 1


def test_the_same_value_again_changes_nothing(futian_reporter, futian_site):
    submit(futian_reporter, futian_site, count=12)
    result = submit(futian_reporter, futian_site, count=12)
    assert not result.created and not result.corrected
    assert SentinelReportRevision.objects.count() == 0
    assert SentinelReport.objects.count() == 1


def test_a_denominator_is_kept_for_ili(futian_reporter, futian_site):
    submit(futian_reporter, futian_site, indicator_code="ili_consultations", count=9, denominator=240)
    assert SentinelReport.objects.get().denominator == 240
