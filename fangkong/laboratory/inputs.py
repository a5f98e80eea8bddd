"""Input schemas of the laboratory module: one per action, used by the page, the API and the import
(``fangkong.inputs``): a laboratory, a goods lot, a screening round, a pool, a specimen, a result (a result
file's rows are read with the same schema as the result form and the API), a result file, a case from a
positive result."""

from __future__ import annotations

import csv
import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fangkong import table_files
from fangkong.api.fields import DateField, DateTimeField
from fangkong.request_params import RegionCode
from fangkong.table_files import TableLimits, TableRejected

from .apps import RESULT_FILE_BYTES
from .models import LotStop, Outcome, ScreeningRound, Specimen

#: Ct values (Ct值) a real-time PCR can report: above 0, at most 45 cycles.
CT_MIN, CT_MAX = 0.0, 45.0
POOL_SIZES = (5, 10, 20)


class CtValuesField(serializers.Field):
    """Ct values by gene target: ``{"ORF1ab": 31.2, "N": 30.0}`` (API) or ``ORF1ab:31.2;N:30`` (form, file)."""

    default_error_messages = {
        "invalid": _("Write Ct values as target:value, separated by semicolons (ORF1ab:31.2;N:30)."),
        "range": _("A Ct value lies above 0 and at most 45."),
    }

    def to_internal_value(self, data):
        if isinstance(data, dict):
            pairs = list(data.items())
        elif isinstance(data, str):
            pairs = []
            for part in filter(None, (p.strip() for p in data.replace("；", ";").split(";"))):
                target, sep, value = part.replace("：", ":").partition(":")
                if not sep or not target.strip():
                    self.fail("invalid")
                pairs.append((target.strip(), value.strip()))
        else:
            self.fail("invalid")
        values = {}
        for target, value in pairs:
            try:
                ct = float(value)
            except (TypeError, ValueError):
                self.fail("invalid")
            if not (CT_MIN < ct <= CT_MAX):
                self.fail("range")
            values[str(target)[:16]] = round(ct, 2)
        return values

    def to_representation(self, value):
        return value


class LaboratoryInput(serializers.Serializer):
    """Record a laboratory: its name, service area, daily capacity (tubes) and the tests it runs."""

    name = serializers.CharField(max_length=200, label=_("Name"))
    region = RegionCode(required=True, label=_("Service area (region code)"))
    daily_capacity = serializers.IntegerField(min_value=1, max_value=10_000_000, label=_("Daily capacity (tubes)"))
    tests = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                  label=_("Tests run"))


class GoodsLotInput(serializers.Serializer):
    """Record a lot of imported goods."""

    region = RegionCode(required=True, label=_("Region code"))
    lot_no = serializers.CharField(max_length=64, label=_("Lot number"))
    description = serializers.CharField(max_length=200, label=_("Goods"))
    origin_country = serializers.CharField(max_length=64, label=_("Country of origin"))
    port = serializers.CharField(max_length=100, label=_("Port of entry"))
    container_no = serializers.CharField(max_length=32, required=False, allow_blank=True, default="",
                                         label=_("Container number"))
    warehouse = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                      label=_("Cold store or warehouse"))
    owner_name = serializers.CharField(max_length=200, label=_("Owner enterprise"))
    owner_credit_code = serializers.RegexField(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$",
                                               label=_("Unified social credit code"),
                                               error_messages={"invalid": _("Enter an 18-character unified social "
                                                                            "credit code.")})


class LotStopInput(serializers.Serializer):
    """Add a stop to a goods lot's path: its kind, the place and/or the enterprise (by number), the stop it came
    from, when the lot arrived and left."""

    kind = serializers.ChoiceField(choices=LotStop.Kind.choices, label=_("Kind of stop"))
    place = serializers.IntegerField(required=False, allow_null=True, default=None, label=_("Place (number)"))
    enterprise = serializers.IntegerField(required=False, allow_null=True, default=None,
                                          label=_("Enterprise (number)"))
    upstream = serializers.IntegerField(required=False, allow_null=True, default=None,
                                        label=_("Came from stop (number)"))
    arrived_at = DateTimeField(label=_("Arrived at"))
    left_at = DateTimeField(required=False, allow_null=True, default=None, label=_("Left at"))


