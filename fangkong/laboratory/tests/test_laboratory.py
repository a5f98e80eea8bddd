"""The laboratory module's own tests: pools flag their members at once and resolve from their singles in any
order; bad input is refused with a clear error and changes nothing (page, API and file alike); a result file
imported twice is not doubled; the laboratory role sees the persons of its own samples only; a positive
single becomes a case through the cases service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.inputs import validate_row
from fangkong.worklists.models import Problem

from ..inputs import ResultInput
from ..models import Outcome, Pool, PoolMember, Result, ScreeningRound, Specimen
from ..services import (
    case_from_result,
    pool_record,
    result_record,
    results_import,
    specimen_record,
)

pytestmark = pytest.mark.django_db

SAMPLED = timezone.now() - dt.timedelta(hours=30)
RECEIVED = SAMPLED + dt.timedelta(hours=2)
RESULTED = SAMPLED + dt.timedelta(hours=6)


def _pool(actor, screening, lab, numbers, code="P1", size=10):
    return pool_record(actor=actor, round=screening, laboratory=lab, code=code, size=size, sampled_at=SAMPLED,
                       sampling_point="莲花采样点", sampler="采样员", citizen_ids=numbers)


def _result(actor, lab, code, outcome, ct=None, **kw):
    ct = ct if ct is not None else ({"ORF1ab": 30.0} if outcome != Outcome.NEGATIVE else {})
    return result_record(actor=actor, laboratory=lab, code=code, outcome=outcome, ct_values=ct,
                         received_at=RECEIVED, resulted_at=RESULTED, **kw)


def _single(actor, lab, member, code):
    return specimen_record(actor=actor, laboratory=lab, code=code, subject="person", kind="throat",
                           sampled_at=RESULTED, sampling_point="单采点", sampler="采样员", pool_member=member)


def _single_result(actor, lab, member, code, outcome):
    _single(actor, lab, member, code)
    return result_record(actor=actor, laboratory=lab, code=code, outcome=outcome,
                         ct_values={"N": 28.0} if outcome != Outcome.NEGATIVE else {},
                         received_at=RESULTED + dt.timedelta(hours=1), resulted_at=RESULTED + dt.timedelta(hours=3))


# --- pools --------------------------------------------------------------------------------------------------


def test_a_positive_pool_puts_every_member_under_control_at_once(lab_user, lab, screening, people):
    pool = _pool(lab_user, screening, lab, [n for _p, n in people[:10]])
    assert PoolMember.objects.filter(pool=pool, controlled_at__isnull=False).count() == 0
    _result(lab_user, lab, "P1", Outcome.POSITIVE)
    members = PoolMember.objects.filter(pool=pool)
    assert members.count() == 10 and all(m.controlled_at and m.resample_due > m.controlled_at for m in members)
    problem = Problem.objects.get(source="laboratory", source_key=f"flag:{pool.pk}")
    assert problem.region_id == "440304" and "10" in problem.title and problem.tasks.count() == 1
    assert problem.tasks.get().deadline is not None
    screening.refresh_from_db()
    assert (screening.pools_sampled, screening.persons_sampled, screening.pools_tested, screening.pools_positive) \
        == (1, 10, 1, 1)


def test_a_negative_pool_flags_nobody(lab_user, lab, screening, people):
    _pool(lab_user, screening, lab, [n for _p, n in people[:5]], size=5)
    _result(lab_user, lab, "P1", Outcome.NEGATIVE)
    assert not PoolMember.objects.filter(controlled_at__isnull=False).exists()
    assert not Problem.objects.filter(source="laboratory").exists()


def test_the_person_page_shows_the_temporary_control(client, lab_user, shenzhen_epi, lab, screening, people):
    _pool(lab_user, screening, lab, [n for _p, n in people[:5]], size=5)
    client.force_login(shenzhen_epi)
    page = client.get(f"/persons/{people[0][0].pk}/").content.decode()
    assert "P1" not in page
    _result(lab_user, lab, "P1", Outcome.INCONCLUSIVE)
    page = client.get(f"/persons/{people[0][0].pk}/").content.decode()
    assert "P1" in page and 'id="laboratory-control"' in page
    assert "P1" not in client.get(f"/persons/{people[6][0].pk}/").content.decode()


def test_the_contact_page_of_a_controlled_person_shows_the_control_too(client, lab_user, shenzhen_epi, lab,
                                                                       screening, people):
    """The control is visible on the person's contact record as on the person's page (the kit's record
    sections); a contact of another person shows none."""
    from fangkong.cases.tests.builders import make_case, make_contact

    case = make_case(shenzhen_epi, region="440304", day="2022-03-12", name="源病例")
    controlled = make_contact(shenzhen_epi, source_case=case, region="440304", listed="2022-03-13",
                              person=people[0][0])
    other = make_contact(shenzhen_epi, source_case=case, region="440304", listed="2022-03-13", person=people[6][0])
    _pool(lab_user, screening, lab, [n for _p, n in people[:5]], size=5)
    _result(lab_user, lab, "P1", Outcome.POSITIVE)
    client.force_login(shenzhen_epi)
    page = client.get(f"/cases/contacts/{controlled.pk}/").content.decode()
    assert 'id="laboratory-control"' in page and "P1" in page
    assert 'id="laboratory-control"' not in client.get(f"/cases/contacts/{other.pk}/").content.decode()


def test_a_member_in_two_pools_of_a_round_is_refused(lab_user, lab, screening, people):
    _pool(lab_user, screening, lab, [n for _p, n in people[:5]], size=5)
    with pytest.raises(ValidationError) as refused:
        _pool(lab_user, screening, lab, [n for _p, n in people[4:9]], code="P2", size=5)
    assert "already in another pool" in str(refused.value.message_dict["citizen_ids"])
    assert Pool.objects.count() == 1 and PoolMember.objects.count() == 5


def test_a_pool_size_the_round_does_not_allow_is_refused(lab_user, lab, screening, people):
    with pytest.raises(ValidationError) as refused:
        _pool(lab_user, screening, lab, [n for _p, n in people[:5]], size=20)
    assert "5, 10" in str(refused.value.message_dict["size"])
    with pytest.raises(ValidationError) as refused:
        _pool(lab_user, screening, lab, [n for _p, n in people[:11]], size=10)
    assert "citizen_ids" in refused.value.message_dict
    assert not Pool.objects.exists() and ScreeningRound.objects.get().pools_sampled == 0


def test_a_person_outside_the_service_area_is_refused(lab_user, lab, screening, people, province_commander):
    from fangkong.testing.builders import citizen_id, make_person

    far = citizen_id("440104")
    make_person(province_commander, name="越秀居民", region="440104", cid=far)
    with pytest.raises(ValidationError) as refused:
        _pool(lab_user, screening, lab, [people[0][1], far], size=5)
    elsewhere = refused.value.message_dict["citizen_ids"]
    assert "not registered in the laboratory's service area" in str(elsewhere)
    with pytest.raises(ValidationError) as refused:  # a number registered nowhere gets the very same answer
        _pool(lab_user, screening, lab, [people[0][1], citizen_id("440104")], size=5)
    assert refused.value.message_dict["citizen_ids"] == elsewhere
    with pytest.raises(ValidationError):
        specimen_record(actor=lab_user, laboratory=lab, code="S9", subject="person", kind="throat",
                        sampled_at=SAMPLED, sampling_point="x", sampler="y", citizen_id=far)
    assert not Pool.objects.exists() and not Specimen.objects.exists()


def test_identifiers_are_never_stored_in_clear(lab_user, lab, screening, people):
    from django.db import connection

    _pool(lab_user, screening, lab, [n for _p, n in people[:5]], size=5)
    for table in ("laboratory_pool", "laboratory_poolmember", "audit_auditevent"):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            dump = repr(cursor.fetchall())
        assert not any(n in dump for _p, n in people[:5]), table


# --- resolution ---------------------------------------------------------------------------------------------


def test_a_single_contradicting_its_pool_resolves_it_not_confirmed(lab_user, lab, screening, people):
    pool = _pool(lab_user, screening, lab, [n for _p, n in people[:5]], size=5)
    _result(lab_user, lab, "P1", Outcome.POSITIVE)
    for i, member in enumerate(pool.members.order_by("id")):
        _single_result(lab_user, lab, member, f"S{i}", Outcome.NEGATIVE)
    pool.refresh_from_db()
    assert pool.result.outcome == Outcome.POSITIVE and pool.resolution == Pool.Resolution.NOT_CONFIRMED
    assert not PoolMember.objects.filter(released_at__isnull=True).exists()
    assert ScreeningRound.objects.get().pools_resolved == 1


def test_a_member_resampled_twice_keeps_the_decisive_result(lab_user, lab, screening, people):
    pool = _pool(lab_user, screening, lab, [n for _p, n in people[:5]], size=5)
    _result(lab_user, lab, "P1", Outcome.POSITIVE)
    members = list(pool.members.order_by("id"))
    _single_result(lab_user, lab, members[0], "S0a", Outcome.INCONCLUSIVE)
    members[0].refresh_from_db()
    assert members[0].verdict == Outcome.INCONCLUSIVE and members[0].released_at is None  # still controlled
    _single_result(lab_user, lab, members[0], "S0b", Outcome.NEGATIVE)
    members[0].refresh_from_db()
    assert members[0].verdict == Outcome.NEGATIVE and members[0].released_at is not None
    _single_result(lab_user, lab, members[1], "S1a", Outcome.POSITIVE)
    _single_result(lab_user, lab, members[1], "S1b", Outcome.NEGATIVE)  # a later negative undoes no positive
    members[1].refresh_from_db()
    assert members[1].verdict == Outcome.POSITIVE and members[1].released_at is None
    pool.refresh_from_db()
    assert pool.resolution == ""  # three members still without a single
    for i, member in enumerate(members[2:]):
        _single_result(lab_user, lab, member, f"S{i + 2}", Outcome.NEGATIVE)
    pool.refresh_from_db()
    assert pool.resolution == Pool.Resolution.CONFIRMED


# --- bad input ----------------------------------------------------------------------------------------------


def test_results_for_unknown_or_resulted_samples_are_refused_and_change_nothing(lab_user, lab, screening, people):
    _pool(lab_user, screening, lab, [n for _p, n in people[:5]], size=5)
    with pytest.raises(ValidationError) as refused:
        _result(lab_user, lab, "NOPE", Outcome.NEGATIVE)
    assert "No sample with this code" in str(refused.value.message_dict["code"])
    _result(lab_user, lab, "P1", Outcome.NEGATIVE)
    with pytest.raises(ValidationError) as refused:
        _result(lab_user, lab, "P1", Outcome.POSITIVE)
    assert "already has a result" in str(refused.value.message_dict["code"])
    assert list(Result.objects.values_list("outcome", flat=True)) == [Outcome.NEGATIVE]
    assert not PoolMember.objects.filter(controlled_at__isnull=False).exists()


@pytest.mark.parametrize("ct", ["ORF1ab:0", "ORF1ab:45.01", "N:-3", "N:abc", "ORF1ab 30"])
def test_a_ct_value_out_of_range_is_refused_by_page_api_and_file(client, lab_user, lab, screening, people, ct):
    _pool(lab_user, screening, lab, [n for _p, n in people[:5]], size=5)
    row = {"code": "P1", "outcome": "positive", "ct_values": ct, "received_at": RECEIVED.isoformat(),
           "resulted_at": RESULTED.isoformat()}
    assert "ct_values" in validate_row(ResultInput, row)[1]
    client.force_login(lab_user)
    assert client.post(f"/laboratory/labs/{lab.pk}/results/new/", row).status_code == 400
    api = client.post(f"/api/v1/laboratories/{lab.pk}/results/", row, content_type="application/json")
    assert api.status_code == 400 and "ct_values" in api.json()["error"]["fields"]
    csv = f"code,outcome,ct_values,received_at,resulted_at\nP1,positive,{ct},{RECEIVED.isoformat()},{RESULTED.isoformat()}\n"
    with pytest.raises(ValidationError):
        results_import(actor=lab_user, laboratory=lab, content=csv.encode())
    assert not Result.objects.exists() and ScreeningRound.objects.get().pools_tested == 0


def test_ct_values_at_the_bounds_are_accepted():
    data, errors = validate_row(ResultInput, {"code": "x", "outcome": "positive", "ct_values": "ORF1ab:45;N:0.01",
                                              "received_at": RECEIVED.isoformat(), "resulted_at": RESULTED.isoformat()})
    assert errors == {} and data["ct_values"] == {"ORF1ab": 45.0, "N": 0.01}


def test_page_api_and_file_record_the_same_result(client, lab_user, lab, screening, people):
    for i in range(3):
        _pool(lab_user, screening, lab, [people[i][1]], code=f"P{i}", size=5)
    row = {"outcome": "positive", "ct_values": "ORF1ab:31.5;N:30", "received_at": RECEIVED.isoformat(),
           "resulted_at": RESULTED.isoformat()}
    client.force_login(lab_user)
    assert client.post(f"/laboratory/labs/{lab.pk}/results/new/", {"code": "P0", **row}).status_code == 302
    assert client.post(f"/api/v1/laboratories/{lab.pk}/results/", {"code": "P1", **row},
                       content_type="application/json").status_code == 201
    csv = f"code,outcome,ct_values,received_at,resulted_at\nP2,positive,ORF1ab:31.5;N:30,{RECEIVED.isoformat()},{RESULTED.isoformat()}\n"
    results_import(actor=lab_user, laboratory=lab, content=csv.encode())
    assert sorted(Result.objects.values_list("pool__code", "outcome", "ct_values")) == \
        [(f"P{i}", "positive", {"ORF1ab": 31.5, "N": 30.0}) for i in range(3)]


def test_a_result_file_imported_twice_is_not_doubled(lab_user, lab, screening, people):
    for i in range(3):
        _pool(lab_user, screening, lab, [people[i][1]], code=f"P{i}", size=5)
    lines = "".join(f"P{i},{'positive' if i == 0 else 'negative'},{'N:29' if i == 0 else ''},"
                    f"{RECEIVED.isoformat()},{RESULTED.isoformat()}\n" for i in range(3))
    content = ("code,outcome,ct_values,received_at,resulted_at\n" + lines).encode()
    first = results_import(actor=lab_user, laboratory=lab, content=content)
    again = results_import(actor=lab_user, laboratory=lab, content=content)
    assert again.pk == first.pk and (first.rows, first.recorded) == (3, 3)
    # the same rows in another file (re-exported with a different line ending): recorded once, counted unchanged
    other = results_import(actor=lab_user, laboratory=lab, content=content.replace(b"\n", b"\r\n"))
    assert (other.recorded, other.unchanged) == (0, 3)
    assert Result.objects.count() == 3 and ScreeningRound.objects.get().pools_tested == 3
    assert Problem.objects.filter(source="laboratory").count() == 1


# --- who may ------------------------------------------------------------------------------------------------


def test_only_the_laboratorys_staff_or_an_epidemiologist_records_its_results(lab, screening, people, shenzhen_epi,
                                                                              guangzhou_epi, analyst):
    from fangkong.accounts.roles import Role
    from fangkong.testing.builders import make_user

    _pool(shenzhen_epi, screening, lab, [people[0][1]], size=5)
    other_lab = make_user("other_lab", ("440300", Role.LABORATORY))  # a laboratory role, not this lab's staff
    for actor in (other_lab, guangzhou_epi, analyst):
        with pytest.raises(PermissionDenied):
            _result(actor, lab, "P1", Outcome.NEGATIVE)
    assert not Result.objects.exists()


def test_the_laboratory_sees_the_persons_of_its_own_samples_only(client, lab_user, lab, screening, people,
                                                               shenzhen_epi):
    from fangkong.laboratory.selectors import own_sample_persons
    from fangkong.laboratory.services import laboratory_create

    pool = _pool(lab_user, screening, lab, [n for _p, n in people[:5]], size=5)
    other = laboratory_create(actor=shenzhen_epi, name="另一实验室", region="440300", daily_capacity=10)
    other_pool = _pool(shenzhen_epi, screening, other, [n for _p, n in people[5:10]], code="Q1", size=5)
    assert set(own_sample_persons(lab_user).values_list("pk", flat=True)) == {p.pk for p, _n in people[:5]}
    client.force_login(lab_user)
    mine = client.get(f"/laboratory/pools/{pool.pk}/").content.decode()
    theirs = client.get(f"/laboratory/pools/{other_pool.pk}/").content.decode()
    assert people[0][0].name in mine
    assert not any(p.name in theirs for p, _n in people[5:10])
    assert client.get(f"/persons/{people[0][0].pk}/").status_code == 403  # the registry is not the lab's


def test_a_positive_single_becomes_a_case_once(lab_user, lab, screening, people, shenzhen_epi):
    from fangkong.audit.models import AuditEvent
    from fangkong.cases.models import Case

    pool = _pool(lab_user, screening, lab, [n for _p, n in people[:5]], size=5)
    _result(lab_user, lab, "P1", Outcome.POSITIVE)
    member = pool.members.order_by("id").first()
    _single_result(lab_user, lab, member, "S1", Outcome.POSITIVE)
    specimen = Specimen.objects.get(code="S1")
    with pytest.raises(PermissionDenied):
        case_from_result(actor=lab_user, specimen=specimen, classification="confirmed")
    case = case_from_result(actor=shenzhen_epi, specimen=specimen, classification="confirmed")
    assert case.person_id == member.person_id and case.detection_route == "screening"
    assert case_from_result(actor=shenzhen_epi, specimen=specimen, classification="confirmed").pk == case.pk
    assert Case.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="laboratory.result", detail__case=case.case_no).count() == 2


def test_the_demo_loads_a_resolved_round_with_its_case(province_commander):
    from fangkong.accounts.roles import Role
    from fangkong.cases.models import Case
    from fangkong.laboratory.demo import demo_load
    from fangkong.testing.builders import make_user

    make_user("lab_gd", ("440000", Role.LABORATORY))
    assert "case" in demo_load(province_commander)
    assert sorted(Pool.objects.values_list("code", "resolution")) == [("FT-0001", "confirmed"),
                                                                      ("FT-0002", "not_confirmed")]
    assert Case.objects.filter(detection_route="screening").count() == 1
    assert not PoolMember.objects.filter(released_at__isnull=True).exclude(verdict="positive").exists()
    demo_load(province_commander)  # again: nothing doubled
    assert Pool.objects.count() == 2


def test_the_fast_path_ingests_a_city_file_once_and_flags_its_positive_pools(lab_user, lab, screening, people):
    from ..services import results_import

    for i in range(3):
        _pool(lab_user, screening, lab, [n for _p, n in people[i * 3:i * 3 + 3]], code=f"T{i}", size=5)
    header = "code,outcome,ct_values,received_at,resulted_at\n"
    rows = "".join(f"T{i},{'positive' if i == 1 else 'negative'},{'N:31' if i == 1 else ''},{RECEIVED.isoformat()},"
                   f"{RESULTED.isoformat()}\n" for i in range(3))
    batch = results_import(actor=lab_user, laboratory=lab, content=(header + rows).encode())
    assert (batch.rows, batch.recorded) == (3, 3)
    assert results_import(actor=lab_user, laboratory=lab, content=(header + rows).encode()).pk == batch.pk
    assert PoolMember.objects.filter(controlled_at__isnull=False).count() == 3
    assert set(PoolMember.objects.filter(controlled_at__isnull=False).values_list("pool__code", flat=True)) == {"T1"}
    screening.refresh_from_db()
    assert (screening.pools_tested, screening.pools_positive) == (3, 1)
    assert Problem.objects.filter(source="laboratory").count() == 1
    changed = header + f"T0,positive,N:30,{RECEIVED.isoformat()},{RESULTED.isoformat()}\n"
    with pytest.raises(ValidationError) as refused:
        results_import(actor=lab_user, laboratory=lab, content=changed.encode())
    assert refused.value.message_dict == {"file": ["row 2: code: This sample already has another result."]}
    unknown = header + f"ZZ,negative,,{RECEIVED.isoformat()},{RESULTED.isoformat()}\n"
    with pytest.raises(ValidationError):
        results_import(actor=lab_user, laboratory=lab, content=unknown.encode())
    bad_ct = header + f"T0,positive,N:46,{RECEIVED.isoformat()},{RESULTED.isoformat()}\n"
    with pytest.raises(ValidationError) as refused:
        results_import(actor=lab_user, laboratory=lab, content=bad_ct.encode())
    assert "ct_values" in str(refused.value)
    assert Result.objects.count() == 3 and ScreeningRound.objects.get().pools_tested == 3


def test_the_feed_raises_members_late_for_their_single_once(lab_user, lab, screening, people):
    from ..problems import feed

    pool = _pool(lab_user, screening, lab, [n for _p, n in people[:5]], size=5)
    _result(lab_user, lab, "P1", Outcome.POSITIVE)
    assert feed(timezone.now()) == 0  # not late yet
    later = timezone.now() + dt.timedelta(hours=25)
    _single_result(lab_user, lab, pool.members.order_by("id").first(), "S1", Outcome.NEGATIVE)
    assert feed(later) == 1 and feed(later) == 0
    assert "4" in Problem.objects.get(source="laboratory", source_key__startswith="late:").title
