"""The cross-region requests (issue 27): what must hold.

- a third city sees nothing of a request between two others; a receiver cannot change the sender's case;
  forwarding keeps the history (and the chain back to the first sender);
- bad input — a request to one's own region, a person listed twice, an outcome for a person not in the
  request, an acknowledgement by a region that is not the receiver — gives a clear error and changes
  nothing; a request submitted twice is recorded once;
- need to know on both sides; overdue acknowledgements and persons not found are flagged by the job and
  counted per city; chain statistics count a contact managed in another city for the source case's cluster.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.cases.models import Case, Contact
from fangkong.cases.selectors import cluster_chain
from fangkong.cases.services import case_update, cluster_create, contact_convert_to_case
from fangkong.cases.tests.builders import make_case
from fangkong.inputs import validate_row
from fangkong.testing.builders import citizen_id, make_user

from ..inputs import RequestInput
from ..models import InvestigationRequest, OutcomeKind, PersonOutcome, RequestedPerson, RequestStatus
from ..selectors import city_figures, request_inbox, request_outgoing, request_overdue, request_persons
from ..services import overdue_escalate, person_outcome_record, request_acknowledge, request_send

pytestmark = pytest.mark.django_db

ID_A = citizen_id("441302", born=dt.date(1985, 5, 5))
ID_B = citizen_id("441302", born=dt.date(1990, 2, 2), male=False)


@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    """Users of these tests never sign in with a password: hash them cheaply (six users a test)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client():
    """Pages in English, so that the messages read here are the source strings (Chinese is the default)."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def huizhou_epi(db):
    return make_user("hz_epi", ("441300", Role.EPIDEMIOLOGIST))


@pytest.fixture
def dongguan_epi(db):
    return make_user("dg_epi", ("441900", Role.EPIDEMIOLOGIST))


@pytest.fixture
def foshan_epi(db):
    return make_user("fs_epi", ("440600", Role.EPIDEMIOLOGIST))


@pytest.fixture
def case(shenzhen_epi):
    return make_case(shenzhen_epi, region="440304", name="深圳病例")


def persons(*extra):
    return [{"name": "惠州密接甲", "citizen_id": ID_A, "phone": "13900001111", "category": "close",
             "exposure_end": dt.date(2022, 3, 9), "address_text": "惠州市惠城区某小区"},
            {"name": "惠州同行乙", "citizen_id": ID_B, "category": "co_visitor"}, *extra]


def send(actor, case, receiver="441300", **fields):
    fields.setdefault("persons", persons())
    fields.setdefault("now", timezone.now() - dt.timedelta(hours=1))  # listed an hour ago: quarantine since
    return request_send(actor=actor, sender_region="440300", receiver_region=receiver, source_case=case.case_no,
                        **fields)


def test_a_request_is_sent_with_the_protocol_in_force_its_deadlines_and_sealed_identifiers(shenzhen_epi, case):
    now = timezone.now()
    req, created = send(shenzhen_epi, case, urgency="urgent", now=now)
    assert created and req.status == RequestStatus.SENT and req.origin_region_id == "440304"
    assert req.request_no.startswith("XC-440300-")
    assert req.protocol.code == "nov-2022"  # in force today
    assert (req.ack_deadline - now, req.report_deadline - now) == (dt.timedelta(hours=2), dt.timedelta(hours=24))
    rows = list(req.persons.order_by("id"))
    assert [(p.name, p.category, p.sex, p.birth_date) for p in rows] == [
        ("惠州密接甲", "close", "M", dt.date(1985, 5, 5)), ("惠州同行乙", "co_visitor", "F", dt.date(1990, 2, 2))]
    stored = " ".join(str(v) for v in RequestedPerson.objects.values_list(
        "citizen_id_hash", "citizen_id_sealed", "citizen_id_masked", "phone_sealed", "phone_masked"))
    assert ID_A not in stored and "13900001111" not in stored and "1111" in rows[0].phone_masked
    event = AuditEvent.objects.get(object_type="crossregion.investigationrequest", action="create")
    assert event.region_code == "440300" and event.detail["receiver"] == "441300" and event.detail["persons"] == 2


def test_a_request_submitted_twice_is_recorded_once(client, shenzhen_epi, case):
    first, created = send(shenzhen_epi, case, idempotency_key="k-1")
    again, created_again = send(shenzhen_epi, case, idempotency_key="k-1")
    assert created and not created_again and again.pk == first.pk
    # Without a key, the same content is the same request.
    one, _ = send(shenzhen_epi, case, receiver="441900")
    two, created_two = send(shenzhen_epi, case, receiver="441900")
    assert one.pk == two.pk and not created_two
    # The page's form carries its key: a double click posts it twice.
    client.force_login(shenzhen_epi)
    form = {"sender_region": "440300", "receiver_region": "440100", "source_case": case.case_no, "urgency": "urgent",
            "persons": f"广州密接丙, {ID_A}, 13900002222, 密切接触者, 2022-03-09, 广州市天河区", "idempotency_key": "page-7"}
    assert client.post("/crossregion/new/", form).status_code == 302
    assert client.post("/crossregion/new/", form).status_code == 302
    api = client.post("/api/v1/crossregion-requests/", {**form, "persons": [{"name": "x", "category": "close"}]},
                      content_type="application/json")
    assert api.status_code == 200 and api.json()["receiver_region"] == "440100"  # the key names the submission
    assert InvestigationRequest.objects.count() == 3 and RequestedPerson.objects.count() == 5


def test_a_request_to_ones_own_region_is_refused_and_changes_nothing(client, shenzhen_epi, case):
    for receiver in ("440300", "440304", "440000"):  # itself, a region within it, a region containing it
        with pytest.raises(ValidationError) as refused:
            send(shenzhen_epi, case, receiver=receiver)
        assert "receiver_region" in refused.value.message_dict
    client.force_login(shenzhen_epi)
    page = client.post("/crossregion/new/", {"sender_region": "440300", "receiver_region": "440304",
                                             "source_case": case.case_no, "persons": "某人, , , close"})
    api = client.post("/api/v1/crossregion-requests/", {"sender_region": "440300", "receiver_region": "440300",
                                                        "source_case": case.case_no, "persons": [{"name": "某人"}]},
                      content_type="application/json")
    assert page.status_code == 400 and "another region" in page.content.decode()
    assert api.status_code == 400 and list(api.json()["error"]["fields"]) == ["receiver_region"]
    assert InvestigationRequest.objects.count() == RequestedPerson.objects.count() == 0


def test_a_person_listed_twice_is_refused_with_the_lines_named(client, shenzhen_epi, case):
    with pytest.raises(ValidationError) as by_id:
        send(shenzhen_epi, case, persons=persons({"name": "同一人", "citizen_id": ID_A.lower(), "category": "close"}))
    assert by_id.value.message_dict["persons"] == ["Person 3 is listed twice: the same person as person 1."]
    with pytest.raises(ValidationError):
        send(shenzhen_epi, case, persons=[{"name": "无证人", "phone": "13900003333", "category": "close"},
                                          {"name": "无证人", "phone": "+86 139 0000 3333", "category": "close"}])
    client.force_login(shenzhen_epi)
    page = client.post("/crossregion/new/", {"receiver_region": "441300", "source_case": case.case_no,
                                             "persons": f"甲, {ID_A}\n乙, {ID_A}"})
    assert page.status_code == 400 and "listed twice" in page.content.decode()
    assert InvestigationRequest.objects.count() == 0


def test_bad_lines_are_refused_alike_by_page_api_and_import_row(client, shenzhen_epi, case):
    lines = f"甲, {ID_A}, 13900001111, 密切接触者, 2022-03-09\n乙, 12345, , 不认识的类别"
    data, errors = validate_row(RequestInput, {"receiver_region": "441300", "source_case": case.case_no,
                                               "persons": lines})
    assert data is None and errors["persons"][0].startswith("Person 2, Citizen ID:")
    assert any(m.startswith("Person 2, Category:") for m in errors["persons"])
    client.force_login(shenzhen_epi)
    api = client.post("/api/v1/crossregion-requests/", {"receiver_region": "441300", "source_case": case.case_no,
                                                        "persons": [{"name": "甲", "citizen_id": ID_A},
                                                                    {"name": "乙", "citizen_id": "12345",
                                                                     "category": "不认识的类别"}]},
                      content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert api.status_code == 400 and api.json()["error"]["fields"]["persons"] == errors["persons"]
    good, none = validate_row(RequestInput, {"receiver_region": "441300", "source_case": case.case_no,
                                             "persons": lines.splitlines()[0]})
    assert none == {} and good["persons"][0]["category"] == "close"
    assert good["persons"][0]["exposure_end"] == dt.date(2022, 3, 9)
    assert InvestigationRequest.objects.count() == 0


def test_only_the_receiver_acknowledges(client, shenzhen_epi, huizhou_epi, dongguan_epi, case):
    req, _ = send(shenzhen_epi, case)
    with pytest.raises(PermissionDenied, match="Only the receiving region"):
        request_acknowledge(actor=shenzhen_epi, req=req)
    with pytest.raises(PermissionDenied):
        request_acknowledge(actor=dongguan_epi, req=req)
    client.force_login(shenzhen_epi)  # the sender sees the request but may not acknowledge it
    assert client.post(f"/api/v1/crossregion-requests/{req.pk}/acknowledge/").status_code == 403
    assert client.post(f"/crossregion/{req.pk}/acknowledge/").status_code == 403
    client.force_login(dongguan_epi)  # a third city does not even see it
    assert client.post(f"/api/v1/crossregion-requests/{req.pk}/acknowledge/").status_code == 404
    req.refresh_from_db()
    assert req.acknowledged_at is None and req.status == RequestStatus.SENT
    client.force_login(huizhou_epi)
    assert client.post(f"/crossregion/{req.pk}/acknowledge/").status_code == 302
    req.refresh_from_db()
    assert req.acknowledged_by == huizhou_epi and req.status == RequestStatus.ACKNOWLEDGED
    assert request_acknowledge(actor=huizhou_epi, req=req).acknowledged_at == req.acknowledged_at  # again: nothing


def test_an_outcome_for_a_person_not_in_the_request_is_refused(shenzhen_epi, huizhou_epi, case):
    req, _ = send(shenzhen_epi, case)
    other, _ = send(shenzhen_epi, case, idempotency_key="other")
    stranger = other.persons.first()
    with pytest.raises(ValidationError) as refused:
        person_outcome_record(actor=huizhou_epi, req=req, person_id=stranger.pk, outcome="not_found", reason="查无此人")
    assert refused.value.message_dict == {"person": ["This person is not in this request."]}
    assert not PersonOutcome.objects.exists()
    assert set(RequestedPerson.objects.values_list("outcome", flat=True)) == {OutcomeKind.PENDING}


def test_found_and_quarantined_becomes_the_receivers_contact_of_the_senders_case_which_is_not_changed(
        client, shenzhen_epi, huizhou_epi, case):
    req, _ = send(shenzhen_epi, case)
    first, second = req.persons.order_by("id")
    case_before = Case.objects.filter(pk=case.pk).values().get()
    quarantined = first.listed_at + dt.timedelta(minutes=50)
    client.force_login(huizhou_epi)
    response = client.post(f"/api/v1/crossregion-requests/{req.pk}/persons/{first.pk}/outcome/",
                           {"outcome": "quarantined", "quarantined_at": quarantined.isoformat(),
                            "quarantine_place": "惠州某隔离酒店", "managing_region": "441302"},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    contact = Contact.objects.get()  # the co-visitor below is quarantined without a contact category
    assert (contact.region_id, contact.source_case_id, contact.category) == ("441302", case.pk, "close")
    assert contact.person.address_region_id == "441302" and contact.person.citizen_id_masked.startswith("441302")
    assert contact.listed_at == first.listed_at and contact.quarantined_at == quarantined
    assert contact.exposure_end == dt.date(2022, 3, 9) and contact.quarantined_within_24h is True
    assert Case.objects.filter(pk=case.pk).values().get() == case_before  # the sender's case is not written
    with pytest.raises(PermissionDenied):  # and the receiver may not change it
        case_update(actor=huizhou_epi, case=case, expected_version=case.version, changes={"origin": "惠州"})
    page = client.post(f"/crossregion/{req.pk}/persons/{second.pk}/outcome/",
                       {"outcome": "already_managed", "reason": "已在居家隔离"})
    assert page.status_code == 302
    req.refresh_from_db()
    assert (req.status, req.persons_pending, req.persons_quarantined) == (RequestStatus.REPORTED, 0, 1)
    assert req.acknowledged_by == huizhou_epi and req.reported_at is not None  # reporting acknowledged it
    with pytest.raises(ValidationError, match="already recorded"):
        person_outcome_record(actor=huizhou_epi, req=req, person_id=first.pk, outcome="not_found", reason="x")
    # The sender sees each outcome.
    client.force_login(shenzhen_epi)
    body = client.get(f"/crossregion/{req.pk}/").content.decode()
    assert 'data-outcome="quarantined"' in body and 'data-outcome="already_managed"' in body
    assert contact.contact_no in body


def test_quarantine_and_not_found_need_their_details_and_change_nothing_without(shenzhen_epi, huizhou_epi, case):
    req, _ = send(shenzhen_epi, case)
    person = req.persons.order_by("id").first()
    with pytest.raises(ValidationError) as no_time:
        person_outcome_record(actor=huizhou_epi, req=req, person_id=person.pk, outcome="quarantined")
    assert "quarantined_at" in no_time.value.message_dict
    with pytest.raises(ValidationError) as elsewhere:
        person_outcome_record(actor=huizhou_epi, req=req, person_id=person.pk, outcome="quarantined",
                              quarantined_at=timezone.now(), managing_region="440304")
    assert "managing_region" in elsewhere.value.message_dict
    with pytest.raises(ValidationError) as no_reason:
        person_outcome_record(actor=huizhou_epi, req=req, person_id=person.pk, outcome="not_found")
    assert "reason" in no_reason.value.message_dict
    assert not Contact.objects.exists() and not PersonOutcome.objects.exists()
    req.refresh_from_db()
    assert req.acknowledged_at is None and req.persons_pending == 2


def test_forwarding_keeps_the_chain_and_the_history(client, shenzhen_epi, huizhou_epi, guangzhou_epi, dongguan_epi,
                                                     foshan_epi, case):
    req, _ = send(shenzhen_epi, case)
    person = req.persons.order_by("id").first()
    person_outcome_record(actor=huizhou_epi, req=req, person_id=person.pk, outcome="not_found", reason="电话关机")
    person_outcome_record(actor=huizhou_epi, req=req, person_id=person.pk, outcome="forwarded", forward_to="440100",
                          reason="已返回广州")
    to_gz = InvestigationRequest.objects.get(forwarded_from=req)
    assert (to_gz.sender_region_id, to_gz.receiver_region_id, to_gz.origin_region_id) == ("441300", "440100", "440304")
    moved = to_gz.persons.get()
    assert moved.forwarded_from == person and moved.listed_at == person.listed_at
    assert moved.citizen_id_hash == person.citizen_id_hash and moved.citizen_id_sealed == person.citizen_id_sealed
    with pytest.raises(ValidationError):  # forwarding to oneself is refused
        person_outcome_record(actor=guangzhou_epi, req=to_gz, person_id=moved.pk, outcome="forwarded",
                              forward_to="440106")
    person_outcome_record(actor=guangzhou_epi, req=to_gz, person_id=moved.pk, outcome="forwarded", forward_to="441900")
    to_dg = InvestigationRequest.objects.get(forwarded_from=to_gz)
    person_outcome_record(actor=dongguan_epi, req=to_dg, person_id=to_dg.persons.get().pk, outcome="quarantined",
                          quarantined_at=timezone.now())
    assert Contact.objects.get().region_id == "441900" and Contact.objects.get().source_case == case
    # The history stays with the first request; the sender follows the chain to its end.
    assert list(PersonOutcome.objects.filter(person=person).values_list("outcome", "reason")) == [
        ("not_found", "电话关机"), ("forwarded", "已返回广州")]
    row = next(r for r in request_persons(user=shenzhen_epi, req=req) if r.pk == person.pk)
    assert [(no, outcome) for no, _rid, outcome in row.forwarded_as] == [
        (to_gz.request_no, "Not in the area: forwarded"), (to_dg.request_no, "Found and quarantined")]
    assert {r.pk for r in request_outgoing(user=shenzhen_epi)} == {req.pk, to_gz.pk, to_dg.pk}
    assert {r.pk for r in request_inbox(user=guangzhou_epi)} == {to_gz.pk}
    assert {r.pk for r in request_outgoing(user=guangzhou_epi)} == {to_dg.pk}
    assert not request_inbox(user=foshan_epi).exists() and not request_outgoing(user=foshan_epi).exists()
    client.force_login(foshan_epi)
    for r in (req, to_gz, to_dg):
        assert client.get(f"/crossregion/{r.pk}/").status_code == 404
        assert client.get(f"/api/v1/crossregion-requests/{r.pk}/").status_code == 404


def test_a_third_city_sees_nothing_and_each_side_reads_what_it_needs(client, shenzhen_epi, huizhou_epi, foshan_epi,
                                                                      analyst, case):
    req, _ = send(shenzhen_epi, case)
    client.force_login(foshan_epi)
    for path in ("/crossregion/", "/crossregion/inbox/", "/crossregion/overdue/"):
        body = client.get(path).content.decode()
        assert req.request_no not in body and "惠州密接甲" not in body
    for path in ("inbox", "outgoing", "overdue"):
        assert client.get(f"/api/v1/crossregion-requests/{path}/").json()["results"] == []
    assert client.get("/api/v1/crossregion-figures/").json() == []
    # The receiver reads the names it must find, with masks; the ID's region digits only where it may read.
    client.force_login(huizhou_epi)
    inbox = client.get("/api/v1/crossregion-requests/inbox/").json()["results"]
    assert [r["request_no"] for r in inbox] == [req.request_no]
    detail = client.get(f"/api/v1/crossregion-requests/{req.pk}/").json()
    first = detail["persons"][0]["person"]
    assert first["name"] == "惠州密接甲" and first["citizen_id"] == "441302" + "*" * 12 and ID_A not in str(detail)
    # An analyst of the province reads the request without names: sex and age band.
    client.force_login(analyst)
    seen = client.get(f"/api/v1/crossregion-requests/{req.pk}/").json()["persons"][0]["person"]
    assert seen["level"] == "pseudonymised" and seen["name"] == "" and seen["citizen_id"] == ""
    assert "惠州密接甲" not in client.get(f"/crossregion/{req.pk}/").content.decode()
    assert client.post("/crossregion/new/", {}).status_code == 403  # and may not send one


def test_overdue_requests_and_persons_not_found_are_listed_flagged_and_counted(shenzhen_epi, huizhou_epi,
                                                                              province_commander, foshan_epi, case):
    sent = timezone.now() - dt.timedelta(hours=3)
    late, _ = send(shenzhen_epi, case, now=sent)  # 2 h to acknowledge: overdue
    fresh, _ = send(shenzhen_epi, case, receiver="441900", now=timezone.now())
    answered, _ = send(shenzhen_epi, case, receiver="440100", now=sent)
    person = answered.persons.order_by("id").first()
    person_outcome_record(actor=make_user("gz2", ("440100", Role.EPIDEMIOLOGIST)), req=answered, person_id=person.pk,
                          outcome="not_found", reason="地址不存在")
    assert {r.pk for r in request_overdue(user=province_commander)} == {late.pk, answered.pk}
    assert {r.pk for r in request_overdue(user=huizhou_epi)} == {late.pk}
    assert not request_overdue(user=foshan_epi).exists()
    assert overdue_escalate() == {"requests": 1, "persons": 1}
    assert overdue_escalate() == {"requests": 0, "persons": 0}  # flagged once
    late.refresh_from_db()
    fresh.refresh_from_db()
    assert late.escalated_at is not None and fresh.escalated_at is None
    assert RequestedPerson.objects.get(pk=person.pk).escalated_at is not None
    later = timezone.now() + dt.timedelta(days=2)  # past every report-back deadline: the pending persons too
    assert overdue_escalate(now=later) == {"requests": 2, "persons": 5}  # 2 + 2 + 1 still awaiting
    figures = {f.code: f for f in city_figures(user=province_commander)}
    assert (figures["441300"].open_in, figures["441300"].ack_overdue) == (1, 1)
    assert (figures["440300"].open_out, figures["440100"].not_found) == (3, 1)


def test_median_time_to_quarantine_by_receiving_city(shenzhen_epi, huizhou_epi, case):
    req, _ = send(shenzhen_epi, case)
    first, second = req.persons.order_by("id")
    for person, minutes in ((first, 12), (second, 36)):
        person_outcome_record(actor=huizhou_epi, req=req, person_id=person.pk, outcome="quarantined",
                              quarantined_at=person.listed_at + dt.timedelta(minutes=minutes))
    figures = {f.code: f for f in city_figures(user=shenzhen_epi)}
    assert figures["441300"].median_hours_to_quarantine == 0.4 and figures["441300"].open_in == 0


def test_a_contact_managed_in_huizhou_counts_in_the_shenzhen_cluster(shenzhen_epi, huizhou_epi, case):
    """Chain statistics (R, k, generations) are computed over the cluster's cases and their infector links
    (``cases.selectors.cluster_chain``): the Huizhou contact who turns positive becomes a Huizhou case whose
    infector is the Shenzhen case and whose cluster is the Shenzhen cluster, so the Shenzhen cluster counts
    it; the contact's timeliness is judged against the Shenzhen case's report."""
    cluster = cluster_create(actor=shenzhen_epi, name="深圳聚集", region="440300", cases=[case])
    req, _ = send(shenzhen_epi, case, persons=persons()[:1])
    person = req.persons.get()
    person_outcome_record(actor=huizhou_epi, req=req, person_id=person.pk, outcome="quarantined",
                          quarantined_at=person.listed_at + dt.timedelta(minutes=30))
    contact = Contact.objects.get()
    assert contact.listed_within_24h is (person.listed_at - case.reported_at <= dt.timedelta(days=1))
    converted = contact_convert_to_case(actor=huizhou_epi, contact=contact, expected_version=contact.version,
                                        diagnosed_at=timezone.now() - dt.timedelta(hours=1))
    assert (converted.report_region_id, converted.infector_id, converted.cluster_id) == ("441300", case.pk, cluster.pk)
    chain = cluster_chain(user=shenzhen_epi, cluster=cluster)
    assert chain["stats"]["cases"] == 2 and chain["stats"]["links"] == 1 and chain["stats"]["generations"] == 2
    assert chain["stats"]["offspring_mean"] == 0.5  # R of the cluster: one infectee over two cases
    shenzhen_node = next(n for n in chain["nodes"] if n["in_scope"])
    assert shenzhen_node["offspring"] == 1
    assert [n["id"] for n in chain["nodes"] if not n["in_scope"]] == ["x1"]  # Huizhou's case, opaque to Shenzhen


def test_contacts_of_close_contacts_follow_the_protocol_in_force(shenzhen_epi, case):
    """Twenty measures (Nov 2022): "及时准确判定密切接触者，不再判定密接的密接。" A request sent under it may not
    list contacts of close contacts; one sent under the 9th edition may."""
    from fangkong.protocols.editions import CITATIONS

    assert any("不再判定密接的密接" in c["text"] for c in CITATIONS["nov-2022"]["clauses"] if c["rule"] == "secondary")
    secondary = [{"name": "密接的密接", "category": "secondary"}]
    with pytest.raises(ValidationError) as refused:
        send(shenzhen_epi, case, persons=secondary)
    assert "no longer traces contacts of close contacts" in refused.value.message_dict["persons"][0]
    under_9th = dt.datetime(2022, 7, 10, 9, tzinfo=dt.UTC)
    req, created = send(shenzhen_epi, case, persons=secondary, now=under_9th)
    assert created and req.protocol.code == "9th"


def _walk(client, path: str) -> list[str]:
    """Every row's request number met by following the ``next`` links of a list from its first page."""
    seen, url = [], path
    for _page in range(50):
        if path.startswith("/api/"):
            body = client.get(url).json()
            seen += [r["request_no"] for r in body["results"]]
            url = body["next"]
        else:
            html = client.get(url).content.decode()
            seen += re.findall(r'data-request="\d+">\s*<td><a href="[^"]+">([^<]+)</a>', html)
            found = re.search(r'href="\?cursor=([^"&]+)" rel="next"', html)
            url = f"{path}?cursor={found.group(1)}" if found else None
        if not url:
            return seen
    raise AssertionError("the pages do not end")


