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

RISK_LEVELS = ("high", "medium", "low")
RISK_LEVEL_LABELS = {"high": _("high"), "medium": _("medium"), "low": _("low")}


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
        """Test dates for a contact whose management starts on ``start``.

        ``category`` is ``close`` or ``secondary``; each entry is {"date", "phase", "day"}. Empty when
        the protocol does not manage that category.
        """
        schedule = []
        if category == "close":
            for day in self.close_contact_test_days:
                schedule.append({"date": (start + dt.timedelta(days=day - 1)).isoformat(),
                                 "phase": "centralised", "day": day})
            home_start = start + dt.timedelta(days=self.close_contact_centralised_days)
            for day in self.close_contact_home_test_days:
                schedule.append({"date": (home_start + dt.timedelta(days=day - 1)).isoformat(),
                                 "phase": "home", "day": day})
        elif category == "secondary" and self.secondary_contacts_traced:
            phase = "centralised" if self.secondary_contact_centralised else "home"
            for day in self.secondary_contact_test_days:
                schedule.append({"date": (start + dt.timedelta(days=day - 1)).isoformat(),
                                 "phase": phase, "day": day})
        return schedule

    def management_end(self, category: str, start: dt.date) -> dt.date | None:
        """The day after the last day of management (release date), or None when not managed."""
        if category == "close":
            return start + dt.timedelta(days=self.close_contact_centralised_days + self.close_contact_home_days)
        if category == "secondary" and self.secondary_contacts_traced:
            return start + dt.timedelta(days=self.secondary_contact_days)
        return None

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
