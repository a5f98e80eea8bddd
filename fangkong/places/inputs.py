"""Input schemas of the places module: one per action, used by the page, the API and the import
(``fangkong.inputs``)."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fangkong.api.fields import DateField, DateTimeField
from fangkong.cases.models import ContactCategory
from fangkong.persons.services import normalise_phone
from fangkong.request_params import PAST, RegionCode, Window

from .credit_code import CreditCodeError, parse_credit_code
from .models import Inspection, PlaceCategory, RiskTier

CREDIT_CODE_ERRORS = {
    "length": _("A unified social credit code has 18 characters."),
    "characters": _("A unified social credit code uses digits and capital letters without I, O, Z, S and V."),
    "region": _("Characters 3 to 8 of a unified social credit code are the region code (digits)."),
    "check": _("The check character (the 18th) does not match: the code is mistyped (GB 32100-2015)."),
}
RESULT_VALUES = ("pass", "fail", "na")
#: The same results as the Chinese interface asks for them (编号:合格 …).
RESULT_WORDS = {"合格": "pass", "不合格": "fail", "不适用": "na"}


class LabelledChoice(serializers.ChoiceField):
    """A coded value given by its code or its label in either language (an import template's 农贸市场)."""

    def to_internal_value(self, data):
        text = str(data).strip()
        for code, label in self.choices.items():
            if text in (code, str(label)) or text.lower() == str(label).lower():
                return code
        from django.utils.translation import override

        with override("zh-hans"):
            chinese = {str(label): code for code, label in self.choices.items()}
        with override("en"):
            english = {str(label).lower(): code for code, label in self.choices.items()}
        if text in chinese:
            return chinese[text]
        if text.lower() in english:
            return english[text.lower()]
        raise serializers.ValidationError(
            _("Unknown value %(value)s; choose among: %(choices)s.")
            % {"value": text[:40], "choices": "、".join(str(label) for label in self.choices.values())})


class PlaceInput(serializers.Serializer):
    """Register a key place."""

    category = LabelledChoice(PlaceCategory.choices, label=_("Category"))
    name = serializers.CharField(max_length=200, label=_("Name"))
    address = serializers.CharField(max_length=300, label=_("Address"))
    region = RegionCode(required=True, label=_("Region (county or street)"))
    responsible_unit = serializers.CharField(max_length=200, label=_("Responsible unit"))
    responsible_person = serializers.CharField(max_length=64, label=_("Responsible person"))
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True, label=_("Contact phone"))
    risk_tier = LabelledChoice(RiskTier.choices, required=False, allow_blank=True, label=_("Risk tier"))
    credit_code = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                        label=_("Unified social credit code"))

    def validate_contact_phone(self, value: str) -> str:
        if not value:
            return ""
        try:
            return normalise_phone(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def validate_credit_code(self, value: str) -> str:
        if not value:
            return ""
        try:
            return parse_credit_code(value)
        except CreditCodeError as exc:
            raise serializers.ValidationError(str(CREDIT_CODE_ERRORS[str(exc)])) from exc


class InspectionInput(serializers.Serializer):
    """Record an inspection of a place: a result per checklist item (``code:pass``, ``code:fail``,
    ``code:na``), or a waiver with its reason; a re-inspection names the inspection it follows up."""

    place = serializers.IntegerField(min_value=1, max_value=2**63 - 1, label=_("Place"))
    inspected_on = DateField(window=PAST, label=_("Inspected on"))
    mode = serializers.ChoiceField(Inspection.Mode.choices, default=Inspection.Mode.PHONE, label=_("Mode"))
    results = serializers.ListField(child=serializers.CharField(max_length=40), required=False,
                                    label=_("Results by item"))
    waived = serializers.BooleanField(default=False, label=_("Waived"))
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, label=_("Notes"))
    close_place = serializers.BooleanField(default=False, label=_("Close the place temporarily"))
    deadline = DateField(required=False, allow_null=True, label=_("Rectification deadline"))
    follow_up_of = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False, allow_null=True,
                                            label=_("Re-inspection of"))
    checklist_version = serializers.IntegerField(min_value=1, max_value=10_000, required=False, allow_null=True,
                                                 label=_("Checklist version"))

    def validate_results(self, value: list[str]) -> dict[str, str]:
        results: dict[str, str] = {}
        for entry in value:
            code, _sep, result = entry.replace("：", ":").partition(":")
            result = RESULT_WORDS.get(result.strip(), result.strip())
            code = code.strip()
            if result not in RESULT_VALUES or not code:
                raise serializers.ValidationError(
                    _("Give each item as code:pass, code:fail or code:na (%(entry)s).") % {"entry": entry[:40]})
            results[code] = result
        return results

    def validate(self, attrs):
        if attrs.get("waived") and not (attrs.get("notes") or "").strip():
            raise serializers.ValidationError({"notes": [_("Say why the inspection is waived.")]})
        if not attrs.get("waived") and not attrs.get("results"):
            raise serializers.ValidationError({"results": [_("Give the result of each checklist item.")]})
        return attrs


