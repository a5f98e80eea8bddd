"""Policies that anonymise keep the statistics: the dashboard's historical figures are the same after the
purge, the persons lose name, IDs, phone, address and exact birth date (keeping sex, a ten-year band and
the county); an aggregating policy keeps counts by county, week, sex and age band before deleting."""

from __future__ import annotations

import datetime as dt

import pytest

from fangkong.cases.models import Case, Contact
from fangkong.dashboard.selectors import compute_situation
from fangkong.persons.models import Person
from fangkong.regions.models import Region
from fangkong.retention.models import AnonymisedRecord, RetainedFigure, RetentionPolicy
from fangkong.retention.purge import ANONYMOUS_NAME
from fangkong.retention.services import purge_decide, purge_plan, purge_run

from .conftest import AS_OF

pytestmark = pytest.mark.django_db


def _run(admin1, admin2):
    purge = purge_plan(actor=admin1, region="440000", as_of=AS_OF)
    purge_decide(actor=admin2, purge=purge, approve=True)
    return purge_run(purge_id=purge.pk, batch_size=3)


def test_anonymising_keeps_the_dashboards_historical_figures(scenario, admin1, admin2, province_commander):
    RetentionPolicy.objects.filter(category__in=["cases", "contacts"]).update(action="anonymise")
    province = Region.objects.get(code="440000")
    day = dt.date(2022, 3, 31)
    def figures():
        return {k: v for k, v in compute_situation(user=province_commander, region=province, day=day).items()
                if k != "computed_at"}

    before = figures()
    assert before["cumulative_total"] == 2
    purge = _run(admin1, admin2)
    assert figures() == before
    assert purge.progress["counts"]["contacts"]["anonymised"] == 7
    old_persons = Person.objects.filter(pk__in=[c.person_id for c in scenario.old_cases])
    assert set(old_persons.values_list("name", "citizen_id_sealed", "phone_sealed", "address_text")) == {
        (ANONYMOUS_NAME, "", "", "")}
    assert {p.birth_date for p in old_persons} == {dt.date(1970, 1, 1)} and {p.sex for p in old_persons} <= {"M", "F"}
    assert set(old_persons.values_list("address_region_id", flat=True)) == {"440304"}
    assert Case.objects.count() == 3 and Contact.objects.count() == 8
    # the person with a recent record keeps their identity
    assert Person.objects.filter(name="保留密接").exists()
    # run again: nothing left to do
    again = _run(admin1, admin2)
    assert again.progress.get("counts", {}).get("contacts") is None
    assert AnonymisedRecord.objects.filter(category="contacts").count() == 7


def test_aggregating_keeps_counts_by_county_week_sex_and_age_band(scenario, admin1, admin2):
    RetentionPolicy.objects.filter(category="contacts").update(action="aggregate")
    _run(admin1, admin2)
    figures = list(RetainedFigure.objects.filter(category="contacts").values_list("county", "week", "age_band", "count"))
    assert sum(f[3] for f in figures) == 7
    assert {(f[0], f[1], f[2]) for f in figures} == {("440304", "2022-W12", "50-59")}
    assert Contact.objects.count() == 1
