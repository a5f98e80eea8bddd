"""The enterprise registry: one input schema for page, API and import; a bad credit code or a duplicate
enterprise refused alike with nothing saved; the contact's phone sealed; reads scoped — officials their
regions, an enterprise contact its own enterprise only (another city 404, another enterprise 404, the list
its own)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.accounts.roles import Role
from fangkong.inputs import validate_row
from fangkong.persons import protection
from fangkong.testing.builders import make_user

from ..inputs import EnterpriseInput
from ..models import ContactPerson, Enterprise
from ..selectors import enterprise_list
from ..services import PHONE_PURPOSE, enterprise_register, enterprises_import
from .conftest import credit_code

pytestmark = pytest.mark.django_db


def test_page_api_and_import_register_the_same_enterprise(client, shenzhen_epi, enterprise_data):
    client.force_login(shenzhen_epi)
    page = {**enterprise_data(1), "sector": "electronics", "contact_name": "王联络", "contact_phone": "13800138001"}
    assert client.post("/enterprises/new/", page).status_code == 302
    api = {**enterprise_data(2), "contact_name": "王联络", "contact_phone": "13800138001"}
    assert client.post("/api/v1/enterprises/", api, content_type="application/json").status_code == 201
    row = {"统一社会信用代码": credit_code(3), "企业名称": "测试企业3", "行业": "electronics", "规模": "medium",
           "区划代码": "440304", "地址": "福田区测试路3号", "职工人数": "103", "联系人": "王联络",
           "联系电话": "13800138001"}
    csv = (",".join(row) + "\n" + ",".join(row.values()) + "\n").encode()
    result = enterprises_import(actor=shenzhen_epi, data=csv, name="e.csv")
    assert result.errors == [] and result.created == 1
    assert sorted(Enterprise.objects.values_list("sector", "size", "county_id")) == [
        ("electronics", "medium", "440304")] * 3
    contact = ContactPerson.objects.first()
    assert "13800138001" not in contact.phone_sealed and contact.phone_masked == "+86 *******8001"
    assert protection.decrypt(contact.phone_sealed, PHONE_PURPOSE) == "+8613800138001"


def test_a_bad_credit_code_is_refused_alike_and_nothing_is_saved(client, shenzhen_epi, enterprise_data):
    bad = {**enterprise_data(1), "credit_code": credit_code(1)[:17] + ("0" if credit_code(1)[17] != "0" else "1")}
    client.force_login(shenzhen_epi)
    page = client.post("/enterprises/new/", bad)
    api = client.post("/api/v1/enterprises/", bad, content_type="application/json")
    assert page.status_code == api.status_code == 400
    assert set(api.json()["error"]["fields"]) == {"credit_code"}
    assert "GB 32100" in api.json()["error"]["fields"]["credit_code"][0]
    assert set(validate_row(EnterpriseInput, bad)[1]) == {"credit_code"}
    assert Enterprise.objects.count() == 0


def test_a_duplicate_enterprise_is_refused_and_the_first_kept(client, shenzhen_epi, enterprise_data):
    first = enterprise_register(actor=shenzhen_epi, **validate_row(EnterpriseInput, enterprise_data(1))[0])
    again = {**enterprise_data(1), "name": "另一个名称"}
    with pytest.raises(ValidationError) as refused:
        enterprise_register(actor=shenzhen_epi, **validate_row(EnterpriseInput, again)[0])
    assert "credit_code" in refused.value.message_dict
    client.force_login(shenzhen_epi)
    assert client.post("/api/v1/enterprises/", again, content_type="application/json").status_code == 400
    # a code twice in one file: every row refused, nothing saved
    row = "统一社会信用代码,企业名称,行业,规模,区划代码,地址\n"
    twice = (row + f"{credit_code(7)},甲,electronics,medium,440304,路\n{credit_code(7)},乙,electronics,medium,440304,路\n").encode()
    result = enterprises_import(actor=shenzhen_epi, data=twice, name="e.csv")
    assert [e["row"] for e in result.errors] == [3] and result.created == 0
    assert list(Enterprise.objects.values_list("pk", "name")) == [(first.pk, "测试企业1")]


def test_a_whole_city_or_another_city_is_refused(shenzhen_epi, guangzhou_epi, enterprise_data):
    with pytest.raises(ValidationError):
        enterprise_register(actor=shenzhen_epi, **{**enterprise_data(1), "region": "440300"})
    with pytest.raises(PermissionDenied):
        enterprise_register(actor=guangzhou_epi, **enterprise_data(1))
    assert Enterprise.objects.count() == 0


def test_officials_read_their_regions_and_a_contact_its_own_enterprise_only(
        client, shenzhen_epi, guangzhou_epi, province_commander, contact, sysadmin_grants, enterprise_data):
    ours = enterprise_register(actor=shenzhen_epi, **enterprise_data(1))
    theirs = enterprise_register(actor=shenzhen_epi, **enterprise_data(2))
    sysadmin_grants(contact, ours.credit_code)
    assert set(enterprise_list(user=province_commander)) == {ours, theirs}
    assert list(enterprise_list(user=guangzhou_epi)) == []
    assert list(enterprise_list(user=contact)) == [ours]
    # another city: 404 on the page and in the API
    client.force_login(guangzhou_epi)
    assert client.get(f"/enterprises/{ours.pk}/").status_code == 404
    assert client.get(f"/api/v1/enterprises/{ours.pk}/").status_code == 404
    # the contact: its own enterprise, not the other one, a list of its own only, no registering
    client.force_login(contact)
    assert client.get(f"/enterprises/{ours.pk}/").status_code == 200
    assert client.get(f"/enterprises/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/v1/enterprises/{theirs.pk}/").status_code == 404
    listed = client.get("/api/v1/enterprises/").json()
    assert [row["id"] for row in listed["results"]] == [ours.pk]
    page = client.get("/enterprises/").content.decode()
    assert ours.name in page and theirs.name not in page
    assert client.get("/enterprises/new/").status_code == 403
    assert client.post("/api/v1/enterprises/", enterprise_data(3), content_type="application/json").status_code == 403
    assert client.get("/enterprises/lockdown/?region=440304").status_code == 403  # no aggregates of the region
    assert Enterprise.objects.count() == 2


def test_a_contact_of_another_city_does_not_see_an_enterprise_of_its_code_elsewhere(
        client, shenzhen_epi, sysadmin_grants, enterprise_data):
    ours = enterprise_register(actor=shenzhen_epi, **enterprise_data(1))
    far = make_user("gz_contact", ("440100", Role.ENTERPRISE_CONTACT))
    sysadmin_grants(far, ours.credit_code)
    assert list(enterprise_list(user=far)) == []
    client.force_login(far)
    assert client.get(f"/enterprises/{ours.pk}/").status_code == 404
