"""Each case's earlies intervals (``CaseEarlies``) equal what the case's own dates and times give, after
every write path (registration, edit, conversion of a contact, import), and the earlies figures read from
them equal figures computed from the case rows."""

from __future__ import annotations

import datetime as dt
import random
import statistics

import pytest
from django.db.models import DurationField, ExpressionWrapper, F
from django.db.models.functions import TruncDate

from fangkong.cases.case_earlies import case_earlies_rebuild
from fangkong.cases.imports import cases_import
from fangkong.cases.models import Case, CaseEarlies
from fangkong.cases.services import case_update, contact_convert_to_case
from fangkong.cases.tests.builders import at, make_case, make_contact
from fangkong.cases.tests.test_imports_scale import _case as import_row
from fangkong.surveillance.earlies import INTERVALS, earlies, earlies_targets_for

pytestmark = pytest.mark.django_db


def _duration(expression):
    return ExpressionWrapper(expression, output_field=DurationField())


def _from_case_rows() -> dict[int, tuple]:
    """Each case's intervals in hours, computed by the database from the case row (independently of
    ``fangkong.cases.case_earlies``)."""
    expressions = {
        "onset_visit": _duration(TruncDate("first_visit_at") - F("onset_date")),
        "visit_sampling": _duration(F("sampling_date") - TruncDate("first_visit_at")),
        "sampling_report": _duration(F("report_date") - F("sampling_date")),
        "diagnosis_report": _duration(F("reported_at") - F("diagnosed_at")),
        "report_isolation": _duration(F("isolated_at") - F("reported_at")),
        "isolation_treatment": _duration(F("treatment_at") - F("isolated_at")),
    }
    out = {}
    for row in Case.objects.annotate(**{f"x_{k}": v for k, v in expressions.items()}).values(
            "pk", "report_region_id", "report_date", "reported_late", *(f"x_{k}" for k in expressions)):
        hours = []
        for key in expressions:
            value = row[f"x_{key}"]
            if isinstance(value, int):  # SQLite: microseconds
                value = dt.timedelta(microseconds=value)
            hours.append(None if value is None else round(value.total_seconds() / 3600, 6))
        out[row["pk"]] = (row["report_region_id"], row["report_date"], row["reported_late"], *hours)
    return out


def _stored() -> dict[int, tuple]:
    keys = [k for k, _label, _field in INTERVALS]
    return {row[0]: (row[1], row[2], row[3], *(None if v is None else round(v, 6) for v in row[4:]))
            for row in CaseEarlies.objects.values_list("case_id", "region_id", "report_date", "reported_late", *keys)}


def _maybe(rng, value, chance=0.75):
    return value if rng.random() < chance else None


def test_intervals_follow_every_write_path(province_commander, shenzhen_epi):
    rng = random.Random(12)
    cases = []
    for i in range(12):
        day = dt.date(2022, 3, 1) + dt.timedelta(days=rng.randrange(10))
        case = make_case(province_commander, region=rng.choice(["440304", "440303", "440106"]), day=day.isoformat(),
                         hour=rng.randrange(6, 20), report_hour=rng.choice([None, 23]),
                         # the onset on the day of the first visit or before (the visit is the day before)
                         onset_date=_maybe(rng, day - dt.timedelta(days=1 + rng.randrange(4))),
                         sampling_date=_maybe(rng, day - dt.timedelta(days=rng.randrange(2))),
                         first_visit_at=_maybe(rng, at((day - dt.timedelta(days=1)).isoformat(), rng.randrange(24))),
                         isolated_at=_maybe(rng, at(day.isoformat(), 23)), name=f"病例{i}")
        cases.append(case)
        assert _stored() == _from_case_rows(), i
    for case in rng.sample(cases, 6):  # edits of the dates and the earlies' times
        case.refresh_from_db()
        changes = {"isolated_at": at(case.report_date.isoformat(), 23), "treatment_at": _maybe(
            rng, at((case.report_date + dt.timedelta(days=1)).isoformat(), rng.randrange(24))),
            "onset_date": case.report_date - dt.timedelta(days=rng.randrange(1, 4))}
        case_update(actor=province_commander, case=case, expected_version=case.version, changes=changes)
        assert _stored() == _from_case_rows()
    contact = make_contact(shenzhen_epi, source_case=cases[0], region="440304", listed="2022-03-12")
    converted = contact_convert_to_case(actor=shenzhen_epi, contact=contact, expected_version=contact.version,
                                        diagnosed_at=at("2022-03-14", 8), sampling_date=dt.date(2022, 3, 13))
    assert converted.pk in _stored()
    assert _stored() == _from_case_rows()
    dongguan = make_case(province_commander, region="441900", name="东莞源", day="2022-03-12")
    cases_import(actor=province_commander, source="c.csv", rows=[
        import_row("E1", first_visit_at="2022-03-13 20:00", isolated_at="2022-03-15 12:00",
                   treatment_at="2022-03-15 14:00"),
        import_row("E2", infector_case_no=dongguan.case_no, onset_date="", first_visit_at="2022-03-14 23:30")])
    assert len(_stored()) == Case.objects.count()
    assert _stored() == _from_case_rows()
    Case.objects.filter(pk=cases[1].pk).delete()
    assert _stored() == _from_case_rows()

    CaseEarlies.objects.all().delete()
    assert case_earlies_rebuild() == Case.objects.count()
    assert _stored() == _from_case_rows()


def test_the_earlies_figures_equal_figures_computed_from_the_case_rows(province_commander, shenzhen_epi):
    rng = random.Random(5)
    for i in range(30):
        day = dt.date(2022, 3, 7) + dt.timedelta(days=rng.randrange(14))
        visit_day = day - dt.timedelta(days=rng.randrange(1, 4))
        make_case(province_commander, region=rng.choice(["440304", "440303", "440305", "440106"]),
                  day=day.isoformat(), hour=rng.randrange(6, 20), report_hour=rng.choice([None, None, 23]),
                  onset_date=_maybe(rng, visit_day - dt.timedelta(days=rng.randrange(3))),  # not after the visit
                  sampling_date=_maybe(rng, day - dt.timedelta(days=rng.randrange(3))),
                  first_visit_at=_maybe(rng, at(visit_day.isoformat(), 10)),
                  isolated_at=_maybe(rng, at(day.isoformat(), 9 + rng.randrange(14))), name=f"例{i}")
    first, last = dt.date(2022, 3, 8), dt.date(2022, 3, 18)

    result = earlies(shenzhen_epi, "440300", first, last)

    targets = earlies_targets_for("440300")
    keys = [k for k, _label, _field in INTERVALS]
    in_period = [(pk, row) for pk, row in _from_case_rows().items()
                 if row[0].startswith("4403") and first <= row[1] <= last]
    assert result["total"]["cases"] == len(in_period) > 10
    for child in result["regions"]:
        rows = [row for _pk, row in in_period if row[0] == child["code"]]
        assert child["cases"] == len(rows)
        for i, (key, _label, field) in enumerate(INTERVALS):
            measured = [(row[3 + i], row[2]) for row in rows if row[3 + i] is not None]
            within = sum(1 for value, late in measured if (not late if not field else value <= targets[field]))
            median = round(statistics.median(v for v, _late in measured), 1) if measured else None
            assert child[key] == {"n": len(measured), "median_hours": median, "within": within,
                                  "share": round(within / len(measured), 4) if measured else None}, (child, key)
    assert keys == [i["key"] for i in result["intervals"]]
