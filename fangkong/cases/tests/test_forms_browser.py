"""In a real browser (headless Chromium, strict CSP, htmx): register a contact from a case's page — errors come
back in place, then the contact's page —, quarantine it, record an exposure, designate and lift a risk area.
Screenshots are kept in ``test-artifacts/``; the console must stay free of errors (CSP included)."""

from __future__ import annotations

import pytest

from fangkong.persons.citizen_id import check_character
from fangkong.testing.browser import ARTIFACTS, chromium_page, sign_in
from fangkong.testing.server import PASSWORD, running_server

pytestmark = pytest.mark.browser


def valid_citizen_id(first17: str) -> str:
    return first17 + check_character(first17)


def _signed_in(page, server: str) -> dict:
    """Sign in as the Shenzhen commander; the headers of a JSON API call with the session."""
    sign_in(page, server, "sz_commander", PASSWORD)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    return {"X-CSRFToken": token, "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("fangkong-forms"),
                        [("sz_commander", "440300", "local_commander")]) as url:
        yield url


def test_contact_exposure_and_risk_area_forms_in_a_browser(server):
    with chromium_page(ignore=("400", "favicon")) as (page, errors):
        headers = _signed_in(page, server)
        # a case to start from, through the API with the session (as the page's own scripts would)
        person = page.request.post(f"{server}/api/v1/persons/", headers=headers, data={
            "name": "源头病例", "citizen_id": valid_citizen_id("44030419800101123"), "address_region": "440304"})
        assert person.status == 201, person.text()
        case = page.request.post(f"{server}/api/v1/cases/", headers=headers, data={
            "person": person.json()["id"], "classification": "confirmed", "report_region": "440304",
            "diagnosed_at": "2022-03-10T09:00:00+08:00", "reported_at": "2022-03-10T10:00:00+08:00"})
        assert case.status == 201, case.text()
        case_no = case.json()["case_no"]

        page.goto(f"{server}/cases/{case.json()['id']}/")
        page.click("a.btn-small[href*='/contacts/new/']")
        page.wait_for_url("**/cases/contacts/new/?case_no=*")
        assert page.input_value("#f-source_case_no") == case_no
        page.fill("#f-citizen_id", "440304199001011234")  # wrong check character
        page.fill("#f-name", "浏览器密接")
        page.fill("#f-listed_at", "2022-03-10T15:00")
        page.click("#contact-form button[type=submit]")
        page.wait_for_selector("#contact-form .form-error")
        assert "/contacts/new/" in page.url  # swapped in place, nothing saved
        assert page.get_attribute("#f-citizen_id", "aria-invalid") == "true"
        page.screenshot(path=ARTIFACTS / "cases-contact-form-errors.png", full_page=True, caret="initial")
        page.fill("#f-citizen_id", valid_citizen_id("44030419900202456"))
        page.click("#contact-form button[type=submit]")
        page.wait_for_url("**/cases/contacts/*/")
        assert "浏览器密接" in page.inner_text("dl.facts")
        page.fill("#f-quarantined_at", "2022-03-10T20:00")
        page.fill("#f-quarantine_place", "福田区集中隔离点")
        with page.expect_navigation():  # htmx follows HX-Redirect to the contact's page
            page.click("#contact-status form:first-of-type button[type=submit]")
        facts = page.inner_text("dl.facts")
        assert "福田区集中隔离点" in facts and "2022-03-10 20:00" in facts
        page.screenshot(path=ARTIFACTS / "cases-contact-quarantined.png", full_page=True, caret="initial")

        page.click("main a[href*='/exposures/new/?case_no=']")
        page.wait_for_url("**/exposures/new/?case_no=*")
        page.fill("#f-place_name", "福田某农贸市场")
        page.fill("#f-starts_at", "2022-03-08T08:00")
        page.fill("#f-ends_at", "2022-03-08T07:00")  # ends before it starts
        page.click("#exposure-form button[type=submit]")
        page.wait_for_selector("#exposure-form .form-error")
        page.fill("#f-ends_at", "2022-03-08T10:00")
        page.click("#exposure-form button[type=submit]")
        page.wait_for_url(f"**/cases/{case.json()['id']}/")
        assert "福田某农贸市场" in page.inner_text("main")

        page.goto(f"{server}/cases/risk-areas/")
        page.select_option("#f-region", "440304")
        page.fill("#f-area", "梅林一村")
        page.fill("#f-from", "2022-03-12")
        page.click("section.card form.grid-form button[type=submit]")
        page.wait_for_selector("[data-lift]")
        page.screenshot(path=ARTIFACTS / "cases-risk-areas.png", full_page=True, caret="initial")
        with page.expect_navigation():
            page.click("[data-lift]")
        assert page.locator("[data-lift]").count() == 0
        assert "梅林一村" in page.inner_text("table.risk-areas") and "2022-03-12" in page.inner_text("table.risk-areas")

        assert errors == []


