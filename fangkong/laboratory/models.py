"""Models of the laboratory module (核酸检测): laboratories, specimens of persons, goods lots and environment
sites, mixed-tube pools (混管) with their members, mass-screening rounds (全员核酸) and test results.

- A **specimen** (``Specimen``) has one subject: a person (through ``fangkong.persons``: the row only, whose
  identifiers stay sealed there), a goods lot (``GoodsLot``) or an environment site (a place of
  ``fangkong.places``, a surface or sewage).
- A **pool** (``Pool``, 混管) is one tube holding the swabs of 5, 10 or 20 persons of a round
  (``PoolMember``); a person is in at most one pool of a round.
- A **result** (``Result``) is the laboratory's verdict on one pool or one specimen — once: a second result
  for the same sample is refused — with its gene targets and Ct values (Ct值, 0 < Ct ≤ 45), and the receipt
  and result times that make its turnaround.
- A positive or inconclusive pool puts every member under temporary control (``PoolMember.controlled_at``)
  and gives each a single re-sampling task with a deadline (``resample_due``); single specimens
  (``Specimen.pool_member``) resolve the member, and the members the pool (``services``: the rule).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Outcome(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEGATIVE = "negative", _("Negative")
    INCONCLUSIVE = "inconclusive", _("Inconclusive")


class Laboratory(models.Model):
    """A testing laboratory: its service area (a region subtree), daily capacity and the tests it runs; its
    staff are the users whose samples these are (``Reach.OWN_SAMPLES``)."""

    name = models.CharField(_("name"), max_length=200)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("service area"))
    daily_capacity = models.PositiveIntegerField(_("daily capacity (tubes)"))
    tests = models.CharField(_("tests run"), max_length=200, blank=True, default="")
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="laboratories", blank=True,
                                   verbose_name=_("staff"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("laboratory")

    def __str__(self) -> str:
        return self.name


class GoodsLot(models.Model):
    """A lot of imported goods (cold-chain food or other): where it came from and whose it is."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    lot_no = models.CharField(_("lot number"), max_length=64)
    description = models.CharField(_("goods"), max_length=200)
    origin_country = models.CharField(_("country of origin"), max_length=64)
    port = models.CharField(_("port of entry"), max_length=100)
    container_no = models.CharField(_("container number"), max_length=32, blank=True, default="")
    warehouse = models.CharField(_("cold store or warehouse"), max_length=200, blank=True, default="")
    owner_name = models.CharField(_("owner enterprise"), max_length=200)
    owner_credit_code = models.CharField(_("unified social credit code"), max_length=18)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("goods lot")
        constraints = [models.UniqueConstraint(fields=["owner_credit_code", "lot_no"], name="goods_lot_once")]

    def __str__(self) -> str:
        return f"{self.lot_no} · {self.description}"  # no parentheses: half-width ones beside Chinese text


class ScreeningRound(models.Model):
    """A mass-screening round (全员核酸) of one county: the population to test over its sampling days, the pool
    sizes allowed, the expected prevalence the recommended size is computed from, and its running tally (kept
    by the services in the same transaction as the rows they write: the progress page reads it without
    counting pools). While it is open its test kits and samplers feed the resources forecast (``demands``);
    finished or cancelled (``services.round_close``) it no longer does, and takes no new pool."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("screening round", "Open")
        FINISHED = "finished", pgettext_lazy("screening round", "Finished")
        CANCELLED = "cancelled", pgettext_lazy("screening round", "Cancelled")

    MAX_DAYS = 14

    county = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("county"))
    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("starts on"))
    days = models.PositiveSmallIntegerField(_("sampling days"), default=1,
                                            validators=[MinValueValidator(1), MaxValueValidator(MAX_DAYS)])
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    population = models.PositiveIntegerField(_("population to test"))
    expected_prevalence = models.FloatField(_("expected prevalence"))
    pool_sizes = models.JSONField(_("pool sizes allowed"), default=list)
    pools_sampled = models.PositiveIntegerField(default=0)
    persons_sampled = models.PositiveIntegerField(default=0)
    pools_tested = models.PositiveIntegerField(default=0)
    pools_positive = models.PositiveIntegerField(default=0)
    pools_inconclusive = models.PositiveIntegerField(default=0)
    pools_resolved = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("screening round")

    def __str__(self) -> str:
        return self.name

    @property
    def last_day(self):
        """The round's last sampling day."""
        import datetime as dt

        return self.starts_on + dt.timedelta(days=self.days - 1)


