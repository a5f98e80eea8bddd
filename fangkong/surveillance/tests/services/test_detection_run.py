"""detection_run: aggregates to county and city, signals the spike, groups consecutive days into one
alert, and is idempotent (a second run, or a backfill over days already run, adds nothing)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.audit.models import AuditEvent
from fangkong.surveillance.models import Alert, DetectionConfig, SentinelReport, Signal
from fangkong.surveillance.services import detection_config_update, detection_run
from fangkong.surveillance.tasks import detection_run_task
from fangkong.surveillance.tests.conftest import END, fill_series, make_site

FIRST = END - dt.timedelta(days=9)


@pytest.fixture
def spike(indicators, futian_site, futian_other_site, guangzhou_site):
    fever = indicators["fever_clinic_visits"]
    fill_series(futian_site, fever, spike_days=2, spike=90, seed=1)
    fill_series(futian_other_site, fever, seed=2)
    fill_series(guangzhou_site, fever, seed=3)
    return fever


def test_a_spike_raises_county_and_city_signals_grouped_in_one_alert(spike):
    summary = detection_run(first=FIRST, last=END)
    assert summary.signals >= 4
    futian = Alert.objects.get(unit_key="region:440304")
    assert (futian.level, futian.region_id, futian.first_day, futian.last_day, futian.days) == (
        "county", "440304", END - dt.timedelta(days=1), END, 2)
    assert futian.status == "new" and futian.method == "ears_c2"
    assert Alert.objects.filter(unit_key="region:440300", level="city").count() == 1
    assert not Alert.objects.filter(region__code__startswith="4401").exists()
    signal = Signal.objects.get(unit_key="region:440304", day=END)
    assert signal.observed > signal.threshold


def test_running_twice_creates_no_second_signal(spike):
    detection_run(first=FIRST, last=END)
    before = (Signal.objects.count(), Alert.objects.count())
    again = detection_run(first=END, last=END)
    backfill = detection_run(first=FIRST, last=END)
    assert again.signals == backfill.signals == 0
    assert (Signal.objects.count(), Alert.objects.count()) == before


def test_a_day_run_after_the_backfill_extends_the_same_alert(spike):
    detection_run(first=FIRST, last=END - dt.timedelta(days=1))
    detection_run(first=END, last=END)
    futian = Alert.objects.get(unit_key="region:440304")
    assert futian.days == 2 and futian.last_day == END
    assert Signal.objects.filter(alert=futian).count() == 2


def test_the_task_runs_the_service_in_process(spike):
    result = detection_run_task.delay(str(FIRST), str(END)).get()
    assert result["signals"] == Signal.objects.count() > 0
    assert AuditEvent.objects.filter(object_type="surveillance.detectionrun").count() == 1


def test_a_site_level_configuration_signals_the_site(spike, futian_site, province_commander):
    config = DetectionConfig.objects.get(indicator__code="fever_clinic_visits", level="site")
    detection_config_update(actor=province_commander, config=config, enabled=True)
    detection_run(first=FIRST, last=END)
    alert = Alert.objects.get(level="site")
    assert (alert.site, alert.region_id, alert.unit_key) == (futian_site, "440304", f"site:{futian_site.pk}")


def test_an_inverted_period_is_refused(spike):
    with pytest.raises(ValidationError):
        detection_run(first=END, last=FIRST)


def test_configuration_changes_are_validated_and_audited(indicators, province_commander):
    config = DetectionConfig.objects.get(indicator__code="fever_clinic_visits", level="county")
    detection_config_update(actor=province_commander, config=config, method="ears_c3",
                            parameters={"baseline": 7, "alpha": 0.01})
    config.refresh_from_db()
    assert (config.method, config.parameters, config.updated_by) == ("ears_c3", {"baseline": 7, "alpha": 0.01},
                                                                     province_commander)
    event = AuditEvent.objects.get(action="update", object_type="surveillance.detectionconfig")
    assert event.detail["before"]["method"] == "ears_c2" and event.detail["after"]["method"] == "ears_c3"


@pytest.mark.parametrize(("method", "parameters"), [
    ("no_such_method", {}),
    ("ears_c1", {"baseline": 2}),
    ("ears_c1", {"bogus": 1}),
    ("moving_percentile", {"percentile": 150}),
])
def test_bad_configuration_is_refused_and_nothing_changes(indicators, province_commander, method, parameters):
    config = DetectionConfig.objects.get(indicator__code="fever_clinic_visits", level="county")
    with pytest.raises(ValidationError):
        detection_config_update(actor=province_commander, config=config, method=method, parameters=parameters)
    config.refresh_from_db()
    assert config.method == "ears_c2"
    assert not AuditEvent.objects.filter(object_type="surveillance.detectionconfig").exists()


def test_a_city_user_may_not_configure_detection(indicators, shenzhen_epi):
    config = DetectionConfig.objects.get(indicator__code="fever_clinic_visits", level="county")
    with pytest.raises(PermissionDenied):
        detection_config_update(actor=shenzhen_epi, config=config, enabled=False)
    config.refresh_from_db()
    assert config.enabled


def test_a_unit_with_no_reports_on_a_day_is_not_signalled(indicators):
    site = make_site("FT9", "440304", indicators)
    fill_series(site, indicators["fever_clinic_visits"], end=END - dt.timedelta(days=3))
    assert detection_run(first=END - dt.timedelta(days=2), last=END).signals == 0


def test_the_daily_run_is_scheduled_for_celery_beat():
    from fangkong.jobs import app

    entry = app.conf.beat_schedule["surveillance-daily-detection"]
    assert entry["task"] == detection_run_task.name
    assert entry["schedule"].hour == {9}


def test_a_failing_configuration_does_not_stop_the_others(spike, monkeypatch):
    module = detection_run.__globals__["detectors"]
    real = module.run_method

    def run_method(method, params, counts, timepoints, **kwargs):
        if method == "ears_c1":
            raise ValueError("broken")
        return real(method, params, counts, timepoints, **kwargs)

    DetectionConfig.objects.filter(indicator__code="fever_clinic_visits", level="city").update(method="ears_c1")
    monkeypatch.setattr(module, "run_method", run_method)
    detection_run(first=FIRST, last=END)
    assert Alert.objects.filter(level="county", unit_key="region:440304").exists()
    assert not Alert.objects.filter(level="city").exists()


# ---------------------------------------------------------------- detection on rates


def _ili_with_denominators(indicators, futian_site, *, counts_spike: bool, denominators_follow: bool):
    """Futian's ILI counts (a spike on the last two days when ``counts_spike``) with consultations 10 × the
    count on ordinary days; on the last two days the consultations either follow the count (the share
    stays 10%) or stay at their usual level."""
    ili = indicators["ili_consultations"]
    counts = fill_series(futian_site, ili, spike_days=2 if counts_spike else 0, spike=90, seed=4)
    usual = int(10 * counts[:-2].mean())
    for report in SentinelReport.objects.filter(site=futian_site, indicator=ili):
        spiking = report.date > END - dt.timedelta(days=2) and counts_spike
        report.denominator = report.count * 10 if (denominators_follow or not spiking) else usual
        report.save(update_fields=["denominator"])
    return ili


def _county_config(province_commander, measure: str):
    config = DetectionConfig.objects.get(indicator__code="ili_consultations", level="county")
    detection_config_update(actor=province_commander, config=config,
                            parameters={**config.parameters, "measure": measure})
    DetectionConfig.objects.exclude(pk=config.pk).update(enabled=False)
    return config


def test_more_consultations_alarm_on_counts_but_not_on_the_rate(indicators, futian_site, province_commander):
    _ili_with_denominators(indicators, futian_site, counts_spike=True, denominators_follow=True)
    _county_config(province_commander, "count")
    assert detection_run(first=FIRST, last=END).signals == 2  # the count jumped
    Alert.objects.all().delete()
    _county_config(province_commander, "rate")
    assert detection_run(first=FIRST, last=END).signals == 0  # the share stayed at 10%


def test_a_rise_in_the_share_alarms_on_the_rate(indicators, futian_site, province_commander):
    _ili_with_denominators(indicators, futian_site, counts_spike=True, denominators_follow=False)
    _county_config(province_commander, "rate")
    detection_run(first=FIRST, last=END)
    signal = Signal.objects.get(unit_key="region:440304", day=END)
    assert 30 < signal.observed < 60  # per cent: 90 cases in about 200 consultations
    assert signal.observed > signal.threshold
    from fangkong.surveillance.selectors import alert_series

    series = alert_series(alert=signal.alert)  # the chart shows the same rate and bound
    assert series.observed[series.dates.index(END.isoformat())] == round(signal.observed, 1)
    assert series.alarm[series.dates.index(END.isoformat())]


@pytest.mark.parametrize(("code", "method", "parameters"), [
    ("fever_clinic_visits", "ears_c2", {"baseline": 28, "measure": "rate"}),  # no denominator
    ("ili_consultations", "farrington", {"b": 1, "measure": "rate"}),  # a count model
    ("ili_consultations", "ears_c2", {"baseline": 28, "measure": "share"}),
])
def test_rates_only_where_a_denominator_and_a_method_allow(indicators, province_commander, code, method,
                                                          parameters):
    config = DetectionConfig.objects.get(indicator__code=code, level="county")
    with pytest.raises(ValidationError):
        detection_config_update(actor=province_commander, config=config, method=method, parameters=parameters)
    config.refresh_from_db()
    assert "measure" not in config.parameters