def test_every_row_of_the_inbox_and_of_the_overdue_list_is_reached_through_the_pages_in_order(
        client, monkeypatch, shenzhen_epi, huizhou_epi, province_commander, case):
    from .. import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    at = timezone.now() - dt.timedelta(hours=5)
    for i, hours in enumerate((3, 4, 4, 4, 1, 2, 3)):  # equal times: the id breaks the tie, across pages too
        person = {"name": f"人员{i}", "citizen_id": citizen_id("441302", born=dt.date(1980 + i, 1, 1)),
                  "category": "close"}
        send(shenzhen_epi, case, persons=[person], idempotency_key=f"k{i}", now=at + dt.timedelta(hours=hours))
    inbox = [r.request_no for r in InvestigationRequest.objects.order_by("-sent_at", "-id")]
    overdue = [r.request_no for r in InvestigationRequest.objects.filter(ack_deadline__lt=timezone.now())
               .order_by("ack_deadline", "id")]
    assert len(inbox) == 7 and 2 < len(overdue) < 7
    client.force_login(huizhou_epi)
    assert _walk(client, "/crossregion/inbox/") == inbox
    assert _walk(client, "/api/v1/crossregion-requests/inbox/?limit=2") == inbox
    client.force_login(province_commander)
    assert _walk(client, "/crossregion/overdue/") == overdue
    assert _walk(client, "/api/v1/crossregion-requests/overdue/?limit=2") == overdue