class Pool(models.Model):
    """One mixed tube (混管) of a round: its code, size and sampling; ``resolution`` once its members are
    resolved after a positive or inconclusive result."""

    class Resolution(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed by a single test")
        NOT_CONFIRMED = "not_confirmed", _("Not confirmed: every single test negative")

    round = models.ForeignKey(ScreeningRound, on_delete=models.PROTECT, related_name="pools",
                              verbose_name=_("screening round"))
    laboratory = models.ForeignKey(Laboratory, on_delete=models.PROTECT, related_name="pools",
                                   verbose_name=_("laboratory"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    code = models.CharField(_("tube code"), max_length=32)
    size = models.PositiveSmallIntegerField(_("pool size"))
    sampled_at = models.DateTimeField(_("sampled at"))
    sampling_point = models.CharField(_("sampling point"), max_length=200)
    sampler = models.CharField(_("sampler"), max_length=64)
    flagged_at = models.DateTimeField(_("members under control since"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=16, choices=Resolution.choices, blank=True, default="")
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-sampled_at", "-id"]
        verbose_name = _("pool")
        constraints = [models.UniqueConstraint(fields=["laboratory", "code"], name="pool_code_once_per_lab")]

    def __str__(self) -> str:
        return self.code


class PoolMember(models.Model):
    """A person's swab in a pool; a person is in one pool of a round at most. After a positive or
    inconclusive pool: under temporary control and due for a single re-sampling, until ``verdict``."""

    pool = models.ForeignKey(Pool, on_delete=models.PROTECT, related_name="members", verbose_name=_("pool"))
    round = models.ForeignKey(ScreeningRound, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("persons.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    controlled_at = models.DateTimeField(_("under temporary control since"), null=True, blank=True)
    resample_due = models.DateTimeField(_("single re-sampling due"), null=True, blank=True)
    verdict = models.CharField(_("single result"), max_length=12, choices=Outcome.choices, blank=True, default="")
    released_at = models.DateTimeField(_("control lifted at"), null=True, blank=True)

    class Meta:
        ordering = ["pool", "id"]
        verbose_name = _("pool member")
        constraints = [models.UniqueConstraint(fields=["round", "person"], name="pool_member_once_per_round")]
        indexes = [models.Index(fields=["person"], name="pool_member_person")]

    def __str__(self) -> str:
        return f"{self.pool_id}/{self.person_id}"


class Specimen(models.Model):
    """One specimen: of a person, a goods lot or an environment site (exactly one), sampled where, when and
    by whom; a single re-sample of a pool member names the member."""

    class Subject(models.TextChoices):
        PERSON = "person", _("Person")
        GOODS = "goods", _("Goods lot")
        ENVIRONMENT = "environment", _("Environment")

    class Kind(models.TextChoices):
        THROAT = "throat", _("Throat swab")
        NASAL = "nasal", _("Nasal swab")
        SURFACE = "surface", _("Surface swab")
        SEWAGE = "sewage", _("Sewage")
        PACKAGING = "packaging", _("Outer packaging swab")

    class Condition(models.TextChoices):
        GOOD = "good", _("Good")
        LEAKED = "leaked", _("Leaked")
        WARM = "warm", _("Cold chain broken")

    laboratory = models.ForeignKey(Laboratory, on_delete=models.PROTECT, related_name="specimens",
                                   verbose_name=_("laboratory"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    code = models.CharField(_("specimen code"), max_length=32)
    subject = models.CharField(_("subject"), max_length=12, choices=Subject.choices)
    person = models.ForeignKey("persons.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("person"))
    goods_lot = models.ForeignKey(GoodsLot, on_delete=models.PROTECT, null=True, blank=True, related_name="specimens",
                                  verbose_name=_("goods lot"))
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("place"))
    kind = models.CharField(_("specimen type"), max_length=12, choices=Kind.choices)
    sampled_at = models.DateTimeField(_("sampled at"))
    sampling_point = models.CharField(_("sampling point"), max_length=200)
    sampler = models.CharField(_("sampler"), max_length=64)
    condition = models.CharField(_("condition on arrival"), max_length=8, choices=Condition.choices,
                                 default=Condition.GOOD)
    pool_member = models.ForeignKey(PoolMember, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="singles", verbose_name=_("re-sample of"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-sampled_at", "-id"]
        verbose_name = _("specimen")
        constraints = [
            models.UniqueConstraint(fields=["laboratory", "code"], name="specimen_code_once_per_lab"),
            models.CheckConstraint(
                condition=(Q(subject="person", person__isnull=False, goods_lot__isnull=True, place__isnull=True)
                           | Q(subject="goods", person__isnull=True, goods_lot__isnull=False, place__isnull=True)
                           | Q(subject="environment", person__isnull=True, goods_lot__isnull=True,
                               place__isnull=False)),
                name="specimen_one_subject"),
        ]

    def __str__(self) -> str:
        return self.code


class ResultImport(models.Model):
    """A result file imported by a laboratory, once: the same file again (same SHA-256) is not read twice."""

    laboratory = models.ForeignKey(Laboratory, on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(default=0)
    recorded = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        verbose_name = _("result file")
        constraints = [models.UniqueConstraint(fields=["laboratory", "sha256"], name="result_file_once")]

    def __str__(self) -> str:
        return self.sha256[:12]


class Result(models.Model):
    """A laboratory's result on one pool or one specimen (exactly one; once each)."""

    # no index on the laboratory, the file or the recorder: a city's file writes 1.75 million results with the
    # same three values, read by no query (results are found by their pool or specimen, and the flagged ones by
    # ``result_flagged``); each such index cost about a tenth of the file's ingest
    laboratory = models.ForeignKey(Laboratory, on_delete=models.PROTECT, related_name="results",
                                   verbose_name=_("laboratory"), db_index=False)
    pool = models.OneToOneField(Pool, on_delete=models.PROTECT, null=True, blank=True, related_name="result")
    specimen = models.OneToOneField(Specimen, on_delete=models.PROTECT, null=True, blank=True, related_name="result")
    outcome = models.CharField(_("result"), max_length=12, choices=Outcome.choices)
    ct_values = models.JSONField(_("Ct values by gene target"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received at"))
    resulted_at = models.DateTimeField(_("resulted at"))
    source = models.ForeignKey(ResultImport, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               db_index=False)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
                                    db_index=False)

    class Meta:
        ordering = ["-resulted_at", "-id"]
        verbose_name = _("result")
        constraints = [models.CheckConstraint(condition=Q(pool__isnull=False, specimen__isnull=True)
                                              | Q(pool__isnull=True, specimen__isnull=False),
                                              name="result_of_pool_or_specimen")]
        # the few results that call for action (positive, inconclusive) among millions of negative pools
        indexes = [models.Index(fields=["outcome"], condition=Q(outcome__in=["positive", "inconclusive"]),
                                name="result_flagged")]

    def __str__(self) -> str:
        return self.outcome

    @property
    def turnaround(self):
        return self.resulted_at - self.received_at


class LotStop(models.Model):
    """One step of a goods lot's path (冷链食品追溯): the port it entered by, the cold store, the distributors and
    the markets — each a place (``fangkong.places``) or an enterprise (``fangkong.enterprises``) or both, with
    the time the lot arrived and left. A stop names the stop it came from (``upstream``): the path is a tree
    from the port, so a positive lot lists everyone downstream of it."""

    class Kind(models.TextChoices):
        PORT = "port", _("Port of entry")
        COLD_STORE = "cold_store", _("Cold store")
        DISTRIBUTOR = "distributor", _("Distributor")
        MARKET = "market", _("Market")

    lot = models.ForeignKey(GoodsLot, on_delete=models.PROTECT, related_name="stops", verbose_name=_("goods lot"))
    upstream = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="downstream",
                                 verbose_name=_("came from"))
    kind = models.CharField(_("kind of stop"), max_length=12, choices=Kind.choices)
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("place"))
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("enterprise"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    arrived_at = models.DateTimeField(_("arrived at"))
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["lot_id", "arrived_at", "id"]
        verbose_name = _("stop of a goods lot")
        constraints = [
            models.CheckConstraint(condition=Q(place__isnull=False) | Q(enterprise__isnull=False),
                                   name="lot_stop_somewhere"),
            models.CheckConstraint(condition=Q(left_at__isnull=True) | Q(left_at__gte=models.F("arrived_at")),
                                   name="lot_stop_left_after_arrival"),
        ]
        indexes = [models.Index(fields=["place", "arrived_at"], name="lot_stop_place")]

    def __str__(self) -> str:
        return f"{self.lot_id}/{self.kind}"


class Investigation(models.Model):
    """An investigation opened by a positive result of a goods lot or an environment specimen: the persons
    exposed to it — the workers of the places and enterprises the lot passed through (or of the place sampled)
    and the co-visitors of those places — are listed when it is read (``selectors.exposed_persons``), through
    the other modules' scoped reads, so each reader sees the persons of their own area only."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    specimen = models.OneToOneField(Specimen, on_delete=models.PROTECT, related_name="investigation",
                                    verbose_name=_("specimen"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    opened_at = models.DateTimeField(_("opened at"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    note = models.TextField(_("conclusion"), blank=True, default="")

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("exposure investigation")

    def __str__(self) -> str:
        return f"{self.specimen_id}"
