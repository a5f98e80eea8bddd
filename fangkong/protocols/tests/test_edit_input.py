"""The edit of a protocol version through its one schema (``protocols.inputs.ProtocolEditInput``): the page
and the API give the same verdict and store the same rules; bad input is refused with the field named and
changes nothing."""

from __future__ import annotations

import pytest

from fangkong.audit.models import AuditEvent
from fangkong.protocols.models import ProtocolVersion

pytestmark = pytest.mark.django_db

URL_PAGE = "/protocols/9th/"
URL_API = "/api/v1/protocols/9th/"


def _stored() -> dict:
    ninth = ProtocolVersion.objects.get(code="9th")
    return {"version": ninth.version, "home": ninth.close_contact_home_days, "tests": ninth.close_contact_test_days,
            "levels": ninth.risk_levels, "screen": ninth.risk_area_lift_needs_screen, "notes": ninth.notes}


def _page_form(**changed) -> dict:
    """What the page posts: every rule as shown (checkboxes only when ticked), with the changes."""
    ninth = ProtocolVersion.objects.get(code="9th")
    form = {"version": ninth.version, "name_zh": ninth.name_zh, "name_en": ninth.name_en,
            "effective_from": ninth.effective_from.isoformat(), "notes": ninth.notes}
    for name in ("close_contact_centralised_days", "close_contact_home_days", "secondary_contact_days",
                 "inbound_centralised_days", "inbound_home_days", "risk_area_lift_days", "lookback_days"):
        form[name] = getattr(ninth, name)
    for name in ("close_contact_test_days", "close_contact_home_test_days", "secondary_contact_test_days",
                 "risk_levels"):
        form[name] = ", ".join(str(v) for v in getattr(ninth, name))
    for name in ("secondary_contacts_traced", "secondary_contact_centralised", "risk_area_lift_needs_screen",
                 "lookback_from_last_negative"):
        if getattr(ninth, name):
            form[name] = "on"
    form.update(changed)
    return {k: v for k, v in form.items() if v is not None}


def test_the_page_and_the_api_store_the_same_change(client, sysadmin):
    client.force_login(sysadmin)
    response = client.post(URL_PAGE, _page_form(close_contact_home_days=4, close_contact_test_days="1，2, 3,5,7",
                                                 notes="changed"))
    assert response.status_code == 302
    by_page = _stored()
    assert (by_page["home"], by_page["tests"], by_page["notes"], by_page["version"]) == (4, [1, 2, 3, 5, 7], "changed", 2)
    event = AuditEvent.objects.get(object_type="protocols.protocolversion", action="update")
    assert set(event.detail["after"]) == {"close_contact_home_days", "notes"}  # only what changed
    ProtocolVersion.objects.filter(code="9th").update(close_contact_home_days=3, notes="", version=1)

    response = client.patch(URL_API, {"version": 1, "close_contact_home_days": 4, "notes": "changed",
                                      "close_contact_test_days": [1, 2, 3, 5, 7]}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert _stored() == by_page
    event = AuditEvent.objects.filter(action="update").latest("id")
    assert set(event.detail["after"]) == {"close_contact_home_days", "notes"}


def test_unticking_a_box_on_the_page_clears_the_rule_and_leaving_it_out_of_the_api_keeps_it(client, sysadmin):
    client.force_login(sysadmin)
    assert _stored()["levels"]
    traced = ProtocolVersion.objects.get(code="9th").secondary_contacts_traced
    assert client.patch(URL_API, {"version": 1, "notes": "api"}, content_type="application/json").status_code == 200
    assert ProtocolVersion.objects.get(code="9th").secondary_contacts_traced == traced  # not sent: not changed
    form = _page_form()
    form.pop("secondary_contacts_traced", None)
    assert client.post(URL_PAGE, form).status_code == 302
    assert ProtocolVersion.objects.get(code="9th").secondary_contacts_traced is False


def test_an_edit_that_changes_nothing_makes_no_version_and_no_event(client, sysadmin):
    client.force_login(sysadmin)
    assert client.post(URL_PAGE, _page_form()).status_code == 302
    assert _stored()["version"] == 1 and not AuditEvent.objects.filter(action="update").exists()


@pytest.mark.parametrize(("field", "page_value", "api_value"), [
    ("close_contact_home_days", "three", "three"),
    ("close_contact_home_days", "-1", -1),
    ("close_contact_test_days", "1, x, 3", [1, "x", 3]),
    ("close_contact_test_days", "0", [0]),
    ("effective_from", "2022-02-30", "2022-02-30"),
    ("effective_from", "22-3-1", "22-3-1"),
    ("risk_levels", "high, extreme", ["high", "extreme"]),  # the model's rule: known levels only
    ("close_contact_test_days", "1, 2, 30", [1, 2, 30]),  # the model's rule: within the period
])
def test_bad_input_is_refused_on_the_page_and_by_the_api_with_the_field_named(client, sysadmin, field, page_value,
                                                                              api_value):
    client.force_login(sysadmin)
    before = _stored()
    page = client.post(URL_PAGE, _page_form(**{field: page_value}))
    assert page.status_code == 400 and 'class="field-error"' in page.content.decode()
    api = client.patch(URL_API, {"version": 1, field: api_value}, content_type="application/json")
    assert api.status_code == 400 and field in api.json()["error"]["fields"], api.content
    assert _stored() == before and not AuditEvent.objects.filter(action="update").exists()


def test_a_stale_or_missing_version_is_refused_by_both(client, sysadmin):
    client.force_login(sysadmin)
    assert client.patch(URL_API, {"version": 1, "notes": "first"}, content_type="application/json").status_code == 200
    page = client.post(URL_PAGE, _page_form(version=1, notes="second"))
    assert page.status_code == 400 and "请刷新后重新提交" in page.content.decode()
    assert client.patch(URL_API, {"version": 1, "notes": "second"}, content_type="application/json").status_code == 409
    missing = client.patch(URL_API, {"notes": "second"}, content_type="application/json")
    assert missing.status_code == 400 and "version" in missing.json()["error"]["fields"]
    form = _page_form(notes="second")
    form.pop("version")
    assert client.post(URL_PAGE, form).status_code == 400
    assert _stored()["notes"] == "first"


def test_a_user_without_the_right_is_refused_on_both(client, shenzhen_epi):
    client.force_login(shenzhen_epi)
    assert client.post(URL_PAGE, _page_form(notes="x")).status_code == 403
    assert client.patch(URL_API, {"version": 1, "notes": "x"}, content_type="application/json").status_code == 403
    assert _stored()["notes"] != "x"
