"""The UI shell: sign-in, language switch, navigation with marked placeholders, region and person pages."""

import re

import pytest
from django.test import override_settings

from fangkong.persons.models import Person
from fangkong.testing.builders import PASSWORD, citizen_id, make_person
from fangkong.web.modules import nav_modules


def test_sign_in_with_the_password_and_land_home(client, futian_commander):
    assert client.get("/").status_code == 302
    response = client.post("/accounts/login/", {"username": "futian_commander", "password": PASSWORD}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200 and "福田区" in html


def test_chinese_is_the_default_and_english_is_complete(client, futian_commander):
    client.force_login(futian_commander)
    zh = client.get("/").content.decode()
    assert "首页" in zh and "Home" not in re.sub(r"<[^>]+>", " ", zh).split()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    en = client.get("/").content.decode()
    assert ">Home<" in en and "首页" not in en


def test_every_planned_module_is_a_marked_placeholder(client, province_commander):
    client.force_login(province_commander)
    for module in nav_modules():
        if module.url_name:
            assert client.get(f"/modules/{module.slug}/").status_code == 404
            continue
        page = client.get(f"/modules/{module.slug}/")
        assert page.status_code == 200
        assert "尚未建成" in page.content.decode()


def test_region_page_lists_children_and_serves_their_map(client, shenzhen_epi):
    client.force_login(shenzhen_epi)
    html = client.get("/regions/440300/").content.decode()
    assert "福田区" in html and "17,560,061" in html
    geo = client.get("/regions/440300/map.json").json()
    assert len(geo["features"]) == 9 and {f["id"][:4] for f in geo["features"]} == {"4403"}
    assert client.get("/regions/440100/").status_code == 404


def test_region_switcher_lists_only_the_scope(client, futian_commander):
    client.force_login(futian_commander)
    html = client.get("/").content.decode()
    options = re.findall(r'<option value="(\d+)"', html)
    assert options == ["440304"]
    assert client.get("/regions/switch/?code=440303").status_code == 404
    assert client.get("/regions/switch/?code=440304").status_code == 302


def test_register_form_shows_field_errors_and_keeps_input(client, shenzhen_epi):
    client.force_login(shenzhen_epi)
    response = client.post("/persons/", {"name": "张三", "citizen_id": "440304199001011230", "phone": "12",
                                         "address_region": "440304", "birth_date": "1990-02-30"})
    html = response.content.decode()
    assert response.status_code == 400 and 'value="张三"' in html
    assert Person.objects.count() == 0
    cid = citizen_id("440304")
    response = client.post("/persons/", {"name": "张三", "citizen_id": cid, "address_region": "440304"})
    assert response.status_code == 302 and Person.objects.count() == 1


def test_reveal_button_only_for_allowed_roles(client, shenzhen_epi, analyst):
    person = make_person(shenzhen_epi, name="甲", region="440304", phone="13812345678")
    client.force_login(shenzhen_epi)
    assert "person-reveal" not in client.get(f"/persons/{person.pk}/").content.decode()  # url, not name
    assert f"/persons/{person.pk}/reveal/" in client.get(f"/persons/{person.pk}/").content.decode()
    fragment = client.post(f"/persons/{person.pk}/reveal/", {"reason": "流调电话核实"}).content.decode()
    assert "+8613812345678" in fragment
    client.force_login(analyst)
    assert f"/persons/{person.pk}/reveal/" not in client.get(f"/persons/{person.pk}/").content.decode()
    assert client.post(f"/persons/{person.pk}/reveal/").status_code == 403


def test_pages_carry_a_strict_content_security_policy(client, db):
    csp = client.get("/accounts/login/").headers["Content-Security-Policy"]
    assert csp == (  # Django's CSP middleware (SECURE_CSP), the same policy the project used to write itself
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
    assert client.get("/api/v1/me/").headers["Content-Security-Policy"] == csp


@pytest.mark.parametrize("path", ["/", "/regions/440300/", "/persons/", "/modules/cases/", "/accounts/login/"])
def test_no_page_loads_anything_from_outside(client, shenzhen_epi, path):
    client.force_login(shenzhen_epi)
    html = client.get(path, follow=True).content.decode()
    assert not re.search(r'(src|href)="(https?:)?//', html), path


@override_settings(LANGUAGE_CODE="en")
def test_person_list_is_masked(client, shenzhen_epi):
    make_person(shenzhen_epi, name="乙", region="440304", phone="13812345678")
    client.force_login(shenzhen_epi)
    html = client.get("/persons/").content.decode()
    assert "+86 *******5678" in html and "13812345678" not in html