class RectificationInput(serializers.Serializer):
    """Move a rectification order on: start, submit (with evidence), verify, or reopen (with a new deadline)."""

    ACTIONS = (("start", _("Rectification started")), ("submit", _("Submit for verification")),
               ("verify", _("Verify")), ("reopen", _("Reopen")))
    action = serializers.ChoiceField(ACTIONS, label=_("Action"))
    evidence = serializers.CharField(max_length=2000, required=False, allow_blank=True, label=_("Evidence"))
    deadline = DateField(required=False, allow_null=True, label=_("New deadline"))


class ScanInput(serializers.Serializer):
    """A scan of a venue code: the code printed on the place, the person, the time."""

    venue_code = serializers.CharField(max_length=200, label=_("Venue code"))
    person = serializers.IntegerField(min_value=1, max_value=2**63 - 1, label=_("Person"))
    scanned_at = DateTimeField(window=PAST, label=_("Scanned at"))


class CoVisitEnlistInput(serializers.Serializer):
    """Turn co-visitors of a case into its contacts: the case, the persons chosen from its candidate list (the
    co-visit search with the same window), the contacts' category."""

    case = serializers.IntegerField(min_value=1, max_value=2**63 - 1, label=_("Case"))
    persons = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
                                    min_length=1, max_length=500, label=_("Co-visitors chosen"))
    window = serializers.IntegerField(min_value=5, max_value=240, default=30, label=_("Window (minutes)"))
    category = serializers.ChoiceField(ContactCategory.choices, default=ContactCategory.CLOSE,
                                       label=_("Contact category"))


#: A checklist version is published to come into force within a year (the service refuses a past day).
IN_FORCE = Window(earliest=dt.date(2020, 1, 1), future_days=366)
ITEM_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
#: The words that mark an item critical in the text form of a checklist (``G1 | 中文 | English | 关键``).
CRITICAL_WORDS = {"*", "critical", "关键", "关键项", "yes", "是", "true", "1"}


class ChecklistItemsField(serializers.Field):
    """A checklist's items: a list of ``{"code", "zh", "en", "critical"}`` (the API), or text with one item a
    line, ``code | 中文 | English | 关键`` (the page's text area, an import cell); the last two may be left out,
    a fourth part among ``CRITICAL_WORDS`` marks the item critical."""

    MAX_ITEMS = 100

    def to_representation(self, value):
        return value

    def to_internal_value(self, data):
        if isinstance(data, str):
            entries = []
            for line in data.splitlines():
                if not line.strip():
                    continue
                parts = [part.strip() for part in line.replace("｜", "|").split("|")]
                entries.append({"code": parts[0], "zh": parts[1] if len(parts) > 1 else "",
                                "en": parts[2] if len(parts) > 2 else "",
                                "critical": (parts[3].lower() if len(parts) > 3 else "") in CRITICAL_WORDS})
        elif isinstance(data, list) and all(isinstance(entry, dict) for entry in data):
            entries = [{"code": str(e.get("code", "")).strip(), "zh": str(e.get("zh", "")).strip(),
                        "en": str(e.get("en", "")).strip(), "critical": e.get("critical") in (True, "true", 1)}
                       for e in data]
        else:
            raise serializers.ValidationError(_("Give the items as a list of {code, zh, en, critical} or as text, one item a line."))
        if not entries:
            raise serializers.ValidationError(_("A checklist needs at least one item."))
        if len(entries) > self.MAX_ITEMS:
            raise serializers.ValidationError(_("At most %(limit)d items.") % {"limit": self.MAX_ITEMS})
        seen: set[str] = set()
        for number, entry in enumerate(entries, 1):
            if not ITEM_CODE.match(entry["code"]):
                raise serializers.ValidationError(
                    _("Item %(number)d: a code of 1 to 32 letters, digits, - or _ (%(code)s).")
                    % {"number": number, "code": entry["code"][:40]})
            if entry["code"] in seen:
                raise serializers.ValidationError(_("Item code %(code)s is given twice.") % {"code": entry["code"]})
            seen.add(entry["code"])
            if not entry["zh"] or len(entry["zh"]) > 300 or len(entry["en"]) > 300:
                raise serializers.ValidationError(
                    _("Item %(code)s: the Chinese text is required; each text at most 300 characters.")
                    % {"code": entry["code"]})
        return entries


class ChecklistPublishInput(serializers.Serializer):
    """Publish a new version of a category's checklist, in force from a day (today or later): the version in
    force until then is retired on that day."""

    category = LabelledChoice(PlaceCategory.choices, label=_("Category"))
    effective_from = DateField(window=IN_FORCE, label=_("In force from"))
    items = ChecklistItemsField(label=_("Items"))


class FindingNoteInput(serializers.Serializer):
    """A note and a photo on a finding (either or both): the photo is judged by its content (``photos.py``)."""

    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, label=_("Note"))
    photo = serializers.FileField(required=False, allow_null=True, allow_empty_file=False, use_url=False,
                                  label=_("Photo (JPEG or PNG, at most 5 MB)"))

    def validate_photo(self, upload):
        from .photos import checked_image

        if upload is None:
            return None
        try:
            return checked_image(upload)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def validate(self, attrs):
        if not (attrs.get("note") or "").strip() and attrs.get("photo") is None:
            raise serializers.ValidationError({"note": [_("Give a note or a photo.")]})
        return attrs
