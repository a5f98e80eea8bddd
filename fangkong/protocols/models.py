"""ProtocolVersion: the rules one protocol edition fixes (DESIGN.md §8), as effective-dated data.

A version is in force from its ``effective_from`` date until the next version's. Every decision that
depends on the protocol (a contact's test schedule, a risk area's lifting date) records or names the
version it used. Rows are edited only through ``fangkong.protocols.services.protocol_update``.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.epi.projection import QuarantineProtocol
from fangkong.protocols import periods

RISK_LEVELS = ("high", "medium", "low")
RISK_LEVEL_LABELS = {"high": _("high"), "medium": _("medium"), "low": _("low")}
#: The phases of a contact's test schedule, in the protocols' own words.
TEST_PHASE_LABELS = {"centralised": _("centralised quarantine for medical observation"),
                     "home": _("home health monitoring")}
#: How lists name the editions installed by ``editions.py`` (other versions: by their full name).
SHORT_NAMES = {"8th": _("8th edition"), "9th": _("9th edition"), "nov-2022": _("Twenty measures")}


class ProtocolVersion(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    effective_from = models.DateField(_("in force from"), unique=True)
    # Close contacts: centralised quarantine then home health monitoring, test days 1-based per period.
    close_contact_centralised_days = models.PositiveSmallIntegerField(_("close contacts: centralised days"))
    close_contact_home_days = models.PositiveSmallIntegerField(_("close contacts: home days"))
    close_contact_test_days = models.JSONField(_("close contacts: test days (centralised)"), default=list)
    close_contact_home_test_days = models.JSONField(_("close contacts: test days (home)"), default=list)
    # Contacts of close contacts ("secondary contacts").
    secondary_contacts_traced = models.BooleanField(_("contacts of close contacts traced"), default=True)
    secondary_contact_days = models.PositiveSmallIntegerField(_("secondary contacts: days"), default=0)
    secondary_contact_centralised = models.BooleanField(_("secondary contacts: centralised"), default=False)
    secondary_contact_test_days = models.JSONField(_("secondary contacts: test days"), default=list)
    inbound_centralised_days = models.PositiveSmallIntegerField(_("inbound travellers: centralised days"))
    inbound_home_days = models.PositiveSmallIntegerField(_("inbound travellers: home days"))
    # Risk areas: the levels in use and the lifting rule.
    risk_levels = models.JSONField(_("risk-area levels"), default=list)
    risk_area_lift_days = models.PositiveSmallIntegerField(_("risk areas: days without new infection to lift"))
    risk_area_lift_needs_screen = models.BooleanField(
        _("risk areas: lifting needs a negative area-wide screen"), default=False)
    # Look-back window for contacts: days before onset (or sampling for asymptomatic cases).
    lookback_days = models.PositiveSmallIntegerField(_("look-back window (days before onset)"), default=2)
    lookback_from_last_negative = models.BooleanField(
        _("look back from the last negative test for screening finds"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    # The edition's own words for its rules (``fangkong.protocols.editions.CITATIONS``): document, number,
    # date and quoted clauses. Data, not rules: the rules are the fields above.
    citations = models.JSONField(_("citations"), default=dict, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["effective_from"]
        verbose_name = _("protocol version")
        verbose_name_plural = _("protocol versions")

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en

    @property
    def short_name(self) -> str:
        return str(SHORT_NAMES[self.code]) if self.code in SHORT_NAMES else self.name

    @property
    def risk_level_names(self) -> list:
        return [RISK_LEVEL_LABELS.get(level, level) for level in self.risk_levels]

    def clean(self):
        errors: dict[str, list[str]] = {}
        for days_field, tests_field in (
            ("close_contact_centralised_days", "close_contact_test_days"),
            ("close_contact_home_days", "close_contact_home_test_days"),
            ("secondary_contact_days", "secondary_contact_test_days"),
        ):
            days = getattr(self, days_field) or 0
            tests = getattr(self, tests_field)
            if not isinstance(tests, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in tests):
                errors.setdefault(tests_field, []).append(_("A list of whole day numbers."))
            elif any(d < 1 or d > days for d in tests):
                errors.setdefault(tests_field, []).append(
                    _("Test days must lie within 1..%(days)d.") % {"days": days})
        if not isinstance(self.risk_levels, list) or not self.risk_levels or any(
                level not in RISK_LEVELS for level in self.risk_levels):
            errors.setdefault("risk_levels", []).append(_("Choose among high, medium and low."))
        if errors:
            raise ValidationError(errors)

    def as_quarantine_protocol(self) -> QuarantineProtocol:
        """The same rules as the analytics library's dataclass (for projections and demand)."""
        return QuarantineProtocol(
            name=self.name_en,
            close_contact_centralised_days=self.close_contact_centralised_days,
            close_contact_home_days=self.close_contact_home_days,
            close_contact_test_days=tuple(self.close_contact_test_days),
            close_contact_home_test_days=tuple(self.close_contact_home_test_days),
            secondary_contacts_traced=self.secondary_contacts_traced,
            secondary_contact_days=self.secondary_contact_days,
            secondary_contact_centralised=self.secondary_contact_centralised,
            secondary_contact_test_days=tuple(self.secondary_contact_test_days),
            inbound_centralised_days=self.inbound_centralised_days,
            inbound_home_days=self.inbound_home_days,
        )

    def test_schedule(self, category: str, start: dt.date) -> list[dict]:
        """Test dates when day 1 of the period is ``start`` (``fangkong.protocols.periods.test_schedule``).

        ``category`` is ``close``, ``secondary`` or ``inbound``; each entry is {"date", "phase", "day"}. Empty when
        the protocol does not manage that category.
        """
        return periods.test_schedule(self, category, start)

    def management_end(self, category: str, start: dt.date) -> dt.date | None:
        """The day after the last day of management when day 1 is ``start`` (release date), or None when
        not managed."""
        period = periods.management_period(self, category, start - periods.DAY)
        return period.release_due if period else None

    def management_period(self, category: str, counted_from: dt.date) -> periods.ManagementPeriod | None:
        """The period of ``close``, ``secondary`` or ``inbound`` when day 0 (last exposure, day of entry) is
        ``counted_from``; None when the edition does not manage that category."""
        return periods.management_period(self, category, counted_from)

    def contact_plan(self, category: str, *, exposure_end: dt.date | None,
                     listed_date: dt.date) -> tuple[list[dict], dt.date | None]:
        """(test schedule, release due) of a contact: counted from the last exposure, else the listing date."""
        return periods.contact_plan(self, category, exposure_end=exposure_end, listed_date=listed_date)

    @property
    def citation_clauses(self) -> list[dict]:
        return list((self.citations or {}).get("clauses", []))

    def risk_area_lift_date(self, *, designated_from: dt.date, last_infection: dt.date | None,
                            negative_screen: dt.date | None) -> dt.date | None:
        """The first day the area may be lifted: N days after the later of designation and last infection,
        and (when the rule needs it) not before a negative area-wide screen; None while that screen is due.
        """
        base = max(designated_from, last_infection) if last_infection else designated_from
        lift = base + dt.timedelta(days=self.risk_area_lift_days)
        if self.risk_area_lift_needs_screen:
            if negative_screen is None or negative_screen < base:
                return None
            lift = max(lift, negative_screen)
        return lift
