"""Sentinel surveillance: sites, indicators, daily reports (with correction history), detection
configuration, signals (one row per unit × indicator × alarming day) grouped into alerts whose response
lifecycle is tracked step by step, and the response-time targets they are measured against.

- ``SentinelSite``: a fever clinic, primary-care institution, pharmacy, school... in a leaf region, with
  the indicators it reports and the users who report for it.
- ``Indicator``: what is counted (fever-clinic visits, ILI consultations, antipyretic sales...), its unit
  and whether a denominator (consultations, enrolment) comes with the count.
- ``SentinelReport``: one count per site × indicator × day; a correction overwrites the value and keeps
  the previous one in ``SentinelReportRevision``.
- ``DailySiteReporting``: per site and day, the reports received and those received late (the late and
  missing reports page reads it; ``fangkong.surveillance.summaries`` keeps it in step with the reports),
  and ``DailyRegionReporting`` the same summed per region and day (the page's totals).
- ``DetectionConfig``: per indicator × level (site, county, city), the detector and its parameters.
- ``Alert``: an episode — consecutive alarming days of one unit × indicator — with its lifecycle
  new → acknowledged → investigating → confirmed outbreak / false alarm → closed, who and when per step.
- ``Signal``: one alarming day of one unit × indicator (observed, threshold, method), in one alert.
- ``ResponseTarget``: the service levels a region's response is measured against.
- ``EarliesTarget``: the targets of the "four earlies" intervals of cases (onset → first visit → sampling →
  report → isolation → treatment) in a region and below.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    SITE = "site", _("Site")
    COUNTY = "county", _("County")
    CITY = "city", _("City")


class Indicator(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=128)
    unit_zh = models.CharField(_("unit (Chinese)"), max_length=32, blank=True)
    unit_en = models.CharField(_("unit (English)"), max_length=32, blank=True)
    has_denominator = models.BooleanField(_("reported with a denominator"), default=False)
    denominator_label_zh = models.CharField(_("denominator (Chinese)"), max_length=64, blank=True)
    denominator_label_en = models.CharField(_("denominator (English)"), max_length=64, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en

    @property
    def unit(self) -> str:
        from django.utils.translation import get_language

        return self.unit_zh if (get_language() or "").startswith("zh") else self.unit_en

    @property
    def denominator_label(self) -> str:
        from django.utils.translation import get_language

        return self.denominator_label_zh if (get_language() or "").startswith("zh") else self.denominator_label_en


class SentinelSite(models.Model):
    class Kind(models.TextChoices):
        FEVER_CLINIC = "fever_clinic", _("Fever clinic")
        PRIMARY_CARE = "primary_care", _("Primary-care institution")
        PHARMACY = "pharmacy", _("Pharmacy")
        SCHOOL = "school", _("School")
        OTHER = "other", _("Other")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("region"))
    indicators = models.ManyToManyField(Indicator, related_name="sites", verbose_name=_("indicators"))
    reporters = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="sentinel_sites", blank=True,
                                       verbose_name=_("reporting users"))
    active = models.BooleanField(_("active"), default=True)
    # The number of its indicators, kept equal to them (``summaries.site_indicator_counts_refresh``, on every
    # change of the set): the late and missing reports page sums it per region instead of joining 180,000
    # site-indicator rows at province scale.
    n_indicators = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["region_id", "kind", "name"]
        verbose_name = _("sentinel site")
        verbose_name_plural = _("sentinel sites")
        # the late and missing reports page lists sites in this order and stops at the 200th listed
        indexes = [models.Index(fields=["region", "code"], name="sentinel_site_region_code")]

    def __str__(self) -> str:
        return self.name


class SentinelReport(models.Model):
    # Few indexes on the biggest table (180,000 rows a day at province scale): the unique constraint
    # (date, site, indicator) and (indicator, date) cover the look-ups.
    site = models.ForeignKey(SentinelSite, on_delete=models.PROTECT, related_name="reports",
                             verbose_name=_("site"), db_index=False)
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("indicator"), db_index=False)
    date = models.DateField(_("date"))
    count = models.PositiveIntegerField(_("count"))
    denominator = models.PositiveIntegerField(_("denominator"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("reported by"), db_index=False)
    # Denormalised from the site (which the database constrains), so that aggregation and scoping read
    # one table; no constraint of its own, to keep a day's import light.
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("region"), db_index=False, db_constraint=False)

    class Meta:
        ordering = ["-date", "site_id", "indicator_id"]
        verbose_name = _("sentinel report")
        verbose_name_plural = _("sentinel reports")
        constraints = [
            # Date first: a day's reports are appended at the end of the index instead of being scattered
            # through it (at 30 million rows the site-first order made a day's import twice as slow).
            models.UniqueConstraint(fields=["date", "site", "indicator"], name="sentinel_report_day_site"),
        ]
        indexes = [models.Index(fields=["indicator", "date"], name="sentinel_report_ind_date")]

    def __str__(self) -> str:
        return f"{self.site_id}/{self.indicator_id}/{self.date}: {self.count}"


class DailySiteReporting(models.Model):
    """Reports of one site on one day: how many were received and how many of them late (after
    ``summaries.REPORT_DUE_HOUR`` o'clock of the next day). One row per site-day with at least one report;
    ``fangkong.surveillance.summaries`` recomputes the rows each report write touches."""

    site = models.ForeignKey(SentinelSite, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+", db_index=False,
                               db_constraint=False)  # the reports' (denormalised) region, for scope
    received = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("site-day reporting")
        # day first, like the reports: a day's rows are appended together, and a period is one range
        constraints = [models.UniqueConstraint(fields=["day", "site"], name="daily_site_reporting_once")]
        # site first, with the counts (read from the index alone): the late and missing reports page walks
        # the sites in order and reads each one's period, stopping at the last site it lists
        indexes = [models.Index(fields=["site", "day", "received", "late"], name="daily_site_reporting_site")]

    def __str__(self) -> str:
        return f"{self.site_id} {self.day}: {self.received} ({self.late} late)"


class DailyRegionReporting(models.Model):
    """The ``DailySiteReporting`` rows of one region (the reports' leaf region) on one day, summed: about 180
    rows a day at province scale instead of 30,000, for the late and missing reports page's totals. Rows of
    every site, active or not (the page subtracts the inactive sites' rows, few, through the site index).
    Recomputed from the site-day rows by ``fangkong.surveillance.summaries`` with them."""

    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+", db_index=False,
                               db_constraint=False)
    day = models.DateField()
    received = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("region-day reporting")
        constraints = [models.UniqueConstraint(fields=["day", "region"], name="daily_region_reporting_once")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.day}: {self.received} ({self.late} late)"


class SentinelReportRevision(models.Model):
    """The value a correction replaced."""

    report = models.ForeignKey(SentinelReport, on_delete=models.CASCADE, related_name="revisions",
                               verbose_name=_("report"))
    count = models.PositiveIntegerField(_("count"))
    denominator = models.PositiveIntegerField(_("denominator"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("reported by"))
    replaced_at = models.DateTimeField(_("replaced at"), auto_now_add=True)
    replaced_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("replaced by"))

    class Meta:
        ordering = ["-replaced_at", "-id"]
        verbose_name = _("report revision")
        verbose_name_plural = _("report revisions")

    def __str__(self) -> str:
        return f"{self.report_id} was {self.count} (replaced {self.replaced_at:%Y-%m-%d %H:%M})"


class DetectionMethod(models.TextChoices):
    """The aberration detection methods, each named with what it does (the code is the detector's)."""

    EARS_C1 = "ears_c1", _("EARS C1 (mean and spread of the last 7 days)")
    EARS_C2 = "ears_c2", _("EARS C2 (baseline ending 2 days before)")
    EARS_C3 = "ears_c3", _("EARS C3 (C2 summed over 3 days)")
    FARRINGTON = "farrington", _("Farrington (flexible regression on past years)")
    CUSUM = "cusum", _("CUSUM (cumulative sum)")
    BAYES = "bayes", _("Bayes (negative binomial prediction)")
    MOVING_PERCENTILE = "moving_percentile", _("CIDARS moving percentile")
    FIXED_THRESHOLD = "fixed_threshold", _("Fixed threshold")


def method_label(code: str) -> str:
    """The label of a detection method code (the code itself when unknown)."""
    return dict(DetectionMethod.choices).get(code, code)


class DetectionConfig(models.Model):
    Method = DetectionMethod

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="detection_configs",
                                  verbose_name=_("indicator"))
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    method = models.CharField(_("method"), max_length=24, choices=Method.choices)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("updated by"))

    class Meta:
        ordering = ["indicator__position", "level"]
        verbose_name = _("detection configuration")
        verbose_name_plural = _("detection configurations")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "level"], name="detection_config_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.level}: {self.method}"


class AlertStatus(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    INVESTIGATING = "investigating", _("Under investigation")
    CONFIRMED = "confirmed", _("Confirmed outbreak")
    FALSE_ALARM = "false_alarm", _("False alarm")
    CLOSED = "closed", _("Closed")


class Alert(models.Model):
    """An episode: consecutive alarming days of one unit × indicator, answered as one."""

    Status = AlertStatus

    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("region"))
    site = models.ForeignKey(SentinelSite, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("site"))
    unit_key = models.CharField(max_length=40, editable=False)  # "site:<id>" or "region:<code>"
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("indicator"))
    method = models.CharField(_("method"), max_length=24)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    days = models.PositiveIntegerField(_("alarming days"), default=1)
    peak_observed = models.FloatField(_("peak observed"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.NEW,
                              db_index=True)
    outcome = models.CharField(_("verdict"), max_length=16, blank=True,
                               choices=[(AlertStatus.CONFIRMED, AlertStatus.CONFIRMED.label),
                                        (AlertStatus.FALSE_ALARM, AlertStatus.FALSE_ALARM.label)])
    raised_at = models.DateTimeField(_("raised at"), db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                        blank=True, related_name="+", verbose_name=_("acknowledged by"))
    investigating_at = models.DateTimeField(_("investigation started"), null=True, blank=True)
    investigating_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                         blank=True, related_name="+", verbose_name=_("investigated by"))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("verified by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="+", verbose_name=_("closed by"))
    cluster = models.ForeignKey("cases.Cluster", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("cluster opened"))
    case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("case investigation opened"))
    version = models.PositiveIntegerField(default=0, editable=False)  # optimistic locking of transitions

    class Meta:
        ordering = ["-last_day", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [
            models.Index(fields=["unit_key", "indicator", "last_day"], name="alert_unit_last"),
            models.Index(fields=["region", "first_day"], name="alert_region_first"),
            models.Index(fields=["-last_day", "-id"], name="alert_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_key} {self.indicator_id} {self.first_day}–{self.last_day} ({self.status})"

    @property
    def method_label(self) -> str:
        return method_label(self.method)


class Signal(models.Model):
    """One alarming day of one unit × indicator; running detection again adds no second row."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="signals", verbose_name=_("alert"))
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("region"))
    unit_key = models.CharField(max_length=40, editable=False)
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("indicator"))
    day = models.DateField(_("day"))
    observed = models.FloatField(_("observed"))
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=24)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-day", "-id"]
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        constraints = [
            models.UniqueConstraint(fields=["unit_key", "indicator", "day"], name="signal_unique_unit_day"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_key} {self.indicator_id} {self.day}: {self.observed:g} > {self.threshold}"

    @property
    def method_label(self) -> str:
        return method_label(self.method)


class AlertTransition(models.Model):
    """One lifecycle step of an alert: from, to, who, when, note."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="transitions",
                              verbose_name=_("alert"))
    from_status = models.CharField(_("from"), max_length=16, choices=AlertStatus.choices)
    to_status = models.CharField(_("to"), max_length=16, choices=AlertStatus.choices)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                           verbose_name=_("by"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("alert transition")
        verbose_name_plural = _("alert transitions")

    def __str__(self) -> str:
        return f"{self.alert_id}: {self.from_status} → {self.to_status}"


class ResponseTarget(models.Model):
    """Service levels of the response in a region and below (the nearest region with a row wins)."""

    region = models.OneToOneField("regions.Region", on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("region"))
    acknowledge_hours = models.FloatField(_("acknowledge within (hours)"), default=2)
    verify_hours = models.FloatField(_("verify within (hours)"), default=24)
    response_rate = models.FloatField(_("target response rate"), default=0.95)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("updated by"))

    class Meta:
        verbose_name = _("response target")
        verbose_name_plural = _("response targets")

    def __str__(self) -> str:
        return f"{self.region_id}: {self.acknowledge_hours} h / {self.verify_hours} h / {self.response_rate:.0%}"


class EarliesTarget(models.Model):
    """Targets of the four earlies' intervals in a region and below (the nearest region with a row wins).

    Hours; an interval between dates (onset, sampling) counts whole days, so 24 h means "by the next day".
    The defaults are in ``fangkong.surveillance.earlies.DEFAULT_TARGETS`` (with their sources).
    """

    region = models.OneToOneField("regions.Region", on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("region"))
    onset_visit_hours = models.FloatField(_("onset to first visit within (hours)"), default=24)
    visit_sampling_hours = models.FloatField(_("first visit to sampling within (hours)"), default=24)
    sampling_report_hours = models.FloatField(_("sampling to report within (hours)"), default=24)
    report_isolation_hours = models.FloatField(_("report to isolation within (hours)"), default=24)
    isolation_treatment_hours = models.FloatField(_("isolation to treatment within (hours)"), default=24)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("updated by"))

    class Meta:
        verbose_name = _("earlies target")
        verbose_name_plural = _("earlies targets")

    def __str__(self) -> str:
        return f"{self.region_id}: earlies targets"