class InvestigationCloseInput(serializers.Serializer):
    """Close an investigation with its conclusion."""

    note = serializers.CharField(max_length=4000, label=_("Conclusion"))


class PoolSizesField(serializers.Field):
    """Pool sizes allowed: a list (API) or ``5,10`` (form)."""

    default_error_messages = {"invalid": _("Choose pool sizes among 5, 10 and 20.")}

    def to_internal_value(self, data):
        items = data if isinstance(data, list) else str(data).replace("，", ",").split(",")
        try:
            sizes = sorted({int(str(i).strip()) for i in items if str(i).strip()})
        except ValueError:
            self.fail("invalid")
        if not sizes or any(s not in POOL_SIZES for s in sizes):
            self.fail("invalid")
        return sizes

    def to_representation(self, value):
        return value


class RoundInput(serializers.Serializer):
    """Open a mass-screening round of a county: its population, the expected prevalence and the sizes allowed."""

    county = RegionCode(required=True, label=_("County (region code)"))
    name = serializers.CharField(max_length=200, label=_("Name"))
    starts_on = DateField(label=_("Starts on"))
    population = serializers.IntegerField(min_value=1, max_value=100_000_000, label=_("Population to test"))
    expected_prevalence = serializers.FloatField(min_value=0.0, max_value=1.0, label=_("Expected prevalence"))
    pool_sizes = PoolSizesField(label=_("Pool sizes allowed"))
    days = serializers.IntegerField(min_value=1, max_value=ScreeningRound.MAX_DAYS, required=False, default=1,
                                    label=_("Sampling days"))


class RoundCloseInput(serializers.Serializer):
    """Close a round: its sampling finished, or cancelled before any pool."""

    status = serializers.ChoiceField(choices=[(s.value, s.label) for s in ScreeningRound.Status
                                              if s != ScreeningRound.Status.OPEN], label=_("The round is"))


class CitizenIdsField(serializers.Field):
    """Citizen IDs, one per line (form) or a list (API); numbers are looked up by keyed hash, never stored."""

    default_error_messages = {"invalid": _("Give the members' citizen IDs, one per line.")}

    def to_internal_value(self, data):
        items = data if isinstance(data, list) else str(data).replace(",", "\n").splitlines()
        numbers = [str(i).strip() for i in items if str(i).strip()]
        if not numbers:
            self.fail("invalid")
        return numbers

    def to_representation(self, value):
        return value


class PoolInput(serializers.Serializer):
    """Record a mixed tube (混管) of a round and its members."""

    round = serializers.IntegerField(label=_("Screening round"))
    laboratory = serializers.IntegerField(label=_("Laboratory"))
    code = serializers.CharField(max_length=32, label=_("Tube code"))
    size = serializers.ChoiceField(choices=[(s, str(s)) for s in POOL_SIZES], label=_("Pool size"))
    sampled_at = DateTimeField(label=_("Sampled at"))
    sampling_point = serializers.CharField(max_length=200, label=_("Sampling point"))
    sampler = serializers.CharField(max_length=64, label=_("Sampler"))
    citizen_ids = CitizenIdsField(label=_("Members' citizen IDs"))


class SpecimenInput(serializers.Serializer):
    """Record a specimen of a person (citizen ID), a goods lot or a place."""

    laboratory = serializers.IntegerField(label=_("Laboratory"))
    code = serializers.CharField(max_length=32, label=_("Specimen code"))
    subject = serializers.ChoiceField(choices=Specimen.Subject.choices, label=_("Subject"))
    kind = serializers.ChoiceField(choices=Specimen.Kind.choices, label=_("Specimen type"))
    sampled_at = DateTimeField(label=_("Sampled at"))
    sampling_point = serializers.CharField(max_length=200, label=_("Sampling point"))
    sampler = serializers.CharField(max_length=64, label=_("Sampler"))
    condition = serializers.ChoiceField(choices=Specimen.Condition.choices, default=Specimen.Condition.GOOD,
                                        label=_("Condition on arrival"))
    citizen_id = serializers.CharField(max_length=32, required=False, allow_blank=True, default="",
                                       label=_("Citizen ID"))
    goods_lot = serializers.IntegerField(required=False, allow_null=True, default=None, label=_("Goods lot"))
    place = serializers.IntegerField(required=False, allow_null=True, default=None, label=_("Place"))
    pool_member = serializers.IntegerField(required=False, allow_null=True, default=None,
                                           label=_("Re-sample of pool member"))


