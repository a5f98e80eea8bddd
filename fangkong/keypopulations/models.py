"""Models of the key-populations module (重点人群): the protocol's testing rules, the groups under periodic
testing and their frequency over time, their rosters, the test results, and each person's compliance.

The employer of a group is kept as a plain reference — its name and its unified social credit code
(``employer_code``, 统一社会信用代码, 18 characters) — not as a model: the enterprises module, when it
exists, takes the code over as the key of its own rows (one ``ForeignKey(to_field=...)`` or a data
migration matching codes); until then the code is what an employer's account is linked to
(``EmployerAccess``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Population(models.TextChoices):
    """The key populations of 2022 under periodic testing (重点人群)."""

    PORT_FRONTLINE = "port_frontline", _("Port and airport front-line staff")
    CROSS_BORDER_DRIVER = "cross_border_driver", _("Cross-border drivers")
    COLD_CHAIN = "cold_chain", _("Cold-chain and imported-goods workers")
    QUARANTINE_HOTEL = "quarantine_hotel", _("Quarantine-hotel staff")
    DESIGNATED_HOSPITAL = "designated_hospital", _("Designated-hospital staff")
    FEVER_CLINIC = "fever_clinic", _("Fever-clinic staff")
    DELIVERY = "delivery", _("Delivery riders and couriers")


class TestingRule(models.Model):
    """One dated rule of the protocol (national edition or local rule): the frequencies a population may be
    tested at (``rules.py``)."""

    code = models.SlugField(_("code"), max_length=48, unique=True)
    population = models.CharField(_("key population"), max_length=24, choices=Population.choices)
    edition = models.ForeignKey("protocols.ProtocolVersion", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("protocol edition"))
    region = models.CharField(_("local rule of (region code; empty: national)"), max_length=12, blank=True,
                              default="")
    effective_from = models.DateField(_("in force from"))
    allowed_days = models.JSONField(_("allowed frequencies (days)"), default=list)
    default_days = models.PositiveSmallIntegerField(_("default frequency (days)"))
    citation = models.JSONField(_("citation"), default=dict, blank=True)

    class Meta:
        ordering = ["population", "effective_from", "code"]
        verbose_name = _("testing rule")
        verbose_name_plural = _("testing rules")

    def __str__(self) -> str:
        return self.code


class KeyGroup(models.Model):
    """A group of persons tested at one frequency: the staff of a place, or of an employer, or on its own."""

    name = models.CharField(_("name"), max_length=200)
    population = models.CharField(_("key population"), max_length=24, choices=Population.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("key place"))
    employer_name = models.CharField(_("employer"), max_length=200, blank=True, default="")
    employer_code = models.CharField(_("employer's unified social credit code"), max_length=18, blank=True,
                                     default="", db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["region_id", "name", "id"]
        verbose_name = _("key-population group")
        verbose_name_plural = _("key-population groups")

    def __str__(self) -> str:
        return self.name


class GroupFrequency(models.Model):
    """The group's test frequency from a day on (until the next row), and the rule that allowed it."""

    group = models.ForeignKey(KeyGroup, on_delete=models.CASCADE, related_name="frequencies", verbose_name=_("group"))
    effective_from = models.DateField(_("from"))
    days = models.PositiveSmallIntegerField(_("test at least every (days)"))
    rule = models.ForeignKey(TestingRule, on_delete=models.PROTECT, related_name="+", verbose_name=_("rule"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["group_id", "effective_from"]
        verbose_name = _("group test frequency")
        verbose_name_plural = _("group test frequencies")
        constraints = [models.UniqueConstraint(fields=["group", "effective_from"], name="keypop_frequency_day")]

    def __str__(self) -> str:
        return f"{self.group_id}: {self.days} ({self.effective_from})"


class RosterEntry(models.Model):
    """A person's membership of a group, from ``start`` to ``end`` (both days included; open when empty)."""

    group = models.ForeignKey(KeyGroup, on_delete=models.PROTECT, related_name="roster", verbose_name=_("group"))
    person = models.ForeignKey("persons.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    start = models.DateField(_("member from"))
    end = models.DateField(_("member until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["group_id", "start", "id"]
        verbose_name = _("roster membership")
        verbose_name_plural = _("roster memberships")
        constraints = [
            models.UniqueConstraint(fields=["group", "person", "start"], name="keypop_roster_once"),
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="keypop_roster_end"),
        ]
        indexes = [models.Index(fields=["person"], name="keypop_roster_person")]

    def __str__(self) -> str:
        return f"{self.group_id}/{self.person_id}"


class Result(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")


class KeyTest(models.Model):
    """A test of a person on the roster of ``group`` (entered or imported until the laboratory module exists);
    one per person and day — a positive result replaces a negative one of the same day."""

    person = models.ForeignKey("persons.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    group = models.ForeignKey(KeyGroup, on_delete=models.PROTECT, related_name="+", verbose_name=_("group"))
    sampled_on = models.DateField(_("sampled on"))
    result = models.CharField(_("result"), max_length=8, choices=Result.choices)
    # a positive test's case, once registered through the cases service (``services.positive_to_case``)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("case"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-sampled_on", "-id"]
        verbose_name = _("key-population test")
        verbose_name_plural = _("key-population tests")
        constraints = [models.UniqueConstraint(fields=["person", "sampled_on"], name="keypop_test_day")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.sampled_on} {self.result}"


class WorkplaceFlag(models.Model):
    """A workplace of a person who tested positive, flagged for the co-visit search and inspection: the key
    place or the employer of a group the person was on the day of the test — one per positive test and
    group (``services.positive_follow_up``), raised in the problem list for the group's region
    (``problems.raise_workplaces``) and shown on the group's pages.

    The places module is to read it for its inspectors' list and a place's co-visit search: the flags of a
    place are ``WorkplaceFlag.objects.filter(place=…)`` (indexed by place and day); until it does, the
    positive also makes the place due for inspection (``Place.next_due_on``). The enterprises module, when
    it exists, reads the flags of an employer by ``employer_code``."""

    test = models.ForeignKey(KeyTest, on_delete=models.CASCADE, related_name="flags", verbose_name=_("test"))
    group = models.ForeignKey(KeyGroup, on_delete=models.PROTECT, related_name="flags", verbose_name=_("group"))
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("key place"))
    employer_code = models.CharField(_("employer's unified social credit code"), max_length=18, blank=True,
                                     default="")
    flagged_on = models.DateField(_("flagged on"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-flagged_on", "-id"]
        verbose_name = _("flagged workplace")
        verbose_name_plural = _("flagged workplaces")
        constraints = [models.UniqueConstraint(fields=["test", "group"], name="keypop_flag_once")]
        indexes = [models.Index(fields=["place", "flagged_on"], name="keypop_flag_place"),
                   models.Index(fields=["group", "flagged_on"], name="keypop_flag_group")]

    def __str__(self) -> str:
        return f"{self.group_id} ← {self.test_id}"


class Compliance(models.Model):
    """A person's testing status in one stretch of membership (consecutive days on some roster with a
    frequency), kept by the services (``compliance.py``): the stretch's first and last day, its steady tail
    (from ``steady_from`` to its end the frequency is ``steady_days`` throughout) and the block of one
    frequency before it (from ``prior_from``, at ``prior_days``; none for one frequency), the person's last test
    and last positive, and the day the next test is due in the stretch with the frequency then (None: the
    stretch ends first). Nothing in it depends on the day it was computed: the overdue of a day D are the
    rows whose stretch holds D and whose due day is before D (``selectors.overdue_q``)."""

    person = models.ForeignKey("persons.Person", on_delete=models.CASCADE, related_name="+", db_index=False,
                               verbose_name=_("person"))
    stretch_from = models.DateField(_("on the rosters from"))
    stretch_until = models.DateField(_("on the rosters until"), null=True, blank=True)
    prior_from = models.DateField(_("the frequency before from"), null=True, blank=True)
    prior_days = models.PositiveSmallIntegerField(_("the frequency before (days)"), null=True, blank=True)
    steady_from = models.DateField(_("one frequency from"))
    steady_days = models.PositiveSmallIntegerField(_("frequency from then on (days)"))
    last_test_on = models.DateField(_("last test"), null=True, blank=True)
    interval_days = models.PositiveSmallIntegerField(_("strictest frequency (days)"), null=True, blank=True)
    next_due_on = models.DateField(_("next test due"), null=True, blank=True)
    positive_on = models.DateField(_("positive on"), null=True, blank=True)

    class Meta:
        ordering = ["person_id", "stretch_from"]
        verbose_name = _("testing compliance")
        verbose_name_plural = _("testing compliance")
        constraints = [models.UniqueConstraint(fields=["person", "stretch_from"], name="keypop_compliance_stretch")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.stretch_from}: {self.next_due_on}"


class EmployerAccess(models.Model):
    """An account acting for an employer (by its credit code): it reads the compliance of that employer's
    staff only (``selectors``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    employer_code = models.CharField(_("employer's unified social credit code"), max_length=18)

    class Meta:
        verbose_name = _("employer access")
        verbose_name_plural = _("employer access")
        constraints = [models.UniqueConstraint(fields=["user", "employer_code"], name="keypop_employer_once")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.employer_code}"
