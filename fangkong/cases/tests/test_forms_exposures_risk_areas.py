"""The exposure form (place, region, time window, cases present) and the risk-area page's lifting: allowed
when the protocol's rule says the area can be lifted, otherwise only with a reason, audited; denied paths."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.cases.models import Exposure, RiskArea
from fangkong.cases.services import risk_area_designate
from fangkong.cases.tests.builders import make_case, make_contact
from fangkong.testing.builders import make_user

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def cases(shenzhen_epi):
    return [make_case(shenzhen_epi, region="440304", name=f"暴露{n}", day="2022-03-10") for n in range(2)]


def _exposure(cases, **over) -> dict:
    return {"place_name": "福田某菜市场", "region": "440304", "starts_at": "2022-03-08T08:00",
            "ends_at": "2022-03-08T10:00", "case_nos": ", ".join(c.case_no for c in cases), "description": "早市",
            **over}


def test_an_exposure_is_recorded_from_the_case_page_with_the_cases_present(client, shenzhen_epi, cases):
    client.force_login(shenzhen_epi)
    page = client.get(reverse("cases:case-detail", kwargs={"case_id": cases[0].pk})).content.decode()
    link = f"{reverse('cases:exposure-new')}?case_no={cases[0].case_no}"
    assert link in page
    assert f'value="{cases[0].case_no}"' in client.get(link).content.decode()

    response = client.post(reverse("cases:exposure-new"), _exposure(cases), **HTMX)

    exposure = Exposure.objects.get()
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("cases:case-detail", kwargs={"case_id": cases[0].pk})
    assert sorted(exposure.cases.values_list("pk", flat=True)) == sorted(c.pk for c in cases)
    assert (exposure.place_name, exposure.region_id, exposure.description) == ("福田某菜市场", "440304", "早市")
    assert exposure.ends_at - exposure.starts_at == dt.timedelta(hours=2)
    page = client.get(reverse("cases:case-detail", kwargs={"case_id": cases[1].pk})).content.decode()
    assert "福田某菜市场" in page
    assert AuditEvent.objects.filter(action="create", object_type="cases.exposure").count() == 1


def test_the_contact_list_and_page_lead_to_the_exposure_form(client, shenzhen_epi, cases):
    make_contact(shenzhen_epi, source_case=cases[0], region="440304", name="暴露密接")
    client.force_login(shenzhen_epi)
    listing = client.get(reverse("cases:contact-list")).content.decode()
    assert f"{reverse('cases:exposure-new')}?case_no={cases[0].case_no}" in listing


@pytest.mark.parametrize("change, field", [
    ({"ends_at": "2022-03-08T07:00"}, "ends_at"),
    ({"place_name": ""}, "place_name"),
    ({"region": "440106"}, "region"),
    ({"case_nos": "NO-SUCH-CASE"}, "case_nos"),
    ({"starts_at": "soon"}, None),
])
def test_bad_exposures_are_refused_and_save_nothing(client, shenzhen_epi, cases, change, field):
    client.force_login(shenzhen_epi)
    response = client.post(reverse("cases:exposure-new"), _exposure(cases, **change), **HTMX)
    body = response.content.decode()
    assert response.status_code == 400 and body.startswith('<form id="exposure-form"') and "Nothing was saved" in body
    if field:
        assert field in response.context["errors"]
    assert not Exposure.objects.exists()


def test_cases_of_another_city_cannot_be_placed_at_an_exposure(client, guangzhou_epi, cases):
    client.force_login(guangzhou_epi)
    response = client.post(reverse("cases:exposure-new"), _exposure(cases, region="440106"))
    assert response.status_code == 400 and "case_nos" in response.context["errors"]
    assert "暴露0" not in response.content.decode() and not Exposure.objects.exists()


def test_a_role_that_may_not_write_cases_may_not_record_exposures(client, analyst, cases):
    client.force_login(analyst)
    assert client.get(reverse("cases:exposure-new")).status_code == 403
    assert client.post(reverse("cases:exposure-new"), _exposure(cases)).status_code == 403
    assert not Exposure.objects.exists()


# --- risk areas -----------------------------------------------------------------------------------------


@pytest.fixture
def commander(db):
    return make_user("sz_commander", ("440300", Role.LOCAL_COMMANDER))


@pytest.fixture
def liftable(commander):
    """Designated 2022-03-12 under the 8th edition (14 days without a new infection): liftable long ago."""
    return risk_area_designate(actor=commander, region="440304", level="high", area_name="梅林一村",
                               designated_from=dt.date(2022, 3, 12))


@pytest.fixture
def awaiting_screen(commander):
    """Designated under the 9th edition, whose rule needs a negative area-wide screen: not liftable yet."""
    return risk_area_designate(actor=commander, region="440304", level="medium", area_name="福田口岸",
                               designated_from=dt.date(2022, 7, 1))


def _lift(client, area, **data):
    return client.post(reverse("cases:risk-area-lift", kwargs={"area_id": area.pk}), data, **HTMX)


def test_the_page_offers_lifting_only_where_the_rule_allows(client, commander, liftable, awaiting_screen):
    client.force_login(commander)
    page = client.get(reverse("cases:risk-areas")).content.decode()
    assert f'data-lift="{liftable.pk}"' in page and f'data-lift="{awaiting_screen.pk}"' not in page
    row = page[page.index(f'id="risk-area-{awaiting_screen.pk}"'):]
    row = row[:row.index("</tr>")]
    assert "after a negative area-wide screen" in row and 'name="override_reason"' in row


def test_an_area_the_rule_allows_is_lifted_and_audited(client, commander, liftable):
    client.force_login(commander)
    response = _lift(client, liftable, lifted_on="2022-03-26")
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("cases:risk-areas")
    liftable.refresh_from_db()
    assert liftable.lifted_on == dt.date(2022, 3, 26)
    event = AuditEvent.objects.filter(action="update", object_type="cases.riskarea").latest("id")
    assert event.detail["override_reason"] == "" and event.detail["rule_allows_from"] == "2022-03-26"
    page = client.get(reverse("cases:risk-areas")).content.decode()
    assert "lifted 2022-03-26" in page and f'data-lift="{liftable.pk}"' not in page
    assert _lift(client, liftable, lifted_on="2022-03-27").status_code == 400  # already lifted


def test_lifting_before_the_rule_allows_is_refused_without_a_reason(client, commander, liftable, awaiting_screen):
    client.force_login(commander)
    early = _lift(client, liftable, lifted_on="2022-03-20")
    assert early.status_code == 400 and "allows lifting from 2022-03-26" in early.content.decode()
    blank = _lift(client, awaiting_screen, lifted_on="2022-07-20", override_reason="   ")
    assert blank.status_code == 400 and "needs a negative area-wide screen first" in blank.content.decode()
    assert not RiskArea.objects.filter(lifted_on__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="update", object_type="cases.riskarea").exists()


def test_an_override_with_a_reason_lifts_and_records_the_reason(client, commander, awaiting_screen):
    client.force_login(commander)
    response = _lift(client, awaiting_screen, lifted_on="2022-07-20", override_reason="省指挥部决定：全员核酸已阴性")
    assert response.status_code == 204
    awaiting_screen.refresh_from_db()
    assert awaiting_screen.lifted_on == dt.date(2022, 7, 20)
    event = AuditEvent.objects.filter(action="update", object_type="cases.riskarea").latest("id")
    assert event.detail["override_reason"] == "省指挥部决定：全员核酸已阴性"
    assert event.detail["rule_allows_from"] is None and event.actor == commander


def test_an_area_cannot_be_lifted_before_its_designation_even_with_a_reason(client, commander, liftable):
    client.force_login(commander)
    response = _lift(client, liftable, lifted_on="2022-03-01", override_reason="录入错误")
    assert response.status_code == 400
    liftable.refresh_from_db()
    assert liftable.lifted_on is None


def test_lifting_is_denied_without_the_capability_or_outside_the_scope(client, shenzhen_epi, guangzhou_epi,
                                                                      liftable):
    client.force_login(shenzhen_epi)  # an epidemiologist sees risk areas, may not lift them
    page = client.get(reverse("cases:risk-areas")).content.decode()
    assert f'data-lift="{liftable.pk}"' not in page
    assert _lift(client, liftable, lifted_on="2022-03-26").status_code == 403
    client.force_login(guangzhou_epi)
    assert _lift(client, liftable, lifted_on="2022-03-26").status_code == 404
    liftable.refresh_from_db()
    assert liftable.lifted_on is None


def test_the_api_lift_takes_an_override_reason(client, commander, liftable):
    client.force_login(commander)
    url = reverse("cases-api:risk-area-lift", kwargs={"pk": liftable.pk})
    refused = client.post(url, {"lifted_on": "2022-03-20"}, content_type="application/json")
    assert refused.status_code == 400
    ok = client.post(url, {"lifted_on": "2022-03-20", "override_reason": "复核后提前解封"},
                     content_type="application/json")
    assert ok.status_code == 200 and ok.json()["lifted_on"] == "2022-03-20"


def test_designating_from_the_page(client, commander):
    client.force_login(commander)
    response = client.post(reverse("cases:risk-areas"), {"region": "440304", "level": "high",
                                                         "area_name": "新designated", "designated_from": "2022-03-15"})
    assert response.status_code == 302 and RiskArea.objects.get().area_name == "新designated"
    bad = client.post(reverse("cases:risk-areas"), {"region": "440304", "level": "extreme",
                                                    "area_name": "x", "designated_from": "2022-03-15"})
    assert bad.status_code == 400 and RiskArea.objects.count() == 1
    assert 'value="x"' in bad.content.decode()  # what was typed comes back
