"""Sending a case report from the page and the API (``fhir.case_report_send``): an epidemiologist queues a
case of its region for a FHIR destination, once per case version; another city's case number is answered
like an unknown one; a switched-off destination, or a role that may not send, queues nothing."""

from __future__ import annotations

import pytest

from fangkong.cases.tests.builders import make_case

from ..models import Destination, OutboundMessage
from ..services import destination_create

pytestmark = pytest.mark.django_db
PAGE, API = "/interop/case-report/", "/api/v1/interop-messages/case-report/"


@pytest.fixture
def destination(sysadmin):
    return destination_create(actor=sysadmin, region="440000", name="国家平台", kind="fhir",
                              base_url="https://fhir.example.org/r4", regions=["440300"],
                              identifiers_entitled=False, reason="接入国家传染病报告平台")


def test_a_case_of_ones_region_is_queued_once_from_the_page_and_the_api(client, shenzhen_epi, destination):
    case = make_case(shenzhen_epi, region="440304", day="2022-03-17")
    client.force_login(shenzhen_epi)
    page = client.get(PAGE, {"case": case.case_no}).content.decode()
    assert "国家平台" in page and case.case_no in page
    answer = client.post(PAGE, {"destination": destination.pk, "case_no": case.case_no})
    message = OutboundMessage.objects.get()
    assert answer.status_code == 302 and answer["Location"].endswith(f"/interop/messages/{message.pk}/")
    assert message.kind == OutboundMessage.Kind.FHIR_BUNDLE and message.region_id == "440304"
    again = client.post(API, {"destination": destination.pk, "case_no": case.case_no}, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == message.pk and OutboundMessage.objects.count() == 1
    assert "send a case report" in client.get("/interop/", HTTP_ACCEPT_LANGUAGE="en").content.decode().lower()


def test_another_citys_case_a_switched_off_destination_and_a_role_without_the_right_queue_nothing(
        client, shenzhen_epi, guangzhou_epi, analyst, destination):
    case = make_case(shenzhen_epi, region="440304", day="2022-03-17")
    client.force_login(guangzhou_epi)
    for path, kwargs in ((PAGE, {}), (API, {"content_type": "application/json"})):
        answer = client.post(path, {"destination": destination.pk, "case_no": case.case_no}, **kwargs)
        assert answer.status_code == 400 and case.case_no not in answer.content.decode().replace(
            f'value="{case.case_no}"', "")  # the number typed is shown back in the form, nothing about the case
    unknown = client.post(API, {"destination": destination.pk, "case_no": "440100-2022-99999"},
                          content_type="application/json")
    assert unknown.status_code == 400 and unknown.json()["error"]["fields"]["case_no"] == client.post(
        API, {"destination": destination.pk, "case_no": case.case_no}, content_type="application/json").json()[
        "error"]["fields"]["case_no"]  # another city's number is answered like a number that does not exist
    client.force_login(shenzhen_epi)
    Destination.objects.filter(pk=destination.pk).update(active=False)
    answer = client.post(API, {"destination": destination.pk, "case_no": case.case_no}, content_type="application/json")
    assert answer.status_code == 400 and "destination" in answer.json()["error"]["fields"]
    Destination.objects.filter(pk=destination.pk).update(active=True)
    client.force_login(analyst)
    assert client.get(PAGE).status_code == 403
    assert client.post(API, {"destination": destination.pk, "case_no": case.case_no},
                       content_type="application/json").status_code == 403
    assert OutboundMessage.objects.count() == 0