def test_a_bar_of_the_onset_curve_opens_the_line_list_of_its_cases(server):
    """The dashboard's curve by onset date: clicking a bar lands on the case list of exactly that bar."""
    with chromium_page(console=False) as (page, errors):
        headers = _signed_in(page, server)
        # three fever-clinic infections with onset on 5 March (one reported late, on the 9th), one suspected
        # case with the same onset (not an infection), one infection with onset on the 6th
        for n, (onset, reported, classification) in enumerate([
                ("2022-03-05", "2022-03-07", "confirmed"), ("2022-03-05", "2022-03-08", "asymptomatic"),
                ("2022-03-05", "2022-03-09", "confirmed"), ("2022-03-05", "2022-03-08", "suspected"),
                ("2022-03-06", "2022-03-08", "confirmed")]):
            person = page.request.post(f"{server}/api/v1/persons/", headers=headers, data={
                "name": f"发病曲线{n}", "citizen_id": valid_citizen_id(f"44030419700101{n}12"),
                "address_region": "440304"})
            assert person.status == 201, person.text()
            case = page.request.post(f"{server}/api/v1/cases/", headers=headers, data={
                "person": person.json()["id"], "classification": classification, "report_region": "440304",
                "detection_route": "fever_clinic", "onset_date": onset,
                "diagnosed_at": f"{reported}T09:00:00+08:00", "reported_at": f"{reported}T10:00:00+08:00"})
            assert case.status == 201, case.text()

        page.goto(f"{server}/dashboard/440300/?date=2022-03-10")
        page.wait_for_selector("[data-dashboard-curve] canvas")
        page.click("[data-curve=by_onset]")
        page.wait_for_selector("[data-dashboard-curve][data-curve-shown=by_onset]")
        x, y, height = page.evaluate("""() => {
            const el = document.querySelector('[data-dashboard-curve]');
            const chart = window.echarts.getInstanceByDom(el);
            const curve = JSON.parse(document.getElementById('dashboard-data').textContent).data.curve;
            const s = curve.routes.indexOf('fever_clinic'), i = curve.dates.indexOf('2022-03-05');
            const [px, py] = chart.convertToPixel({seriesIndex: s}, [i, curve.by_onset.fever_clinic[i] / 2]);
            const box = el.getBoundingClientRect();
            return [box.left + px, box.top + py, curve.by_onset.fever_clinic[i]];
        }""")
        assert height == 3
        page.wait_for_timeout(1500)  # the bars grow in (ECharts animation)
        page.screenshot(path=ARTIFACTS / "dashboard-onset-curve.png", caret="initial")
        with page.expect_navigation():
            page.mouse.click(x, y)
        assert "onset_from=2022-03-05" in page.url and "onset_to=2022-03-05" in page.url
        assert page.get_attribute("[data-count]", "data-count") == "3"
        assert page.locator("table.table tbody tr").count() == 3
        page.screenshot(path=ARTIFACTS / "dashboard-onset-bar-line-list.png", full_page=True, caret="initial")
        assert errors == []
