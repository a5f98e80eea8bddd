"""Input schemas of the resources module: one per action, used by the page, the API and an import row alike
(``fangkong.inputs``). The object acted on (site, store, assignment, requisition) comes from the URL."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fangkong.api.fields import DateField, DateTimeField
from fangkong.request_params import PAST, Cursor, Day, Query, RegionCode

from .models import BedType, Item, QuarantineSite, Room, StaffSkill

BIG = 2**62
ID = {"min_value": 1, "max_value": 2**63 - 1}


class Version(serializers.Serializer):
    """The version the user read (optimistic locking): empty when the caller does not send one."""

    version = serializers.IntegerField(min_value=1, max_value=2**31, required=False, allow_null=True,
                                       label=_("Version"))

    def validate(self, attrs):
        attrs["expected_version"] = attrs.pop("version", None)
        return attrs


class SiteInput(serializers.Serializer):
    region = RegionCode(required=True, label=_("Region"))
    name = serializers.CharField(max_length=200, label=_("Name"))
    kind = serializers.ChoiceField(QuarantineSite.Kind.choices, label=_("Kind"))
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, label=_("Address"))


class SiteManagerInput(serializers.Serializer):
    username = serializers.CharField(max_length=150, label=_("User name"))


class RoomsInput(serializers.Serializer):
    """Rooms ``prefix`` + ``first`` .. ``prefix`` + ``last`` of one type."""

    prefix = serializers.RegexField(r"^[A-Za-z0-9-]{0,8}$", required=False, allow_blank=True, label=_("Prefix"))
    first = serializers.IntegerField(min_value=1, max_value=99999, label=_("First number"))
    last = serializers.IntegerField(min_value=1, max_value=99999, label=_("Last number"))
    kind = serializers.ChoiceField(Room.Kind.choices, label=_("Room type"))


class RoomStateInput(Version):
    state = serializers.ChoiceField(Room.State.choices, label=_("Room state"))


class CheckInInput(serializers.Serializer):
    """A contact (by its number) or an inbound traveller (by id) into a free room."""

    room = serializers.IntegerField(**ID, label=_("Room"))
    contact_no = serializers.CharField(max_length=40, required=False, allow_blank=True, label=_("Contact number"))
    traveller_id = serializers.IntegerField(**ID, required=False, allow_null=True, label=_("Inbound traveller"))
    checked_in_at = DateTimeField(window=PAST, required=False, allow_null=True, label=_("Checked in"))

    def validate(self, attrs):
        if bool(attrs.get("contact_no")) == bool(attrs.get("traveller_id")):
            raise serializers.ValidationError({"contact_no": [_("Give either a contact number or an inbound traveller.")]})
        attrs["room_id"] = attrs.pop("room")
        return attrs


class CheckOutInput(Version):
    checked_out_at = DateTimeField(window=PAST, required=False, allow_null=True, label=_("Checked out"))


class TransferInput(Version):
    room = serializers.IntegerField(**ID, label=_("Room"))
    at = DateTimeField(window=PAST, required=False, allow_null=True, label=_("Time"))

    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs["room_id"] = attrs.pop("room")
        return attrs


class HospitalInput(serializers.Serializer):
    region = RegionCode(required=True, label=_("Region"))
    name = serializers.CharField(max_length=200, label=_("Name"))


class BedCensusInput(serializers.Serializer):
    bed_type = serializers.ChoiceField(BedType.choices, label=_("Bed type"))
    date = DateField(window=PAST, label=_("Date"))
    beds = serializers.IntegerField(min_value=0, max_value=10**6, label=_("Beds"))
    occupied = serializers.IntegerField(min_value=0, max_value=10**6, label=_("Occupied"))


class StoreInput(serializers.Serializer):
    region = RegionCode(required=True, label=_("Region"))
    name = serializers.CharField(max_length=200, label=_("Name"))


class TeamInput(serializers.Serializer):
    region = RegionCode(required=True, label=_("Region"))
    name = serializers.CharField(max_length=200, label=_("Name"))
    skill = serializers.ChoiceField(StaffSkill.choices, label=_("Skill"))
    size = serializers.IntegerField(min_value=1, max_value=100_000, label=_("Members"))


class RosterInput(serializers.Serializer):
    """A team's availability on a day, worked or planned."""

    date = DateField(label=_("Date"))
    available = serializers.IntegerField(min_value=0, max_value=100_000, label=_("Available"))


class StockInput(serializers.Serializer):
    """A receipt into a store or an issue out of it: a positive quantity and the reason."""

    item = serializers.ChoiceField(Item.choices, label=_("Item"))
    quantity = serializers.IntegerField(min_value=1, max_value=BIG, label=_("Quantity"))
    reason = serializers.CharField(max_length=200, label=_("Reason"))


class StockMovementInput(StockInput):
    """The store page's one form for both movements: which one, then the movement's own fields."""

    direction = serializers.ChoiceField((("receive", _("Receipt")), ("issue", _("Issue"))), default="receive",
                                        label=_("Movement"))


class RequisitionInput(serializers.Serializer):
    """A city asks another city of the province for supplies, into one of its stores."""

    store = serializers.IntegerField(**ID, label=_("Destination store"))
    supplying_city = RegionCode(required=True, label=_("Supplying city"))
    item = serializers.ChoiceField(Item.choices, label=_("Item"))
    quantity = serializers.IntegerField(min_value=1, max_value=BIG, label=_("Quantity"))
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, label=_("Note"))


class ApproveInput(Version):
    source_store = serializers.IntegerField(**ID, label=_("Source store"))


class RequisitionStepInput(Version):
    """Ship or receive a requisition."""


class RequisitionStepChoice(serializers.Serializer):
    """Which step of a requisition the page's button asks for (each step then has its own schema)."""

    step = serializers.ChoiceField(("approve", "ship", "receive"), label=_("Step"))


class ForecastQuery(Query):
    """The forecast's "what if": another protocol edition, or a fixed Rt, and the day it starts from."""

    date = Day(label=_("Date"))
    protocol = serializers.RegexField(r"^[a-z0-9-]{1,32}$", required=False, label=_("Protocol edition"))
    rt = serializers.FloatField(min_value=0, max_value=5, required=False, label=_("Rt"))


class SitePageQuery(Query):
    """A site's page: the day of its arrivals and departures, and the page of who is in."""

    date = Day(label=_("Date"))
    cursor = Cursor()


class RoomListQuery(Query):
    """The pages of a site's rooms."""

    cursor = Cursor()