class ResultInput(serializers.Serializer):
    """The result of one sample (pool or specimen) by its code: positive, negative or inconclusive, Ct values,
    receipt and result times. A row of a result file is read with the same schema."""

    code = serializers.CharField(max_length=32, label=_("Sample code"))
    outcome = serializers.ChoiceField(choices=Outcome.choices, label=_("Result"))
    ct_values = CtValuesField(required=False, default=dict, label=_("Ct values"))
    received_at = DateTimeField(label=_("Received at"))
    resulted_at = DateTimeField(label=_("Resulted at"))


class ResultFileInput(serializers.Serializer):
    """A result file of a laboratory (CSV, UTF-8: code, outcome, ct_values, received_at, resulted_at)."""

    laboratory = serializers.IntegerField(label=_("Laboratory"))
    file = serializers.FileField(label=_("File"))


class CaseFromResultInput(serializers.Serializer):
    """Register (or find) the case of a positive single result: the classification to register."""

    classification = serializers.ChoiceField(choices=(("confirmed", _("Confirmed")),
                                                      ("asymptomatic", _("Asymptomatic infection"))),
                                             label=_("Classification"))


RESULT_COLUMNS = ("code", "outcome", "ct_values", "received_at", "resulted_at")
RESULT_REQUIRED = ("code", "outcome", "received_at", "resulted_at")
#: A city's round in one file: 1,750,000 tubes of 10 (17.5 million people) is about 120 MB of CSV.
RESULT_LIMITS = TableLimits(max_bytes=RESULT_FILE_BYTES, max_rows=2_500_000, max_columns=16)


def read_result_columns(content: bytes) -> tuple[list[int] | range, dict[str, list[str]]]:
    """A result file (CSV, UTF-8 with or without BOM) as its columns: the row number of each data row (the
    header is row 1; blank rows are left out) and, per column of ``RESULT_COLUMNS``, the rows' texts (``""``
    for a column the file does not have). The header's names are stripped and lower-cased; a required column
    missing, an unknown column, a file over ``RESULT_LIMITS`` or one that cannot be read is refused with
    ``ValidationError`` on ``file`` before any row is read with the schema."""
    def refuse(message):
        return ValidationError({"file": [message]})

    try:
        table_files.size_check(len(content), RESULT_LIMITS)
    except TableRejected as exc:
        raise refuse(exc.message) from exc
    if content[:len(table_files.XLSX_MAGIC)] == table_files.XLSX_MAGIC:
        raise refuse(_("A result file is CSV (UTF-8): save the spreadsheet as CSV."))
    if b"\x00" in content:
        raise refuse(_("The file holds a NUL character, which cannot be stored."))
    try:
        records = list(csv.reader(io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")))
    except UnicodeDecodeError as exc:
        raise refuse(_("The file is not UTF-8 text.")) from exc
    except csv.Error as exc:
        raise refuse(_("The file cannot be read as CSV: %(error)s") % {"error": exc}) from exc
    if not records:
        raise refuse(_("The file is empty."))
    header = [name.strip().lower() for name in records[0]]
    missing = [name for name in RESULT_REQUIRED if name not in header]
    unknown = [name for name in header if name and name not in RESULT_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        raise refuse(_("Row 1: the columns are %(columns)s (each once).") % {"columns": ", ".join(RESULT_COLUMNS)})
    body = records[1:]
    del records
    numbers: list[int] | range = range(2, len(body) + 2)
    if not all(map(any, body)):  # blank rows left out, the others keep their number in the file
        numbers = [n for n, cells in zip(numbers, body, strict=True) if any(cells)]
        body = [cells for cells in body if any(cells)]
    if len(body) > RESULT_LIMITS.max_rows:
        raise refuse(_("The file has more than %(cap)s rows.") % {"cap": f"{RESULT_LIMITS.max_rows:,}"})
    width = len(header)
    if body and set(map(len, body)) != {width}:
        body = [(cells + [""] * width)[:width] for cells in body]
    by_position = list(zip(*body, strict=True)) if body else [()] * width
    blank = [""] * len(body)
    columns = {name: list(by_position[header.index(name)]) if name in header else blank for name in RESULT_COLUMNS}
    return numbers, columns
